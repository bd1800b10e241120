// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shipper's state file as it keeps it (ship/state.h): a change is saved
 * at once when forced, else at most once per TA_SHIP_STATE_SAVE_MS; an
 * unchanged state is never written again; an idle shipper is told when a
 * change it holds falls due; a failed save is reported and stays due.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "test_log_dir.h"
#include "base/fs.h"
#include "ship/state.h"

static struct ta_ship_state read_back(const char *path)
{
	struct ta_ship_state st;
	CHECK_EQ_INT(ta_ship_state_load(path, &st), 0);
	return st;
}

int main(void)
{
	char *dir = test_mkdtemp("ship-state");
	char path[512], missing[600];
	snprintf(path, sizeof(path), "%s/ship.state", dir);
	snprintf(missing, sizeof(missing), "%s/no-such-dir/ship.state", dir);
	struct ta_ship_state_file f = { .path = path };
	struct ta_ship_state st = { .next = 5, .checkpoint = 3, .acked = 2, .log_size = 9 };
	const uint64_t t0 = 100000;

	/* Never saved: due at once. */
	CHECK_EQ_INT(ta_ship_state_due_ms(&f, &st, 500, t0), 0);
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 0, t0), 0);
	CHECK_EQ_INT((int)read_back(path).acked, 2);
	CHECK_EQ_INT((int)read_back(path).next, 5);

	/* A change within the interval waits; the wait says when it falls due. */
	st.acked = 3;
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 0, t0 + 100), 0);
	CHECK_EQ_INT((int)read_back(path).acked, 2);
	CHECK_EQ_INT(ta_ship_state_due_ms(&f, &st, 500, t0 + 100), 500);
	CHECK_EQ_INT(ta_ship_state_due_ms(&f, &st, 5000, t0 + 100), TA_SHIP_STATE_SAVE_MS - 100);
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 0, t0 + TA_SHIP_STATE_SAVE_MS), 0);
	CHECK_EQ_INT((int)read_back(path).acked, 3);

	/* Unchanged: not written, even when forced (the file removed stays removed). */
	CHECK_EQ_INT(ta_ship_state_due_ms(&f, &st, 500, t0 + 5000), 500);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 1, t0 + 5000), 0);
	CHECK(access(path, F_OK) != 0);

	/* Forced: a change is saved at once, whatever the interval. */
	st.next = 7;
	st.checkpoint = 7;
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 0, t0 + 5000), 0);
	CHECK_EQ_INT((int)read_back(path).next, 7);
	st.acked = 7;
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 1, t0 + 5001), 0);
	CHECK_EQ_INT((int)read_back(path).acked, 7);

	/* A failed save is the caller's error, and the change stays due. */
	f.path = missing;
	st.log_size = 12;
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 1, t0 + 9000), -ENOENT);
	CHECK_EQ_INT(ta_ship_state_due_ms(&f, &st, 500, t0 + 9000), 0);
	f.path = path;
	CHECK_EQ_INT(ta_ship_state_sync(&f, &st, 0, t0 + 9000), 0);
	char *text;
	size_t len;
	CHECK_EQ_INT(ta_read_file_at(AT_FDCWD, path, &text, &len), 0);
	CHECK(strstr(text, "backlog 5\n") != NULL); /* log_size 12 - acked 7 */
	free(text);

	test_rmtree(dir);
	free(dir);
	return check_result();
}

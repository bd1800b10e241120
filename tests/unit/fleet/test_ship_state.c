// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shipper's state file as it keeps it (ship/state.h): a change is saved
 * at once when forced, else at most once per TA_SHIP_STATE_SAVE_MS; an
 * unchanged state is never written again; an idle shipper is told when a
 * change it holds falls due; a failed save is reported and stays due; a
 * symbolic link, a FIFO or a large file is not read, and a link at FILE.tmp is
 * not written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

	/*
	 * Root reads this file in a directory the shipper's user owns: a symbolic
	 * link is not followed, a FIFO is refused at once (it hung the reader), a
	 * large file is not read; a link at FILE.tmp is replaced, never written through.
	 */
	char victim[600], tmp[600], link[600], fifo[600];
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(link, sizeof(link), "%s/link.state", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.state", dir);
	int fd = open(victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "next 9\ncheckpoint 9\nacked 9\n", 28) == 28);
	close(fd);
	CHECK_EQ_INT(symlink(victim, link), 0);
	struct ta_ship_state got;
	CHECK_EQ_INT(ta_ship_state_load(link, &got), -ELOOP);
	CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
	CHECK_EQ_INT(ta_ship_state_load(fifo, &got), -EINVAL);
	CHECK(strstr(ta_ship_state_strerror(-EINVAL), "FIFO") != NULL);
	fd = open(victim, O_WRONLY | O_APPEND);
	char pad[TA_SHIP_STATE_MAX];
	memset(pad, '\n', sizeof(pad));
	CHECK(fd >= 0 && write(fd, pad, sizeof(pad)) == (ssize_t)sizeof(pad));
	close(fd);
	CHECK_EQ_INT(ta_ship_state_load(victim, &got), -EFBIG);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(symlink(victim, tmp), 0);
	st.next = st.checkpoint = st.acked = 8;
	CHECK_EQ_INT(ta_ship_state_save(path, &st), 0);
	CHECK_EQ_INT((int)read_back(path).acked, 8);
	CHECK_EQ_INT(ta_read_file_at(AT_FDCWD, victim, &text, &len), 0);
	CHECK(len == 28 + TA_SHIP_STATE_MAX && !strncmp(text, "next 9\n", 7));
	free(text);
	unlink(fifo); /* before test_rmtree, which opens what it removes */

	/*
	 * Numbers are decimal digits: "-1" read as 2^64-1 (sscanf) and passed the
	 * order check, and the shipper then skipped every record without a word.
	 */
	static const char *const bad[] = {
		"next -1\ncheckpoint -1\nacked -1\n",
		"next 18446744073709551616\ncheckpoint 0\nacked 0\n",
		"next +5\ncheckpoint 3\nacked 2\n",
		"next  5\ncheckpoint 3\nacked 2\n",
		"next 5x\ncheckpoint 3\nacked 2\n",
		"next 5\ncheckpoint 3\nacked 2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		CHECK(fd >= 0 && write(fd, bad[i], strlen(bad[i])) == (ssize_t)strlen(bad[i]));
		close(fd);
		if (ta_ship_state_load(path, &got) != -EBADMSG)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_EQ_INT(ta_ship_state_load(path, &got), -EBADMSG);
	}
	/* What the shipper writes (with its backlog line) is still read. */
	st.next = 18446744073709551615ull;
	st.checkpoint = st.acked = 4;
	CHECK_EQ_INT(ta_ship_state_save(path, &st), 0);
	got = read_back(path);
	CHECK(got.next == 18446744073709551615ull && got.checkpoint == 4 && got.acked == 4);

	test_rmtree(dir);
	free(dir);
	return check_result();
}

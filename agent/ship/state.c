// SPDX-License-Identifier: GPL-2.0-or-later
/* The shipper's state file: its own (ttyaudit-ship) and read by ttyaudit status. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/decimal.h"
#include "base/fs.h"
#include "ship/state.h"

/*
 * "NAME N\n" at *p, N decimal digits only: sscanf's %llu took "-1" as 2^64-1
 * (and a sign, blanks, an overflow), so a state file reading "next -1" made
 * the shipper skip every record there is and say nothing.
 */
static int state_field(const char **p, const char *name, uint64_t *v)
{
	size_t l = strlen(name);
	const char *end;

	if (strncmp(*p, name, l) || (*p)[l] != ' ' || ta_parse_dec_u64(*p + l + 1, &end, v) ||
	    *end != '\n')
		return -EBADMSG;
	*p = end + 1;
	return 0;
}

int ta_ship_state_load(const char *path, struct ta_ship_state *st)
{
	memset(st, 0, sizeof(*st));
	char *buf;
	size_t len;
	int e = ta_read_regular_at(AT_FDCWD, path, TA_SHIP_STATE_MAX, &buf, &len);
	if (e == -ENOENT)
		return 0;
	if (e)
		return e;
	uint64_t n, c, a;
	const char *p = buf;
	e = state_field(&p, "next", &n);
	if (!e)
		e = state_field(&p, "checkpoint", &c);
	if (!e)
		e = state_field(&p, "acked", &a);
	free(buf);
	if (!e && (a > c || c > n))
		e = -EBADMSG;
	if (!e) {
		st->next = n;
		st->checkpoint = c;
		st->acked = a;
	}
	return e;
}

const char *ta_ship_state_strerror(int e)
{
	return e == -EFBIG ? "larger than a state file is" :
	       e == -EBADMSG ? "malformed" : ta_regular_strerror(e);
}

int ta_ship_state_save(const char *path, const struct ta_ship_state *st)
{
	char tmp[4096], text[160];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int n = snprintf(text, sizeof(text),
			 "next %" PRIu64 "\ncheckpoint %" PRIu64 "\nacked %" PRIu64 "\nbacklog %" PRIu64 "\n",
			 st->next, st->checkpoint, st->acked,
			 (st->log_size > st->next ? st->log_size : st->next) - st->acked);
	/* A new file: whatever a crash (or another user of the directory) left under that
	 * name, a symbolic link included, is removed, never written through. */
	if (unlink(tmp) && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	int e = 0;
	if (write(fd, text, (size_t)n) != n || fsync(fd))
		e = errno ? -errno : -EIO;
	close(fd);
	if (!e && rename(tmp, path))
		e = -errno;
	return e;
}

int ta_ship_state_sync(struct ta_ship_state_file *f, const struct ta_ship_state *st, int force,
		       uint64_t now_ms)
{
	if (!memcmp(st, &f->saved, sizeof(*st)))
		return 0;
	if (!force && now_ms - f->saved_ms < TA_SHIP_STATE_SAVE_MS)
		return 0;
	int e = ta_ship_state_save(f->path, st);
	if (e)
		return e;
	f->saved = *st;
	f->saved_ms = now_ms;
	return 0;
}

unsigned ta_ship_state_due_ms(const struct ta_ship_state_file *f, const struct ta_ship_state *st,
			      unsigned wait_ms, uint64_t now_ms)
{
	if (!memcmp(st, &f->saved, sizeof(*st)))
		return wait_ms;
	uint64_t since = now_ms - f->saved_ms;
	uint64_t left = since >= TA_SHIP_STATE_SAVE_MS ? 0 : TA_SHIP_STATE_SAVE_MS - since;
	return left < wait_ms ? (unsigned)left : wait_ms;
}

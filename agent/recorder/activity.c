// SPDX-License-Identifier: GPL-2.0-or-later
#include "recorder/activity.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/crc32c.h"

#define MAGIC "ttyaudit-activity 1\n"

size_t ta_activity_format(const struct ta_activity *a, char *buf, size_t cap)
{
	size_t n = 0;

#define PUT(...)                                                                  \
	do {                                                                      \
		int w_ = snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__);   \
		n += w_ > 0 ? (size_t)w_ : 0;                                    \
	} while (0)
	PUT("%sstate %s\npid %" PRIu64 "\nheartbeat %" PRIu64 "\n", MAGIC,
	    a->running ? "running" : "stopped", a->pid, a->heartbeat_ns);
	for (size_t i = 0; i < a->n_open && i < TA_ACTIVITY_MAX_OPEN; i++) {
		const struct ta_activity_open *o = &a->open[i];
		char tty[sizeof(o->tty)];

		/* Names are kernel tty names; keep the line parseable whatever they hold. */
		for (size_t k = 0; k < sizeof(tty); k++) {
			char c = o->tty[k];
			tty[k] = c > ' ' && c < 0x7f ? c : c ? '?' : '\0';
		}
		tty[sizeof(tty) - 1] = '\0';
		PUT("open %" PRIu32 " %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    "\n", o->ses, tty[0] ? tty : "-", o->since_ns, o->entries, o->bytes,
		    o->copy_entries, o->copy_bytes);
	}
	if (n < cap)
		PUT("end %08" PRIx32 "\n", ta_crc32c(0, buf, n));
#undef PUT
	return n;
}

int ta_activity_parse(const char *buf, size_t len, struct ta_activity *a)
{
	char text[8192], *line, *save = NULL;
	const char *end;
	unsigned crc;

	memset(a, 0, sizeof(*a));
	if (len >= sizeof(text) || len < sizeof(MAGIC) || memcmp(buf, MAGIC, sizeof(MAGIC) - 1))
		return -EBADMSG;
	/* The last line is "end CRC" over everything before it. */
	end = NULL;
	for (size_t i = len - 1; i > 0; i--)
		if (buf[i - 1] == '\n') {
			end = buf + i;
			break;
		}
	if (!end || buf[len - 1] != '\n' || sscanf(end, "end %8x", &crc) != 1 ||
	    ta_crc32c(0, buf, (size_t)(end - buf)) != crc)
		return -EBADMSG;
	memcpy(text, buf, (size_t)(end - buf));
	text[end - buf] = '\0';
	for (line = strtok_r(text + sizeof(MAGIC) - 1, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char word[16];

		if (!strncmp(line, "state ", 6)) {
			if (sscanf(line + 6, "%15s", word) != 1)
				return -EBADMSG;
			a->running = !strcmp(word, "running");
		} else if (sscanf(line, "pid %" SCNu64, &a->pid) == 1) {
		} else if (sscanf(line, "heartbeat %" SCNu64, &a->heartbeat_ns) == 1) {
		} else if (!strncmp(line, "open ", 5) && a->n_open < TA_ACTIVITY_MAX_OPEN) {
			struct ta_activity_open *o = &a->open[a->n_open];

			/* The copies' counts came later: a journal without them has none. */
			int k = sscanf(line, "open %" SCNu32 " %31s %" SCNu64 " %" SCNu64 " %" SCNu64
				       " %" SCNu64 " %" SCNu64, &o->ses, o->tty, &o->since_ns,
				       &o->entries, &o->bytes, &o->copy_entries, &o->copy_bytes);
			if ((k != 5 && k != 7) || o->copy_entries > o->entries ||
			    o->copy_bytes > o->bytes)
				return -EBADMSG;
			if (!strcmp(o->tty, "-"))
				o->tty[0] = '\0';
			a->n_open++;
		} else {
			return -EBADMSG;
		}
	}
	return 0;
}

int ta_activity_file_open(struct ta_activity_file *f, int dirfd, struct ta_activity *prev,
			  const char **why)
{
	char buf[8192];
	struct stat st;
	ssize_t n;
	int err;

	memset(f, 0, sizeof(*f));
	/* O_NONBLOCK: a FIFO in its place must not stop the daemon in open(). */
	f->fd = openat(dirfd, TA_ACTIVITY_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		       0640);
	if (f->fd < 0)
		return -errno;
	err = fstat(f->fd, &st) ? -errno : !S_ISREG(st.st_mode) || st.st_nlink != 1 ? -EPERM : 0;
	n = err ? 0 : pread(f->fd, buf, sizeof(buf), 0);
	if (!err && n < 0)
		err = -errno;
	if (err) {
		close(f->fd);
		f->fd = -1;
		return err;
	}
	f->len = (size_t)n;
	*why = "";
	if (n == 0) {
		*why = "no activity journal";
		return 0;
	}
	if (ta_activity_parse(buf, (size_t)n, prev)) {
		*why = "the activity journal is not valid";
		return 0;
	}
	return 1;
}

int ta_activity_file_write(struct ta_activity_file *f, const struct ta_activity *a)
{
	char text[sizeof(f->last)];
	size_t n = ta_activity_format(a, text, sizeof(text));
	ssize_t w;

	if (n >= sizeof(text))
		return -EMSGSIZE;
	if (n == strnlen(f->last, sizeof(f->last)) && !memcmp(text, f->last, n))
		return 0;
	w = pwrite(f->fd, text, n, 0);
	if (w < 0)
		return -errno;
	if ((size_t)w != n)
		return -EIO;
	if (n < f->len && ftruncate(f->fd, (off_t)n))
		return -errno;
	f->len = n;
	memcpy(f->last, text, n);
	f->last[n < sizeof(f->last) ? n : sizeof(f->last) - 1] = '\0';
	return 0;
}

void ta_activity_file_close(struct ta_activity_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

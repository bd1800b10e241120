// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The activity journal: what one daemon writes the next one reads back
 * exactly; anything torn, edited or foreign is "not valid", never trusted.
 */
#include "recorder/activity.h"
#include "store/crc32c.h"
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	struct ta_activity a = { .running = 1, .pid = 4242, .heartbeat_ns = 1796040135937712214ull },
			   b;
	struct ta_activity_file f;
	char buf[8192], dir[] = "/tmp/ta-activity-XXXXXX";
	const char *why;
	size_t n;
	int dfd;

	a.n_open = 2;
	a.open[0] = (struct ta_activity_open){ .ses = 42, .tty = "pts3", .since_ns = 17,
					       .entries = 12, .bytes = 340, .copy_entries = 2,
					       .copy_bytes = 80 };
	a.open[1] = (struct ta_activity_open){ .ses = UINT32_MAX, .tty = "tty 1\n", .since_ns = 18,
					       .entries = 1, .bytes = 0 };
	n = ta_activity_format(&a, buf, sizeof(buf));
	CHECK(n > 0 && n < sizeof(buf));
	CHECK_EQ_INT(ta_activity_parse(buf, n, &b), 0);
	CHECK_EQ_INT(b.running, 1);
	CHECK_EQ_INT(b.pid, 4242);
	CHECK(b.heartbeat_ns == a.heartbeat_ns);
	CHECK_EQ_INT(b.n_open, 2);
	CHECK_EQ_STR(b.open[0].tty, "pts3");
	CHECK_EQ_INT(b.open[0].bytes, 340);
	CHECK_EQ_INT(b.open[0].copy_entries, 2);
	CHECK_EQ_INT(b.open[0].copy_bytes, 80);
	CHECK_EQ_INT(b.open[1].copy_bytes, 0);
	CHECK(b.open[1].ses == UINT32_MAX);
	CHECK_EQ_STR(b.open[1].tty, "tty?1?"); /* odd names stay one word */

	/* Torn (cut anywhere), edited, or garbage: not valid. */
	for (size_t cut = 0; cut < n; cut += 7)
		CHECK_EQ_INT(ta_activity_parse(buf, cut, &b), -EBADMSG);
	buf[30] ^= 1;
	CHECK_EQ_INT(ta_activity_parse(buf, n, &b), -EBADMSG);
	CHECK_EQ_INT(ta_activity_parse("garbage\n", 8, &b), -EBADMSG);

	/* An older daemon's line (no copies) reads as none; copies beyond the batch are not valid. */
	const char *const lines[] = { "open 42 pts3 17 12 340\n", "open 42 pts3 17 12 340 13 80\n",
				      "open 42 pts3 17 12 340 2 341\n", "open 42 pts3 17 12 340 2\n" };
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char j[512];
		int len = snprintf(j, sizeof(j), "ttyaudit-activity 1\nstate running\npid 7\n"
				   "heartbeat 9\n%s", lines[i]);
		len += snprintf(j + len, sizeof(j) - (size_t)len, "end %08x\n",
				(unsigned)ta_crc32c(0, j, (size_t)len));
		CHECK_EQ_INT(ta_activity_parse(j, (size_t)len, &b), i ? -EBADMSG : 0);
		if (!i)
			CHECK(b.n_open == 1 && b.open[0].bytes == 340 && !b.open[0].copy_entries &&
			      !b.open[0].copy_bytes);
	}

	/* The file: first open finds none; a rewrite that shrinks leaves no old tail. */
	CHECK(mkdtemp(dir) != NULL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	CHECK_EQ_INT(ta_activity_file_open(&f, dfd, &b, &why), 0);
	CHECK(strstr(why, "no activity journal") != NULL);
	CHECK_EQ_INT(ta_activity_file_write(&f, &a), 0);
	a.n_open = 0;
	a.running = 0;
	CHECK_EQ_INT(ta_activity_file_write(&f, &a), 0);
	ta_activity_file_close(&f);
	CHECK_EQ_INT(ta_activity_file_open(&f, dfd, &b, &why), 1);
	CHECK_EQ_INT(b.running, 0);
	CHECK_EQ_INT(b.n_open, 0);
	ta_activity_file_close(&f);

	/*
	 * Nothing but a regular file of one link is written: not a symlink's
	 * target, not a second name of another file, not a FIFO (which would
	 * stop the daemon in open()). The other file stays as it was.
	 */
	CHECK_EQ_INT(unlinkat(dfd, TA_ACTIVITY_NAME, 0), 0);
	CHECK_EQ_INT(mkfifoat(dfd, TA_ACTIVITY_NAME, 0600), 0);
	CHECK_EQ_INT(ta_activity_file_open(&f, dfd, &b, &why), -EPERM);
	CHECK_EQ_INT(f.fd, -1);
	CHECK_EQ_INT(unlinkat(dfd, TA_ACTIVITY_NAME, 0), 0);
	int other = openat(dfd, "other", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(other >= 0 && write(other, "kept\n", 5) == 5);
	close(other);
	CHECK_EQ_INT(linkat(dfd, "other", dfd, TA_ACTIVITY_NAME, 0), 0);
	CHECK_EQ_INT(ta_activity_file_open(&f, dfd, &b, &why), -EPERM);
	CHECK_EQ_INT(unlinkat(dfd, TA_ACTIVITY_NAME, 0), 0);
	CHECK_EQ_INT(symlinkat("other", dfd, TA_ACTIVITY_NAME), 0);
	CHECK_EQ_INT(ta_activity_file_open(&f, dfd, &b, &why), -ELOOP);
	struct stat st;
	CHECK(fstatat(dfd, "other", &st, 0) == 0 && st.st_size == 5);
	CHECK_EQ_INT(unlinkat(dfd, TA_ACTIVITY_NAME, 0), 0);
	CHECK_EQ_INT(unlinkat(dfd, "other", 0), 0);
	close(dfd);
	CHECK_EQ_INT(rmdir(dir), 0);
	return check_result();
}

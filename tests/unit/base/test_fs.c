// SPDX-License-Identifier: GPL-2.0-or-later
/* base/fs.c's whole-file reader and full writer: regular files, pipes, limits, errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "check.h"

static void pattern(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)('a' + (i * 7 + i / 251) % 26);
}

int main(void)
{
	char dir[] = "/tmp/ta-test-fs-XXXXXX";
	char path[64], *buf = NULL;
	size_t len = 0;
	static char big[200000];

	CHECK(mkdtemp(dir) != NULL);
	pattern(big, sizeof(big));
	snprintf(path, sizeof(path), "%s/f", dir);

	/* A regular file: every byte, NUL after them; written with the full writer. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(ta_write_all(fd, big, sizeof(big)), 0);
	close(fd);
	CHECK_EQ_INT(ta_read_file_at(AT_FDCWD, path, &buf, &len), 0);
	CHECK(len == sizeof(big));
	CHECK(buf && !memcmp(buf, big, sizeof(big)) && buf[len] == '\0');
	free(buf);
	buf = NULL;

	/* Larger than the limit: -EFBIG, no buffer. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK_EQ_INT(ta_read_fd(fd, sizeof(big) - 1, &buf, &len), -EFBIG);
	CHECK(buf == NULL);
	close(fd);

	/* An empty file: an empty string. */
	snprintf(path, sizeof(path), "%s/empty", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	close(fd);
	CHECK_EQ_INT(ta_read_file_at(AT_FDCWD, path, &buf, &len), 0);
	CHECK(len == 0 && buf && buf[0] == '\0');
	free(buf);
	buf = NULL;

	/* A pipe (no size to ask): read to its end, over several reads. */
	int p[2];
	CHECK_EQ_INT(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(ta_write_all(p[1], big, sizeof(big)) ? 1 : 0);
	}
	close(p[1]);
	CHECK_EQ_INT(ta_read_fd(p[0], sizeof(big), &buf, &len), 0);
	CHECK(len == sizeof(big) && buf && !memcmp(buf, big, len));
	free(buf);
	buf = NULL;
	close(p[0]);

	/* A pipe that brings more than the limit: -EFBIG. */
	CHECK_EQ_INT(pipe(p), 0);
	pid_t pid2 = fork();
	if (pid2 == 0) {
		close(p[0]);
		ta_write_all(p[1], big, sizeof(big));
		_exit(0);
	}
	close(p[1]);
	CHECK_EQ_INT(ta_read_fd(p[0], 1000, &buf, &len), -EFBIG);
	close(p[0]);

	/* Errors are said: no file, a directory, a closed descriptor. */
	snprintf(path, sizeof(path), "%s/absent", dir);
	CHECK_EQ_INT(ta_read_file_at(AT_FDCWD, path, &buf, &len), -ENOENT);
	CHECK_EQ_INT(ta_read_file_at(AT_FDCWD, dir, &buf, &len), -EISDIR);
	CHECK_EQ_INT(ta_write_all(-1, "x", 1), -EBADF);

	while (wait(NULL) > 0)
		;
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	CHECK_EQ_INT(system(path), 0);
	return check_result();
}

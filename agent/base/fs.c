// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"

static int mkdirs(const char *path, mode_t mode, bool last)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (last && mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int ta_mkdir_p(const char *dir, mode_t mode)
{
	return mkdirs(dir, mode, true);
}

int ta_mkdir_parent(const char *path, mode_t mode)
{
	return mkdirs(path, mode, false);
}

int ta_set_append_only(int fd, int on)
{
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return -errno;
	int nf = on ? (flags | FS_APPEND_FL) : (flags & ~FS_APPEND_FL);
	if (nf == flags)
		return 0;
	if (ioctl(fd, FS_IOC_SETFLAGS, &nf))
		return -errno;
	return 0;
}

int ta_get_append_only(int fd)
{
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return -errno;
	return (flags & FS_APPEND_FL) ? 1 : 0;
}

int ta_read_fd(int fd, size_t max, char **buf, size_t *len)
{
	struct ta_buf b;
	struct stat st;
	size_t room = 65536;

	/* A regular file's size: refused at once when too large, read in one go when not. */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		if ((uint64_t)st.st_size > max)
			return -EFBIG;
		room = (size_t)st.st_size + 2;
	}
	ta_buf_init(&b);
	for (;;) {
		/* Always room for one byte more and the NUL: a full buffer doubles. */
		if (ta_buf_reserve(&b, room)) {
			ta_buf_free(&b);
			return -ENOMEM;
		}
		room = 2;
		ssize_t n = read(fd, b.p + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			ta_buf_free(&b);
			return e;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > max) {
			ta_buf_free(&b);
			return -EFBIG;
		}
	}
	b.p[b.len] = '\0';
	*buf = (char *)b.p;
	*len = b.len;
	return 0;
}

int ta_read_file_at(int dirfd, const char *name, char **buf, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = ta_read_fd(fd, TA_READ_FILE_MAX, buf, len);
	close(fd);
	return err;
}

static int open_regular(int dirfd, const char *name, int flags, struct stat *st)
{
	struct stat own;
	/* Non-blocking: opening a FIFO for reading otherwise waits for a writer, forever. */
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
	if (fd < 0)
		return -errno;
	if (!st)
		st = &own;
	int err = fstat(fd, st) ? -errno : !S_ISREG(st->st_mode) ? -EINVAL : 0;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int ta_open_regular_at(int dirfd, const char *name, struct stat *st)
{
	return open_regular(dirfd, name, O_NOFOLLOW, st);
}

int ta_open_named_regular(const char *path, struct stat *st)
{
	return open_regular(AT_FDCWD, path, 0, st);
}

int ta_read_regular_at(int dirfd, const char *name, size_t max, char **buf, size_t *len)
{
	int fd = ta_open_regular_at(dirfd, name, NULL);
	if (fd < 0)
		return fd;
	int err = ta_read_fd(fd, max, buf, len);
	close(fd);
	return err;
}

const char *ta_regular_strerror(int err)
{
	return err == -ELOOP ? "a symbolic link (not followed)" :
	       err == -EINVAL ? "not a regular file (a FIFO or device is not read)" :
	       strerror(-err);
}

int ta_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

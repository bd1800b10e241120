// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/fs.h"

#include <errno.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

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

// SPDX-License-Identifier: GPL-2.0-or-later
#include "trusted_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int owner_ok(const struct stat *st)
{
	return st->st_uid == 0 || st->st_uid == geteuid();
}

/*
 * A directory nobody else can rename or replace entries of: not writable by
 * others or by a group other than root's, unless sticky (like /tmp: then
 * only an entry's owner may move it, and entries are checked for owners).
 */
static int dir_safe(const struct stat *st)
{
	if (st->st_mode & S_ISVTX)
		return 1;
	return !(st->st_mode & S_IWOTH) && !((st->st_mode & S_IWGRP) && st->st_gid != 0);
}

/*
 * Every prefix of the absolute path abs that ends at a '/' ("/", "/var",
 * "/var/log" for /var/log/x), and abs itself if whole: owned by root or the
 * effective uid, and each directory above the last one safe (dir_safe).
 * follow: stat, for a canonical path; else lstat, so that a symlink on the
 * path as given is judged itself (a user's symlink anywhere on it, or a
 * directory she may write, lets her point the path elsewhere after it was
 * checked, and the daemon opens its files by name while it runs: its status
 * file then overwrote a root file of her choosing, and a swap between the
 * check and the store's open put the log in her directory, signed with her
 * key). `named` is the path as the caller gave it, for the message.
 */
static int prefixes_trusted(const char *abs, const char *named, int whole, int follow, char *why,
			    size_t why_len)
{
	size_t n = strlen(abs);
	char part[PATH_MAX];

	for (size_t i = 0; i <= n; i++) {
		size_t len = i == 0 ? 1 : i;
		int last = i == n;
		struct stat st;

		if ((last ? !whole : abs[i] != '/') || len >= sizeof(part))
			continue;
		memcpy(part, abs, len);
		part[len] = '\0';
		if (follow ? stat(part, &st) : lstat(part, &st)) {
			int err = -errno;

			snprintf(why, why_len, "cannot stat %s: %s", part, strerror(-err));
			return err;
		}
		if (!owner_ok(&st)) {
			snprintf(why, why_len, "%s (on the path %s) is owned by uid %u, not root", part,
				 named, (unsigned)st.st_uid);
			return -EPERM;
		}
		if (!last && S_ISDIR(st.st_mode) && !dir_safe(&st)) {
			snprintf(why, why_len, "%s (on the path %s) is writable by %s", part, named,
				 st.st_mode & S_IWOTH ? "others" : "its group");
			return -EPERM;
		}
	}
	return 0;
}

/* The path as given (made absolute), each component itself (prefixes_trusted). */
static int components_trusted(const char *path, char *why, size_t why_len)
{
	char abs[PATH_MAX], cwd[PATH_MAX];
	int n;

	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		int err = -errno;

		snprintf(why, why_len, "cannot resolve %s: %s", path, strerror(-err));
		return err;
	}
	n = path[0] == '/' ? snprintf(abs, sizeof(abs), "%s", path) :
			     snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= sizeof(abs)) {
		snprintf(why, why_len, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	return prefixes_trusted(abs, path, 1, 0, why, why_len);
}

int ta_path_trusted(const char *path, mode_t forbid, char *why, size_t why_len)
{
	char *real;
	struct stat st;
	int err;

	if (stat(path, &st)) {
		err = -errno;
		snprintf(why, why_len, "cannot stat %s: %s", path, strerror(-err));
		return err;
	}
	if (!owner_ok(&st)) {
		snprintf(why, why_len, "%s is owned by uid %u, not root", path, (unsigned)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & forbid) {
		snprintf(why, why_len, "%s has mode %04o: %s", path, (unsigned)(st.st_mode & 07777),
			 (st.st_mode & forbid & 0022) ? "others may change it" :
							"others may read it");
		return -EPERM;
	}
	err = components_trusted(path, why, why_len);
	if (err)
		return err;
	real = realpath(path, NULL);
	if (!real) {
		err = -errno;
		snprintf(why, why_len, "cannot resolve %s: %s", path, strerror(-err));
		return err;
	}
	/* And as resolved: every directory above it (a root symlink may point anywhere). */
	err = prefixes_trusted(real, path, 0, 1, why, why_len);
	free(real);
	return err;
}

int ta_parent_trusted(const char *dir, char *why, size_t why_len)
{
	struct stat st;
	int err = ta_path_trusted(dir, 0, why, why_len);

	if (err)
		return err;
	if (stat(dir, &st)) {
		err = -errno;
		snprintf(why, why_len, "cannot stat %s: %s", dir, strerror(-err));
		return err;
	}
	if (!dir_safe(&st)) {
		snprintf(why, why_len, "%s is writable by %s", dir,
			 st.st_mode & S_IWOTH ? "others" : "its group");
		return -EPERM;
	}
	return 0;
}

int ta_open_trusted_append(const char *path, char *why, size_t why_len)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd, err;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) < sizeof(dir))
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		return snprintf(why, why_len, "%s: path too long", path), -ENAMETOOLONG;
	err = ta_parent_trusted(dir, why, why_len);
	if (err)
		return err;
	/* Said plainly; O_NOFOLLOW below still refuses one put there after this look. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(why, why_len, "%s is a symlink", path);
		return -ELOOP;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		err = -errno;
		snprintf(why, why_len, "cannot open %s: %s", path,
			 err == -ELOOP ? "it is a symlink" :
			 err == -ENXIO ? "it is a FIFO nobody reads" : strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		snprintf(why, why_len, "cannot stat %s: %s", path, strerror(-err));
	} else if (!S_ISREG(st.st_mode)) {
		err = -EPERM;
		snprintf(why, why_len, "%s is not a regular file", path);
	} else if (!owner_ok(&st)) {
		err = -EPERM;
		snprintf(why, why_len, "%s is owned by uid %u, not root", path, (unsigned)st.st_uid);
	} else if (st.st_nlink != 1) {
		err = -EPERM;
		snprintf(why, why_len, "%s has %lu links: another name may be another user's",
			 path, (unsigned long)st.st_nlink);
	} else if (st.st_mode & 0022) {
		err = -EPERM;
		snprintf(why, why_len, "%s has mode %04o: others may change it", path,
			 (unsigned)(st.st_mode & 07777));
	}
	if (err) {
		close(fd);
		return err;
	}
	/* A regular file: blocking writes, as every other file the daemon writes. */
	fcntl(fd, F_SETFL, O_APPEND);
	return fd;
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "trusted_path.h"

#include <errno.h>
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

/* Every directory above the canonical path `real` ("/", "/var", "/var/log" for /var/log/x). */
static int ancestors_trusted(const char *real, char *why, size_t why_len)
{
	const char *last = strrchr(real, '/');
	size_t end = last ? (size_t)(last - real) : 0;
	char dir[PATH_MAX];

	for (size_t i = 0; i <= end; i++) {
		size_t len = i == 0 ? 1 : i;
		struct stat st;

		if (real[i] != '/' || len >= sizeof(dir))
			continue;
		memcpy(dir, real, len);
		dir[len] = '\0';
		if (stat(dir, &st)) {
			int err = -errno;

			snprintf(why, why_len, "cannot stat %s: %s", dir, strerror(-err));
			return err;
		}
		if (!owner_ok(&st)) {
			snprintf(why, why_len, "%s (above %s) is owned by uid %u, not root", dir, real,
				 (unsigned)st.st_uid);
			return -EPERM;
		}
		if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
			snprintf(why, why_len, "%s (above %s) is writable by others", dir, real);
			return -EPERM;
		}
	}
	return 0;
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
	real = realpath(path, NULL);
	if (!real) {
		err = -errno;
		snprintf(why, why_len, "cannot resolve %s: %s", path, strerror(-err));
		return err;
	}
	err = ancestors_trusted(real, why, why_len);
	free(real);
	return err;
}

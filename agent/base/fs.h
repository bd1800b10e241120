/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small filesystem helpers, one home each. */
#ifndef TA_COMMON_FS_H
#define TA_COMMON_FS_H

#include <sys/types.h>

/*
 * Creates dir and every missing parent with mode (existing ones are left
 * as they are). 0 or -errno (-ENAMETOOLONG past PATH_MAX).
 */
int ta_mkdir_p(const char *dir, mode_t mode);
/* The same for the directory that holds path (its last component is not created). */
int ta_mkdir_parent(const char *path, mode_t mode);

/*
 * Sets or clears FS_APPEND_FL ("chattr +a": the store seals its files so;
 * retention and tests clear it). 0 or -errno (-ENOTTY/-EOPNOTSUPP: the
 * filesystem lacks it).
 */
int ta_set_append_only(int fd, int on);
/* 1 if the file has FS_APPEND_FL, 0 if not, -errno if the flags cannot be read. */
int ta_get_append_only(int fd);

#endif

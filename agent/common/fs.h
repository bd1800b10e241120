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

#endif

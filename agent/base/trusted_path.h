/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Paths the daemon trusts with the log, its signing key and its login socket:
 * only root (or the daemon's own user) may be able to change them.
 */
#ifndef TA_TRUSTED_PATH_H
#define TA_TRUSTED_PATH_H

#include <stddef.h>
#include <sys/types.h>

/*
 * 0 if `path` exists, is owned by root or the effective uid, has none of the
 * mode bits in `forbid` (0022: writable by group or others), and every
 * directory above it is owned by root or the effective uid and, if others
 * may write it, sticky (like /tmp). Otherwise -EPERM (or the -errno of a
 * failed stat) and one sentence in `why` naming the offending path.
 * Never changes a mode or an owner.
 */
int ta_path_trusted(const char *path, mode_t forbid, char *why, size_t why_len);

#endif

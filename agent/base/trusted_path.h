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
 * directory above it, as given and as resolved, is owned by root or the
 * effective uid and, if others or a group other than root's may write it,
 * sticky (like /tmp); every symlink on the path as given is root's (or the
 * effective uid's) too. Otherwise -EPERM (or the -errno of a failed stat)
 * and one sentence in `why` naming the offending path. Never changes a mode
 * or an owner. So nobody else can make the path name another file later:
 * the daemon opens its files by name while it runs.
 */
int ta_path_trusted(const char *path, mode_t forbid, char *why, size_t why_len);

/*
 * 0 if `dir` may hold files the daemon makes: trusted (ta_path_trusted) and
 * writable by root alone, or sticky like /tmp (where nobody else can move
 * what root made). Else -errno and one sentence in `why`.
 */
int ta_parent_trusted(const char *dir, char *why, size_t why_len);

/*
 * Opens `path` to append to it, made 0600 if absent (a JSON Lines copy, an
 * alerts file): its directory must be trusted (ta_parent_trusted), and
 * the file a regular one of root or the effective uid, with one link, that
 * nobody else may write; never a symlink (O_NOFOLLOW), a FIFO or a device
 * (O_NONBLOCK: a FIFO without a reader made the daemon hang in open()).
 * The fd, or -errno and one sentence in `why`.
 */
int ta_open_trusted_append(const char *path, char *why, size_t why_len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small filesystem helpers, one home each. */
#ifndef TA_COMMON_FS_H
#define TA_COMMON_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
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

/*
 * Reads fd to its end into a new NUL-terminated buffer (*buf, free it;
 * *len without the NUL): regular files, pipes alike. More than max bytes:
 * -EFBIG. 0 or -errno (a read error is an error, not a short file).
 */
int ta_read_fd(int fd, size_t max, char **buf, size_t *len);
/* What ta_read_file_at reads at most. */
#define TA_READ_FILE_MAX (64u << 20)
/*
 * The same for a file (relative to dirfd unless absolute or AT_FDCWD), at most
 * TA_READ_FILE_MAX: for files the user names, which may be a symbolic link or a
 * pipe (--password-file <(...)).
 */
int ta_read_file_at(int dirfd, const char *name, char **buf, size_t *len);
/*
 * Opens a file someone else may have put there (the shipper's state, any file
 * of a log directory) for reading: a regular file only. A symbolic link as its
 * last component is refused (-ELOOP), a FIFO or device is opened without
 * blocking and refused (-EINVAL). The fd, with *st when st is not NULL, or -errno.
 */
int ta_open_regular_at(int dirfd, const char *name, struct stat *st);
/* The same, read whole (ta_read_fd): at most max bytes, a larger file -EFBIG. */
int ta_read_regular_at(int dirfd, const char *name, size_t max, char **buf, size_t *len);
/* One phrase for an error of ta_open_regular_at or ta_read_regular_at. */
const char *ta_regular_strerror(int err);
/*
 * ta_open_regular_at for a file the investigator names (--audit-log,
 * --asciicast): links are followed. A directory, FIFO or device: -EINVAL.
 */
int ta_open_named_regular(const char *path, struct stat *st);
/* Writes all n bytes (retrying short writes and EINTR). 0 or -errno. */
int ta_write_all(int fd, const void *p, size_t n);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The project's one reader of "key = value" files (ttyauditd.conf, the alert
 * rules file, audisp-ttyaudit's config=FILE): '#' comments, one setting per line,
 * errors as one line "FILE:LINE: KEY: what is wrong". Files are checked
 * like the configuration: a regular file, at most 1 MiB, and with
 * TA_KV_CHECK_PERMS owned by root (or us) and not writable by group or others.
 */
#ifndef TA_COMMON_KV_H
#define TA_COMMON_KV_H

#include <stddef.h>

enum ta_kv_flags {
	TA_KV_OPTIONAL = 1,     /* a missing file is not an error */
	TA_KV_CHECK_PERMS = 2,  /* refuse a file another user owns or others may write */
	TA_KV_NOFOLLOW = 4,     /* refuse a symbolic link (-ELOOP) */
};

/* Where the reader is; handed to the callback for its error messages. */
struct ta_kv_reader {
	const char *name;  /* file name used in messages */
	unsigned line;     /* 1-based line being read */
	char *err;
	size_t err_len;
};

/*
 * Called for each setting: key (non-empty) and value (may be empty) trimmed, both
 * NUL-terminated. Returns 0, or a negative errno after ta_kv_fail().
 */
typedef int (*ta_kv_fn)(void *ctx, struct ta_kv_reader *r, const char *key, const char *value);

/* Writes "NAME:LINE: KEY: message" (no KEY part if key is NULL); returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
int ta_kv_fail(struct ta_kv_reader *r, const char *key, const char *fmt, ...);

/* Reads text in memory; name is used in messages. 0 or the first error. */
int ta_kv_parse_text(const char *name, const char *text, size_t len, ta_kv_fn fn, void *ctx,
		     char *err, size_t err_len);

/*
 * Reads the file at path. -ENOENT if missing (0 with TA_KV_OPTIONAL, fn never
 * called), -EPERM on unsafe ownership or mode, -EINVAL on a bad line, other
 * -errno on I/O; err says which.
 */
int ta_kv_parse_file(const char *path, unsigned flags, ta_kv_fn fn, void *ctx, char *err,
		     size_t err_len);

#endif

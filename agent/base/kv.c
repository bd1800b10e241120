// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * "key = value" line reader (common/kv.h). Strict on purpose: files
 * that decide what an audit tool records or reports must never be half
 * understood, so malformed lines are errors with the file and line.
 */
#include "base/fs.h"
#include "base/kv.h"
#include "base/trusted_path.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FILE_BYTES (1u << 20)
#define MAX_LINE 4096

int ta_kv_fail(struct ta_kv_reader *r, const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key)
		snprintf(r->err, r->err_len, "%s:%u: %s: %s", r->name, r->line, key, what);
	else
		snprintf(r->err, r->err_len, "%s:%u: %s", r->name, r->line, what);
	return -EINVAL;
}

static char *trim_end(char *s, char *end)
{
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

/* One line, without its newline, NUL-terminated; may be modified. */
static int parse_line(struct ta_kv_reader *r, char *s, ta_kv_fn fn, void *ctx)
{
	char *eq, *key, *val;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == '#')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return ta_kv_fail(r, NULL, "expected 'key = value', got '%.200s'", s);
	key = trim_end(s, eq);
	if (!*key)
		return ta_kv_fail(r, NULL, "a line starts with '=' (no key)");
	/* value: a '#' after white space starts a comment */
	val = eq + 1;
	for (char *p = val; *p; p++)
		if (*p == '#' && (p == val || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	while (isspace((unsigned char)*val))
		val++;
	trim_end(val, val + strlen(val));
	return fn(ctx, r, key, val);
}

int ta_kv_parse_text(const char *name, const char *text, size_t len, ta_kv_fn fn, void *ctx,
		     char *err, size_t err_len)
{
	struct ta_kv_reader r = { .name = name, .err = err, .err_len = err_len };
	size_t pos = 0;
	int rc = 0;

	err[0] = '\0';
	while (pos < len && !rc) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl ? (size_t)(nl - text) : len) - pos;
		char line[MAX_LINE + 1];

		r.line++;
		if (memchr(text + pos, '\0', n))
			return ta_kv_fail(&r, NULL, "the line holds a NUL byte");
		if (n > MAX_LINE)
			return ta_kv_fail(&r, NULL, "line longer than %d bytes", MAX_LINE);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		rc = parse_line(&r, line, fn, ctx);
		pos += n + 1;
	}
	return rc;
}

int ta_kv_parse_file(const char *path, unsigned flags, ta_kv_fn fn, void *ctx, char *err,
		     size_t err_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc;

	err[0] = '\0';
	/*
	 * Whoever can change a directory on the path can put another file there (a
	 * link to any root file: its contents echoed in the error, or an empty one:
	 * no rules) between two loads. Judged before the open, as the key's path is.
	 */
	if (flags & TA_KV_CHECK_PERMS) {
		char why[400];

		rc = ta_path_trusted(path, 0, why, sizeof(why));
		if (rc == -ENOENT && (flags & TA_KV_OPTIONAL))
			return 0;
		if (rc == -ENOENT)
			snprintf(err, err_len, "%s: cannot open: %s", path, strerror(-rc));
		else if (rc)
			snprintf(err, err_len, "%s: %s%s", path, why,
				 rc == -EPERM ? "; it and the directories above it must be "
						"root's alone" : "");
		if (rc)
			return rc;
	}
	/* A regular file only, opened without blocking: a FIFO in its place held the
	 * daemon in open() for ever, at start or at SIGHUP (on the drain's thread). */
	fd = (flags & TA_KV_NOFOLLOW) ? ta_open_regular_at(AT_FDCWD, path, &st) :
					ta_open_named_regular(path, &st);
	if (fd == -EINVAL) {
		snprintf(err, err_len, "%s: not a regular file", path);
		return fd;
	}
	if (fd < 0) {
		if (fd == -ENOENT && (flags & TA_KV_OPTIONAL))
			return 0;
		snprintf(err, err_len, "%s: cannot open: %s", path, strerror(-fd));
		return fd;
	}
	/* Whoever can write this file decides what is recorded or reported. */
	if ((flags & TA_KV_CHECK_PERMS) && st.st_uid != 0 && st.st_uid != geteuid()) {
		rc = -EPERM;
		snprintf(err, err_len, "%s: owned by uid %u; it must belong to root", path,
			 (unsigned)st.st_uid);
		goto out;
	}
	if ((flags & TA_KV_CHECK_PERMS) && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		rc = -EPERM;
		snprintf(err, err_len, "%s: writable by group or others (mode %04o); "
			 "it must not be (chmod go-w)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	rc = ta_read_fd(fd, MAX_FILE_BYTES, &buf, &len);
	if (rc == -EFBIG) {
		snprintf(err, err_len, "%s: larger than %u bytes", path, MAX_FILE_BYTES);
		goto out;
	}
	if (rc == -ENOMEM) {
		snprintf(err, err_len, "%s: out of memory", path);
		goto out;
	}
	if (rc) {
		snprintf(err, err_len, "%s: read: %s", path, strerror(-rc));
		goto out;
	}
	rc = ta_kv_parse_text(path, buf, len, fn, ctx, err, err_len);
out:
	free(buf);
	close(fd);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Checkpoints in the audit trail: writer and reader (see anchor.h). */
#include "sessions/anchor.h"

#include "base/base64.h"

#include <auparse.h>
#include <errno.h>
#include <libaudit.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ta_anchor_record_type(void)
{
	return AUDIT_TRUSTED_APP;
}

int ta_anchor_format(char *buf, size_t cap, const char *origin, uint64_t size,
		     const uint8_t *root, size_t root_len)
{
	char r64[(TA_ANCHOR_ROOT_MAX + 2) / 3 * 4 + 1];
	char *enc;
	int n;

	if (!origin || !*origin || strlen(origin) >= TA_ANCHOR_ORIGIN_MAX ||
	    !root || root_len == 0 || root_len > TA_ANCHOR_ROOT_MAX)
		return -EINVAL;
	ta_base64_encode(root, root_len, r64); /* r64 holds TA_ANCHOR_ROOT_MAX's */
	enc = audit_encode_nv_string("origin", origin, 0);
	if (!enc)
		return -ENOMEM;
	n = snprintf(buf, cap, "op=" TA_ANCHOR_OP " %s size=%llu root=%s", enc,
		     (unsigned long long)size, r64);
	free(enc);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

/* Is an audit daemon registered to receive what we send? */
static int audit_daemon_pid(int fd, uint32_t *pid)
{
	struct audit_reply rep;

	if (audit_request_status(fd) <= 0)
		return errno ? -errno : -EIO;
	for (int i = 0; i < 8; i++) {
		int rc = audit_get_reply(fd, &rep, GET_REPLY_BLOCKING, 0);

		if (rc <= 0)
			return errno ? -errno : -EIO;
		if (rep.type == AUDIT_GET && rep.status) {
			*pid = rep.status->pid;
			return 0;
		}
		if (rep.type == NLMSG_ERROR && rep.error && rep.error->error)
			return rep.error->error;
	}
	return -EIO;
}

int ta_anchor_write(const char *origin, uint64_t size, const uint8_t *root, size_t root_len)
{
	char msg[1024];
	uint32_t pid = 0;
	int fd, rc, en;

	rc = ta_anchor_format(msg, sizeof(msg), origin, size, root, root_len);
	if (rc < 0)
		return rc;
	fd = audit_open();
	if (fd < 0) {
		if (errno == EINVAL || errno == EPROTONOSUPPORT || errno == EAFNOSUPPORT)
			return -EPROTONOSUPPORT;
		return errno ? -errno : -EIO;
	}
	en = audit_is_enabled(fd);
	if (en < 0) {
		rc = errno == EPERM || errno == EACCES ? -EPERM : -ENOTCONN;
		goto out;
	}
	if (en == 0) {
		rc = -ENOTCONN;
		goto out;
	}
	rc = audit_daemon_pid(fd, &pid);
	if (rc < 0)
		goto out;
	if (pid == 0) {
		rc = -ENOTCONN;
		goto out;
	}
	errno = 0;
	if (audit_log_user_message(fd, AUDIT_TRUSTED_APP, msg, NULL, NULL, NULL, 1) <= 0)
		rc = errno ? -errno : -EIO;
	else
		rc = 0;
out:
	audit_close(fd);
	return rc;
}

int ta_anchor_send(int audit_fd, const char *origin, uint64_t size, const uint8_t *root,
		   size_t root_len)
{
	char msg[1024];
	int rc = ta_anchor_format(msg, sizeof(msg), origin, size, root, root_len);

	if (rc < 0)
		return rc;
	errno = 0;
	if (audit_log_user_message(audit_fd, AUDIT_TRUSTED_APP, msg, NULL, NULL, NULL, 1) <= 0)
		return errno ? -errno : -EIO;
	return 0;
}

/* origin="text" or origin=HEX, as audit_encode_nv_string writes it. */
static int decode_origin(const char *raw, char *out, size_t cap)
{
	size_t n = strlen(raw);

	if (n >= 2 && raw[0] == '"' && raw[n - 1] == '"') {
		if (n - 2 == 0 || n - 2 >= cap)
			return -EINVAL;
		memcpy(out, raw + 1, n - 2);
		out[n - 2] = '\0';
		return 0;
	}
	if (n == 0 || n % 2 || n / 2 >= cap)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;
		char pair[3] = { raw[i], raw[i + 1], 0 };

		if (!strchr("0123456789ABCDEFabcdef", pair[0]) ||
		    !strchr("0123456789ABCDEFabcdef", pair[1]) || sscanf(pair, "%2x", &v) != 1)
			return -EINVAL;
		if (v == 0)
			return -EINVAL;
		out[i / 2] = (char)v;
	}
	out[n / 2] = '\0';
	return 0;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static uint32_t u32_or_unset(const char *s)
{
	uint64_t v;

	return parse_u64(s, &v) && v <= 0xffffffffu ? (uint32_t)v : 0xffffffffu;
}

/* Fields of the current record; 1 if it is a well-formed checkpoint. */
static int parse_anchor(auparse_state_t *au, struct ta_anchor *a)
{
	const char *op = NULL;
	bool have_origin = false, have_size = false, have_root = false, bad = false;
	const au_event_t *ts = auparse_get_timestamp(au);

	memset(a, 0, sizeof(*a));
	a->pid = a->uid = a->auid = a->ses = 0xffffffffu;
	if (ts) {
		a->time_sec = ts->sec;
		a->time_msec = ts->milli;
		a->serial = ts->serial;
	}
	if (auparse_first_field(au) <= 0)
		return 0;
	do {
		const char *name = auparse_get_field_name(au);
		const char *val = auparse_get_field_str(au);

		if (!name || !val)
			continue;
		if (!strcmp(name, "op") && !op) {
			if (strcmp(val, TA_ANCHOR_OP) != 0)
				return 0;
			op = val;
		} else if (!op) {
			/* kernel part, before msg='...' */
			if (!strcmp(name, "pid"))
				a->pid = u32_or_unset(val);
			else if (!strcmp(name, "uid"))
				a->uid = u32_or_unset(val);
			else if (!strcmp(name, "auid"))
				a->auid = u32_or_unset(val);
			else if (!strcmp(name, "ses"))
				a->ses = u32_or_unset(val);
		} else if (!strcmp(name, "origin") && !have_origin) {
			have_origin = true;
			bad |= decode_origin(val, a->origin, sizeof(a->origin)) < 0;
		} else if (!strcmp(name, "size") && !have_size) {
			have_size = true;
			bad |= !parse_u64(val, &a->size);
		} else if (!strcmp(name, "root") && !have_root) {
			/* Canonical: one spelling of a root. */
			long n = ta_base64_decode(val, strlen(val), a->root, sizeof(a->root),
						  TA_BASE64_CANONICAL);

			have_root = true;
			if (n <= 0)
				bad = true;
			else
				a->root_len = (size_t)n;
		} else if (!strcmp(name, "exe") && !a->exe[0]) {
			const char *v = auparse_interpret_field(au);

			snprintf(a->exe, sizeof(a->exe), "%s", v ? v : val);
		} else if (!strcmp(name, "res")) {
			a->success = !strcmp(val, "success") || !strcmp(val, "1");
		}
	} while (auparse_next_field(au) > 0);
	if (!op)
		return 0;
	if (bad || !have_origin || !have_size || !have_root)
		return -EBADMSG;
	return 1;
}

int ta_anchor_read_file(const char *path, struct ta_anchor **out, size_t *malformed)
{
	auparse_state_t *au;
	struct ta_anchor *v = NULL;
	size_t n = 0, cap = 0, bad = 0;
	FILE *f;

	*out = NULL;
	/* auparse says little about why a file would not open: check first. */
	f = fopen(path, "r");
	if (!f)
		return -errno;
	fclose(f);
	errno = 0;
	au = auparse_init(AUSOURCE_FILE, path);
	if (!au)
		return errno ? -errno : -EIO;
	while (auparse_next_event(au) > 0) {
		if (auparse_first_record(au) <= 0)
			continue;
		do {
			struct ta_anchor a;
			int rc;

			if (auparse_get_type(au) != AUDIT_TRUSTED_APP)
				continue;
			rc = parse_anchor(au, &a);
			if (rc < 0)
				bad++;
			if (rc <= 0)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				struct ta_anchor *nv = realloc(v, nc * sizeof(*nv));

				if (!nv) {
					free(v);
					auparse_destroy(au);
					return -ENOMEM;
				}
				v = nv;
				cap = nc;
			}
			v[n++] = a;
		} while (auparse_next_record(au) > 0);
	}
	auparse_destroy(au);
	if (malformed)
		*malformed = bad;
	*out = v;
	return (int)n;
}

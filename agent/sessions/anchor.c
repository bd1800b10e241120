// SPDX-License-Identifier: GPL-2.0-or-later
/* Checkpoints in the audit trail: the writer (see anchor.h; the reader is anchor_read.c). */
#include "sessions/anchor.h"

#include "base/base64.h"

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

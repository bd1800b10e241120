// SPDX-License-Identifier: GPL-2.0-or-later
#include "alerts/deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libaudit.h>

static const char *const on_names[] = {
	[TA_ALERT_ON_EXEC] = "exec", [TA_ALERT_ON_INPUT] = "input",
	[TA_ALERT_ON_OUTPUT] = "output", [TA_ALERT_ON_SESSION] = "session",
	[TA_ALERT_ON_FOOTPRINT] = "footprint", [TA_ALERT_ON_WATCH] = "watch",
	[TA_ALERT_ON_ATTACH] = "attach",
};

static const char *on_name(uint8_t on)
{
	return on < sizeof(on_names) / sizeof(on_names[0]) && on_names[on] ? on_names[on] : "?";
}

int ta_alert_out_open(struct ta_alert_out *o, int audit_fd, const char *jsonl_path,
		      bool to_syslog)
{
	o->audit_fd = audit_fd;
	o->jsonl_fd = -1;
	o->to_syslog = to_syslog;
	if (jsonl_path && jsonl_path[0]) {
		o->jsonl_fd = open(jsonl_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
				   0600);
		if (o->jsonl_fd < 0)
			return -errno;
	}
	if (to_syslog)
		openlog("ttyauditd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	return 0;
}

void ta_alert_out_close(struct ta_alert_out *o)
{
	if (o->jsonl_fd >= 0)
		close(o->jsonl_fd);
	o->jsonl_fd = -1;
	if (o->to_syslog)
		closelog();
	o->to_syslog = false;
}

void ta_alert_to_json(struct ta_json *j, const struct ta_alert_hit *h)
{
	ta_json_obj_begin(j);
	/* not "time": the log's JSON Lines form puts the record's own time there */
	ta_json_key(j, "event_time");
	ta_json_time(j, h->realtime_ns);
	ta_json_key(j, "rule");
	ta_json_str(j, h->rule);
	ta_json_key(j, "severity");
	ta_json_str(j, h->severity);
	ta_json_key(j, "on");
	ta_json_str(j, on_name(h->on));
	if (h->description && h->description[0]) {
		ta_json_key(j, "description");
		ta_json_str(j, h->description);
	}
	if (h->summary) {
		ta_json_key(j, "suppressed");
		ta_json_u64(j, h->suppressed);
		ta_json_key(j, "rate_limit_lifted");
		ta_json_bool(j, true);
		ta_json_obj_end(j);
		return;
	}
	ta_json_key(j, "ses");
	ta_json_id(j, h->ses);
	ta_json_key(j, "auid");
	ta_json_id(j, h->auid);
	ta_json_key(j, "uid");
	ta_json_id(j, h->uid);
	ta_json_key(j, "pid");
	ta_json_id(j, h->pid);
	ta_json_key(j, "tty");
	ta_json_str(j, h->tty);
	ta_json_key(j, "comm");
	ta_json_str(j, h->comm);
	ta_json_key(j, "subject");
	ta_json_strn(j, h->subject, h->subject_len);
	if (h->subject_cut) {
		ta_json_key(j, "subject_cut");
		ta_json_bool(j, true);
	}
	ta_json_key(j, "suppressed");
	ta_json_u64(j, h->suppressed);
	ta_json_obj_end(j);
}

/* name=value with libaudit's encoding ("text" or HEX), appended at buf+*pos. */
static int add_nv(char *buf, size_t cap, size_t *pos, const char *name, const char *v, size_t n)
{
	char *enc = audit_encode_nv_string(name, v, (unsigned)n);
	int w;

	if (!enc)
		return -ENOMEM;
	w = snprintf(buf + *pos, cap - *pos, " %s", enc);
	free(enc);
	if (w < 0 || (size_t)w >= cap - *pos)
		return -ENOSPC;
	*pos += (size_t)w;
	return 0;
}

int ta_alert_audit_format(char *buf, size_t cap, const struct ta_alert_hit *h)
{
	size_t pos;
	int w, rc;

	w = snprintf(buf, cap, "op=%s", TA_ALERT_AUDIT_OP);
	if (w < 0 || (size_t)w >= cap)
		return -ENOSPC;
	pos = (size_t)w;
	rc = add_nv(buf, cap, &pos, "rule", h->rule, strlen(h->rule));
	if (rc)
		return rc;
	w = snprintf(buf + pos, cap - pos, " severity=%s on=%s ses=%d auid=%d uid=%d pid=%d",
		     h->severity, on_name(h->on), (int)h->ses, (int)h->auid, (int)h->uid,
		     (int)h->pid);
	if (w < 0 || (size_t)w >= cap - pos)
		return -ENOSPC;
	pos += (size_t)w;
	if (!h->summary) {
		rc = add_nv(buf, cap, &pos, "tty", h->tty[0] ? h->tty : "none",
			    strlen(h->tty[0] ? h->tty : "none"));
		if (!rc)
			rc = add_nv(buf, cap, &pos, "subject", h->subject_len ? h->subject : "-",
				    h->subject_len ? h->subject_len : 1);
		if (rc)
			return rc;
	}
	w = snprintf(buf + pos, cap - pos, " suppressed=%llu", (unsigned long long)h->suppressed);
	if (w < 0 || (size_t)w >= cap - pos)
		return -ENOSPC;
	return (int)(pos + (size_t)w);
}

static int severity_priority(const char *s)
{
	if (!strcmp(s, "critical"))
		return LOG_CRIT;
	if (!strcmp(s, "high"))
		return LOG_ERR;
	if (!strcmp(s, "medium"))
		return LOG_WARNING;
	return LOG_NOTICE;
}

int ta_alert_out_send(struct ta_alert_out *o, const struct ta_alert_hit *h,
		      const struct ta_json *obj, int *err)
{
	char msg[4 * TA_ALERT_LINE_MAX];
	int failed = 0, rc;

	*err = 0;
	if (o->audit_fd >= 0) {
		rc = ta_alert_audit_format(msg, sizeof(msg), h);
		errno = 0;
		if (rc < 0 ||
		    audit_log_user_message(o->audit_fd, AUDIT_TRUSTED_APP, msg, NULL, NULL, NULL,
					   1) <= 0) {
			*err = rc < 0 ? rc : errno ? -errno : -EIO;
			failed |= TA_ALERT_FAILED_AUDIT;
		}
	}
	if (o->to_syslog) {
		if (h->summary)
			syslog(LOG_AUTHPRIV | LOG_NOTICE, "alert %s: rate limit lifted, %llu hits "
			       "suppressed", h->rule, (unsigned long long)h->suppressed);
		else
			syslog(LOG_AUTHPRIV | severity_priority(h->severity),
			       "alert %s (%s): ses=%d auid=%d uid=%d pid=%d tty=%s: %.*s", h->rule,
			       h->severity, (int)h->ses, (int)h->auid, (int)h->uid, (int)h->pid,
			       h->tty[0] ? h->tty : "none", (int)(h->subject_len > 512 ? 512 :
								  h->subject_len), h->subject);
	}
	if (o->jsonl_fd >= 0 && !obj->oom) {
		struct iovec iov[2] = {
			{ .iov_base = obj->buf, .iov_len = obj->len },
			{ .iov_base = (void *)"\n", .iov_len = 1 },
		};
		ssize_t n = writev(o->jsonl_fd, iov, 2);

		if (n != (ssize_t)(obj->len + 1)) {
			*err = n < 0 ? -errno : -EIO;
			failed |= TA_ALERT_FAILED_JSONL;
		}
	}
	return failed;
}

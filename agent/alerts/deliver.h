/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where an alert goes besides the log: the audit trail (libaudit, type
 * AUDIT_TRUSTED_APP, "op=ttyaudit-alert ..."), syslog (LOG_AUTHPRIV) and an
 * optional JSON Lines file. The log record itself is written by the daemon
 * from the same JSON object (ta_alert_to_json), so every copy says the same.
 */
#ifndef TA_ALERTS_DELIVER_H
#define TA_ALERTS_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "alerts/alerts.h"
#include "common/json.h"

#define TA_ALERT_AUDIT_OP "ttyaudit-alert"

struct ta_alert_out {
	int audit_fd;      /* audit netlink socket (not owned), -1: none */
	int jsonl_fd;      /* -1: none */
	bool to_syslog;
};

/* jsonl_path NULL or "": no file. 0 or -errno (the file cannot be opened). */
int ta_alert_out_open(struct ta_alert_out *o, int audit_fd, const char *jsonl_path,
		      bool to_syslog);
void ta_alert_out_close(struct ta_alert_out *o);

/* The alert as one JSON object (keys in docs/alerts.md), without a "type". */
void ta_alert_to_json(struct ta_json *j, const struct ta_alert_hit *h);

/*
 * The audit message: op=ttyaudit-alert rule=.. severity=.. ses=.. auid=..
 * uid=.. pid=.. tty=.. subject=.. suppressed=.., names and text encoded with
 * audit_encode_nv_string. Its length, or -ENOSPC / -ENOMEM.
 */
int ta_alert_audit_format(char *buf, size_t cap, const struct ta_alert_hit *h);

/*
 * Sends to every configured destination (all are tried). Returns 0, or a
 * bit set of the destinations that failed (TA_ALERT_FAILED_*) with *err the
 * last -errno.
 */
enum { TA_ALERT_FAILED_AUDIT = 1, TA_ALERT_FAILED_JSONL = 2 };
int ta_alert_out_send(struct ta_alert_out *o, const struct ta_alert_hit *h,
		      const struct ta_json *obj, int *err);

#endif

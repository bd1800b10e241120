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
#include <stdint.h>

#include "alerts/alerts.h"
#include "base/json.h"

#define TA_ALERT_AUDIT_OP "ttyaudit-alert"

/*
 * Delivery runs on a thread of its own behind a bounded queue, so a slow
 * syslog or an audit backlog (the kernel makes a sender wait when auditd
 * falls behind) never holds up recording: when the queue is full, the
 * alert is dropped for these destinations (it is in the log regardless)
 * and counted. The thread starts with the first alert (after the daemon
 * has dropped its capabilities, which are per thread).
 */
#define TA_ALERT_QUEUE 256

struct ta_alert_out;

struct ta_alert_out_status {
	uint64_t sent, dropped;          /* dropped: the queue was full */
	uint64_t audit_failed, jsonl_failed;
	int last_err;                    /* -errno of the last failure, 0 if none */
};

/*
 * audit: send to the audit trail on a netlink socket of the delivery
 * thread's own (opened here, while privileged). jsonl_path NULL or "": no
 * file; else opened by ta_open_trusted_append (base/trusted_path.h), which
 * says in why (why_len bytes; NULL, 0 for none) what it refused. 0, or
 * -errno (the file cannot be opened, no memory, no thread).
 */
int ta_alert_out_open(struct ta_alert_out **out, bool audit, const char *jsonl_path,
		      bool to_syslog, char *why, size_t why_len);
/* Queues the alert for every destination: 0, or -ENOBUFS (dropped and counted). */
int ta_alert_out_send(struct ta_alert_out *o, const struct ta_alert_hit *h,
		      const struct ta_json *obj);
void ta_alert_out_status(struct ta_alert_out *o, struct ta_alert_out_status *st);
/* Delivers what is queued (at most 2 s), stops the thread, closes. NULL is fine. */
void ta_alert_out_close(struct ta_alert_out *o);

/*
 * The syslog line: "alert RULE (SEVERITY): ses=.. auid=.. uid=.. pid=..
 * tty=..: SUBJECT", names and subject neutralised (view/neutralise.h, one
 * line). Freed by the caller; NULL if out of memory.
 */
char *ta_alert_syslog_line(const struct ta_alert_hit *h);

/* The alert as one JSON object (keys in docs/alerts.md), without a "type". */
void ta_alert_to_json(struct ta_json *j, const struct ta_alert_hit *h);

/*
 * The audit message: op=ttyaudit-alert rule=.. severity=.. ses=.. auid=..
 * uid=.. pid=.. tty=.. subject=.. suppressed=.., names and text encoded with
 * audit_encode_nv_string. Its length, or -ENOSPC / -ENOMEM.
 */
int ta_alert_audit_format(char *buf, size_t cap, const struct ta_alert_hit *h);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include "alerting.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static void on_hit(void *ctx, const struct ta_alert_hit *h)
{
	struct ta_alerting *a = ctx;
	struct ta_json *j = &a->scratch;
	int err = 0, failed;

	ta_json_reset(j);
	ta_alert_to_json(j, h);
	/* The signed record first: the log is the one copy that cannot be denied. */
	ta_recorder_record(a->rec, "alert", j);
	failed = ta_alert_out_send(&a->out, h, j, &err);
	if (failed && err != a->last_err)
		ta_warn("alerts", "cannot deliver alert %s to the %s: %s; it is in the log", h->rule,
			(failed & TA_ALERT_FAILED_AUDIT) ? "audit trail" : "alerts file",
			strerror(-err));
	else if (!failed && a->last_err)
		ta_info("alerts", "delivering alerts again");
	a->last_err = failed ? err : 0;
}

static int load(const struct ta_daemon_opts *opts, struct ta_alert_rules **rs, char *path,
		size_t path_len, char *err, size_t err_len)
{
	const char *p = opts->rules_file[0] ? opts->rules_file : TA_DEFAULT_RULES_FILE;
	bool optional = !opts->rules_file[0];
	int rc = ta_alert_rules_load(rs, p, optional, opts->log_dir, err, err_len);

	if (!rc)
		snprintf(path, path_len, "%s", optional && access(p, F_OK) ? "" : p);
	return rc;
}

int ta_alerting_open(struct ta_alerting *a, const struct ta_daemon_opts *opts, int audit_fd,
		     struct ta_recorder *rec, char *err, size_t err_len)
{
	struct ta_alert_rules *rs;
	int rc;

	memset(a, 0, sizeof(*a));
	a->out.audit_fd = a->out.jsonl_fd = -1;
	a->rec = rec;
	ta_json_init(&a->scratch);
	rc = load(opts, &rs, a->rules_path, sizeof(a->rules_path), err, err_len);
	if (rc)
		return rc;
	rc = ta_alert_engine_new(&a->engine, on_hit, a);
	if (rc) {
		ta_alert_rules_free(rs);
		snprintf(err, err_len, "alerts: out of memory");
		return rc;
	}
	ta_alert_engine_set_rules(a->engine, rs);
	rc = ta_alert_out_open(&a->out, audit_fd, opts->alerts_jsonl, true);
	if (rc)
		snprintf(err, err_len, "alerts_jsonl: cannot open %s: %s", opts->alerts_jsonl,
			 strerror(-rc));
	return rc;
}

int ta_alerting_reload(struct ta_alerting *a, const struct ta_daemon_opts *opts, char *err,
		       size_t err_len)
{
	struct ta_alert_rules *rs;
	char path[sizeof(a->rules_path)];
	int rc = load(opts, &rs, path, sizeof(path), err, err_len);

	if (rc)
		return rc;
	ta_alert_engine_set_rules(a->engine, rs);
	memcpy(a->rules_path, path, sizeof(path));
	return 0;
}

void ta_alerting_close(struct ta_alerting *a)
{
	ta_alert_engine_free(a->engine);
	a->engine = NULL;
	ta_alert_out_close(&a->out);
	ta_json_free(&a->scratch);
}

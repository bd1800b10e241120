// SPDX-License-Identifier: GPL-2.0-or-later
#include "alerting.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

static void on_hit(void *ctx, const struct ta_alert_hit *h)
{
	struct ta_alerting *a = ctx;
	struct ta_json *j = &a->scratch;

	ta_json_reset(j);
	ta_alert_to_json(j, h);
	/* The signed record first: the log is the one copy that cannot be denied. */
	ta_recorder_record(a->rec, TA_REC_ALERT, h->ses, j);
	/* Queued for the other destinations; a full queue is counted (ta_alerting_tick). */
	ta_alert_out_send(a->out, h, j);
}

void ta_alerting_tick(struct ta_alerting *a)
{
	struct ta_alert_out_status st, *was = &a->reported;
	struct ta_alert_stats es;

	ta_alert_engine_tick(a->engine, ta_now_ns(CLOCK_REALTIME));
	ta_alert_engine_stats(a->engine, &es);
	if (es.shared_bucket > a->shared_reported)
		ta_warn("alerts", "%llu hits rate-limited in their rule's shared bucket so far: the "
			"table of %d per-person buckets was full", (unsigned long long)es.shared_bucket,
			TA_ALERT_BUCKETS);
	a->shared_reported = es.shared_bucket;
	ta_alert_out_status(a->out, &st);
	if (st.audit_failed > was->audit_failed || st.jsonl_failed > was->jsonl_failed)
		ta_warn("alerts", "%llu alerts not delivered to the audit trail, %llu not to the "
			"alerts file so far: %s; they are in the log",
			(unsigned long long)st.audit_failed, (unsigned long long)st.jsonl_failed,
			strerror(-st.last_err));
	if (st.dropped > was->dropped)
		ta_warn("alerts", "%llu alerts dropped before delivery so far (queue of %d full); "
			"they are in the log", (unsigned long long)st.dropped, TA_ALERT_QUEUE);
	*was = st;
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

int ta_alerting_open(struct ta_alerting *a, const struct ta_daemon_opts *opts,
		     struct ta_recorder *rec, char *err, size_t err_len)
{
	struct ta_alert_rules *rs;
	int rc;

	memset(a, 0, sizeof(*a));
	ta_audit_watches_init(&a->watches, -1);
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
	{
		char why[600];

		snprintf(why, sizeof(why), "%.500s: %s", opts->alerts_jsonl, strerror(ENOMEM));
		rc = ta_alert_out_open(&a->out, true, opts->alerts_jsonl, true, why, sizeof(why));
		if (rc)
			snprintf(err, err_len, "alerts_jsonl: refusing it: %s; point it at a new name "
				 "in a directory only root can change, or remove what is there", why);
	}
	return rc;
}

int ta_alerting_load_next(const struct ta_daemon_opts *opts, struct ta_alerting_next *next,
			  char *err, size_t err_len)
{
	next->rules = NULL;
	return load(opts, &next->rules, next->rules_path, sizeof(next->rules_path), err, err_len);
}

void ta_alerting_use_next(struct ta_alerting *a, struct ta_alerting_next *next)
{
	ta_alert_engine_set_rules(a->engine, next->rules);
	next->rules = NULL;
	memcpy(a->rules_path, next->rules_path, sizeof(a->rules_path));
}

void ta_alerting_drop_next(struct ta_alerting_next *next)
{
	ta_alert_rules_free(next->rules);
	next->rules = NULL;
}

static void watch(struct ta_alerting *a, const char *path, bool dir, unsigned perms)
{
	int rc = ta_audit_watch_add(&a->watches, path, dir, perms, getpid());

	if (rc)
		ta_warn("alerts", "cannot watch %s in the audit trail: %s%s", path, strerror(-rc),
			rc == -EPERM ? " (needs CAP_AUDIT_CONTROL)" : "");
}

void ta_alerting_install_watches(struct ta_alerting *a, const struct ta_daemon_opts *opts,
				 int audit_fd, const char *config_path)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t dl = strlen(opts->log_dir);

	ta_audit_watches_init(&a->watches, audit_fd);
	if (audit_fd < 0)
		return;
	watch(a, opts->log_dir, true, TA_WATCH_READ | TA_WATCH_WRITE | TA_WATCH_ATTR);
	if (opts->key_file[0] &&
	    !(strncmp(opts->key_file, opts->log_dir, dl) == 0 && opts->key_file[dl] == '/'))
		watch(a, opts->key_file, false, TA_WATCH_READ | TA_WATCH_WRITE | TA_WATCH_ATTR);
	if (n > 0) {
		exe[n] = '\0';
		watch(a, exe, false, TA_WATCH_WRITE | TA_WATCH_ATTR);
	}
	if (config_path && config_path[0])
		watch(a, config_path, false, TA_WATCH_WRITE | TA_WATCH_ATTR);
	if (a->rules_path[0])
		watch(a, a->rules_path, false, TA_WATCH_WRITE | TA_WATCH_ATTR);
	if (a->watches.n)
		ta_info("alerts", "watching %zu of the daemon's files in the audit trail (key %s)",
			a->watches.n, TA_LOGIN_WATCH_KEY);
}

void ta_alerting_on_watch(void *ctx, const struct ta_login_event *ev)
{
	struct ta_alerting *a = ctx;
	struct ta_alert_hit hit;
	char subject[1024];

	ta_watch_hit(ev, &hit, subject, sizeof(subject));
	ta_alert_engine_raise(a->engine, &hit, ev->result == TA_LOGIN_RES_FAILED);
}

void ta_alerting_on_attach(void *ctx, const struct ta_shared_attach *att)
{
	struct ta_alerting *a = ctx;

	ta_alert_engine_attach(a->engine, att);
}

void ta_alerting_close(struct ta_alerting *a)
{
	int left = ta_audit_watches_remove(&a->watches);

	if (left)
		ta_warn("alerts", "%d audit watch rules (key %s) could not be removed", left,
			TA_LOGIN_WATCH_KEY);
	ta_alert_engine_free(a->engine);
	a->engine = NULL;
	ta_alert_out_close(a->out);
	a->out = NULL;
	ta_json_free(&a->scratch);
}

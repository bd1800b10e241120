/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's side of alerts (docs/alerts.md): the rules file read at start
 * and on SIGHUP, the engine fed every capture event, and each hit written to
 * the log as an "alert" record and sent to the audit trail, syslog and the
 * alerts JSON Lines file at once.
 */
#ifndef TA_DAEMON_ALERTING_H
#define TA_DAEMON_ALERTING_H

#include <stddef.h>

#include "alerts/alerts.h"
#include "alerts/deliver.h"
#include "alerts/watch.h"
#include "config/options.h"
#include "recorder/recorder.h"

struct ta_alerting {
	struct ta_alert_engine *engine;
	struct ta_alert_out *out;        /* audit trail, syslog, alerts_jsonl (own thread) */
	struct ta_alert_out_status reported;  /* delivery counters last logged */
	uint64_t shared_reported;        /* hits in shared buckets last logged */
	struct ta_recorder *rec;
	struct ta_json scratch;
	char rules_path[4096];   /* the file in use, "" if none */
	struct ta_audit_watches watches;
};

/*
 * Reads the rules (opts->rules_file, or TA_DEFAULT_RULES_FILE if present) and
 * opens the destinations (the audit trail on a socket of their own, opened
 * here while privileged). -EINVAL etc. with err "FILE:LINE: KEY: message"
 * (the daemon exits with TA_EXIT_CONFIG), or an -errno for the JSON Lines file.
 */
int ta_alerting_open(struct ta_alerting *a, const struct ta_daemon_opts *opts,
		     struct ta_recorder *rec, char *err, size_t err_len);
/* Once a second: rate limits that lifted, and delivery failures or drops logged. */
void ta_alerting_tick(struct ta_alerting *a);
/*
 * SIGHUP: the rules read again, held apart until the rest of the reload is
 * applied too (all or nothing): ta_alerting_load_next reads them (on error
 * err says why and nothing changed), then either ta_alerting_use_next puts
 * them in force or ta_alerting_drop_next frees them.
 */
struct ta_alerting_next {
	struct ta_alert_rules *rules;
	char rules_path[4096];
};
int ta_alerting_load_next(const struct ta_daemon_opts *opts, struct ta_alerting_next *next,
			  char *err, size_t err_len);
void ta_alerting_use_next(struct ta_alerting *a, struct ta_alerting_next *next);
void ta_alerting_drop_next(struct ta_alerting_next *next);
/*
 * Watch the watchers: audit watches on the log directory (and the key file
 * if it is elsewhere) for reads, writes and attribute changes, on the
 * daemon's binary, configuration and rules file for writes and attribute
 * changes. Logs what it could not install; recording goes on regardless.
 */
void ta_alerting_install_watches(struct ta_alerting *a, const struct ta_daemon_opts *opts,
				 int audit_fd, const char *config_path);
/* audisp-ttyaudit handed over an access to one of those files: an alert. */
void ta_alerting_on_watch(void *ctx, const struct ta_login_event *ev);
/* The shared-terminal tracker saw an attach (ta_shared_set_attach_hook): on = attach rules. */
void ta_alerting_on_attach(void *ctx, const struct ta_shared_attach *att);
/* Removes the watches and closes the destinations. */
void ta_alerting_close(struct ta_alerting *a);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include "alerts/deliver.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libaudit.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/trusted_path.h"
#include "view/neutralise.h"

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

/* A member present only when true. */
static void flag(struct ta_json *j, const char *key, bool on)
{
	if (!on)
		return;
	ta_json_key(j, key);
	ta_json_bool(j, true);
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
	flag(j, "subject_cut", h->subject_cut);
	if (h->exe) {
		ta_json_key(j, "exe");
		ta_json_str(j, h->exe);
		flag(j, "exe_cut", h->exe_cut);
	}
	flag(j, "subject_uncertain", h->subject_uncertain);
	ta_json_key(j, "suppressed");
	ta_json_u64(j, h->suppressed);
	/* a summary names whose hits were suppressed: the ids and subject are the first's */
	flag(j, "rate_limit_lifted", h->summary);
	flag(j, "shared_bucket", h->shared_bucket);
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
	rc = add_nv(buf, cap, &pos, "tty", h->tty[0] ? h->tty : "none",
		    strlen(h->tty[0] ? h->tty : "none"));
	if (!rc)
		rc = add_nv(buf, cap, &pos, "subject", h->subject_len ? h->subject : "-",
			    h->subject_len ? h->subject_len : 1);
	/*
	 * The file that ran: the subject (argv) is the caller's to choose. Not
	 * "exe": auditd adds its own, the sender's, to every user message.
	 */
	if (!rc && h->exe)
		rc = add_nv(buf, cap, &pos, "ran", h->exe, strlen(h->exe));
	if (rc)
		return rc;
	if (h->exe && h->exe_cut) {
		w = snprintf(buf + pos, cap - pos, " ran_cut=1");
		if (w < 0 || (size_t)w >= cap - pos)
			return -ENOSPC;
		pos += (size_t)w;
	}
	w = snprintf(buf + pos, cap - pos, " suppressed=%llu%s", (unsigned long long)h->suppressed,
		     h->summary ? " rate_limit_lifted=1" : "");
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

/* One alert, rendered for each destination at hit time. */
struct slot {
	char *audit;      /* NULL: not for the audit trail */
	char *line;       /* syslog text */
	char *json;       /* JSON Lines line, newline included; NULL: no file */
	size_t json_len;
	int prio;
};

struct ta_alert_out {
	int audit_fd, jsonl_fd;
	bool to_syslog;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	struct slot q[TA_ALERT_QUEUE];
	size_t head, count;
	bool stop, busy, started;
	struct ta_alert_out_status st;
};

static void slot_free(struct slot *s)
{
	free(s->audit);
	free(s->line);
	free(s->json);
	memset(s, 0, sizeof(*s));
}

static void deliver_one(struct ta_alert_out *o, struct slot *s)
{
	int err = 0, audit_failed = 0, jsonl_failed = 0;

	if (s->audit) {
		errno = 0;
		if (audit_log_user_message(o->audit_fd, AUDIT_TRUSTED_APP, s->audit, NULL, NULL,
					   NULL, 1) <= 0) {
			err = errno ? -errno : -EIO;
			audit_failed = 1;
		}
	}
	if (o->to_syslog && s->line)
		syslog(LOG_AUTHPRIV | s->prio, "%s", s->line);
	if (s->json && write(o->jsonl_fd, s->json, s->json_len) != (ssize_t)s->json_len) {
		err = errno ? -errno : -EIO;
		jsonl_failed = 1;
	}
	pthread_mutex_lock(&o->mu);
	o->st.sent++;
	o->st.audit_failed += (uint64_t)audit_failed;
	o->st.jsonl_failed += (uint64_t)jsonl_failed;
	if (err)
		o->st.last_err = err;
	pthread_mutex_unlock(&o->mu);
}

static void *worker(void *arg)
{
	struct ta_alert_out *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		struct slot s;

		while (!o->count && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->count)
			break;
		s = o->q[o->head];
		memset(&o->q[o->head], 0, sizeof(o->q[0]));
		o->head = (o->head + 1) % TA_ALERT_QUEUE;
		o->count--;
		o->busy = true;
		pthread_mutex_unlock(&o->mu);
		deliver_one(o, &s);
		slot_free(&s);
		pthread_mutex_lock(&o->mu);
		o->busy = false;
		pthread_cond_broadcast(&o->idle);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

int ta_alert_out_open(struct ta_alert_out **out, bool audit, const char *jsonl_path,
		      bool to_syslog, char *why, size_t why_len)
{
	struct ta_alert_out *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return -ENOMEM;
	o->audit_fd = o->jsonl_fd = -1;
	if (jsonl_path && jsonl_path[0]) {
		o->jsonl_fd = ta_open_trusted_append(jsonl_path, why, why_len);
		if (o->jsonl_fd < 0) {
			rc = o->jsonl_fd;
			free(o);
			return rc;
		}
	}
	/* Without a socket (no audit in this kernel) alerts still go everywhere else. */
	if (audit)
		o->audit_fd = audit_open();
	o->to_syslog = to_syslog;
	if (to_syslog)
		openlog("ttyauditd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	pthread_cond_init(&o->idle, NULL);
	*out = o;
	return 0;
}

/*
 * The thread starts with the first alert, not at open: capabilities are
 * per thread, and by then the daemon has dropped its own, so this thread
 * holds none it does not need.
 */
static int start(struct ta_alert_out *o)
{
	sigset_t all, old;
	int rc;

	/* Signals are the daemon's main loop's (signalfd): none for this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&o->thread, NULL, worker, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	o->started = rc == 0;
	return rc;
}

/* s (n bytes) as one line of text shown, never obeyed, NUL-terminated; NULL if out of memory. */
static const char *shown(struct ta_buf *b, const char *s, size_t n)
{
	ta_neutralise(s, n, TA_NEUT_LINE, b);
	ta_buf_putc(b, '\0');
	return b->oom ? NULL : (const char *)b->p;
}

/*
 * The syslog line. What matched is a user's line, argv or path: its escapes
 * would act on the terminal of whoever reads syslog, and a line break in it
 * would forge a second alert, so every name and the subject are neutralised
 * (the audit and JSON copies are encoded by their writers).
 */
char *ta_alert_syslog_line(const struct ta_alert_hit *h)
{
	struct ta_buf rb, tb, sb, xb;
	const char *rule, *tty, *subject, *exe = NULL;
	char *line = NULL;
	int n = -1;

	ta_buf_init(&rb);
	ta_buf_init(&tb);
	ta_buf_init(&sb);
	ta_buf_init(&xb);
	rule = shown(&rb, h->rule, strlen(h->rule));
	tty = shown(&tb, h->tty[0] ? h->tty : "none", h->tty[0] ? strnlen(h->tty, sizeof(h->tty)) : 4);
	subject = shown(&sb, h->subject, h->subject_len > 512 ? 512 : h->subject_len);
	if (h->exe && !h->summary && !(exe = shown(&xb, h->exe, strlen(h->exe))))
		goto out;
	if (!rule || !tty || !subject)
		goto out;
	if (h->summary)
		n = asprintf(&line, "alert %s: rate limit lifted, %llu hits suppressed%s: ses=%d "
			     "auid=%d uid=%d pid=%d tty=%s: first: %s", rule,
			     (unsigned long long)h->suppressed, h->shared_bucket ?
			     " (shared bucket: the table of people was full)" : "", (int)h->ses,
			     (int)h->auid, (int)h->uid, (int)h->pid, tty, subject);
	else
		n = asprintf(&line, "alert %s (%s): ses=%d auid=%d uid=%d pid=%d tty=%s: %s%s%s%s%s",
			     rule, h->severity, (int)h->ses, (int)h->auid, (int)h->uid, (int)h->pid,
			     tty, subject, exe ? " [exe " : "", exe && h->exe_cut ? "..." : "",
			     exe ? exe : "", exe ? "]" : "");
out:
	ta_buf_free(&rb);
	ta_buf_free(&tb);
	ta_buf_free(&sb);
	ta_buf_free(&xb);
	return n < 0 ? NULL : line;
}

int ta_alert_out_send(struct ta_alert_out *o, const struct ta_alert_hit *h,
		      const struct ta_json *obj)
{
	struct slot s = { .prio = h->summary ? LOG_NOTICE : severity_priority(h->severity) };
	char msg[4 * TA_ALERT_LINE_MAX];

	if (!o->started && start(o)) {
		o->st.dropped++;
		return -ENOBUFS;
	}
	pthread_mutex_lock(&o->mu);
	if (o->count >= TA_ALERT_QUEUE) {
		o->st.dropped++;
		pthread_mutex_unlock(&o->mu);
		return -ENOBUFS;
	}
	pthread_mutex_unlock(&o->mu);
	if (o->audit_fd >= 0 && ta_alert_audit_format(msg, sizeof(msg), h) > 0)
		s.audit = strdup(msg);
	if (o->to_syslog)
		s.line = ta_alert_syslog_line(h);
	if (o->jsonl_fd >= 0 && !obj->oom && (s.json = malloc(obj->len + 1))) {
		memcpy(s.json, obj->buf, obj->len);
		s.json[obj->len] = '\n';
		s.json_len = obj->len + 1;
	}
	pthread_mutex_lock(&o->mu);
	o->q[(o->head + o->count) % TA_ALERT_QUEUE] = s;
	o->count++;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	return 0;
}

void ta_alert_out_status(struct ta_alert_out *o, struct ta_alert_out_status *st)
{
	pthread_mutex_lock(&o->mu);
	*st = o->st;
	pthread_mutex_unlock(&o->mu);
}

void ta_alert_out_close(struct ta_alert_out *o)
{
	struct timespec until;

	if (!o)
		return;
	if (!o->started)
		goto closed;
	/* the condition variable waits on CLOCK_REALTIME (its default clock) */
	until = ta_deadline(CLOCK_REALTIME, 2000000000ULL);
	pthread_mutex_lock(&o->mu);
	while ((o->count || o->busy) &&
	       pthread_cond_timedwait(&o->idle, &o->mu, &until) == 0)
		;
	/* what is still queued after 2 s is given up (it is in the log) */
	while (o->count) {
		slot_free(&o->q[o->head]);
		o->head = (o->head + 1) % TA_ALERT_QUEUE;
		o->count--;
		o->st.dropped++;
	}
	o->stop = true;
	pthread_cond_signal(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->thread, NULL);
closed:
	if (o->audit_fd >= 0)
		audit_close(o->audit_fd);
	if (o->jsonl_fd >= 0)
		close(o->jsonl_fd);
	if (o->to_syslog)
		closelog();
	pthread_mutex_destroy(&o->mu);
	pthread_cond_destroy(&o->cv);
	pthread_cond_destroy(&o->idle);
	free(o);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Login sessions in the daemon: the socket audisp-ttyaudit writes to, the
 * session table, back-fill at start-up, and the records they produce.
 */
#include "logins.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/log.h"
#include "ttyaudit/log_records.h"
#include "sessions/auparse_load.h"
#include "sessions/backfill.h"

static const uint16_t session_record_type[] = {
	[TA_SESSION_JSON_START] = TA_REC_SESSION_START,
	[TA_SESSION_JSON_UPDATE] = TA_REC_SESSION_UPDATE,
	[TA_SESSION_JSON_END] = TA_REC_SESSION_END,
};

static void emit_session(struct ta_logins *l, const struct ta_login_session *s,
			 enum ta_session_json_kind kind)
{
	struct ta_json j;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_session_json_members(&j, s, kind);
	ta_json_obj_end(&j);
	ta_recorder_record(l->rec, session_record_type[kind], s->ses, &j);
	ta_json_free(&j);
}

static void emit_login_failed(struct ta_logins *l, const struct ta_login_event *ev)
{
	struct ta_json j;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_login_failed_json_members(&j, ev, l->boot_id);
	ta_json_obj_end(&j);
	ta_recorder_record(l->rec, TA_REC_LOGIN_FAILED, ev->ses, &j);
	ta_json_free(&j);
}

/* The plugin's queue dropped audit records: a gap with no session. */
static void emit_login_dropped(struct ta_logins *l, const struct ta_login_event *ev)
{
	struct ta_json j;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "reason");
	ta_json_str(&j, "audit_records_dropped");
	ta_login_dropped_json_members(&j, ev, l->boot_id);
	ta_json_obj_end(&j);
	ta_recorder_record(l->rec, TA_REC_LOSS, UINT32_MAX, &j);
	ta_json_free(&j);
}

/* Every forwarded audit record, so the log holds one timeline with the terminals. */
static void emit_login_event(struct ta_logins *l, const struct ta_login_event *ev)
{
	const char *rt = ta_login_record_type_name(ev->record_type);
	struct ta_json j;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "record_type");
	if (rt)
		ta_json_str(&j, rt);
	else
		ta_json_u64(&j, ev->record_type);
	ta_json_key(&j, "boot_id");
	ta_json_str(&j, l->boot_id);
	ta_json_key(&j, "serial");
	ta_json_u64(&j, ev->serial);
	ta_json_key(&j, "audit_time");
	ta_json_time(&j, (uint64_t)ev->time_sec * 1000000000ull + (uint64_t)ev->time_msec * 1000000ull);
	ta_json_key(&j, "pid");
	ta_json_id(&j, ev->pid);
	ta_json_key(&j, "uid");
	ta_json_id(&j, ev->uid);
	ta_json_key(&j, "auid");
	ta_json_id(&j, ev->auid);
	ta_json_key(&j, "ses");
	ta_json_id(&j, ev->ses);
	ta_json_key(&j, "op");
	ta_json_str(&j, ev->op);
	ta_json_key(&j, "acct");
	ta_json_str(&j, ev->acct);
	ta_json_key(&j, "exe");
	ta_json_str(&j, ev->exe);
	ta_json_key(&j, "host");
	ta_json_str(&j, ev->hostname);
	ta_json_key(&j, "addr");
	ta_json_str(&j, ev->addr);
	ta_json_key(&j, "terminal");
	ta_json_str(&j, ev->terminal);
	ta_json_key(&j, "result");
	ta_json_str(&j, ev->result == TA_LOGIN_RES_SUCCESS ? "success" :
			ev->result == TA_LOGIN_RES_FAILED ? "failed" : "unknown");
	ta_json_obj_end(&j);
	ta_recorder_record(l->rec, TA_REC_LOGIN_EVENT, ev->ses, &j);
	ta_json_free(&j);
}

static void apply(struct ta_logins *l, const struct ta_login_event *ev)
{
	struct ta_login_session *s = NULL;
	int change;

	if (ev->msg_type == TA_LOGIN_MSG_WATCH) {
		if (l->on_watch)
			l->on_watch(l->watch_ctx, ev);
		return;
	}
	if (ev->msg_type == TA_LOGIN_MSG_RECORD)
		emit_login_event(l, ev);
	change = ta_session_apply(l->table, ev, &s);
	switch (change) {
	case TA_SESSION_STARTED:
		emit_session(l, s, TA_SESSION_JSON_START);
		break;
	case TA_SESSION_UPDATED:
		emit_session(l, s, TA_SESSION_JSON_UPDATE);
		break;
	case TA_SESSION_ENDED:
		emit_session(l, s, TA_SESSION_JSON_END);
		break;
	case TA_SESSION_LOGIN_FAILED:
		emit_login_failed(l, ev);
		break;
	case TA_SESSION_DROPPED:
		emit_login_dropped(l, ev);
		break;
	default:
		break;
	}
	if (change < 0)
		ta_warn("logins", "session table: %s", strerror(-change));
	if (ta_session_table_evicted(l->table) > l->evicted_seen) {
		uint64_t n = ta_session_table_evicted(l->table);

		/* Once per eighth of the table: a flood of self-made login uids fills it. */
		ta_warn("logins", "session table full: forgot %llu open sessions no login service "
			"vouches for (%llu in all); their records keep their ses and auid",
			(unsigned long long)(n - l->evicted_seen), (unsigned long long)n);
		l->evicted_seen = n;
	}
	ta_session_prune_closed(l->table);
}

static int emit_backfilled(struct ta_login_session *s, void *arg)
{
	emit_session(arg, s, TA_SESSION_JSON_START);
	return 0;
}

int ta_logins_open(struct ta_logins *l, const char *socket_path, const char *audit_log,
		   struct ta_recorder *rec)
{
	struct ta_backfill_opts bo = { .audit_log = audit_log };
	struct ta_backfill_stats bs;
	struct ta_audit_node node;
	char why[512];
	int err;

	memset(l, 0, sizeof(*l));
	/* The plugin keeps other machines' records out of the stream; here, out of the back-fill. */
	ta_audit_node_load(&node, TA_AUDITD_CONF_DEFAULT);
	bo.node = &node;
	l->rec = rec;
	err = ta_boot_id_read(NULL, l->boot_id);
	if (err)
		return err;
	err = ta_session_table_new(l->boot_id, 0, &l->table);
	if (err)
		return err;
	err = ta_backfill(l->table, &bo, &bs);
	char lwhy[256];
	if (err < 0) /* else the number of sessions it found */
		ta_warn("logins", "back-fill of open sessions failed: %s", strerror(-err));
	else
		ta_info("logins", "back-filled %zu open sessions (%zu from the audit log, %zu from "
			"/proc only)%s%s", bs.from_log + bs.from_proc, bs.from_log, bs.from_proc,
			bs.log_error ? "; the audit log could not be read: " : "",
			bs.log_error ? ta_auparse_strerror(bs.log_error, lwhy, sizeof(lwhy)) : "");
	if (err >= 0 && bs.log_untrusted)
		ta_warn("logins", "back-fill: %zu audit log file%s not read, as users other than root "
			"may change %s: %s; make the files and the directories above them writable "
			"by root alone (auditd's own are)", bs.log_untrusted,
			bs.log_untrusted == 1 ? "" : "s", bs.log_untrusted == 1 ? "it" : "them",
			bs.untrusted_why);
	ta_session_foreach(l->table, emit_backfilled, l);
	err = ta_login_server_open(socket_path, &l->server, why, sizeof(why));
	if (err) {
		ta_warn("logins", "cannot listen on %s: %s; login details are unavailable, sessions "
			"carry the kernel's auid and ses only", socket_path, why[0] ? why : strerror(-err));
		l->server = NULL;
	}
	if (access("/run/auditd.pid", F_OK) && access("/var/run/auditd.pid", F_OK)) {
		struct ta_json j;

		ta_info("logins", "auditd is not running: login details are unavailable until it "
			"starts with the audisp-ttyaudit plugin");
		ta_json_init(&j);
		ta_json_obj_begin(&j);
		ta_json_key(&j, "notice");
		ta_json_str(&j, "login_details_unavailable");
		ta_json_key(&j, "why");
		ta_json_str(&j, "auditd is not running");
		ta_json_obj_end(&j);
		ta_recorder_record(rec, TA_REC_NOTICE, UINT32_MAX, &j);
		ta_json_free(&j);
	}
	return 0;
}

int ta_logins_add_to_epoll(struct ta_logins *l, int epfd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	l->epfd = epfd;
	if (!l->server)
		return 0;
	ev.data.fd = ta_login_server_fd(l->server);
	return epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) ? -errno : 0;
}

static void drop_conn(struct ta_logins *l, int i)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, ta_login_conn_fd(l->conns[i]), NULL);
	ta_login_conn_close(l->conns[i]);
	l->gone = l->seqs[i];
	l->conns[i] = l->conns[--l->n_conns];
	l->seqs[i] = l->seqs[l->n_conns];
}

/*
 * The plugin numbers its messages (the wire header's seq, +1 each). Messages
 * it wrote into a connection that closed before they were read (after a bad
 * message, a restart of ours) are lost without the plugin knowing: its next
 * connection goes on from a later number. A jump forward, on one connection
 * or from the last one the same plugin process had, is written as a gap.
 * A jump back is another plugin process, which starts again from 0.
 */
static void check_seq(struct ta_logins *l, int i, const struct ta_login_event *ev)
{
	struct ta_logins_seq *q = &l->seqs[i];

	if (!q->known && l->gone.known && l->gone.pid == q->pid) {
		q->next = l->gone.next;
		q->known = true;
		l->gone.known = false;
	}
	uint32_t skipped = ev->seq - q->next;
	if (q->known && skipped && skipped < 1u << 31) {
		struct ta_login_event gap;
		time_t now = time(NULL);

		ta_login_event_init(&gap);
		gap.msg_type = TA_LOGIN_MSG_DROPPED;
		gap.dropped = skipped;
		gap.first_drop_sec = gap.last_drop_sec = now;
		ta_warn("logins", "%" PRIu32 " messages of audisp-ttyaudit (pid %d) never arrived "
			"(its connection closed with them unread); written as a gap", skipped, (int)q->pid);
		emit_login_dropped(l, &gap);
	}
	q->next = ev->seq + 1;
	q->known = true;
}

int ta_logins_handle(struct ta_logins *l, int fd)
{
	if (l->server && fd == ta_login_server_fd(l->server)) {
		struct ta_login_conn *c;
		struct epoll_event ev = { .events = EPOLLIN };
		int err;

		/* Accept every pending connection; refused peers are closed by the server. */
		while ((err = ta_login_server_accept(l->server, &c)) == -EACCES)
			ta_warn("logins", "refused a connection from a non-root peer");
		if (err)
			return 1;
		if (l->n_conns == TA_LOGINS_MAX_CONNS) {
			ta_warn("logins", "too many plugin connections; refusing one");
			ta_login_conn_close(c);
			return 1;
		}
		ev.data.fd = ta_login_conn_fd(c);
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
			ta_login_conn_close(c);
			return 1;
		}
		l->seqs[l->n_conns] = (struct ta_logins_seq){ .pid = ta_login_conn_peer_pid(c) };
		l->conns[l->n_conns++] = c;
		ta_info("logins", "audisp-ttyaudit connected (pid %d)", (int)ta_login_conn_peer_pid(c));
		return 1;
	}
	for (int i = 0; i < l->n_conns; i++) {
		struct ta_login_event ev;
		int r;

		if (ta_login_conn_fd(l->conns[i]) != fd)
			continue;
		while ((r = ta_login_conn_read(l->conns[i], &ev)) > 0) {
			check_seq(l, i, &ev);
			apply(l, &ev);
		}
		if (r < 0) {
			if (r != -EPIPE)
				ta_warn("logins", "plugin connection: %s; closing it", strerror(-r));
			drop_conn(l, i);
		}
		return 1;
	}
	return 0;
}

void ta_logins_note_tty(struct ta_logins *l, uint32_t ses, uint32_t auid, const char *tty)
{
	struct ta_login_session *s;

	/* No login session: nobody logged in, so there is no login name to keep. */
	if (ses == UINT32_MAX || (ses & TA_SES_NO_LOGIN) || !tty[0])
		return;
	if (ses == l->last_ses && !strcmp(tty, l->last_tty))
		return;
	l->last_ses = ses;
	snprintf(l->last_tty, sizeof(l->last_tty), "%s", tty);
	if (ta_session_note_tty(l->table, ses, tty) == -ENOENT &&
	    (s = ta_session_observe(l->table, ses, auid))) {
		ta_session_note_tty(l->table, ses, tty);
		emit_session(l, s, TA_SESSION_JSON_UPDATE);
	}
}

void ta_logins_close(struct ta_logins *l)
{
	while (l->n_conns)
		drop_conn(l, l->n_conns - 1);
	ta_login_server_close(l->server);
	ta_session_table_free(l->table);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * audisp-ttyaudit: auditd dispatcher plugin. Reads auditd's event stream
 * (format = string) on stdin, keeps the login and session records, and hands
 * them to ttyauditd over its login socket. It must never hold auditd up:
 * stdin is always read, the socket is non-blocking, and while ttyauditd is
 * away records wait in a bounded queue, then are dropped and counted.
 *
 * Signals: SIGHUP re-reads the settings; SIGTERM is obeyed only when it
 * comes from the parent (auditd), others are logged and ignored. End of
 * stdin means auditd is done: complete the last events, try to deliver the
 * queue for a short while, exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/exitcodes.h"
#include "base/log.h"
#include "sessions/login_client.h"
#include "sessions/login_parse.h"
#include "sessions/plugin_config.h"

#define PROG "audisp-ttyaudit"
#define DRAIN_MS 2000   /* how long to try delivering the queue at exit */
#define READ_CHUNK 65536

static volatile sig_atomic_t got_term, got_hup, ignored_term, ignored_term_pid;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGHUP) {
		got_hup = 1;
		return;
	}
	/* Only auditd, our parent, may stop us. */
	if (si && si->si_code == SI_USER && si->si_pid == getppid()) {
		got_term = 1;
	} else {
		ignored_term = 1;
		ignored_term_pid = si ? si->si_pid : 0;
	}
}

/* Messages go to stderr (auditd's, often /dev/null) and to syslog. */
__attribute__((format(printf, 2, 3)))
static void plog(enum ta_log_level lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	va_start(ap, fmt);
	ta_vlog(lvl, NULL, fmt, ap);
	va_end(ap);
	if (lvl <= TA_LOG_INFO) {
		va_start(ap, fmt);
		vsyslog(prio[lvl], fmt, ap);
		va_end(ap);
	}
}

struct plugin {
	struct ta_plugin_config cfg;
	struct ta_login_client client;
	struct ta_login_parser *parser;
	uint64_t reported_drops;  /* drops already logged locally */
	uint64_t unreadable;      /* records the parser could not read, counted as lost so far */
	uint64_t unreadable_said; /* of them, said in the plugin's own log */
	time_t unreadable_time;   /* when that was last said */
	int argc;
	char **argv;
};

static void on_event(const struct ta_login_event *ev, void *arg)
{
	struct plugin *p = arg;

	if (ta_login_client_submit(&p->client, ev, time(NULL)) < 0 &&
	    p->client.q.dropped_pending == 1)
		plog(TA_LOG_WARN, "ttyauditd is not taking records (queue of %zu full): "
		     "dropping and counting", p->client.q.capacity);
}

/*
 * Records of auditd the parser could not read (a malformed line, one over
 * TA_LOGIN_LINE_MAX, a login record with a required field missing or bad):
 * lost to the log as much as a record the full queue dropped, so counted
 * into the stream the same way, and ttyauditd writes the gap. They were
 * counted only in the line the plugin prints when it exits, which it does
 * when auditd does. Said in the plugin's own log at most once a minute.
 */
static void count_unreadable(struct plugin *p, bool final)
{
	struct ta_login_parser_stats st;
	time_t now = time(NULL);

	ta_login_parser_get_stats(p->parser, &st);
	uint64_t total = st.lines_rejected + st.lines_too_long + st.records_rejected;
	if (total > p->unreadable) {
		ta_login_queue_count_lost(&p->client.q, total - p->unreadable, now);
		p->unreadable = total;
	}
	if (p->unreadable > p->unreadable_said && (final || now - p->unreadable_time >= 60)) {
		plog(TA_LOG_WARN, "%llu audit records could not be read (%llu malformed lines, "
		     "%llu lines over %u bytes, %llu login records with a field missing or bad, "
		     "since start); counted as lost and reported to ttyauditd",
		     (unsigned long long)(p->unreadable - p->unreadable_said),
		     (unsigned long long)st.lines_rejected, (unsigned long long)st.lines_too_long,
		     TA_LOGIN_LINE_MAX, (unsigned long long)st.records_rejected);
		p->unreadable_said = p->unreadable;
		p->unreadable_time = now;
	}
}

/* An aggregating auditd gives us other machines' records too: only ours count. */
static void use_node(struct plugin *p)
{
	struct ta_audit_node n;
	char line[320];

	ta_audit_node_load(&n, p->cfg.auditd_conf);
	ta_login_parser_set_node(p->parser, &n);
	plog(n.rule == TA_NODE_ANY ? TA_LOG_WARN : TA_LOG_INFO, "%s",
	     ta_audit_node_describe(&n, line, sizeof(line)));
}

static void reload(struct plugin *p)
{
	struct ta_plugin_config nc;
	char err[256];
	int rc = ta_plugin_config_load(&nc, p->argc, p->argv, err, sizeof(err));

	if (rc < 0) {
		plog(TA_LOG_ERR, "reload: %s; keeping the old settings", err);
		return;
	}
	if (ta_login_client_set_capacity(&p->client, nc.queue_max, time(NULL)) < 0) {
		plog(TA_LOG_ERR, "reload: cannot resize the queue to %zu", nc.queue_max);
		nc.queue_max = p->cfg.queue_max;
	}
	if (strcmp(nc.socket_path, p->cfg.socket_path) != 0) {
		ta_login_client_set_path(&p->client, nc.socket_path, ta_monotonic_ms());
		plog(TA_LOG_INFO, "reload: socket now %s", nc.socket_path);
	}
	p->cfg = nc;
	use_node(p);
	plog(TA_LOG_INFO, "settings reloaded");
}

static void log_connection_change(struct plugin *p, int was_connected)
{
	int now = p->client.fd >= 0;

	if (now && !was_connected)
		plog(TA_LOG_INFO, "connected to ttyauditd at %s", p->cfg.socket_path);
	else if (!now && was_connected)
		plog(TA_LOG_WARN, "lost ttyauditd at %s; queueing records", p->cfg.socket_path);
	if (p->client.q.dropped_reported > p->reported_drops) {
		plog(TA_LOG_WARN, "%llu records were dropped while ttyauditd was away "
		     "(%llu in total); reported to ttyauditd",
		     (unsigned long long)(p->client.q.dropped_reported - p->reported_drops),
		     (unsigned long long)p->client.q.dropped_total);
		p->reported_drops = p->client.q.dropped_reported;
	}
}

/* Try to hand over what is queued, for at most DRAIN_MS. */
static void drain(struct plugin *p)
{
	uint64_t deadline = ta_monotonic_ms() + DRAIN_MS;

	for (;;) {
		uint64_t now = ta_monotonic_ms();
		struct pollfd pfd;
		int timeout, was = p->client.fd >= 0;

		ta_login_client_service(&p->client, now);
		log_connection_change(p, was);
		if (ta_login_queue_count(&p->client.q) == 0 && p->client.q.dropped_pending == 0)
			return;
		if (now >= deadline)
			break;
		timeout = (int)(deadline - now);
		if (p->client.fd >= 0) {
			pfd.fd = p->client.fd;
			pfd.events = ta_login_client_poll_events(&p->client);
			if (poll(&pfd, 1, timeout) > 0)
				ta_login_client_handle(&p->client, pfd.revents, ta_monotonic_ms());
		} else {
			int t = ta_login_client_timeout_ms(&p->client, now);

			if (t > timeout)
				t = timeout;
			if (t > 0)
				poll(NULL, 0, t);
		}
	}
	plog(TA_LOG_WARN, "exiting with %zu records not delivered to ttyauditd",
	     ta_login_queue_count(&p->client.q));
}

int main(int argc, char **argv)
{
	struct plugin p;
	struct sigaction sa;
	sigset_t block, during_poll;
	char err[256];
	char *buf;
	bool eof = false;
	int rc;

	ta_log_init(PROG, TA_LOG_INFO);
	openlog(PROG, LOG_PID, LOG_DAEMON);
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s [socket=PATH] [queue=N] [config=FILE]\n"
		       "auditd dispatcher plugin: reads audit events on stdin and\n"
		       "forwards login records to ttyauditd. See audisp-ttyaudit(8).\n", PROG);
		return TA_EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("%s %s\n", PROG, TA_VERSION);
		return TA_EXIT_OK;
	}

	memset(&p, 0, sizeof(p));
	p.argc = argc;
	p.argv = argv;
	rc = ta_plugin_config_load(&p.cfg, argc, argv, err, sizeof(err));
	if (rc < 0) {
		plog(TA_LOG_ERR, "%s", err);
		return TA_EXIT_CONFIG;
	}
	rc = ta_login_client_init(&p.client, p.cfg.socket_path, p.cfg.queue_max);
	if (rc < 0) {
		plog(TA_LOG_ERR, "cannot set up the queue: %s", strerror(-rc));
		return TA_EXIT_FAILURE;
	}
	rc = ta_login_parser_new(on_event, &p, &p.parser);
	buf = malloc(READ_CHUNK);
	if (rc < 0 || !buf) {
		char why[256];
		plog(TA_LOG_ERR, "cannot set up the parser: %s",
		     rc < 0 ? ta_auparse_strerror(rc, why, sizeof(why)) : "out of memory");
		return TA_EXIT_FAILURE;
	}
	use_node(&p);

	/* Signals arrive only inside ppoll, so the loop never misses one. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &during_poll);
	sigdelset(&during_poll, SIGTERM);
	sigdelset(&during_poll, SIGHUP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);

	plog(TA_LOG_INFO, "started; forwarding to %s (queue %zu)", p.cfg.socket_path,
	     p.cfg.queue_max);

	while (!got_term && !eof) {
		struct pollfd pfd[2];
		struct timespec ts, *tsp = NULL;
		uint64_t now = ta_monotonic_ms();
		int n = 0, timeout, was = p.client.fd >= 0;

		ta_login_client_service(&p.client, now);
		log_connection_change(&p, was);

		pfd[n].fd = STDIN_FILENO;
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
		if (p.client.fd >= 0) {
			pfd[n].fd = p.client.fd;
			pfd[n].events = ta_login_client_poll_events(&p.client);
			pfd[n++].revents = 0;
		}
		timeout = ta_login_client_timeout_ms(&p.client, now);
		if (timeout >= 0) {
			ts.tv_sec = timeout / 1000;
			ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
			tsp = &ts;
		}
		rc = ppoll(pfd, (nfds_t)n, tsp, &during_poll);
		if (rc < 0 && errno != EINTR) {
			plog(TA_LOG_ERR, "poll: %s", strerror(errno));
			break;
		}
		if (ignored_term) {
			plog(TA_LOG_WARN, "ignored SIGTERM from pid %d: not our parent",
			     (int)ignored_term_pid);
			ignored_term = 0;
		}
		if (got_hup) {
			got_hup = 0;
			reload(&p);
		}
		if (rc <= 0)
			continue;
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* Read what is there now; the loop comes back for more. */
			for (int i = 0; i < 16; i++) {
				ssize_t r = read(STDIN_FILENO, buf, READ_CHUNK);

				if (r > 0) {
					ta_login_parser_feed(p.parser, buf, (size_t)r);
					continue;
				}
				if (r == 0 || (errno != EAGAIN && errno != EINTR))
					eof = true;
				break;
			}
			if (pfd[0].revents & POLLNVAL)
				eof = true;
		}
		if (n > 1 && pfd[1].revents)
			ta_login_client_handle(&p.client, pfd[1].revents, ta_monotonic_ms());
		ta_login_parser_age(p.parser);
		count_unreadable(&p, false);
	}

	ta_login_parser_flush(p.parser);
	count_unreadable(&p, true);
	drain(&p);
	{
		struct ta_login_parser_stats st;

		ta_login_parser_get_stats(p.parser, &st);
		plog(TA_LOG_INFO, "exiting (%s): %llu lines, %llu rejected, %llu too long, "
		     "%llu of other machines, %llu records rejected, %llu events, %llu sent, "
		     "%llu dropped", got_term ? "SIGTERM from parent" : "end of input",
		     (unsigned long long)st.lines, (unsigned long long)st.lines_rejected,
		     (unsigned long long)st.lines_too_long, (unsigned long long)st.lines_foreign,
		     (unsigned long long)st.records_rejected, (unsigned long long)st.events,
		     (unsigned long long)p.client.sent,
		     (unsigned long long)p.client.q.dropped_total);
	}
	ta_login_parser_free(p.parser);
	ta_login_client_free(&p.client);
	free(buf);
	closelog();
	return TA_EXIT_OK;
}

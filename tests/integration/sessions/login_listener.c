// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test stand-in for ttyauditd's login socket: listens with the library's
 * login_server API, feeds a session table, and prints one line per event:
 *
 *   ev <TAB> TYPE serial pid uid auid ses old_ses result flags acct exe host addr terminal
 *   dropped <TAB> n <TAB> total
 *   json <TAB> {...}          (session start/update/end, failed login, drops)
 *   bad <TAB> -errno          (a connection sent an invalid message)
 *
 * usage: login_listener SOCKET_PATH   (runs until SIGTERM/SIGINT)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sessions/login_server.h"
#include "sessions/session_table.h"

#define MAX_CONNS 8

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *res_name(uint16_t r)
{
	return r == TA_LOGIN_RES_SUCCESS ? "success" : r == TA_LOGIN_RES_FAILED ? "failed" : "unknown";
}

static void print_event(struct ta_session_table *t, const struct ta_login_event *ev)
{
	struct ta_login_session *s = NULL;
	char json[8192];
	int ch = ta_session_apply(t, ev, &s);
	int n = -1;

	if (ev->msg_type == TA_LOGIN_MSG_DROPPED) {
		printf("dropped\t%llu\t%llu\n", (unsigned long long)ev->dropped,
		       (unsigned long long)ev->dropped_total);
	} else {
		const char *tn = ta_login_record_type_name(ev->record_type);

		printf("ev\t%s\t%llu\t%u\t%u\t%u\t%u\t%u\t%s\t%#x\t%s\t%s\t%s\t%s\t%s\n",
		       tn ? tn : "?", (unsigned long long)ev->serial, ev->pid, ev->uid, ev->auid,
		       ev->ses, ev->old_ses, res_name(ev->result), ev->flags, ev->acct, ev->exe,
		       ev->hostname, ev->addr, ev->terminal);
	}
	switch (ch) {
	case TA_SESSION_STARTED:
		n = ta_session_json(s, TA_SESSION_JSON_START, json, sizeof(json));
		break;
	case TA_SESSION_UPDATED:
		n = ta_session_json(s, TA_SESSION_JSON_UPDATE, json, sizeof(json));
		break;
	case TA_SESSION_ENDED:
		n = ta_session_json(s, TA_SESSION_JSON_END, json, sizeof(json));
		break;
	case TA_SESSION_LOGIN_FAILED:
		n = ta_login_failed_json(ev, ta_session_table_boot_id(t), json, sizeof(json));
		break;
	case TA_SESSION_DROPPED:
		n = ta_login_dropped_json(ev, ta_session_table_boot_id(t), json, sizeof(json));
		break;
	default:
		break;
	}
	if (n > 0)
		printf("json\t%s\n", json);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ta_login_server *srv;
	struct ta_login_conn *conns[MAX_CONNS] = { 0 };
	struct ta_session_table *t;
	struct sigaction sa;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET_PATH\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = ta_session_table_new(NULL, 0, &t);
	if (rc < 0) {
		fprintf(stderr, "session table: %s\n", strerror(-rc));
		return 1;
	}
	rc = ta_login_server_open(argv[1], &srv, NULL, 0);
	if (rc < 0) {
		fprintf(stderr, "cannot listen on %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	printf("listening\t%s\n", ta_login_server_path(srv));
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd[MAX_CONNS + 1];
		int idx[MAX_CONNS + 1], n = 0;

		pfd[n].fd = ta_login_server_fd(srv);
		pfd[n].events = POLLIN;
		idx[n++] = -1;
		for (int i = 0; i < MAX_CONNS; i++) {
			if (!conns[i])
				continue;
			pfd[n].fd = ta_login_conn_fd(conns[i]);
			pfd[n].events = POLLIN;
			idx[n++] = i;
		}
		if (poll(pfd, (nfds_t)n, 500) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			struct ta_login_conn *c;

			while ((rc = ta_login_server_accept(srv, &c)) != -EAGAIN) {
				int slot = -1;

				if (rc < 0) {
					printf("refused\t%d\n", rc);
					fflush(stdout);
					if (rc != -EACCES)
						break;
					continue;
				}
				for (int i = 0; i < MAX_CONNS && slot < 0; i++)
					if (!conns[i])
						slot = i;
				if (slot < 0) {
					ta_login_conn_close(c);
					continue;
				}
				conns[slot] = c;
				printf("connected\t%d\n", (int)ta_login_conn_peer_pid(c));
				fflush(stdout);
			}
		}
		for (int k = 1; k < n; k++) {
			struct ta_login_conn *c = conns[idx[k]];
			struct ta_login_event ev;

			if (!pfd[k].revents)
				continue;
			while ((rc = ta_login_conn_read(c, &ev)) == 1)
				print_event(t, &ev);
			if (rc < 0) {
				if (rc != -EPIPE) {
					printf("bad\t%d\n", rc);
					fflush(stdout);
				}
				ta_login_conn_close(c);
				conns[idx[k]] = NULL;
			}
		}
	}
	for (int i = 0; i < MAX_CONNS; i++)
		ta_login_conn_close(conns[i]);
	ta_login_server_close(srv);
	ta_session_table_free(t);
	return 0;
}

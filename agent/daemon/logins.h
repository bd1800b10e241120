/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's side of auditd's login records (see docs/sessions.md). */
#ifndef TA_DAEMON_LOGINS_H
#define TA_DAEMON_LOGINS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "recorder/recorder.h"
#include "sessions/login_server.h"
#include "sessions/session_table.h"

#define TA_LOGINS_MAX_CONNS 4

struct ta_logins {
	struct ta_login_server *server;      /* NULL: login details unavailable */
	struct ta_login_conn *conns[TA_LOGINS_MAX_CONNS];
	struct ta_logins_seq {
		pid_t pid;          /* the plugin's */
		uint32_t next;      /* the message counter expected next */
		bool known;         /* next is known */
	} seqs[TA_LOGINS_MAX_CONNS], gone; /* per connection; the last one closed */
	int n_conns;
	int epfd;
	struct ta_session_table *table;
	char boot_id[TA_BOOT_ID_LEN];
	struct ta_recorder *rec;
	uint32_t last_ses;
	char last_tty[TA_SESSION_TTY_LEN];
	uint64_t evicted_seen;  /* the table's evictions already warned about */
	/* audit watch events (TA_LOGIN_MSG_WATCH) go here; set after ta_logins_open */
	void (*on_watch)(void *ctx, const struct ta_login_event *ev);
	void *watch_ctx;
};

/*
 * Back-fills open sessions (audit_log: NULL for the default) and listens on
 * socket_path. A socket that cannot be opened is logged, not fatal: the
 * daemon records with the kernel's auid/ses alone.
 */
int ta_logins_open(struct ta_logins *l, const char *socket_path, const char *audit_log,
		   struct ta_recorder *rec);
int ta_logins_add_to_epoll(struct ta_logins *l, int epfd);
/* 1 if fd was ours and has been handled, 0 if not ours. */
int ta_logins_handle(struct ta_logins *l, int fd);
/* The capture layer saw this session on this terminal. */
void ta_logins_note_tty(struct ta_logins *l, uint32_t ses, uint32_t auid, const char *tty);
void ta_logins_close(struct ta_logins *l);

#endif

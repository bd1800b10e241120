/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State of the shared-terminal tracker: tables with fixed caps, no globals. */
#ifndef TA_SHARED_TRACKER_INTERNAL_H
#define TA_SHARED_TRACKER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/json.h"
#include "shared_tty/shared.h"

#define TA_SH_RING 4096        /* recent input bytes kept per terminal */
#define TA_SH_SEGS 64          /* input events (timestamps) kept per terminal */
#define TA_SH_ARGV 256         /* argv bytes kept per client */
#define TA_SH_ARGV_CACHE 256   /* execs of live processes remembered for their argv */
#define TA_SH_ARGV_GONE 1024   /* live processes whose argv the cache evicted, remembered */
#define TA_SH_PENDING 32       /* connects to paths not (yet) known as servers */
#define TA_SH_PENDING_PER_UID 4 /* of them one uid may hold: its own oldest go first */
#define TA_SH_PENDING_NS (5ull * 1000 * 1000 * 1000)
#define TA_SH_CANDS 4          /* candidates named in an ambiguous record */
#define TA_SH_LOOK 64          /* candidate terminals a pane write looks at: bounds its work */
#define TA_SH_LOGINS 16        /* logins seen reaching a server, kept per server */
/*
 * Pane input that no client's recent input holds waits this long (event time)
 * for its typist's: the process that wrote the key into the client's terminal
 * can be preempted after the kernel took it and before its call's exit is
 * recorded, while the client and the server relay the key into the pane.
 */
#define TA_SH_HOLD_NS (20ull * 1000 * 1000)
#define TA_SH_HOLD_BYTES 256   /* longer pane input is attributed at once */

enum ta_sh_conf { TA_SH_EXACT = 1, TA_SH_TIMING, TA_SH_AMBIGUOUS, TA_SH_NONE };

/* A person at a terminal: the client process and its login identity. */
struct ta_sh_who {
	uint32_t pid, uid, auid, ses;
	char comm[TA_COMM_LEN];
	struct ta_tty_id tty;
	bool attached;         /* seen connecting; false: found by its terminal only */
};

struct ta_sh_server {
	bool used, has_path, hint, confirmed;
	char path[TA_UNIX_PATH_MAX];
	uint32_t path_len;
	uint64_t ino;          /* its socket file (the bind's, from the kernel); 0: not known */
	uint32_t dev;
	uint32_t pid;          /* 0: not known (bind not seen) */
	uint32_t uid, auid, ses; /* of the process that bound or wrote panes; -1: unknown */
	char comm[TA_COMM_LEN];
	uint64_t last_ns;
	/*
	 * Logins (auid, ses) whose processes were seen connecting to it, with
	 * a terminal or without: only their terminals may be named as the
	 * typists of its panes when no attached client typed (attribute()).
	 */
	uint32_t login_auid[TA_SH_LOGINS], login_ses[TA_SH_LOGINS];
	uint32_t nlogins, logins_next;
	uint32_t logins_forgotten; /* logins pushed out of login_auid/login_ses */
};

struct ta_sh_client {
	bool used, announced;
	int srv;
	struct ta_sh_who who;
	uint64_t connect_ns, connect_rt;
	uint8_t argv[TA_SH_ARGV];
	uint32_t argv_len;
	bool argv_evicted;     /* its exec was seen, its argv evicted before it connected */
};

/* Recent input of one terminal, with the time of each event. */
struct ta_sh_ring {
	bool used;
	uint64_t key;
	struct ta_tty_id tty;
	uint32_t owner_auid, owner_ses, owner_pid;
	uint64_t head, consumed;          /* absolute byte counts */
	uint64_t seg_start[TA_SH_SEGS], seg_ns[TA_SH_SEGS];
	uint32_t nseg, seg_next;
	uint64_t last_ns;
	uint8_t buf[TA_SH_RING];
};

struct ta_sh_run {
	bool open;
	int conf;
	bool has_client, has_cmd;
	struct ta_sh_who client, cmd;
	struct ta_sh_who cands[TA_SH_CANDS];
	int ncands;
	uint32_t skipped;      /* attached clients not looked at (over TA_SH_LOOK): most in the run */
	bool srv_has_path;
	char srv_path[TA_UNIX_PATH_MAX];
	uint32_t srv_path_len, srv_pid;
	uint32_t pay_ses, pay_auid;  /* the pane's owner at the run's start: pays for its record */
	uint64_t start_rt, end_rt, last_ns, bytes, events;
};

/* A pane's input waiting for its typist's (TA_SH_HOLD_NS); ev.data points into bytes. */
struct ta_sh_held {
	bool used;
	struct ta_event ev;
	uint64_t rt;
	uint8_t bytes[TA_SH_HOLD_BYTES];
};

struct ta_sh_pane {
	bool used;
	uint64_t key;
	struct ta_tty_id tty;
	int srv;
	uint32_t owner_auid, owner_ses, owner_pid;
	uint64_t last_ns;
	struct ta_sh_run run;
	struct ta_sh_held held;
};

struct ta_sh_pending {
	bool used;
	struct ta_sh_who who;
	char path[TA_UNIX_PATH_MAX];
	uint32_t path_len;
	uint64_t ino;          /* the socket it reached; 0: not known */
	uint32_t dev;
	uint64_t ns, rt;
};

struct ta_sh_argv {
	uint32_t pid, len;     /* len 0: free (the process exited) */
	uint64_t seq;          /* exec order: the oldest is evicted */
	uint8_t argv[TA_SH_ARGV];
};

struct ta_shared_tracker {
	struct ta_shared_limits lim;
	struct ta_sh_server *servers;
	struct ta_sh_client *clients;
	struct ta_sh_ring *rings;
	struct ta_sh_pane *panes;
	struct ta_sh_pending pending[TA_SH_PENDING];
	uint32_t pending_next;
	struct ta_sh_argv argvs[TA_SH_ARGV_CACHE];
	uint64_t exec_seq;
	uint32_t argv_gone[TA_SH_ARGV_GONE]; /* pids; 0: free */
	uint32_t argv_gone_next;
	uint32_t argv_gone_n;               /* entries of argv_gone that are not 0 */
	uint32_t nheld;        /* panes whose held input waits */
	uint64_t held_oldest_ns; /* no held input is older (event time): a lower bound */
	struct ta_shared_stats stats;
	/* Evictions not yet reported in a notice. */
	uint64_t unreported_servers, unreported_clients, unreported_ttys, unreported_panes;
	uint64_t unreported_argvs, unreported_logins;
	struct ta_json json;
	uint8_t scratch[TA_SH_RING];
	ta_shared_emit_fn emit;
	void *ctx;
	ta_shared_attach_fn attach_fn;
	void *attach_ctx;
};

/* records.c */
void ta_sh_emit_attach(struct ta_shared_tracker *t, const struct ta_sh_client *c);
void ta_sh_emit_detach(struct ta_shared_tracker *t, const struct ta_sh_client *c,
		       const char *reason, const int32_t *exit_code, uint64_t at_rt);
void ta_sh_emit_run(struct ta_shared_tracker *t, const struct ta_sh_pane *p);
void ta_sh_emit_notice(struct ta_shared_tracker *t);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared terminals (tmux, screen): who attached to which multiplexer server,
 * and which attached person typed each run of input the server wrote into a
 * pane. Fed every capture event in order; emits JSON records through a
 * callback. Design and limits: docs/shared-terminals.md.
 *
 * The identity of a server is the unix socket path it binds and its clients
 * connect to; the process that writes into pane masters is linked to it by
 * its bind. comm ("tmux: server", "screen") is only a hint that lets a
 * connect be taken as an attach before the server has been seen working.
 */
#ifndef TA_SHARED_H
#define TA_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "capture/decode.h"
#include "logfmt/record_types.h"

/* Client input older than this before a pane write is not its source. */
#define TA_SHARED_WINDOW_NS (100ull * 1000 * 1000)
/* A pause this long ends a run of pane input. */
#define TA_SHARED_RUN_GAP_NS (500ull * 1000 * 1000)
/* A command client (send-keys, paste-buffer) connected at most this long before. */
#define TA_SHARED_COMMAND_NS (1000ull * 1000 * 1000)
/* Pass as realtime_ns to ta_shared_flush at shutdown: close every run. */
#define TA_SHARED_FLUSH_ALL UINT64_MAX

struct ta_shared_tracker;

/*
 * rec->type: TA_REC_ATTACH, TA_REC_DETACH, TA_REC_ATTRIBUTION, or
 * TA_REC_NOTICE (table evictions); rec->ses the session of the person
 * (UINT32_MAX if none); rec->json one JSON object, keys in
 * docs/shared-terminals.md. realtime_ns is not set (the caller's clock).
 * A non-zero return is counted (emit_errors) and otherwise ignored.
 */
typedef int (*ta_shared_emit_fn)(void *ctx, const struct ta_record *rec);

/* Table sizes; zero fields take the defaults. */
struct ta_shared_limits {
	uint32_t servers;      /* default 64 */
	uint32_t clients;      /* default 256 */
	uint32_t ttys;         /* terminals whose recent input is kept; default 256 */
	uint32_t panes;        /* default 512 */
};

struct ta_shared_stats {
	uint64_t attaches, detaches, attributions;
	uint64_t exact, timing, ambiguous, none;
	uint64_t partial;      /* attributions made with attached clients not looked at */
	uint64_t evicted_servers, evicted_clients, evicted_ttys, evicted_panes;
	uint64_t argv_evicted;  /* attaches whose argv was evicted (argv_unknown) */
	uint64_t evicted_argvs; /* argv evictions forgotten before any attach could say so */
	uint64_t evicted_logins; /* logins a server no longer remembers having reached it */
	uint64_t emit_errors;
};

/*
 * An attach as data, for those that act on it (alert rules) without reading
 * the JSON record back. Ids are 0xffffffff when unknown (a server seen only
 * writing panes, before its bind).
 */
struct ta_shared_attach {
	uint64_t realtime_ns;
	uint32_t ses, auid, uid, pid;        /* the client: who attached */
	char comm[TA_COMM_LEN];
	struct ta_tty_id tty;                /* the client's terminal */
	uint32_t server_pid, server_uid, server_auid, server_ses;
	const char *path;                    /* the server's socket; may hold NULs */
	uint32_t path_len;
};
typedef void (*ta_shared_attach_fn)(void *ctx, const struct ta_shared_attach *a);

int ta_shared_tracker_new(struct ta_shared_tracker **out);
/* Called at every attach, beside the "attach" record. */
void ta_shared_set_attach_hook(struct ta_shared_tracker *t, ta_shared_attach_fn fn, void *ctx);
int ta_shared_tracker_new_limits(struct ta_shared_tracker **out,
				 const struct ta_shared_limits *limits);
/* Called for every decoded event, in order, with its wall-clock time. */
void ta_shared_observe(struct ta_shared_tracker *t, const struct ta_event *ev,
		       uint64_t realtime_ns, ta_shared_emit_fn emit, void *ctx);
/*
 * Periodic (1 s): close runs idle for TA_SHARED_RUN_GAP_NS and report
 * evictions. At shutdown pass TA_SHARED_FLUSH_ALL to close every run.
 */
void ta_shared_flush(struct ta_shared_tracker *t, uint64_t realtime_ns, ta_shared_emit_fn emit,
		     void *ctx);
void ta_shared_get_stats(const struct ta_shared_tracker *t, struct ta_shared_stats *out);
void ta_shared_tracker_free(struct ta_shared_tracker *t);

#endif

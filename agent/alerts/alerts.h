/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Alert rules (docs/alerts.md): a rules file of "key = value" lines, read
 * with the configuration's line reader, and an engine fed the decoded
 * capture events in order. Typed input is matched per terminal once a line
 * is complete (Enter: \r or \n), output per line, commands per exec, session
 * facts once per session. Lines are cut at TA_ALERT_LINE_MAX bytes and
 * patterns are POSIX EREs without back-references, so the work per event is
 * bounded and the engine never holds recording up.
 */
#ifndef TA_ALERTS_H
#define TA_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/decode.h"
#include "shared_tty/shared.h"

#define TA_DEFAULT_RULES_FILE "/etc/ttyaudit/rules.conf"
/*
 * Bytes of a reassembled line kept; a longer typed line keeps its first half
 * and its most recent bytes, a longer written line its start (and is marked cut).
 */
#define TA_ALERT_LINE_MAX 4096
/* Terminals whose partial lines are kept; the least recently used is dropped. */
#define TA_ALERT_TERMINALS 128
#define TA_ALERT_RULES_MAX 256
/* Rate-limit buckets, one per (rule, person) with hits in the last period. */
#define TA_ALERT_BUCKETS 1024
/* Default rate: 10 hits, then one per 6 s (10 per minute). */
#define TA_ALERT_DEFAULT_BURST 10
#define TA_ALERT_DEFAULT_PERIOD_S 60

/* What a rule looks at. */
enum ta_alert_on {
	TA_ALERT_ON_EXEC = 1,     /* an executed command */
	TA_ALERT_ON_INPUT = 2,    /* a typed line, complete at Enter */
	TA_ALERT_ON_OUTPUT = 3,   /* a line written to the terminal */
	TA_ALERT_ON_SESSION = 4,  /* once per session, when first seen */
	TA_ALERT_ON_FOOTPRINT = 5,/* a file, network or privilege call (op, path, peer, uid) */
	TA_ALERT_ON_WATCH = 6,    /* audit watch on the daemon's own files (built in) */
	TA_ALERT_ON_ATTACH = 7,   /* a client attached to a shared terminal (tmux, screen) */
	TA_ALERT_ON_MAX = TA_ALERT_ON_ATTACH,
};

struct ta_alert_rules;

/*
 * Reads and compiles a rules file; ${log_dir} in patterns stands for log_dir
 * (NULL: the default). -ENOENT if missing (an empty rule set with optional),
 * -EINVAL with err "FILE:LINE: KEY: message", -EPERM on unsafe ownership or
 * mode, -ENOMEM.
 */
int ta_alert_rules_load(struct ta_alert_rules **out, const char *path, bool optional,
			const char *log_dir, char *err, size_t err_len);
/* The same on text in memory (tests, benchmark). */
int ta_alert_rules_parse(struct ta_alert_rules **out, const char *name, const char *text,
			 size_t len, const char *log_dir, char *err, size_t err_len);
size_t ta_alert_rules_count(const struct ta_alert_rules *rs);
void ta_alert_rules_free(struct ta_alert_rules *rs);

/* One alert, handed to the delivery callback; pointers valid during the call. */
struct ta_alert_hit {
	const char *rule;          /* rule name */
	const char *severity;      /* "low", "medium", "high", "critical" */
	const char *description;   /* "" if none */
	uint8_t on;                /* enum ta_alert_on */
	uint64_t realtime_ns;
	uint32_t ses, auid, uid, pid;
	char tty[TA_TTY_NAME_LEN]; /* "" if none */
	char comm[TA_COMM_LEN];
	const char *subject;       /* what matched: the line, argv, or a path */
	size_t subject_len;
	bool subject_cut;          /* the line was longer than TA_ALERT_LINE_MAX */
	const char *exe;           /* exec: the file the kernel ran (not the name given); NULL if none */
	bool exe_cut;              /* exe is the end of a longer path (its start was not kept) */
	bool subject_uncertain;    /* typed with editing the engine cannot follow (history,
				    * search, completion): the shell may have run other text */
	uint64_t suppressed;       /* this person's hits of this rule dropped by its rate limit */
	bool summary;              /* no hit: the rate limit lifted, suppressed says how many;
				    * the ids, terminal and subject are the first suppressed hit's */
	bool shared_bucket;        /* summary: of the overflow bucket (the table was full) */
};

typedef void (*ta_alert_fn)(void *ctx, const struct ta_alert_hit *hit);

struct ta_alert_engine;

int ta_alert_engine_new(struct ta_alert_engine **out, ta_alert_fn fn, void *ctx);
/* Takes ownership of rs (NULL: no rules); the previous set is freed. */
void ta_alert_engine_set_rules(struct ta_alert_engine *e, struct ta_alert_rules *rs);
/* Every decoded capture event, in order, with its wall-clock time. */
void ta_alert_engine_feed(struct ta_alert_engine *e, const struct ta_event *ev,
			  uint64_t realtime_ns);
/* An attach to a shared terminal (ta_shared_set_attach_hook), for on = attach rules. */
void ta_alert_engine_attach(struct ta_alert_engine *e, const struct ta_shared_attach *a);
/* Periodic (1 s): rate limits that lifted report how many hits they suppressed. */
void ta_alert_engine_tick(struct ta_alert_engine *e, uint64_t realtime_ns);
/*
 * A hit that does not come from a rule (audit watches): rate-limited all the
 * same, accesses that failed in a bucket of their own.
 */
void ta_alert_engine_raise(struct ta_alert_engine *e, struct ta_alert_hit *hit, bool failed);
void ta_alert_engine_free(struct ta_alert_engine *e);
size_t ta_alert_engine_rule_count(const struct ta_alert_engine *e);

struct ta_alert_stats {
	uint64_t hits, suppressed, lines_cut, lines_uncertain, lines_joined;
	uint64_t lines_dropped;    /* unfinished typed lines of terminals dropped for room */
	uint64_t shared_bucket;    /* hits rate-limited in a rule's overflow bucket */
};
void ta_alert_engine_stats(const struct ta_alert_engine *e, struct ta_alert_stats *out);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compiled rules, shared by the parser (rules.c) and the engine (engine.c). */
#ifndef TA_ALERTS_RULES_INTERNAL_H
#define TA_ALERTS_RULES_INTERNAL_H

#include <regex.h>

#include "alerts/alerts.h"
#include "alerts/required.h"

enum tristate { T_ANY = 0, T_YES, T_NO };

/* Bytes of the first suppressed hit's subject kept for the summary. */
#define TA_ALERT_FIRST_SUBJECT 256

/* The first hit a bucket suppressed: the summary names it (its subject copied). */
struct ta_alert_first {
	struct ta_alert_hit hit;
	char subject[TA_ALERT_FIRST_SUBJECT];
};

/* One token bucket; full when refill_ns is 0 (never used). */
struct ta_alert_bucket {
	double tokens;
	uint64_t refill_ns;           /* last refill, realtime */
	uint64_t suppressed;
	struct ta_alert_first first;  /* valid while suppressed > 0 */
};

struct ta_alert_rule {
	char name[64];
	char description[256];
	const char *severity;
	uint8_t on;                   /* enum ta_alert_on */
	unsigned line;                /* where it starts in the file */
	/* conditions: all that are set must hold */
	regex_t argv_re, path_re, line_re, unless_re, op_re, peer_re;
	bool has_argv, has_path, has_line, has_unless, has_op, has_peer;
	struct ta_re_required line_req;  /* what a line must hold for line_re to match */
	char exe[256];                /* exact executable path, "" if unset */
	bool has_uid, has_auid;
	uint32_t uid_lo, uid_hi, auid_lo, auid_hi;
	enum tristate other_user;     /* exec: uid differs from the login uid;
				       * footprint: the effective uid after the call does; 
				       * attach: the client's auid differs from the server's */
	enum tristate no_login;       /* session has no audit login */
	enum tristate argv_cut;       /* exec, yes: fires on argv cut before argv matched */
	/* rate: a token bucket of burst, refilled at burst per period_s, per person */
	uint32_t burst, period_s;
	uint16_t slot;                /* its key in the bucket table (bucket.c) */
	struct ta_alert_bucket overflow;  /* everyone's, when the table is full */
};

struct ta_alert_rules {
	struct ta_alert_rule *r;
	size_t n;
	/* per kind, so an event only looks at rules of its kind */
	bool any[TA_ALERT_ON_MAX + 1];
};

/* Rule slots of the built-in watch alerts (rules from the file: their index). */
#define TA_ALERT_SLOT_WATCH TA_ALERT_RULES_MAX
#define TA_ALERT_SLOT_WATCH_FAILED (TA_ALERT_RULES_MAX + 1)
#define TA_ALERT_SLOT_LINE_CUT (TA_ALERT_RULES_MAX + 2)

/*
 * Buckets per (rule, person): one person's hits cannot spend another's. A
 * person is a login uid; a terminal without a login is its session. The
 * table is bounded (sessions without a login are not): when it is full and
 * nothing in it is idle, a hit spends its rule's shared overflow bucket.
 */
struct ta_alert_bucket_slot {
	uint64_t who;
	uint16_t rule;
	bool used;
	uint32_t burst, period_s;     /* the rule's rate, to tell when the bucket is full again */
	int32_t next;                 /* chain in the hash, or the free list */
	struct ta_alert_bucket b;
};

#define TA_ALERT_BUCKET_HASH (2 * TA_ALERT_BUCKETS)

struct ta_alert_buckets {
	struct ta_alert_bucket_slot slot[TA_ALERT_BUCKETS];
	int32_t head[TA_ALERT_BUCKET_HASH];
	int32_t free;
	uint64_t overflowed;          /* hits that had to use a shared bucket */
};

/* The person a hit is of: the login uid, or the session when there is no login. */
uint64_t ta_alert_person(uint32_t ses, uint32_t auid);
void ta_alert_buckets_init(struct ta_alert_buckets *t);
/* Forgets the buckets of rules from the file (a reload starts them full). */
void ta_alert_buckets_forget_rules(struct ta_alert_buckets *t);
/* The bucket of rule r and person who: found, made, or r's overflow bucket. */
struct ta_alert_bucket *ta_alert_bucket_for(struct ta_alert_buckets *t, struct ta_alert_rule *r,
					    uint64_t who, uint64_t now_ns);
/* Whether the bucket lets one more hit through at now (realtime ns). */
bool ta_alert_bucket_take(struct ta_alert_bucket *b, const struct ta_alert_rule *r,
			  uint64_t now_ns);
/* Counts a suppressed hit; the first one is kept to be named in the summary. */
void ta_alert_bucket_suppress(struct ta_alert_bucket *b, const struct ta_alert_hit *h);
/* The summary of a bucket's suppressed hits, as a hit (h->summary). */
void ta_alert_bucket_summary(struct ta_alert_bucket *b, const struct ta_alert_rule *r,
			     uint64_t now_ns, struct ta_alert_hit *h);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compiled rules, shared by the parser (rules.c) and the engine (engine.c). */
#ifndef TA_ALERTS_RULES_INTERNAL_H
#define TA_ALERTS_RULES_INTERNAL_H

#include <regex.h>

#include "alerts/alerts.h"

enum tristate { T_ANY = 0, T_YES, T_NO };

struct ta_alert_rule {
	char name[64];
	char description[256];
	const char *severity;
	uint8_t on;                   /* enum ta_alert_on */
	unsigned line;                /* where it starts in the file */
	/* conditions: all that are set must hold */
	regex_t argv_re, path_re, line_re, unless_re, op_re, peer_re;
	bool has_argv, has_path, has_line, has_unless, has_op, has_peer;
	char exe[256];                /* exact executable path, "" if unset */
	bool has_uid, has_auid;
	uint32_t uid_lo, uid_hi, auid_lo, auid_hi;
	enum tristate other_user;     /* exec: uid differs from the login uid;
				       * footprint: the effective uid after the call does; 
				       * attach: the client's auid differs from the server's */
	enum tristate no_login;       /* session has no audit login */
	/* token bucket */
	uint32_t burst, period_s;
	double tokens;
	uint64_t refill_ns;           /* last refill, realtime */
	uint64_t suppressed;
};

struct ta_alert_rules {
	struct ta_alert_rule *r;
	size_t n;
	/* per kind, so an event only looks at rules of its kind */
	bool any[TA_ALERT_ON_MAX + 1];
};

/* Whether the rule lets one more hit through at now (realtime ns). */
bool ta_alert_rule_take(struct ta_alert_rule *r, uint64_t now_ns);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Turning auditd's event stream (text lines as auditd gives them to a
 * plugin, format = string) into ta_login_event records.
 *
 * Input is gated line by line before auparse sees it: a line must be shorter
 * than TA_LOGIN_LINE_MAX, hold no NUL byte and start with
 * "[node=N ]type=NAME msg=audit(SEC.MSEC:SERIAL):", with nothing but auditd's
 * NAME=VALUE words after an enrichment separator (0x1d); others are counted and
 * dropped. Lines of types the plugin does not need are skipped early.
 * Records of the wanted types (ta_login_record_type_wanted) become events
 * once auparse says their event is complete.
 */
#ifndef TA_SESSIONS_LOGIN_PARSE_H
#define TA_SESSIONS_LOGIN_PARSE_H

#include <auparse.h>
#include <stddef.h>
#include <stdint.h>

#include "sessions/audit_node.h"
#include "sessions/auparse_load.h"
#include "sessions/login_event.h"

/* Longest input line accepted (auditd's lines are < 9 KiB plus enrichment). */
#define TA_LOGIN_LINE_MAX 65536

typedef void (*ta_login_event_fn)(const struct ta_login_event *ev, void *arg);

struct ta_login_parser_stats {
	uint64_t bytes;           /* bytes fed */
	uint64_t lines;           /* complete lines seen */
	uint64_t lines_ignored;   /* well-formed lines of types not needed */
	uint64_t lines_rejected;  /* malformed: NUL, no type=/msg=audit(...) */
	uint64_t lines_foreign;   /* another machine's (node=, sessions/audit_node.h) */
	uint64_t lines_too_long;  /* longer than TA_LOGIN_LINE_MAX */
	uint64_t records_rejected;/* wanted type but required fields missing/bad */
	uint64_t events;          /* events handed to the callback */
};

struct ta_login_parser;

/*
 * Returns 0, -ENOMEM, or -ELIBACC when libauparse cannot be loaded
 * (auparse_load.h). fn is called from feed/flush/age.
 */
int ta_login_parser_new(ta_login_event_fn fn, void *arg, struct ta_login_parser **out);
void ta_login_parser_free(struct ta_login_parser *p);

/* Records of other machines are dropped from now on (default: none is). */
void ta_login_parser_set_node(struct ta_login_parser *p, const struct ta_audit_node *n);
/* Feed any bytes; lines may be split anywhere. Returns 0 or -errno. */
int ta_login_parser_feed(struct ta_login_parser *p, const char *data, size_t len);
/* Input ended: take a last unterminated line and complete every event. */
int ta_login_parser_flush(struct ta_login_parser *p);
/* Complete events older than auparse's end-of-event timeout. */
void ta_login_parser_age(struct ta_login_parser *p);
void ta_login_parser_get_stats(const struct ta_login_parser *p,
			       struct ta_login_parser_stats *st);

/*
 * For every wanted record in auparse's current event, fill a
 * ta_login_event and call fn. Used by the feed parser and by backfill;
 * ap is the loaded libauparse (ta_auparse_load).
 * Returns the number of events emitted; *rejected (may be NULL) counts
 * wanted records dropped for missing or malformed fields.
 */
int ta_login_extract_event(const struct ta_auparse *ap, auparse_state_t *au,
			   ta_login_event_fn fn, void *arg, uint64_t *rejected);

/* Checks one line (no newline) like the feed does: 1 = wanted, 0 = not
 * needed, -EBADMSG = malformed. */
int ta_login_line_check(const char *line, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A line as the engine reassembles it from a terminal's bytes (docs/alerts.md,
 * "Lines"). Typed input follows the line editor of a shell (readline, as in
 * bash): a cursor, the keys that move it, deletions and kills at it, so the
 * line matched is the one the shell ran; what it cannot follow (history,
 * search, completion) marks the line uncertain. The cursor moves by UTF-8
 * characters, as readline's does; ^V and a bracketed paste insert bytes as
 * text, keys and all, as readline does. A line longer than
 * TA_ALERT_LINE_MAX keeps its head and its most recent tail and is marked cut.
 */
#ifndef TA_ALERTS_LINE_H
#define TA_ALERTS_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"

struct ta_line {
	char buf[TA_ALERT_LINE_MAX];
	uint32_t len, cur;    /* cur: the cursor, typed input only */
	bool cut;             /* bytes between head and tail were dropped */
	bool uncertain;       /* editing the engine cannot follow happened */
	uint8_t esc;          /* 0 none, 1 after ESC, 2 inside CSI/SS3/OSC */
	uint8_t esc_intro;    /* '[', 'O' or ']' */
	bool esc_more;        /* a CSI with more than one parameter (modifiers) */
	bool esc_odd;         /* a CSI parameter not in plain digits (a leading 0, other bytes) */
	uint32_t esc_arg;     /* a CSI's first parameter */
	bool literal;         /* after ^V (quoted-insert): the next byte is text */
	bool paste;           /* inside a bracketed paste (this line): bytes are text, not keys */
	bool abandoned;       /* ^C as a key: the command being continued goes too (the caller clears) */
	uint32_t ses, auid;   /* whose line it is (the first bytes' session and login uid) */
};

/* Clears the text and its marks, a paste and ^V included (the owner stays). */
void ta_line_clear(struct ta_line *l);
/* ta_line_clear, and an escape sequence in progress: a new owner's line. */
void ta_line_reset(struct ta_line *l);
/* A typed byte; true at Enter. */
bool ta_line_input(struct ta_line *l, uint8_t c);
/* A written byte; true at \n. */
bool ta_line_output(struct ta_line *l, uint8_t c);
/*
 * The text to match, NUL-terminated, its length returned: the head, " … "
 * where bytes were dropped, the tail; with collapse, runs of spaces and tabs
 * as one space (typed padding must not push a command out of the line).
 */
size_t ta_line_text(const struct ta_line *l, bool collapse, char *out, size_t cap);

/* How a typed line goes on in the next one, as a shell reads it. */
enum ta_line_cont {
	TA_LINE_DONE = 0,
	TA_LINE_BACKSLASH,    /* ends with an unquoted \: joined without it */
	TA_LINE_OPERATOR,     /* ends with |, ||, && or |&: joined with a space */
	TA_LINE_QUOTE,        /* a quote is open: joined with a newline */
};
enum ta_line_cont ta_line_continuation(const char *s, size_t n);

#endif

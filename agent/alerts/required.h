/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What text a POSIX extended regular expression cannot match without: a
 * literal that every match contains, or a set of literals one of which every
 * match contains. The engine looks for it before it runs regexec on a line:
 * most lines lack it, and regexec costs ~120 ns a line and rule.
 *
 * Conservative: where the pattern is not plainly understood, nothing is
 * required (the line goes to regexec). Byte semantics: the daemon runs in
 * the C locale, and a byte below 0x80 matches only itself there; bytes from
 * 0x80 up end a literal.
 */
#ifndef TA_ALERTS_REQUIRED_H
#define TA_ALERTS_REQUIRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A literal's bytes kept (a part of a required literal is required too). */
#define TA_RE_REQUIRED_LEN 32
/* Alternatives of a group kept at most: (password|passwd|secret) is three. */
#define TA_RE_REQUIRED_ALTS 8

struct ta_re_required {
	uint8_t n;                                   /* 0: nothing required */
	uint8_t len[TA_RE_REQUIRED_ALTS];
	char lit[TA_RE_REQUIRED_ALTS][TA_RE_REQUIRED_LEN];
};

/* What pattern (REG_EXTENDED, no REG_ICASE) requires of a matching text, into *out. */
void ta_re_required(const char *pattern, struct ta_re_required *out);

/* Whether text (len bytes) can match: it holds one of the literals, or none is required. */
bool ta_re_required_in(const struct ta_re_required *q, const char *text, size_t len);

#endif

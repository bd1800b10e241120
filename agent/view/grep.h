/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --grep over terminal streams fed in pieces (docs/cli.md, "The index").
 *
 * A stream matches when regexec (POSIX ERE, C locale, no REG_NEWLINE) matches
 * the whole stream with NUL bytes read as spaces. To avoid building each
 * stream and running regexec over it, the pattern is analysed once:
 *   - a plain literal (case-sensitive) is searched piece by piece;
 *   - otherwise the longest literal every match must contain is used as a
 *     prefilter (memmem); when no match can contain a newline, regexec runs
 *     only on the lines holding that literal, as they complete;
 *   - else (a literal but matches may span lines) the stream is kept and
 *     regexec runs only if the literal occurs; with no literal, as before.
 * Results are the same as regexec over the whole stream (tests/unit/cli)
 * for every match of at most TA_VIEW_LINE_MAX bytes: a longer line (or stream,
 * when matches may span lines) is searched in windows of twice that, each
 * TA_VIEW_LINE_MAX after the last, so memory is bounded whatever a session
 * printed; the stream's cut says when that may have missed a longer match.
 * Invisible code points (zero-width, format, bidi, tags, fillers, variation
 * selectors: ta_cp_invisible) are taken out of the streams first, so
 * "rm -rf" finds r<U+200B>m -rf; unless the pattern holds one itself, then
 * the streams are searched as they are.
 */
#ifndef TA_VIEW_GREP_H
#define TA_VIEW_GREP_H

#include <regex.h>
#include <stddef.h>

#include "base/buf.h"

enum ta_grep_mode {
	TA_GREP_FULL = 0,   /* keep the stream, regexec at the end (after the literal check) */
	TA_GREP_PLAIN = 1,  /* the pattern is a case-sensitive literal */
	TA_GREP_LINES = 2,  /* regexec on the lines that hold the literal */
};

struct ta_grep {
	regex_t re;
	int icase;
	enum ta_grep_mode mode;
	char *lit;      /* a substring of every match (any case when icase); nlit 0: none */
	size_t nlit;
	int strip;      /* take invisible code points out of the streams */
};

/* 0 or the regcomp error (message in err). */
int ta_grep_compile(struct ta_grep *g, const char *pattern, int icase, char *err, size_t errlen);
void ta_grep_free(struct ta_grep *g);
/* Whether a whole buffer matches (as the stream of one piece): 1, 0 or -ENOMEM; *cut (may be
 * NULL) set as the stream's. */
int ta_grep_match(const struct ta_grep *g, const void *d, size_t n, int *cut);

/* Exposed for the tests: the literal and whether matches stay within one line. */
size_t ta_grep_literal(const char *pattern, char *lit, size_t litcap);
int ta_grep_one_line(const char *pattern);

struct ta_grep_stream {
	const struct ta_grep *g;
	struct ta_buf keep;   /* FULL: the stream; LINES: the incomplete last line (both from
			       * their last window on); PLAIN: the last nlit - 1 bytes */
	size_t from;          /* FULL, LINES: 1 when keep[0] is the byte before them (context) */
	struct ta_buf tmp;    /* a window made into a C string for regexec */
	int at_start;         /* keep starts at the stream start */
	int pending;          /* keep holds the literal */
	int hit;
	int err;              /* -ENOMEM: the search failed (never "no match") */
	int cut;              /* a line or stream longer than a window held the literal:
			       * a match longer than TA_VIEW_LINE_MAX may have been missed */
	struct ta_buf clean;  /* strip: the piece without invisible code points */
	uint8_t carry[4];     /* strip: an incomplete UTF-8 sequence at a piece's end */
	size_t ncarry;
};

void ta_grep_stream_init(struct ta_grep_stream *s, const struct ta_grep *g);
/* 1 when the stream matched (then nothing more needs feeding), 0, or -ENOMEM (kept). */
int ta_grep_stream_feed(struct ta_grep_stream *s, const void *d, size_t n);
/* At the end of the stream: whether it matched (1, 0), or -ENOMEM. */
int ta_grep_stream_finish(struct ta_grep_stream *s);
void ta_grep_stream_free(struct ta_grep_stream *s);

#endif

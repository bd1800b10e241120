/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The project's one UTF-8 decoder (well-formed UTF-8 only: no overlong
 * forms, surrogates or code points past U+10FFFF) and encoder. What a writer
 * does with bytes that are not UTF-8 is its policy (docs/log-format.md §11.2
 * for the log's JSON; the views replace or escape them for display).
 */
#ifndef TA_COMMON_UTF8_H
#define TA_COMMON_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of a valid UTF-8 sequence at s (n bytes), its code point in *cp;
 * 0 if invalid; -1 if it could become valid with more bytes (n too short).
 */
int ta_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if it is not one. */
size_t ta_utf8_len(const unsigned char *s, size_t n);
/*
 * Whether the n bytes at s are well-formed UTF-8 throughout: 1 or 0 (what a
 * PostgreSQL text in a UTF8 database accepts, NUL aside).
 */
int ta_utf8_valid(const void *s, size_t n);
/* The UTF-8 of code point cp (below U+110000) into out; returns its length, 1 to 4. */
size_t ta_utf8_encode(uint32_t cp, char out[4]);

/*
 * 1 for code points that show nothing (zero-width and format characters, bidi
 * controls, BOM, tags, Hangul fillers, variation selectors): shown escaped by
 * the neutraliser and the JSON writer, and skipped by --grep so that
 * r<ZWSP>m -rf matches rm -rf.
 */
int ta_cp_invisible(uint32_t cp);
/*
 * The columns a terminal gives code point cp: 0 (combining marks), 1, or 2
 * (East Asian wide); 1 for what it does not print (which the views escape
 * before they measure). glibc's wcwidth() in C.UTF-8, whatever the locale of
 * the process.
 */
int ta_cp_columns(uint32_t cp);
/*
 * 1 for a combining mark, drawn on the character before it: a non-spacing or
 * enclosing mark (Unicode general category Mn or Me), from a table, not the
 * locale. Inline, as every non-ASCII character of a transcript asks: most are
 * in a block of 64 with no mark at all.
 */
extern const uint64_t ta_combining_blocks[16];
int ta_cp_combining_search(uint32_t cp);

static inline int ta_cp_combining(uint32_t cp)
{
	if (cp < 0x300)
		return 0;
	if (cp < 0x10000 && !((ta_combining_blocks[cp >> 12] >> ((cp >> 6) & 63)) & 1))
		return 0;
	return ta_cp_combining_search(cp);
}

/* UTS #39 (5.4) suspects more than four non-spacing marks in a row; no script needs more. */
#define TA_MAX_MARKS 4
/* For ta_cp_mark_escaped: nothing shown before that a mark would combine with. */
#define TA_MARKS_NO_BASE (TA_MAX_MARKS + 1)

/*
 * The rule for combining marks in text shown on a terminal (show, JSON): 1 if
 * cp must be shown escaped, as a mark past the TA_MAX_MARKS-th on one
 * character, an enclosing mark (drawn over the neighbouring cells), or a mark
 * with nothing of the data under it (*marks TA_MARKS_NO_BASE: the writer's own
 * text or escape would wear it). *marks counts the marks kept on the last
 * character; a caller sets TA_MARKS_NO_BASE after writing text of its own.
 * Piles of marks are drawn over the lines above and below (docs/cli.md).
 */
int ta_cp_mark_escaped(uint32_t cp, uint8_t *marks);
/*
 * The columns of the n bytes at s from column col (a tab to the next stop of
 * 8; a byte that is not UTF-8, one column): where a terminal's cursor ends.
 */
unsigned ta_utf8_columns(const void *s, size_t n, unsigned col);
/*
 * 1 if the code point must be shown escaped: C0, DEL, C1 (U+009B is CSI to
 * a terminal), line and paragraph separators, and the invisible ones.
 */
int ta_cp_dangerous(uint32_t cp);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Terminal-escape neutralisation: recorded bytes become text that is safe to
 * print on an investigator's terminal. Printable ASCII and valid UTF-8 pass;
 * every control sequence turns into visible characters (docs/cli.md):
 *   ESC -> \e, CR -> \r (CR LF -> LF in text mode), BS -> \b, BEL -> \a,
 *   FF -> \f, VT -> \v, other C0 and DEL -> \xNN, a backslash -> \\,
 *   bytes that are not UTF-8 (8-bit C1 controls included) -> \xNN,
 *   C1 controls encoded in UTF-8, bidi / line-separator code points
 *   (U+202E, U+2066.., U+2028..) and invisible or format characters
 *   (zero-width U+200B.., BOM U+FEFF, tags U+E0000..U+E007F, Hangul
 *   fillers, variation selectors: ta_cp_invisible) -> \u{XXXX}.
 * A character keeps at most TA_MAX_MARKS combining marks; further marks,
 * enclosing marks (U+20DD..) and marks with no character of the data before
 * them (at a line's start, after a tab or an escape) are \u{XXXX} too
 * (ta_cp_mark_escaped): a pile of marks is drawn over the neighbouring lines.
 * So "\e]52;c;...\a" (an OSC 52 clipboard write) prints as those characters
 * and cannot act on the terminal. State carries incomplete UTF-8 and a CR
 * across calls, so data split between records renders the same.
 */
#ifndef TA_VIEW_NEUTRALISE_H
#define TA_VIEW_NEUTRALISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/utf8.h"
#include "base/buf.h"

/*
 * What the views hold of one line of a stream: show writes a line typed
 * without Enter out at this size, --grep finds matches up to this long (a
 * recorded line has no bound: a user prints one of any length).
 */
#define TA_VIEW_LINE_MAX (64u << 10)

enum ta_neut_mode {
	TA_NEUT_TEXT = 0,  /* keep LF and TAB, CR LF -> LF */
	TA_NEUT_LINE = 1,  /* everything escaped, LF -> \n, TAB -> \t: one line */
};

struct ta_neut {
	unsigned mode;
	uint8_t pend[4];
	uint8_t npend;
	bool cr;
	uint8_t marks;  /* marks shown on the last character (ta_cp_mark_escaped) */
	/*
	 * Optional, for callers that mark each line (show): when at_bol is set,
	 * bol(bol_ctx, out) runs before the next byte is written; writing a
	 * newline sets at_bol again. One pass then both neutralises and splits.
	 */
	bool at_bol;
	void (*bol)(void *ctx, struct ta_buf *out);
	void *bol_ctx;
};

void ta_neut_init(struct ta_neut *n, unsigned mode);
void ta_neut_feed(struct ta_neut *n, const void *data, size_t len, struct ta_buf *out);
/* Writes what is pending (incomplete UTF-8 as \xNN, a lone CR as \r). */
void ta_neut_flush(struct ta_neut *n, struct ta_buf *out);
/* One-shot: neutralise len bytes in LINE or TEXT mode. */
void ta_neutralise(const void *data, size_t len, unsigned mode, struct ta_buf *out);
/* A name or word from the log or input, on one line of output (TA_NEUT_LINE). */
void ta_neutralise_line(const char *s, struct ta_buf *out);
/* Which code points are shown escaped: ta_cp_dangerous, ta_cp_invisible (base/utf8.h). */
/* ta_utf8_decode: base/utf8.h. */

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a terminal showed, for the views that draw a screen (asciicast and
 * typescript export, replay, show --screen): recorded output with the
 * terminal's output processing applied (opost.h), and window sizes with
 * repeats dropped (readline sets the same size again at every prompt).
 */
#ifndef TA_VIEW_SHOWN_H
#define TA_VIEW_SHOWN_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "view/opost.h"
#include "view/transcript.h"

struct ta_shown {
	struct ta_opost op;
	uint16_t rows, cols;   /* the size in effect (0: none yet) */
	struct ta_buf buf;
};

void ta_shown_init(struct ta_shown *s, uint16_t rows, uint16_t cols);
void ta_shown_free(struct ta_shown *s);
/* An output event's bytes as shown; *n their count. Valid until the next call. */
const uint8_t *ta_shown_output(struct ta_shown *s, const struct ta_tev *e, const uint8_t *d,
			       size_t *n);
/* A window-size event: 1 if it changes the size in effect (then it is), 0 if not. */
int ta_shown_resize(struct ta_shown *s, const struct ta_tev *e);

/*
 * The largest screen the views draw or hand to a player. The log keeps the
 * sizes as recorded, and a user can set any (stty rows 65535 cols 65535): a
 * terminal emulator (libvterm, a player) allocates every cell of it. At most
 * TA_SCREEN_MAX_SIDE rows or columns (the asciicast reader refuses more) and
 * TA_SCREEN_MAX_CELLS cells (an 8K display in a small font is about 0.5 M).
 */
#define TA_SCREEN_MAX_SIDE 10000u
#define TA_SCREEN_MAX_CELLS (1u << 20)
/*
 * Fits a recorded size into those bounds: columns first (a line is read
 * across), then rows. 1 if it was reduced (the views say so), 0 if not.
 */
int ta_screen_fit(unsigned *rows, unsigned *cols);

#endif

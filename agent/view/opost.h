/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The terminal's output processing (termios OPOST, ONLCR, OCRNL, ONOCR,
 * ONLRET, OLCUC, TAB3) applied to recorded output, as the kernel's n_tty
 * applies it between a program's write and the screen: the log keeps the
 * bytes written, a view that draws a screen needs the bytes shown ("\n" of
 * `ls` reached the screen as "\r\n"). Follows n_tty's do_output_char,
 * including its column count (ONOCR, tabs).
 */
#ifndef TA_VIEW_OPOST_H
#define TA_VIEW_OPOST_H

#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/log_records.h"
#include "base/buf.h"

/* Logs written before output modes were recorded: Linux's default for terminals. */
#define TA_OPOST_ASSUMED (TA_OF_KNOWN | TA_OF_OPOST | TA_OF_ONLCR)

struct ta_opost {
	uint32_t column;   /* n_tty's column: ONOCR and tab expansion depend on it */
};

static inline void ta_opost_init(struct ta_opost *p)
{
	p->column = 0;
}

/* oflag: enum ta_oflag of the entry (TA_OF_UNKNOWN: TA_OPOST_ASSUMED). Appends to out. */
void ta_opost_apply(struct ta_opost *p, uint32_t oflag, const uint8_t *s, size_t n,
		    struct ta_buf *out);

#endif

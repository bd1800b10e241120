/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growing byte buffer for the views. Appends never fail silently: oom is sticky. */
#ifndef TA_VIEW_BUF_H
#define TA_VIEW_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ta_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

void ta_buf_init(struct ta_buf *b);
void ta_buf_free(struct ta_buf *b);
static inline void ta_buf_reset(struct ta_buf *b) { b->len = 0; }
/* Room for n more bytes; 0 or -ENOMEM. */
int ta_buf_reserve(struct ta_buf *b, size_t n);
void ta_buf_put(struct ta_buf *b, const void *data, size_t n);
void ta_buf_putc(struct ta_buf *b, char c);
void ta_buf_puts(struct ta_buf *b, const char *s);
void ta_buf_printf(struct ta_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

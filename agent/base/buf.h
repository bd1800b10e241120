/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one growable byte buffer (the JSON writer, the views, the CLI). Appends never fail
 * silently: oom is sticky. */
#ifndef TA_COMMON_BUF_H
#define TA_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ta_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

void ta_buf_init(struct ta_buf *b);
void ta_buf_free(struct ta_buf *b);
static inline void ta_buf_reset(struct ta_buf *b) { b->len = 0; }
/* Room for n more bytes; 0 or -ENOMEM. */
int ta_buf_grow(struct ta_buf *b, size_t n);
static inline int ta_buf_reserve(struct ta_buf *b, size_t n)
{
	return b->cap - b->len >= n && !b->oom ? 0 : ta_buf_grow(b, n);
}

/*
 * Room for `need` elements of `size` bytes in the array *v of capacity *cap
 * (elements), doubling from 64: 0, or -ENOMEM (also when the size overflows).
 */
int ta_array_grow(void **v, size_t *cap, size_t need, size_t size);

/* Inline: the views append a few bytes at a time, per line and per escape. */
static inline void ta_buf_put(struct ta_buf *b, const void *data, size_t n)
{
	if (!n || ta_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static inline void ta_buf_putc(struct ta_buf *b, char c)
{
	if (b->len < b->cap && !b->oom) {
		b->p[b->len++] = (uint8_t)c;
		return;
	}
	ta_buf_put(b, &c, 1);
}

static inline void ta_buf_puts(struct ta_buf *b, const char *s)
{
	ta_buf_put(b, s, strlen(s));
}
void ta_buf_printf(struct ta_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Appends item to the ", "-separated list in the fixed array list[cap] (a
 * C string), as far as it fits: what is cut is cut, the list stays a string.
 */
void ta_str_list_add(char *list, size_t cap, const char *item);

#endif

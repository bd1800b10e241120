// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

void ta_buf_init(struct ta_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void ta_buf_free(struct ta_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int ta_buf_grow(struct ta_buf *b, size_t n)
{
	if (b->oom)
		return -ENOMEM;
	if (b->len + n <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return -ENOMEM;
		}
		cap *= 2;
	}
	uint8_t *np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return -ENOMEM;
	}
	b->p = np;
	b->cap = cap;
	return 0;
}

void ta_buf_printf(struct ta_buf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[256];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		ta_buf_put(b, tmp, (size_t)n);
		return;
	}
	if (ta_buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

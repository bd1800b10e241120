// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
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

int ta_array_grow(void **v, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	/* No object may exceed PTRDIFF_MAX bytes: refuse before asking malloc,
	 * which under a sanitizer aborts instead of returning NULL. */
	size_t max = (size_t)PTRDIFF_MAX / (size ? size : 1);
	if (!size || need > max)
		return -ENOMEM;
	size_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc = nc > max / 2 ? need : nc * 2;
	if (nc > max)
		nc = need; /* the doubling went past what fits: exactly what is asked */
	void *nv = realloc(*v, nc * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

void ta_str_list_add(char *list, size_t cap, const char *item)
{
	size_t used = cap ? strnlen(list, cap) : 0;

	if (used < cap)
		snprintf(list + used, cap - used, "%s%s", used ? ", " : "", item);
}

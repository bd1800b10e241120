// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/base64.h"

#include <errno.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ta_base64_encode(const void *data, size_t n, char *out)
{
	const uint8_t *in = data;
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long ta_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap, unsigned flags)
{
	size_t o = 0;

	if (n % 4)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		int a = value(in[i]), b = value(in[i + 1]);
		int c = in[i + 2] == '=' ? -2 : value(in[i + 2]);
		int d = in[i + 3] == '=' ? -2 : value(in[i + 3]);
		size_t k = c < 0 ? 1 : d < 0 ? 2 : 3;
		uint32_t v;

		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2) ||
		    ((c == -2 || d == -2) && i + 4 != n))
			return -EINVAL;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)(c < 0 ? 0 : c) << 6 |
		    (uint32_t)(d < 0 ? 0 : d);
		if ((flags & TA_BASE64_CANONICAL) && ((k == 1 && (v & 0xffff)) || (k == 2 && (v & 0xff))))
			return -EINVAL;
		if (k > cap - o)
			return -ENOSPC;
		out[o++] = (uint8_t)(v >> 16);
		if (k > 1)
			out[o++] = (uint8_t)(v >> 8);
		if (k > 2)
			out[o++] = (uint8_t)v;
	}
	return (long)o;
}

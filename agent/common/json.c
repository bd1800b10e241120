// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/json.h"

#include "common/base64.h"
#include "common/clock.h"
#include "common/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void ta_json_init(struct ta_json *j)
{
	memset(j, 0, sizeof(*j));
}

void ta_json_free(struct ta_json *j)
{
	free(j->buf);
	ta_json_init(j);
}

void ta_json_reset(struct ta_json *j)
{
	j->len = 0;
	j->depth = 0;
	j->need_comma = false;
	j->oom = false;
}

static bool reserve(struct ta_json *j, size_t more)
{
	size_t cap;
	char *b;

	if (j->oom)
		return false;
	if (j->len + more + 1 <= j->cap)
		return true;
	cap = j->cap ? j->cap : 256;
	while (cap < j->len + more + 1)
		cap *= 2;
	b = realloc(j->buf, cap);
	if (!b) {
		j->oom = true;
		return false;
	}
	j->buf = b;
	j->cap = cap;
	return true;
}

static void put(struct ta_json *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void value_prefix(struct ta_json *j)
{
	if (j->need_comma)
		put(j, ",", 1);
	j->need_comma = true;
}

void ta_json_obj_begin(struct ta_json *j)
{
	value_prefix(j);
	put(j, "{", 1);
	j->need_comma = false;
	j->depth++;
}

void ta_json_obj_end(struct ta_json *j)
{
	put(j, "}", 1);
	j->need_comma = true;
	j->depth--;
}

void ta_json_arr_begin(struct ta_json *j)
{
	value_prefix(j);
	put(j, "[", 1);
	j->need_comma = false;
	j->depth++;
}

void ta_json_arr_end(struct ta_json *j)
{
	put(j, "]", 1);
	j->need_comma = true;
	j->depth--;
}

static void put_escaped(struct ta_json *j, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	put(j, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t run;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(j, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, e, 6);
			i++;
		} else if ((run = ta_utf8_len(s + i, n - i)) > 0) {
			put(j, (const char *)s + i, run);
			i += run;
		} else {
			/* Invalid UTF-8 byte: keep it visible as its Latin-1 code point. */
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, e, 6);
			i++;
		}
	}
	put(j, "\"", 1);
}

void ta_json_key(struct ta_json *j, const char *key)
{
	value_prefix(j);
	put_escaped(j, (const unsigned char *)key, strlen(key));
	put(j, ":", 1);
	j->need_comma = false;
}

void ta_json_strn(struct ta_json *j, const void *s, size_t n)
{
	value_prefix(j);
	put_escaped(j, s, n);
}

void ta_json_str(struct ta_json *j, const char *s)
{
	ta_json_strn(j, s, strlen(s));
}

void ta_json_u64(struct ta_json *j, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	value_prefix(j);
	put(j, b, (size_t)n);
}

void ta_json_i64(struct ta_json *j, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	value_prefix(j);
	put(j, b, (size_t)n);
}

void ta_json_bool(struct ta_json *j, bool v)
{
	value_prefix(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void ta_json_null(struct ta_json *j)
{
	value_prefix(j);
	put(j, "null", 4);
}

void ta_json_id(struct ta_json *j, uint32_t v)
{
	if (v == UINT32_MAX)
		ta_json_null(j);
	else
		ta_json_u64(j, v);
}

void ta_json_raw(struct ta_json *j, const char *text, size_t n)
{
	value_prefix(j);
	put(j, text, n);
}

void ta_json_time(struct ta_json *j, uint64_t realtime_ns)
{
	char b[TA_RFC3339_MAX];
	size_t n = ta_rfc3339(b, realtime_ns, 9);

	value_prefix(j);
	put(j, "\"", 1);
	put(j, b, n);
	put(j, "\"", 1);
}

void ta_json_base64(struct ta_json *j, const void *data, size_t n)
{
	size_t enc = TA_BASE64_LEN(n);

	value_prefix(j);
	if (!reserve(j, enc + 2))
		return;
	j->buf[j->len++] = '"';
	j->len += ta_base64_encode(data, n, j->buf + j->len);
	j->buf[j->len++] = '"';
	j->buf[j->len] = '\0';
}

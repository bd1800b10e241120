// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/json.h"

#include "base/base64.h"
#include "base/clock.h"
#include "base/json_read.h"
#include "base/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(offsetof(struct ta_json, buf) == offsetof(struct ta_json, out.p) &&
		       offsetof(struct ta_json, len) == offsetof(struct ta_json, out.len) &&
		       offsetof(struct ta_json, cap) == offsetof(struct ta_json, out.cap) &&
		       offsetof(struct ta_json, oom) == offsetof(struct ta_json, out.oom),
	       "ta_json's text fields are its ta_buf's");

void ta_json_init(struct ta_json *j)
{
	memset(j, 0, sizeof(*j));
}

void ta_json_adopt(struct ta_json *j, struct ta_buf *b)
{
	ta_json_init(j);
	j->out = *b;
	ta_buf_init(b);
}

void ta_json_release(struct ta_json *j, struct ta_buf *b)
{
	*b = j->out;
	ta_json_init(j);
}

void ta_json_free(struct ta_json *j)
{
	ta_buf_free(&j->out);
	ta_json_init(j);
}

void ta_json_reset(struct ta_json *j)
{
	j->len = 0;
	j->depth = 0;
	j->need_comma = false;
	j->oom = false;
}

/* Room for more bytes and the NUL that keeps buf a C string. */
static bool reserve(struct ta_json *j, size_t more)
{
	return more < SIZE_MAX && ta_buf_reserve(&j->out, more + 1) == 0;
}

static void terminate(struct ta_json *j)
{
	if (reserve(j, 0))
		j->buf[j->len] = '\0';
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

/*
 * The one JSON string escaper. Both policies escape '"' and '\\', keep
 * printable ASCII and valid UTF-8 as they are, and write the code points a
 * terminal would obey or that hide themselves as \uXXXX (put_u_escape).
 * TA_JSON_LOG (the log and its JSON Lines; docs/log-format.md §11.2): every
 * other byte, control or not UTF-8, is \u00XX. TA_JSON_DISPLAY (the CLI's and asciicast's text of
 * terminal bytes): \n \r \t \b \f, other controls \u00XX, bytes that are
 * not UTF-8 U+FFFD. Returns the bytes replaced by U+FFFD.
 */
enum escape_policy { TA_JSON_LOG, TA_JSON_DISPLAY };

/*
 * \uXXXX (a surrogate pair past U+FFFF) for a code point a terminal acts on
 * or that hides itself (ta_cp_dangerous: C1 controls such as U+009B, CSI to a
 * terminal; bidi overrides; zero-width characters). The same string to a JSON
 * reader, and nothing a terminal obeys when the JSON text itself is shown.
 */
static void put_u_escape(struct ta_buf *out, uint32_t cp)
{
	static const char hex[] = "0123456789abcdef";

	if (cp > 0xffff) {
		uint32_t v = cp - 0x10000;
		put_u_escape(out, 0xd800 | (v >> 10));
		put_u_escape(out, 0xdc00 | (v & 0x3ff));
		return;
	}
	char u[6] = { '\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
		      hex[cp & 15] };
	ta_buf_put(out, u, 6);
}

static uint64_t escape(struct ta_buf *out, const uint8_t *s, size_t n, enum escape_policy pol)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t replaced = 0;
	size_t i = 0;
	uint8_t marks = TA_MARKS_NO_BASE; /* a mark first would sit on the quote */

	ta_buf_putc(out, '"');
	ta_buf_reserve(out, n + 16);
	while (i < n) {
		uint8_t c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			/* Runs of plain ASCII at once: the common case, on the CLI's hot path. */
			size_t k = i + 1;
			while (k < n && s[k] >= 0x20 && s[k] < 0x7f && s[k] != '"' && s[k] != '\\')
				k++;
			ta_buf_put(out, s + i, k - i);
			marks = 0;
			i = k;
			continue;
		}
		if (c < 0x80) {
			marks = TA_MARKS_NO_BASE; /* an escape: a mark after it would sit on it */
			const char *e = NULL;
			switch (c) {
			case '"': e = "\\\""; break;
			case '\\': e = "\\\\"; break;
			case '\n': e = pol == TA_JSON_DISPLAY ? "\\n" : NULL; break;
			case '\r': e = pol == TA_JSON_DISPLAY ? "\\r" : NULL; break;
			case '\t': e = pol == TA_JSON_DISPLAY ? "\\t" : NULL; break;
			case '\b': e = pol == TA_JSON_DISPLAY ? "\\b" : NULL; break;
			case '\f': e = pol == TA_JSON_DISPLAY ? "\\f" : NULL; break;
			}
			if (e) {
				ta_buf_puts(out, e);
			} else {
				char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				ta_buf_put(out, u, 6);
			}
			i++;
			continue;
		}
		uint32_t cp;
		int l = ta_utf8_decode(s + i, n - i, &cp);
		if (l > 0) {
			if (ta_cp_dangerous(cp) || ta_cp_mark_escaped(cp, &marks)) {
				put_u_escape(out, cp);
				marks = TA_MARKS_NO_BASE;
			} else {
				ta_buf_put(out, s + i, (size_t)l);
			}
			i += (size_t)l;
			continue;
		}
		/* U+FFFD is a character a mark may sit on; \u00XX is an escape. */
		marks = pol == TA_JSON_DISPLAY ? 0 : TA_MARKS_NO_BASE;
		if (pol == TA_JSON_DISPLAY) {
			ta_buf_puts(out, "\xef\xbf\xbd");
			replaced++;
		} else {
			/* Not UTF-8: the byte stays visible as \u00XX. */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			ta_buf_put(out, u, 6);
		}
		i++;
	}
	ta_buf_putc(out, '"');
	return replaced;
}

uint64_t ta_json_text(struct ta_buf *out, const uint8_t *s, size_t n)
{
	return escape(out, s, n, TA_JSON_DISPLAY);
}

uint64_t ta_json_text_value(struct ta_json *j, const void *s, size_t n)
{
	value_prefix(j);
	uint64_t replaced = escape(&j->out, s, n, TA_JSON_DISPLAY);
	terminate(j);
	return replaced;
}

static void put_escaped(struct ta_json *j, const unsigned char *s, size_t n)
{
	escape(&j->out, s, n, TA_JSON_LOG);
	terminate(j);
}

void ta_json_key(struct ta_json *j, const char *key)
{
	size_t n = 0;

	/* Keys are the program's own ASCII names: copied at once, the escaper only when needed. */
	while (key[n] >= 0x20 && key[n] < 0x7f && key[n] != '"' && key[n] != '\\')
		n++;
	if (key[n] != '\0') {
		value_prefix(j);
		put_escaped(j, (const unsigned char *)key, strlen(key));
		put(j, ":", 1);
	} else if (reserve(j, n + 4)) {
		char *o = j->buf + j->len;
		if (j->need_comma)
			*o++ = ',';
		*o++ = '"';
		memcpy(o, key, n);
		o += n;
		*o++ = '"';
		*o++ = ':';
		*o = '\0';
		j->len = (size_t)(o - j->buf);
	}
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

void ta_json_strings(struct ta_json *j, const void *list, size_t len)
{
	const uint8_t *p = list;
	size_t start = 0;

	ta_json_arr_begin(j);
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\0') {
			ta_json_strn(j, p + start, i - start);
			start = i + 1;
		}
	}
	if (start < len)
		ta_json_strn(j, p + start, len - start);
	ta_json_arr_end(j);
}

void ta_json_u64(struct ta_json *j, uint64_t v)
{
	/* Digits by hand, not snprintf: the CLI writes many numbers per session row. */
	char b[24];
	size_t i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	value_prefix(j);
	put(j, b + i, sizeof(b) - i);
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

void ta_json_fixed(struct ta_json *j, double v, int decimals)
{
	char b[352]; /* the widest double in %f: 309 digits, sign, point, decimals */
	int n = snprintf(b, sizeof(b), "%.*f", decimals, v);

	if (!isfinite(v) || n < 0 || (size_t)n >= sizeof(b)) {
		ta_json_null(j);
		return;
	}
	value_prefix(j);
	put(j, b, (size_t)n);
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

void ta_json_raw_read(struct ta_json *j, const char *text, size_t n)
{
	const uint8_t *t = (const uint8_t *)text;
	size_t i = 0, from = 0;
	bool in_str = false;
	uint8_t marks = TA_MARKS_NO_BASE;

	value_prefix(j);
	/*
	 * JSON read from a log (a host's, in the fleet) may hold any valid UTF-8
	 * in its strings: what a terminal would obey, and bytes that are not
	 * UTF-8, are written escaped (U+FFFD for the latter), never as they are;
	 * so is DEL, and an escaped surrogate that is not half of a pair becomes
	 * \ufffd, as ta_json_text writes them (a strict reader refuses a lone
	 * one). Whitespace between its tokens (a CR, a line break: valid JSON) is
	 * dropped, so that the copy stays one line of JSON Lines and moves no
	 * cursor. Callers pass JSON they parsed; inside its strings no control
	 * byte is raw.
	 */
	while (i < n) {
		if (t[i] < 0x80) {
			/* A combining mark may sit on a character, not on a quote or an escape. */
			marks = t[i] == '"' || t[i] == '\\' || t[i] == 0x7f ? TA_MARKS_NO_BASE : 0;
			if (t[i] == 0x7f) {
				put(j, text + from, i - from);
				put(j, "\\u007f", 6);
				from = ++i;
				continue;
			}
			if (in_str && t[i] == '\\') {
				uint32_t cp;
				size_t ul;
				if (ta_json_u_escape(text + i, text + n, &cp, &ul)) {
					i += i + 1 < n ? 2 : 1; /* another escape and the byte it escapes */
				} else if (cp == 0xfffd) {
					/* a lone surrogate (or \\ufffd itself): \\ufffd */
					put(j, text + from, i - from);
					put(j, "\\ufffd", 6);
					from = i += ul;
				} else {
					i += ul;
				}
				continue;
			}
			if (t[i] == '"') {
				in_str = !in_str;
			} else if (!in_str && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) {
				put(j, text + from, i - from);
				from = i + 1;
			}
			i++;
			continue;
		}
		uint32_t cp;
		int l = ta_utf8_decode(t + i, n - i, &cp);
		if (l > 0 && !ta_cp_dangerous(cp) && !ta_cp_mark_escaped(cp, &marks)) {
			i += (size_t)l;
			continue;
		}
		marks = TA_MARKS_NO_BASE;
		put(j, text + from, i - from);
		if (l > 0)
			put_u_escape(&j->out, cp);
		else
			put(j, "\\ufffd", 6);
		i += l > 0 ? (size_t)l : 1;
		from = i;
	}
	put(j, text + from, n - from);
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

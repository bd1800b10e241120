// SPDX-License-Identifier: GPL-2.0-or-later
/* Terminal-escape neutralisation (neutralise.h). */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/utf8.h"
#include "view/neutralise.h"

void ta_neut_init(struct ta_neut *n, unsigned mode)
{
	memset(n, 0, sizeof(*n));
	n->mode = mode;
	n->marks = TA_MARKS_NO_BASE;
}

static const char hex[] = "0123456789abcdef";

/* Every write goes through these: a line start runs the caller's bol() first. */
static inline void emit(struct ta_neut *n, struct ta_buf *out, const void *p, size_t len)
{
	if (__builtin_expect(n->at_bol, 0)) {
		n->at_bol = false;
		n->bol(n->bol_ctx, out);
	}
	ta_buf_put(out, p, len);
}

static inline void emit_c(struct ta_neut *n, struct ta_buf *out, char c)
{
	if (__builtin_expect(n->at_bol, 0)) {
		n->at_bol = false;
		n->bol(n->bol_ctx, out);
	}
	ta_buf_putc(out, c);
}

static inline void emit_nl(struct ta_neut *n, struct ta_buf *out)
{
	emit_c(n, out, '\n');
	n->marks = TA_MARKS_NO_BASE;
	n->at_bol = n->bol != NULL;
}

static void put_hex(struct ta_neut *n, struct ta_buf *out, uint8_t c)
{
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	emit(n, out, e, 4);
	n->marks = TA_MARKS_NO_BASE; /* a mark after it would deface the escape */
}

static void put_control(struct ta_neut *n, uint8_t c, struct ta_buf *out)
{
	const char *e = NULL;

	switch (c) {
	case 0x1b: e = "\\e"; break;
	case '\a': e = "\\a"; break;
	case '\b': e = "\\b"; break;
	case '\f': e = "\\f"; break;
	case '\v': e = "\\v"; break;
	case '\r': e = "\\r"; break;
	case '\\': e = "\\\\"; break;
	case '\n':
		if (n->mode == TA_NEUT_TEXT) {
			emit_nl(n, out);
			return;
		}
		e = "\\n";
		break;
	case '\t':
		if (n->mode == TA_NEUT_TEXT) {
			emit_c(n, out, '\t');
			n->marks = TA_MARKS_NO_BASE; /* a terminal puts a mark after a tab on the cell before it */
			return;
		}
		e = "\\t";
		break;
	}
	if (e) {
		emit(n, out, e, 2);
		n->marks = TA_MARKS_NO_BASE;
	} else {
		put_hex(n, out, c);
	}
}

static void put_cp_escape(struct ta_neut *n, struct ta_buf *out, uint32_t cp)
{
	/* "\\u{%04x}" */
	char e[16] = "\\u{";
	size_t k = 3, digits = 4;
	while (digits < 8 && (cp >> (4 * digits)))
		digits++;
	while (digits--)
		e[k++] = hex[(cp >> (4 * digits)) & 15];
	e[k++] = '}';
	emit(n, out, e, k);
	n->marks = TA_MARKS_NO_BASE;
}

/* Handles the byte(s) at s; returns how many were consumed (0: need more input). */
static size_t one(struct ta_neut *n, const uint8_t *s, size_t len, bool final, struct ta_buf *out)
{
	uint8_t c = s[0];
	uint32_t cp;
	int l;

	if (n->cr) {
		n->cr = false;
		if (c != '\n') {
			emit(n, out, "\\r", 2);
			n->marks = TA_MARKS_NO_BASE;
		}
	}
	if (c >= 0x20 && c < 0x7f && c != '\\') {
		emit_c(n, out, (char)c);
		n->marks = 0;
		return 1;
	}
	if (c < 0x80) {
		if (c == '\r' && n->mode == TA_NEUT_TEXT) {
			n->cr = true; /* decided by the next byte */
			return 1;
		}
		put_control(n, c, out);
		return 1;
	}
	l = ta_utf8_decode(s, len, &cp);
	if (l < 0) {
		if (!final)
			return 0;
		put_hex(n, out, c);
		return 1;
	}
	if (l == 0) {
		put_hex(n, out, c);
		return 1;
	}
	/*
	 * A line the caller is about to mark (at_bol, also set by the caller
	 * between records) has nothing of the data yet: decided before emit()
	 * writes the marker, a mark first on it was put on the marker.
	 */
	if (n->at_bol)
		n->marks = TA_MARKS_NO_BASE;
	if (ta_cp_dangerous(cp) || ta_cp_mark_escaped(cp, &n->marks))
		put_cp_escape(n, out, cp);
	else
		emit(n, out, s, (size_t)l);
	return (size_t)l;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Whether any byte of w is a control (< 0x20), DEL, a backslash or >= 0x80. */
static inline uint64_t word_special(uint64_t w)
{
	uint64_t lt20 = (w - ONES * 0x20) & ~w;
	uint64_t x7f = w ^ (ONES * 0x7f), x5c = w ^ (ONES * 0x5c);
	uint64_t del = (x7f - ONES) & ~x7f, bsl = (x5c - ONES) & ~x5c;

	return (lt20 | del | bsl | w) & HIGHS;
}

/* End of the run of printable ASCII other than '\\' starting at p (16 or 8 bytes at a time). */
static inline const uint8_t *plain_run(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	/* Signed: bytes >= 0x80 are negative, so one compare finds them and the C0 controls. */
	const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), bsl = _mm_set1_epi8(0x5c);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, sp),
					   _mm_or_si128(_mm_cmpeq_epi8(v, del), _mm_cmpeq_epi8(v, bsl)));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		if (word_special(w))
			break;
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p < 0x7f && *p != '\\')
		p++;
	return p;
}

void ta_neut_feed(struct ta_neut *n, const void *data, size_t len, struct ta_buf *out)
{
	const uint8_t *p = data, *end = p + len;

	if (!len)
		return;
	/* Finish a sequence that the previous call left incomplete. */
	while (n->npend && p < end) {
		n->pend[n->npend++] = *p++;
		uint32_t cp;
		int l = ta_utf8_decode(n->pend, n->npend, &cp);
		if (l < 0 && n->npend < 4)
			continue;
		/* Resolve pending bytes one at a time, as if they had come now. */
		uint8_t tmp[4];
		size_t k = n->npend, i = 0;
		memcpy(tmp, n->pend, k);
		n->npend = 0;
		while (i < k) {
			size_t used = one(n, tmp + i, k - i, false, out);
			if (!used) {
				memcpy(n->pend, tmp + i, k - i);
				n->npend = (uint8_t)(k - i);
				break;
			}
			i += used;
		}
		/* Still pending (a new incomplete prefix): keep appending. */
	}
	if (ta_buf_reserve(out, (size_t)(end - p) + 16))
		return;
	while (p < end) {
		/* Fast path: a run of plain printable ASCII (and LF, TAB, CR LF in text mode), copied in bulk. */
		if (!n->cr) {
			const uint8_t *q = plain_run(p, end);
			if (q != p) {
				emit(n, out, p, (size_t)(q - p));
				n->marks = 0;
				p = q;
				if (p == end)
					break;
			}
			if (n->mode == TA_NEUT_TEXT) {
				uint8_t c = *p;
				if (c == '\n' || c == '\t') {
					if (c == '\n') {
						emit_nl(n, out);
					} else {
						emit_c(n, out, '\t');
						n->marks = TA_MARKS_NO_BASE;
					}
					p++;
					continue;
				}
				if (c == '\r' && end - p >= 2 && p[1] == '\n') {
					emit_nl(n, out);
					p += 2;
					continue;
				}
			}
		}
		size_t used = one(n, p, (size_t)(end - p), false, out);
		if (!used) {
			size_t k = (size_t)(end - p);
			memcpy(n->pend, p, k);
			n->npend = (uint8_t)k;
			return;
		}
		p += used;
	}
}

void ta_neut_flush(struct ta_neut *n, struct ta_buf *out)
{
	for (size_t i = 0; i < n->npend; i++) {
		if (n->cr) {
			n->cr = false;
			emit(n, out, "\\r", 2);
		}
		put_hex(n, out, n->pend[i]);
	}
	n->npend = 0;
	if (n->cr) {
		n->cr = false;
		emit(n, out, "\\r", 2);
	}
}

void ta_neutralise(const void *data, size_t len, unsigned mode, struct ta_buf *out)
{
	struct ta_neut n;

	ta_neut_init(&n, mode);
	ta_neut_feed(&n, data, len, out);
	ta_neut_flush(&n, out);
}

void ta_neutralise_line(const char *s, struct ta_buf *out)
{
	ta_neutralise(s, strlen(s), TA_NEUT_LINE, out);
}

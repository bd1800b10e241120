// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * show's one-pass output lines: the neutraliser's line-start hook (bol) must
 * give the same bytes as neutralising each piece first and then splitting it
 * into marked lines (the two-pass way show used), for random terminal bytes
 * in random pieces, with other lines (input, a switch of terminal) between.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "view/neutralise.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

struct sink {
	struct ta_buf *o;
	int at_bol, dir, tty, piece, first;
};

static void mark(struct sink *s, int tty)
{
	if (!s->at_bol)
		ta_buf_putc(s->o, '\n');
	char m[32];
	int n = snprintf(m, sizeof(m), "%d/%d o| ", s->piece, tty);
	ta_buf_put(s->o, m, (size_t)n);
	s->at_bol = 0;
	s->dir = 'o';
	s->tty = tty;
}

/* The two-pass way: neutralise the piece, then split it at newlines. */
static void old_output(struct sink *s, struct ta_neut *n, struct ta_buf *tmp, int tty, const uint8_t *d,
		       size_t len)
{
	ta_buf_reset(tmp);
	ta_neut_feed(n, d, len, tmp);
	const uint8_t *p = tmp->p, *end = p + tmp->len;
	while (p < end) {
		if (s->at_bol || s->dir != 'o' || s->tty != tty)
			mark(s, tty);
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t k = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		ta_buf_put(s->o, p, k);
		p += k;
		if (nl)
			s->at_bol = 1;
	}
}

static int cur_tty;

static void bol(void *ctx, struct ta_buf *o)
{
	struct sink *s = ctx;

	(void)o;
	if (!s->first)
		s->at_bol = 1;
	s->first = 0;
	mark(s, cur_tty);
}

/* The one-pass way, as show_output does it. */
static void new_output(struct sink *s, struct ta_neut *n, int tty, const uint8_t *d, size_t len)
{
	int need = s->at_bol || s->dir != 'o' || s->tty != tty;
	size_t before = s->o->len;

	cur_tty = tty;
	s->first = need;
	n->at_bol = need;
	ta_neut_feed(n, d, len, s->o);
	if (s->o->len != before)
		s->at_bol = n->at_bol;
	n->at_bol = false;
}

static void other_line(struct sink *s)
{
	if (!s->at_bol)
		ta_buf_putc(s->o, '\n');
	ta_buf_puts(s->o, "#| other\n");
	s->at_bol = 1;
	s->dir = '#';
}

int main(void)
{
	static const char *const bits[] = {
		"\r\n", "\n", "\r", "\x1b[1m", "\\", "\t", "\xe2\x80", "\xae", "\xe2\x80\xae", "\xc3", "\xa9",
		"\xf0\x9f\x98", "\x80", "\x9b", "\x7f", "\x00", "plain text ", "x", "\xc2\x9b", "\xff",
	};
	for (int rep = 0; rep < 3000; rep++) {
		uint8_t data[2048];
		size_t n = 0, want = rnd(sizeof(data) - 32);
		while (n < want) {
			const char *b = bits[rnd(sizeof(bits) / sizeof(bits[0]))];
			size_t l = strlen(b) ? strlen(b) : 1; /* "\x00" is one NUL byte */
			memcpy(data + n, b, l);
			n += l;
		}
		struct ta_buf a, b, tmp;
		ta_buf_init(&a);
		ta_buf_init(&b);
		ta_buf_init(&tmp);
		struct sink sa = { .o = &a, .at_bol = 1 }, sb = { .o = &b, .at_bol = 1 };
		struct ta_neut na, nb;
		ta_neut_init(&na, TA_NEUT_TEXT);
		ta_neut_init(&nb, TA_NEUT_TEXT);
		nb.bol = bol;
		nb.bol_ctx = &sb;
		size_t off = 0;
		int piece = 0;
		while (off < n) {
			size_t k = 1 + rnd(rnd(2) ? 8 : 300);
			if (k > n - off)
				k = n - off;
			int tty = rnd(5) == 0 ? 2 : 1;
			sa.piece = sb.piece = piece++;
			old_output(&sa, &na, &tmp, tty, data + off, k);
			new_output(&sb, &nb, tty, data + off, k);
			off += k;
			if (rnd(6) == 0) {
				other_line(&sa);
				other_line(&sb);
			}
		}
		ta_neut_flush(&na, &a);
		nb.at_bol = false;
		ta_neut_flush(&nb, &b);
		/* Empty buffers may hold NULL: memcmp only what is there. */
		CHECK(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)));
		if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len))) {
			fprintf(stderr, "differ at rep %d:\n--- two-pass\n%.*s\n--- one-pass\n%.*s\n", rep,
				(int)a.len, (const char *)a.p, (int)b.len, (const char *)b.p);
			break;
		}
		ta_buf_free(&a);
		ta_buf_free(&b);
		ta_buf_free(&tmp);
	}
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deterministic random mutation of real audit lines (seeded PRNG): bytes
 * flipped, inserted (NUL, quotes, '=', escapes, GS, newlines), deleted,
 * duplicated, numbers blown up, lines cut and spliced. Every event that
 * comes out must be sane and survive the wire round trip; nothing may crash.
 * argv: CORPUS_DIR [ITERATIONS [SEED]]
 */
#include <inttypes.h>

#include "../../lib/check.h"
#include "corpus_util.h"
#include "sessions/session_table.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

struct lines {
	char **v;
	size_t *len;
	size_t n;
};

static void split_lines(char *data, size_t len, struct lines *l)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || data[i] == '\n') {
			if (i > start) {
				l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
				l->len = realloc(l->len, (l->n + 1) * sizeof(*l->len));
				l->v[l->n] = data + start;
				l->len[l->n] = i - start;
				l->n++;
			}
			start = i + 1;
		}
	}
}

static const char specials[] = { '\0', '"', '\'', '=', ' ', '\\', '\x1d', '\n', ':', '(',
				  ')', '.', '?', '%', '\x1b', '\x7f', (char)0xff, 'x' };
static const char *const tokens[] = { "4294967295", "99999999999999999999", "-1", "0",
				      "msg=audit(", "type=USER_LOGIN ", "acct=", "res=failed",
				      "ses=", "\"", "ZZ", "0A1B", "''", "=\"" };

/* Mutate src into dst (cap bytes); returns the new length. */
static size_t mutate(const char *src, size_t len, const struct lines *all, char *dst,
		     size_t cap)
{
	size_t n = len < cap ? len : cap;
	int rounds = 1 + (int)rnd_below(8);

	memcpy(dst, src, n);
	for (int r = 0; r < rounds; r++) {
		size_t pos = rnd_below(n + 1);

		switch (rnd_below(8)) {
		case 0: /* flip a byte */
			if (n)
				dst[rnd_below(n)] ^= (char)(1u << rnd_below(8));
			break;
		case 1: /* insert a special byte */
			if (n + 1 < cap) {
				memmove(dst + pos + 1, dst + pos, n - pos);
				dst[pos] = specials[rnd_below(sizeof(specials))];
				n++;
			}
			break;
		case 2: { /* delete a range */
			size_t k = rnd_below(n - pos + 1);

			memmove(dst + pos, dst + pos + k, n - pos - k);
			n -= k;
			break;
		}
		case 3: { /* duplicate a range */
			size_t k = rnd_below(n - pos + 1) % 2000;

			if (n + k < cap) {
				memmove(dst + pos + k, dst + pos, n - pos);
				n += k;
			}
			break;
		}
		case 4: { /* insert a token */
			const char *t = tokens[rnd_below(sizeof(tokens) / sizeof(tokens[0]))];
			size_t k = strlen(t);

			if (n + k < cap) {
				memmove(dst + pos + k, dst + pos, n - pos);
				memcpy(dst + pos, t, k);
				n += k;
			}
			break;
		}
		case 5: /* truncate */
			n = pos;
			break;
		case 6: { /* splice the tail of another line */
			size_t o = rnd_below(all->n);
			size_t from = rnd_below(all->len[o] + 1);
			size_t k = all->len[o] - from;

			if (pos + k < cap) {
				memcpy(dst + pos, all->v[o] + from, k);
				n = pos + k;
			}
			break;
		}
		default: { /* a long run of one byte */
			size_t k = rnd_below(5000);

			if (n + k < cap) {
				memmove(dst + pos + k, dst + pos, n - pos);
				memset(dst + pos, "A0\"= "[rnd_below(5)], k);
				n += k;
			}
			break;
		}
		}
	}
	return n;
}

struct ctx {
	struct ta_session_table *t;
	size_t events, insane, bad_round_trip, changes;
};

static void on_event(const struct ta_login_event *ev, void *arg)
{
	struct ctx *c = arg;
	unsigned char buf[TA_LOGIN_WIRE_MAX];
	struct ta_login_event back;
	struct ta_login_session *s;
	int n;

	c->events++;
	if (!event_sane(ev))
		c->insane++;
	n = ta_login_wire_encode(ev, 5, buf, sizeof(buf));
	if (n <= 0 || ta_login_wire_decode(buf, (size_t)n, &back) != n ||
	    memcmp(back.acct, ev->acct, strlen(ev->acct) + 1) ||
	    memcmp(back.hostname, ev->hostname, strlen(ev->hostname) + 1) ||
	    back.pid != ev->pid || back.ses != ev->ses || back.flags != ev->flags)
		c->bad_round_trip++;
	if (ta_session_apply(c->t, ev, &s) > 0)
		c->changes++;
}

int main(int argc, char **argv)
{
	struct lines l = { 0 };
	struct ctx c = { 0 };
	struct ta_login_parser *p;
	struct ta_login_parser_stats st;
	size_t len1, len2, iterations = 20000;
	char *a, *b, *out;
	const size_t cap = 200000;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS [SEED]]\n", argv[0]);
		return 2;
	}
	if (argc > 2)
		iterations = strtoull(argv[2], NULL, 10);
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x7474796175646974ull;
	if (!rng_state)
		rng_state = 1;
	a = read_corpus(argv[1], "login_records.log", &len1);
	b = read_corpus(argv[1], "adversarial_odd.log", &len2);
	split_lines(a, len1, &l);
	split_lines(b, len2, &l);
	CHECK(l.n > 40);
	out = malloc(cap + 1);
	CHECK_EQ_INT(ta_session_table_new("00000000-0000-0000-0000-000000000000", 256, &c.t), 0);
	CHECK_EQ_INT(ta_login_parser_new(on_event, &c, &p), 0);
	for (size_t i = 0; i < iterations; i++) {
		size_t k = rnd_below(l.n);
		size_t n = mutate(l.v[k], l.len[k], &l, out, cap);

		out[n++] = '\n';
		/* feed in two pieces cut at a random place */
		{
			size_t cut = rnd_below(n + 1);

			ta_login_parser_feed(p, out, cut);
			ta_login_parser_feed(p, out + cut, n - cut);
		}
		/* and now and then an unmutated line, so sessions form */
		if (rnd_below(4) == 0) {
			ta_login_parser_feed(p, l.v[k], l.len[k]);
			ta_login_parser_feed(p, "\n", 1);
		}
	}
	ta_login_parser_flush(p);
	ta_login_parser_get_stats(p, &st);
	ta_login_parser_free(p);
	fprintf(stderr, "%zu mutated lines: %" PRIu64 " lines, %" PRIu64 " rejected, %" PRIu64
		" records rejected, %zu events, %zu session changes\n",
		iterations, st.lines, st.lines_rejected, st.records_rejected, c.events, c.changes);
	CHECK_EQ_INT(c.insane, 0);
	CHECK_EQ_INT(c.bad_round_trip, 0);
	/* the mutations must actually have hit both paths */
	CHECK(st.lines_rejected > iterations / 20);
	CHECK(st.records_rejected > 0);
	CHECK(c.events > iterations / 10);
	CHECK(c.changes > 0);
	ta_session_table_free(c.t);
	free(out);
	free(a);
	free(b);
	free(l.v);
	free(l.len);
	return check_result();
}

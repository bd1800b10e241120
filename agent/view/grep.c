// SPDX-License-Identifier: GPL-2.0-or-later
/* --grep over streams fed in pieces, with a literal prefilter (grep.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "view/grep.h"
#include "view/neutralise.h"

/* ------------------------------------------------------- pattern analysis */

/* End of the bracket expression opening at p ('['), or NULL. Backslash is literal in it. */
static const char *bracket_end(const char *p)
{
	const char *q = p + 1;

	if (*q == '^')
		q++;
	if (*q == ']')
		q++;
	while (*q) {
		if (q[0] == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			char x = q[1];
			const char *e = q + 2;
			while (*e && !(e[0] == x && e[1] == ']'))
				e++;
			if (!*e)
				return NULL;
			q = e + 2;
			continue;
		}
		if (*q == ']')
			return q + 1;
		q++;
	}
	return NULL;
}

/* End of the group opening at p ('('), or NULL. */
static const char *group_end(const char *p)
{
	const char *q = p + 1;
	int depth = 1;

	while (*q) {
		if (*q == '\\') {
			if (!q[1])
				return NULL;
			q += 2;
		} else if (*q == '[') {
			if (!(q = bracket_end(q)))
				return NULL;
		} else if (*q == '(') {
			depth++;
			q++;
		} else if (*q == ')') {
			q++;
			if (!--depth)
				return q;
		} else {
			q++;
		}
	}
	return NULL;
}

static int is_quant(char c)
{
	return c == '*' || c == '?' || c == '+' || c == '{';
}

/*
 * The longest run of plain characters every match must contain, conservatively:
 * none with alternation; groups and brackets are opaque; a character followed
 * by ?, * or {0 is optional, by + or {n repeatable (it ends the run); a space
 * ends the run too (the stream's NULs are matched as spaces).
 */
size_t ta_grep_literal(const char *pat, char *lit, size_t litcap)
{
	size_t len = strlen(pat), nc = 0, nb = 0;
	char *cur = malloc(len + 1);
	const char *p = pat;
	int last_lit = 0;

	if (!cur)
		return 0;
#define END_RUN()                                              \
	do {                                                   \
		if (nc > nb && nc < litcap) {                  \
			memcpy(lit, cur, nc);                  \
			nb = nc;                               \
		}                                              \
		nc = 0;                                        \
		last_lit = 0;                                  \
	} while (0)
	while (*p) {
		unsigned char c = (unsigned char)*p;
		if (c == '|')
			goto none;
		if (is_quant((char)c)) {
			int optional = c == '*' || c == '?';
			const char *q = p + 1;
			if (c == '{') {
				if (*q < '0' || *q > '9')
					goto none;
				optional = strtoul(q, NULL, 10) == 0;
				if (!(q = strchr(q, '}')))
					goto none;
				q++;
			}
			/* a+? and the like: the quantified thing may be optional after all. */
			if (is_quant(*q))
				goto none;
			if (last_lit && optional)
				nc--;
			END_RUN();
			p = q;
			continue;
		}
		if (c == '\\') {
			unsigned char e = (unsigned char)p[1];
			if (!e)
				goto none;
			if (e < 0x80 && strchr("!\"#%&()*+,-./:;=?@[\\]^_{|}~$", e)) {
				cur[nc++] = (char)e;
				last_lit = 1;
			} else {
				END_RUN(); /* \w, \s, back-references, anchors, ... */
			}
			p += 2;
			continue;
		}
		if (c == '[' || c == '(') {
			const char *q = c == '[' ? bracket_end(p) : group_end(p);
			if (!q)
				goto none;
			END_RUN();
			p = q;
			continue;
		}
		if (c == ')')
			goto none;
		if (c == '.' || c == '^' || c == '$' || c == ' ') {
			END_RUN();
			p++;
			continue;
		}
		cur[nc++] = (char)c;
		last_lit = 1;
		p++;
	}
	END_RUN();
#undef END_RUN
	free(cur);
	return nb;
none:
	free(cur);
	return 0;
}

/*
 * Whether no match can contain a newline (conservatively): no '.', no negated
 * or newline-holding bracket, no \s \W, no buffer anchors \` \'. Then every
 * match lies within one line and regexec can run on that line alone.
 */
int ta_grep_one_line(const char *pat)
{
	for (const char *p = pat; *p;) {
		char c = *p;
		if (c == '.' || c == '\n')
			return 0;
		if (c == '\\') {
			char e = p[1];
			/* Known not to match a newline or depend on the buffer's ends. */
			if (!e || !strchr("wSbB<>!\"#%&()*+,-./:;=?@[\\]^_{|}~$123456789", e))
				return 0;
			p += 2;
			continue;
		}
		if (c != '[') {
			p++;
			continue;
		}
		const char *end = bracket_end(p);
		if (!end)
			return 0;
		const char *q = p + 1;
		if (*q == '^')
			return 0;
		int prev = -1; /* the last single character, for ranges */
		while (q < end - 1) {
			if (q[0] == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
				if (q[1] != ':' || !strncmp(q, "[:space:]", 9) || !strncmp(q, "[:cntrl:]", 9))
					return 0;
				q = strstr(q + 2, ":]") + 2;
				prev = -1;
				continue;
			}
			unsigned char ch = (unsigned char)*q;
			if (ch == '\n')
				return 0;
			if (ch == '-' && prev >= 0 && q + 1 < end - 1) {
				unsigned char hi = (unsigned char)q[1];
				if (hi == '[' || (prev <= '\n' && hi >= '\n'))
					return 0;
				q += 2;
				prev = -1;
				continue;
			}
			prev = ch;
			q++;
		}
		p = end;
	}
	return 1;
}

static int has_special(const char *p)
{
	for (; *p; p++)
		if (strchr(".[]()*+?{}|^$\\", *p))
			return 1;
	return 0;
}

/* Whether the pattern itself names an invisible code point (then nothing is stripped). */
static int has_invisible(const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = ta_utf8_decode((const uint8_t *)p + i, n - i, &cp);

		if (l <= 0) {
			i++;
			continue;
		}
		if (ta_cp_invisible(cp))
			return 1;
		i += (size_t)l;
	}
	return 0;
}

/*
 * d[0..n) without invisible code points, into out; an incomplete sequence at
 * the end goes to carry (when carry is not NULL) to be joined to the next piece.
 */
static void strip_invisible(const uint8_t *d, size_t n, struct ta_buf *out, uint8_t *carry,
			    size_t *ncarry)
{
	size_t i = 0;

	while (i < n) {
		size_t run = i;
		uint32_t cp;
		int l;

		while (run < n && d[run] < 0x80)
			run++;
		ta_buf_put(out, d + i, run - i);
		if ((i = run) >= n)
			break;
		l = ta_utf8_decode(d + i, n - i, &cp);
		if (l < 0 && carry) {
			memcpy(carry, d + i, n - i);
			*ncarry = n - i;
			return;
		}
		if (l <= 0) {
			ta_buf_putc(out, (char)d[i++]);
			continue;
		}
		if (!ta_cp_invisible(cp))
			ta_buf_put(out, d + i, (size_t)l);
		i += (size_t)l;
	}
}

int ta_grep_compile(struct ta_grep *g, const char *pattern, int icase, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	int rerr = regcomp(&g->re, pattern, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0));
	if (rerr) {
		regerror(rerr, &g->re, err, errlen);
		return rerr;
	}
	g->icase = icase;
	size_t len = strlen(pattern);
	g->strip = !has_invisible(pattern, len);
	g->lit = malloc(len + 1);
	if (!g->lit)
		return 0; /* no literal: the full path */
	if (!icase && len && !has_special(pattern)) {
		/* As the literal search always did: the exact bytes, spaces included. */
		memcpy(g->lit, pattern, len);
		g->nlit = len;
		g->mode = TA_GREP_PLAIN;
		return 0;
	}
	g->nlit = ta_grep_literal(pattern, g->lit, len + 1);
	if (g->nlit && ta_grep_one_line(pattern))
		g->mode = TA_GREP_LINES;
	return 0;
}

void ta_grep_free(struct ta_grep *g)
{
	regfree(&g->re);
	free(g->lit);
	g->lit = NULL;
}

/* ---------------------------------------------------------------- search */

static unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* The literal in h[0..n), case-insensitively (C locale: ASCII letters only). */
static const unsigned char *find_icase(const unsigned char *h, size_t n, const char *lit, size_t L)
{
	if (L > n)
		return NULL;
	/* Anchor on a byte that is not a letter if there is one, else on both cases of the first. */
	size_t k;
	for (k = 0; k < L; k++) {
		unsigned char c = (unsigned char)lit[k];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			break;
	}
	const unsigned char *end = h + n - L + 1; /* candidate starts are < end */
	if (k < L) {
		unsigned char a = (unsigned char)lit[k];
		const unsigned char *p = h + k;
		while (p < end + k) {
			const unsigned char *q = memchr(p, a, (size_t)(end + k - p));
			if (!q)
				return NULL;
			const unsigned char *s = q - k;
			size_t i = 0;
			while (i < L && fold(s[i]) == fold((unsigned char)lit[i]))
				i++;
			if (i == L)
				return s;
			p = q + 1;
		}
		return NULL;
	}
	unsigned char lo = fold((unsigned char)lit[0]), up = (unsigned char)(lo - 32);
	for (const unsigned char *p = h; p < end; p++) {
		if (*p != lo && *p != up) {
			/* Skip ahead to the nearer of the two cases. */
			const unsigned char *a = memchr(p, lo, (size_t)(end - p));
			const unsigned char *b = memchr(p, up, (size_t)((a ? a : end) - p));
			p = b ? b : a;
			if (!p)
				return NULL;
		}
		size_t i = 1;
		while (i < L && fold(p[i]) == fold((unsigned char)lit[i]))
			i++;
		if (i == L)
			return p;
	}
	return NULL;
}

static const unsigned char *find_lit(const struct ta_grep *g, const void *h, size_t n)
{
	if (g->icase)
		return find_icase(h, n, g->lit, g->nlit);
	return memmem(h, n, g->lit, g->nlit);
}

/* Whether any byte is outside ASCII: only then can there be something to strip. */
static int memchr_high(const void *d, size_t n)
{
	const uint8_t *p = d;

	for (size_t i = 0; i < n; i++)
		if (p[i] & 0x80)
			return 1;
	return 0;
}

#define SPAN TA_VIEW_LINE_MAX /* every match up to this long is found */
#define WIN (2 * SPAN)            /* what regexec runs on at once */

/*
 * regexec on d[from..n) copied into tmp with NULs as spaces; d[0] is the byte
 * before it in the stream when from is 1 (REG_STARTEND: ^, \< and \b see it).
 * 1 match, 0 none, -ENOMEM (the copy, or regexec's own memory: REG_ESPACE).
 */
static int rx_window(const struct ta_grep *g, struct ta_buf *tmp, const uint8_t *d, size_t n,
		     size_t from, int eflags)
{
	regmatch_t m = { .rm_so = (regoff_t)from, .rm_eo = (regoff_t)n };
	int r;

	ta_buf_reset(tmp);
	ta_buf_put(tmp, d, n);
	ta_buf_putc(tmp, '\0');
	if (tmp->oom)
		return -ENOMEM;
	for (uint8_t *z = tmp->p; (z = memchr(z, '\0', n - (size_t)(z - tmp->p)));)
		*z++ = ' ';
	r = regexec(&g->re, (const char *)tmp->p, 1, &m, eflags | REG_STARTEND);
	return r == 0 ? 1 : r == REG_NOMATCH ? 0 : -ENOMEM;
}

/*
 * Whether a match lies in d[from..n) (d[0] the byte before it when from is
 * 1): regexec on windows of at most WIN bytes, each SPAN after the last, so
 * that memory is bounded whatever n and every match of at most SPAN bytes lies
 * whole in one. eflags: REG_NOTBOL, REG_NOTEOL of the whole. *cut is set when
 * a window holding the literal was not the whole: a longer match may be missed.
 */
static int rx(const struct ta_grep *g, struct ta_buf *tmp, const uint8_t *d, size_t n,
	      size_t from, int eflags, int *cut)
{
	for (size_t at = from;; at += SPAN) {
		size_t w = n - at < WIN ? n - at : WIN, ctx = at > 0;
		int last = at + w == n, r;

		if (at != from || !last) {
			if (g->nlit && !find_lit(g, d + at, w)) {
				if (last)
					return 0;
				continue;
			}
			*cut = 1;
		}
		r = rx_window(g, tmp, d + at - ctx, w + ctx, ctx,
			      (at ? 0 : eflags & REG_NOTBOL) | (last ? eflags & REG_NOTEOL : REG_NOTEOL));
		if (r || last)
			return r;
	}
}

static int match_clean(const struct ta_grep *g, const void *d, size_t n, int *cut);

int ta_grep_match(const struct ta_grep *g, const void *d, size_t n, int *cut)
{
	int dummy = 0;

	if (!cut)
		cut = &dummy;
	if (g->strip && memchr_high(d, n)) {
		struct ta_buf clean;
		int hit;

		ta_buf_init(&clean);
		strip_invisible(d, n, &clean, NULL, NULL);
		hit = clean.oom ? -ENOMEM : match_clean(g, clean.p, clean.len, cut);
		ta_buf_free(&clean);
		return hit;
	}
	return match_clean(g, d, n, cut);
}

static int match_clean(const struct ta_grep *g, const void *d, size_t n, int *cut)
{
	if (!n)
		return 0;
	if (g->mode == TA_GREP_PLAIN)
		return memmem(d, n, g->lit, g->nlit) != NULL;
	if (g->nlit && !find_lit(g, d, n))
		return 0;
	struct ta_buf tmp;
	ta_buf_init(&tmp);
	int hit = rx(g, &tmp, d, n, 0, 0, cut);
	ta_buf_free(&tmp);
	return hit;
}

/* ---------------------------------------------------------------- streams */

void ta_grep_stream_init(struct ta_grep_stream *s, const struct ta_grep *g)
{
	memset(s, 0, sizeof(*s));
	s->g = g;
	s->at_start = 1;
	ta_buf_init(&s->keep);
	ta_buf_init(&s->tmp);
	ta_buf_init(&s->clean);
}

void ta_grep_stream_free(struct ta_grep_stream *s)
{
	ta_buf_free(&s->keep);
	ta_buf_free(&s->tmp);
	ta_buf_free(&s->clean);
}

static int plain_feed(struct ta_grep_stream *s, const uint8_t *d, size_t n)
{
	const char *lit = s->g->lit;
	size_t L = s->g->nlit, keep = L - 1;
	struct ta_buf *t = &s->keep;

	if (t->len && L > 1) {
		/* A match across the boundary: the kept tail and the first L - 1 bytes. */
		size_t h = n < keep ? n : keep, was = t->len;
		ta_buf_put(t, d, h);
		if (t->oom)
			return -ENOMEM;
		int hit = memmem(t->p, t->len, lit, L) != NULL;
		t->len = was;
		if (hit)
			return 1;
	}
	if (memmem(d, n, lit, L))
		return 1;
	/* Keep the last L - 1 bytes of the stream. */
	if (n >= keep) {
		ta_buf_reset(t);
		ta_buf_put(t, d + n - keep, keep);
	} else {
		size_t drop = t->len + n > keep ? t->len + n - keep : 0;
		if (drop) /* t->p is NULL until the first put */
			memmove(t->p, t->p + drop, t->len - drop);
		t->len -= drop;
		ta_buf_put(t, d, n);
	}
	return t->oom ? -ENOMEM : 0;
}

/* The literal in keep from byte from on (the bytes before were searched). */
static int keep_has_lit(struct ta_grep_stream *s, size_t from)
{
	size_t back = s->g->nlit - 1;

	from = from > back ? from - back : 0;
	return s->keep.len > from && find_lit(s->g, s->keep.p + from, s->keep.len - from);
}

/*
 * keep holds a whole window and more follows: regexec on it (when it holds
 * the literal), then keep only its last SPAN bytes and the byte before them,
 * as context: a match of at most SPAN bytes not yet whole lies in what is kept.
 */
static int keep_slide(struct ta_grep_stream *s)
{
	size_t drop = s->keep.len - SPAN - 1;

	if (!s->g->nlit || s->pending) {
		int r = rx_window(s->g, &s->tmp, s->keep.p, s->keep.len, s->from,
				  (s->at_start ? 0 : REG_NOTBOL) | REG_NOTEOL);
		s->cut = 1;
		if (r)
			return r;
	}
	memmove(s->keep.p, s->keep.p + drop, SPAN + 1);
	s->keep.len = SPAN + 1;
	s->from = 1;
	s->pending = s->g->nlit && keep_has_lit(s, 1);
	return 0;
}

/*
 * FULL: the stream; LINES: its incomplete last line, into keep, from its last
 * window on (at most WIN + 1 bytes, however long the line or stream): a line
 * printed without a newline grew keep without bound.
 */
static int keep_put(struct ta_grep_stream *s, const uint8_t *d, size_t n)
{
	while (n) {
		size_t room, k, was;
		int r;

		if (s->keep.len == s->from + WIN && (r = keep_slide(s)))
			return r;
		room = s->from + WIN - s->keep.len;
		k = n < room ? n : room;
		was = s->keep.len;
		ta_buf_put(&s->keep, d, k);
		if (s->keep.oom)
			return -ENOMEM;
		if (!s->pending && s->g->nlit)
			s->pending = keep_has_lit(s, was);
		d += k;
		n -= k;
	}
	return 0;
}

/*
 * LINES: no match spans a newline, so the stream is searched line by line.
 * keep holds the current incomplete line; a complete line holding the literal
 * goes to regexec, with ^ allowed only at the stream's start ($ only at its
 * end, which only finish() sees). Word boundaries at the line's ends see the
 * newline beside it or the buffer's end: both are non-word.
 */
static int lines_feed(struct ta_grep_stream *s, const uint8_t *d, size_t n)
{
	const struct ta_grep *g = s->g;
	const uint8_t *end = d + n, *nl = memchr(d, '\n', n);
	int bol = s->at_start ? 0 : REG_NOTBOL, r;

	if (!nl)
		return keep_put(s, d, n);
	/* The line carried over ends here. */
	if (s->pending || s->keep.len) {
		if ((r = keep_put(s, d, (size_t)(nl - d))))
			return r;
		if (s->pending &&
		    (r = rx(g, &s->tmp, s->keep.p, s->keep.len, s->from, bol | REG_NOTEOL, &s->cut)))
			return r;
	} else if (find_lit(g, d, (size_t)(nl - d)) &&
		   (r = rx(g, &s->tmp, d, (size_t)(nl - d), 0, bol | REG_NOTEOL, &s->cut))) {
		return r;
	}
	ta_buf_reset(&s->keep);
	s->from = 0;
	s->at_start = 0;
	s->pending = 0;
	/* Complete lines: [p, last) where last is the last newline. */
	const uint8_t *p = nl + 1;
	const uint8_t *last = p < end ? memrchr(p, '\n', (size_t)(end - p)) : NULL;
	if (last) {
		const uint8_t *q = p;
		while (q < last) {
			const uint8_t *h = find_lit(g, q, (size_t)(last - q));
			if (!h)
				break;
			const uint8_t *ls = h > p ? memrchr(p, '\n', (size_t)(h - p)) : NULL;
			ls = ls ? ls + 1 : p;
			const uint8_t *le = memchr(h, '\n', (size_t)(last - h) + 1);
			if ((r = rx(g, &s->tmp, ls, (size_t)(le - ls), 0, REG_NOTBOL | REG_NOTEOL, &s->cut)))
				return r;
			q = le + 1;
		}
		p = last + 1;
	}
	return p < end ? keep_put(s, p, (size_t)(end - p)) : 0;
}

static int feed_clean(struct ta_grep_stream *s, const void *d, size_t n);

/* Pieces with invisible code points taken out (the stream's strip), on to feed_clean. */
static int feed_strip(struct ta_grep_stream *s, const void *d, size_t n)
{
	uint8_t carry[4];
	size_t nc = s->ncarry;

	ta_buf_reset(&s->clean);
	memcpy(carry, s->carry, nc);
	s->ncarry = 0;
	if (nc) {
		/* Join the carried start of a sequence to this piece. */
		struct ta_buf join;

		ta_buf_init(&join);
		ta_buf_put(&join, carry, nc);
		ta_buf_put(&join, d, n);
		if (!join.oom)
			strip_invisible(join.p, join.len, &s->clean, s->carry, &s->ncarry);
		if (join.oom)
			s->clean.oom = true;
		ta_buf_free(&join);
	} else {
		strip_invisible(d, n, &s->clean, s->carry, &s->ncarry);
	}
	if (s->clean.oom)
		return -ENOMEM;
	return s->clean.len ? feed_clean(s, s->clean.p, s->clean.len) : 0;
}

/* Keeps the first error, or the match: both end the stream's search. */
static int settle(struct ta_grep_stream *s, int r)
{
	if (r < 0)
		s->err = r;
	else
		s->hit = r;
	return r;
}

int ta_grep_stream_feed(struct ta_grep_stream *s, const void *d, size_t n)
{
	if (s->err)
		return s->err;
	if (s->hit || !n)
		return s->hit;
	if (s->g->strip && (s->ncarry || memchr_high(d, n)))
		return settle(s, feed_strip(s, d, n));
	return settle(s, feed_clean(s, d, n));
}

static int feed_clean(struct ta_grep_stream *s, const void *d, size_t n)
{
	if (!n)
		return 0;
	switch (s->g->mode) {
	case TA_GREP_PLAIN:
		return plain_feed(s, d, n);
	case TA_GREP_LINES:
		return lines_feed(s, d, n);
	default:
		return keep_put(s, d, n);
	}
}

/* The end of the stream: its last line (LINES) or its last window (FULL). */
static int finish_clean(struct ta_grep_stream *s)
{
	/* A sequence the stream never completed: its bytes as they are. */
	if (s->ncarry) {
		size_t nc = s->ncarry;
		int r;

		s->ncarry = 0;
		if ((r = feed_clean(s, s->carry, nc)))
			return r;
	}
	switch (s->g->mode) {
	case TA_GREP_PLAIN:
		return 0;
	case TA_GREP_LINES:
		/* The last line, unless it was empty: it ends the stream. */
		if (!s->pending)
			return 0;
		break;
	default:
		if (s->keep.len == s->from || (s->g->nlit && !s->pending))
			return 0;
		break;
	}
	return rx(s->g, &s->tmp, s->keep.p, s->keep.len, s->from, s->at_start ? 0 : REG_NOTBOL,
		  &s->cut);
}

int ta_grep_stream_finish(struct ta_grep_stream *s)
{
	if (s->err || s->hit)
		return s->err ? s->err : 1;
	return settle(s, finish_clean(s));
}

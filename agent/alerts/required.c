// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The literals a POSIX extended regular expression requires (required.h).
 *
 * The pattern is read as a sequence of atoms, each maybe quantified. A run of
 * plain characters none of which is optional is a literal every match
 * contains; a quantifier that allows none (*, ?, {0,...}) ends the run before
 * its character, one that repeats it (+, {2}) ends it after. A group whose
 * alternatives are all plain literals (password|passwd) requires one of
 * them. Anything else ends a run and requires nothing: brackets, ., anchors
 * (glibc's \< \` too), backslash classes (\w, \b), bytes from 0x80 up. An
 * alternation at the top level requires nothing at all. Of what is required,
 * the candidate whose shortest literal is longest is kept.
 */
#include "alerts/required.h"

#include <ctype.h>
#include <string.h>

/* A literal shorter than this rejects too few lines to pay for the look. */
#define REQUIRED_MIN 2

/* The end of the bracket expression that starts at p[i] ('['), or 0 if it has none. */
static size_t bracket_end(const char *p, size_t i)
{
	size_t j = i + 1;

	if (p[j] == '^')
		j++;
	if (p[j] == ']')
		j++;   /* a ']' first is one of the set */
	for (; p[j]; j++) {
		if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '=' || p[j + 1] == '.')) {
			char close[3] = { p[j + 1], ']', '\0' };
			const char *e = strstr(p + j + 2, close);

			if (!e)
				return 0;
			j = (size_t)(e - p) + 1;
			continue;
		}
		if (p[j] == ']')
			return j + 1;
	}
	return 0;
}

/* The end of the group that starts at p[i] ('('), or 0 if it is not closed. */
static size_t group_end(const char *p, size_t i)
{
	size_t j = i + 1;
	int depth = 1;

	while (p[j]) {
		if (p[j] == '\\') {
			if (!p[j + 1])
				return 0;
			j += 2;
		} else if (p[j] == '[') {
			j = bracket_end(p, j);
			if (!j)
				return 0;
		} else if (p[j] == '(') {
			depth++;
			j++;
		} else if (p[j] == ')') {
			j++;
			if (--depth == 0)
				return j;
		} else {
			j++;
		}
	}
	return 0;
}

/*
 * The quantifier at p[i]: its length (0 if none) and the fewest repetitions
 * it allows in *min; -1 for a '{' that is no interval (left to regcomp).
 */
static int quantifier(const char *p, size_t i, unsigned *min)
{
	size_t j = i + 1;
	unsigned m = 0;
	bool digits = false;

	if (p[i] == '*' || p[i] == '?') {
		*min = 0;
		return 1;
	}
	if (p[i] == '+') {
		*min = 1;
		return 1;
	}
	if (p[i] != '{')
		return 0;
	while (isdigit((unsigned char)p[j])) {
		m = m < 10000 ? m * 10 + (unsigned)(p[j] - '0') : m;
		digits = true;
		j++;
	}
	if (p[j] == ',') {
		j++;
		while (isdigit((unsigned char)p[j])) {
			digits = true;
			j++;
		}
	}
	if (p[j] != '}' || !digits)
		return -1;
	*min = m;
	return (int)(j + 1 - i);
}

/* A plain character of an ERE outside brackets, escaped or not: into *c, its length; else 0. */
static int plain_char(const char *p, size_t i, char *c)
{
	unsigned char x = (unsigned char)p[i];

	if (x == '\\') {
		unsigned char d = (unsigned char)p[i + 1];

		/*
		 * An escaped punctuation mark is itself; \w, \b and the like are
		 * classes, and \< \> \` \' glibc's anchors (word and buffer edges).
		 */
		if (d && d < 0x80 && !isalnum(d) && !strchr("<>`'", d)) {
			*c = (char)d;
			return 2;
		}
		return 0;
	}
	if (!x || x >= 0x80 || strchr(".[]()*+?{}|^$", x))
		return 0;
	*c = (char)x;
	return 1;
}

/* The candidate with the longer shortest literal into *best (fewer literals on a tie). */
static void consider(struct ta_re_required *best, unsigned *best_score,
		     const struct ta_re_required *c)
{
	unsigned score = TA_RE_REQUIRED_LEN;

	for (unsigned k = 0; k < c->n; k++)
		if (c->len[k] < score)
			score = c->len[k];
	if (!c->n || score < REQUIRED_MIN)
		return;
	if (score > *best_score || (score == *best_score && c->n < best->n)) {
		*best = *c;
		*best_score = score;
	}
}

static void consider_run(struct ta_re_required *best, unsigned *best_score, const char *run,
			 size_t n)
{
	struct ta_re_required c = { .n = 1 };

	if (n > TA_RE_REQUIRED_LEN)
		n = TA_RE_REQUIRED_LEN;   /* a part of a required literal is required too */
	memcpy(c.lit[0], run, n);
	c.len[0] = (uint8_t)n;
	consider(best, best_score, &c);
}

/* A group's content p[0..n) as alternatives that are all plain literals; c->n 0 if not. */
static void group_literals(const char *p, size_t n, struct ta_re_required *c)
{
	size_t j = 0, len = 0;

	memset(c, 0, sizeof(*c));
	c->n = 1;
	while (j < n) {
		char ch;
		int k;

		if (p[j] == '|') {
			if (!len || c->n == TA_RE_REQUIRED_ALTS)
				goto none;
			c->len[c->n - 1] = (uint8_t)len;
			c->n++;
			len = 0;
			j++;
			continue;
		}
		k = plain_char(p, j, &ch);
		if (!k || j + (size_t)k > n)
			goto none;
		if (len < TA_RE_REQUIRED_LEN)
			c->lit[c->n - 1][len++] = ch;
		j += (size_t)k;
	}
	if (!len)
		goto none;
	c->len[c->n - 1] = (uint8_t)len;
	return;
none:
	memset(c, 0, sizeof(*c));
}

void ta_re_required(const char *p, struct ta_re_required *out)
{
	struct ta_re_required best = { 0 }, group;
	unsigned best_score = 0;
	char run[256];
	size_t i = 0, rn = 0;

	memset(out, 0, sizeof(*out));
	while (p[i]) {
		enum { ATOM_CHAR, ATOM_GROUP, ATOM_OTHER } kind = ATOM_OTHER;
		bool quantified = false;
		unsigned min = 1, m;
		char ch = 0;
		int k = plain_char(p, i, &ch);

		if (k) {
			kind = ATOM_CHAR;
			i += (size_t)k;
		} else if (p[i] == '(') {
			size_t e = group_end(p, i);

			if (!e)
				return;
			group_literals(p + i + 1, e - i - 2, &group);
			kind = ATOM_GROUP;
			i = e;
		} else if (p[i] == '[') {
			size_t e = bracket_end(p, i);

			if (!e)
				return;
			i = e;
		} else if (p[i] == '\\') {
			if (!p[i + 1])
				return;
			i += 2;
		} else if (p[i] == '|' || p[i] == ')') {
			/* Groups are skipped whole: an alternation at the top, or a stray ). */
			return;
		} else {
			i++;   /* . ^ $, a stray ] }, a quantifier with nothing before it, a high byte */
		}
		/* Stacked quantifiers (a+*): none allowed if any allows none. */
		while ((k = quantifier(p, i, &m)) != 0) {
			if (k < 0)
				return;
			quantified = true;
			if (m == 0)
				min = 0;
			i += (size_t)k;
		}
		if (kind == ATOM_CHAR && (!quantified || min > 0) && rn < sizeof(run))
			run[rn++] = ch;
		if (kind == ATOM_CHAR && !quantified)
			continue;
		/* The run ends here: before an optional character, after a repeated one. */
		consider_run(&best, &best_score, run, rn);
		rn = 0;
		if (kind == ATOM_GROUP && min > 0)
			consider(&best, &best_score, &group);
	}
	consider_run(&best, &best_score, run, rn);
	*out = best;
}

/*
 * Whether text holds lit: memchr for its first byte, then the rest. A line
 * is some tens of bytes: glibc's memmem spent more setting up its shift
 * table per call than this spends in all.
 */
static bool holds(const char *text, size_t len, const char *lit, size_t n)
{
	const char *p = text, *last;

	if (n > len)
		return false;
	last = text + (len - n);
	while (p <= last && (p = memchr(p, lit[0], (size_t)(last - p) + 1))) {
		if (!memcmp(p + 1, lit + 1, n - 1))
			return true;
		p++;
	}
	return false;
}

bool ta_re_required_in(const struct ta_re_required *q, const char *text, size_t len)
{
	if (!q->n)
		return true;
	for (unsigned k = 0; k < q->n; k++)
		if (holds(text, len, q->lit[k], q->len[k]))
			return true;
	return false;
}

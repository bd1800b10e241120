// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --grep: the streamed search with its literal prefilter (view/grep.h) against
 * the whole-stream path it replaces (regexec over the stream with NULs as
 * spaces; memmem for a case-sensitive literal), on generated terminal output
 * fed in random pieces, for hand-picked and random patterns.
 */
#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "check.h"
#include "view/grep.h"
#include "view/neutralise.h"

/* ---------------------------------------------------- the old, whole path */

static int old_is_literal(const char *re)
{
	for (; *re; re++)
		if (strchr(".[]()*+?{}|^$\\", *re))
			return 0;
	return 1;
}

static int old_match(const char *pat, int icase, const regex_t *re, const uint8_t *d, size_t n)
{
	if (!n)
		return 0;
	if (old_is_literal(pat) && !icase)
		return memmem(d, n, pat, strlen(pat)) != NULL;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = d[i] ? (char)d[i] : ' ';
	s[n] = '\0';
	int hit = regexec(re, s, 0, NULL, 0) == 0;
	free(s);
	return hit;
}

/* ------------------------------------------------------------- generators */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

static const char *const words[] = {
	"root", "alice", "ls", "-l", "/var/log", "drwxr-xr-x", "passwd", "ssh", "needle", "Needle",
	"NEEDLE", "foo", "bar", "foobar", "barfoo", "sudo", "rm -rf", "12:00", "2026", "0x1f", "a", "b",
	"ab", "aab", "abc", "x", "xyz", "secret", "Secret", "token=", "id", "$", "#", "~", "[ok]",
	"(1)", "a.b", "a+b", "q?", "{x}", "|", "\\", "caf\xc3\xa9", "\xe2\x80\xae", "_", "-", ".",
};

static size_t gen_stream(uint8_t *out, size_t cap)
{
	size_t n = 0, want = rnd(4) == 0 ? rnd(40) : rnd(3000);

	while (n < want && n + 64 < cap) {
		switch (rnd(12)) {
		case 0: memcpy(out + n, "\r\n", 2); n += 2; break;
		case 1: out[n++] = '\n'; break;
		case 2: memcpy(out + n, "\x1b[1;31m", 7); n += 7; break;
		case 3: out[n++] = rnd(3) ? ' ' : '\t'; break;
		case 4: out[n++] = rnd(4) ? ' ' : '\0'; break;
		case 5: out[n++] = (uint8_t)rnd(256); break;
		default: {
			const char *w = words[rnd(sizeof(words) / sizeof(words[0]))];
			size_t l = strlen(w);
			memcpy(out + n, w, l);
			n += l;
		}
		}
	}
	return n;
}

/* A random ERE built from the words, brackets, groups, quantifiers and anchors. */
static void gen_pattern(char *p, size_t cap)
{
	static const char *const atoms[] = {
		".", "[a-z]", "[^x]", "[0-9]", "[[:alpha:]]", "[[:space:]]", "[ -~]", "\\w", "\\s",
		"\\W", "\\S", "\\.", "\\$", "\\(", "(foo|bar)", "(ab)", "(a|)", "^", "$", "\\b", "\\<",
		"\\>", "\\B", "[\t-\r]", "x", "a", "b", "o", " ", "-", ":", "[[:upper:]]", "[]a]",
	};
	static const char *const quants[] = { "*", "+", "?", "{2}", "{0,1}", "{1,3}", "{0}", "+?" };
	size_t n = 0;
	int parts = 1 + (int)rnd(5);

	p[0] = '\0';
	for (int i = 0; i < parts && n + 40 < cap; i++) {
		const char *a;
		if (rnd(2))
			a = words[rnd(sizeof(words) / sizeof(words[0]))];
		else
			a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
		/* Words with ERE specials are escaped so that most patterns compile. */
		for (const char *c = a; *c && a != atoms[0]; c++) {
			int is_word = 0;
			for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
				is_word |= a == words[w];
			if (is_word && strchr(".[]()*+?{}|^$\\", *c))
				p[n++] = '\\';
			p[n++] = *c;
		}
		if (a == atoms[0])
			p[n++] = '.';
		if (rnd(4) == 0) {
			const char *q = quants[rnd(sizeof(quants) / sizeof(quants[0]))];
			memcpy(p + n, q, strlen(q));
			n += strlen(q);
		}
		if (rnd(12) == 0)
			p[n++] = '|';
		p[n] = '\0';
	}
}

/* ------------------------------------------------------------------ tests */

static int lines_used, plain_used, full_lit_used, full_used, lines_hits;

/* The reference for invisible code points: the whole stream without them. */
static size_t strip_ref(const uint8_t *d, size_t n, uint8_t *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = ta_utf8_decode(d + i, n - i, &cp);

		if (l <= 0) {
			out[k++] = d[i++];
			continue;
		}
		if (!ta_cp_invisible(cp))
			memcpy(out + k, d + i, (size_t)l), k += (size_t)l;
		i += (size_t)l;
	}
	return k;
}

/* Old and new agree on the stream, fed whole and in random pieces. */
static void differ(const char *pat, int icase, const uint8_t *d, size_t n)
{
	regex_t re;
	struct ta_grep g;
	char err[128];

	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)))
		return;
	CHECK_EQ_INT(ta_grep_compile(&g, pat, icase, err, sizeof(err)), 0);
	lines_used += g.mode == TA_GREP_LINES;
	plain_used += g.mode == TA_GREP_PLAIN;
	full_lit_used += g.mode == TA_GREP_FULL && g.nlit;
	full_used += g.mode == TA_GREP_FULL && !g.nlit;
	uint8_t *clean = malloc(n + 1);
	size_t cn = clean ? strip_ref(d, n, clean) : 0;
	int want = g.strip && clean ? old_match(pat, icase, &re, clean, cn) :
				      old_match(pat, icase, &re, d, n);
	free(clean);
	lines_hits += want && g.mode == TA_GREP_LINES;
	for (int round = 0; round < 4; round++) {
		struct ta_grep_stream s;
		ta_grep_stream_init(&s, &g);
		size_t off = 0;
		int got = 0;
		while (off < n && !got) {
			size_t k = round == 0 ? n : 1 + rnd(round == 1 ? 4 : round == 2 ? 64 : 1500);
			if (k > n - off)
				k = n - off;
			if (rnd(8) == 0)
				ta_grep_stream_feed(&s, d + off, 0);
			got = ta_grep_stream_feed(&s, d + off, k);
			off += k;
		}
		got = ta_grep_stream_finish(&s);
		ta_grep_stream_free(&s);
		if (got != want) {
			fprintf(stderr, "pattern '%s' icase %d mode %d lit '%.*s': old %d new %d (round %d) on %zu bytes:\n",
				pat, icase, g.mode, (int)g.nlit, g.lit, want, got, round, n);
			fwrite(d, 1, n < 400 ? n : 400, stderr);
			fputc('\n', stderr);
		}
		CHECK_EQ_INT(got, want);
	}
	CHECK_EQ_INT(ta_grep_match(&g, d, n, NULL), want);
	ta_grep_free(&g);
	regfree(&re);
}

static void literal_is(const char *pat, const char *want)
{
	char lit[256];
	size_t n = ta_grep_literal(pat, lit, sizeof(lit));

	lit[n] = '\0';
	if (strcmp(lit, want))
		fprintf(stderr, "literal of '%s': '%s', want '%s'\n", pat, lit, want);
	CHECK_EQ_STR(lit, want);
}

/* Bounded: a line of 64 MiB without a newline, fed in 1 MiB pieces, as a recorded user prints one. */
static void long_line(const char *pat, int icase, size_t at, int want)
{
	static const char needle[] = "needle-1a2b-in";
	const size_t total = 64u << 20, piece = 1u << 20;
	uint8_t *d = malloc(piece);
	struct ta_grep g;
	struct ta_grep_stream s;
	char err[128];
	int got = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(ta_grep_compile(&g, pat, icase, err, sizeof(err)), 0);
	ta_grep_stream_init(&s, &g);
	for (size_t off = 0; off < total && !got; off += piece) {
		memset(d, 'z', piece);
		/* The needle where it falls in this piece, split across pieces too. */
		for (size_t i = 0; i < sizeof(needle) - 1; i++)
			if (at + i >= off && at + i < off + piece)
				d[at + i - off] = (uint8_t)needle[i];
		got = ta_grep_stream_feed(&s, d, piece);
		/* Whatever the line's length: two windows and some, not the line. */
		CHECK(s.keep.cap <= 4 * TA_VIEW_LINE_MAX && s.tmp.cap <= 4 * TA_VIEW_LINE_MAX);
	}
	if (!got)
		got = ta_grep_stream_finish(&s);
	if (got != want)
		fprintf(stderr, "long line: pattern %s mode %d, needle at %zu: %d, want %d\n", pat, g.mode,
			at, got, want);
	CHECK_EQ_INT(got, want);
	/* A line longer than a window holding the literal may hide a longer match: said. */
	if (!want)
		CHECK_EQ_INT(s.cut, at < total);
	ta_grep_stream_free(&s);
	ta_grep_free(&g);
	free(d);
}

/* A failed allocation is an error, never "no match" (the buffers' oom is sticky). */
static void oom_is_an_error(const char *pat, const char *text)
{
	struct ta_grep g;
	struct ta_grep_stream s;
	char err[128];

	CHECK_EQ_INT(ta_grep_compile(&g, pat, 0, err, sizeof(err)), 0);
	ta_grep_stream_init(&s, &g);
	s.keep.oom = s.tmp.oom = true;
	CHECK_EQ_INT(ta_grep_stream_feed(&s, text, strlen(text)), -ENOMEM);
	CHECK_EQ_INT(ta_grep_stream_feed(&s, text, strlen(text)), -ENOMEM);
	CHECK_EQ_INT(ta_grep_stream_finish(&s), -ENOMEM);
	ta_grep_stream_free(&s);
	ta_grep_free(&g);
}

int main(void)
{
	literal_is("needle-[0-9a-f]{4}-in", "needle-");
	literal_is("abc?d", "ab");
	literal_is("ab+cd", "ab");
	literal_is("xy*zzz", "zzz");
	literal_is("ab{0,2}c", "a");
	literal_is("ab{2}cde", "cde");
	literal_is("foo|barbaz", "");
	literal_is("(abc)+de", "de");
	literal_is("(abcdef)?de", "de");
	literal_is("a+?bc", "");
	literal_is("rm -rf", "-rf");
	literal_is("\\.bashrc$", ".bashrc");
	literal_is("\\wpasswd\\b", "passwd");
	literal_is("[abcdef]xy", "xy");
	CHECK(ta_grep_one_line("needle-[0-9a-f]{4}-in"));
	CHECK(ta_grep_one_line("^a\\b[[:alpha:]]+$"));
	CHECK(!ta_grep_one_line("a.b"));
	CHECK(!ta_grep_one_line("a[^b]c"));
	CHECK(!ta_grep_one_line("a\\sb"));
	CHECK(!ta_grep_one_line("a[[:space:]]b"));
	CHECK(!ta_grep_one_line("a[\t-\r]b"));
	CHECK(!ta_grep_one_line("a\\`b"));

	static const char *const picked[] = {
		"needle", "needle-[0-9a-f]{4}-in", "^root", "^alice", "ls$", "passwd\\b", "\\<foo",
		"bar\\>", "foo\\B", "foo.*bar", "foo[a-z]*bar", "(foo)+bar", "f?oo", "ab+c", "a{2}b",
		"sudo +rm", "rm -rf", "[[:upper:]]EEDLE", "token=[a-z0-9]+", "secret", "drwx[r-]", "x$",
		"^$", "^", "caf\xc3\xa9", "12:00", "\\$ ls", "\\[ok\\]", "a\\.b", "(1)", "\\(1\\)",
		"o\\|", "needle\\w*", "ab\\W", "ab\\S", "\\bab\\b", "[]a]b", "2026[^0-9]", "id\\s",
		"foobar$", "^ls", "a b", "xyz.", "0x[0-9a-f]+", "\\\\", "Secret",
	};
	static uint8_t buf[8192];
	for (int rep = 0; rep < 300; rep++) {
		size_t n = gen_stream(buf, sizeof(buf));
		for (size_t i = 0; i < sizeof(picked) / sizeof(picked[0]); i++)
			differ(picked[i], rep & 1, buf, n);
	}
	for (int rep = 0; rep < 6000; rep++) {
		char pat[512];
		gen_pattern(pat, sizeof(pat));
		for (int k = 0; k < 5; k++) {
			size_t n = gen_stream(buf, sizeof(buf));
			differ(pat, rnd(3) == 0, buf, n);
		}
	}
	/* Invisible code points do not hide a match, wherever the pieces split them. */
	{
		static const char *const pats[] = { "rm -rf", "rm +-rf /", "^rm.-rf", "RM -RF" };
		/* ZWSP, BOM, a tag; U+1BCA0 and U+13430, which glibc draws in no columns. */
		static const char hidden[] = "r\xe2\x80\x8b\xf0\x9b\xb2\xa0m -r\xef\xbb\xbf\xf0\x93\x90\xb0"
					     "f /\xf3\xa0\x80\x81";
		size_t hn = sizeof(hidden) - 1;

		for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++) {
			struct ta_grep g;
			char err[128];

			CHECK_EQ_INT(ta_grep_compile(&g, pats[k], k == 3, err, sizeof(err)), 0);
			CHECK(g.strip);
			CHECK(ta_grep_match(&g, hidden, hn, NULL));
			for (size_t cut = 1; cut < hn; cut++) {
				struct ta_grep_stream s;

				ta_grep_stream_init(&s, &g);
				ta_grep_stream_feed(&s, hidden, cut);
				ta_grep_stream_feed(&s, hidden + cut, hn - cut);
				if (!ta_grep_stream_finish(&s))
					fprintf(stderr, "pattern %s, cut at %zu: no match\n", pats[k], cut);
				CHECK(ta_grep_stream_finish(&s));
				ta_grep_stream_free(&s);
			}
			ta_grep_free(&g);
		}
		/* A pattern that names an invisible character searches the bytes as they are. */
		struct ta_grep g;
		char err[128];

		CHECK_EQ_INT(ta_grep_compile(&g, "r\xe2\x80\x8b\xf0\x9b\xb2\xa0m", 0, err, sizeof(err)), 0);
		CHECK(!g.strip);
		CHECK(ta_grep_match(&g, hidden, hn, NULL));
		CHECK(!ta_grep_match(&g, "rm -rf", 6, NULL));
		ta_grep_free(&g);
		/* An incomplete sequence at the end of a stream is kept, not lost. */
		CHECK_EQ_INT(ta_grep_compile(&g, "ab\xe2", 0, err, sizeof(err)), 0);
		{
			struct ta_grep_stream s;

			ta_grep_stream_init(&s, &g);
			ta_grep_stream_feed(&s, "xab\xe2", 4);
			CHECK(ta_grep_stream_finish(&s));
			ta_grep_stream_free(&s);
		}
		ta_grep_free(&g);
	}
	/* Lines longer than any piece, and a literal split across pieces. */
	memset(buf, 'z', sizeof(buf));
	memcpy(buf + 5000, "needle-1a2b-in", 14);
	differ("needle-[0-9a-f]{4}-in", 0, buf, sizeof(buf));
	differ("^z+needle", 0, buf, sizeof(buf));
	differ("in$", 0, buf, 5014);
	differ("in$", 0, buf, 5015);
	buf[4000] = '\n';
	differ("^z+needle", 0, buf, sizeof(buf));
	differ("\\<needle", 0, buf, sizeof(buf));
	/* Matches next to the windows' edges, against regexec over the whole stream. */
	{
		const size_t n = 6 * TA_VIEW_LINE_MAX + 77;
		uint8_t *big = malloc(n);
		static const char *const pats[] = {
			"needle-[0-9a-f]{4}-in", "\\<needle", "\\bneedle-1", "needle.1a2b", "(n|x)eedle-1a2b",
			"in$", "NEEDLE-1A", "ne+dle\\>",
		};

		CHECK(big != NULL);
		for (size_t at = 2 * TA_VIEW_LINE_MAX - 9; big && at < n; at += TA_VIEW_LINE_MAX + 3) {
			for (int nl = 0; nl < 2; nl++) {
				memset(big, 'z', n);
				memcpy(big + at, "needle-1a2b-in", 14);
				if (nl)
					big[at - 300] = '\n', big[at - 1] = ' ';
				for (size_t k = 0; k < sizeof(pats) / sizeof(pats[0]); k++)
					differ(pats[k], k == 6, big, n);
			}
			/* Exactly at a window's start, after a word character: no word start there. */
			memset(big, 'z', n);
			memcpy(big + 2 * TA_VIEW_LINE_MAX, "needle-1a2b-in", 14);
			differ("\\<needle", 0, big, n);
			differ("\\bneedle", 0, big, n);
		}
		free(big);
	}
	long_line("needle-[0-9a-f]{4}-in", 0, (40u << 20) + 5, 1);
	long_line("needle-[0-9a-f]{4}-in", 1, (1u << 20) - 3, 1);
	long_line("needle.1a2b", 0, 3 * TA_VIEW_LINE_MAX - 7, 1);
	long_line("(x|n)eedle-1a2b", 0, (63u << 20) + 11, 1);
	long_line("needle-[0-9a-f]{5}", 0, 12345, 0);
	long_line("needle-[0-9a-f]{4}-in", 0, SIZE_MAX / 2, 0);
	oom_is_an_error("needle-[0-9a-f]{4}", "xx needle-1a2b\nyy");
	oom_is_an_error("needle.*in", "xx needle-1a2b\nin");
	oom_is_an_error("needlx", "xx needle-1a2b\nin");
	fprintf(stderr, "modes used: lines %d (%d matched), plain %d, full with literal %d, full %d\n",
		lines_used, lines_hits, plain_used, full_lit_used, full_used);
	CHECK(lines_used > 1000 && lines_hits > 1000 && plain_used > 100 && full_lit_used > 100 &&
	      full_used > 100);
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a pattern requires of a line (agent/alerts/required.c): the literals
 * found in the patterns alert rules are made of, and against glibc's regexec
 * on random patterns and lines, that no line regexec matches lacks them (a
 * line the prefilter turned away wrongly is an alert that never fires).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/required.h"
#include "check.h"

/* The literals pattern requires, as "a|b|c" ("" for none). */
static const char *required(const char *pattern)
{
	static char out[TA_RE_REQUIRED_ALTS * (TA_RE_REQUIRED_LEN + 1) + 1];
	struct ta_re_required q;
	size_t o = 0;

	ta_re_required(pattern, &q);
	out[0] = '\0';
	for (unsigned k = 0; k < q.n; k++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s", k ? "|" : "", q.len[k],
				      q.lit[k]);
	return out;
}

static void test_literals(void)
{
	static const char *const cases[][2] = {
		/* the bench's and the documentation's output rules */
		{ "(password|passwd|secret)[[:space:]]*[:=]", "password|passwd|secret" },
		{ "BEGIN (RSA|OPENSSH|EC) PRIVATE KEY", " PRIVATE KEY" },
		{ "^uid=0\\(root\\)", "uid=0(root)" },
		{ "/dev/tcp/[0-9.]+/[0-9]+", "/dev/tcp/" },
		/* an optional character ends the run before it, a repeated one after it */
		{ "abcd?efg", "abc" },
		{ "abc+defg", "defg" },
		{ "xyz{2}ab", "xyz" },
		{ "xy{0,3}zab", "zab" },
		{ "(ab)*cd", "cd" },
		{ "(abc|abd)+x", "abc|abd" },
		/* nothing: an alternation at the top, an optional group, classes */
		{ "curl|wget", "" },
		{ "(curl|wget)?", "" },
		{ "a.b.c", "" },
		/* glibc's anchors are no characters: the letters stay required, nothing else */
		{ "\\<ab\\>", "ab" },
		{ "ab\\'", "ab" },
		{ "\\`ab", "ab" },
		{ "\\wab", "ab" },
		{ "a[bc]d", "" },
		{ "[]ab]cd", "cd" },
		{ "[[:alpha:]]xy", "xy" },
		{ "(a|)bc", "bc" },
		{ "ab{", "" },
		/* escaped punctuation is itself */
		{ "\\.\\*\\[x\\]", ".*[x]" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = required(cases[i][0]);

		if (strcmp(got, cases[i][1]))
			fprintf(stderr, "pattern %s: required '%s', expected '%s'\n", cases[i][0], got,
				cases[i][1]);
		CHECK_EQ_STR(got, cases[i][1]);
	}
}

static unsigned next(unsigned long long *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*s >> 33);
}

/*
 * Random patterns over a small alphabet of letters and every ERE operator,
 * and random lines over the letters and the operators' characters: each
 * line regexec matches must hold what the pattern requires.
 */
static void test_against_regexec(void)
{
	static const char *const atoms[] = {
		"a", "b", "c", "ab", "abc", ".", "*", "+", "?", "|", "(", ")", "[ab]", "[^a]",
		"[]a]", "[[:alpha:]]", "^", "$", "{2}", "{0,2}", "{1,}", "\\.", "\\(", "\\)",
		"\\*", "\\|", "\\<", "\\>", "\\`", "\\'", "\\w", "\\b", "(a|b)", "(ab|c)", "{",
	};
	static const char line_chars[] = "abcabcabc.*+?()|[]{}^$'`<> ";
	unsigned long long seed = 20261205;
	unsigned patterns = 0, matched = 0, bad = 0;

	for (int i = 0; i < 60000; i++) {
		char pat[128] = "", line[64];
		struct ta_re_required q;
		regex_t re;
		int n = 1 + (int)(next(&seed) % 8);

		for (int k = 0; k < n; k++)
			strcat(pat, atoms[next(&seed) % (sizeof(atoms) / sizeof(atoms[0]))]);
		if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB))
			continue;
		patterns++;
		ta_re_required(pat, &q);
		for (int t = 0; t < 40; t++) {
			int len = (int)(next(&seed) % 24);

			for (int k = 0; k < len; k++)
				line[k] = line_chars[next(&seed) % (sizeof(line_chars) - 1)];
			line[len] = '\0';
			if (regexec(&re, line, 0, NULL, 0))
				continue;
			matched++;
			if (!ta_re_required_in(&q, line, (size_t)len)) {
				if (bad++ < 5)
					fprintf(stderr, "pattern '%s' matches '%s', which lacks '%s'\n",
						pat, line, required(pat));
			}
		}
		regfree(&re);
	}
	printf("required: %u patterns, %u matching lines, %u turned away wrongly\n", patterns,
	       matched, bad);
	CHECK(patterns > 30000 && matched > 100000);
	CHECK_EQ_INT(bad, 0);
}

int main(void)
{
	test_literals();
	test_against_regexec();
	return check_result();
}

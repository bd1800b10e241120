// SPDX-License-Identifier: GPL-2.0-or-later
/* The project's one UTF-8 decoder and encoder (utf8.h). */
#include <locale.h>
#include <pthread.h>
#include <wchar.h>

#include "base/utf8.h"

int ta_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t need;
	uint32_t c;
	uint8_t b0 = s[0];

	if (b0 < 0x80) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xc2 && b0 <= 0xdf) {
		need = 2;
		c = b0 & 0x1f;
	} else if (b0 >= 0xe0 && b0 <= 0xef) {
		need = 3;
		c = b0 & 0x0f;
	} else if (b0 >= 0xf0 && b0 <= 0xf4) {
		need = 4;
		c = b0 & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		if (i >= n)
			return -1;
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
		/* Reject overlongs, surrogates and > U+10FFFF as early as possible. */
		if (i == 1) {
			if (need == 3 && b0 == 0xe0 && s[1] < 0xa0)
				return 0;
			if (need == 3 && b0 == 0xed && s[1] > 0x9f)
				return 0;
			if (need == 4 && b0 == 0xf0 && s[1] < 0x90)
				return 0;
			if (need == 4 && b0 == 0xf4 && s[1] > 0x8f)
				return 0;
		}
	}
	*cp = c;
	return (int)need;
}

size_t ta_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	int l = n ? ta_utf8_decode(s, n, &cp) : 0;

	return l > 0 ? (size_t)l : 0;
}

int ta_utf8_valid(const void *s, size_t n)
{
	const unsigned char *p = s;

	for (size_t i = 0, l; i < n; i += l)
		if (!(l = ta_utf8_len(p + i, n - i)))
			return 0;
	return 1;
}

size_t ta_utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int ta_cp_invisible(uint32_t cp)
{
	if (cp < 0x00ad)
		return 0;                                 /* the common case: ASCII, Latin-1 */
	if (cp == 0x00ad || cp == 0x034f)             /* soft hyphen, grapheme joiner */
		return 1;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f) /* bidi marks */
		return 1;
	/* Arabic and Syriac format characters (number signs, end of ayah, abbreviation marks) */
	if ((cp >= 0x0600 && cp <= 0x0605) || cp == 0x06dd || cp == 0x070f || cp == 0x0890 ||
	    cp == 0x0891 || cp == 0x08e2)
		return 1;
	if (cp == 0x115f || cp == 0x1160 || cp == 0x3164 || cp == 0xffa0) /* Hangul fillers */
		return 1;
	if (cp == 0x17b4 || cp == 0x17b5)             /* Khmer inherent vowels */
		return 1;
	if (cp >= 0x180b && cp <= 0x180f)             /* Mongolian selectors, separator */
		return 1;
	if (cp >= 0x200b && cp <= 0x200d)             /* zero-width space, non-joiner, joiner */
		return 1;
	if (cp >= 0x202a && cp <= 0x202e)             /* LRE RLE PDF LRO RLO */
		return 1;
	if (cp >= 0x2060 && cp <= 0x206f)             /* word joiner, invisible operators, LRI.. */
		return 1;
	if (cp >= 0xfe00 && cp <= 0xfe0f)             /* variation selectors */
		return 1;
	if (cp == 0xfeff)                             /* BOM, zero-width no-break space */
		return 1;
	if (cp >= 0xfff0 && cp <= 0xfffb)             /* reserved ignorables, annotation anchors */
		return 1;
	if (cp == 0x110bd || cp == 0x110cd)           /* Kaithi number signs */
		return 1;
	if (cp >= 0x13430 && cp <= 0x1343f)           /* Egyptian hieroglyph format controls */
		return 1;
	if (cp >= 0x1bca0 && cp <= 0x1bca3)           /* shorthand format controls: "r\u{1bca0}m" reads rm */
		return 1;
	if (cp >= 0x1d173 && cp <= 0x1d17a)           /* musical format controls */
		return 1;
	/* Tags, variation selectors supplement and the rest of the plane, all default-ignorable */
	if (cp >= 0xe0000 && cp <= 0xe0fff)
		return 1;
	return 0;
}

static locale_t utf8_ctype;

static void utf8_ctype_init(void)
{
	utf8_ctype = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

int ta_cp_columns(uint32_t cp)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	if (cp < 0x7f)
		return 1;
	pthread_once(&once, utf8_ctype_init);
	if (!utf8_ctype)
		return 1; /* no C.UTF-8 here: one column each, as before */
	locale_t prev = uselocale(utf8_ctype);
	int w = wcwidth((wchar_t)cp);
	uselocale(prev);
	return w < 0 ? 1 : w;
}

unsigned ta_utf8_columns(const void *s, size_t n, unsigned col)
{
	const uint8_t *p = s;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = ta_utf8_decode(p + i, n - i, &cp);

		if (l <= 0) {
			col++;
			i++;
			continue;
		}
		col += cp == '\t' ? 8 - col % 8 : (unsigned)ta_cp_columns(cp);
		i += (size_t)l;
	}
	return col;
}

int ta_cp_dangerous(uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7f)
		return 1;
	if (cp >= 0x80 && cp <= 0x9f)                 /* C1 controls (CSI = U+009B ...) */
		return 1;
	if (cp == 0x2028 || cp == 0x2029)             /* line / paragraph separator */
		return 1;
	if (cp >= 0xfff9 && cp <= 0xfffb)             /* interlinear annotation */
		return 1;
	/* Text an investigator cannot see hides what is there: r<ZWSP>m reads as rm. */
	return ta_cp_invisible(cp);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Line reassembly (line.h). Typed input is edited as readline edits it:
 * `… | h` Left `s` Enter ran `| sh`, and a line that only appended keys
 * would have matched `| hs`. Work per byte is bounded: an insertion moves
 * at most the line, and a full line drops a quarter at once.
 */
#include "alerts/line.h"

#include <string.h>

#define HEAD (TA_ALERT_LINE_MAX / 2)
#define DROP (TA_ALERT_LINE_MAX / 4)

void ta_line_clear(struct ta_line *l)
{
	l->len = l->cur = 0;
	l->cut = l->uncertain = false;
	l->literal = false;
	/*
	 * A paste ends with its line: a shell not in bracketed paste mode (dash,
	 * bash with it turned off) treats ESC [200~ as nothing, and a paste that
	 * lasted would take every later Backspace and ^U as text.
	 */
	l->paste = false;
}

void ta_line_reset(struct ta_line *l)
{
	ta_line_clear(l);
	l->esc = 0;
}

static bool is_continuation(char c)
{
	return ((uint8_t)c & 0xc0) == 0x80;
}

/* The length a UTF-8 lead byte announces; 0 for a byte that leads nothing. */
static uint32_t utf8_len(char c)
{
	uint8_t b = (uint8_t)c;

	return b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 :
	       b >= 0xf0 && b <= 0xf4 ? 4 : 0;
}

/* Whether [i, i + n) is one whole UTF-8 character of the line. */
static bool whole_char(const struct ta_line *l, uint32_t i, uint32_t n)
{
	if (n < 2 || utf8_len(l->buf[i]) != n || i + n > l->len)
		return false;
	for (uint32_t k = 1; k < n; k++)
		if (!is_continuation(l->buf[i + k]))
			return false;
	return true;
}

/*
 * Where the character before `at` starts, and where the one at `at` ends: a
 * UTF-8 character is one key of readline's in a UTF-8 locale, not one byte
 * (Backspace after `é` took only half of it, and the line matched was not
 * the one bash ran). Only a whole character is one; any other byte is one
 * on its own. A move over several bytes marks the line uncertain: in the C
 * locale readline moves by byte.
 */
static uint32_t char_before(struct ta_line *l, uint32_t at)
{
	if (!at)
		return 0;
	for (uint32_t n = 2; n <= 4 && n <= at; n++)
		if (whole_char(l, at - n, n)) {
			l->uncertain = true;
			return at - n;
		}
	return at - 1;
}

static uint32_t char_after(struct ta_line *l, uint32_t at)
{
	uint32_t n;

	if (at >= l->len)
		return l->len;
	n = utf8_len(l->buf[at]);
	if (whole_char(l, at, n)) {
		l->uncertain = true;
		return at + n;
	}
	return at + 1;
}

/* Full: the oldest quarter after the head goes; the cursor stays on its text. */
static void make_room(struct ta_line *l)
{
	memmove(l->buf + HEAD, l->buf + HEAD + DROP, l->len - HEAD - DROP);
	l->len -= DROP;
	if (l->cur >= HEAD + DROP) {
		l->cur -= DROP;
	} else if (l->cur > HEAD) {
		l->cur = HEAD;
		l->uncertain = true;
	}
	l->cut = true;
}

static void insert(struct ta_line *l, char c)
{
	if (l->len == TA_ALERT_LINE_MAX)
		make_room(l);
	memmove(l->buf + l->cur + 1, l->buf + l->cur, l->len - l->cur);
	l->buf[l->cur++] = c;
	l->len++;
}

/* Removes [from, to); the cursor moves with the text after it. */
static void erase(struct ta_line *l, uint32_t from, uint32_t to)
{
	memmove(l->buf + from, l->buf + to, l->len - to);
	l->len -= to - from;
	if (l->cur >= to)
		l->cur -= to - from;
	else if (l->cur > from)
		l->cur = from;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ^W, unix-word-rubout: the blanks, then the word before the cursor. */
static void rubout_word(struct ta_line *l)
{
	uint32_t from = l->cur;

	while (from && is_blank(l->buf[from - 1]))
		from--;
	while (from && !is_blank(l->buf[from - 1]))
		from--;
	erase(l, from, l->cur);
}

/* ^T, transpose-chars: the two before the cursor at the end, else around it. */
static void transpose(struct ta_line *l)
{
	uint32_t at = l->cur == l->len ? l->cur - 1 : l->cur;
	char c;

	if (l->len < 2 || l->cur == 0)
		return;
	if ((uint8_t)l->buf[at - 1] >= 0x80 || (uint8_t)l->buf[at] >= 0x80) {
		l->uncertain = true;                     /* characters of several bytes */
		return;
	}
	c = l->buf[at - 1];
	l->buf[at - 1] = l->buf[at];
	l->buf[at] = c;
	if (l->cur < l->len)
		l->cur++;
}

/* ^U, unix-line-discard: all before the cursor; the whole line takes the cut with it. */
static void discard(struct ta_line *l)
{
	bool all = l->cur == l->len;

	erase(l, 0, l->cur);
	if (all)
		l->cut = false;
}

/* A finished CSI or SS3 sequence of typed input: a key. */
static void key(struct ta_line *l, uint8_t final)
{
	if (l->esc_intro == ']')
		return;                                  /* OSC: no key */
	if (l->esc_more) {
		l->uncertain = true;                     /* with modifiers: word moves and the like */
		return;
	}
	switch (final) {
	case 'D': l->cur = char_before(l, l->cur); return;  /* Left */
	case 'C': l->cur = char_after(l, l->cur); return;   /* Right */
	case 'H': l->cur = 0; return;                     /* Home */
	case 'F': l->cur = l->len; return;                /* End */
	case '~': if (l->esc_intro == '[') break; /* fall through */
	default: l->uncertain = true; return;             /* Up, Down: history; F-keys */
	}
	switch (l->esc_arg) {
	case 1: case 7: l->cur = 0; return;               /* Home */
	case 4: case 8: l->cur = l->len; return;          /* End */
	case 3: erase(l, l->cur, char_after(l, l->cur)); return;  /* Delete */
	case 200:                                         /* bracketed paste: text until 201 */
		if (l->esc_odd)
			l->uncertain = true;              /* ESC [0200~: readline's paste needs [200~ */
		else
			l->paste = true;
		return;
	case 2: case 201: return;                         /* Insert */
	default: l->uncertain = true;                     /* Page Up/Down, F5 and on */
	}
}

/*
 * Escape sequences: ESC [ (CSI) and ESC O (SS3) up to their final byte, ESC ]
 * (OSC) up to BEL or a final byte. True while c belongs to one; *final is
 * set to the final byte when it ends one.
 */
static bool in_escape(struct ta_line *l, uint8_t c, uint8_t *final)
{
	*final = 0;
	if (l->esc == 1) {
		l->esc = (c == '[' || c == 'O' || c == ']') ? 2 : 0;
		l->esc_intro = c;
		l->esc_arg = 0;
		l->esc_more = false;
		l->esc_odd = false;
		if (!l->esc)
			*final = 0xff;                   /* ESC and a key: Alt-key, a readline command */
		return true;
	}
	if (l->esc == 2) {
		if ((c >= 0x40 && c <= 0x7e) || c == 0x07) {
			l->esc = 0;
			*final = c;
		} else if (c >= '0' && c <= '9' && !l->esc_more && l->esc_arg < 100000) {
			if (c == '0' && !l->esc_arg)
				l->esc_odd = true;         /* a leading zero */
			l->esc_arg = l->esc_arg * 10 + (c - '0');
		} else if (c == ';') {
			l->esc_more = true;
		} else if (!l->esc_more) {
			l->esc_odd = true;                 /* ?, >, space...: not the plain key */
		}
		return true;
	}
	if (c == 0x1b) {
		l->esc = 1;
		return true;
	}
	return false;
}

/* Readline's keys that edit at the cursor; the rest of C0 is a command it cannot follow. */
static void control(struct ta_line *l, uint8_t c)
{
	switch (c) {
	case 0x01: l->cur = 0; break;                                   /* ^A */
	case 0x05: l->cur = l->len; break;                              /* ^E */
	case 0x02: l->cur = char_before(l, l->cur); break;              /* ^B */
	case 0x06: l->cur = char_after(l, l->cur); break;               /* ^F */
	case 0x04: erase(l, l->cur, char_after(l, l->cur)); break;      /* ^D */
	case 0x08:
	case 0x7f: erase(l, char_before(l, l->cur), l->cur); break;     /* backspace */
	case 0x16: l->literal = true; break;                            /* ^V: quoted-insert */
	case 0x0b: erase(l, l->cur, l->len); break;                     /* ^K */
	case 0x15: discard(l); break;                                   /* ^U */
	case 0x17: rubout_word(l); break;                               /* ^W */
	case 0x14: transpose(l); break;                                 /* ^T */
	case 0x03: ta_line_clear(l); l->abandoned = true; break;        /* ^C: abandoned */
	case 0x07:
	case 0x0c: break;                                               /* ^G, ^L */
	default: l->uncertain = true;  /* ^R search, ^P/^N history, ^Y yank, ^X, ^_ */
	}
}

/*
 * Inside a bracketed paste readline inserts what comes as text (^U, ESC
 * sequences) until ESC [201~: a pasted `… | sh #^U` runs, and applying the
 * ^U as a key dropped the line. Only the end mark is a key. A newline ends a
 * line here too: bash runs a pasted text's lines as commands, and a readline
 * with bracketed paste turned off (bind 'set enable-bracketed-paste off')
 * runs a line at its Enter though ESC [200~ came before it.
 */
static bool paste_input(struct ta_line *l, uint8_t c)
{
	uint8_t final;

	if (l->esc || c == 0x1b) {
		in_escape(l, c, &final);
		if (final && final != 0xff && l->esc_intro == '[' && final == '~' &&
		    l->esc_arg == 201 && !l->esc_more && !l->esc_odd)
			l->paste = false;             /* exactly ESC [201~, as readline ends it */
		else if (final)
			l->uncertain = true;  /* a pasted sequence: text to readline, not kept here */
		return false;
	}
	if (c == '\r' || c == '\n')
		return true;
	if (c < 0x20 || c == 0x7f)
		l->uncertain = true;          /* a key to a shell that is not pasting */
	insert(l, (char)c);
	return false;
}

bool ta_line_input(struct ta_line *l, uint8_t c)
{
	uint8_t final;

	if (l->paste)
		return paste_input(l, c);
	if (l->literal) {
		l->literal = false;
		insert(l, (char)c);
		return false;
	}
	if (in_escape(l, c, &final)) {
		if (final == 0xff)
			l->uncertain = true;
		else if (final)
			key(l, final);
		return false;
	}
	if (c == '\r' || c == '\n')
		return true;
	if (c == '\t') {
		l->uncertain = true;                     /* completion: what it added is not typed */
		insert(l, '\t');
		return false;
	}
	if (c < 0x20 || c == 0x7f) {
		control(l, c);
		return false;
	}
	insert(l, (char)c);
	return false;
}

bool ta_line_output(struct ta_line *l, uint8_t c)
{
	uint8_t final;

	if (in_escape(l, c, &final))
		return false;
	switch (c) {
	case '\n':
		return true;
	case 0x7f:
	case 0x08:
		if (l->len)
			l->len--;
		return false;
	case '\t':
		break;
	default:
		if (c < 0x20)
			return false;   /* \r too: the line ends at \n */
	}
	if (l->len < TA_ALERT_LINE_MAX)
		l->buf[l->len++] = (char)c;
	else
		l->cut = true;
	return false;
}

static size_t put(const char *s, size_t n, bool collapse, char *out, size_t o, size_t cap)
{
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		char c = s[i];

		if (collapse && is_blank(c)) {
			if (o && out[o - 1] == ' ')
				continue;
			c = ' ';
		}
		out[o++] = c;
	}
	return o;
}

size_t ta_line_text(const struct ta_line *l, bool collapse, char *out, size_t cap)
{
	static const char gap[] = " \xe2\x80\xa6 ";   /* " … " */
	size_t o;

	if (!cap)
		return 0;
	if (!l->cut || l->len <= HEAD) {
		o = put(l->buf, l->len, collapse, out, 0, cap);
	} else {
		o = put(l->buf, HEAD, collapse, out, 0, cap);
		o = put(gap, sizeof(gap) - 1, false, out, o, cap);
		o = put(l->buf + HEAD, l->len - HEAD, collapse, out, o, cap);
	}
	out[o] = '\0';
	return o;
}

/* The shell's view of a line's end: quotes, escapes and comments followed. */
struct scan {
	char quote;           /* open quote, 0 if none */
	bool escaped;         /* the line ends with an unescaped backslash */
	long last, prev;      /* the last two bare (unquoted, unescaped) non-blank bytes */
};

static void scan_line(const char *s, size_t n, struct scan *sc)
{
	bool esc = false, word_start = true;

	memset(sc, 0, sizeof(*sc));
	sc->last = sc->prev = -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (esc || (sc->quote == '\'' && c != '\'') || (sc->quote == '"' && c != '"' &&
								 c != '\\')) {
			esc = false;
			word_start = false;
			sc->prev = sc->last = -1;   /* quoted: no operator */
			continue;
		}
		if (c == '\\') {
			esc = true;
			continue;
		}
		if (c == '\'' || c == '"') {
			sc->quote = sc->quote ? 0 : c;
			sc->prev = sc->last = -1;
			word_start = false;
			continue;
		}
		if (c == '#' && word_start)
			break;                      /* a comment: the rest is not read */
		if (is_blank(c)) {
			word_start = true;
			continue;
		}
		word_start = strchr(";&|()<>", c) != NULL;
		sc->prev = sc->last;
		sc->last = (long)i;
	}
	sc->escaped = esc;
}

enum ta_line_cont ta_line_continuation(const char *s, size_t n)
{
	struct scan sc;

	scan_line(s, n, &sc);
	if (sc.quote)
		return TA_LINE_QUOTE;
	if (sc.escaped)
		return TA_LINE_BACKSLASH;
	if (sc.last < 0)
		return TA_LINE_DONE;
	if (s[sc.last] == '|')
		return TA_LINE_OPERATOR;
	if (s[sc.last] == '&' && sc.prev == sc.last - 1 && (s[sc.prev] == '&' || s[sc.prev] == '|'))
		return TA_LINE_OPERATOR;
	return TA_LINE_DONE;
}

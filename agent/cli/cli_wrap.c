// SPDX-License-Identifier: GPL-2.0-or-later
/* Marked lines cut into rows no wider than the terminal (cli_wrap.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/utf8.h"
#include "cli/cli_util.h"
#include "cli/cli_wrap.h"

/* A mark is found this far into a line at most (the time, a terminal's and a typist's name). */
#define MARK_MAX 256

unsigned cli_wrap_columns(long width)
{
	struct winsize ws;

	if (width >= 0)
		return width > 0xffff ? 0xffff : (unsigned)width;
	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || !ws.ws_col)
		return 0;
	return ws.ws_col;
}

int cli_wrap_parse(const char *arg, long *width)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 0 || v > 0xffff)
		return -EINVAL;
	*width = v;
	return 0;
}

/* The character at p (n bytes left) from column col: its length, its columns in *cw. */
static size_t next_char(const uint8_t *p, size_t n, unsigned col, unsigned *cw)
{
	size_t k = ta_utf8_len(p, n);

	if (!k)
		k = 1; /* not UTF-8: a byte, which the views escape before this */

	*cw = ta_utf8_columns(p, k, col) - col;
	return k;
}

/* The bytes of a line's mark: through its first "| ", or a header's "# "; 0 if none. */
static size_t mark_len(const uint8_t *l, size_t n)
{
	size_t lim = n < MARK_MAX ? n : MARK_MAX;

	if (n >= 2 && l[0] == '#' && l[1] == ' ')
		return 2;
	for (size_t i = 0; i + 1 < lim; i++)
		if (l[i] == '|' && l[i + 1] == ' ')
			return i + 2;
	return 0;
}

/* The mark of a row that goes on: "... o+ " for "... o| ", "#+ " for "# ", "+ " for none. */
static unsigned put_more(struct ta_buf *out, const uint8_t *l, size_t m, unsigned mw)
{
	if (m == 2 && l[0] == '#') {
		ta_buf_puts(out, "#+ ");
		return 3;
	}
	if (m) {
		ta_buf_put(out, l, m - 2);
		ta_buf_puts(out, "+ ");
		return mw;
	}
	ta_buf_puts(out, "+ ");
	return 2;
}

static void wrap_line(struct ta_buf *out, const uint8_t *l, size_t n, unsigned columns, int newline,
		      int marked)
{
	size_t m = marked ? mark_len(l, n) : 0;
	unsigned mw = ta_utf8_columns(l, m, 0);

	if (mw + 8 > columns) /* too narrow to repeat it: rows go on after "+ " */
		m = 0, mw = 0;
	ta_buf_put(out, l, m);
	unsigned col = mw, start = mw;
	for (size_t i = m; i < n;) {
		unsigned cw;
		size_t k = next_char(l + i, n - i, col, &cw);
		if (col + cw > columns && col > start) {
			ta_buf_putc(out, '\n');
			col = start = put_more(out, l, m, mw);
			next_char(l + i, n - i, col, &cw); /* a tab's columns from the new one */
		}
		ta_buf_put(out, l + i, k);
		col += cw;
		i += k;
	}
	if (newline)
		ta_buf_putc(out, '\n');
}

int cli_wrap_flush(struct ta_buf *b, FILE *f, unsigned columns, int flags)
{
	int final = flags & CLI_WRAP_FINAL;

	if (!columns)
		return cli_flush(b, f);
	const uint8_t *p = b->p, *end = p + b->len;
	const uint8_t *last = b->len ? memrchr(p, '\n', b->len) : NULL;
	const uint8_t *stop = final ? end : last ? last + 1 : p;
	struct ta_buf rows;
	int bad = 0;

	ta_buf_init(&rows);
	while (p < stop) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(stop - p);
		wrap_line(&rows, p, n, columns, nl != NULL, !(flags & CLI_WRAP_UNMARKED));
		p += n + (nl != NULL);
	}
	if (rows.len && fwrite(rows.p, 1, rows.len, f) != rows.len)
		bad = 1;
	ta_buf_free(&rows);
	size_t rest = (size_t)(end - stop);
	memmove(b->p, stop, rest);
	b->len = rest;
	return bad ? -EIO : 0;
}

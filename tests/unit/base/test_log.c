// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The logger's line (base/log.h): one line that a terminal only prints,
 * whatever the message carries (a path, a host's message, a database's error
 * text): no line break to forge a second line, no control byte, C1 control,
 * byte that is not UTF-8, bidi override or invisible character to act on the
 * reader's terminal or hide text; printable UTF-8 kept; levels above the
 * maximum not written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "base/log.h"

/* What the calls in between wrote to stderr. */
static FILE *capture_begin(int *saved)
{
	FILE *f = tmpfile();
	fflush(stderr);
	*saved = dup(STDERR_FILENO);
	dup2(fileno(f), STDERR_FILENO);
	return f;
}

static char *capture_end(FILE *f, int saved)
{
	static char out[4096];
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

int main(void)
{
	int saved;
	ta_log_init("t", TA_LOG_INFO);

	FILE *f = capture_begin(&saved);
	ta_warn("sub", "a\x1b[31mb\x07" "c\nFORGED: line\r\td\x7f" "e \xc2\x9b" "2J \xc3\xa9t\xc3\xa9 %s", "\x1b]0;x\x07");
	char *out = capture_end(f, saved);
	CHECK_EQ_STR(out, "t: warning: sub: a?[31mb?c FORGED: line  d?e ?2J \xc3\xa9t\xc3\xa9 ?]0;x?\n");

	/*
	 * What a terminal obeys or does not show, past C0: a raw 8-bit CSI, an
	 * overlong form, a bidi override, a zero-width space: one '?' each.
	 */
	f = capture_begin(&saved);
	ta_err("sub", "x\x9b" "31m \xc0\x9b" "2J evil\xe2\x80\xae" "cba r\xe2\x80\x8bm \xe2\x82\xac");
	out = capture_end(f, saved);
	CHECK_EQ_STR(out, "t: error: sub: x?31m ??2J evil?cba r?m \xe2\x82\xac\n");

	/* Above the maximum level: nothing; at it: one line without a subsystem. */
	f = capture_begin(&saved);
	ta_debug("sub", "not written");
	ta_log(TA_LOG_INFO, NULL, "plain");
	out = capture_end(f, saved);
	CHECK_EQ_STR(out, "t: info: plain\n");

	/* A lead byte cut off by the end of the message: nothing read past it, not shown raw. */
	f = capture_begin(&saved);
	ta_err("sub", "end \xc2");
	out = capture_end(f, saved);
	CHECK_EQ_STR(out, "t: error: sub: end ?\n");
	return check_result();
}

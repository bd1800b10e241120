/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Marked lines no wider than the terminal that shows them. show and follow
 * start every line they write with a mark ("12:00:00.002 o| "); a line wider
 * than the terminal was wrapped by the terminal, and the row it wrapped to
 * started with recorded text, not a mark: 64 dots and then
 * "12:00:00.002 i| sudo cat /etc/shadow", printed, drew a typed line that was
 * never typed. Wrapped here instead, each row starts with its line's mark,
 * '+' in place of '|' on the rows that go on ("12:00:00.002 o+ ").
 */
#ifndef TA_CLI_WRAP_H
#define TA_CLI_WRAP_H

#include <stdio.h>

#include "base/buf.h"

/*
 * The columns to wrap at: width when it is 0 or more (0: never), else those
 * of the terminal on standard output, 0 when that is not a terminal (a file,
 * a pipe: lines go whole, for grep and scripts).
 */
unsigned cli_wrap_columns(long width);
/* --width N: 0 or -EINVAL (not a number of columns from 0 to 65535). */
int cli_wrap_parse(const char *arg, long *width);

enum {
	CLI_WRAP_FINAL = 1,    /* the unfinished last line too */
	CLI_WRAP_UNMARKED = 2, /* lines without marks (a table's rows): rows go on after "+ " */
};

/*
 * Writes the whole lines of b to f, each cut into rows of at most columns
 * (0: as they are), and keeps the unfinished last line in b (all of b with
 * CLI_WRAP_FINAL). A line's mark is what precedes its first "| " (or "# " at
 * its start); a row that goes on repeats it. 0 or -EIO.
 */
int cli_wrap_flush(struct ta_buf *b, FILE *f, unsigned columns, int flags);

#endif

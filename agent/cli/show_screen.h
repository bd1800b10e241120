/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * show --screen: the terminal's screen at a moment, drawn by a real terminal
 * emulator (libvterm) from the output as the terminal showed it (shown.h)
 * and the window sizes up to then. Without libvterm at build time the CLI
 * still builds and --screen says so.
 */
#ifndef TA_CLI_SHOW_SCREEN_H
#define TA_CLI_SHOW_SCREEN_H

#include <stdint.h>
#include <stdio.h>

#include "cli/session_view.h"

/* 1 if this build can draw screens. */
int show_screen_available(void);
/*
 * Writes the screen of the loaded session v at at_ns (UINT64_MAX: its end)
 * to f: a "#" header line, then one line per row, "| " before its text
 * (a row that printed "# screen of ..." cannot pass for a header), trailing
 * blanks dropped, bidi and C1 code points as \u{XXXX} (cells hold no control
 * characters), cut into rows of at most columns (cli_wrap.h; 0: whole).
 * Returns an exit code.
 */
int show_screen(FILE *f, struct session_view *v, uint64_t at_ns, int utc, unsigned columns);

#endif

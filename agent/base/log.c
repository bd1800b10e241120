// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/log.h"
#include "base/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The one piece of process-wide state: where and how loudly to complain. */
static const char *log_prog = "ttyaudit";
static enum ta_log_level log_max = TA_LOG_INFO;

void ta_log_init(const char *progname, enum ta_log_level max_level)
{
	log_prog = progname;
	log_max = max_level;
}

/*
 * One line that a terminal only prints: a newline inside would forge a second
 * line, and an escape sequence (in a path, a host's message, a database's
 * error text) would act on the terminal of whoever reads the log. Line breaks
 * and tabs become spaces; other control bytes, bytes that are not UTF-8 (a
 * raw 8-bit CSI among them) and the code points a terminal obeys or does not
 * show (C1, bidi overrides, zero-width: ta_cp_dangerous) become '?'.
 */
static void plain_line(char *msg)
{
	unsigned char *r = (unsigned char *)msg, *w = r;
	size_t left = strlen(msg);

	while (left) {
		uint32_t cp;
		int l;

		if (*r < 0x80) {
			*w++ = *r == '\n' || *r == '\r' || *r == '\t' ? ' ' :
			       *r < 0x20 || *r == 0x7f		  ? '?' : *r;
			r++;
			left--;
			continue;
		}
		l = ta_utf8_decode(r, left, &cp);
		if (l <= 0 || ta_cp_dangerous(cp)) {
			*w++ = '?';
			l = l > 0 ? l : 1;
		} else {
			memmove(w, r, (size_t)l);
			w += l;
		}
		r += l;
		left -= (size_t)l;
	}
	*w = '\0';
}

void ta_vlog(enum ta_log_level level, const char *subsys, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char msg[1024];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	plain_line(msg);
	if (subsys)
		fprintf(stderr, "%s: %s: %s: %s\n", log_prog, names[level], subsys, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", log_prog, names[level], msg);
}

void ta_log(enum ta_log_level level, const char *subsys, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ta_vlog(level, subsys, fmt, ap);
	va_end(ap);
}

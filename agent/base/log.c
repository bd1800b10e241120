// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/log.h"

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
 * and tabs become spaces; other control bytes, and C1 controls in UTF-8
 * (U+0080..U+009F), become '?'.
 */
static void plain_line(char *msg)
{
	for (unsigned char *p = (unsigned char *)msg; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			*p = ' ';
		} else if (*p < 0x20 || *p == 0x7f) {
			*p = '?';
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = p[1] = '?';
			p++;
		}
	}
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

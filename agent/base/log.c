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

void ta_vlog(enum ta_log_level level, const char *subsys, const char *fmt, va_list ap)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char msg[1024];

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One line per message: a newline inside would forge a second line. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
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

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Diagnostics. Library functions return -errno and do not print; the program
 * boundary logs once, with a subsystem prefix ("capture: ...").
 */
#ifndef TA_LOG_H
#define TA_LOG_H

#include <stdarg.h>

enum ta_log_level { TA_LOG_ERR = 0, TA_LOG_WARN, TA_LOG_INFO, TA_LOG_DEBUG };

/* Program name shown first on every line, e.g. "ttyauditd". */
void ta_log_init(const char *progname, enum ta_log_level max_level);
void ta_log(enum ta_log_level level, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ta_vlog(enum ta_log_level level, const char *subsys, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#define ta_err(sub, ...) ta_log(TA_LOG_ERR, sub, __VA_ARGS__)
#define ta_warn(sub, ...) ta_log(TA_LOG_WARN, sub, __VA_ARGS__)
#define ta_info(sub, ...) ta_log(TA_LOG_INFO, sub, __VA_ARGS__)
#define ta_debug(sub, ...) ta_log(TA_LOG_DEBUG, sub, __VA_ARGS__)

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unsigned decimal numbers as configuration and state files write them. */
#ifndef TA_BASE_DECIMAL_H
#define TA_BASE_DECIMAL_H

#include <stdint.h>

/*
 * The decimal digits at s (at least one; no sign, blank or base prefix, which
 * strtoul takes: "-1" read as 2^64-1): the value, *end past the digits (a
 * unit or the rest follows). -EINVAL if there is no digit, or past UINT64_MAX.
 */
int ta_parse_dec_u64(const char *s, const char **end, uint64_t *out);

#endif

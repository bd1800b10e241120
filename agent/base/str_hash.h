/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A string's FNV-1a hash, for the tables that bucket by name (not for anything hostile). */
#ifndef TTYAUDIT_BASE_STR_HASH_H
#define TTYAUDIT_BASE_STR_HASH_H

#include <stdint.h>

static inline uint32_t ta_str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

#endif

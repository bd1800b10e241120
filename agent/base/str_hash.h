/* SPDX-License-Identifier: GPL-2.0-or-later */
/* FNV-1a string hashes, for the tables that bucket by name. */
#ifndef TTYAUDIT_BASE_STR_HASH_H
#define TTYAUDIT_BASE_STR_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 32-bit, unsalted: for names the system gives (boot ids, host hashes), not a writer. */
static inline uint32_t ta_str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/*
 * 64-bit FNV-1a from a salted basis, for tables of names a hostile writer
 * chooses (a log's strings): with a random salt per table, nobody can pick
 * names that all fall in one probe run. By length: such a name may hold a NUL.
 */
static inline uint64_t ta_str_hash_salted(const char *s, size_t n, uint64_t salt)
{
	uint64_t h = 1469598103934665603ull ^ salt;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

#endif

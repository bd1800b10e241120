/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal assertions for the unit tests. A failed CHECK prints where and
 * what, and marks the test failed; the test's main returns check_result().
 */
#ifndef TA_TEST_CHECK_H
#define TA_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                          \
	do {                                                                 \
		check_count++;                                               \
		if (!(cond)) {                                               \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                   \
	do {                                                                 \
		long long _a = (long long)(a), _b = (long long)(b);          \
		check_count++;                                               \
		if (_a != _b) {                                              \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);         \
		}                                                            \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                   \
	do {                                                                 \
		const char *_a = (a), *_b = (b);                             \
		check_count++;                                               \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                     \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)", \
				_b ? _b : "(null)");                         \
		}                                                            \
	} while (0)

#define CHECK_MEM(a, b, n)                                                   \
	do {                                                                 \
		check_count++;                                               \
		if (memcmp((a), (b), (n)) != 0) {                            \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: memory %s != %s (%zu bytes)\n", \
				__FILE__, __LINE__, #a, #b, (size_t)(n));    \
		}                                                            \
	} while (0)

static inline int check_result(void)
{
	if (check_count == 0) {
		fprintf(stderr, "no checks ran: a test that asserts nothing is a defect\n");
		return 1;
	}
	fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif

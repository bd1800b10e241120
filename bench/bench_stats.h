/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the C benchmarks share: a clock in seconds and the min / median / max line. */
#ifndef TA_BENCH_STATS_H
#define TA_BENCH_STATS_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v and prints one figure as min / median / max. */
static inline void bench_report(const char *what, const char *unit, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_d);
	printf("%-44s min %10.3f  median %10.3f  max %10.3f  %s\n", what, v[0], v[n / 2], v[n - 1],
	       unit);
}

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BPF stamps events with CLOCK_BOOTTIME; records carry wall-clock time. */
#ifndef TA_CLOCK_H
#define TA_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ta_clock {
	int64_t boot_to_real_ns;   /* realtime - boottime, sampled */
	uint64_t sampled_boot_ns;
};

/* The one clock source: now on clockid (CLOCK_MONOTONIC for intervals, CLOCK_REALTIME for records). */
uint64_t ta_now_ns(int clockid);
/* now on clockid plus after_ns as a timespec: a deadline for pthread_cond_timedwait & co. */
struct timespec ta_deadline(int clockid, uint64_t after_ns);
/* Sample the offset again (settimeofday, NTP steps). */
void ta_clock_sync(struct ta_clock *c);
uint64_t ta_clock_boot_to_real(const struct ta_clock *c, uint64_t boot_ns);

/*
 * The one RFC 3339 formatter: UTC, "2026-11-21T19:33:10.123456789Z" with
 * frac_digits (0 to 9) digits of the second (0: no fraction). Returns the
 * length written (out is NUL-terminated).
 */
#define TA_RFC3339_MAX 40
size_t ta_rfc3339(char out[TA_RFC3339_MAX], uint64_t realtime_ns, unsigned frac_digits);

/*
 * The one table of duration units (the configuration, alert rates, the
 * CLI's ages): the seconds in one unit of "s"/"sec", "m"/"min", "h", "d",
 * "w"; 0 for anything else (a bare number is the caller's to read).
 */
uint64_t ta_duration_unit(const char *unit);

#endif

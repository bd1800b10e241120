/* SPDX-License-Identifier: GPL-2.0-or-later */
/* BPF stamps events with CLOCK_BOOTTIME; records carry wall-clock time. */
#ifndef TA_CLOCK_H
#define TA_CLOCK_H

#include <stdint.h>

struct ta_clock {
	int64_t boot_to_real_ns;   /* realtime - boottime, sampled */
	uint64_t sampled_boot_ns;
};

uint64_t ta_now_ns(int clockid);
/* Sample the offset again (settimeofday, NTP steps). */
void ta_clock_sync(struct ta_clock *c);
uint64_t ta_clock_boot_to_real(const struct ta_clock *c, uint64_t boot_ns);

#endif

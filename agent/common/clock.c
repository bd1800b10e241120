// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/clock.h"

#include <time.h>

uint64_t ta_now_ns(int clockid)
{
	struct timespec ts;

	clock_gettime(clockid, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void ta_clock_sync(struct ta_clock *c)
{
	/* Bracket the realtime read between two boottime reads to halve the error. */
	uint64_t b1 = ta_now_ns(CLOCK_BOOTTIME);
	uint64_t r = ta_now_ns(CLOCK_REALTIME);
	uint64_t b2 = ta_now_ns(CLOCK_BOOTTIME);
	uint64_t b = b1 + (b2 - b1) / 2;

	c->boot_to_real_ns = (int64_t)(r - b);
	c->sampled_boot_ns = b;
}

uint64_t ta_clock_boot_to_real(const struct ta_clock *c, uint64_t boot_ns)
{
	return (uint64_t)((int64_t)boot_ns + c->boot_to_real_ns);
}

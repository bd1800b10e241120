// SPDX-License-Identifier: GPL-2.0-or-later
#include "base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t ta_now_ns(int clockid)
{
	struct timespec ts;

	clock_gettime(clockid, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct timespec ta_deadline(int clockid, uint64_t after_ns)
{
	uint64_t at = ta_now_ns(clockid) + after_ns;

	return (struct timespec){ .tv_sec = (time_t)(at / 1000000000ULL),
				  .tv_nsec = (long)(at % 1000000000ULL) };
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

static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

size_t ta_rfc3339(char out[TA_RFC3339_MAX], uint64_t realtime_ns, unsigned frac_digits)
{
	time_t t = (time_t)(realtime_ns / 1000000000ull);
	unsigned frac = (unsigned)(realtime_ns % 1000000000ull);
	struct tm tm;
	char *p = out;
	int year;

	if (frac_digits > 9)
		frac_digits = 9;
	for (unsigned i = frac_digits; i < 9; i++)
		frac /= 10;
	gmtime_r(&t, &tm);
	year = tm.tm_year + 1900;
	/* By hand, not strftime and printf: query --json prints two per row. */
	if (year >= 0 && year <= 9999) {
		p = put_digits(p, (unsigned)year, 4);
	} else {
		p += snprintf(p, 16, "%d", year);
	}
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_sec, 2);
	if (frac_digits) {
		*p++ = '.';
		p = put_digits(p, frac, (int)frac_digits);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - out);
}

uint64_t ta_duration_unit(const char *unit)
{
	static const struct {
		const char *name;
		uint64_t seconds;
	} units[] = {
		{ "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 7 * 86400 },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(unit, units[i].name))
			return units[i].seconds;
	return 0;
}

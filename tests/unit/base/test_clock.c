// SPDX-License-Identifier: GPL-2.0-or-later
/* base/clock.c's duration units (one table for the configuration, alert rates and the CLI). */
#include "base/clock.h"
#include "check.h"

int main(void)
{
	static const struct {
		const char *unit;
		uint64_t seconds;
	} ok[] = {
		{ "s", 1 }, { "sec", 1 }, { "m", 60 }, { "min", 60 }, { "h", 3600 },
		{ "d", 86400 }, { "w", 604800 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK(ta_duration_unit(ok[i].unit) == ok[i].seconds);
	/* No unit, other spellings and trailing text are not units. */
	static const char *const bad[] = { "", "S", "ms", "mins", "hours", "1", "m ", "dd", "y" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ta_duration_unit(bad[i]) == 0);
	char out[TA_RFC3339_MAX];
	CHECK(ta_rfc3339(out, 1767268800001000000ull, 9) == 30);
	CHECK_EQ_STR(out, "2026-01-01T12:00:00.001000000Z");
	return check_result();
}

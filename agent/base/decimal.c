// SPDX-License-Identifier: GPL-2.0-or-later
/* Unsigned decimal numbers (decimal.h). */
#include <errno.h>

#include "base/decimal.h"

int ta_parse_dec_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	*end = s;
	return 0;
}

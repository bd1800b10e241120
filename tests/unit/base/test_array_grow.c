// SPDX-License-Identifier: GPL-2.0-or-later
/* ta_array_grow: room for what is asked, capacity kept when it suffices, overflow refused. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/buf.h"
#include "check.h"

int main(void)
{
	uint32_t *v = NULL;
	size_t cap = 0;

	CHECK_EQ_INT(ta_array_grow((void **)&v, &cap, 1, sizeof(*v)), 0);
	CHECK(v != NULL && cap == 64);
	uint32_t *first = v;
	CHECK_EQ_INT(ta_array_grow((void **)&v, &cap, 64, sizeof(*v)), 0);
	CHECK(v == first && cap == 64); /* enough room: untouched */
	for (uint32_t i = 0; i < 64; i++)
		v[i] = i;
	CHECK_EQ_INT(ta_array_grow((void **)&v, &cap, 1000, sizeof(*v)), 0);
	CHECK(cap == 1024 && v[63] == 63); /* doubled until it holds them, contents kept */
	size_t before = cap;
	CHECK_EQ_INT(ta_array_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof(*v)), -ENOMEM);
	CHECK(cap == before && v[10] == 10); /* a size that overflows: refused, array intact */
	CHECK_EQ_INT(ta_array_grow((void **)&v, &cap, SIZE_MAX, 1), -ENOMEM);
	CHECK(cap == before);
	free(v);
	return check_result();
}

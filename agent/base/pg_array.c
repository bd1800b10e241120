// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <string.h>

#include "base/pg_array.h"

/* Header: dimensions 1, no NULLs, element OID, then length and lower bound of the dimension. */
void ta_pg_array_begin(struct ta_buf *b, uint32_t elem_oid)
{
	uint32_t h[5] = { htobe32(1), 0, htobe32(elem_oid), 0, htobe32(1) };
	ta_buf_reset(b);
	ta_buf_put(b, h, sizeof(h));
}

void ta_pg_array_add(struct ta_buf *b, const void *p, uint32_t len)
{
	uint32_t l = htobe32(len);
	ta_buf_put(b, &l, 4);
	ta_buf_put(b, p, len);
}

void ta_pg_array_add_u64(struct ta_buf *b, uint64_t v)
{
	uint64_t x = htobe64(v);
	ta_pg_array_add(b, &x, 8);
}

void ta_pg_array_end(struct ta_buf *b, uint32_t n)
{
	uint32_t x = htobe32(n);
	if (!b->oom && b->len >= 20)
		memcpy(b->p + 12, &x, 4);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PostgreSQL's binary array format (one dimension, no NULLs), written into a
 * ta_buf: a column of many rows goes to the database as one parameter, so a
 * batch costs one statement, not one per row (the collector's inserts, the
 * fleet reader's record lookups).
 */
#ifndef TA_BASE_PG_ARRAY_H
#define TA_BASE_PG_ARRAY_H

#include <stdint.h>

#include "base/buf.h"

/* Element types, by their fixed OIDs (pg_type.dat). */
#define TA_PG_OID_BOOL 16
#define TA_PG_OID_BYTEA 17
#define TA_PG_OID_INT8 20
#define TA_PG_OID_INT4 23
#define TA_PG_OID_TEXT 25
#define TA_PG_OID_TIMESTAMPTZ 1184

/* Starts b over as an empty array of elem_oid elements. */
void ta_pg_array_begin(struct ta_buf *b, uint32_t elem_oid);
/* One element of len bytes, in the element type's binary form. */
void ta_pg_array_add(struct ta_buf *b, const void *p, uint32_t len);
/* One int8 or timestamptz element (microseconds since 2000-01-01 UTC). */
void ta_pg_array_add_u64(struct ta_buf *b, uint64_t v);
/* Sets the element count: call after the last add (b->oom says whether it all fit). */
void ta_pg_array_end(struct ta_buf *b, uint32_t n);

#endif

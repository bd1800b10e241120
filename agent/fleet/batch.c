// SPDX-License-Identifier: GPL-2.0-or-later
/* The records message: several consecutive records of one host (fleet/batch.h). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fleet/batch.h"
#include "store/store.h"

void ta_fleet_batch_begin(struct ta_fleet_batch_enc *e, uint64_t first)
{
	uint8_t h[TA_FLEET_BATCH_HEAD];
	uint64_t f = htobe64(first);
	memcpy(h, TA_FLEET_BATCH_MAGIC, 4);
	memcpy(h + 4, &f, 8);
	memset(h + 12, 0, 4);
	ta_buf_reset(&e->b);
	e->b.oom = false;
	ta_buf_put(&e->b, h, sizeof(h));
	e->first = first;
	e->count = 0;
	e->bytes = 0;
}

int ta_fleet_batch_add(struct ta_fleet_batch_enc *e, const void *rec, size_t len)
{
	if (e->count == TA_FLEET_BATCH_RECORDS ||
	    (e->count && e->bytes + len > TA_FLEET_BATCH_BYTES) || len > UINT32_MAX)
		return 0;
	uint32_t l = htobe32((uint32_t)len);
	ta_buf_put(&e->b, &l, 4);
	ta_buf_put(&e->b, rec, len);
	if (e->b.oom)
		return -ENOMEM;
	e->count++;
	e->bytes += len;
	return 1;
}

int ta_fleet_batch_end(struct ta_fleet_batch_enc *e, const void **data, size_t *len)
{
	if (e->b.oom || e->b.len < TA_FLEET_BATCH_HEAD)
		return -ENOMEM;
	uint32_t c = htobe32(e->count);
	memcpy(e->b.p + 12, &c, 4);
	*data = e->b.p;
	*len = e->b.len;
	return 0;
}

int ta_fleet_batch_end_ckpt(struct ta_fleet_batch_enc *e, const void *req, size_t req_len,
			    const void **data, size_t *len)
{
	if (!req_len || req_len > TA_FLEET_BATCH_REQUEST_MAX)
		return -EMSGSIZE;
	uint32_t l = htobe32((uint32_t)req_len);
	ta_buf_put(&e->b, &l, 4);
	ta_buf_put(&e->b, req, req_len);
	int r = ta_fleet_batch_end(e, data, len);
	if (!r)
		memcpy(e->b.p, TA_FLEET_BATCH_MAGIC_CKPT, 4);
	return r;
}

void ta_fleet_batch_enc_free(struct ta_fleet_batch_enc *e)
{
	ta_buf_free(&e->b);
}

int ta_fleet_batch_msgid(const char *origin, uint64_t first, uint32_t count, char *out,
			 size_t outlen)
{
	int n = snprintf(out, outlen, "%s/%" PRIu64 "-%" PRIu64, origin, first,
			 first + (count ? count - 1 : 0));
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be32toh(v);
}

int ta_fleet_batch_parse(const void *data, size_t len, struct ta_fleet_batch *b, const char **why)
{
	const uint8_t *p = data;
	*why = "";
	b->ckpt = NULL;
	b->ckpt_len = 0;
	b->bare = 0;
	int with_ckpt = data && len >= TA_FLEET_BATCH_HEAD && !memcmp(p, TA_FLEET_BATCH_MAGIC_CKPT, 4);
	int magic = with_ckpt || (data && len >= TA_FLEET_BATCH_HEAD &&
				  !memcmp(p, TA_FLEET_BATCH_MAGIC, 4));
	struct ta_log_record one;
	/* A shipper before batches sent one stored record per message (no magic: its length). */
	if (data && !magic && !ta_stored_record_parse(p, len, &one)) {
		if (one.index > TA_FLEET_INDEX_MAX) {
			*why = "a record index beyond 2^63 - 1";
			return -EBADMSG;
		}
		b->bare = 1;
		b->first = one.index;
		b->count = 1;
		b->p = p;
		b->end = p + len;
		b->i = 0;
		return 0;
	}
	if (!magic) {
		*why = len < TA_FLEET_BATCH_HEAD ? "shorter than a batch header" : "not a records batch (magic)";
		return -EBADMSG;
	}
	uint64_t f;
	memcpy(&f, p + 4, 8);
	b->first = be64toh(f);
	b->count = be32_at(p + 12);
	b->p = p + TA_FLEET_BATCH_HEAD;
	b->end = p + len;
	b->i = 0;
	if (b->count == 0 || b->count > TA_FLEET_BATCH_RECORDS) {
		*why = b->count ? "more records than a batch may hold" : "an empty batch";
		return -EBADMSG;
	}
	if (b->first > TA_FLEET_INDEX_MAX - (b->count - 1)) {
		*why = "a record index beyond 2^63 - 1";
		return -EBADMSG;
	}
	/* Every length and every envelope before any record is used. */
	const uint8_t *q = b->p;
	size_t bytes = 0;
	for (uint32_t i = 0; i < b->count; i++) {
		if ((size_t)(b->end - q) < 4) {
			*why = "truncated: fewer records than its count";
			return -EBADMSG;
		}
		uint32_t l = be32_at(q);
		q += 4;
		if (l > (size_t)(b->end - q)) {
			*why = "truncated: a record's length runs past the message";
			return -EBADMSG;
		}
		struct ta_log_record r;
		if (ta_stored_record_parse(q, l, &r)) {
			*why = "a record's envelope does not match its length";
			return -EBADMSG;
		}
		if (r.index != b->first + i) {
			*why = "a record's index is not the batch's next";
			return -EBADMSG;
		}
		bytes += l;
		q += l;
	}
	if (with_ckpt) {
		uint32_t l = (size_t)(b->end - q) >= 4 ? be32_at(q) : 0;
		if (!l || l > TA_FLEET_BATCH_REQUEST_MAX || l != (size_t)(b->end - q) - 4) {
			*why = "its checkpoint request's length is not the rest of the message";
			return -EBADMSG;
		}
		b->ckpt = q + 4;
		b->ckpt_len = l;
		b->end = q; /* the records end here */
		q = b->end;
	}
	if (q != b->end) {
		*why = "bytes after its last record (count too small)";
		return -EBADMSG;
	}
	if (b->count > 1 && bytes > TA_FLEET_BATCH_BYTES) {
		*why = "more bytes than a batch may hold";
		return -EBADMSG;
	}
	return 0;
}

int ta_fleet_batch_next(struct ta_fleet_batch *b, const uint8_t **rec, size_t *len)
{
	if (b->i == b->count)
		return 0;
	if (b->bare) {
		*rec = b->p;
		*len = (size_t)(b->end - b->p);
		b->i++;
		return 1;
	}
	uint32_t l = be32_at(b->p);
	*rec = b->p + 4;
	*len = l;
	b->p += 4 + l;
	b->i++;
	return 1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The records message: several consecutive records of one host (fleet/batch.h). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fleet/batch.h"
#include "store/merkle.h"
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

/* The digest of body as it ends a message id: lowercase hex. */
static void msgid_digest(struct ta_hasher *h, const void *body, size_t len,
			 char out[2 * TA_FLEET_MSGID_DIGEST + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[TA_HASH_LEN];
	ta_sha256(h, body, len, d);
	for (unsigned i = 0; i < TA_FLEET_MSGID_DIGEST; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * TA_FLEET_MSGID_DIGEST] = '\0';
}

int ta_fleet_msgid_seal(struct ta_hasher *h, char *id, size_t idlen, const void *body, size_t len)
{
	char d[2 * TA_FLEET_MSGID_DIGEST + 1];
	size_t l = strnlen(id, idlen);
	msgid_digest(h, body, len, d);
	if (l + 1 + sizeof(d) > idlen)
		return -ENAMETOOLONG;
	id[l] = '/';
	memcpy(id + l + 1, d, sizeof(d));
	return 0;
}

/* A decimal number at *p, then sep (or the end when sep is 0); moves *p past both. */
static int take_u64(const char **p, char sep, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (*s != sep)
		return -1;
	*p = sep ? s + 1 : s;
	*v = x;
	return 0;
}

int ta_fleet_msgid_check(struct ta_hasher *h, const char *id, const char *origin, int records,
			 const struct ta_fleet_batch *b, const void *body, size_t len,
			 const char **why)
{
	size_t ol = strlen(origin);
	uint64_t first, last, size, old;
	*why = "";
	if (!id) {
		*why = "it has no message id";
		return -EBADMSG;
	}
	if (strncmp(id, origin, ol) || id[ol] != '/') {
		*why = "its message id names another origin than its subject's host";
		return -EBADMSG;
	}
	const char *p = id + ol + 1, *d = strrchr(p, '/');
	char want[2 * TA_FLEET_MSGID_DIGEST + 1];
	if (!d || strlen(d + 1) != sizeof(want) - 1) {
		*why = "its message id does not end with a digest (a shipper before digests?)";
		return -EBADMSG;
	}
	if (records && (take_u64(&p, '-', &first) || take_u64(&p, '/', &last) ||
			(b && (first != b->first || last != b->first + b->count - 1)))) {
		*why = "its message id does not name its records' first and last index";
		return -EBADMSG;
	}
	/* A records message's id names a checkpoint when it carries one (unknown: may). */
	if (!records || (b ? b->ckpt != NULL : !strncmp(p, "checkpoint/", 11))) {
		if (strncmp(p, "checkpoint/", 11) || (p += 11, take_u64(&p, '/', &size)) ||
		    take_u64(&p, '/', &old)) {
			*why = "its message id is not a checkpoint's";
			return -EBADMSG;
		}
	}
	if (p != d + 1) {
		*why = "its message id has more parts than its kind";
		return -EBADMSG;
	}
	msgid_digest(h, body, len, want);
	if (strcmp(p, want)) {
		*why = "its message id's digest is not its body's";
		return -EBADMSG;
	}
	return 0;
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

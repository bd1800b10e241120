// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ta_store_append_batch: many appends at once, framed on two threads.
 *
 * Compressing, framing, the CRC and the leaf hash of a record depend only on the record and
 * its index, so the records of a batch are framed in parallel (store/leaf_batch.h: the
 * caller's thread works too, a helper thread takes a share when a core is free), each into
 * its own slot of the write buffer (ta_store_slot_len: the record uncompressed, or zstd's
 * bound). The caller's thread then closes the gaps and appends the leaves to the tree, in
 * order.
 *
 * The result is the log n single appends make: the batch is cut into parts at every point
 * where a single append would start a segment, commit or checkpoint, and each part's first
 * record goes through the same admission (ta_store_admit) as a single append. Only where a
 * record's compressed size decides whether a segment ends is the part cut before it, on the
 * bound of its uncompressed size, so that decision is taken with the sizes known.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/format.h"
#include "store/leaf_batch.h"
#include "store/store_internal.h"

/*
 * A part holds at most this many records, and ends where the buffer reaches the size at which
 * a single append flushes it (counted uncompressed, so never later): a write error then
 * stops the batch after no more records than it would stop single appends.
 */
#define PART_RECORDS 4096u
/*
 * About this much payload per claim: compressed records one or two at a time (~15 µs each at
 * 4 KiB), so that a helper descheduled on a busy machine holds back little of the part; the
 * others, which only cost a copy, the CRC and the leaf hash, by the dozen (a claim takes a lock).
 */
#define CLAIM_BYTES_COMPRESSED (4u << 10)
#define CLAIM_BYTES_COPIED (32u << 10)
/* Below this a part is framed by the caller alone: waking the helper would cost more. */
#define SOLO_BYTES (64u << 10)

struct ta_store_batch {
	struct ta_leaf_pool *pool;
	ZSTD_CCtx *zc_helper;
	size_t off[PART_RECORDS];              /* each record's slot in the buffer */
	uint32_t rec_len[PART_RECORDS];        /* its framed length */
	uint8_t leaf[PART_RECORDS][TA_HASH_LEN];
};

struct part_job {
	struct ta_store *s;
	struct ta_store_batch *b;
	const struct ta_store_rec *r;
	uint64_t first; /* index of r[0] */
};

static void frame_range(void *ctx, int worker, size_t a, size_t z)
{
	const struct part_job *j = ctx;
	struct ta_store_batch *b = j->b;
	ZSTD_CCtx *zc = worker ? b->zc_helper : j->s->zc;
	for (size_t i = a; i < z; i++)
		b->rec_len[i] = ta_store_frame_record(j->s, zc, j->s->buf + b->off[i], j->r[i].type,
						      j->first + i, j->r[i].time_ns, j->r[i].session,
						      j->r[i].payload, j->r[i].len, b->leaf[i]);
}

void ta_store_batch_free(struct ta_store_batch *b)
{
	if (!b)
		return;
	ta_leaf_pool_free(b->pool);
	ZSTD_freeCCtx(b->zc_helper);
	free(b);
}

static int batch_setup(struct ta_store *s)
{
	if (s->batch)
		return 0;
	struct ta_store_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = s->o.batch_threads ? s->o.batch_threads : ncpu > 1 ? 2 : 1;
	if (threads > 1 && !(b->zc_helper = ta_store_new_cctx(&s->o)))
		threads = 1;
	if (ta_leaf_pool_new(&b->pool, threads)) {
		ta_store_batch_free(b);
		return -ENOMEM;
	}
	s->batch = b;
	return 0;
}

static uint32_t min_u32(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

/*
 * How many of the n records (n >= 1) the part starting at r[0] holds: none of them may be
 * where a single append would commit, checkpoint or start a segment, but the last.
 */
static size_t part_size(const struct ta_store *s, const struct ta_store_rec *r, size_t n)
{
	const struct ta_store_opts *o = &s->o;
	uint64_t since_ckpt = s->cr.size - s->ckpt_size;
	uint32_t max = min_u32(n, PART_RECORDS);
	max = min_u32(max, s->pending < o->commit_max_records ? o->commit_max_records - s->pending : 1);
	max = min_u32(max, since_ckpt < o->checkpoint_every_records ?
			   o->checkpoint_every_records - since_ckpt : 1);
	/* The first record was admitted; each next one must fit the segment even uncompressed. */
	uint64_t used = s->seg_written + s->buf_len + TA_REC_OVERHEAD + r[0].len;
	size_t k = 1;
	while (k < max && used + TA_REC_OVERHEAD + r[k].len <= o->segment_max_bytes &&
	       used - s->seg_written < TA_STORE_FLUSH_BYTES)
		used += TA_REC_OVERHEAD + r[k++].len;
	return k;
}

/* Frames r[0..k) into the buffer and adds them to the log. 0 or -ENOMEM (nothing added). */
static int append_part(struct ta_store *s, const struct ta_store_rec *r, size_t k, uint64_t *indexes)
{
	struct ta_store_batch *b = s->batch;
	size_t need = 0, raw = 0;
	for (size_t i = 0; i < k; i++) {
		b->off[i] = s->buf_len + need;
		need += ta_store_slot_len(s, r[i].type, r[i].len);
		raw += TA_REC_OVERHEAD + r[i].len;
	}
	int err = ta_store_buf_reserve(s, need);
	if (err)
		return err;
	struct part_job j = { .s = s, .b = b, .r = r, .first = s->cr.size };
	/* Slots larger than the records: some are compressed. */
	size_t claim = need > raw ? CLAIM_BYTES_COMPRESSED : CLAIM_BYTES_COPIED;
	size_t chunk = need < SOLO_BYTES ? k : claim / (need / k + 1) + 1;
	ta_leaf_pool_run(b->pool, k, chunk, frame_range, &j);
	/* In order: each record moves down to where the one before it ended. */
	for (size_t i = 0; i < k; i++) {
		uint8_t *dst = s->buf + s->buf_len;
		if (dst != s->buf + b->off[i])
			memmove(dst, s->buf + b->off[i], b->rec_len[i]);
		if (indexes)
			indexes[i] = s->cr.size;
		ta_store_add_framed(s, b->rec_len[i], r[i].len, b->leaf[i]);
	}
	s->seg_user_records += k;
	return 0;
}

ssize_t ta_store_append_batch(struct ta_store *s, const struct ta_store_rec *recs, size_t n,
			      uint64_t *indexes)
{
	for (size_t i = 0; i < n; i++) {
		if (!ta_store_user_record_ok(recs[i].type, recs[i].payload, recs[i].len))
			return -EINVAL;
		if (recs[i].len > TA_REC_MAX_PAYLOAD)
			return -EMSGSIZE;
	}
	int err = n ? batch_setup(s) : 0;
	if (err)
		return err;
	size_t done = 0;
	while (done < n) {
		if ((err = ta_store_admit(s, recs[done].len)))
			break;
		size_t k = part_size(s, recs + done, n - done);
		if ((err = append_part(s, recs + done, k, indexes ? indexes + done : NULL)))
			break;
		done += k;
		/* The records are in; what follows only moves them towards the disk. */
		ta_store_after_append(s);
	}
	return done ? (ssize_t)done : err;
}

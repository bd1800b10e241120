/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Work on many records at once, with a helper thread taking a share when a second core is
 * free: each record's leaf hash (and, for the writer, its compression and framing) is
 * independent of the others, only appending them to the tree is ordered. verify hashes its
 * records this way (SHA-256 is two thirds of its time, docs/performance.md), and the writer
 * encodes a batch of appends this way (ta_store_append_batch).
 *
 * The caller's thread works too and never waits for a helper that has not
 * started: records are claimed in chunks, and the caller waits only for the
 * chunks the helper actually took. On a machine whose other core is busy the
 * caller simply does everything, as a single-threaded loop would.
 */
#ifndef TA_STORE_LEAF_BATCH_H
#define TA_STORE_LEAF_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "store/merkle.h"

struct ta_leaf_pool;

/*
 * threads > 1: start one helper thread; otherwise (or if it cannot start)
 * every hash is made by the caller. -ENOMEM.
 */
int ta_leaf_pool_new(struct ta_leaf_pool **out, int threads);
void ta_leaf_pool_free(struct ta_leaf_pool *p);
/* 1 if a helper thread runs beside the caller. */
int ta_leaf_pool_has_helper(const struct ta_leaf_pool *p);

/*
 * Calls fn(ctx, worker, a, b) over [0, n) in ranges of at most chunk items, from the caller's
 * thread (worker 0) and the helper's (worker 1), and returns when every range is done. fn
 * must only touch what items a..b-1 own, and per-worker state through `worker`.
 */
typedef void ta_leaf_pool_fn(void *ctx, int worker, size_t a, size_t b);
void ta_leaf_pool_run(struct ta_leaf_pool *p, size_t n, size_t chunk, ta_leaf_pool_fn *fn,
		      void *ctx);

/*
 * out[i] = leaf hash of data[i] (len[i] bytes) for i < n; returns when all are done.
 * crc_ok non-NULL: the data are stored records (len[i] >= TA_REC_OVERHEAD) and crc_ok[i]
 * says whether the CRC trailer of each matches, checked after hashing it: the record is
 * then in the cache, where the CRC runs at twice its speed from memory.
 */
void ta_leaf_pool_hash(struct ta_leaf_pool *p, struct ta_hasher *h, const uint8_t *const *data,
		       const uint32_t *len, size_t n, uint8_t (*out)[TA_HASH_LEN], uint8_t *crc_ok);

#endif

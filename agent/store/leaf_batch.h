/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Leaf hashes (and CRC checks) of many records at once, with a helper thread taking a share
 * when a second core is free: each leaf is independent of the others, only
 * appending them to the tree is ordered. verify hashes its records this way
 * (SHA-256 is two thirds of its time, docs/performance.md).
 *
 * The caller's thread hashes too and never waits for a helper that has not
 * started: records are claimed in chunks, and the caller waits only for the
 * chunks the helper actually took. On a machine whose other core is busy the
 * caller simply hashes everything, as a single-threaded walk would.
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
/*
 * out[i] = leaf hash of data[i] (len[i] bytes) for i < n; returns when all are done.
 * crc_ok non-NULL: the data are stored records (len[i] >= TA_REC_OVERHEAD) and crc_ok[i]
 * says whether the CRC trailer of each matches, checked after hashing it: the record is
 * then in the cache, where the CRC runs at twice its speed from memory.
 */
void ta_leaf_pool_hash(struct ta_leaf_pool *p, struct ta_hasher *h, const uint8_t *const *data,
		       const uint32_t *len, size_t n, uint8_t (*out)[TA_HASH_LEN], uint8_t *crc_ok);

#endif

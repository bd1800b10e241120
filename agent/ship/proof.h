/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipper's consistency proofs, kept as it reads (docs/fleet.md): the
 * log's tree over every record read (a compact range), and the leaf hashes
 * from the oldest size a request may still start from (the cosigned size)
 * with the tree's compact range there. A proof from old to size needs only
 * old's compact range and subtrees of the leaves [old, size), so each checkpoint
 * costs O(records since old), not a pass over the log from record 0. Whatever
 * this does not hold (a restart from a saved position, records lost to
 * retention, a very long backlog) falls back to the store's proof builder.
 */
#ifndef TA_SHIP_PROOF_H
#define TA_SHIP_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "store/merkle.h"

#define TA_SHIP_PROOF_LEAVES (4u << 20)       /* leaf hashes kept at most (128 MiB) */

struct ta_ship_proof {
	struct ta_hasher *h;
	int ok;                        /* cr holds every leaf from record 0 */
	struct ta_crange cr;           /* the tree of leaves [0, cr.size) */
	uint8_t (*leaf)[TA_HASH_LEN];  /* leaves [base, cr.size) */
	struct ta_crange base_cr;      /* the tree of leaves [0, base) */
	uint64_t base;
	size_t cap;
	uint64_t built, fallbacks;     /* proofs from here, and from the store's builder */
};

int ta_ship_proof_init(struct ta_ship_proof *p);
void ta_ship_proof_free(struct ta_ship_proof *p);
/* Before start: the records [0, next) in order, into the tree only (a restart). */
void ta_ship_proof_seed(struct ta_ship_proof *p, const void *rec, size_t len);
/* From an empty log, or after the caller seeded records [0, next): the tree is whole. */
void ta_ship_proof_start(struct ta_ship_proof *p);
/* A record read, in order: appended when it is the next leaf (a re-read is ignored). */
int ta_ship_proof_add(struct ta_ship_proof *p, uint64_t index, const void *rec, size_t len);
/* Forgets the leaves below keep (no request will start below it any more). */
void ta_ship_proof_trim(struct ta_ship_proof *p, uint64_t keep);
/*
 * The consistency proof from old to size, checked against old's root and
 * root (the checkpoint's) before it is given out: the count, or -ENOENT when
 * this does not hold what it needs (use the store's builder).
 */
int ta_ship_proof_get(struct ta_ship_proof *p, uint64_t old, uint64_t size,
		      const uint8_t root[TA_HASH_LEN], uint8_t (*out)[TA_HASH_LEN]);

#endif

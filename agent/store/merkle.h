/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 6962 / RFC 9162 Merkle tree hashing over SHA-256:
 *   leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
 * The compact range (the right edge of the tree: one subtree hash per set bit
 * of the size) makes appends O(log n) without keeping old leaves.
 */
#ifndef TA_STORE_MERKLE_H
#define TA_STORE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define TA_HASH_LEN 32
#define TA_CRANGE_MAX 64
#define TA_PROOF_MAX 130 /* nodes in an inclusion or consistency proof */

/* SHA-256 with the EVP_MD fetched once and one reused EVP_MD_CTX. */
struct ta_hasher;
int ta_hasher_new(struct ta_hasher **out);
void ta_hasher_free(struct ta_hasher *h);
void ta_hash_leaf(struct ta_hasher *h, const void *data, size_t len, uint8_t out[TA_HASH_LEN]);
void ta_hash_node(struct ta_hasher *h, const uint8_t l[TA_HASH_LEN], const uint8_t r[TA_HASH_LEN],
		  uint8_t out[TA_HASH_LEN]);
/* Plain SHA-256 (key ids, the empty tree). */
void ta_sha256(struct ta_hasher *h, const void *data, size_t len, uint8_t out[TA_HASH_LEN]);

/* Called for every complete subtree produced: leaves [pos << level, (pos + 1) << level). */
typedef void (*ta_subtree_cb)(void *ctx, unsigned level, uint64_t pos, const uint8_t hash[TA_HASH_LEN]);

struct ta_crange {
	uint64_t size;                          /* leaves */
	unsigned n;                             /* == popcount(size) */
	uint8_t h[TA_CRANGE_MAX][TA_HASH_LEN];  /* largest subtree first */
};

void ta_crange_init(struct ta_crange *cr);
/* Seed with popcount(size) hashes (as stored in the log). -EINVAL if count is wrong. */
int ta_crange_seed(struct ta_crange *cr, uint64_t size, const uint8_t *hashes, unsigned n,
		   ta_subtree_cb cb, void *ctx);
void ta_crange_append(struct ta_hasher *h, struct ta_crange *cr, const uint8_t leaf[TA_HASH_LEN],
		      ta_subtree_cb cb, void *ctx);
/* Root of the tree of cr->size leaves (SHA-256 of nothing when empty). */
void ta_crange_root(struct ta_hasher *h, const struct ta_crange *cr, uint8_t out[TA_HASH_LEN]);
/*
 * MTH(leaves [begin, size)) for a begin that starts a node on the right edge of
 * the tree (every node of an RFC 6962 proof that ends at size does). -EINVAL if
 * begin is not such a boundary.
 */
int ta_crange_suffix_root(struct ta_hasher *h, const struct ta_crange *cr, uint64_t begin,
			  uint8_t out[TA_HASH_LEN]);

/* A node of a proof: MTH(leaves [begin, end)). */
struct ta_node_range {
	uint64_t begin, end;
};
/* RFC 9162 2.1.3.1 PATH(index, D[0:size]): nodes leaf-side first. Returns count or -EINVAL. */
int ta_inclusion_nodes(uint64_t index, uint64_t size, struct ta_node_range *out);
/* RFC 9162 2.1.4.1 PROOF(old, D[0:size]). Returns count or -EINVAL. */
int ta_consistency_nodes(uint64_t old_size, uint64_t size, struct ta_node_range *out);
/* 1 if [begin, end) is a complete aligned subtree; sets *level and *pos. */
int ta_node_is_perfect(const struct ta_node_range *r, unsigned *level, uint64_t *pos);

/* RFC 9162 2.1.3.2: 0 if the path proves leaf at index in the tree with root, else -EBADMSG. */
int ta_verify_inclusion(struct ta_hasher *h, uint64_t index, uint64_t size,
			const uint8_t leaf[TA_HASH_LEN], const uint8_t (*path)[TA_HASH_LEN],
			size_t n, const uint8_t root[TA_HASH_LEN]);
/* RFC 9162 2.1.4.2: 0 if the proof shows the tree old_size is a prefix of size. */
int ta_verify_consistency(struct ta_hasher *h, uint64_t old_size, uint64_t size,
			  const uint8_t old_root[TA_HASH_LEN], const uint8_t root[TA_HASH_LEN],
			  const uint8_t (*path)[TA_HASH_LEN], size_t n);

#endif

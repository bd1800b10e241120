// SPDX-License-Identifier: GPL-2.0-or-later
/* Merkle tree hashing, the compact range, and RFC 9162 proofs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * SHA-256 through the low-level API: EVP's init/final per call costs ~55 ns
 * on top of a 65-byte node hash of ~120 ns here (about a third), and a
 * record append does one leaf and on average one node hash. The low-level
 * functions use the same SHA-NI code and need no provider fetched, so a
 * program that only reads the log does not initialise OpenSSL for them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "store/merkle.h"

struct ta_hasher {
	int unused; /* no state: kept as a type so callers need not change */
};

int ta_hasher_new(struct ta_hasher **out)
{
	struct ta_hasher *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	*out = h;
	return 0;
}

void ta_hasher_free(struct ta_hasher *h)
{
	free(h);
}

/* The SHA256_* calls cannot fail for in-memory input. */
void ta_hash_leaf(struct ta_hasher *h, const void *data, size_t len, uint8_t out[TA_HASH_LEN])
{
	static const uint8_t zero = 0;
	SHA256_CTX c;
	(void)h;
	SHA256_Init(&c);
	SHA256_Update(&c, &zero, 1);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

void ta_hash_node(struct ta_hasher *h, const uint8_t l[TA_HASH_LEN], const uint8_t r[TA_HASH_LEN],
		  uint8_t out[TA_HASH_LEN])
{
	uint8_t buf[1 + 2 * TA_HASH_LEN];
	(void)h;
	buf[0] = 1;
	memcpy(buf + 1, l, TA_HASH_LEN);
	memcpy(buf + 1 + TA_HASH_LEN, r, TA_HASH_LEN);
	ta_sha256(h, buf, sizeof(buf), out);
}

void ta_sha256(struct ta_hasher *h, const void *data, size_t len, uint8_t out[TA_HASH_LEN])
{
	/* Not SHA256(): in OpenSSL 3 that one-shot fetches the algorithm on every call. */
	SHA256_CTX c;
	(void)h;
	SHA256_Init(&c);
	SHA256_Update(&c, data, len);
	SHA256_Final(out, &c);
}

void ta_crange_init(struct ta_crange *cr)
{
	cr->size = 0;
	cr->n = 0;
}

int ta_crange_seed(struct ta_crange *cr, uint64_t size, const uint8_t *hashes, unsigned n,
		   ta_subtree_cb cb, void *ctx)
{
	if ((unsigned)__builtin_popcountll(size) != n)
		return -EINVAL;
	cr->size = size;
	cr->n = n;
	memcpy(cr->h, hashes, (size_t)n * TA_HASH_LEN);
	if (cb) {
		uint64_t start = 0;
		unsigned j = 0;
		for (int bit = 63; bit >= 0; bit--) {
			if (!(size >> bit & 1))
				continue;
			cb(ctx, (unsigned)bit, start >> bit, cr->h[j++]);
			start += 1ull << bit;
		}
	}
	return 0;
}

void ta_crange_append(struct ta_hasher *h, struct ta_crange *cr, const uint8_t leaf[TA_HASH_LEN],
		      ta_subtree_cb cb, void *ctx)
{
	uint8_t cur[TA_HASH_LEN];
	uint64_t pos = cr->size;
	unsigned level = 0;
	memcpy(cur, leaf, TA_HASH_LEN);
	if (cb)
		cb(ctx, 0, pos, cur);
	while (pos & 1) {
		ta_hash_node(h, cr->h[--cr->n], cur, cur);
		pos >>= 1;
		level++;
		if (cb)
			cb(ctx, level, pos, cur);
	}
	memcpy(cr->h[cr->n++], cur, TA_HASH_LEN);
	cr->size++;
}

void ta_crange_root(struct ta_hasher *h, const struct ta_crange *cr, uint8_t out[TA_HASH_LEN])
{
	if (!cr->n) {
		ta_sha256(h, "", 0, out);
		return;
	}
	uint8_t r[TA_HASH_LEN];
	memcpy(r, cr->h[cr->n - 1], TA_HASH_LEN);
	for (int j = (int)cr->n - 2; j >= 0; j--)
		ta_hash_node(h, cr->h[j], r, r);
	memcpy(out, r, TA_HASH_LEN);
}

int ta_crange_suffix_root(struct ta_hasher *h, const struct ta_crange *cr, uint64_t begin,
			  uint8_t out[TA_HASH_LEN])
{
	uint64_t start = 0;
	unsigned j = 0, first = cr->n;
	for (int bit = 63; bit >= 0; bit--) {
		if (!(cr->size >> bit & 1))
			continue;
		if (start == begin)
			first = j;
		start += 1ull << bit;
		j++;
	}
	if (first >= cr->n)
		return -EINVAL;
	uint8_t r[TA_HASH_LEN];
	memcpy(r, cr->h[cr->n - 1], TA_HASH_LEN);
	for (int k = (int)cr->n - 2; k >= (int)first; k--)
		ta_hash_node(h, cr->h[k], r, r);
	memcpy(out, r, TA_HASH_LEN);
	return 0;
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return 1ull << (63 - __builtin_clzll(n - 1));
}

int ta_inclusion_nodes(uint64_t index, uint64_t size, struct ta_node_range *out)
{
	if (index >= size)
		return -EINVAL;
	struct ta_node_range stack[TA_PROOF_MAX];
	int n = 0;
	uint64_t a = 0, len = size, m = index;
	while (len > 1) {
		uint64_t k = split_point(len);
		if (m < k) {
			stack[n++] = (struct ta_node_range){ a + k, a + len };
			len = k;
		} else {
			stack[n++] = (struct ta_node_range){ a, a + k };
			a += k;
			m -= k;
			len -= k;
		}
	}
	/* The recursion lists the deepest sibling first. */
	for (int i = 0; i < n; i++)
		out[i] = stack[n - 1 - i];
	return n;
}

int ta_consistency_nodes(uint64_t old_size, uint64_t size, struct ta_node_range *out)
{
	if (old_size > size)
		return -EINVAL;
	if (old_size == 0 || old_size == size)
		return 0;
	struct ta_node_range stack[TA_PROOF_MAX];
	int n = 0;
	uint64_t a = 0, len = size, m = old_size;
	int complete = 1; /* b of SUBPROOF */
	for (;;) {
		if (m == len) {
			if (!complete)
				stack[n++] = (struct ta_node_range){ a, a + len };
			break;
		}
		uint64_t k = split_point(len);
		if (m <= k) {
			stack[n++] = (struct ta_node_range){ a + k, a + len };
			len = k;
		} else {
			stack[n++] = (struct ta_node_range){ a, a + k };
			a += k;
			m -= k;
			len -= k;
			complete = 0;
		}
	}
	for (int i = 0; i < n; i++)
		out[i] = stack[n - 1 - i];
	return n;
}

int ta_node_is_perfect(const struct ta_node_range *r, unsigned *level, uint64_t *pos)
{
	uint64_t w = r->end - r->begin;
	if (!w || (w & (w - 1)) || (r->begin & (w - 1)))
		return 0;
	*level = (unsigned)__builtin_ctzll(w);
	*pos = r->begin >> *level;
	return 1;
}

int ta_verify_inclusion(struct ta_hasher *h, uint64_t index, uint64_t size,
			const uint8_t leaf[TA_HASH_LEN], const uint8_t (*path)[TA_HASH_LEN],
			size_t n, const uint8_t root[TA_HASH_LEN])
{
	if (index >= size)
		return -EBADMSG;
	uint64_t fn = index, sn = size - 1;
	uint8_t r[TA_HASH_LEN];
	memcpy(r, leaf, TA_HASH_LEN);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			ta_hash_node(h, path[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			ta_hash_node(h, r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && !memcmp(r, root, TA_HASH_LEN)) ? 0 : -EBADMSG;
}

int ta_verify_consistency(struct ta_hasher *h, uint64_t old_size, uint64_t size,
			  const uint8_t old_root[TA_HASH_LEN], const uint8_t root[TA_HASH_LEN],
			  const uint8_t (*path)[TA_HASH_LEN], size_t n)
{
	if (old_size > size)
		return -EBADMSG;
	if (old_size == size)
		return (n == 0 && !memcmp(old_root, root, TA_HASH_LEN)) ? 0 : -EBADMSG;
	if (old_size == 0)
		return n == 0 ? 0 : -EBADMSG;
	if (n == 0)
		return -EBADMSG;
	const uint8_t *first;
	size_t i = 0;
	/* A power-of-two old tree is itself a node of the new one: its root starts the path. */
	if (!(old_size & (old_size - 1))) {
		first = old_root;
	} else {
		first = path[0];
		i = 1;
	}
	uint64_t fn = old_size - 1, sn = size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	uint8_t fr[TA_HASH_LEN], sr[TA_HASH_LEN];
	memcpy(fr, first, TA_HASH_LEN);
	memcpy(sr, first, TA_HASH_LEN);
	for (; i < n; i++) {
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			ta_hash_node(h, path[i], fr, fr);
			ta_hash_node(h, path[i], sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			ta_hash_node(h, sr, path[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0 || memcmp(fr, old_root, TA_HASH_LEN) || memcmp(sr, root, TA_HASH_LEN))
		return -EBADMSG;
	return 0;
}

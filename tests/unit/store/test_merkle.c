// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Merkle tree against the RFC 6962 test vectors of the Certificate
 * Transparency reference implementation (8 leaves: roots, inclusion paths,
 * consistency proofs, with (6, 7)), then proofs of every (m, n) up to 70 leaves checked
 * against a naive recursive MTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/merkle.h"

static const char *leaves_hex[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

static const char *roots_hex[8] = {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct proof_vec {
	uint64_t a, n; /* inclusion: 0-based leaf index; consistency: old size */
	int len;
	const char *h[3];
};

static const struct proof_vec inclusion[] = {
	{ 0, 1, 0, { 0 } },
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static const struct proof_vec consistency[] = {
	{ 1, 1, 0, { 0 } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	/* an old tree whose last node is a lone leaf's sibling (transparency-dev's (6, 7)) */
	{ 6, 7, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

static struct ta_hasher *H;
static uint8_t leaf_hash[70][TA_HASH_LEN];

/* Naive recursive MTH over leaf_hash[a, b). */
static void mth(uint64_t a, uint64_t b, uint8_t out[TA_HASH_LEN])
{
	if (b - a == 1) {
		memcpy(out, leaf_hash[a], TA_HASH_LEN);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < b - a)
		k *= 2;
	uint8_t l[TA_HASH_LEN], r[TA_HASH_LEN];
	mth(a, a + k, l);
	mth(a + k, b, r);
	ta_hash_node(H, l, r, out);
}

static void test_vectors(void)
{
	struct ta_crange cr;
	ta_crange_init(&cr);
	uint8_t root[TA_HASH_LEN], want[TA_HASH_LEN];
	ta_crange_root(H, &cr, root);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
	CHECK_MEM(root, want, TA_HASH_LEN);
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t n = unhex(leaves_hex[i], data);
		ta_hash_leaf(H, data, n, leaf_hash[i]);
		ta_crange_append(H, &cr, leaf_hash[i], NULL, NULL);
		ta_crange_root(H, &cr, root);
		unhex(roots_hex[i], want);
		CHECK_MEM(root, want, TA_HASH_LEN);
	}
	for (size_t v = 0; v < sizeof(inclusion) / sizeof(inclusion[0]); v++) {
		const struct proof_vec *p = &inclusion[v];
		struct ta_node_range nodes[TA_PROOF_MAX];
		uint8_t path[3][TA_HASH_LEN];
		int n = ta_inclusion_nodes(p->a, p->n, nodes);
		CHECK_EQ_INT(n, p->len);
		for (int k = 0; k < p->len && k < n; k++) {
			uint8_t got[TA_HASH_LEN];
			mth(nodes[k].begin, nodes[k].end, got);
			unhex(p->h[k], path[k]);
			CHECK_MEM(got, path[k], TA_HASH_LEN);
		}
		unhex(roots_hex[p->n - 1], want);
		CHECK_EQ_INT(ta_verify_inclusion(H, p->a, p->n, leaf_hash[p->a],
						 (const uint8_t(*)[TA_HASH_LEN])path, (size_t)p->len, want), 0);
		if (p->len) {
			path[0][0] ^= 1;
			CHECK(ta_verify_inclusion(H, p->a, p->n, leaf_hash[p->a],
						  (const uint8_t(*)[TA_HASH_LEN])path, (size_t)p->len, want) != 0);
		}
	}
	for (size_t v = 0; v < sizeof(consistency) / sizeof(consistency[0]); v++) {
		const struct proof_vec *p = &consistency[v];
		struct ta_node_range nodes[TA_PROOF_MAX];
		uint8_t path[3][TA_HASH_LEN], r1[TA_HASH_LEN], r2[TA_HASH_LEN];
		int n = ta_consistency_nodes(p->a, p->n, nodes);
		CHECK_EQ_INT(n, p->len);
		for (int k = 0; k < p->len && k < n; k++) {
			uint8_t got[TA_HASH_LEN];
			mth(nodes[k].begin, nodes[k].end, got);
			unhex(p->h[k], path[k]);
			CHECK_MEM(got, path[k], TA_HASH_LEN);
		}
		unhex(roots_hex[p->a - 1], r1);
		unhex(roots_hex[p->n - 1], r2);
		CHECK_EQ_INT(ta_verify_consistency(H, p->a, p->n, r1, r2,
						   (const uint8_t(*)[TA_HASH_LEN])path, (size_t)p->len), 0);
		if (p->len) {
			CHECK(ta_verify_consistency(H, p->a, p->n, r2, r2,
						    (const uint8_t(*)[TA_HASH_LEN])path, (size_t)p->len) != 0);
		}
	}
}

/* Every proof of every size up to 70 against the naive tree; wrong ones rejected. */
static void test_exhaustive(void)
{
	enum { N = 70 };
	uint8_t roots[N + 1][TA_HASH_LEN];
	struct ta_crange cr;
	ta_crange_init(&cr);
	for (int i = 0; i < N; i++) {
		uint8_t d[4] = { (uint8_t)i, 1, 2, 3 };
		ta_hash_leaf(H, d, sizeof(d), leaf_hash[i]);
	}
	int bad = 0;
	for (uint64_t n = 1; n <= N; n++) {
		ta_crange_append(H, &cr, leaf_hash[n - 1], NULL, NULL);
		ta_crange_root(H, &cr, roots[n]);
		uint8_t want[TA_HASH_LEN];
		mth(0, n, want);
		bad += memcmp(roots[n], want, TA_HASH_LEN) != 0;
		/* Right-edge nodes fold from the compact range. */
		for (uint64_t b = 0; b < n; b++) {
			uint8_t got[TA_HASH_LEN];
			if (ta_crange_suffix_root(H, &cr, b, got) == 0) {
				mth(b, n, want);
				bad += memcmp(got, want, TA_HASH_LEN) != 0;
			}
		}
	}
	CHECK_EQ_INT(bad, 0);
	int fails = 0, wrong_accepted = 0;
	for (uint64_t n = 1; n <= N; n++) {
		for (uint64_t m = 0; m < n; m++) {
			struct ta_node_range nodes[TA_PROOF_MAX];
			uint8_t path[TA_PROOF_MAX][TA_HASH_LEN];
			int k = ta_inclusion_nodes(m, n, nodes);
			for (int j = 0; j < k; j++)
				mth(nodes[j].begin, nodes[j].end, path[j]);
			fails += ta_verify_inclusion(H, m, n, leaf_hash[m],
						     (const uint8_t(*)[TA_HASH_LEN])path, (size_t)k, roots[n]) != 0;
			/* the same path for another index must not verify */
			if (n > 1)
				wrong_accepted += ta_verify_inclusion(H, (m + 1) % n, n, leaf_hash[m],
								      (const uint8_t(*)[TA_HASH_LEN])path,
								      (size_t)k, roots[n]) == 0;
		}
		for (uint64_t m = 1; m <= n; m++) {
			struct ta_node_range nodes[TA_PROOF_MAX];
			uint8_t path[TA_PROOF_MAX][TA_HASH_LEN];
			int k = ta_consistency_nodes(m, n, nodes);
			for (int j = 0; j < k; j++)
				mth(nodes[j].begin, nodes[j].end, path[j]);
			fails += ta_verify_consistency(H, m, n, roots[m], roots[n],
						       (const uint8_t(*)[TA_HASH_LEN])path, (size_t)k) != 0;
			if (m < n && m > 1)
				wrong_accepted += ta_verify_consistency(H, m - 1, n, roots[m], roots[n],
									(const uint8_t(*)[TA_HASH_LEN])path,
									(size_t)k) == 0;
		}
	}
	CHECK_EQ_INT(fails, 0);
	CHECK_EQ_INT(wrong_accepted, 0);
}

int main(void)
{
	CHECK_EQ_INT(ta_hasher_new(&H), 0);
	test_vectors();
	test_exhaustive();
	ta_hasher_free(H);
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shipper's consistency proofs from the tree it keeps while reading
 * (ship/proof.h): available for every old size it still holds, equal to
 * RFC 9162 proofs (checked against both roots), refused when it does not
 * hold what they need, after a trim and after a restart seeded from the log.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ship/proof.h"

#define N 300

static uint8_t rec[N][16];

/* The root of the first size records, computed independently of the shipper's tree. */
static void root_of(struct ta_hasher *h, uint64_t size, uint8_t out[TA_HASH_LEN])
{
	struct ta_crange c;
	uint8_t l[TA_HASH_LEN];
	ta_crange_init(&c);
	for (uint64_t i = 0; i < size; i++) {
		ta_hash_leaf(h, rec[i], sizeof(rec[i]), l);
		ta_crange_append(h, &c, l, NULL, NULL);
	}
	ta_crange_root(h, &c, out);
}

int main(void)
{
	struct ta_hasher *h;
	CHECK_EQ_INT(ta_hasher_new(&h), 0);
	for (int i = 0; i < N; i++)
		snprintf((char *)rec[i], sizeof(rec[i]), "record %d", i);
	static uint8_t roots[N + 1][TA_HASH_LEN];
	for (uint64_t s = 1; s <= N; s++)
		root_of(h, s, roots[s]);

	struct ta_ship_proof p;
	uint8_t out[TA_PROOF_MAX][TA_HASH_LEN], o2[TA_PROOF_MAX][TA_HASH_LEN];
	CHECK_EQ_INT(ta_ship_proof_init(&p), 0);
	/* Not begun: nothing is held, the caller uses the store's builder. */
	CHECK_EQ_INT(ta_ship_proof_get(&p, 1, 2, roots[2], out), -ENOENT);
	ta_ship_proof_start(&p);
	for (int i = 0; i < N; i++)
		CHECK_EQ_INT(ta_ship_proof_add(&p, (uint64_t)i, rec[i], sizeof(rec[i])), 0);
	/* A re-read (after a failed window) changes nothing. */
	CHECK_EQ_INT(ta_ship_proof_add(&p, 5, rec[9], sizeof(rec[9])), 0);
	int bad = 0;
	for (uint64_t old = 1; old < N; old++)
		for (uint64_t size = old + 1; size <= N; size += 1 + size / 17) {
			int n = ta_ship_proof_get(&p, old, size, roots[size], out);
			if (n < 0 || ta_verify_consistency(h, old, size, roots[old], roots[size],
							   (const uint8_t (*)[TA_HASH_LEN])out, (size_t)n))
				bad++;
		}
	CHECK_EQ_INT(bad, 0);
	/* A root that is not this log's: never a proof. */
	CHECK_EQ_INT(ta_ship_proof_get(&p, 100, 200, roots[199], out), -ENOENT);
	/* Sizes it does not hold. */
	CHECK_EQ_INT(ta_ship_proof_get(&p, 100, N + 1, roots[N], out), -ENOENT);
	CHECK_EQ_INT(ta_ship_proof_get(&p, 0, 10, roots[10], out), -ENOENT);
	CHECK_EQ_INT(ta_ship_proof_get(&p, 10, 10, roots[10], out), -ENOENT);
	/* Trimmed to a cosigned size: from there on, the same proofs; below it, none. */
	int before = ta_ship_proof_get(&p, 137, 290, roots[290], o2);
	ta_ship_proof_trim(&p, 137);
	CHECK_EQ_INT(ta_ship_proof_get(&p, 136, 290, roots[290], out), -ENOENT);
	int n = ta_ship_proof_get(&p, 137, 290, roots[290], out);
	CHECK(n > 0 && n == before && !memcmp(out, o2, (size_t)n * TA_HASH_LEN));
	CHECK(ta_ship_proof_get(&p, 200, 300, roots[300], out) > 0);
	ta_ship_proof_free(&p);

	/* A restart at record 150: seeded from the log, then read on. */
	CHECK_EQ_INT(ta_ship_proof_init(&p), 0);
	for (int i = 0; i < 150; i++)
		ta_ship_proof_seed(&p, rec[i], sizeof(rec[i]));
	ta_ship_proof_start(&p);
	for (int i = 150; i < N; i++)
		CHECK_EQ_INT(ta_ship_proof_add(&p, (uint64_t)i, rec[i], sizeof(rec[i])), 0);
	CHECK_EQ_INT(ta_ship_proof_get(&p, 149, 250, roots[250], out), -ENOENT);
	n = ta_ship_proof_get(&p, 150, 251, roots[251], out);
	CHECK(n > 0 && !ta_verify_consistency(h, 150, 251, roots[150], roots[251],
					      (const uint8_t (*)[TA_HASH_LEN])out, (size_t)n));
	/* A hole in what it reads: its tree is no longer the log's, it holds nothing more. */
	CHECK_EQ_INT(ta_ship_proof_add(&p, N + 5, rec[0], sizeof(rec[0])), 0);
	CHECK_EQ_INT(ta_ship_proof_get(&p, 150, 251, roots[251], out), -ENOENT);
	ta_ship_proof_free(&p);
	ta_hasher_free(h);
	return check_result();
}

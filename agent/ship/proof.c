// SPDX-License-Identifier: GPL-2.0-or-later
/* The shipper's consistency proofs from the tree it keeps as it reads (ship/proof.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ship/proof.h"

int ta_ship_proof_init(struct ta_ship_proof *p)
{
	memset(p, 0, sizeof(*p));
	ta_crange_init(&p->cr);
	return ta_hasher_new(&p->h);
}

void ta_ship_proof_free(struct ta_ship_proof *p)
{
	ta_hasher_free(p->h);
	free(p->leaf);
	p->leaf = NULL;
}

void ta_ship_proof_seed(struct ta_ship_proof *p, const void *rec, size_t len)
{
	uint8_t l[TA_HASH_LEN];
	ta_hash_leaf(p->h, rec, len, l);
	ta_crange_append(p->h, &p->cr, l, NULL, NULL);
}

void ta_ship_proof_start(struct ta_ship_proof *p)
{
	p->ok = 1;
	p->base = p->cr.size;
	p->base_cr = p->cr;
}

int ta_ship_proof_add(struct ta_ship_proof *p, uint64_t index, const void *rec, size_t len)
{
	if (!p->ok || index < p->cr.size)
		return 0;
	if (index > p->cr.size) { /* a hole: this tree can no longer be the log's */
		p->ok = 0;
		return 0;
	}
	uint8_t l[TA_HASH_LEN];
	ta_hash_leaf(p->h, rec, len, l);
	ta_crange_append(p->h, &p->cr, l, NULL, NULL);
	size_t n = (size_t)(p->cr.size - 1 - p->base);
	if (n >= TA_SHIP_PROOF_LEAVES) {
		/* A backlog this long (the collector away for long): start the leaves afresh. */
		p->base = p->cr.size;
		p->base_cr = p->cr;
		return 0;
	}
	if (n >= p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 4096;
		void *v = realloc(p->leaf, cap * TA_HASH_LEN);
		if (!v)
			return -ENOMEM;
		p->leaf = v;
		p->cap = cap;
	}
	memcpy(p->leaf[n], l, TA_HASH_LEN);
	return 0;
}

void ta_ship_proof_trim(struct ta_ship_proof *p, uint64_t keep)
{
	if (!p->ok || keep <= p->base || keep > p->cr.size)
		return;
	size_t drop = (size_t)(keep - p->base);
	for (size_t i = 0; i < drop; i++)
		ta_crange_append(p->h, &p->base_cr, p->leaf[i], NULL, NULL);
	memmove(p->leaf, p->leaf + drop, (size_t)(p->cr.size - keep) * TA_HASH_LEN);
	p->base = keep;
}

/* MTH of leaves [b, e) from the kept leaf hashes (b >= base). */
static void range_root(struct ta_ship_proof *p, uint64_t b, uint64_t e, uint8_t out[TA_HASH_LEN])
{
	struct ta_crange c;
	ta_crange_init(&c);
	for (uint64_t i = b; i < e; i++)
		ta_crange_append(p->h, &c, p->leaf[i - p->base], NULL, NULL);
	ta_crange_root(p->h, &c, out);
}

/* The node [b, e) of old's compact range, if it is one (largest subtree first). */
static const uint8_t *crange_node(const struct ta_crange *c, uint64_t b, uint64_t e)
{
	uint64_t at = 0;
	unsigned k = 0;
	for (int bit = 63; bit >= 0; bit--) {
		uint64_t w = 1ull << bit;
		if (!(c->size & w))
			continue;
		if (at == b && at + w == e)
			return c->h[k];
		at += w;
		k++;
	}
	return NULL;
}

int ta_ship_proof_get(struct ta_ship_proof *p, uint64_t old, uint64_t size,
		      const uint8_t root[TA_HASH_LEN], uint8_t (*out)[TA_HASH_LEN])
{
	if (!p->ok || old == 0 || old >= size || old < p->base || size > p->cr.size)
		return -ENOENT;
	/* old's compact range: the tree at base and the leaves from there. */
	struct ta_crange oc = p->base_cr;
	for (uint64_t i = p->base; i < old; i++)
		ta_crange_append(p->h, &oc, p->leaf[i - p->base], NULL, NULL);
	const struct ta_crange *o = &oc;
	struct ta_node_range nodes[TA_PROOF_MAX];
	int n = ta_consistency_nodes(old, size, nodes);
	if (n < 0)
		return -ENOENT;
	for (int i = 0; i < n; i++) {
		/* Every node is either one of old's compact range or made of leaves from old on. */
		if (nodes[i].begin >= old) {
			range_root(p, nodes[i].begin, nodes[i].end, out[i]);
			continue;
		}
		const uint8_t *h = nodes[i].end <= old ? crange_node(o, nodes[i].begin, nodes[i].end) : NULL;
		if (!h)
			return -ENOENT;
		memcpy(out[i], h, TA_HASH_LEN);
	}
	/* Checked before it goes: a wrong proof would be refused by the witness. */
	uint8_t old_root[TA_HASH_LEN];
	ta_crange_root(p->h, o, old_root);
	if (ta_verify_consistency(p->h, old, size, old_root, root,
				  (const uint8_t (*)[TA_HASH_LEN])out, (size_t)n))
		return -ENOENT;
	p->built++;
	return n;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The witness library (c2sp.org/tlog-witness add-checkpoint): cosigns a
 * first checkpoint and consistent successors, answers 409 with its size when
 * the old size is not its own, 422 for a proof that does not verify, 403 for
 * a checkpoint no trusted key signed, 404 for an unknown origin, 400 for a
 * malformed request; its state survives a new witness object on the same
 * directory, and two witnesses in one process do not share state.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/checkpoint.h"
#include "store/cosig.h"
#include "store/witness.h"
#include "store_test_util.h"

#define ORIGIN "log.example/witness-test"

static struct ta_hasher *H;

/* MTH of leaves [lo, hi), leaf i being the hash of its 8-byte index. */
static void mth(uint64_t lo, uint64_t hi, uint8_t out[TA_HASH_LEN])
{
	if (hi - lo == 1) {
		ta_hash_leaf(H, &lo, sizeof(lo), out);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < hi - lo)
		k *= 2;
	uint8_t l[TA_HASH_LEN], r[TA_HASH_LEN];
	mth(lo, lo + k, l);
	mth(lo + k, hi, r);
	ta_hash_node(H, l, r, out);
}

static void root_of(uint64_t n, uint8_t out[TA_HASH_LEN])
{
	if (n)
		mth(0, n, out);
	else
		ta_sha256(H, "", 0, out);
}

/* An add-checkpoint body: old size, the proof (optionally bent), the checkpoint by s. */
static size_t request(struct ta_signer *s, const char *origin, uint64_t old, uint64_t size,
		      int bend, char *out, size_t cap)
{
	uint8_t root[TA_HASH_LEN];
	root_of(size, root);
	if (bend < 0)
		root[0] ^= 1; /* another tree of that size */
	char body[512], b64[64], *note;
	size_t nlen;
	int o = snprintf(out, cap, "old %" PRIu64 "\n", old);
	if (old && old < size) {
		struct ta_node_range nodes[TA_PROOF_MAX];
		int n = ta_consistency_nodes(old, size, nodes);
		for (int i = 0; i < n; i++) {
			uint8_t h[TA_HASH_LEN];
			mth(nodes[i].begin, nodes[i].end, h);
			if (bend > 0 && i == 0)
				h[5] ^= 0x40;
			ta_note_base64_encode(h, TA_HASH_LEN, b64);
			o += snprintf(out + o, cap - (size_t)o, "%s\n", b64);
		}
	}
	o += snprintf(out + o, cap - (size_t)o, "\n");
	int bl = ta_checkpoint_body(origin, size, root, body, sizeof(body));
	if (bl < 0 || ta_note_sign(s, body, (size_t)bl, &note, &nlen))
		return 0;
	o += snprintf(out + o, cap - (size_t)o, "%s", note);
	free(note);
	return (size_t)o;
}

static int submit(const struct ta_witness *w, struct ta_signer *s, const char *origin, uint64_t old,
		  uint64_t size, int bend, struct ta_witness_reply *r)
{
	char req[8192];
	size_t len = request(s, origin, old, size, bend, req, sizeof(req));
	CHECK(len > 0);
	CHECK_EQ_INT(ta_witness_add_checkpoint(w, req, len, 1700000000, r), 0);
	return r->status;
}

/* The reply's cosignature on the checkpoint of size with the witness key wv. */
static int cosig_valid(struct ta_signer *s, const struct ta_verifier *wv, uint64_t size,
		       const struct ta_witness_reply *r)
{
	uint8_t root[TA_HASH_LEN];
	char body[512], *note;
	size_t nlen, valid = 0, bad;
	root_of(size, root);
	int bl = ta_checkpoint_body(ORIGIN, size, root, body, sizeof(body));
	if (bl < 0 || ta_note_sign(s, body, (size_t)bl, &note, &nlen))
		return 0;
	char *both = malloc(nlen + r->body_len + 1);
	memcpy(both, note, nlen);
	memcpy(both + nlen, r->body, r->body_len);
	both[nlen + r->body_len] = 0;
	int err = ta_cosig_count(&wv, 1, both, nlen + r->body_len, &valid, &bad);
	/* The same key listed twice (--witness W --witness W) is one cosignature, not two. */
	const struct ta_verifier *twice[2] = { wv, wv };
	size_t valid2 = 0;
	int err2 = ta_cosig_count(twice, 2, both, nlen + r->body_len, &valid2, &bad);
	free(note);
	free(both);
	return !err && valid == 1 && !err2 && valid2 == 1;
}

int main(void)
{
	CHECK_EQ_INT(ta_hasher_new(&H), 0);
	char *base = test_mkdtemp("witness");
	char *lk = test_path(base, "log.key"), *ok = test_path(base, "other.key");
	char *wk = test_path(base, "w.key"), *sd = test_path(base, "state");
	char *sd2 = test_path(base, "state2");
	struct ta_signer *log = NULL, *other = NULL, *wkey = NULL;
	CHECK_EQ_INT(ta_signer_load_or_create(lk, ORIGIN, &log), 0);
	CHECK_EQ_INT(ta_signer_load_or_create(ok, ORIGIN, &other), 0);
	CHECK_EQ_INT(ta_cosigner_load_or_create(wk, "witness.example/w1", &wkey), 0);
	if (!log || !other || !wkey)
		return check_result();
	struct ta_verifier *lv = NULL, *wv = NULL;
	CHECK_EQ_INT(ta_verifier_parse(ta_signer_vkey(log), &lv), 0);
	CHECK_EQ_INT(ta_verifier_parse(ta_signer_vkey(wkey), &wv), 0);
	CHECK(mkdir(sd, 0700) == 0 && mkdir(sd2, 0700) == 0);
	int dfd = open(sd, O_RDONLY | O_DIRECTORY), dfd2 = open(sd2, O_RDONLY | O_DIRECTORY);
	const struct ta_verifier *keys[1] = { lv };
	struct ta_witness_log logs[1] = { { ORIGIN, keys, 1 } };
	struct ta_witness w = { wkey, logs, 1, ta_witness_dir_store(&dfd) };
	struct ta_witness w2 = { wkey, logs, 1, ta_witness_dir_store(&dfd2) };
	struct ta_witness_reply r;

	/* first checkpoint, from size 0 */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 0, 5, 0, &r), 200);
	CHECK(cosig_valid(log, wv, 5, &r));
	CHECK(!strncmp(r.body, "\xe2\x80\x94 witness.example/w1 ", 23));
	/* the client's old size is not the witness's: 409 and its size */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 0, 9, 0, &r), 409);
	CHECK_EQ_STR(r.body, "5\n");
	CHECK_EQ_STR(r.content_type, "text/x.tlog.size");
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 3, 9, 0, &r), 409);
	/* a consistent successor */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 5, 9, 0, &r), 200);
	CHECK(cosig_valid(log, wv, 9, &r));
	/* a proof that does not verify: 422, state unchanged */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 9, 70, 1, &r), 422);
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 9, 70, 0, &r), 200);
	/* a fork: same size, another root */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 70, 70, -1, &r), 409);
	CHECK_EQ_STR(r.body, "70\n");
	/* the same checkpoint again is cosigned again */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 70, 70, 0, &r), 200);
	/* another tree of a larger size: its proof cannot verify */
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 70, 71, -1, &r), 422);
	/* unknown origin, untrusted key, old > size, malformed */
	CHECK_EQ_INT(submit(&w, log, "other.example/log", 0, 5, 0, &r), 404);
	CHECK_EQ_INT(submit(&w, other, ORIGIN, 70, 80, 0, &r), 403);
	CHECK_EQ_INT(submit(&w, log, ORIGIN, 90, 80, 0, &r), 400);
	static const char *bad[] = { "", "old 01\n\n", "old 5\nnot-a-hash\n\n", "old 5\n",
				     "new 5\n\n", "old 5\n\nnot a note\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(ta_witness_add_checkpoint(&w, bad[i], strlen(bad[i]), 1, &r), 0);
		CHECK_EQ_INT(r.status, 400);
	}
	/* from size 0 the proof must be empty */
	char req[8192];
	size_t len = request(log, ORIGIN, 0, 5, 0, req, sizeof(req));
	char req2[8300];
	snprintf(req2, sizeof(req2), "old 0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n%s", req + 6);
	CHECK_EQ_INT(ta_witness_add_checkpoint(&w2, req2, strlen(req2), 1, &r), 0);
	CHECK_EQ_INT(r.status, 422);
	(void)len;
	/* a second witness in the process has its own state */
	CHECK_EQ_INT(submit(&w2, log, ORIGIN, 0, 70, 0, &r), 200);
	/* the state is in the directory: a new witness object continues from it */
	struct ta_witness w3 = { wkey, logs, 1, ta_witness_dir_store(&dfd) };
	CHECK_EQ_INT(submit(&w3, log, ORIGIN, 0, 75, 0, &r), 409);
	CHECK_EQ_STR(r.body, "70\n");
	CHECK_EQ_INT(submit(&w3, log, ORIGIN, 70, 75, 0, &r), 200);

	/*
	 * A line shorter than the em dash and a space is refused before its
	 * name is looked for (its length less 4 wrapped: memchr ran past it).
	 */
	CHECK_EQ_INT(ta_cosig_store_add(dfd, 75, "x\n\n", 3, "\n", 1), -EINVAL);
	CHECK_EQ_INT(ta_cosig_store_add(dfd, 75, "x\n\n", 3, "\xe2\x80\x94 w\n", 6), -EINVAL);

	close(dfd);
	close(dfd2);
	ta_verifier_free(lv);
	ta_verifier_free(wv);
	ta_signer_free(log);
	ta_signer_free(other);
	ta_signer_free(wkey);
	ta_hasher_free(H);
	test_rmtree(base);
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Proofs and retention: inclusion proofs (records, a whole session) and
 * consistency proofs round-trip through ta_proof_verify; forged proofs are
 * rejected; after retention deletes old segments, verify still passes and
 * proofs for newer records and newer consistency still verify.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store_test_util.h"
#include "store/ckptset.h"

static struct ta_verifier *V;

static int verify_text(const char *t, size_t len, const char *trusted)
{
	struct ta_proof_result res;
	size_t tl = trusted ? strlen(trusted) : 0;
	int err = ta_proof_verify(t, len, V, NULL, trusted ? &trusted : NULL, &tl, trusted ? 1 : 0, NULL,
				  NULL, &res);
	if (err)
		fprintf(stderr, "  proof rejected: %s\n", res.message);
	return err;
}

static char *prove_records(const char *dir, const uint64_t *idx, size_t n, uint64_t size, size_t *len)
{
	struct ta_proof_request req = { .kind = TA_PROOF_INCLUSION, .indexes = idx, .n_indexes = n,
					.tree_size = size };
	char *t = NULL, err[300];
	int e = ta_proof_build(dir, &req, &t, len, err, sizeof(err));
	if (e)
		fprintf(stderr, "  prove: %s\n", err);
	return t;
}

static char *latest_note(const char *dir, uint64_t *size)
{
	struct ta_ckpt_set set = { 0 };
	char msg[300];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ta_ckpt_set_load(dfd, V, &set, msg, sizeof(msg));
	close(dfd);
	ta_ckpt_set_sort(&set);
	char *n = set.n ? strdup(set.v[set.n - 1].note) : NULL;
	if (size)
		*size = set.n ? set.v[set.n - 1].cp.size : 0;
	ta_ckpt_set_free(&set);
	return n;
}

/* Size of the k-th checkpoint of the log (in size order). */
static uint64_t ckpt_size(const char *dir, size_t k)
{
	struct ta_ckpt_set set = { 0 };
	char msg[300];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ta_ckpt_set_load(dfd, V, &set, msg, sizeof(msg));
	close(dfd);
	ta_ckpt_set_sort(&set);
	uint64_t size = k < set.n ? set.v[k].cp.size : 0;
	ta_ckpt_set_free(&set);
	return size;
}

static void test_inclusion(const char *dir)
{
	uint64_t idx[] = { 0, 17, 1000, 2999 };
	size_t len;
	char *t = prove_records(dir, idx, 4, 0, &len);
	CHECK(t != NULL);
	if (!t)
		return;
	CHECK_EQ_INT(verify_text(t, len, NULL), 0);
	char *note = latest_note(dir, NULL);
	CHECK_EQ_INT(verify_text(t, len, note), 0);

	/* forged: a byte of a record (base64 char), a path hash, the index, the tree size */
	char *f = strdup(t);
	char *rec = strstr(f, "record 17 ") + 30;
	*rec = *rec == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(verify_text(f, len, NULL), -EBADMSG);
	strcpy(f, t);
	char *path = strstr(strstr(f, "record 1000 "), "path ");
	path = strchr(path + 5, ' ') + 1;
	*path = *path == '0' ? '1' : '0';
	CHECK_EQ_INT(verify_text(f, len, NULL), -EBADMSG);
	strcpy(f, t);
	memcpy(strstr(f, "record 17 "), "record 18 ", 10);
	CHECK_EQ_INT(verify_text(f, len, NULL), -EBADMSG);
	strcpy(f, t);
	char *ts = strstr(f, "tree-size ") + 10;
	*ts = *ts == '1' ? '2' : '1';
	CHECK_EQ_INT(verify_text(f, len, NULL), -EBADMSG);
	free(f);

	/* a proof at an older checkpoint is not the trusted newer one */
	size_t l2;
	char *old = prove_records(dir, idx, 2, ckpt_size(dir, 1), &l2);
	CHECK(old != NULL);
	if (old) {
		CHECK_EQ_INT(verify_text(old, l2, NULL), 0);
		CHECK_EQ_INT(verify_text(old, l2, note), -EBADMSG);
	}
	/* another key does not verify it */
	struct ta_verifier *keep = V, *other = NULL;
	CHECK_EQ_INT(ta_verifier_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
				       &other), 0);
	V = other;
	CHECK_EQ_INT(verify_text(t, len, NULL), -EBADMSG);
	V = keep;
	ta_verifier_free(other);
	free(old);
	free(note);
	free(t);
}

static void session_cb(void *ctx, const struct ta_log_record *rec)
{
	uint64_t *n = ctx;
	if (rec->session == 3)
		(*n)++;
}

static void test_session_and_consistency(const char *dir)
{
	struct ta_proof_request req = { .kind = TA_PROOF_INCLUSION, .by_session = 1, .session = 3 };
	char *t = NULL, err[300];
	size_t len;
	CHECK_EQ_INT(ta_proof_build(dir, &req, &t, &len, err, sizeof(err)), 0);
	if (t) {
		struct ta_proof_result res;
		uint64_t n = 0;
		CHECK_EQ_INT(ta_proof_verify(t, len, V, NULL, NULL, NULL, 0, session_cb, &n, &res), 0);
		CHECK(n > 400);
		CHECK_EQ_INT(res.n_records, n);
		free(t);
	}
	req.session = 999;
	CHECK_EQ_INT(ta_proof_build(dir, &req, &t, &len, err, sizeof(err)), -ENOENT);

	uint64_t latest;
	char *note = latest_note(dir, &latest);
	for (uint64_t old = 1; old < latest; old += 337) {
		struct ta_proof_request c = { .kind = TA_PROOF_CONSISTENCY, .old_size = old };
		t = NULL;
		CHECK_EQ_INT(ta_proof_build(dir, &c, &t, &len, err, sizeof(err)), 0);
		if (!t)
			continue;
		CHECK_EQ_INT(verify_text(t, len, note), 0);
		char *f = strdup(t);
		char *r = strstr(f, "old-root ") + 9;
		*r = *r == 'A' ? 'B' : 'A';
		CHECK_EQ_INT(verify_text(f, len, NULL), -EBADMSG);
		free(f);
		free(t);
	}
	free(note);
}

static void test_retention(const char *base)
{
	char *dir = test_path(base, "ret"), *key = test_path(base, "retkey");
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.segment_max_bytes = 64 * 1024;
	o.retain_max_bytes = 400 * 1024;
	o.checkpoint_every_records = 500;
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	struct ta_verifier *rv = NULL;
	CHECK_EQ_INT(ta_verifier_parse(ta_store_vkey(s), &rv), 0);
	uint8_t buf[1024];
	int deleted = 0;
	uint64_t size_at_first_deletion = 0;
	for (uint64_t i = 0; i < 12000; i++) {
		size_t len = test_payload(i, buf, sizeof(buf));
		CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 1700000000000000000ull + i, i % 7 + 1, buf, len,
					     NULL), 0);
		if (i % 1000 == 999) {
			int k = ta_store_retention(s, 0);
			CHECK(k >= 0);
			if (k > 0 && !deleted)
				size_at_first_deletion = ta_store_size(s);
			deleted += k > 0 ? k : 0;
		}
	}
	CHECK_EQ_INT(ta_store_close(s), 0);
	CHECK(deleted > 3);
	struct ta_verify_result res;
	struct ta_verify_opts vo = { .dir = dir, .key = rv };
	CHECK_EQ_INT(ta_log_verify(&vo, &res), 0);
	if (!res.ok)
		fprintf(stderr, "retention verify: %s\n", res.message);
	CHECK(res.first_index > 0);
	CHECK(res.retention_records >= 1);
	CHECK(res.bytes <= 400 * 1024 + 64 * 1024);
	fprintf(stderr, "retention: %d segments deleted, records from %llu kept, %llu bytes\n",
		deleted, (unsigned long long)res.first_index, (unsigned long long)res.bytes);

	/* proofs of records still present, and consistency among newer checkpoints */
	struct ta_verifier *keep = V;
	V = rv;
	uint64_t last = res.first_index + res.records - 1;
	uint64_t idx[] = { res.first_index, res.first_index + 1, last - 5 };
	size_t len;
	char *t = prove_records(dir, idx, 3, 0, &len);
	CHECK(t != NULL);
	if (t)
		CHECK_EQ_INT(verify_text(t, len, NULL), 0);
	free(t);
	struct ta_proof_request c = { .kind = TA_PROOF_CONSISTENCY, .old_size = res.first_index + 10 };
	char err[300];
	t = NULL;
	CHECK_EQ_INT(ta_proof_build(dir, &c, &t, &len, err, sizeof(err)), 0);
	if (t)
		CHECK_EQ_INT(verify_text(t, len, NULL), 0);
	free(t);
	/* a deleted record cannot be proven */
	uint64_t gone = 3;
	t = NULL;
	CHECK(prove_records(dir, &gone, 1, 0, &len) == NULL);
	(void)size_at_first_deletion;
	V = keep;

	/* the age limit deletes too */
	o.retain_max_bytes = 0;
	o.retain_max_age_s = 1;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (s) {
		CHECK_EQ_INT(ta_store_rotate(s), 0);
		int k = ta_store_retention(s, ta_real_ns_for_test() + 5000000000ull);
		CHECK(k > 0);
		CHECK_EQ_INT(ta_store_close(s), 0);
		CHECK_EQ_INT(ta_log_verify(&vo, &res), 0);
		if (!res.ok)
			fprintf(stderr, "age retention verify: %s\n", res.message);
		CHECK_EQ_INT(res.segments, 1); /* all sealed segments were older */
	}
	ta_verifier_free(rv);
	test_rmtree(dir);
	free(dir);
	free(key);
}

int main(void)
{
	char *base = test_mkdtemp("proof");
	char *dir = test_path(base, "log"), *key = test_path(base, "key");
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.segment_max_bytes = 100 * 1024;
	o.checkpoint_every_records = 700;
	CHECK_EQ_INT(test_write_log(&o, 3000), 0);
	char *vf = test_path(dir, "ttyaudit.vkey");
	CHECK_EQ_INT(ta_verifier_load(vf, TA_ALG_ED25519, &V), 0);
	free(vf);
	test_inclusion(dir);
	test_session_and_consistency(dir);
	test_retention(base);
	ta_verifier_free(V);
	test_rmtree(dir);
	test_rmtree(base);
	return check_result();
}

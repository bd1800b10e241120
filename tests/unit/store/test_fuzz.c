// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deterministic mutation test of the readers: a real log's segment,
 * checkpoint file and a proof are mutated (bit flips, byte sets, cuts,
 * insertions) hundreds of times and fed to the reader, verify and the proof
 * checker. Nothing may crash; mutated segments must fail verify; mutated
 * proofs must be rejected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "fuzz_common.h"
#include "store_test_util.h"

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	fstat(fd, &st);
	uint8_t *b = malloc((size_t)st.st_size + 64);
	*len = (size_t)read(fd, b, (size_t)st.st_size);
	close(fd);
	return b;
}

static void put(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
	if (write(fd, b, len) < 0)
		perror(path);
	close(fd);
}

/* One mutation; returns the new length (the buffer has 64 bytes of slack). */
static size_t mutate(uint8_t *b, size_t len, size_t from)
{
	size_t at = from + rnd() % (len - from);
	switch (rnd() % 4) {
	case 0: b[at] ^= (uint8_t)(1u << (rnd() % 8)); return len;
	case 1: { uint8_t v = (uint8_t)rnd(); if (v == b[at]) v++; b[at] = v; return len; }
	case 2: return at > from ? at : len - 1; /* cut */
	default: { /* insert a few bytes */
		size_t n = 1 + rnd() % 16;
		memmove(b + at + n, b + at, len - at);
		for (size_t i = 0; i < n; i++)
			b[at + i] = (uint8_t)rnd();
		return len + n;
	}
	}
}

int main(void)
{
	char *base = test_mkdtemp("fuzz");
	char *dir = test_path(base, "log"), *key = test_path(base, "key");
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.no_append_only = 1;
	o.segment_max_bytes = 40 * 1024;
	o.checkpoint_every_records = 150;
	CHECK_EQ_INT(test_write_log(&o, 300), 0);
	struct ta_verifier *v = NULL;
	char *vf = test_path(dir, "ttyaudit.vkey");
	CHECK_EQ_INT(ta_verifier_load(vf, TA_ALG_ED25519, &v), 0);
	CHECK_EQ_INT(fuzz_read_dir(dir, v), 0);

	/* segment 1 sits in the middle; every byte of it is covered by a checkpoint */
	char *seg = test_path(dir, "seg-0000000000000001.log");
	char *ckp = test_path(dir, "seg-0000000000000001.ckpt");
	size_t slen, clen;
	uint8_t *sorig = slurp(seg, &slen), *corig = slurp(ckp, &clen);
	uint8_t *b = malloc(slen + 64);
	int undetected = 0;
	for (int i = 0; i < 300; i++) {
		memcpy(b, sorig, slen);
		size_t n = mutate(b, slen, 0);
		put(seg, b, n);
		if (fuzz_read_dir(dir, v) == 0)
			undetected++;
	}
	put(seg, sorig, slen);
	CHECK_EQ_INT(undetected, 0);

	/* checkpoint file mutations: never a crash; the log itself is intact */
	uint8_t *cb = malloc(clen + 64);
	for (int i = 0; i < 200; i++) {
		memcpy(cb, corig, clen);
		size_t n = mutate(cb, clen, 0);
		put(ckp, cb, n);
		fuzz_read_dir(dir, v);
		fuzz_text(cb, n, v);
	}
	put(ckp, corig, clen);
	CHECK_EQ_INT(fuzz_read_dir(dir, v), 0);

	/* proof mutations must be rejected */
	uint64_t idx[] = { 5, 123 };
	struct ta_proof_request req = { .kind = TA_PROOF_INCLUSION, .indexes = idx, .n_indexes = 2 };
	char *proof = NULL, err[200];
	size_t plen = 0;
	CHECK_EQ_INT(ta_proof_build(dir, &req, &proof, &plen, err, sizeof(err)), 0);
	int accepted = 0;
	if (proof) {
		struct ta_proof_result res;
		CHECK_EQ_INT(ta_proof_verify(proof, plen, v, NULL, NULL, NULL, 0, NULL, NULL, &res), 0);
		uint8_t *pb = malloc(plen + 64);
		for (int i = 0; i < 400; i++) {
			memcpy(pb, proof, plen);
			size_t n = mutate(pb, plen, 0);
			if (n == plen && !memcmp(pb, proof, plen))
				continue;
			if (ta_proof_verify((char *)pb, n, v, NULL, NULL, NULL, 0, NULL, NULL, &res) == 0) {
				accepted++;
				fprintf(stderr, "mutated proof accepted (%zu bytes):\n%.*s\n", n, (int)n, pb);
			}
		}
		free(pb);
	}
	CHECK_EQ_INT(accepted, 0);

	/* random garbage as a whole segment, as text */
	uint8_t junk[2048];
	for (int i = 0; i < 200; i++) {
		size_t n = rnd() % sizeof(junk);
		for (size_t k = 0; k < n; k++)
			junk[k] = (uint8_t)rnd();
		if (n >= 8 && (i & 1))
			memcpy(junk, "TTYALOG\n", 8);
		fuzz_segment(base, junk, n, v);
		fuzz_text(junk, n, v);
	}
	free(proof);
	free(b);
	free(cb);
	free(sorig);
	free(corig);
	free(seg);
	free(ckp);
	free(vf);
	ta_verifier_free(v);
	test_rmtree(dir);
	test_rmtree(base);
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the witness side that runs on a host's request (the
 * collector cosigns with it): the add-checkpoint body (c2sp.org/tlog-witness:
 * "old N", proof lines, an empty line, a signed note), the checkpoint note
 * check and the cosignature count on the same note. The first byte chooses:
 *   bit 0: the rest after the request's head is the checkpoint's text, signed
 *          here with the log's key (to reach past the signature check);
 *   bits 1-7: the witness's state: none, or that size with a fixed root.
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_store_witness CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/checkpoint.h"
#include "store/ckptset.h"
#include "store/cosig.h"
#include "store/note.h"
#include "store/witness.h"

#include "fuzz_replay.h"

#define ORIGIN "PeterNeumann"
#define SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

struct state {
	uint64_t size;
	int have;
};

static int ws_get(void *ctx, const char *origin, uint64_t *size, uint8_t root[TA_HASH_LEN])
{
	const struct state *s = ctx;
	if (!s->have)
		return -ENOENT;
	*size = s->size;
	memset(root, 0x5a, TA_HASH_LEN);
	return 0;
}

static int ws_cas(void *ctx, const char *origin, uint64_t expect, uint64_t size,
		  const uint8_t root[TA_HASH_LEN])
{
	return 0;
}

static void note_checks(const char *note, size_t len, const struct ta_verifier *const *keys)
{
	struct ta_checkpoint cp;
	const char *why = "";
	size_t valid = 0, bad = 0;
	if (ta_ckpt_check_note(keys[0], ORIGIN, note, len, &cp, &why) && !why[0])
		abort();
	ta_cosig_count(keys, 2, note, len, &valid, &bad);
	if (valid > 2)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ta_signer *log_key, *cosigner;
	static const struct ta_verifier *keys[2];
	if (!log_key) {
		char path[] = "/tmp/ta-fuzz-cosigner-XXXXXX";
		int fd = mkstemp(path);
		struct ta_verifier *v, *cv;
		if (fd < 0)
			abort();
		close(fd);
		unlink(path);
		if (ta_signer_from_skey(SKEY, &log_key) || ta_verifier_parse(VKEY, &v) ||
		    ta_cosigner_load_or_create(path, "fuzz-witness", &cosigner) ||
		    ta_verifier_parse(ta_signer_vkey(cosigner), &cv))
			abort();
		unlink(path);
		keys[0] = v;
		keys[1] = cv;
	}
	if (!size)
		return 0;
	struct state st = { .size = data[0] >> 1, .have = data[0] >> 1 != 0 };
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	char *signed_body = NULL;
	if (data[0] & 1) {
		/* The head as given, then the rest signed as a checkpoint's text. */
		const char *sep = memmem(body, len, "\n\n", 2);
		char *note;
		size_t nl;
		if (!sep)
			return 0;
		size_t head = (size_t)(sep + 2 - body);
		if (ta_note_sign(log_key, body + head, len - head, &note, &nl))
			return 0;
		signed_body = malloc(head + nl);
		if (!signed_body)
			abort();
		memcpy(signed_body, body, head);
		memcpy(signed_body + head, note, nl);
		free(note);
		body = signed_body;
		len = head + nl;
	}
	const struct ta_verifier *log_keys[1] = { keys[0] };
	struct ta_witness_log wl = { .origin = ORIGIN, .keys = log_keys, .n_keys = 1 };
	struct ta_witness w = { .key = cosigner, .logs = &wl, .n_logs = 1,
				.store = { .get = ws_get, .cas = ws_cas, .ctx = &st } };
	struct ta_witness_reply rep;
	if (!ta_witness_add_checkpoint(&w, body, len, 1700000000, &rep) &&
	    rep.body_len >= sizeof(rep.body))
		abort();
	/* The note after the head, as the collector checks it; and the whole as a note. */
	const char *sep = memmem(body, len, "\n\n", 2);
	if (sep)
		note_checks(sep + 2, len - (size_t)(sep + 2 - body), keys);
	note_checks(body, len, keys);
	free(signed_body);
	return 0;
}

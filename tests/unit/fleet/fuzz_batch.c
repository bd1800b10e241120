// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what the collector takes from a host that may be
 * compromised: the bytes are a records message (TAB1/TAB2, fleet/batch.h).
 * As the collector reads it: the batch, its message id, each record decoded
 * into a session table and its facts, the checkpoint request after the
 * records (the note, then the witness library on the whole request).
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_fleet_batch CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet/batch.h"
#include "index/sessfacts.h"
#include "index/sesstab.h"
#include "store/checkpoint.h"
#include "store/ckptset.h"
#include "store/merkle.h"
#include "store/note.h"
#include "store/store.h"
#include "store/witness.h"

#include "fuzz_replay.h"

#define ORIGIN "PeterNeumann"
#define VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static int fact(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num, const char *text)
{
	size_t *n = ctx;
	if (text && !memchr(text, 0, 4096))
		abort();
	(*n)++;
	return 0;
}

/* The witness state: none (the log's first checkpoint). */
static int ws_get(void *ctx, const char *origin, uint64_t *size, uint8_t root[TA_HASH_LEN])
{
	return -ENOENT;
}

static int ws_cas(void *ctx, const char *origin, uint64_t expect, uint64_t size,
		  const uint8_t root[TA_HASH_LEN])
{
	return 0;
}

static void records(struct ta_fleet_batch *b, struct ta_rec_decoder *dec)
{
	struct ta_sesstab t;
	const uint8_t *p;
	size_t len, facts = 0;
	uint64_t i = 0;

	if (ta_sesstab_init(&t, 0))
		return;
	while (ta_fleet_batch_next(b, &p, &len) == 1) {
		struct ta_log_record h, rec;
		const char *why = "";
		/* ta_fleet_batch_parse checked every envelope: the collector relies on it. */
		if (ta_stored_record_parse(p, len, &h) || h.index != b->first + i)
			abort();
		i++;
		if (!ta_rec_decode(dec, p, len, h.index, &rec, &why)) {
			ta_sesstab_rec_global(&rec);
			if (ta_sesstab_add(&t, &rec) == -ENOMEM)
				break;
		}
	}
	if (i > b->count)
		abort();
	if (!ta_sesstab_finish(&t))
		ta_sessfacts_emit(&t, fact, &facts);
	ta_sesstab_free(&t);
}

static void checkpoint(const struct ta_fleet_batch *b, const struct ta_verifier *key,
		       struct ta_signer *cosigner)
{
	/* As the collector's on_checkpoint: the note after the request's head. */
	const char *body = (const char *)b->ckpt;
	const char *sep = memmem(body, b->ckpt_len, "\n\n", 2);
	struct ta_checkpoint cp;
	const char *why = "";
	if (sep)
		ta_ckpt_check_note(key, ORIGIN, sep + 2, b->ckpt_len - (size_t)(sep + 2 - body), &cp,
				   &why);
	const struct ta_verifier *keys[1] = { key };
	struct ta_witness_log wl = { .origin = ORIGIN, .keys = keys, .n_keys = 1 };
	struct ta_witness w = { .key = cosigner, .logs = &wl, .n_logs = 1,
				.store = { .get = ws_get, .cas = ws_cas } };
	struct ta_witness_reply rep;
	if (!ta_witness_add_checkpoint(&w, body, b->ckpt_len, 1700000000, &rep) &&
	    rep.body_len >= sizeof(rep.body))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ta_verifier *key;
	static struct ta_signer *cosigner;
	static struct ta_rec_decoder *dec;
	static struct ta_hasher *h;
	struct ta_fleet_batch b;
	const char *why = "";
	char id[256];

	if (!key) {
		char path[] = "/tmp/ta-fuzz-cosigner-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		unlink(path);
		if (ta_verifier_parse(VKEY, &key) || ta_rec_decoder_new(&dec) || ta_hasher_new(&h) ||
		    ta_cosigner_load_or_create(path, "fuzz-witness", &cosigner))
			abort();
		unlink(path);
		/* The collector's bound on what one record may inflate to. */
		ta_rec_decoder_set_max(dec, 1u << 20);
	}
	int bad = ta_fleet_batch_parse(data, size, &b, &why);
	if (bad && !why[0])
		abort();
	/* The message id: as the shipper makes it, then the input's own first bytes as one. */
	if (!bad && !ta_fleet_batch_msgid(ORIGIN, b.first, b.count, id, sizeof(id)))
		ta_fleet_msgid_check(h, id, ORIGIN, 1, &b, data, size, &why);
	size_t il = size < sizeof(id) - 1 ? size : sizeof(id) - 1;
	memcpy(id, data, il);
	id[il] = '\0';
	ta_fleet_msgid_check(h, id, ORIGIN, 1, bad ? NULL : &b, data, size, &why);
	ta_fleet_msgid_check(h, id, ORIGIN, 0, NULL, data, size, &why);
	if (bad)
		return 0;
	records(&b, dec);
	if (b.ckpt)
		checkpoint(&b, key, cosigner);
	return 0;
}

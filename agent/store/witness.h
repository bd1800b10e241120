/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The witness side of c2sp.org/tlog-witness: one add-checkpoint request in,
 * an HTTP status and body out, with a cosignature/v1 when the checkpoint is
 * consistent with what the witness cosigned before. A library call with no
 * process-global state: the host (the fleet collector, or a test server)
 * owns the HTTP transport, the keys and the state store.
 */
#ifndef TA_STORE_WITNESS_H
#define TA_STORE_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "store/merkle.h"
#include "store/note.h"

/* A log the witness vouches for: its origin and the keys that may sign it. */
struct ta_witness_log {
	const char *origin;
	const struct ta_verifier *const *keys;
	size_t n_keys;
};

/*
 * The latest cosigned checkpoint per origin. get: 0, or -ENOENT if none (the
 * witness then expects old size 0). cas: store (size, root) only if the stored
 * size is still expect_size (0 and none are the same), durably, atomically
 * with that check; -EAGAIN if it changed meanwhile.
 */
struct ta_witness_store {
	int (*get)(void *ctx, const char *origin, uint64_t *size, uint8_t root[TA_HASH_LEN]);
	int (*cas)(void *ctx, const char *origin, uint64_t expect_size, uint64_t size,
		   const uint8_t root[TA_HASH_LEN]);
	void *ctx;
};

struct ta_witness {
	struct ta_signer *key;            /* a cosignature/v1 key (type 0x04) */
	const struct ta_witness_log *logs;
	size_t n_logs;
	struct ta_witness_store store;
};

struct ta_witness_reply {
	int status;                /* 200, 400, 403, 404, 409, 422, or 500 */
	const char *content_type;  /* "text/x.tlog.size" for a 409 with a size */
	char body[512];            /* 200: the cosignature line; 409: "<size>\n"; else why */
	size_t body_len;
};

/*
 * Handles the body of POST <prefix>/add-checkpoint at time now (POSIX
 * seconds). Always fills reply; returns 0, or -errno for a failure of the
 * host's store or of memory (reply->status 500).
 */
int ta_witness_add_checkpoint(const struct ta_witness *w, const char *body, size_t len,
			      uint64_t now, struct ta_witness_reply *reply);

/*
 * A ta_witness_store in a directory (dirfd stays the caller's): one file per
 * origin, named by the SHA-256 of the origin, holding "<size>\n<base64
 * root>\n", replaced by write, fsync, rename under an flock of the directory.
 */
struct ta_witness_store ta_witness_dir_store(int *dirfd);

/*
 * The submitter's side: the add-checkpoint body for the checkpoint cp (its
 * signed note) of the log in dir, claiming the witness last cosigned old
 * ("old N", the consistency proof from N built from the log, an empty line,
 * the note). ckpts: the log's checkpoints already loaded and sorted, or NULL
 * to load them. *out is malloc'd. On failure err says why.
 */
struct ta_checkpoint;
struct ta_ckpt_set;
int ta_witness_request_build(const char *dir, const struct ta_ckpt_set *ckpts,
			     const struct ta_checkpoint *cp, const char *note, size_t note_len,
			     uint64_t old, char **out, size_t *len, char *err, size_t errlen);
/*
 * The same body from a consistency proof the caller holds (n hashes from old
 * to the note's size; the shipper keeps its tree as it reads). -ENOMEM.
 */
int ta_witness_request_format(uint64_t old, const uint8_t (*hashes)[TA_HASH_LEN], size_t n,
			      const char *note, size_t note_len, char **out, size_t *len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The writer's state, shared by store.c and retention.c. Internal. */
#ifndef TA_STORE_INTERNAL_H
#define TA_STORE_INTERNAL_H

#include <stdint.h>
#include <time.h>
#include <zstd.h>

#include "base/clock.h"
#include "store/checkpoint.h"
#include "store/merkle.h"
#include "store/note.h"
#include "store/store.h"

/* The write buffer goes to the kernel once it holds this much: format.h. */

/* A caller's record: not one of the store's own types, and bytes wherever it has a length. */
static inline int ta_store_user_record_ok(uint16_t type, const void *payload, size_t len)
{
	return type > TA_REC_STORE_LAST && (payload || !len);
}

struct ta_store {
	struct ta_store_opts o;
	char *dir;
	char origin[TA_ORIGIN_MAX];
	int dirfd, lockfd;
	struct ta_hasher *h;
	struct ta_signer *signer;
	ZSTD_CCtx *zc;

	/* ta_store_append_batch (append_batch.c), set up at its first call */
	struct ta_store_batch *batch;

	/* current segment */
	uint64_t seq, seg_first, seg_created_real, seg_created_mono;
	int segfd, ckptfd;
	uint64_t seg_written;      /* bytes in the segment file */
	uint64_t seg_user_records; /* records appended by the caller to this segment */

	/* records encoded but not yet written */
	uint8_t *buf;
	size_t buf_len, buf_cap;

	struct ta_crange cr;       /* the tree over every record appended */
	uint64_t durable;
	uint32_t pending;
	uint64_t pending_since;    /* CLOCK_MONOTONIC of the oldest uncommitted record */
	uint64_t ckpt_size, ckpt_mono;
	int ckpt_torn;             /* a checkpoint write failed part way */
	int full;                  /* ENOSPC: appends refused until a write works */
	uint64_t full_retry;
	int broken;                /* fsync failed: nothing more is durable */
	uint64_t retention_mono;

	int ao_err;
	char ao_msg[256];
	char msg[512];
	struct ta_store_stats st;
	int inj_err;
	uint64_t inj_after;
};

/* The store's clocks: the one clock (common/clock.h). */
static inline uint64_t ta_mono_ns(void)
{
	return ta_now_ns(CLOCK_MONOTONIC);
}

static inline uint64_t ta_real_ns(void)
{
	return ta_now_ns(CLOCK_REALTIME);
}
/* The record-at-a-time steps of an append (store.c), which a batch append shares. */
int ta_store_buf_reserve(struct ta_store *s, size_t need);
/* The buffer space a record needs while it is framed (more than it keeps). */
size_t ta_store_slot_len(const struct ta_store *s, uint16_t type, size_t len);
/*
 * Frames one record at rec, which has room for ta_store_slot_len() bytes: the payload
 * compressed with zc when that is smaller, the header, the CRC; leaf gets its leaf hash.
 * Returns the record's length. Reads only s's options and its (stateless) hasher, so two
 * threads frame records of one batch at once, each with its own zc.
 */
uint32_t ta_store_frame_record(const struct ta_store *s, ZSTD_CCtx *zc, uint8_t *rec, uint16_t type,
			       uint64_t index, uint64_t time_ns, uint64_t session, const void *payload,
			       size_t len, uint8_t leaf[TA_HASH_LEN]);
/* The framed record at the end of the buffer (rec_len bytes) joins the log: tree, counters. */
void ta_store_add_framed(struct ta_store *s, uint32_t rec_len, size_t raw_len,
			 const uint8_t leaf[TA_HASH_LEN]);
/* Before a record of len bytes: may the store take it, and does it start a new segment. */
int ta_store_admit(struct ta_store *s, size_t len);
/* After records are in: what only moves them towards the disk, and the checkpoint due. */
void ta_store_after_append(struct ta_store *s);
/* A new compression context with the store's parameters, or NULL. */
ZSTD_CCtx *ta_store_new_cctx(const struct ta_store_opts *o);
void ta_store_batch_free(struct ta_store_batch *b);

/* Appends a record of the store's own types (no type check). */
int ta_store_append_internal(struct ta_store *s, uint16_t type, uint64_t time_ns,
			     const void *payload, size_t len, uint64_t *index_out);
void ta_store_set_msg(struct ta_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

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

struct ta_store {
	struct ta_store_opts o;
	char *dir;
	char origin[TA_ORIGIN_MAX];
	int dirfd, lockfd;
	struct ta_hasher *h;
	struct ta_signer *signer;
	ZSTD_CCtx *zc;

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
/* Appends a record of the store's own types (no type check). */
int ta_store_append_internal(struct ta_store *s, uint16_t type, uint64_t time_ns,
			     const void *payload, size_t len, uint64_t *index_out);
void ta_store_set_msg(struct ta_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * On-disk layout of log segments and records (docs/log-format.md), and the
 * little-endian helpers that read and write it. Internal to agent/store.
 */
#ifndef TA_STORE_FORMAT_H
#define TA_STORE_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "store/log_dir.h"
#include "store/merkle.h" /* TA_HASH_LEN */

/* Segment file header. */
#define TA_SEG_MAGIC "TTYALOG\n"
#define TA_SEG_MAGIC_LEN 8
#define TA_SEG_VERSION 1
#define TA_SEG_HDR_LEN 64
#define TA_SEQ_NONE UINT64_MAX

struct ta_seg_header {
	uint32_t version;
	uint32_t header_len;
	uint64_t seq;
	uint64_t first_index;
	uint64_t prev_seq;
	uint64_t prev_end;
	uint64_t created_ns;
	uint32_t flags;
};

/* Record envelope: 36-byte header, stored payload, 4-byte CRC32C trailer. */
#define TA_REC_VERSION 1
#define TA_REC_HDR_LEN 36
#define TA_REC_TRAILER_LEN 4
#define TA_REC_OVERHEAD (TA_REC_HDR_LEN + TA_REC_TRAILER_LEN)
#define TA_REC_MAX_PAYLOAD (16u << 20)
/* The write buffer goes to the kernel once it holds this much (a write error is seen there). */
#define TA_STORE_FLUSH_BYTES (1u << 20)
/*
 * The most one write of the writer can leave torn: a buffer just short of
 * TA_STORE_FLUSH_BYTES plus the largest record (a batch stops at the same
 * mark). A longer tail is damage, not a torn write.
 */
#define TA_TORN_TAIL_MAX ((uint64_t)TA_STORE_FLUSH_BYTES + TA_REC_OVERHEAD + TA_REC_MAX_PAYLOAD)
#define TA_RECF_ZSTD 0x01u
#define TA_RECF_KNOWN TA_RECF_ZSTD

struct ta_rec_header {
	uint32_t len;       /* whole record, header and trailer included */
	uint8_t version;
	uint8_t flags;
	uint16_t type;
	uint64_t index;
	uint64_t time_ns;
	uint64_t session;
	uint32_t raw_len;   /* payload length after decompression */
};

static inline void ta_put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void ta_put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void ta_put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline uint16_t ta_get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ta_get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ta_get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the log format helpers assume a little-endian host; add byte swaps"
#endif

void ta_seg_header_encode(uint8_t out[TA_SEG_HDR_LEN], const struct ta_seg_header *h);
/* 0, or -EBADMSG with *why set to a static description. */
int ta_seg_header_decode(const uint8_t *p, size_t avail, struct ta_seg_header *h,
			 const char **why);

void ta_rec_header_encode(uint8_t *p, const struct ta_rec_header *h);
void ta_rec_header_decode(const uint8_t *p, struct ta_rec_header *h);

/* File names inside the log directory: store/log_dir.h (public). */

#endif

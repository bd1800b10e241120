/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Record types of the ttyaudit log and the payloads of the store's own
 * records. The on-disk envelope around every payload (length, version, flags,
 * type, index, time, session, CRC) is described in docs/log-format.md.
 *
 * All integers are little-endian. Payload structs are fixed-width with
 * explicit padding; readers must check a payload's length against the struct
 * (and the counts inside it) before use: lengths are claims.
 */
#ifndef TTYAUDIT_RECORD_H
#define TTYAUDIT_RECORD_H

#include <stdint.h>

enum ta_record_type {
	/* 0x0001-0x00FF: written by the store itself (agent/store). */
	TA_REC_SEGMENT_START = 0x0001, /* first record of every segment */
	TA_REC_RECOVERY = 0x0002,      /* previous segment ended in a torn tail */
	TA_REC_RETENTION = 0x0003,     /* old segments deleted by retention */
	TA_REC_GAP = 0x0004,           /* records dropped (disk full, ...) */
	TA_REC_STORE_LAST = 0x00FF,

	/* 0x0100-: written by the daemon (agent/daemon). */
	/* --- daemon record types go here --- */
};

/* Payload version of the store's own records. */
#define TA_STORE_PAYLOAD_VERSION 1

/*
 * TA_REC_SEGMENT_START: repeats the segment header inside the Merkle tree
 * (so the header is authenticated) and carries the compact range of the tree
 * at first_index: popcount(first_index) subtree hashes, largest (leftmost)
 * first. With it a verifier can resume the tree at any segment.
 */
struct ta_rec_segment_start {
	uint32_t version;      /* TA_STORE_PAYLOAD_VERSION */
	uint32_t n_hashes;     /* == popcount(first_index) */
	uint64_t seq;          /* segment sequence number */
	uint64_t first_index;  /* index of this record */
	uint64_t prev_seq;     /* UINT64_MAX if this is the first segment */
	uint64_t prev_end;     /* valid bytes of segment prev_seq (0 if none) */
	uint64_t created_ns;   /* CLOCK_REALTIME when the segment was created */
	/* followed by n_hashes * 32 bytes */
};
_Static_assert(sizeof(struct ta_rec_segment_start) == 48, "segment_start layout");

enum ta_torn_reason {
	TA_TORN_NONE = 0,
	TA_TORN_INCOMPLETE = 1,  /* last record runs past the end of the file */
	TA_TORN_CHECKSUM = 2,    /* record fails its CRC */
	TA_TORN_ZEROES = 3,      /* zero bytes where a record should start */
	TA_TORN_BAD_HEADER = 4,  /* record length field invalid (garbage) */
	TA_BAD_RECORD = 5,       /* CRC valid but contents invalid (index, version,
				  * flags): corruption, never a torn write */
};

/*
 * TA_REC_RECOVERY: the previous segment (seq) has torn_bytes bytes from
 * torn_offset on that belong to no record. They were never acknowledged
 * durable; append-only files cannot be truncated, so the bytes stay.
 */
struct ta_rec_recovery {
	uint32_t version;
	uint32_t reason;         /* enum ta_torn_reason */
	uint64_t seq;            /* torn segment */
	uint64_t torn_offset;    /* == prev_end of the next segment's header */
	uint64_t torn_bytes;     /* file size - torn_offset when recovered */
	uint64_t next_index;     /* records kept: indexes < next_index */
};
_Static_assert(sizeof(struct ta_rec_recovery) == 40, "recovery layout");

enum ta_retention_reason {
	TA_RETAIN_AGE = 1u << 0,
	TA_RETAIN_SIZE = 1u << 1,
};

/*
 * TA_REC_RETENTION: segments first_seq..last_seq (records first_index ..
 * end_index - 1) were deleted. Carries the compact range at end_index
 * (popcount(end_index) hashes) and the last checkpoint note that the deleted
 * checkpoint files held (note_len bytes, may be 0), so that the remaining log
 * still verifies and proofs for records >= end_index still work.
 */
struct ta_rec_retention {
	uint32_t version;
	uint32_t reason;         /* enum ta_retention_reason bits */
	uint64_t first_seq;
	uint64_t last_seq;
	uint64_t first_index;
	uint64_t end_index;
	uint64_t bytes;          /* bytes of segment and checkpoint files deleted */
	uint32_t n_hashes;       /* == popcount(end_index) */
	uint32_t note_len;
	/* followed by n_hashes * 32 bytes, then note_len bytes of note text */
};
_Static_assert(sizeof(struct ta_rec_retention) == 56, "retention layout");

enum ta_gap_reason {
	TA_GAP_DISK_FULL = 1,    /* the store refused appends with -ENOSPC */
	TA_GAP_OTHER = 2,        /* the caller dropped records for another reason */
};

/* TA_REC_GAP: the writer dropped records between since_ns and until_ns. */
struct ta_rec_gap {
	uint32_t version;
	uint32_t reason;         /* enum ta_gap_reason */
	uint64_t dropped_records;
	uint64_t dropped_bytes;
	uint64_t since_ns;       /* CLOCK_REALTIME of the first drop */
	uint64_t until_ns;       /* CLOCK_REALTIME when appends worked again */
};
_Static_assert(sizeof(struct ta_rec_gap) == 40, "gap layout");

#endif /* TTYAUDIT_RECORD_H */

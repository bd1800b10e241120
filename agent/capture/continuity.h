/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checks that the chunks of each call join up: offset 0 first, each next
 * chunk where the last one ended, until total_len. A break means records were
 * lost (the BPF side counts those); this says where, and in whose session.
 *
 * Why no false holes: a call's chunks are reserved in order by one program
 * run on one CPU, so they reach the ring in order; calls of other CPUs may
 * come in between, so every open call has its own entry (found by call id,
 * never shared by two calls). A redaction marker stands for its whole call
 * (it has no payload): it completes the call. A call whose tail never came
 * is reported against its own owner, not against whoever comes next: when
 * the ring has moved on by TA_CONT_STALE_NS past it (a program run lasts
 * microseconds), or when the table is full.
 */
#ifndef TA_CAPTURE_CONTINUITY_H
#define TA_CAPTURE_CONTINUITY_H

#include <stdint.h>

#include "ttyaudit/event.h"

#define TA_CONT_SLOTS 256
#define TA_CONT_STALE_NS 1000000000ULL

/* Whose data a call is: the session a loss in it is filed under. */
struct ta_cont_owner {
	uint32_t ses, auid;
	char tty[TA_TTY_NAME_LEN];
};

struct ta_cont_chunk {
	uint64_t call_id, offset, len, total_len;
	uint64_t ts_ns;           /* the record's boot time */
	int marker;               /* payload-less record standing for the whole call */
	struct ta_cont_owner owner;
};

struct ta_cont_slot {
	uint64_t call_id;         /* 0: free */
	uint64_t next_offset;
	uint64_t total_len;
	uint64_t ts_ns;
	struct ta_cont_owner owner;
};

struct ta_continuity {
	struct ta_cont_slot slots[TA_CONT_SLOTS];
	unsigned open;            /* slots in use */
	uint64_t latest_ts;       /* newest record time seen */
	uint64_t swept_ts;        /* latest_ts at the last sweep for stale calls */
	uint64_t calls_complete;
	uint64_t bytes_missing;   /* sum of every hole found */
};

struct ta_cont_result {
	uint64_t missing_before;  /* bytes of this call lost before this chunk */
	uint64_t evicted_missing; /* tail bytes of another call that never came ... */
	struct ta_cont_owner evicted_owner; /* ... and whose they were */
	int complete;             /* this chunk ended its call */
};

void ta_continuity_init(struct ta_continuity *c);
void ta_continuity_feed(struct ta_continuity *c, const struct ta_cont_chunk *ch,
			struct ta_cont_result *res);
/*
 * Calls left open for TA_CONT_STALE_NS of ring time behind the newest record
 * (all = 1: every open call, at shutdown): each is reported once through
 * `lost` with the bytes its tail lacks, and forgotten.
 */
typedef void (*ta_cont_lost_fn)(void *ctx, const struct ta_cont_owner *owner, uint64_t bytes);
void ta_continuity_expire(struct ta_continuity *c, int all, ta_cont_lost_fn lost, void *ctx);
/* Bytes still owed by calls not yet complete (e.g. at shutdown). */
uint64_t ta_continuity_pending(const struct ta_continuity *c);

#endif

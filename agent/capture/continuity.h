/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Checks that the chunks of each call join up: offset 0 first, each next
 * chunk where the last one ended, until total_len. A break means records were
 * lost (the BPF side counts those); this says where.
 */
#ifndef TA_CAPTURE_CONTINUITY_H
#define TA_CAPTURE_CONTINUITY_H

#include <stdint.h>

#define TA_CONT_SLOTS 256

struct ta_cont_slot {
	uint64_t call_id;
	uint64_t next_offset;
	uint64_t total_len;
};

struct ta_continuity {
	struct ta_cont_slot slots[TA_CONT_SLOTS];
	uint64_t calls_complete;
	uint64_t bytes_missing;   /* sum of every hole found */
};

struct ta_cont_result {
	uint64_t missing_before;  /* bytes of this call lost before this chunk */
	uint64_t evicted_missing; /* tail bytes of another call that never came */
	int complete;             /* this chunk ended its call */
};

void ta_continuity_init(struct ta_continuity *c);
void ta_continuity_feed(struct ta_continuity *c, uint64_t call_id, uint64_t offset,
			uint64_t len, uint64_t total_len, struct ta_cont_result *res);
/* Bytes still owed by calls not yet complete (e.g. at shutdown). */
uint64_t ta_continuity_pending(const struct ta_continuity *c);

#endif

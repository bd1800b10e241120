/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's account of the kernel's loss counters, turned into deltas for
 * gap records. The kernel counts every loss twice: in a per-CPU total, then
 * under its (session, login uid, reason) in an LRU table of 4096 entries.
 * Each collection reports what each key gained since the last; what the total
 * gained beyond that (an entry evicted before it was read, a key beyond those
 * followed) is reported as an unattributed loss with no session, so that no
 * loss the kernel counted is missing from the log. The two counts are not read
 * at one instant: an excess is reported only when the next collection still
 * sees it (a key's counter that lagged the total has caught up by then).
 */
#ifndef TA_CAPTURE_DROP_LEDGER_H
#define TA_CAPTURE_DROP_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/event.h"

/* Keys followed at once; losses of further keys are reported unattributed. */
#define TA_DROP_LEDGER_KEYS 4096

struct ta_drop_delta {
	uint32_t ses;
	uint32_t auid;
	uint32_t reason;      /* enum ta_drop_reason */
	uint64_t events;
	uint64_t bytes;
};
typedef void (*ta_drop_fn)(void *ctx, const struct ta_drop_delta *d);

struct ta_drop_ledger_key {
	struct ta_session_drop_key key;
	struct ta_drop_counters seen;
	uint64_t round; /* the last collection that found the key in the table */
};

struct ta_drop_ledger {
	struct ta_drop_ledger_key *keys;
	size_t n, cap;
	uint64_t round;
	struct ta_drop_counters total;        /* the kernel's total at the last collection */
	struct ta_drop_counters attributed;   /* reported under a key */
	struct ta_drop_counters unattributed; /* reported without one */
	struct ta_drop_counters held;         /* the excess the last collection saw */
};

/*
 * A collection: begin with the kernel's total (its gain since the last one in
 * *gain, ses/auid -1), one call per key the table holds with its counters,
 * then end. fn gets one delta per key that gained and, at the end, the
 * unattributed one. key returns 0 or -ENOMEM (the key is then not followed).
 */
void ta_drop_ledger_begin(struct ta_drop_ledger *l, struct ta_drop_counters total,
			  struct ta_drop_delta *gain);
int ta_drop_ledger_key(struct ta_drop_ledger *l, const struct ta_session_drop_key *k,
		       struct ta_drop_counters now, ta_drop_fn fn, void *ctx);
void ta_drop_ledger_end(struct ta_drop_ledger *l, ta_drop_fn fn, void *ctx);
void ta_drop_ledger_free(struct ta_drop_ledger *l);

#endif

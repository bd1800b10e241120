// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Chunk continuity: holes inside a call, lost tails filed under their own
 * session, interleaved calls, redaction markers (never a loss).
 */
#include "capture/continuity.h"
#include "check.h"

#include <string.h>

struct lost_log {
	uint32_t ses[8];
	uint64_t bytes[8];
	int n;
};

static void on_lost(void *ctx, const struct ta_cont_owner *o, uint64_t bytes)
{
	struct lost_log *l = ctx;

	if (l->n < 8) {
		l->ses[l->n] = o->ses;
		l->bytes[l->n++] = bytes;
	}
}

static void feed(struct ta_continuity *c, uint64_t call, uint64_t off, uint64_t len,
		 uint64_t total, uint32_t ses, uint64_t ts, int marker, struct ta_cont_result *r)
{
	struct ta_cont_chunk ch = { .call_id = call, .offset = off, .len = len, .total_len = total,
				    .ts_ns = ts, .marker = marker };

	ch.owner.ses = ses;
	strcpy(ch.owner.tty, "pts/1");
	ta_continuity_feed(c, &ch, r);
}

int main(void)
{
	struct ta_continuity c;
	struct ta_cont_result r;
	struct lost_log lost = { 0 };

	ta_continuity_init(&c);
	/* A whole call in three chunks. */
	feed(&c, 1, 0, 4096, 10000, 1, 1, 0, &r);
	CHECK_EQ_INT(r.missing_before, 0);
	CHECK_EQ_INT(r.complete, 0);
	feed(&c, 1, 4096, 4096, 10000, 1, 1, 0, &r);
	feed(&c, 1, 8192, 1808, 10000, 1, 1, 0, &r);
	CHECK_EQ_INT(r.complete, 1);
	CHECK_EQ_INT(c.bytes_missing, 0);
	CHECK_EQ_INT(c.open, 0);

	/* A hole in the middle. */
	feed(&c, 2, 0, 100, 300, 1, 2, 0, &r);
	feed(&c, 2, 200, 100, 300, 1, 2, 0, &r);
	CHECK_EQ_INT(r.missing_before, 100);
	CHECK_EQ_INT(r.complete, 1);

	/* First chunk lost. */
	feed(&c, 3, 50, 50, 100, 1, 3, 0, &r);
	CHECK_EQ_INT(r.missing_before, 50);
	CHECK_EQ_INT(c.bytes_missing, 150);

	/* Redaction markers (no payload) stand for their whole call: never a hole, never open. */
	for (uint64_t id = 100; id < 400; id++) {
		feed(&c, id, 0, 0, 1, 7, 4, 1, &r);
		CHECK_EQ_INT(r.complete, 1);
		CHECK_EQ_INT(r.evicted_missing, 0);
	}
	CHECK_EQ_INT(c.open, 0);
	CHECK_EQ_INT(c.bytes_missing, 150);

	/* Two calls interleaved (other CPUs): no false holes, even on one hash slot. */
	for (uint64_t a = 1000; a < 1300; a++) {
		uint64_t b = a + (1ull << 48);

		feed(&c, a, 0, 10, 20, 1, 5, 0, &r);
		feed(&c, b, 0, 10, 20, 2, 5, 0, &r);
		CHECK_EQ_INT(r.evicted_missing, 0);
		feed(&c, a, 10, 10, 20, 1, 5, 0, &r);
		CHECK_EQ_INT(r.missing_before, 0);
		CHECK_EQ_INT(r.complete, 1);
		feed(&c, b, 10, 10, 20, 2, 5, 0, &r);
		CHECK_EQ_INT(r.missing_before, 0);
		CHECK_EQ_INT(r.complete, 1);
	}
	CHECK_EQ_INT(c.bytes_missing, 150);

	/* A tail that never comes is owed, then filed under its own session once the ring moves on. */
	feed(&c, 20, 0, 10, 30, 9, 10, 0, &r);
	CHECK_EQ_INT(ta_continuity_pending(&c), 20);
	feed(&c, 21, 0, 5, 5, 4, 10 + TA_CONT_STALE_NS / 2, 0, &r);
	ta_continuity_expire(&c, 0, on_lost, &lost);
	CHECK_EQ_INT(lost.n, 0);
	feed(&c, 22, 0, 5, 5, 4, 11 + TA_CONT_STALE_NS, 0, &r);
	CHECK_EQ_INT(r.evicted_missing, 0);
	ta_continuity_expire(&c, 0, on_lost, &lost);
	CHECK_EQ_INT(lost.n, 1);
	CHECK_EQ_INT(lost.ses[0], 9);
	CHECK_EQ_INT(lost.bytes[0], 20);
	CHECK_EQ_INT(ta_continuity_pending(&c), 0);

	/* A full table gives up its oldest call, named as such. */
	for (uint64_t id = 5000; id < 5000 + TA_CONT_SLOTS; id++)
		feed(&c, id, 0, 1, 3, id == 5000 ? 42 : 43, id, 0, &r);
	feed(&c, 9999, 0, 1, 3, 44, 9999, 0, &r);
	CHECK_EQ_INT(r.evicted_missing, 2);
	CHECK_EQ_INT(r.evicted_owner.ses, 42);
	ta_continuity_expire(&c, 1, on_lost, &lost);
	CHECK_EQ_INT(c.open, 0);
	CHECK_EQ_INT(lost.n, 8);
	return check_result();
}

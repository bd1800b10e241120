// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * capture/drop_ledger.c: every loss the kernel's total counts reaches a gap
 * record, under its session or, when the per-session table lost it (LRU
 * eviction, more keys than followed), unattributed; none twice when the two
 * counts are read a moment apart.
 */
#include "capture/capture.h"
#include "capture/drop_ledger.h"
#include "check.h"

#include <stdlib.h>

struct sums {
	uint64_t events, bytes, un_events, un_bytes, calls, un_calls;
	int bad_unattributed; /* an unattributed delta with a session or the wrong reason */
};

static void on_delta(void *ctx, const struct ta_drop_delta *d)
{
	struct sums *s = ctx;
	s->calls++;
	s->events += d->events;
	s->bytes += d->bytes;
	if (d->reason == TA_DROP_UNATTRIBUTED) {
		s->un_calls++;
		s->un_events += d->events;
		s->un_bytes += d->bytes;
		if (d->ses != (uint32_t)-1 || d->auid != (uint32_t)-1)
			s->bad_unattributed = 1;
	}
}

static struct ta_session_drop_key key(uint32_t ses)
{
	return (struct ta_session_drop_key){ .ses = ses, .auid = 1000 + ses,
					     .reason = TA_DROP_RING_FULL };
}

static struct ta_drop_counters cnt(uint64_t events, uint64_t bytes)
{
	return (struct ta_drop_counters){ events, bytes };
}

/* One collection: the total, then the keys the table holds. */
static void collect(struct ta_drop_ledger *l, struct ta_drop_counters total, const uint32_t *ses,
		    const struct ta_drop_counters *now, size_t n, struct sums *s)
{
	struct ta_drop_delta gain;
	ta_drop_ledger_begin(l, total, &gain);
	for (size_t i = 0; i < n; i++) {
		struct ta_session_drop_key k = key(ses[i]);
		ta_drop_ledger_key(l, &k, now[i], on_delta, s);
	}
	ta_drop_ledger_end(l, on_delta, s);
}

int main(void)
{
	CHECK_EQ_STR(ta_drop_reason_name(TA_DROP_UNATTRIBUTED), "unattributed");

	/* Every loss under its session: nothing unattributed. */
	{
		struct ta_drop_ledger l = { 0 };
		struct sums s = { 0 };
		uint32_t ses[] = { 1, 2 };
		struct ta_drop_counters now[] = { cnt(3, 30), cnt(7, 70) };
		collect(&l, cnt(10, 100), ses, now, 2, &s);
		collect(&l, cnt(10, 100), ses, now, 2, &s);
		CHECK_EQ_INT(s.events, 10);
		CHECK_EQ_INT(s.bytes, 100);
		CHECK_EQ_INT(s.un_calls, 0);
		ta_drop_ledger_free(&l);
	}

	/* Read between the total and the session's counter: reported once, under the session. */
	{
		struct ta_drop_ledger l = { 0 };
		struct sums s = { 0 };
		uint32_t ses[] = { 1 };
		struct ta_drop_counters lag[] = { cnt(4, 40) }, caught[] = { cnt(5, 52) };
		collect(&l, cnt(5, 52), ses, lag, 1, &s);
		CHECK_EQ_INT(s.events, 4);
		collect(&l, cnt(5, 52), ses, caught, 1, &s);
		collect(&l, cnt(5, 52), ses, caught, 1, &s);
		CHECK_EQ_INT(s.events, 5);
		CHECK_EQ_INT(s.bytes, 52);
		CHECK_EQ_INT(s.un_calls, 0);
		ta_drop_ledger_free(&l);
	}

	/*
	 * An entry evicted before its last losses were read: they are reported
	 * unattributed (a second collection still sees them), the new entry of
	 * another session under it.
	 */
	{
		struct ta_drop_ledger l = { 0 };
		struct sums s = { 0 };
		uint32_t a[] = { 1 }, c[] = { 3 };
		struct ta_drop_counters a_now[] = { cnt(3, 30) }, c_now[] = { cnt(5, 50) };
		collect(&l, cnt(3, 30), a, a_now, 1, &s);
		/* session 1 lost 2 more, was evicted; session 3 lost 5 */
		collect(&l, cnt(10, 100), c, c_now, 1, &s);
		CHECK_EQ_INT(s.events, 8);
		CHECK_EQ_INT(s.un_calls, 0);
		collect(&l, cnt(10, 100), c, c_now, 1, &s);
		CHECK_EQ_INT(s.events, 10);
		CHECK_EQ_INT(s.bytes, 100);
		CHECK_EQ_INT(s.un_events, 2);
		CHECK_EQ_INT(s.un_bytes, 20);
		CHECK(!s.bad_unattributed);
		/* and never again */
		collect(&l, cnt(10, 100), c, c_now, 1, &s);
		CHECK_EQ_INT(s.events, 10);
		ta_drop_ledger_free(&l);
	}

	/* An evicted key that comes back restarts at zero. */
	{
		struct ta_drop_ledger l = { 0 };
		struct sums s = { 0 };
		uint32_t a[] = { 1 };
		struct ta_drop_counters first[] = { cnt(6, 60) }, again[] = { cnt(2, 20) };
		collect(&l, cnt(6, 60), a, first, 1, &s);
		collect(&l, cnt(6, 60), NULL, NULL, 0, &s); /* evicted */
		collect(&l, cnt(8, 80), a, again, 1, &s);
		collect(&l, cnt(8, 80), a, again, 1, &s);
		CHECK_EQ_INT(s.events, 8);
		CHECK_EQ_INT(s.bytes, 80);
		CHECK_EQ_INT(s.un_calls, 0);
		ta_drop_ledger_free(&l);
	}

	/* More sessions losing data than the ledger follows: the rest unattributed, in full. */
	{
		enum { N = 5000 };
		struct ta_drop_ledger l = { 0 };
		struct sums s = { 0 };
		uint32_t *ses = malloc(N * sizeof(*ses));
		struct ta_drop_counters *now = malloc(N * sizeof(*now));
		CHECK(ses && now);
		if (ses && now) {
			for (uint32_t i = 0; i < N; i++) {
				ses[i] = i + 1;
				now[i] = cnt(1, 64);
			}
			collect(&l, cnt(N, 64 * N), ses, now, N, &s);
			CHECK_EQ_INT(s.events, TA_DROP_LEDGER_KEYS);
			collect(&l, cnt(N, 64 * N), ses, now, N, &s);
			CHECK_EQ_INT(s.events, N);
			CHECK_EQ_INT(s.bytes, 64 * N);
			CHECK_EQ_INT(s.un_events, N - TA_DROP_LEDGER_KEYS);
			CHECK_EQ_INT(s.un_calls, 1);
			CHECK(!s.bad_unattributed);
		}
		free(ses);
		free(now);
		ta_drop_ledger_free(&l);
	}
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's account of the kernel's loss counters (drop_ledger.h). */
#include "capture/drop_ledger.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

void ta_drop_ledger_begin(struct ta_drop_ledger *l, struct ta_drop_counters total,
			  struct ta_drop_delta *gain)
{
	gain->ses = gain->auid = (uint32_t)-1;
	gain->reason = TA_DROP_RING_FULL;
	gain->events = total.events - l->total.events;
	gain->bytes = total.bytes - l->total.bytes;
	l->total = total;
	l->round++;
}

static int key_cmp(const struct ta_session_drop_key *a, const struct ta_session_drop_key *b)
{
	if (a->ses != b->ses)
		return a->ses < b->ses ? -1 : 1;
	if (a->auid != b->auid)
		return a->auid < b->auid ? -1 : 1;
	return a->reason < b->reason ? -1 : a->reason > b->reason;
}

/*
 * The key's entry, made if new: kept sorted and found by bisection, so that a
 * collection of thousands of keys (a user churning ptys) stays short on the
 * daemon's drain thread.
 */
static struct ta_drop_ledger_key *find(struct ta_drop_ledger *l, const struct ta_session_drop_key *k)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&l->keys[mid].key, k);
		if (!c)
			return &l->keys[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (l->n >= TA_DROP_LEDGER_KEYS || ta_array_grow((void **)&l->keys, &l->cap, l->n + 1,
							  sizeof(*l->keys)))
		return NULL;
	memmove(&l->keys[lo + 1], &l->keys[lo], (l->n - lo) * sizeof(l->keys[0]));
	memset(&l->keys[lo], 0, sizeof(l->keys[0]));
	l->keys[lo].key = *k;
	l->n++;
	return &l->keys[lo];
}

int ta_drop_ledger_key(struct ta_drop_ledger *l, const struct ta_session_drop_key *k,
		       struct ta_drop_counters now, ta_drop_fn fn, void *ctx)
{
	struct ta_drop_ledger_key *s = find(l, k);

	if (!s)
		return -ENOMEM; /* its losses stay in the excess, reported unattributed */
	s->round = l->round;
	/* An entry evicted from the LRU table and created again restarts at zero. */
	if (now.events < s->seen.events || now.bytes < s->seen.bytes)
		memset(&s->seen, 0, sizeof(s->seen));
	if (now.events == s->seen.events && now.bytes == s->seen.bytes)
		return 0;
	struct ta_drop_delta d = {
		.ses = k->ses, .auid = k->auid, .reason = k->reason,
		.events = now.events - s->seen.events, .bytes = now.bytes - s->seen.bytes,
	};
	s->seen = now;
	l->attributed.events += d.events;
	l->attributed.bytes += d.bytes;
	if (fn)
		fn(ctx, &d);
	return 0;
}

static uint64_t excess(uint64_t total, uint64_t attributed, uint64_t reported)
{
	return total > attributed + reported ? total - attributed - reported : 0;
}

void ta_drop_ledger_end(struct ta_drop_ledger *l, ta_drop_fn fn, void *ctx)
{
	/* Keys the table no longer holds were evicted: a new entry restarts at zero. */
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->keys[i].round == l->round)
			l->keys[kept++] = l->keys[i];
	l->n = kept;

	uint64_t ev = excess(l->total.events, l->attributed.events, l->unattributed.events);
	uint64_t by = excess(l->total.bytes, l->attributed.bytes, l->unattributed.bytes);
	struct ta_drop_delta d = {
		.ses = (uint32_t)-1, .auid = (uint32_t)-1, .reason = TA_DROP_UNATTRIBUTED,
		.events = ev < l->held.events ? ev : l->held.events,
		.bytes = by < l->held.bytes ? by : l->held.bytes,
	};
	l->held.events = ev - d.events;
	l->held.bytes = by - d.bytes;
	if (!d.events && !d.bytes)
		return;
	l->unattributed.events += d.events;
	l->unattributed.bytes += d.bytes;
	if (fn)
		fn(ctx, &d);
}

void ta_drop_ledger_free(struct ta_drop_ledger *l)
{
	free(l->keys);
	memset(l, 0, sizeof(*l));
}

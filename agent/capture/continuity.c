// SPDX-License-Identifier: GPL-2.0-or-later
#include "capture/continuity.h"

#include <string.h>

void ta_continuity_init(struct ta_continuity *c)
{
	memset(c, 0, sizeof(*c));
}

static unsigned slot_of(uint64_t call_id)
{
	/* call ids are (cpu << 48 | counter): mix both halves. */
	uint64_t h = call_id * 0x9e3779b97f4a7c15ULL;

	return (unsigned)(h >> 56) % TA_CONT_SLOTS;
}

static void release(struct ta_continuity *c, struct ta_cont_slot *s)
{
	memset(s, 0, sizeof(*s));
	c->open--;
}

/* The open entry of call_id, or NULL. */
static struct ta_cont_slot *find(struct ta_continuity *c, uint64_t call_id)
{
	unsigned h = slot_of(call_id);

	if (!c->open)
		return NULL;
	for (unsigned i = 0; i < TA_CONT_SLOTS; i++) {
		struct ta_cont_slot *s = &c->slots[(h + i) % TA_CONT_SLOTS];

		if (s->call_id == call_id)
			return s;
	}
	return NULL;
}

/* A free entry for a new call; when none is, the oldest open call gives up its own. */
static struct ta_cont_slot *claim(struct ta_continuity *c, uint64_t call_id,
				      struct ta_cont_result *res)
{
	unsigned h = slot_of(call_id);
	struct ta_cont_slot *oldest = NULL;

	for (unsigned i = 0; i < TA_CONT_SLOTS; i++) {
		struct ta_cont_slot *s = &c->slots[(h + i) % TA_CONT_SLOTS];

		if (!s->call_id)
			return s;
		if (!oldest || s->ts_ns < oldest->ts_ns)
			oldest = s;
	}
	res->evicted_missing = oldest->total_len - oldest->next_offset;
	res->evicted_owner = oldest->owner;
	c->bytes_missing += res->evicted_missing;
	release(c, oldest);
	return oldest;
}

void ta_continuity_feed(struct ta_continuity *c, const struct ta_cont_chunk *ch,
			struct ta_cont_result *res)
{
	struct ta_cont_slot *s;
	uint64_t next, end = ch->offset + ch->len;

	memset(res, 0, sizeof(*res));
	if (ch->ts_ns > c->latest_ts)
		c->latest_ts = ch->ts_ns;
	/* Most calls are one chunk (or one marker): whole at once, never in the table. */
	if (ch->offset == 0 && (end >= ch->total_len || ch->marker)) {
		res->complete = 1;
		c->calls_complete++;
		return;
	}
	s = find(c, ch->call_id);
	next = s ? s->next_offset : 0;
	if (ch->marker)
		end = ch->total_len;
	if (ch->offset > next) {
		res->missing_before = ch->offset - next;
		c->bytes_missing += res->missing_before;
	}
	if (end < next)
		end = next;
	if (end >= ch->total_len) {
		res->complete = 1;
		c->calls_complete++;
		if (s)
			release(c, s);
		return;
	}
	if (!s) {
		s = claim(c, ch->call_id, res);
		s->call_id = ch->call_id;
		s->total_len = ch->total_len;
		s->ts_ns = ch->ts_ns;
		s->owner = ch->owner;
		c->open++;
	}
	s->next_offset = end;
}

void ta_continuity_expire(struct ta_continuity *c, int all, ta_cont_lost_fn lost, void *ctx)
{
	/* A sweep per tenth of the stale time is enough: the bound is what it is for. */
	if (!all && c->latest_ts < c->swept_ts + TA_CONT_STALE_NS / 10)
		return;
	c->swept_ts = c->latest_ts;
	for (unsigned i = 0; c->open && i < TA_CONT_SLOTS; i++) {
		struct ta_cont_slot *s = &c->slots[i];

		if (!s->call_id)
			continue;
		if (!all && s->ts_ns + TA_CONT_STALE_NS > c->latest_ts)
			continue;
		c->bytes_missing += s->total_len - s->next_offset;
		lost(ctx, &s->owner, s->total_len - s->next_offset);
		release(c, s);
	}
}

uint64_t ta_continuity_pending(const struct ta_continuity *c)
{
	uint64_t owed = 0;

	for (unsigned i = 0; i < TA_CONT_SLOTS; i++)
		if (c->slots[i].call_id)
			owed += c->slots[i].total_len - c->slots[i].next_offset;
	return owed;
}

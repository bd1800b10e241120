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

void ta_continuity_feed(struct ta_continuity *c, uint64_t call_id, uint64_t offset,
			uint64_t len, uint64_t total_len, struct ta_cont_result *res)
{
	struct ta_cont_slot *s = &c->slots[slot_of(call_id)];

	memset(res, 0, sizeof(*res));
	if (s->call_id != call_id) {
		/* A different call still open here never finished: its tail was lost. */
		if (s->call_id && s->next_offset < s->total_len) {
			res->evicted_missing = s->total_len - s->next_offset;
			c->bytes_missing += res->evicted_missing;
		}
		s->call_id = call_id;
		s->next_offset = 0;
		s->total_len = total_len;
	}
	if (offset > s->next_offset) {
		res->missing_before = offset - s->next_offset;
		c->bytes_missing += res->missing_before;
	}
	if (offset + len > s->next_offset)
		s->next_offset = offset + len;
	if (s->next_offset >= s->total_len) {
		res->complete = 1;
		c->calls_complete++;
		s->call_id = 0;
		s->next_offset = s->total_len = 0;
	}
}

uint64_t ta_continuity_pending(const struct ta_continuity *c)
{
	uint64_t owed = 0;

	for (unsigned i = 0; i < TA_CONT_SLOTS; i++)
		if (c->slots[i].call_id && c->slots[i].next_offset < c->slots[i].total_len)
			owed += c->slots[i].total_len - c->slots[i].next_offset;
	return owed;
}

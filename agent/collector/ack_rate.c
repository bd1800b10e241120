// SPDX-License-Identifier: GPL-2.0-or-later
#include "collector/ack_rate.h"
#include "base/str_hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slots looked at per host: a full neighbourhood gives its oldest slot up. */
#define PROBES 8

static void forget(struct ta_ack_rate_slot *s)
{
	free(s->last);
	memset(s, 0, sizeof(*s));
}

bool ta_ack_rate_ask(struct ta_ack_rate *r, const char *host, uint64_t now_s,
		     struct ta_ack_rate_slot **slot)
{
	uint32_t start = ta_str_hash(host);
	struct ta_ack_rate_slot *s = NULL, *oldest = NULL;

	for (uint32_t k = 0; k < PROBES && !s; k++) {
		struct ta_ack_rate_slot *c = &r->slot[(start + k) % TA_ACK_RATE_SLOTS];

		if (!strcmp(c->host, host))
			s = c;
		else if (!oldest || c->second < oldest->second)
			oldest = c;
	}
	if (!s) {
		s = oldest;
		forget(s);
		snprintf(s->host, sizeof(s->host), "%s", host);
		s->second = now_s;
	}
	*slot = s;
	if (s->second != now_s) {
		s->second = now_s;
		s->asked = 0;
	}
	/* Only an answer of this second: one from before says nothing of now. */
	if (s->asked >= TA_ACK_RATE_PER_S && s->have_last && s->last_second == now_s) {
		r->from_last++;
		return false;
	}
	s->asked++;
	return true;
}

int ta_ack_rate_remember(struct ta_ack_rate_slot *slot, const char *answer, size_t len)
{
	char *copy = NULL;

	if (len && !(copy = malloc(len))) {
		slot->have_last = false;
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, answer, len);
	free(slot->last);
	slot->last = copy;
	slot->last_len = len;
	slot->last_second = slot->second;
	slot->have_last = true;
	return 0;
}

void ta_ack_rate_free(struct ta_ack_rate *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < TA_ACK_RATE_SLOTS; i++)
		free(r->slot[i].last);
	free(r);
}

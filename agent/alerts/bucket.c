// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rate limits per (rule, person). One bucket per rule let one user's hits
 * (a harmless copy of /bin/true named sudo, run in a loop) spend everyone's
 * tokens, so a second user's real `su` went unreported. The table is a
 * fixed pool with chained hashing: a bucket that is full again and owes no
 * summary is the same as none, so it is reused when the pool runs out.
 */
#include "alerts/rules_internal.h"

#include <string.h>

uint64_t ta_alert_person(uint32_t ses, uint32_t auid)
{
	bool login = ses == UINT32_MAX || !(ses & TA_SES_NO_LOGIN);

	if (auid != UINT32_MAX && login)
		return auid;
	/* no login: each session is someone of its own */
	return (1ull << 32) | ses;
}

static uint32_t hash(uint16_t rule, uint64_t who)
{
	uint64_t k = (who ^ ((uint64_t)rule << 40)) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(k >> 32) % TA_ALERT_BUCKET_HASH;
}

static void refill(struct ta_alert_bucket *b, uint32_t burst, uint32_t period_s, uint64_t now_ns)
{
	double per_ns = (double)burst / ((double)period_s * 1e9);

	if (!b->refill_ns) {
		b->tokens = burst;
		b->refill_ns = now_ns;
		return;
	}
	if (now_ns <= b->refill_ns)
		return;
	b->tokens += (double)(now_ns - b->refill_ns) * per_ns;
	if (b->tokens > burst)
		b->tokens = burst;
	b->refill_ns = now_ns;
}

bool ta_alert_bucket_take(struct ta_alert_bucket *b, const struct ta_alert_rule *r,
			  uint64_t now_ns)
{
	refill(b, r->burst, r->period_s, now_ns);
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

void ta_alert_buckets_init(struct ta_alert_buckets *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < TA_ALERT_BUCKET_HASH; i++)
		t->head[i] = -1;
	for (int i = 0; i < TA_ALERT_BUCKETS; i++)
		t->slot[i].next = i + 1 < TA_ALERT_BUCKETS ? i + 1 : -1;
	t->free = 0;
}

/* Takes slot i out of its chain and puts it on the free list. */
static void release(struct ta_alert_buckets *t, int32_t i)
{
	struct ta_alert_bucket_slot *s = &t->slot[i];
	int32_t *p = &t->head[hash(s->rule, s->who)];

	while (*p != i)
		p = &t->slot[*p].next;
	*p = s->next;
	memset(s, 0, sizeof(*s));
	s->next = t->free;
	t->free = i;
}

void ta_alert_buckets_forget_rules(struct ta_alert_buckets *t)
{
	for (int32_t i = 0; i < TA_ALERT_BUCKETS; i++)
		if (t->slot[i].used && t->slot[i].rule < TA_ALERT_RULES_MAX)
			release(t, i);
}

/* Frees the buckets that are full again and owe no summary; how many. */
static int reclaim(struct ta_alert_buckets *t, uint64_t now_ns)
{
	int n = 0;

	for (int32_t i = 0; i < TA_ALERT_BUCKETS; i++) {
		struct ta_alert_bucket_slot *s = &t->slot[i];

		if (!s->used || s->b.suppressed)
			continue;
		refill(&s->b, s->burst, s->period_s, now_ns);
		if (s->b.tokens >= s->burst) {
			release(t, i);
			n++;
		}
	}
	return n;
}

struct ta_alert_bucket *ta_alert_bucket_for(struct ta_alert_buckets *t, struct ta_alert_rule *r,
					    uint64_t who, uint64_t now_ns)
{
	uint32_t h = hash(r->slot, who);
	struct ta_alert_bucket_slot *s;
	int32_t i;

	for (i = t->head[h]; i >= 0; i = t->slot[i].next)
		if (t->slot[i].rule == r->slot && t->slot[i].who == who)
			return &t->slot[i].b;
	if (t->free < 0 && !reclaim(t, now_ns)) {
		t->overflowed++;
		return &r->overflow;
	}
	i = t->free;
	s = &t->slot[i];
	t->free = s->next;
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->rule = r->slot;
	s->who = who;
	s->burst = r->burst;
	s->period_s = r->period_s;
	s->next = t->head[h];
	t->head[h] = i;
	return &s->b;
}

void ta_alert_bucket_suppress(struct ta_alert_bucket *b, const struct ta_alert_hit *h)
{
	struct ta_alert_first *f = &b->first;
	size_t n = h->subject_len < sizeof(f->subject) ? h->subject_len : sizeof(f->subject);

	if (b->suppressed++)
		return;
	f->hit = *h;
	memcpy(f->subject, h->subject, n);
	f->hit.subject = f->subject;
	f->hit.subject_len = n;
	f->hit.subject_cut = h->subject_cut || n < h->subject_len;
	f->hit.exe = NULL; /* points into the event, gone by the summary */
}

void ta_alert_bucket_summary(struct ta_alert_bucket *b, const struct ta_alert_rule *r,
			     uint64_t now_ns, struct ta_alert_hit *h)
{
	*h = b->first.hit;
	h->rule = r->name;
	h->severity = r->severity;
	h->description = r->description;
	h->on = r->on;
	h->realtime_ns = now_ns;
	h->suppressed = b->suppressed;
	h->summary = true;
	h->shared_bucket = b == &r->overflow;
	b->suppressed = 0;
}

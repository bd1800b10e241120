// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounded message queue with drop accounting (see login_queue.h). */
#include "sessions/login_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ta_login_queue_init(struct ta_login_queue *q, size_t capacity)
{
	memset(q, 0, sizeof(*q));
	if (capacity < TA_LOGIN_QUEUE_MIN || capacity > TA_LOGIN_QUEUE_MAX)
		return -EINVAL;
	q->slots = malloc(capacity * TA_LOGIN_WIRE_MAX);
	q->lens = calloc(capacity, sizeof(*q->lens));
	if (!q->slots || !q->lens) {
		ta_login_queue_free(q);
		return -ENOMEM;
	}
	q->capacity = capacity;
	return 0;
}

void ta_login_queue_free(struct ta_login_queue *q)
{
	free(q->slots);
	free(q->lens);
	q->slots = NULL;
	q->lens = NULL;
	q->capacity = q->count = q->head = 0;
}

static int put(struct ta_login_queue *q, const struct ta_login_event *ev)
{
	size_t tail = (q->head + q->count) % q->capacity;
	int n = ta_login_wire_encode(ev, q->next_seq,
				     q->slots + tail * TA_LOGIN_WIRE_MAX, TA_LOGIN_WIRE_MAX);

	if (n < 0)
		return n;
	q->lens[tail] = (uint32_t)n;
	q->count++;
	q->next_seq++;
	return 0;
}

int ta_login_queue_report_drops(struct ta_login_queue *q)
{
	struct ta_login_event ev;
	size_t free_slots = q->capacity - q->count;

	if (q->dropped_pending == 0 || free_slots == 0)
		return 0;
	/* Leave a slot for the next record unless the queue has drained. */
	if (free_slots < 2 && q->count > 0)
		return 0;
	ta_login_event_init(&ev);
	ev.msg_type = TA_LOGIN_MSG_DROPPED;
	ev.dropped = q->dropped_pending;
	ev.dropped_total = q->dropped_total;
	ev.first_drop_sec = q->first_drop_sec;
	ev.last_drop_sec = q->last_drop_sec;
	if (put(q, &ev) < 0)
		return 0;
	q->dropped_reported += q->dropped_pending;
	q->dropped_pending = 0;
	return 1;
}

void ta_login_queue_count_lost(struct ta_login_queue *q, uint64_t n, time_t now)
{
	if (!n)
		return;
	if (q->dropped_pending == 0)
		q->first_drop_sec = now;
	q->last_drop_sec = now;
	q->dropped_pending += n;
	q->dropped_total += n;
}

int ta_login_queue_push(struct ta_login_queue *q, const struct ta_login_event *ev,
			time_t now)
{
	size_t need = q->dropped_pending ? 2 : 1;

	if (q->capacity - q->count < need) {
		ta_login_queue_count_lost(q, 1, now);
		return -ENOBUFS;
	}
	if (q->dropped_pending)
		ta_login_queue_report_drops(q);
	if (put(q, ev) < 0) {
		ta_login_queue_count_lost(q, 1, now);
		return -ENOBUFS;
	}
	q->queued_total++;
	return 0;
}

const void *ta_login_queue_front(const struct ta_login_queue *q, size_t *len)
{
	if (q->count == 0)
		return NULL;
	*len = q->lens[q->head];
	return q->slots + q->head * TA_LOGIN_WIRE_MAX;
}

void ta_login_queue_pop(struct ta_login_queue *q)
{
	if (q->count == 0)
		return;
	q->head = (q->head + 1) % q->capacity;
	q->count--;
}

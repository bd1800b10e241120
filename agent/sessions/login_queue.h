/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded FIFO of encoded wire messages, for the plugin while ttyauditd is
 * away or slow. Never grows past its capacity: a record that does not fit is
 * dropped and counted. The count goes back into the stream as a
 * TA_LOGIN_MSG_DROPPED message at the place of the gap, as soon as there is
 * room for it (it takes one slot, so it is queued only with a second free
 * slot or when the queue has drained).
 */
#ifndef TA_SESSIONS_LOGIN_QUEUE_H
#define TA_SESSIONS_LOGIN_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sessions/login_event.h"

struct ta_login_queue {
	unsigned char *slots;   /* capacity * TA_LOGIN_WIRE_MAX bytes */
	uint32_t *lens;
	size_t capacity, head, count;
	uint32_t next_seq;
	uint64_t dropped_pending;   /* dropped, not yet reported in the stream */
	uint64_t dropped_total;
	uint64_t dropped_reported;  /* total of the DROPPED messages queued */
	int64_t first_drop_sec, last_drop_sec;
	uint64_t queued_total;
};

#define TA_LOGIN_QUEUE_MIN 2
#define TA_LOGIN_QUEUE_MAX (1u << 20)

/* capacity: messages, TA_LOGIN_QUEUE_MIN..TA_LOGIN_QUEUE_MAX. */
int ta_login_queue_init(struct ta_login_queue *q, size_t capacity);
void ta_login_queue_free(struct ta_login_queue *q);

/* Queue a record. 0, or -ENOBUFS when it was dropped (and counted). */
int ta_login_queue_push(struct ta_login_queue *q, const struct ta_login_event *ev,
			time_t now);
/*
 * Counts n records lost at time now: one that did not fit, or (the plugin)
 * records it could not read. Reported in the stream as the queue's drops are.
 */
void ta_login_queue_count_lost(struct ta_login_queue *q, uint64_t n, time_t now);
/* Queue a DROPPED message for pending drops if there is room: 1 if queued. */
int ta_login_queue_report_drops(struct ta_login_queue *q);

/* Oldest message, or NULL when empty. */
const void *ta_login_queue_front(const struct ta_login_queue *q, size_t *len);
void ta_login_queue_pop(struct ta_login_queue *q);

static inline size_t ta_login_queue_count(const struct ta_login_queue *q)
{
	return q->count;
}

#endif

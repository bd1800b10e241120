/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipper's asynchronous publishing window (docs/fleet.md): up to
 * TA_SHIP_WINDOW JetStream messages published and not yet acknowledged, in
 * publishing order. JetStream's acknowledgements arrive on the client
 * library's thread (ta_ship_window_on_ack); the shipper takes them in order
 * from the head, so a position counts as published only when every message
 * before it is acknowledged too (at least once, in order). A failed or
 * overdue message ends the window: the shipper publishes again from the
 * first position not acknowledged.
 */
#ifndef TA_SHIP_WINDOW_H
#define TA_SHIP_WINDOW_H

#include <pthread.h>
#include <stdint.h>

#include <nats/nats.h>

#define TA_SHIP_WINDOW 32
#define TA_SHIP_MSGID_MAX 400 /* origin, record bounds, checkpoint size and old size, digest */

struct ta_ship_sent {
	char id[TA_SHIP_MSGID_MAX]; /* its message id: what its acknowledgement is matched by */
	uint64_t next;               /* records: the log position after it (0: a checkpoint) */
	uint64_t ckpt;               /* checkpoints: its size */
	int status;                  /* 0 waiting, 1 acknowledged, -1 refused */
	int again;                   /* this shipper published it before (a resend) */
	int dup;                     /* JetStream acknowledged it as a duplicate */
};

struct ta_ship_window {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ta_ship_sent v[TA_SHIP_WINDOW];
	unsigned head, n;
	uint64_t duplicates;         /* acknowledgements that said duplicate */
	char err[256];               /* the first refusal's text */
};

int ta_ship_window_init(struct ta_ship_window *w);
void ta_ship_window_destroy(struct ta_ship_window *w);
/* The jsPubAckHandler: a closure of &window. */
void ta_ship_window_on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure);
/* Adds a message about to be published (there is room: see take); again: a resend. */
void ta_ship_window_push(struct ta_ship_window *w, const char *id, uint64_t next, uint64_t ckpt,
			 int again);
/*
 * Takes the acknowledged messages at the head, in order, into *out (at most
 * max), waiting up to wait_ms for the head when the window holds at least
 * want messages. Returns how many were taken, or -EAGAIN if the head was
 * refused or not acknowledged in time (err says which).
 */
int ta_ship_window_take(struct ta_ship_window *w, unsigned want, unsigned wait_ms,
			struct ta_ship_sent *out, unsigned max, char *err, size_t errlen);
/* Forgets every message in it (after a failure: they are published again). */
void ta_ship_window_clear(struct ta_ship_window *w);

#endif

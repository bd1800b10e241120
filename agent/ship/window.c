// SPDX-License-Identifier: GPL-2.0-or-later
/* The shipper's window of asynchronous JetStream publications (ship/window.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ship/window.h"

int ta_ship_window_init(struct ta_ship_window *w)
{
	memset(w, 0, sizeof(*w));
	pthread_condattr_t ca;
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&w->cv, &ca))
		return -ENOMEM;
	pthread_condattr_destroy(&ca);
	return pthread_mutex_init(&w->mu, NULL) ? -ENOMEM : 0;
}

void ta_ship_window_destroy(struct ta_ship_window *w)
{
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

void ta_ship_window_on_ack(jsCtx *js, natsMsg *m, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
	(void)js;
	struct ta_ship_window *w = closure;
	const char *id = NULL;
	natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
	pthread_mutex_lock(&w->mu);
	/* An acknowledgement of nothing in the window (cleared after a failure) is dropped. */
	for (unsigned k = 0; id && k < w->n; k++) {
		struct ta_ship_sent *s = &w->v[(w->head + k) % TA_SHIP_WINDOW];
		if (s->status || strcmp(s->id, id))
			continue;
		if (pa && !pae) {
			s->status = 1;
			s->dup = pa->Duplicate;
			if (pa->Duplicate)
				w->duplicates++;
		} else {
			s->status = -1;
			const char *why = pae && pae->ErrText ? pae->ErrText :
					  natsStatus_GetText(pae ? pae->Err : NATS_ERR);
			if (!w->err[0] && strstr(why, "maximum messages per subject"))
				/* The stream's bound per host (docs/fleet.md): back-pressure, not loss. */
				snprintf(w->err, sizeof(w->err), "%s: the stream holds as many of this "
					 "host's messages as it allows (%s, JetStream error %d): the "
					 "collectors are behind or not running; the log keeps the rest, "
					 "shipped as they catch up", id, why, pae ? (int)pae->ErrCode : 0);
			else if (!w->err[0])
				snprintf(w->err, sizeof(w->err), "%s: %s (JetStream error %d)", id, why,
					 pae ? (int)pae->ErrCode : 0);
		}
		pthread_cond_broadcast(&w->cv);
		break;
	}
	pthread_mutex_unlock(&w->mu);
	natsMsg_Destroy(m);
}

void ta_ship_window_push(struct ta_ship_window *w, const char *id, uint64_t next, uint64_t ckpt,
			 int again)
{
	pthread_mutex_lock(&w->mu);
	struct ta_ship_sent *s = &w->v[(w->head + w->n) % TA_SHIP_WINDOW];
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->next = next;
	s->ckpt = ckpt;
	s->status = 0;
	s->again = again;
	s->dup = 0;
	w->n++;
	pthread_mutex_unlock(&w->mu);
}

int ta_ship_window_take(struct ta_ship_window *w, unsigned want, unsigned wait_ms,
			struct ta_ship_sent *out, unsigned max, char *err, size_t errlen)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	int taken = 0, e = 0;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->n && w->v[w->head].status == 1 && (unsigned)taken < max) {
			out[taken++] = w->v[w->head];
			w->head = (w->head + 1) % TA_SHIP_WINDOW;
			w->n--;
		}
		if (w->n && w->v[w->head].status < 0) {
			if (taken)
				break; /* these first; the refusal is said by the next call */
			snprintf(err, errlen, "%s", w->err[0] ? w->err : "a publication was refused");
			e = -EAGAIN;
			break;
		}
		/* Enough room, or the caller takes what it has before waiting further. */
		if (w->n < want || w->n == 0 || (unsigned)taken == max || taken)
			break;
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT &&
		    w->v[w->head].status == 0) {
			snprintf(err, errlen, "%s: no acknowledgement from JetStream in %u ms",
				 w->v[w->head].id, wait_ms);
			e = -EAGAIN;
			break;
		}
	}
	pthread_mutex_unlock(&w->mu);
	return e ? e : taken;
}

void ta_ship_window_clear(struct ta_ship_window *w)
{
	pthread_mutex_lock(&w->mu);
	w->head = 0;
	w->n = 0;
	w->err[0] = '\0';
	pthread_mutex_unlock(&w->mu);
}

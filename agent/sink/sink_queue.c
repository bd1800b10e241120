// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The writer thread between the ring buffer's drain and the log
 * (sink/sink_queue.h). One FIFO, so the log keeps the order the drain saw;
 * the budget is what is shared per session: a flood that fills the queue
 * while the disk is slow loses its own events, counted, and a session
 * writing at a modest rate beside it keeps its room.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/json.h"
#include "sink/sink_queue.h"
#include "ttyaudit/log_records.h"

#define SES_SLOTS 4096        /* sessions with something queued, tracked at once */
#define DROP_SLOTS 64         /* sessions with drops between two collections */
#define ITEM_OVERHEAD 64      /* charged per item beyond its copy: allocator, list */
/*
 * Events and records wake the writer in batches: at this many, or with the
 * next call (the daemon queues one every drain round), flush or close.
 */
#define WAKE_EVERY 256

enum item_kind { IT_EVENT, IT_RECORD, IT_CALL, IT_FLUSH };

struct item {
	struct item *next;
	uint8_t kind;
	uint8_t charged;          /* 1: ses has a slot of the table, charged with cost */
	uint32_t ses;             /* the event's session (UINT32_MAX: outside any, a bucket too) */
	uint64_t cost;            /* charged bytes */
	uint64_t payload;         /* bytes counted if the inner sink refuses it */
	union {
		struct {
			struct ta_event ev;
			uint64_t realtime_ns;
		} e;
		struct ta_record rec;
		struct {
			ta_sink_queue_fn fn;
			void *ctx;
			size_t len;
		} call;
	} u;
	uint8_t data[];           /* copies of what the event or record points to */
};

struct ses_slot {
	uint32_t ses;
	uint32_t used;            /* 1: key set (kept while bytes is 0; cleared with the table) */
	uint64_t bytes;
};

struct queue_sink {
	struct ta_sink base;
	struct ta_sink *inner;
	uint64_t budget;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more;
	/* Under lock: the queue, what it charges, per session. */
	struct item *head, *tail;
	uint64_t queued, peak;
	struct ses_slot ses[SES_SLOTS];
	uint32_t ses_keys;        /* slots with a key */
	uint32_t ses_active;      /* slots with bytes queued */
	uint32_t unwoken;         /* items queued since the writer was last woken */
	int stopping;
	/* Under lock: the inner sink's refusals, in all (for the caller's counters). */
	uint64_t err_items, err_bytes;
	/* The writer's own: refusals not yet in a sink_error gap record. */
	uint64_t gap_items, gap_bytes;
	int last_err;
	/* The producer's own (no lock): drops over the share, until collected. */
	struct ta_drop_delta drops[DROP_SLOTS + 1]; /* the last: sessions with no slot left */
	size_t n_drops;
	uint64_t dropped_events, dropped_bytes;
};

static struct ses_slot *ses_find(struct queue_sink *q, uint32_t ses, int add)
{
	uint32_t h = (ses * 2654435761u) >> 20; /* 12 bits: SES_SLOTS */

	for (uint32_t i = 0; i < SES_SLOTS; i++) {
		struct ses_slot *s = &q->ses[(h + i) & (SES_SLOTS - 1)];

		if (s->used && s->ses == ses)
			return s;
		if (!s->used) {
			/* Keys stay (probing needs them) until the queue is empty: uncharge. */
			if (!add || q->ses_keys >= SES_SLOTS * 3 / 4)
				return NULL;
			s->used = 1;
			s->ses = ses;
			s->bytes = 0;
			q->ses_keys++;
			return s;
		}
	}
	return NULL;
}

/* Records and calls count in the queue's total only; events (and charged records) in their session's too. */
static void charge(struct queue_sink *q, struct item *it, bool by_session)
{
	struct ses_slot *s = by_session ? ses_find(q, it->ses, 1) : NULL;

	q->queued += it->cost;
	if (q->queued > q->peak)
		q->peak = q->queued;
	it->charged = s != NULL;
	if (s) {
		q->ses_active += s->bytes == 0;
		s->bytes += it->cost;
	}
}

static void uncharge(struct queue_sink *q, const struct item *it)
{
	struct ses_slot *s = it->charged ? ses_find(q, it->ses, 0) : NULL;

	q->queued -= it->cost;
	if (s) {
		s->bytes -= it->cost;
		q->ses_active -= s->bytes == 0;
	}
	/* An empty queue lets a table of old keys start afresh. */
	if (q->queued == 0 && q->ses_keys >= SES_SLOTS / 2) {
		memset(q->ses, 0, sizeof(q->ses));
		q->ses_keys = q->ses_active = 0;
	}
}

/*
 * Under lock: may an event of ses costing cost be queued? Below half the
 * budget, yes; above it, while the session holds at most its share of the
 * other half, and the whole budget is not used up. A footprint event gets
 * half of each (a quarter of the budget taken freely, half a share): file
 * calls cost a user nothing to make by the hundred thousand, and a flood of
 * them must not leave the session's own terminal data without room while
 * the log is slow (what it typed and was shown is what is recorded first).
 */
static int admit(struct queue_sink *q, uint32_t ses, uint64_t cost, int footprint)
{
	struct ses_slot *s;
	uint64_t mine, sessions, share;

	if (q->queued + cost <= (footprint ? q->budget / 4 : q->budget / 2))
		return 1;
	if (q->queued + cost > q->budget)
		return 0;
	s = ses_find(q, ses, 0);
	mine = s ? s->bytes : 0;
	if (!s && q->ses_keys >= SES_SLOTS * 3 / 4)
		return 0; /* a session the table cannot follow gets no more than the first half */
	sessions = q->ses_active + (mine == 0);
	share = q->budget / 2 / sessions;
	return mine + cost <= (footprint ? share / 2 : share);
}

static void count_drop(struct queue_sink *q, uint32_t ses, uint32_t auid, uint64_t bytes)
{
	struct ta_drop_delta *d = NULL;

	for (size_t i = 0; i < q->n_drops && !d; i++)
		if (q->drops[i].ses == ses && q->drops[i].auid == auid)
			d = &q->drops[i];
	if (!d && q->n_drops < DROP_SLOTS) {
		d = &q->drops[q->n_drops++];
		*d = (struct ta_drop_delta){ .ses = ses, .auid = auid };
	}
	if (!d) {
		/* No room: counted under no session, never under another one. */
		d = &q->drops[DROP_SLOTS];
		d->ses = d->auid = UINT32_MAX;
	}
	d->reason = TA_DROP_QUEUE_SHARE;
	d->events++;
	d->bytes += bytes;
	q->dropped_events++;
	q->dropped_bytes += bytes;
}

static void push(struct queue_sink *q, struct item *it)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	/* A wake-up per item would cost a context switch per keystroke and chunk. */
	if (++q->unwoken >= WAKE_EVERY || it->kind == IT_CALL || it->kind == IT_FLUSH) {
		q->unwoken = 0;
		pthread_cond_signal(&q->more);
	}
}

/* Bytes an event points to, copied with it. */
static size_t event_extra(const struct ta_event *ev)
{
	size_t n = 0;

	if (ev->data)
		n += ev->len;
	if (ev->filename)
		n += strlen(ev->filename) + 1;
	if (ev->argv)
		n += ev->argv_len;
	if (ev->cwd)
		n += ev->cwd_len;
	if (ev->exe)
		n += ev->exe_len;
	if (ev->path)
		n += ev->path_len;
	if (ev->fp)
		n += sizeof(*ev->fp);
	return n;
}

static const void *copy_into(uint8_t **p, const void *src, size_t n)
{
	const void *at = *p;

	if (n)
		memcpy(*p, src, n);
	*p += n;
	return at;
}

static void event_copy(struct ta_event *dst, uint8_t *p, const struct ta_event *ev)
{
	*dst = *ev;
	if (ev->data)
		dst->data = copy_into(&p, ev->data, ev->len);
	if (ev->filename)
		dst->filename = copy_into(&p, ev->filename, strlen(ev->filename) + 1);
	if (ev->argv)
		dst->argv = copy_into(&p, ev->argv, ev->argv_len);
	if (ev->cwd)
		dst->cwd = copy_into(&p, ev->cwd, ev->cwd_len);
	if (ev->exe)
		dst->exe = copy_into(&p, ev->exe, ev->exe_len);
	if (ev->path)
		dst->path = copy_into(&p, ev->path, ev->path_len);
	if (ev->fp) {
		dst->fp = copy_into(&p, ev->fp, sizeof(*ev->fp));
		/* the given names point into the record's paths: into the copy now */
		if (ev->fp_given)
			dst->fp_given = (const char *)dst->fp + (ev->fp_given - (const char *)ev->fp);
		if (ev->fp_given2)
			dst->fp_given2 = (const char *)dst->fp + (ev->fp_given2 - (const char *)ev->fp);
	}
}

static int queue_event(struct ta_sink *base, const struct ta_event *ev, uint64_t realtime_ns)
{
	struct queue_sink *q = (struct queue_sink *)base;
	int input = ev->kind == TA_EV_TTY_INPUT;
	uint32_t ses = input ? ev->owner_ses : ev->task.ses;
	size_t extra = event_extra(ev);
	uint64_t cost = sizeof(struct item) + extra + ITEM_OVERHEAD;
	uint64_t payload = ev->kind == TA_EV_EXEC ? ev->argv_len : ev->len;
	struct item *it;
	int ok;

	pthread_mutex_lock(&q->lock);
	ok = admit(q, ses, cost, ev->kind == TA_EV_FOOTPRINT);
	pthread_mutex_unlock(&q->lock);
	if (!ok) {
		count_drop(q, ses, input ? ev->owner_auid : ev->task.auid, payload);
		return 0; /* counted here: not a sink error */
	}
	it = malloc(sizeof(*it) + extra);
	if (!it)
		return -ENOMEM;
	it->kind = IT_EVENT;
	it->ses = ses;
	it->cost = cost;
	it->payload = payload;
	event_copy(&it->u.e.ev, it->data, ev);
	it->u.e.realtime_ns = realtime_ns;
	pthread_mutex_lock(&q->lock);
	charge(q, it, true);
	push(q, it);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int queue_record(struct ta_sink *base, const struct ta_record *rec)
{
	struct queue_sink *q = (struct queue_sink *)base;
	size_t name_len = rec->name ? strlen(rec->name) + 1 : 0;
	uint64_t cost = sizeof(struct item) + rec->len + name_len + ITEM_OVERHEAD;
	struct item *it;

	if (rec->charged) {
		pthread_mutex_lock(&q->lock);
		int ok = admit(q, rec->charge_ses, cost, 0);
		if (!ok)
			count_drop(q, rec->charge_ses, rec->auid, rec->len); /* its JSON: what was lost */
		pthread_mutex_unlock(&q->lock);
		if (!ok)
			return 0; /* counted here: not a sink error */
	}
	it = malloc(sizeof(*it) + rec->len + name_len);
	if (!it)
		return -ENOMEM;
	it->kind = IT_RECORD;
	it->ses = rec->charged ? rec->charge_ses : rec->ses; /* not charged: never refused */
	it->cost = cost;
	it->payload = 0;
	it->u.rec = *rec;
	memcpy(it->data, rec->json, rec->len);
	it->u.rec.json = (const char *)it->data;
	if (rec->name) {
		memcpy(it->data + rec->len, rec->name, name_len);
		it->u.rec.name = (const char *)it->data + rec->len;
	}
	pthread_mutex_lock(&q->lock);
	charge(q, it, rec->charged);
	push(q, it);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

static int queue_control(struct queue_sink *q, uint8_t kind, ta_sink_queue_fn fn, void *ctx,
			 const void *arg, size_t len)
{
	struct item *it = malloc(sizeof(*it) + len);

	if (!it)
		return -ENOMEM;
	it->kind = kind;
	it->ses = UINT32_MAX;
	it->cost = sizeof(*it) + len + ITEM_OVERHEAD;
	it->payload = 0;
	it->u.call.fn = fn;
	it->u.call.ctx = ctx;
	it->u.call.len = len;
	if (len)
		memcpy(it->data, arg, len);
	pthread_mutex_lock(&q->lock);
	charge(q, it, false);
	push(q, it);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

int ta_sink_queue_call(struct ta_sink *base, ta_sink_queue_fn fn, void *ctx, const void *arg,
		       size_t len)
{
	return queue_control((struct queue_sink *)base, IT_CALL, fn, ctx, arg, len);
}

/* The inner sink's flush, in its turn: buffered records go on toward the disk. */
static int queue_flush(struct ta_sink *base)
{
	return queue_control((struct queue_sink *)base, IT_FLUSH, NULL, NULL, NULL, 0);
}

static int process(struct queue_sink *q, struct item *it)
{
	switch (it->kind) {
	case IT_EVENT:
		return q->inner->ops->event(q->inner, &it->u.e.ev, it->u.e.realtime_ns);
	case IT_RECORD:
		return q->inner->ops->record(q->inner, &it->u.rec);
	case IT_CALL:
		it->u.call.fn(it->u.call.ctx, it->data, it->u.call.len);
		return 0;
	default:
		/* Its errors are the records' (counted when refused) and retried by the next flush. */
		q->inner->ops->flush(q->inner);
		return 0;
	}
}

/*
 * The inner sink's refusals become a sink_error gap once it takes a record
 * again (as the recorder does for its own): counted until then, never lost.
 */
static void file_refusals(struct queue_sink *q)
{
	struct ta_json j;

	ta_json_init(&j);
	ta_sink_error_gap_to_json(&j, q->last_err, q->gap_items, q->gap_bytes);
	if (!j.oom) {
		struct ta_record rec = { .type = TA_REC_LOSS, .ses = UINT32_MAX,
					 .realtime_ns = ta_now_ns(CLOCK_REALTIME),
					 .json = j.buf, .len = j.len };

		if (!q->inner->ops->record(q->inner, &rec))
			q->gap_items = q->gap_bytes = 0;
	}
	ta_json_free(&j);
}

static void *writer_main(void *arg)
{
	struct queue_sink *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct item *it;
		int err;

		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->more, &q->lock);
		it = q->head;
		if (!it) {
			/* Stopping, and everything is written: the refusals last. */
			if (q->gap_items)
				file_refusals(q);
			break;
		}
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->lock);
		if (q->gap_items && it->kind != IT_CALL)
			file_refusals(q);
		err = process(q, it);
		if (err) {
			q->gap_items++;
			q->gap_bytes += it->payload;
		}
		pthread_mutex_lock(&q->lock);
		if (err) {
			q->err_items++;
			q->err_bytes += it->payload;
			q->last_err = err;
		}
		uncharge(q, it);
		free(it);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static void queue_close(struct ta_sink *base)
{
	struct queue_sink *q = (struct queue_sink *)base;

	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	q->inner->ops->close(q->inner);
	pthread_cond_destroy(&q->more);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

static const struct ta_sink_ops queue_ops = {
	.event = queue_event,
	.record = queue_record,
	.flush = queue_flush,
	.close = queue_close,
};

int ta_sink_queue_open(struct ta_sink **out, struct ta_sink *inner, uint64_t budget)
{
	struct queue_sink *q = calloc(1, sizeof(*q));
	sigset_t all, old;
	int err;

	if (!q)
		return -ENOMEM;
	q->base.ops = &queue_ops;
	q->inner = inner;
	q->budget = budget ? budget : TA_SINK_QUEUE_BUDGET;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	/* The writer takes no signals: the caller reads them (signalfd) on its own thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&q->thread, NULL, writer_main, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		pthread_cond_destroy(&q->more);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return -err;
	}
	*out = &q->base;
	return 0;
}

void ta_sink_queue_collect_drops(struct ta_sink *base, ta_drop_fn fn, void *ctx)
{
	struct queue_sink *q = (struct queue_sink *)base;
	struct ta_drop_delta *last = &q->drops[DROP_SLOTS];

	for (size_t i = 0; i < q->n_drops; i++)
		fn(ctx, &q->drops[i]);
	if (last->events)
		fn(ctx, last);
	q->n_drops = 0;
	memset(last, 0, sizeof(*last));
}

void ta_sink_queue_refused(struct ta_sink *base, uint64_t *items, uint64_t *bytes)
{
	struct queue_sink *q = (struct queue_sink *)base;

	pthread_mutex_lock(&q->lock);
	*items = q->err_items;
	*bytes = q->err_bytes;
	pthread_mutex_unlock(&q->lock);
}

void ta_sink_queue_stats(struct ta_sink *base, struct ta_sink_queue_stats *st)
{
	struct queue_sink *q = (struct queue_sink *)base;

	pthread_mutex_lock(&q->lock);
	st->queued_bytes = q->queued;
	st->peak_bytes = q->peak;
	pthread_mutex_unlock(&q->lock);
	st->dropped_events = q->dropped_events;
	st->dropped_bytes = q->dropped_bytes;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The writer thread between the ring buffer's drain and the log
 * (sink/sink_queue.h). One FIFO, so the log keeps the order the drain saw;
 * the budget is what is shared per session: a flood that fills the queue
 * while the disk is slow loses its own events, counted, and a session
 * writing at a modest rate beside it keeps its room.
 *
 * The accounting is the drain's alone: it charges an item when it queues it,
 * and uncharges it once the writer has pushed it on a lock-free list of
 * written items, which the drain takes at each batch (and before a refusal).
 * So the only lock is taken once a batch by each side, and items are made
 * and freed (or reused) on one thread.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
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
 * The drain hands items over in batches, one lock round each: at this many
 * items or bytes, or with the next call (the daemon queues one every drain
 * round), flush or close. A lock round per item was a fifth of the daemon's
 * CPU on short writes (docs/performance.md).
 */
#define PUBLISH_ITEMS 256
#define PUBLISH_BYTES (256u << 10)
/*
 * A writer asleep is woken by a call, flush or close, or once this much was
 * handed over since it was last woken; awake, it takes what comes without.
 * A wake-up is a futex call and, on an idle virtual machine, a halted vCPU
 * to start: woken at every batch, the writer cost more than it wrote.
 */
#define WAKE_ITEMS 2048
#define WAKE_BYTES (1u << 20)
/* Items up to this size are kept for reuse by the drain (at most POOL_MAX of them). */
#define POOL_ITEM_BYTES 512
#define POOL_MAX 4096
#define DONE_SLOTS 4096       /* a power of two: the ring's indexes wrap */
/*
 * An event's copy stops before the footprint's path buffers unless it is a
 * footprint event: a 24-byte line does not carry 550 bytes of empty paths.
 */
#define EVENT_HEAD offsetof(struct ta_event, fp_path)

enum item_kind { IT_EVENT, IT_RECORD, IT_CALL, IT_FLUSH };

struct item {
	struct item *next;
	uint8_t kind;
	uint8_t charged;          /* 1: ses has a slot of the table, charged with cost */
	uint8_t pooled;           /* 1: POOL_ITEM_BYTES allocated, goes back to the pool */
	uint32_t ses;             /* the event's session (UINT32_MAX: outside any, a bucket too) */
	uint32_t ev_len;          /* IT_EVENT: bytes of the struct ta_event at data */
	uint64_t cost;            /* charged bytes */
	uint64_t payload;         /* bytes counted if the inner sink refuses it */
	union {
		uint64_t realtime_ns; /* IT_EVENT */
		struct ta_record rec;
		struct {
			ta_sink_queue_fn fn;
			void *ctx;
			size_t len;
		} call;
	} u;
	/* IT_EVENT: the event (ev_len bytes), then what it points to; else the copies */
	_Alignas(8) uint8_t data[];
};

/* A written item as the drain needs it: what to uncharge, and where it goes. */
struct done_entry {
	struct item *it;
	uint64_t cost;
	uint32_t ses;
	bool charged, pooled;
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
	/* Under lock: the items handed over, in order. */
	struct item *head, *tail;
	int stopping;
	/* Under lock: the inner sink's refusals, in all (for the caller's counters). */
	uint64_t err_items, err_bytes;
	/*
	 * Written items, given back to the drain: a ring of pointers the writer
	 * fills and the drain empties, so the writer never writes to an item
	 * (the drain's next touch of it would fetch the line from the other
	 * core); when the ring is full, a list through the items themselves.
	 */
	_Alignas(64) _Atomic uint32_t done_tail; /* written by the writer */
	_Alignas(64) _Atomic uint32_t done_head; /* written by the drain */
	_Alignas(64) _Atomic(struct item *) done_more;
	struct done_entry done_ring[DONE_SLOTS];
	/* The writer's own: refusals not yet in a sink_error gap record. */
	_Alignas(64) uint64_t gap_items, gap_bytes;
	uint32_t done_tail_own, done_head_seen; /* done_tail as written; done_head as last read */
	int last_err;
	struct ta_event writer_ev; /* the event handed on (process_event) */
	bool writer_ev_full;
	/*
	 * The drain's own (no lock): what is charged, per session; items not yet
	 * handed over; items for reuse; drops over the share, until collected.
	 */
	_Alignas(64) uint64_t queued, peak;
	struct ses_slot ses[SES_SLOTS];
	uint32_t ses_keys;        /* slots with a key */
	uint32_t ses_active;      /* slots with bytes queued */
	struct item *batch_head, *batch_tail;
	uint32_t batch_items;
	uint64_t batch_bytes;
	uint64_t unwoken_items, unwoken_bytes; /* handed over since the writer was last woken */
	struct item *pool[POOL_MAX]; /* a stack of pointers: an item is not written to be kept */
	uint32_t pool_len;
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

static void uncharge(struct queue_sink *q, uint32_t ses, bool charged, uint64_t cost)
{
	struct ses_slot *s = charged ? ses_find(q, ses, 0) : NULL;

	q->queued -= cost;
	if (s) {
		s->bytes -= cost;
		q->ses_active -= s->bytes == 0;
	}
	/* An empty queue lets a table of old keys start afresh. */
	if (q->queued == 0 && q->ses_keys >= SES_SLOTS / 2) {
		memset(q->ses, 0, sizeof(q->ses));
		q->ses_keys = q->ses_active = 0;
	}
}

/* What an item holding data_len bytes takes: a small one, a pool's item whatever it holds. */
static size_t item_bytes(size_t data_len)
{
	size_t n = sizeof(struct item) + data_len;

	return n > POOL_ITEM_BYTES ? n : POOL_ITEM_BYTES;
}

static struct item *item_alloc(struct queue_sink *q, size_t data_len)
{
	struct item *it;

	if (sizeof(*it) + data_len > POOL_ITEM_BYTES) {
		it = malloc(sizeof(*it) + data_len);
		if (it)
			it->pooled = 0;
		return it;
	}
	it = q->pool_len ? q->pool[--q->pool_len] : malloc(POOL_ITEM_BYTES);
	if (it)
		it->pooled = 1;
	return it;
}

static void item_release(struct queue_sink *q, struct item *it, bool pooled)
{
	if (pooled && q->pool_len < POOL_MAX)
		q->pool[q->pool_len++] = it;
	else
		free(it);
}

/* The drain: what the writer has written is no longer charged. */
static void collect_done(struct queue_sink *q)
{
	uint32_t head = atomic_load_explicit(&q->done_head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&q->done_tail, memory_order_acquire);
	struct item *it;

	/* From the ring's copies: the items themselves are not read again until reused. */
	for (; head != tail; head++) {
		const struct done_entry *d = &q->done_ring[head % DONE_SLOTS];

		uncharge(q, d->ses, d->charged, d->cost);
		item_release(q, d->it, d->pooled);
	}
	atomic_store_explicit(&q->done_head, head, memory_order_release);
	if (!atomic_load_explicit(&q->done_more, memory_order_relaxed))
		return;
	it = atomic_exchange_explicit(&q->done_more, NULL, memory_order_acquire);
	while (it) {
		struct item *next = it->next;

		uncharge(q, it->ses, it->charged, it->cost);
		item_release(q, it, it->pooled);
		it = next;
	}
}

/*
 * May an event of ses costing cost be queued? Below half the
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
	uint64_t free_zone = footprint ? q->budget / 4 : q->budget / 2;

	if (q->queued + cost <= free_zone)
		return 1;
	collect_done(q); /* the writer's progress since the last batch */
	if (q->queued + cost <= free_zone)
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

/* The drain: the batch goes to the writer, in one lock round; wake: it must not wait. */
static void publish(struct queue_sink *q, bool wake)
{
	if (q->batch_head) {
		q->unwoken_items += q->batch_items;
		q->unwoken_bytes += q->batch_bytes;
		wake = wake || q->unwoken_items >= WAKE_ITEMS || q->unwoken_bytes >= WAKE_BYTES;
		pthread_mutex_lock(&q->lock);
		if (q->tail)
			q->tail->next = q->batch_head;
		else
			q->head = q->batch_head;
		q->tail = q->batch_tail;
		if (wake) {
			pthread_cond_signal(&q->more);
			q->unwoken_items = q->unwoken_bytes = 0;
		}
		pthread_mutex_unlock(&q->lock);
		q->batch_head = q->batch_tail = NULL;
		q->batch_items = 0;
		q->batch_bytes = 0;
	}
	collect_done(q);
}

static void push(struct queue_sink *q, struct item *it)
{
	it->next = NULL;
	if (q->batch_tail)
		q->batch_tail->next = it;
	else
		q->batch_head = it;
	q->batch_tail = it;
	q->batch_bytes += it->cost;
	if (it->kind == IT_CALL || it->kind == IT_FLUSH)
		publish(q, true);
	else if (++q->batch_items >= PUBLISH_ITEMS || q->batch_bytes >= PUBLISH_BYTES)
		publish(q, false);
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

_Static_assert(offsetof(struct ta_event, fp) < EVENT_HEAD &&
	       offsetof(struct ta_event, fp_given) >= EVENT_HEAD,
	       "a short copy holds every pointer but the footprint's given names");
_Static_assert(offsetof(struct item, data) % _Alignof(struct ta_event) == 0,
	       "an item's data holds a struct ta_event");

/* ev_len bytes of the event into it->data, then what it points to, pointed to there. */
static void event_copy(struct item *it, const struct ta_event *ev)
{
	struct ta_event *dst = (struct ta_event *)it->data;
	uint8_t *p = it->data + it->ev_len;

	memcpy(dst, ev, it->ev_len);
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
	size_t ev_len = ev->kind == TA_EV_FOOTPRINT || ev->fp ? sizeof(*ev) : EVENT_HEAD;
	size_t extra = event_extra(ev);
	uint64_t cost = item_bytes(ev_len + extra) + ITEM_OVERHEAD;
	uint64_t payload = ev->kind == TA_EV_EXEC ? ev->argv_len : ev->len;
	struct item *it;

	if (!admit(q, ses, cost, ev->kind == TA_EV_FOOTPRINT)) {
		count_drop(q, ses, input ? ev->owner_auid : ev->task.auid, payload);
		return 0; /* counted here: not a sink error */
	}
	it = item_alloc(q, ev_len + extra);
	if (!it)
		return -ENOMEM;
	it->kind = IT_EVENT;
	it->ses = ses;
	it->ev_len = (uint32_t)ev_len;
	it->cost = cost;
	it->payload = payload;
	it->u.realtime_ns = realtime_ns;
	event_copy(it, ev);
	charge(q, it, true);
	push(q, it);
	return 0;
}

static int queue_record(struct ta_sink *base, const struct ta_record *rec)
{
	struct queue_sink *q = (struct queue_sink *)base;
	size_t name_len = rec->name ? strlen(rec->name) + 1 : 0;
	uint64_t cost = item_bytes(rec->len + name_len) + ITEM_OVERHEAD;
	struct item *it;

	if (rec->charged && !admit(q, rec->charge_ses, cost, 0)) {
		count_drop(q, rec->charge_ses, rec->auid, rec->len); /* its JSON: what was lost */
		return 0; /* counted here: not a sink error */
	}
	it = item_alloc(q, rec->len + name_len);
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
	charge(q, it, rec->charged);
	push(q, it);
	return 0;
}

static int queue_control(struct queue_sink *q, uint8_t kind, ta_sink_queue_fn fn, void *ctx,
			 const void *arg, size_t len)
{
	struct item *it = item_alloc(q, len);

	if (!it)
		return -ENOMEM;
	it->kind = kind;
	it->ses = UINT32_MAX;
	it->cost = item_bytes(len) + ITEM_OVERHEAD;
	it->payload = 0;
	it->u.call.fn = fn;
	it->u.call.ctx = ctx;
	it->u.call.len = len;
	if (len)
		memcpy(it->data, arg, len);
	charge(q, it, false);
	push(q, it);
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

/*
 * The writer's copy of an event: a short copy fills the head of ev, whose
 * footprint part stays zero (cleared again after a footprint event).
 */
static int process_event(struct queue_sink *q, const struct item *it)
{
	struct ta_event *ev = &q->writer_ev;

	if (q->writer_ev_full && it->ev_len < sizeof(*ev))
		memset((uint8_t *)ev + EVENT_HEAD, 0, sizeof(*ev) - EVENT_HEAD);
	memcpy(ev, it->data, it->ev_len);
	q->writer_ev_full = it->ev_len == sizeof(*ev);
	return q->inner->ops->event(q->inner, ev, it->u.realtime_ns);
}

static int process(struct queue_sink *q, struct item *it)
{
	switch (it->kind) {
	case IT_EVENT:
		return process_event(q, it);
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

/* One item to the inner sink; then the drain may uncharge and reuse it. */
static void write_item(struct queue_sink *q, struct item *it)
{
	struct item *old;
	int err;

	if (q->gap_items && it->kind != IT_CALL)
		file_refusals(q);
	err = process(q, it);
	if (err) {
		q->gap_items++;
		q->gap_bytes += it->payload;
		pthread_mutex_lock(&q->lock);
		q->err_items++;
		q->err_bytes += it->payload;
		q->last_err = err;
		pthread_mutex_unlock(&q->lock);
	}
	if (q->done_tail_own - q->done_head_seen == DONE_SLOTS)
		q->done_head_seen = atomic_load_explicit(&q->done_head, memory_order_acquire);
	if (q->done_tail_own - q->done_head_seen < DONE_SLOTS) {
		q->done_ring[q->done_tail_own++ % DONE_SLOTS] = (struct done_entry){
			.it = it, .cost = it->cost, .ses = it->ses, .charged = it->charged,
			.pooled = it->pooled,
		};
		atomic_store_explicit(&q->done_tail, q->done_tail_own, memory_order_release);
		return;
	}
	old = atomic_load_explicit(&q->done_more, memory_order_relaxed);
	do {
		it->next = old;
	} while (!atomic_compare_exchange_weak_explicit(&q->done_more, &old, it,
						       memory_order_release, memory_order_relaxed));
}

static void *writer_main(void *arg)
{
	struct queue_sink *q = arg;

	for (;;) {
		struct item *it;

		pthread_mutex_lock(&q->lock);
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->more, &q->lock);
		it = q->head;
		q->head = q->tail = NULL;
		pthread_mutex_unlock(&q->lock);
		if (!it)
			break; /* stopping, and everything is written */
		while (it) {
			struct item *next = it->next;

			write_item(q, it);
			it = next;
		}
	}
	/* The refusals last. */
	if (q->gap_items)
		file_refusals(q);
	return NULL;
}

static void queue_close(struct ta_sink *base)
{
	struct queue_sink *q = (struct queue_sink *)base;

	publish(q, true);
	pthread_mutex_lock(&q->lock);
	q->stopping = 1;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	collect_done(q);
	while (q->pool_len)
		free(q->pool[--q->pool_len]);
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
	/* Its parts on lines of their own: the two threads write them. */
	struct queue_sink *q = aligned_alloc(_Alignof(struct queue_sink), sizeof(*q));
	sigset_t all, old;
	int err;

	if (!q)
		return -ENOMEM;
	memset(q, 0, sizeof(*q));
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

	collect_done(q);
	st->queued_bytes = q->queued;
	st->peak_bytes = q->peak;
	st->dropped_events = q->dropped_events;
	st->dropped_bytes = q->dropped_bytes;
}

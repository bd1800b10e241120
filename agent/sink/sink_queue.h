/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A sink in front of one that may block (the log on a slow disk): event()
 * and record() copy into a bounded queue and return at once; a writer thread
 * hands everything on to the inner sink in the order it came. So the ring
 * buffer's drain never waits on the disk.
 *
 * The queue's budget is shared per session (docs/capture.md, "The log's write
 * rate"): below half the budget every capture event is taken; above it, an
 * event is taken only while its session holds at most its share of the
 * budget's other half (that half over the sessions with something queued);
 * footprint events get half of both (a quarter of the budget, half a share),
 * so that a session's flood of file calls leaves its terminal data room. An
 * event refused is dropped and counted against its session (loss reason
 * TA_DROP_QUEUE_SHARE, ta_sink_queue_collect_drops). Records (gaps, agent and
 * session records) are never refused: the daemon makes them, at a bounded rate.
 *
 * One thread calls event, record, flush, ta_sink_queue_call, collect_drops
 * and stats; the inner sink is touched by the writer thread only, until
 * close, which writes what is queued, joins the thread and closes the inner sink.
 */
#ifndef TA_SINK_QUEUE_H
#define TA_SINK_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "sink/sink.h"

/* The default budget: what may wait for the disk, in bytes of events (and their copies). */
#define TA_SINK_QUEUE_BUDGET (16u << 20)

/* Closing the queue closes inner too. -errno on failure (inner is then not closed). */
int ta_sink_queue_open(struct ta_sink **out, struct ta_sink *inner, uint64_t budget);

/*
 * fn(ctx, arg, len) on the writer thread, after everything queued so far and
 * before anything queued later: work on what the inner sink owns (settling
 * batches, the activity journal, the status file). arg (len bytes) is copied.
 */
typedef void (*ta_sink_queue_fn)(void *ctx, const void *arg, size_t len);
int ta_sink_queue_call(struct ta_sink *q, ta_sink_queue_fn fn, void *ctx, const void *arg,
		       size_t len);

/* Events dropped over the share since the last call: one callback per session. */
void ta_sink_queue_collect_drops(struct ta_sink *q, ta_drop_fn fn, void *ctx);

/*
 * What the inner sink refused since the start (disk full, I/O error): events
 * and records, payload bytes. The writer files them itself, as a sink_error
 * gap record once the inner sink takes a record again.
 */
void ta_sink_queue_refused(struct ta_sink *q, uint64_t *items, uint64_t *bytes);

struct ta_sink_queue_stats {
	uint64_t queued_bytes;   /* charged bytes waiting now */
	uint64_t peak_bytes;     /* the most that ever waited */
	uint64_t dropped_events, dropped_bytes; /* over the share, since the start */
};
void ta_sink_queue_stats(struct ta_sink *q, struct ta_sink_queue_stats *st);

#endif

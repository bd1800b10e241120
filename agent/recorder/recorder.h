/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The path from capture to sink: wall-clock time, chunk continuity, loss
 * accounting. Every loss becomes an explicit record in the sink.
 */
#ifndef TA_RECORDER_H
#define TA_RECORDER_H

#include <stdint.h>

#include "capture/capture.h"
#include "capture/continuity.h"
#include "base/clock.h"
#include "base/json.h"
#include "sink/sink.h"
#include "ttyaudit/log_records.h"

struct ta_recorder_stats {
	uint64_t events;
	uint64_t bytes_output;
	uint64_t bytes_input;
	uint64_t execs;
	uint64_t bad_records;        /* failed validation */
	uint64_t lost_events;        /* counted by the kernel side */
	uint64_t lost_bytes;
	uint64_t queue_lost_events;  /* dropped over the writer queue's share (sink/sink_queue.h) */
	uint64_t queue_lost_bytes;
	uint64_t sink_lost_events;   /* the sink refused them (disk full, I/O error) */
	uint64_t sink_lost_bytes;
	uint64_t writer_lost_events; /* ... the sink behind the writer's queue (in all, its own count) */
	uint64_t writer_lost_bytes;
	uint64_t gap_records;
};

struct ta_shared_tracker;

struct ta_recorder {
	struct ta_sink *sink;
	struct ta_shared_tracker *shared;   /* who typed into shared terminals */
	struct ta_clock clock;
	struct ta_continuity cont;
	struct ta_json scratch;
	struct ta_recorder_stats stats;
	/* Losses at the sink since it last accepted a record. */
	uint64_t sink_pending_events, sink_pending_bytes;
	int last_sink_error;
};

void ta_recorder_init(struct ta_recorder *r, struct ta_sink *sink);
void ta_recorder_fini(struct ta_recorder *r);
/* Capture callback: never fails the drain; losses are counted instead. */
int ta_recorder_on_event(void *ctx, const struct ta_event *ev);
void ta_recorder_on_bad_record(void *ctx, int err, size_t len);
/* Turn the kernel's loss counters into gap records. */
int ta_recorder_collect_drops(struct ta_recorder *r, struct ta_capture *cap);
/*
 * A gap record for losses counted elsewhere than the kernel's maps (the
 * writer's queue share): the same record ta_recorder_collect_drops writes.
 */
int ta_recorder_note_drop(struct ta_recorder *r, const struct ta_drop_delta *d, uint64_t when);
/* Once a second: close idle shared-terminal runs. `final`: close them all (stop). */
void ta_recorder_tick(struct ta_recorder *r, int final);
/*
 * A record that is not a capture event (agent start/stop, notices, sessions):
 * its type (enum ta_log_record_type), the session it belongs to (UINT32_MAX:
 * none) and its JSON object, written once by the caller.
 */
int ta_recorder_record(struct ta_recorder *r, uint16_t type, uint32_t ses, const struct ta_json *obj);

#endif

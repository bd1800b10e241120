// SPDX-License-Identifier: GPL-2.0-or-later
#include "recorder/recorder.h"

#include "shared_tty/shared.h"
#include "ttyaudit/log_records.h"

#include <errno.h>
#include <string.h>
#include <time.h>

void ta_recorder_init(struct ta_recorder *r, struct ta_sink *sink)
{
	memset(r, 0, sizeof(*r));
	r->sink = sink;
	ta_clock_sync(&r->clock);
	ta_continuity_init(&r->cont);
	ta_json_init(&r->scratch);
	/* Without it recording goes on; shared terminals are then not attributed. */
	if (ta_shared_tracker_new(&r->shared))
		r->shared = NULL;
}

void ta_recorder_fini(struct ta_recorder *r)
{
	ta_shared_tracker_free(r->shared);
	ta_json_free(&r->scratch);
}

static int emit_shared(void *ctx, const struct ta_record *rec);

/* A gap record of the recorder's own (name: NULL, or "discontinuity"); 0 or the sink's -errno. */
static int emit_gap(struct ta_recorder *r, const char *name, uint32_t ses, uint64_t when,
		    const struct ta_json *j)
{
	struct ta_record rec = { .type = TA_REC_LOSS, .name = name, .ses = ses,
				 .realtime_ns = when, .json = j->buf, .len = j->len };

	return r->sink->ops->record(r->sink, &rec);
}

static uint64_t now_real(void)
{
	return ta_now_ns(CLOCK_REALTIME);
}

/* Emit the sink's own losses once it takes records again. */
static void flush_sink_gap(struct ta_recorder *r)
{
	struct ta_json *j = &r->scratch;
	int err;

	if (!r->sink_pending_events)
		return;
	ta_sink_error_gap_to_json(j, r->last_sink_error, r->sink_pending_events,
				  r->sink_pending_bytes);
	err = emit_gap(r, NULL, UINT32_MAX, now_real(), j);
	if (!err) {
		r->sink_pending_events = r->sink_pending_bytes = 0;
		r->stats.gap_records++;
	}
}

static void sink_failed(struct ta_recorder *r, int err, uint64_t bytes)
{
	r->last_sink_error = err;
	r->sink_pending_events++;
	r->sink_pending_bytes += bytes;
	r->stats.sink_lost_events++;
	r->stats.sink_lost_bytes += bytes;
}

/* A hole in a call, filed under the session whose call it was. */
static void note_discontinuity(struct ta_recorder *r, const struct ta_cont_owner *o, uint64_t bytes)
{
	struct ta_json *j = &r->scratch;

	ta_json_reset(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "reason");
	ta_json_str(j, "chunk_missing");
	ta_json_key(j, "ses");
	ta_json_id(j, o->ses);
	ta_json_key(j, "tty");
	ta_json_strn(j, o->tty, strnlen(o->tty, sizeof(o->tty)));
	ta_json_key(j, "bytes");
	ta_json_u64(j, bytes);
	ta_json_key(j, "counted_in");
	ta_json_str(j, "ring_full");
	ta_json_obj_end(j);
	if (!emit_gap(r, "discontinuity", o->ses, now_real(), j))
		r->stats.gap_records++;
}

static void on_lost_tail(void *ctx, const struct ta_cont_owner *o, uint64_t bytes)
{
	note_discontinuity(ctx, o, bytes);
}

/* Input belongs to the terminal's session, output to its writer (as the BPF side counts). */
static void chunk_of(const struct ta_event *ev, struct ta_cont_chunk *ch)
{
	int input = ev->kind == TA_EV_TTY_INPUT;

	ch->call_id = ev->call_id;
	ch->offset = ev->offset;
	ch->len = ev->len;
	ch->total_len = ev->total_len;
	ch->ts_ns = ev->ts_boot_ns;
	ch->marker = (ev->flags & TA_F_REDACTED) && ev->len == 0;
	ch->owner.ses = input ? ev->owner_ses : ev->task.ses;
	ch->owner.auid = input ? ev->owner_auid : ev->task.auid;
	memcpy(ch->owner.tty, ev->tty.name, sizeof(ch->owner.tty));
}

int ta_recorder_on_event(void *ctx, const struct ta_event *ev)
{
	struct ta_recorder *r = ctx;
	uint64_t payload = ev->len, real;
	int err;

	r->stats.events++;
	if (ev->kind == TA_EV_TTY_OUTPUT || ev->kind == TA_EV_TTY_INPUT) {
		struct ta_cont_result cr;
		struct ta_cont_chunk ch;

		chunk_of(ev, &ch);
		ta_continuity_feed(&r->cont, &ch, &cr);
		if (cr.evicted_missing)
			note_discontinuity(r, &cr.evicted_owner, cr.evicted_missing);
		if (cr.missing_before)
			note_discontinuity(r, &ch.owner, cr.missing_before);
		if (r->cont.open)
			ta_continuity_expire(&r->cont, 0, on_lost_tail, r);
		if (ev->kind == TA_EV_TTY_OUTPUT)
			r->stats.bytes_output += ev->len;
		else
			r->stats.bytes_input += ev->len;
	} else if (ev->kind == TA_EV_EXEC) {
		r->stats.execs++;
		payload = ev->argv_len;
	}
	flush_sink_gap(r);
	real = ta_clock_boot_to_real(&r->clock, ev->ts_boot_ns);
	err = r->sink->ops->event(r->sink, ev, real);
	if (err)
		sink_failed(r, err, payload);
	if (r->shared)
		ta_shared_observe(r->shared, ev, real, emit_shared, r);
	return 0;
}

void ta_recorder_on_bad_record(void *ctx, int err, size_t len)
{
	struct ta_recorder *r = ctx;
	struct ta_json *j = &r->scratch;

	r->stats.bad_records++;
	ta_json_reset(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "reason");
	ta_json_str(j, "bad_record");
	ta_json_key(j, "error");
	ta_json_str(j, strerror(-err));
	ta_json_key(j, "events");
	ta_json_u64(j, 1);
	ta_json_key(j, "bytes");
	ta_json_u64(j, len);
	ta_json_obj_end(j);
	if (emit_gap(r, NULL, UINT32_MAX, now_real(), j))
		sink_failed(r, -EIO, 0);
	else
		r->stats.gap_records++;
}

int ta_recorder_note_drop(struct ta_recorder *r, const struct ta_drop_delta *d, uint64_t when)
{
	struct ta_json *j = &r->scratch;

	ta_json_reset(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "reason");
	ta_json_str(j, ta_drop_reason_name(d->reason));
	ta_json_key(j, "ses");
	ta_json_id(j, d->ses);
	ta_json_key(j, "auid");
	ta_json_id(j, d->auid);
	ta_json_key(j, "events");
	ta_json_u64(j, d->events);
	ta_json_key(j, "bytes");
	ta_json_u64(j, d->bytes);
	ta_json_obj_end(j);
	if (d->reason == TA_DROP_QUEUE_SHARE) {
		r->stats.queue_lost_events += d->events;
		r->stats.queue_lost_bytes += d->bytes;
	}
	if (emit_gap(r, NULL, d->ses, when, j)) {
		sink_failed(r, -EIO, 0);
		return -EIO;
	}
	r->stats.gap_records++;
	return 0;
}

struct drop_ctx {
	struct ta_recorder *r;
	uint64_t when;
};

static void on_session_drop(void *ctx, const struct ta_drop_delta *d)
{
	struct drop_ctx *dc = ctx;

	ta_recorder_note_drop(dc->r, d, dc->when);
}

int ta_recorder_collect_drops(struct ta_recorder *r, struct ta_capture *cap)
{
	struct drop_ctx dc = { .r = r, .when = now_real() };
	struct ta_drop_delta total;
	int err;

	ta_clock_sync(&r->clock);
	err = ta_capture_collect_drops(cap, on_session_drop, &dc, &total);
	if (err)
		return err;
	r->stats.lost_events += total.events;
	r->stats.lost_bytes += total.bytes;
	flush_sink_gap(r);
	return 0;
}

int ta_recorder_record(struct ta_recorder *r, uint16_t type, uint32_t ses, const struct ta_json *obj)
{
	struct ta_record rec = { .type = type, .ses = ses, .realtime_ns = now_real(),
				 .json = obj->buf, .len = obj->len };
	int err;

	if (obj->oom)
		return -ENOMEM;
	flush_sink_gap(r);
	err = r->sink->ops->record(r->sink, &rec);
	if (err)
		sink_failed(r, err, 0);
	return err;
}

static int emit_shared(void *ctx, const struct ta_record *rec)
{
	struct ta_recorder *r = ctx;
	struct ta_record timed = *rec;
	int err;

	timed.realtime_ns = ta_now_ns(CLOCK_REALTIME);
	err = r->sink->ops->record(r->sink, &timed);

	if (err)
		sink_failed(r, err, 0);
	return err;
}

void ta_recorder_tick(struct ta_recorder *r, int final)
{
	if (r->shared)
		ta_shared_flush(r->shared, final ? TA_SHARED_FLUSH_ALL : ta_now_ns(CLOCK_REALTIME),
				emit_shared, r);
}

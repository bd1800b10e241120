/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the daemon's records go. Two implementations: JSON Lines
 * (docs/events-jsonl.md) and the tamper-evident store.
 *
 * Terminal events arrive decoded; every other record (gaps, agent start and
 * stop, sessions) arrives as a struct ta_record (logfmt/record_types.h): its
 * type and session as numbers and its JSON object, so a sink can store it
 * without knowing or parsing its fields.
 */
#ifndef TA_SINK_H
#define TA_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "capture/decode.h"
#include "logfmt/record_types.h"

struct ta_sink;

struct ta_sink_ops {
	/* A capture event; realtime_ns already converted from boot time. */
	int (*event)(struct ta_sink *s, const struct ta_event *ev, uint64_t realtime_ns);
	/* Any other record. */
	int (*record)(struct ta_sink *s, const struct ta_record *rec);
	/* Push buffered records toward disk. */
	int (*flush)(struct ta_sink *s);
	void (*close)(struct ta_sink *s);
};

struct ta_sink {
	const struct ta_sink_ops *ops;
};

/*
 * JSON Lines to path ("-" = stdout), opened by ta_open_trusted_append
 * (base/trusted_path.h: what it refused is said in why). -errno on failure.
 */
int ta_sink_jsonl_open(struct ta_sink **out, const char *path, char *why, size_t why_len);
/* JSON Lines onto an open fd (a pipe), which the sink closes; -errno on failure. */
int ta_sink_jsonl_open_fd(struct ta_sink **out, int fd);

/* Both sinks; the primary's result is what callers see. Closes both. */
int ta_sink_tee_open(struct ta_sink **out, struct ta_sink *primary, struct ta_sink *copy);

/* Render one capture event as a JSON object (no newline) into j. */
struct ta_json;
void ta_event_to_json(struct ta_json *j, const struct ta_event *ev, uint64_t realtime_ns);
/*
 * A `gap` record's object for terminal data a session lost over a time range
 * (reason "disk_full", "unclean_stop"; docs/log-format.md §11.2), into j (reset).
 * copied_*: of events and bytes, output another session's process wrote to
 * the session's terminal, filed (and lost) in the writer's session too; only
 * written when not 0, so totals can count each loss once.
 */
void ta_session_gap_to_json(struct ta_json *j, const char *reason, uint32_t ses, const char *tty,
			    uint64_t since_ns, uint64_t until_ns, uint64_t events, uint64_t bytes,
			    uint64_t copied_events, uint64_t copied_bytes);

/*
 * A `gap` record's object for records a sink refused (reason "sink_error"):
 * the last error, events (records) and payload bytes, into j (reset).
 */
void ta_sink_error_gap_to_json(struct ta_json *j, int err, uint64_t events, uint64_t bytes);

#endif

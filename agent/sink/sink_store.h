/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TA_SINK_STORE_H
#define TA_SINK_STORE_H

#include <stdint.h>

#include "sink/sink.h"

struct ta_store;

/* A sink writing into an open store; closing the sink closes the store. */
int ta_sink_store_open(struct ta_sink **out, struct ta_store *store);
/* The last error an append returned (e.g. -ENOSPC), 0 if none. */
int ta_sink_store_last_error(const struct ta_sink *s);
/* Records (and stored bytes) of every disk-full gap written so far. */
uint64_t ta_sink_store_settled(const struct ta_sink *s, uint64_t *bytes);
/* Records dropped since the store last took one (disk full); 0 once settled. */
uint64_t ta_sink_store_pending_drops(const struct ta_sink *s, uint64_t *bytes);

/*
 * Terminal data drained but not yet in the log file: one open batch.
 * since_ns: its first entry (CLOCK_REALTIME).
 */
struct ta_sink_pending {
	uint32_t ses;
	char tty[32];
	uint64_t since_ns, entries, bytes;
	uint64_t copy_entries, copy_bytes; /* of them, output of another session's writer */
};
/*
 * Bounds what a killed daemon loses: appends the batches whose first entry is
 * older than before_ns (0: all of them), hands every record to the kernel
 * (ta_store_write_out) and runs the store's timers. 0 or -errno.
 */
int ta_sink_store_settle(struct ta_sink *s, uint64_t before_ns);
/* The open batches that still hold entries: up to cap into out; returns how many there are. */
size_t ta_sink_store_pending(const struct ta_sink *s, struct ta_sink_pending *out, size_t cap);

#endif

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
/* Records dropped since the store last took one (disk full); 0 once settled. */
uint64_t ta_sink_store_pending_drops(const struct ta_sink *s, uint64_t *bytes);

#endif

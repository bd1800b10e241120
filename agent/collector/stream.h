/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fleet's JetStream stream and the collectors' shared consumer
 * (docs/fleet.md, "A bound per host"): made by the first collector that finds
 * them absent. The stream is a work queue (a message leaves once a collector
 * has committed it to PostgreSQL and acknowledged it; PostgreSQL is the
 * archive), with deny-delete and deny-purge, and holds at most host_pending
 * messages per subject, new ones refused beyond that: one host cannot fill
 * the stream, or the storage under it, for every other host.
 */
#ifndef TA_COLLECTOR_STREAM_H
#define TA_COLLECTOR_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <nats/nats.h>

#define TA_COLLECT_HOST_PENDING 1024 /* messages waiting per host subject, by default */

struct ta_collect_stream_opts {
	int replicas;
	int64_t ack_wait_ms;
	int64_t dedup_ms;
	int64_t host_pending;   /* messages per subject; > 0 */
	bool host_pending_set;  /* given on the command line: an existing stream is changed to it */
	const char *durable;
};

/*
 * Makes the stream and the consumer if absent; says (once per call) when an
 * existing stream has no bound per host. -EIO when JetStream refused (logged).
 */
int ta_collect_stream_setup(jsCtx *js, const struct ta_collect_stream_opts *o);

#endif

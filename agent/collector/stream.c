// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet's stream and consumer (stream.h). */
#include <errno.h>
#include <inttypes.h>

#include "collector/stream.h"
#include "base/log.h"
#include "fleet/fleet.h"

static int refused(const char *what, const char *name, natsStatus s, jsErrCode jerr)
{
	ta_err("collector", "%s %s: %s (JetStream error %d)", what, name, ta_fleet_nats_why(s),
	       (int)jerr);
	return -EIO;
}

static int bounded(const jsStreamConfig *c)
{
	return c->Retention == js_WorkQueuePolicy && c->Discard == js_DiscardNew &&
	       c->DiscardNewPerSubject && c->MaxMsgsPerSubject > 0;
}

/* An existing stream: kept as it is, except a bound per host given on the command line. */
static int check_existing(jsCtx *js, jsStreamInfo *si, const struct ta_collect_stream_opts *o)
{
	jsStreamConfig *c = si->Config;
	if (!bounded(c)) {
		/* Retention cannot change on a stream: recreating it is the operator's decision. */
		ta_warn("collector", "stream %s has no bound per host (made by an older collector: "
			"every message stays, and one host can fill JetStream's storage for all); "
			"recreate it once the collectors have drained it (docs/fleet.md, "
			"\"A bound per host\")", TA_FLEET_STREAM);
		return 0;
	}
	if (!o->host_pending_set || c->MaxMsgsPerSubject == o->host_pending)
		return 0;
	int64_t was = c->MaxMsgsPerSubject;
	jsErrCode jerr = 0;
	jsStreamInfo *upd = NULL;
	c->MaxMsgsPerSubject = o->host_pending;
	natsStatus s = js_UpdateStream(&upd, js, c, NULL, &jerr);
	jsStreamInfo_Destroy(upd);
	if (s != NATS_OK) {
		/* Collecting goes on under the bound the stream has. */
		ta_warn("collector", "stream %s keeps %" PRId64 " messages per host subject: changing "
			"it was refused: %s (JetStream error %d); the collectors' NATS user needs "
			"$JS.API.STREAM.UPDATE.%s, or leave --host-pending out", TA_FLEET_STREAM, was,
			ta_fleet_nats_why(s), (int)jerr, TA_FLEET_STREAM);
		return 0;
	}
	ta_info("collector", "stream %s: messages waiting per host subject %" PRId64 " (was %" PRId64
		")", TA_FLEET_STREAM, o->host_pending, was);
	return 0;
}

static int setup_consumer(jsCtx *js, const struct ta_collect_stream_opts *o)
{
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetConsumerInfo(&ci, js, TA_FLEET_STREAM, o->durable, NULL, &jerr);
	if (s == NATS_NOT_FOUND) {
		jsConsumerConfig cc;
		jsConsumerConfig_Init(&cc);
		cc.Durable = o->durable;
		cc.AckPolicy = js_AckExplicit;
		cc.AckWait = o->ack_wait_ms * 1000000;
		cc.MaxAckPending = 20000;
		s = js_AddConsumer(&ci, js, TA_FLEET_STREAM, &cc, NULL, &jerr);
	}
	jsConsumerInfo_Destroy(ci);
	return s == NATS_OK ? 0 : refused("consumer", o->durable, s, jerr);
}

int ta_collect_stream_setup(jsCtx *js, const struct ta_collect_stream_opts *o)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, js, TA_FLEET_STREAM, NULL, &jerr);
	int e = 0;
	if (s == NATS_OK) {
		e = check_existing(js, si, o);
	} else if (s == NATS_NOT_FOUND) {
		jsStreamConfig sc;
		const char *subjects[] = { TA_FLEET_PREFIX ".*.records", TA_FLEET_PREFIX ".*.checkpoints" };
		jsStreamConfig_Init(&sc);
		sc.Name = TA_FLEET_STREAM;
		sc.Subjects = subjects;
		sc.SubjectsLen = 2;
		sc.Storage = js_FileStorage;
		sc.Replicas = o->replicas;
		sc.Retention = js_WorkQueuePolicy;
		sc.Discard = js_DiscardNew;
		sc.DiscardNewPerSubject = true;
		sc.MaxMsgsPerSubject = o->host_pending;
		sc.DenyDelete = true;
		sc.DenyPurge = true;
		sc.Duplicates = o->dedup_ms * 1000000;
		jsStreamInfo_Destroy(si);
		si = NULL;
		s = js_AddStream(&si, js, &sc, NULL, &jerr);
		if (s != NATS_OK)
			e = refused("stream", TA_FLEET_STREAM, s, jerr);
	} else {
		e = refused("stream", TA_FLEET_STREAM, s, jerr);
	}
	jsStreamInfo_Destroy(si);
	return e ? e : setup_consumer(js, o);
}

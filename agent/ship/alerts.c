// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Alert delivery to NATS (docs/alerts.md, docs/fleet.md): the recorder has no
 * network access, so its alert records reach the fleet through the shipper,
 * which reads them from the log like every other record and publishes each on
 * the host's alerts subject as soon as it sees it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ship/ship.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"

#define ALERT_FLUSH_MS 2000

static int publish_alert(struct ta_ship *s, const struct ta_log_record *rec)
{
	char id[TA_ORIGIN_MAX + 32], idx[24];
	natsMsg *m = NULL;
	natsStatus ns;

	snprintf(id, sizeof(id), "%s/%" PRIu64, s->origin, rec->index);
	snprintf(idx, sizeof(idx), "%" PRIu64, rec->index);
	/* The record's JSON as the recorder wrote it; where it is in the log, in headers. */
	ns = natsMsg_Create(&m, s->subj_alerts, NULL, (const char *)rec->payload, (int)rec->len);
	if (ns == NATS_OK)
		ns = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
	if (ns == NATS_OK)
		ns = natsMsgHeader_Set(m, TA_FLEET_HDR_INDEX, idx);
	if (ns == NATS_OK)
		ns = natsMsgHeader_Set(m, TA_FLEET_HDR_ORIGIN, s->origin);
	if (ns == NATS_OK)
		ns = natsConnection_PublishMsg(s->nc, m);
	natsMsg_Destroy(m);
	if (ns != NATS_OK) {
		snprintf(s->err, sizeof(s->err), "alerts: publish on %s: %s", s->subj_alerts,
			 ta_fleet_nats_why(ns));
		return -EAGAIN;
	}
	return 0;
}

int ta_ship_alerts(struct ta_ship *s)
{
	struct ta_log_reader *r = NULL;
	struct ta_log_record rec;
	uint64_t next;
	int n = 0, e;

	if (s->alerts_off)
		return 0;
	if (!s->alerts_started) {
		s->alert_next = s->st.next;
		s->alerts_started = 1;
	}
	if ((e = ta_log_reader_open(&r, s->dir)))
		return e;
	next = s->alert_next;
	if (next < ta_log_reader_first_index(r))
		next = ta_log_reader_first_index(r);
	e = ta_log_reader_seek(r, next);
	while (!e && (e = ta_log_reader_next(r, &rec)) == 1) {
		e = 0;
		if (rec.type == TA_REC_ALERT) {
			if ((e = publish_alert(s, &rec)))
				break;
			n++;
		}
		next = rec.index + 1;
	}
	ta_log_reader_close(r);
	/* A torn or damaged tail is the record shipping's to report: alerts stop before it. */
	if (e == -EAGAIN)
		return e;
	/* Out of the client's buffer before the cursor moves on. */
	if (n && natsConnection_FlushTimeout(s->nc, ALERT_FLUSH_MS) != NATS_OK) {
		snprintf(s->err, sizeof(s->err), "alerts: NATS did not take them in %d ms",
			 ALERT_FLUSH_MS);
		return -EAGAIN;
	}
	s->alert_next = next;
	s->alerts_published += (uint64_t)n;
	return n;
}

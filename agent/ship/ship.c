// SPDX-License-Identifier: GPL-2.0-or-later
/* One shipping round: records and checkpoints out, the cosigned checkpoint back. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "ship/ship.h"
#include "store/ckptset.h"
#include "store/cosig.h"
#include "store/store.h"
#include "store/witness.h"

#define STATE_BATCH 1024 /* records published between state saves */

static uint64_t now_ms(void)
{
	return ta_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* NATS failures that pass: the connection is down or JetStream has no leader now. */
static int nats_err(struct ta_ship *s, const char *what, natsStatus ns, jsErrCode jerr)
{
	snprintf(s->err, sizeof(s->err), "%s: %s (JetStream error %d)", what,
		 natsStatus_GetText(ns), (int)jerr);
	return -EAGAIN;
}

static int publish(struct ta_ship *s, const char *subj, const char *msgid, const void *data,
		   size_t len, const char *hdr_name, uint64_t hdr_val)
{
	natsMsg *m = NULL;
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	jsPubOptions po;
	char v[24];
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectStream = TA_FLEET_STREAM;
	natsStatus ns = natsMsg_Create(&m, subj, NULL, data, (int)len);
	snprintf(v, sizeof(v), "%" PRIu64, hdr_val);
	if (ns == NATS_OK)
		ns = natsMsgHeader_Set(m, hdr_name, v);
	if (ns == NATS_OK)
		ns = js_PublishMsg(&pa, s->js, m, &po, &jerr);
	natsMsg_Destroy(m);
	if (ns != NATS_OK)
		return nats_err(s, subj, ns, jerr);
	s->published++;
	if (pa->Duplicate)
		s->duplicates++;
	jsPubAck_Destroy(pa);
	return 0;
}

/* Publishes records [st.next, upto) in order; upto UINT64_MAX: to the end of the log. */
static int ship_records(struct ta_ship *s, struct ta_log_reader *r, uint64_t upto)
{
	struct ta_log_record rec;
	char id[TA_ORIGIN_MAX + 32];
	uint64_t since_save = 0;
	while (s->st.next < upto) {
		int e = ta_log_reader_next(r, &rec);
		if (e == 0 && upto == UINT64_MAX)
			return 0;
		if (e <= 0) {
			snprintf(s->err, sizeof(s->err), "reading record %" PRIu64 ": %s", s->st.next,
				 e ? ta_log_reader_error(r)->what : "the log ends early");
			return e ? e : -EIO;
		}
		if (rec.index != s->st.next) {
			snprintf(s->err, sizeof(s->err), "the log gave record %" PRIu64 " for %" PRIu64,
				 rec.index, s->st.next);
			return -EBADMSG;
		}
		snprintf(id, sizeof(id), "%s/%" PRIu64, s->origin, rec.index);
		e = publish(s, s->subj_records, id, rec.stored, rec.stored_len, TA_FLEET_HDR_INDEX,
			    rec.index);
		if (e)
			return e;
		s->st.next++;
		if (++since_save == STATE_BATCH) {
			since_save = 0;
			if ((e = ta_ship_state_save(s->state_path, &s->st)))
				return e;
		}
	}
	return 0;
}

/*
 * The add-checkpoint request for cp. Requests are chained: each claims the
 * collector will have cosigned the one published before it (s->chain), since
 * the collector takes a host's checkpoints in stream order; waiting for each
 * cosignature before sending the next would make every checkpoint but one per
 * round trip stale. A resend starts the chain again from st.acked.
 */
static int ship_checkpoint(struct ta_ship *s, const struct ta_ckpt_set *set,
			   const struct ta_ckpt_entry *c)
{
	char *req, err[400], id[TA_ORIGIN_MAX + 64];
	size_t len;
	uint64_t old = s->chain >= s->st.acked && s->chain <= c->cp.size ? s->chain :
		       s->st.acked <= c->cp.size ? s->st.acked : 0;
	int e = ta_witness_request_build(s->dir, set, &c->cp, c->note, c->note_len, old, &req, &len,
					 err, sizeof(err));
	if (e) {
		snprintf(s->err, sizeof(s->err), "checkpoint %" PRIu64 ": %s", c->cp.size, err);
		return e;
	}
	/* The old size is part of the id: a resend from another old size is a new request. */
	snprintf(id, sizeof(id), "%s/checkpoint/%" PRIu64 "/%" PRIu64, s->origin, c->cp.size, old);
	e = publish(s, s->subj_ckpt, id, req, len, TA_FLEET_HDR_OLD, old);
	free(req);
	if (!e) {
		if (c->cp.size > s->st.checkpoint)
			s->st.checkpoint = c->cp.size;
		s->chain = c->cp.size;
		s->ckpt_sent_ms = now_ms();
	}
	return e;
}

/*
 * Asks the collector for our latest cosigned checkpoint. It must carry a
 * valid cosignature of the collector's key, be signed by our key and have the
 * root of our own checkpoint of that size: anything else is an alarm, in
 * *alarm (the round goes on: what the collector answers never stops shipping).
 * 1 if the cosigned size grew, 0 if not, -EAGAIN if no answer.
 */
static int ask_ack(struct ta_ship *s, const struct ta_ckpt_set *set, char *alarm, size_t alen)
{
	natsMsg *reply = NULL;
	natsStatus ns = natsConnection_Request(&reply, s->nc, s->subj_ack, s->origin,
					       (int)strlen(s->origin), s->ack_timeout_ms);
	if (ns != NATS_OK)
		return nats_err(s, "asking the collector", ns, 0);
	const char *note = natsMsg_GetData(reply);
	size_t len = (size_t)natsMsg_GetDataLength(reply);
	int e = 0;
	if (len == 0)
		goto out; /* nothing cosigned yet */
	struct ta_checkpoint cp;
	const char *why = "";
	size_t valid = 0, bad = 0;
	const struct ta_verifier *w[1] = { s->witness_key };
	if (ta_ckpt_check_note(s->log_key, s->origin, note, len, &cp, &why)) {
		/* Say what came back: its length and first line (printable ASCII only: it is
		 * whatever the network brought), for the investigation. */
		char first[81];
		size_t k = 0;
		for (; k < len && k < sizeof(first) - 1 && note[k] != '\n'; k++)
			first[k] = note[k] >= 0x20 && note[k] < 0x7f ? note[k] : '?';
		first[k] = '\0';
		snprintf(alarm, alen, "the collector's answer on %s is not a checkpoint of this log: "
			 "%s (%zu bytes, first line '%s')", s->subj_ack, why, len, first);
		goto out;
	}
	if (ta_cosig_count(w, 1, note, len, &valid, &bad) || valid != 1) {
		snprintf(alarm, alen, "checkpoint %" PRIu64 " from the collector lacks a valid "
			 "cosignature of %s", cp.size, ta_verifier_name(s->witness_key));
		goto out;
	}
	const struct ta_ckpt_entry *mine = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].cp.size == cp.size)
			mine = &set->v[i];
	if (mine && memcmp(mine->cp.root, cp.root, TA_HASH_LEN)) {
		snprintf(alarm, alen, "the collector cosigned another tree of size %" PRIu64
			 " than this log's", cp.size);
		goto out;
	}
	if (cp.size > s->st.acked && cp.size <= s->st.checkpoint) {
		s->st.acked = cp.size;
		e = 1;
	}
out:
	natsMsg_Destroy(reply);
	return e;
}

/*
 * What the log's files look like now (names, sizes, modification times of
 * seg-*): a round on an unchanged log with nothing waiting for a cosignature
 * is skipped, so an idle shipper does not re-verify every checkpoint.
 */
static uint64_t log_fingerprint(const char *dir)
{
	DIR *d = opendir(dir);
	uint64_t fp = 1469598103934665603ull; /* FNV-1a */
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (strncmp(de->d_name, "seg-", 4) || fstatat(dirfd(d), de->d_name, &st, 0))
			continue;
		uint64_t v[3] = { (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
				  (uint64_t)st.st_mtim.tv_nsec };
		for (const char *p = de->d_name; *p; p++)
			fp = (fp ^ (uint8_t)*p) * 1099511628211ull;
		for (size_t i = 0; i < sizeof(v); i++)
			fp = (fp ^ ((const uint8_t *)v)[i]) * 1099511628211ull;
	}
	closedir(d);
	return fp;
}

int ta_ship_round(struct ta_ship *s)
{
	uint64_t fp = log_fingerprint(s->dir);
	if (fp && fp == s->log_fp && s->st.acked == s->st.checkpoint)
		return 0;
	/* Checkpoints verified in an earlier round are not verified again. */
	struct ta_ckpt_set set = { .origin = s->origin, .known = &s->known };
	struct ta_log_reader *r = NULL;
	int progress = 0, e;
	s->err[0] = '\0';
	/* Alerts first, and whatever becomes of the rest of the round: they are for now. */
	e = ta_ship_alerts(s);
	if (e > 0)
		progress = 1;
	char alert_err[sizeof(s->err)];
	snprintf(alert_err, sizeof(alert_err), "%s", e < 0 ? s->err : "");
	s->err[0] = '\0';
	int dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(s->err, sizeof(s->err), "%s: %s", s->dir, strerror(errno));
		return -errno;
	}
	e = ta_ckpt_set_load(dfd, s->log_key, &set, s->err, sizeof(s->err));
	close(dfd);
	if (e)
		goto out;
	ta_ckpt_set_sort(&set);
	set.known = NULL;
	ta_ckpt_set_free(&s->known);
	s->known = set;
	set = (struct ta_ckpt_set){ 0 };
	const struct ta_ckpt_set *cs = &s->known;
	if ((e = ta_log_reader_open(&r, s->dir))) {
		snprintf(s->err, sizeof(s->err), "%s: cannot read the log: %s", s->dir, strerror(-e));
		goto out;
	}
	if (s->st.next < ta_log_reader_first_index(r)) {
		/* Retention deleted records never shipped: say so loudly, go on from what is left. */
		snprintf(s->err, sizeof(s->err),
			 "records %" PRIu64 "..%" PRIu64 " were deleted by retention before shipping",
			 s->st.next, ta_log_reader_first_index(r) - 1);
		s->st.next = ta_log_reader_first_index(r);
	}
	if ((e = ta_log_reader_seek(r, s->st.next)) && e != -ENOENT)
		goto out;
	/* Each checkpoint after the records it covers. */
	for (size_t i = 0; i < cs->n; i++) {
		const struct ta_ckpt_entry *c = &cs->v[i];
		if (c->cp.size <= s->st.checkpoint || (i + 1 < cs->n && cs->v[i + 1].cp.size == c->cp.size))
			continue;
		if ((e = ship_records(s, r, c->cp.size)) || (e = ship_checkpoint(s, cs, c)))
			goto out;
		progress = 1;
		if ((e = ta_ship_state_save(s->state_path, &s->st)))
			goto out;
	}
	/* Records beyond the last checkpoint go now; the next checkpoint will cover them. */
	uint64_t before = s->st.next;
	if ((e = ship_records(s, r, UINT64_MAX)))
		goto out;
	s->st.log_size = s->st.next;
	if (s->st.next != before)
		progress = 1;
	if (s->st.acked < s->st.checkpoint) {
		char alarm[sizeof(s->alarm)] = "";
		e = ask_ack(s, cs, alarm, sizeof(alarm));
		if (e < 0)
			goto out;
		/* An alarm is said once while it lasts, not every round; shipping goes on. */
		if (alarm[0] && strcmp(alarm, s->alarm))
			snprintf(s->err, sizeof(s->err), "ALARM: %s", alarm);
		memcpy(s->alarm, alarm, sizeof(alarm));
		progress |= e;
		/* Not cosigned in time (a collector lost it, or our old size was stale):
		 * send the latest checkpoint again, from the size the collector cosigned. */
		if (!e && s->st.acked < s->st.checkpoint && now_ms() - s->ckpt_sent_ms >= s->resend_ms &&
		    cs->n) {
			s->chain = s->st.acked;
			if ((e = ship_checkpoint(s, cs, &cs->v[cs->n - 1])))
				goto out;
		}
	}
	e = ta_ship_state_save(s->state_path, &s->st);
	/* Alerts not out yet: the same log must be read again next round. */
	if (!e && !alert_err[0])
		s->log_fp = fp;
	if (!e && alert_err[0] && !s->err[0])
		snprintf(s->err, sizeof(s->err), "%s", alert_err);
out:
	if (e < 0) /* keep what was published before the failure */
		ta_ship_state_save(s->state_path, &s->st);
	ta_log_reader_close(r);
	ta_ckpt_set_free(&set);
	return e < 0 ? e : progress;
}

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
#include "fleet/batch.h"

#define STATE_BATCH 1024 /* records published between state saves */

/*
 * Resends of the latest checkpoint that cosign nothing before the shipper
 * rewinds: publishes again everything from the first record not cosigned.
 * JetStream acknowledged records the collector then does not have (an
 * acknowledgement forged by whoever may answer on the records subject, one
 * changed in transit without TLS, a stream that lost messages it had
 * acknowledged), and resending only the checkpoint never brings them. One
 * resend repairs a checkpoint lost in transit or a stale old size; two more
 * give a collector that is busy (restarting, behind on the stream) 30 s at the
 * default --resend-ms. A rewind that cosigns nothing doubles the resends
 * before the next one (up to 8 times as many): a collector far behind gets a
 * few republications of the backlog, not one every 40 s.
 */
#define TA_SHIP_REWIND_RESENDS 3u
#define TA_SHIP_REWIND_MAX_SHIFT 3

static uint64_t now_ms(void)
{
	return ta_now_ns(CLOCK_MONOTONIC) / 1000000;
}

/* The state file when it is due (ship/state.h); err says why it failed. */
static int state_sync(struct ta_ship *s, int force)
{
	int e = ta_ship_state_sync(&s->state, &s->st, force, now_ms());
	if (e)
		snprintf(s->err, sizeof(s->err), "state file %s: %s (check its directory's space "
			 "and permissions)", s->state.path, strerror(-e));
	return e;
}

int ta_ship_state_flush(struct ta_ship *s)
{
	return state_sync(s, 1);
}

unsigned ta_ship_wait_ms(const struct ta_ship *s, unsigned wait_ms)
{
	return ta_ship_state_due_ms(&s->state, &s->st, wait_ms, now_ms());
}

/* NATS failures that pass: the connection is down or JetStream has no leader now. */
static int nats_err(struct ta_ship *s, const char *what, natsStatus ns, jsErrCode jerr)
{
	snprintf(s->err, sizeof(s->err), "%s: %s (JetStream error %d)", what,
		 ta_fleet_nats_why(ns), (int)jerr);
	return -EAGAIN;
}

/*
 * A Duplicate acknowledgement of a message this shipper had not published:
 * counted, and said at most once a minute (appended to the round's err).
 */
static void dup_new(struct ta_ship *s, const char *id)
{
	uint64_t now = now_ms();
	s->dup_new++;
	if (s->dup_said_ms && now - s->dup_said_ms < 60000)
		return;
	s->dup_said_ms = now;
	size_t l = strlen(s->err);
	snprintf(s->err + l, sizeof(s->err) - l, "%sJetStream already held message %s, which this "
		 "shipper had not published (%" PRIu64 " such so far): expected after a crash between "
		 "a publication and its acknowledgement; otherwise another publisher had its bytes",
		 l ? "; " : "", id, s->dup_new);
}

/*
 * Takes the acknowledgements at the window's head, in order: what they cover
 * counts as published (st.next, st.checkpoint). want: wait while the window
 * holds at least this many messages (TA_SHIP_WINDOW: for room; 1: for all).
 */
static int settle(struct ta_ship *s, unsigned want)
{
	struct ta_ship_sent done[TA_SHIP_WINDOW];
	for (;;) {
		int n = ta_ship_window_take(&s->win, want, s->pub_timeout_ms, done, TA_SHIP_WINDOW,
					    s->err, sizeof(s->err));
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			s->published++;
			if (done[i].dup && !done[i].again)
				dup_new(s, done[i].id);
			if (done[i].next) /* records (and perhaps their checkpoint) */
				s->st.next = done[i].next;
			if (done[i].ckpt > s->st.checkpoint)
				s->st.checkpoint = done[i].ckpt;
		}
		/* Catching up: the position is kept as it goes, not only at the round's end. */
		if (s->st.next >= s->state.saved.next + STATE_BATCH) { /* (a rewind moves next back) */
			int e = state_sync(s, 1);
			if (e)
				return e;
		}
		if (n == 0)
			return 0;
	}
}

/*
 * After a failure: what the window held is forgotten (the library's pending
 * messages too) and published again from the first position not
 * acknowledged; the chain starts again from the last checkpoint JetStream has.
 * What was acknowledged is saved now (a failed save stays due: the failure
 * reported is the round's).
 */
static void window_abort(struct ta_ship *s)
{
	ta_ship_state_sync(&s->state, &s->st, 1, now_ms());
	natsMsgList l;
	/* Never before the first publication: libnats 3.4.1 dereferences its pending map
	 * unchecked (a round that failed first, after a restart, crashed here). */
	if (s->js_published && js_PublishAsyncGetPendingList(&l, s->js) == NATS_OK)
		natsMsgList_Destroy(&l);
	ta_ship_window_clear(&s->win);
	s->pub_next = s->st.next;
	s->pub_ckpt = s->st.checkpoint;
	s->chain = s->st.checkpoint;
}

/*
 * Publishes one message asynchronously once the window has room; next (records:
 * the position after them) or ckpt (a checkpoint's size) is what its
 * acknowledgement makes published.
 */
static int publish(struct ta_ship *s, const char *subj, const char *msgid, const void *data,
		   size_t len, const char *hdr_name, uint64_t hdr_val, uint64_t next, uint64_t ckpt)
{
	int e = settle(s, TA_SHIP_WINDOW);
	if (e)
		return e;
	natsMsg *m = NULL;
	jsPubOptions po;
	char v[24];
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectStream = TA_FLEET_STREAM;
	natsStatus ns = natsMsg_Create(&m, subj, NULL, data, (int)len);
	snprintf(v, sizeof(v), "%" PRIu64, hdr_val);
	if (ns == NATS_OK)
		ns = natsMsgHeader_Set(m, hdr_name, v);
	if (ns == NATS_OK) {
		/* In the window before it goes: its acknowledgement may come at once. */
		ta_ship_window_push(&s->win, msgid, next, ckpt,
				    next ? next <= s->pub_high : ckpt <= s->ckpt_high);
		if (next > s->pub_high)
			s->pub_high = next;
		if (ckpt > s->ckpt_high)
			s->ckpt_high = ckpt;
		ns = js_PublishMsgAsync(s->js, &m, &po);
		s->js_published |= ns == NATS_OK;
	}
	natsMsg_Destroy(m); /* NULL when the library took it */
	if (ns != NATS_OK)
		return nats_err(s, subj, ns, 0);
	return 0;
}

/* Publishes the records batch being built, if it holds any, and begins the next. */
static int flush_batch(struct ta_ship *s)
{
	const void *data;
	size_t len;
	char id[TA_SHIP_MSGID_MAX];
	uint64_t first = s->enc.first, end = first + s->enc.count;
	if (!s->enc.count)
		return 0;
	if (ta_fleet_batch_end(&s->enc, &data, &len) ||
	    ta_fleet_batch_msgid(s->origin, first, s->enc.count, id, sizeof(id)) ||
	    ta_fleet_msgid_seal(s->hasher, id, sizeof(id), data, len)) {
		snprintf(s->err, sizeof(s->err), "records %" PRIu64 "..: %s", first, strerror(ENOMEM));
		return -ENOMEM;
	}
	int e = publish(s, s->subj_records, id, data, len, TA_FLEET_HDR_INDEX, first, end, 0);
	ta_fleet_batch_begin(&s->enc, end);
	return e;
}

/*
 * Publishes records [pub_next, upto) in order, in batches of consecutive
 * records (fleet/batch.h), cut at upto (a checkpoint goes after the records
 * it covers) and at the log's end; upto UINT64_MAX: to the end of the log.
 * Up to a checkpoint, the last batch is left open: the checkpoint goes in it.
 */
static int ship_records(struct ta_ship *s, struct ta_log_reader *r, uint64_t upto)
{
	struct ta_log_record rec;
	ta_fleet_batch_begin(&s->enc, s->pub_next);
	while (s->pub_next < upto) {
		int e = ta_log_reader_next(r, &rec);
		if (e == 0 && upto == UINT64_MAX)
			break;
		if (e <= 0) {
			snprintf(s->err, sizeof(s->err), "reading record %" PRIu64 ": %s", s->pub_next,
				 e ? ta_log_reader_error(r)->what : "the log ends early");
			return e ? e : -EIO;
		}
		if (rec.index != s->pub_next) {
			snprintf(s->err, sizeof(s->err), "the log gave record %" PRIu64 " for %" PRIu64,
				 rec.index, s->pub_next);
			return -EBADMSG;
		}
		if ((e = ta_ship_proof_add(&s->proof, rec.index, rec.stored, rec.stored_len))) {
			snprintf(s->err, sizeof(s->err), "record %" PRIu64 ": %s", rec.index, strerror(-e));
			return e;
		}
		int a = ta_fleet_batch_add(&s->enc, rec.stored, rec.stored_len);
		if (a == 0) { /* full: it goes, this record begins the next */
			if ((e = flush_batch(s)))
				return e;
			a = ta_fleet_batch_add(&s->enc, rec.stored, rec.stored_len);
		}
		if (a <= 0) {
			snprintf(s->err, sizeof(s->err), "record %" PRIu64 ": %s", rec.index, strerror(ENOMEM));
			return -ENOMEM;
		}
		s->pub_next++;
	}
	return upto == UINT64_MAX ? flush_batch(s) : 0;
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
	char *req, err[400], id[TA_SHIP_MSGID_MAX];
	size_t len;
	uint64_t old = s->chain >= s->st.acked && s->chain <= c->cp.size ? s->chain :
		       s->st.acked <= c->cp.size ? s->st.acked : 0;
	/* The proof from the tree kept while reading; the store's builder (which reads the log
	 * from record 0) only when that does not hold it. */
	uint8_t hashes[TA_PROOF_MAX][TA_HASH_LEN];
	int n = old && old < c->cp.size ?
		ta_ship_proof_get(&s->proof, old, c->cp.size, c->cp.root, hashes) : -ENOENT;
	int e;
	if (n >= 0) {
		e = ta_witness_request_format(old, (const uint8_t (*)[TA_HASH_LEN])hashes, (size_t)n,
					      c->note, c->note_len, &req, &len);
		if (e)
			snprintf(err, sizeof(err), "%s", strerror(-e));
	} else {
		if (old && old < c->cp.size)
			s->proof.fallbacks++;
		e = ta_witness_request_build(s->dir, set, &c->cp, c->note, c->note_len, old, &req, &len,
					     err, sizeof(err));
	}
	if (e) {
		snprintf(s->err, sizeof(s->err), "checkpoint %" PRIu64 ": %s", c->cp.size, err);
		return e;
	}
	/*
	 * With the records it covers when they go now (one message: one
	 * collector takes both); alone when they went before. The old size is
	 * part of the id: a resend from another old size is a new request. The
	 * body's digest ends it (fleet/batch.h).
	 */
	if (s->enc.count) {
		const void *data;
		size_t dlen;
		uint64_t first = s->enc.first, end = first + s->enc.count;
		char rid[TA_SHIP_MSGID_MAX];
		e = ta_fleet_batch_msgid(s->origin, first, s->enc.count, id, sizeof(id));
		if (!e && snprintf(rid, sizeof(rid), "%s/checkpoint/%" PRIu64 "/%" PRIu64, id,
				   c->cp.size, old) >= (int)sizeof(rid))
			e = -ENAMETOOLONG;
		if (!e)
			e = ta_fleet_batch_end_ckpt(&s->enc, req, len, &data, &dlen);
		if (!e)
			e = ta_fleet_msgid_seal(s->hasher, rid, sizeof(rid), data, dlen);
		if (e)
			snprintf(s->err, sizeof(s->err), "checkpoint %" PRIu64 ": %s", c->cp.size,
				 strerror(-e));
		else
			e = publish(s, s->subj_records, rid, data, dlen, TA_FLEET_HDR_INDEX, first,
				    end, c->cp.size);
		ta_fleet_batch_begin(&s->enc, end);
		if (!e)
			s->ckpt_with_records++;
	} else {
		e = snprintf(id, sizeof(id), "%s/checkpoint/%" PRIu64 "/%" PRIu64, s->origin,
			     c->cp.size, old) >= (int)sizeof(id) ? -ENAMETOOLONG :
		    ta_fleet_msgid_seal(s->hasher, id, sizeof(id), req, len);
		if (e)
			snprintf(s->err, sizeof(s->err), "checkpoint %" PRIu64 ": %s", c->cp.size,
				 strerror(-e));
		else
			e = publish(s, s->subj_ckpt, id, req, len, TA_FLEET_HDR_OLD, old, 0,
				    c->cp.size);
	}
	free(req);
	if (!e) {
		if (c->cp.size > s->pub_ckpt)
			s->pub_ckpt = c->cp.size;
		s->chain = c->cp.size;
		s->ckpt_sent_ms = now_ms();
	}
	return e;
}

/*
 * Begins the tree the proofs come from, once per process: empty when shipping
 * starts at record 0, else from the log's records before the saved position
 * (one pass at start instead of one per checkpoint). Not at all when
 * retention removed the log's first records: the store's builder then.
 */
static void proof_begin(struct ta_ship *s, uint64_t first_index)
{
	s->proof_tried = 1;
	if (first_index != 0)
		return;
	struct ta_log_reader *r = NULL;
	struct ta_log_record rec;
	if (s->pub_next && ta_log_reader_open(&r, s->dir))
		return;
	while (s->proof.cr.size < s->pub_next && ta_log_reader_next(r, &rec) == 1 &&
	       rec.index == s->proof.cr.size)
		ta_ship_proof_seed(&s->proof, rec.stored, rec.stored_len);
	ta_log_reader_close(r);
	if (s->proof.cr.size == s->pub_next)
		ta_ship_proof_start(&s->proof);
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
	uint64_t t0 = now_ms();
	natsStatus ns = natsConnection_Request(&reply, s->nc, s->subj_ack, s->origin,
					       (int)strlen(s->origin), s->ack_timeout_ms);
	uint64_t took = now_ms() - t0;
	s->asks++;
	if (took > s->ask_max_ms)
		s->ask_max_ms = took;
	if (took >= 500)
		s->asks_slow++;
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
		ta_ship_proof_trim(&s->proof, s->st.acked); /* no request starts below it now */
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

/*
 * Forgets what JetStream acknowledged beyond the cosigned size: the next round
 * publishes the records and checkpoints from st.acked again (TA_SHIP_REWIND_RESENDS).
 * Message ids are the batches' bounds and bytes: what JetStream has within its
 * deduplication window it drops, and the collector counts records it holds as
 * duplicates (equal records at the same index: never a fork). The position
 * saved now is behind, never ahead: a restart goes on from it.
 */
static void ship_rewind(struct ta_ship *s)
{
	size_t l = strlen(s->err);
	s->rewinds++;
	snprintf(s->err + l, sizeof(s->err) - l, "%srecords %" PRIu64 "..%" PRIu64 " were "
		 "acknowledged by JetStream, but the collector cosigned nothing past %" PRIu64
		 " after %u resends of checkpoint %" PRIu64 ": publishing them again (rewind %" PRIu64
		 ")", l ? "; " : "", s->st.acked, s->st.next - 1, s->st.acked, s->stalled,
		 s->st.checkpoint, s->rewinds);
	s->stalled = 0;
	if (s->rewind_shift < TA_SHIP_REWIND_MAX_SHIFT)
		s->rewind_shift++;
	s->st.next = s->st.checkpoint = s->st.acked;
	s->pub_next = s->pub_ckpt = s->chain = s->st.acked;
	s->log_fp = 0; /* the next round reads the log */
	ta_ship_state_sync(&s->state, &s->st, 1, now_ms()); /* a failed save stays due */
}

/*
 * While a published checkpoint is not cosigned yet: asks the collector, and
 * publishes the latest checkpoint again when it has waited resend_ms (a
 * collector lost it, or our old size was stale), from the size the collector
 * cosigned; after TA_SHIP_REWIND_RESENDS such resends, rewinds instead.
 * 1 if the cosigned size grew or it rewound, 0 if not, -errno (err says why).
 */
static int await_cosignature(struct ta_ship *s, const struct ta_ckpt_set *cs)
{
	if (s->st.acked >= s->st.checkpoint)
		return 0;
	char alarm[sizeof(s->alarm)] = "";
	int e = ask_ack(s, cs, alarm, sizeof(alarm));
	if (e < 0)
		return e;
	/* An alarm is said once while it lasts, not every round; shipping goes on. */
	if (alarm[0] && strcmp(alarm, s->alarm))
		snprintf(s->err, sizeof(s->err), "ALARM: %s", alarm);
	memcpy(s->alarm, alarm, sizeof(alarm));
	if (e == 1)
		s->stalled = s->rewind_shift = 0;
	if (!e && s->st.acked < s->st.checkpoint && now_ms() - s->ckpt_sent_ms >= s->resend_ms &&
	    cs->n) {
		if (s->stalled >= TA_SHIP_REWIND_RESENDS << s->rewind_shift) {
			ship_rewind(s);
			return 1;
		}
		s->stalled++;
		s->chain = s->st.acked;
		int r = ship_checkpoint(s, cs, &cs->v[cs->n - 1]);
		if (r || (r = settle(s, 1)))
			return r;
	}
	return e;
}

int ta_ship_round(struct ta_ship *s)
{
	uint64_t fp = log_fingerprint(s->dir);
	if (fp && fp == s->log_fp) {
		/*
		 * The log's files as the last complete round left them (its
		 * checkpoints in s->known): only a cosignature can be new. Reading
		 * the checkpoints and opening the log again each time was most of
		 * what a shipper waiting for its collector did.
		 */
		s->err[0] = '\0';
		int e = await_cosignature(s, &s->known);
		if (e < 0) {
			window_abort(s);
			return e;
		}
		int se = state_sync(s, 0);
		return se < 0 ? se : e;
	}
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
	s->pub_next = s->st.next;
	s->pub_ckpt = s->st.checkpoint;
	if (s->st.next < ta_log_reader_first_index(r)) {
		/* Retention deleted records never shipped: say so loudly, go on from what is left. */
		snprintf(s->err, sizeof(s->err),
			 "records %" PRIu64 "..%" PRIu64 " were deleted by retention before shipping",
			 s->st.next, ta_log_reader_first_index(r) - 1);
		s->st.next = s->pub_next = ta_log_reader_first_index(r);
	}
	if ((e = ta_log_reader_seek(r, s->pub_next)) && e != -ENOENT)
		goto out;
	/*
	 * Past the log's end: the state is another log's (this one replaced, or
	 * restored from a backup). Taken as it is, every record up to its "next"
	 * was skipped without a word, and --until-acked said all was shipped.
	 * The log's own latest checkpoint, when it reaches that far, vouches
	 * for the count a damaged segment would make the reader miss.
	 */
	if (e == -ENOENT && ta_log_reader_next_index(r) < s->pub_next &&
	    (!cs->n || cs->v[cs->n - 1].cp.size < s->pub_next)) {
		snprintf(s->err, sizeof(s->err), "the state file %s says %" PRIu64 " records were "
			 "shipped, but the log holds %" PRIu64 ": it is another log's (the log was "
			 "replaced or restored); move it away to ship this log from its start",
			 s->state.path, s->pub_next, ta_log_reader_next_index(r));
		e = -ESTALE;
		goto out;
	}
	if (!s->proof_tried)
		proof_begin(s, ta_log_reader_first_index(r));
	/* Each checkpoint after the records it covers. */
	for (size_t i = 0; i < cs->n; i++) {
		const struct ta_ckpt_entry *c = &cs->v[i];
		if (c->cp.size <= s->pub_ckpt || (i + 1 < cs->n && cs->v[i + 1].cp.size == c->cp.size))
			continue;
		if ((e = ship_records(s, r, c->cp.size)) || (e = ship_checkpoint(s, cs, c)))
			goto out;
		progress = 1;
	}
	/* Records beyond the last checkpoint go now; the next checkpoint will cover them. */
	uint64_t before = s->pub_next;
	if ((e = ship_records(s, r, UINT64_MAX)))
		goto out;
	if (s->pub_next != before)
		progress = 1;
	/* Every acknowledgement of the round, before asking the collector. */
	if ((e = settle(s, 1)))
		goto out;
	s->st.log_size = s->st.next;
	uint64_t rewinds = s->rewinds;
	if ((e = await_cosignature(s, cs)) < 0)
		goto out;
	progress |= e;
	e = state_sync(s, 0);
	/* Alerts not out yet, or a rewind: the same log must be read again next round. */
	if (!e && !alert_err[0] && s->rewinds == rewinds)
		s->log_fp = fp;
	if (!e && alert_err[0] && !s->err[0])
		snprintf(s->err, sizeof(s->err), "%s", alert_err);
out:
	if (e < 0) { /* keep what was published before the failure */
		window_abort(s);
	}
	ta_log_reader_close(r);
	ta_ckpt_set_free(&set);
	return e < 0 ? e : progress;
}

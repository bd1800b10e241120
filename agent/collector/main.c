// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit-collector: the fleet collector (docs/fleet.md). A client of NATS
 * JetStream (one durable pull consumer shared by every instance) and of
 * PostgreSQL; cosigns a host's checkpoint only after its records are committed.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/ack_rate.h"
#include "collector/collector.h"
#include "collector/stream.h"
#include "base/exitcodes.h"
#include "base/clock.h"
#include "base/log.h"
#include "fleet/fleet.h"

#define DURABLE "collectors"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void usage(FILE *o)
{
	fprintf(o,
		"Usage: ttyaudit-collector --nats URL --dsn DSN --cosigner-key FILE [OPTIONS]\n"
		"       ttyaudit-collector --dsn DSN --enrol VKEY|FILE [--origin ORIGIN]\n"
		"Verifies the hosts' records and checkpoints from JetStream, stores them in\n"
		"PostgreSQL, then cosigns the checkpoints (c2sp.org/tlog-cosignature).\n\n"
		TA_FLEET_NATS_USAGE
		"  --dsn DSN              PostgreSQL connection string (a ttyaudit_collector member)\n"
		"  --cosigner-key FILE    cosignature/v1 key, created if absent (name: --name)\n"
		"  --name NAME            the witness name of a new key (ttyaudit-collector)\n"
		"  --replicas N           stream replicas when creating the stream (1)\n"
		"  --batch N              messages per transaction (256)\n"
		"  --ack-wait-ms N        redeliver what a collector did not acknowledge (30000)\n"
		"  --dedup-ms N           the stream's deduplication window when creating it (600000)\n"
		"  --host-pending N       messages a host may have waiting per subject (1024); given,\n"
		"                         it also changes an existing stream's\n"
		"  --enrol VKEY|FILE      enrol a host's checkpoint key and exit\n");
}

struct ack_ctx {
	PGconn *db;
	const char *dsn;
	struct ta_ack_rate *rate; /* answers per host and second (ack_rate.h) */
	uint64_t foreign_reply;   /* requests whose reply address is not the host's inbox */
};

/* A shipper asks for its latest cosigned checkpoint. */
static void on_ack(natsConnection *nc, natsSubscription *sub, natsMsg *m, void *closure)
{
	struct ack_ctx *a = closure;
	char h[TA_FLEET_HASH_HEX + 1], *note = NULL;
	enum ta_fleet_kind kind;
	size_t len = 0;
	struct ta_ack_rate_slot *slot;
	if (ta_fleet_subject_parse(natsMsg_GetSubject(m), h, &kind) || kind != TA_FLEET_ACK) {
		natsMsg_Destroy(m);
		return;
	}
	if (!ta_fleet_reply_is_hosts(natsMsg_GetReply(m), h)) {
		/* Counted, not logged: a host could fill the log with these. */
		a->foreign_reply++;
	} else {
		if (!ta_ack_rate_ask(a->rate, h, ta_now_ns(CLOCK_MONOTONIC) / 1000000000u, &slot)) {
			natsConnection_Publish(nc, natsMsg_GetReply(m), slot->last, (int)slot->last_len);
			natsMsg_Destroy(m);
			return;
		}
		if (PQstatus(a->db) != CONNECTION_OK)
			PQreset(a->db);
		if (!ta_collect_latest_cosigned(a->db, h, &note, &len)) {
			natsConnection_Publish(nc, natsMsg_GetReply(m), note, (int)len);
			ta_ack_rate_remember(slot, note, len);
		} else {
			ta_warn("collector", "answering %s: %s", natsMsg_GetSubject(m),
				PQerrorMessage(a->db));
		}
	}
	free(note);
	natsMsg_Destroy(m);
}

static PGconn *db_connect(const char *dsn)
{
	PGconn *db = PQconnectdb(dsn);
	if (PQstatus(db) != CONNECTION_OK) {
		ta_err("collector", "PostgreSQL: %s", PQerrorMessage(db));
		PQfinish(db);
		return NULL;
	}
	return db;
}

/*
 * Whether the database has this release's tables: a collector newer than the
 * schema applied would fail every batch on the first table it lacks.
 */
static int schema_current(PGconn *db)
{
	PGresult *r = PQexec(db, "SELECT to_regclass('parked') IS NOT NULL");
	int yes = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		  !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return yes;
}

static int exec_ok(PGconn *db, const char *sql)
{
	PGresult *r = PQexec(db, sql);
	int e = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -EIO;
	PQclear(r);
	return e;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * Up to n messages: waiting up to wait_ms for them, or (0) those the stream
 * has now, taken for FETCH_NOW_MS. 1 some, 0 none, -EAGAIN (c->err says why).
 *
 * libnats 3.4.1 takes every pull request's replies on one inbox per
 * subscription, and a fetch ends at the first status it reads (404 no
 * messages, 408 expired), its own or an earlier request's. The collector
 * used to ask for what the stream had with a no-wait request, which returns
 * at once without reading its answer: the 404 came later and ended the next
 * wait early, whose own request then ended the one after, and so on. The
 * loop spun, each turn leaving a request waiting at the server until it
 * refused more ("Exceeded MaxWaiting": the idle collector's warnings, and
 * cosignatures half a minute late). A no-wait request that waits for its
 * answer is not one on nats-server 2.9 (it waits until it expires), so "what
 * the stream has now" is a request that expires after FETCH_NOW_MS, whose
 * 408 the fetch reads itself; and a wait ended early by a stray status
 * pauses, so that the replies in flight have come when the next fetch
 * starts (it drops the statuses queued before it asks).
 */
#define FETCH_NOW_MS 30   /* the server expires it 10 ms earlier: libnats's margin */
#define FETCH_SETTLE_MS 20 /* the pause after a wait that ended early */

static int fetch(struct ta_collector *c, natsSubscription *sub, int n, int wait_ms,
		 natsMsgList *list)
{
	jsFetchRequest fr;
	jsErrCode jerr = 0;
	natsStatus s;
	memset(list, 0, sizeof(*list));
	uint64_t t0 = ta_now_ns(CLOCK_MONOTONIC);
	if (wait_ms) {
		s = natsSubscription_Fetch(list, sub, n, wait_ms, &jerr);
	} else {
		jsFetchRequest_Init(&fr);
		fr.Batch = n;
		fr.Expires = (int64_t)FETCH_NOW_MS * 1000000;
		s = natsSubscription_FetchRequest(list, sub, &fr);
	}
	if (s == NATS_OK && list->Count > 0)
		return 1;
	natsMsgList_Destroy(list);
	memset(list, 0, sizeof(*list));
	if (wait_ms && (s == NATS_OK || s == NATS_TIMEOUT || s == NATS_NOT_FOUND) &&
	    ta_now_ns(CLOCK_MONOTONIC) - t0 < (uint64_t)wait_ms * 500000) {
		c->fetch_early++;
		poll(NULL, 0, FETCH_SETTLE_MS);
	}
	if (s == NATS_OK || s == NATS_TIMEOUT || s == NATS_NOT_FOUND)
		return 0;
	snprintf(c->err, sizeof(c->err), "fetch: %s", ta_fleet_nats_why(s));
	return -EAGAIN;
}

/*
 * One transaction over msgs[0..count) and, with unpark, the parked
 * checkpoints whose time has come: every message taken, the records written,
 * the checkpoints handled (or parked), committed; acknowledgements only after
 * the commit. While PostgreSQL writes the batch's records, the next batch is
 * fetched into *next when given and empty: JetStream and PostgreSQL work at
 * the same time. On failure rolled back, nothing acknowledged (c->err and
 * c->sqlstate say why).
 */
static int batch_run(struct ta_collector *c, natsSubscription *sub, int n, natsMsg **msgs,
		     int count, int unpark, natsMsgList *next)
{
	int e = 0;
	c->sqlstate[0] = '\0';
	/* The transaction is usually open already: the last COMMIT began the next one. */
	if (!c->in_tx && exec_ok(c->db, "BEGIN")) {
		e = -EIO;
		snprintf(c->err, sizeof(c->err), "BEGIN: %s", PQerrorMessage(c->db));
	}
	c->in_tx = !e;
	/* Before the batch's own: a host's parked checkpoints came before them in the stream. */
	if (!e && unpark && (e = ta_collect_unpark(c)) > 0)
		e = 0;
	for (int i = 0; !e && i < count; i++)
		e = ta_collect_msg(c, msgs[i]);
	if (!e)
		e = ta_collect_send(c);
	if (!e && next && !next->Count && fetch(c, sub, n, 0, next) < 0)
		ta_warn("collector", "%s", c->err); /* the next round fetches again */
	if (!e)
		e = ta_collect_flush(c);
	/*
	 * One round trip for both: a failed COMMIT stops the string there and is
	 * the result; the empty transaction begun holds no snapshot and no lock.
	 */
	if (!e && exec_ok(c->db, "COMMIT; BEGIN")) {
		e = -EIO;
		snprintf(c->err, sizeof(c->err), "COMMIT: %s", PQerrorMessage(c->db));
	}
	if (e) {
		ta_collect_reset(c); /* before ROLLBACK: an unanswered statement is dropped */
		PQclear(PQexec(c->db, "ROLLBACK"));
		c->in_tx = 0;
		return e;
	}
	/* Whatever became of each: a checkpoint that must wait was parked (park.c). */
	for (int i = 0; i < count; i++)
		natsMsg_Ack(msgs[i], NULL);
	ta_collect_reset(c);
	return 0;
}

/*
 * After the parked checkpoints due failed a transaction on their data: each
 * is taken alone, and the one the database refuses alone is taken out of
 * parked as evidence (else it would fail every batch that takes it); the
 * others are handled as any. 0 or -errno.
 */
static int unpark_isolate(struct ta_collector *c, natsSubscription *sub, int n)
{
	struct ta_parked_key *keys = calloc(TA_COLLECT_UNPARK_BATCH, sizeof(*keys));
	char why[sizeof(c->err)];
	int k = keys ? ta_collect_parked_due(c, keys, TA_COLLECT_UNPARK_BATCH) : -ENOMEM, e = 0;
	for (int i = 0; !e && i < k; i++) {
		c->unpark_only = &keys[i];
		e = batch_run(c, sub, n, NULL, 0, 1, NULL);
		c->unpark_only = NULL;
		if (e && ta_collect_failed_on_data(c)) {
			snprintf(why, sizeof(why), "%s", c->err);
			e = ta_collect_unpark_refused(c, &keys[i], why);
		}
	}
	free(keys);
	return k < 0 ? k : e;
}

/* Messages from index from on, not taken: delivered again a second later. */
static void redeliver_from(natsMsgList *list, int from)
{
	for (int i = from; i < list->Count; i++)
		natsMsg_NakWithDelay(list->Msgs[i], 1000, NULL);
}

/*
 * A batch whose data the database refused (ta_collect_failed_on_data) is
 * taken again one message at a time, so that one host's message cannot stall
 * every host's at each redelivery: the message refused alone is kept as
 * evidence and delivered again TA_COLLECT_REFUSED_DELAY_MS later, not
 * acknowledged (its shipper counts its records as published: they are taken
 * once the database takes them, and its host's checkpoints wait for them
 * until then). The parked checkpoints taken with the batch go first, without
 * the messages (unpark_isolate when they fail too).
 */
static int isolate(struct ta_collector *c, natsSubscription *sub, int n, natsMsgList *list)
{
	char why[sizeof(c->err)];
	int e = batch_run(c, sub, n, NULL, 0, 1, NULL), i = 0;
	if (e && ta_collect_failed_on_data(c))
		e = unpark_isolate(c, sub, n);
	for (; !e && i < list->Count; i++) {
		e = batch_run(c, sub, n, &list->Msgs[i], 1, 0, NULL);
		if (!e)
			continue;
		if (!ta_collect_failed_on_data(c))
			break; /* the database itself: the rest is redelivered */
		snprintf(why, sizeof(why), "%s", c->err);
		if ((e = ta_collect_refused(c, list->Msgs[i], why, TA_COLLECT_REFUSED_THEN)) < 0)
			break;
		natsMsg_NakWithDelay(list->Msgs[i], TA_COLLECT_REFUSED_DELAY_MS, NULL);
	}
	if (e)
		redeliver_from(list, i);
	return e;
}

static int batch(struct ta_collector *c, natsSubscription *sub, int n, natsMsgList *list,
		 natsMsgList *next)
{
	int e = batch_run(c, sub, n, list->Msgs, list->Count, 1, next);
	if (e && ta_collect_failed_on_data(c)) {
		ta_warn("collector", "%s; taking the batch's %d messages one at a time", c->err,
			list->Count);
		e = isolate(c, sub, n, list);
	} else if (e) {
		redeliver_from(list, 0);
	}
	return e ? e : 1;
}

/*
 * Idle: the parked checkpoints whose time has come are taken in a
 * transaction of their own. Milliseconds until the next one's time, -1 none
 * parked, or -errno (c->err says why).
 */
static int64_t idle_sweep(struct ta_collector *c, natsSubscription *sub, int n)
{
	int64_t ms = ta_collect_parked_next_ms(c);
	if (ms != 0)
		return ms;
	int e = batch_run(c, sub, n, NULL, 0, 1, NULL);
	if (e && ta_collect_failed_on_data(c))
		e = unpark_isolate(c, sub, n);
	return e ? e : ta_collect_parked_next_ms(c);
}

/* How long an idle fetch waits for a message: a second, or until a parked checkpoint's time. */
static int idle_wait_ms(int64_t park_ms)
{
	if (park_ms < 0 || park_ms >= 1000)
		return 1000;
	return park_ms < 50 ? 50 : (int)park_ms; /* libnats expires a pull 10 ms early */
}

int main(int argc, char **argv)
{
	enum { O_DSN = 256, O_KEY, O_NAME,
	       O_REPL, O_BATCH, O_ACKW, O_ENROL, O_ORIGIN, O_DEDUP, O_PENDING };
	static const struct option opts[] = {
		TA_FLEET_NATS_LONGOPTS,
		{ "dsn", required_argument, NULL, O_DSN }, { "cosigner-key", required_argument, NULL, O_KEY },
		{ "name", required_argument, NULL, O_NAME }, { "replicas", required_argument, NULL, O_REPL },
		{ "batch", required_argument, NULL, O_BATCH }, { "ack-wait-ms", required_argument, NULL, O_ACKW },
		{ "enrol", required_argument, NULL, O_ENROL }, { "origin", required_argument, NULL, O_ORIGIN },
		{ "dedup-ms", required_argument, NULL, O_DEDUP },
		{ "host-pending", required_argument, NULL, O_PENDING },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	struct ta_fleet_nats_opts no = { .name = "ttyaudit-collector" };
	const char *dsn = NULL, *keyfile = NULL, *name = "ttyaudit-collector",
		   *enrol = NULL, *origin = NULL;
	int replicas = 1, n = 256, c;
	long ack_wait = 30000, dedup_ms = 600000;
	struct ta_collect_stream_opts so_stream = { .host_pending = TA_COLLECT_HOST_PENDING,
						    .durable = DURABLE };
	ta_log_init("ttyaudit-collector", TA_LOG_INFO);
	char err[512];
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int n_opt = ta_fleet_nats_option(&no, c, optarg, err, sizeof(err));
		if (n_opt < 0) {
			ta_err("collector", "%s", err);
			return TA_EXIT_CONFIG;
		}
		if (n_opt)
			continue;
		switch (c) {
		case O_DSN: dsn = optarg; break;
		case O_KEY: keyfile = optarg; break;
		case O_NAME: name = optarg; break;
		case O_REPL: replicas = atoi(optarg); break;
		case O_BATCH: n = atoi(optarg); break;
		case O_ACKW: ack_wait = atol(optarg); break;
		case O_ENROL: enrol = optarg; break;
		case O_DEDUP: dedup_ms = atol(optarg); break;
		case O_ORIGIN: origin = optarg; break;
		case O_PENDING: {
			char *end;
			so_stream.host_pending = strtoll(optarg, &end, 10);
			so_stream.host_pending_set = true;
			if (end == optarg || *end || so_stream.host_pending < 1) {
				ta_err("collector", "--host-pending %s: give the messages a host may have "
				       "waiting per subject, 1 or more (default %d)", optarg,
				       TA_COLLECT_HOST_PENDING);
				return TA_EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return TA_EXIT_OK;
		default: usage(stderr); return TA_EXIT_USAGE;
		}
	}
	if (!dsn || optind != argc || (!enrol && (!no.url || !keyfile)) || replicas < 1 ||
	    replicas > 5 || n < 1 || ack_wait < 100 || dedup_ms < 100) {
		usage(stderr);
		return TA_EXIT_USAGE;
	}
	PGconn *db = db_connect(dsn);
	if (!db)
		return TA_EXIT_CONFIG;
	if (enrol) {
		int e = ta_collect_enrol(db, enrol, origin, err, sizeof(err));
		if (e)
			ta_err("collector", "enrol: %s", err);
		PQfinish(db);
		return e ? TA_EXIT_FAILURE : TA_EXIT_OK;
	}
	if (!schema_current(db)) {
		ta_err("collector", "the database lacks this release's tables (parked): apply its "
		       "schema.sql as the database's owner, then start the collectors again");
		PQfinish(db);
		return TA_EXIT_CONFIG;
	}
	struct ta_collector col = { .db = db };
	struct ack_ctx ack = { .db = db_connect(dsn), .dsn = dsn,
			       .rate = calloc(1, sizeof(struct ta_ack_rate)) };
	int e = ta_cosigner_load_or_create(keyfile, name, &col.cosigner);
	if (e || !ack.db || !ack.rate || ta_hasher_new(&col.hasher)) {
		if (e)
			ta_err("collector", "cosigner key %s: %s", keyfile,
			       e == -EKEYREVOKED ? "encrypted (no passphrase can be asked for)" :
			       strerror(-e));
		return TA_EXIT_CONFIG;
	}
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsSubscription *sub = NULL, *acks = NULL;
	natsStatus s = ta_fleet_connect(&no, &nc, err, sizeof(err));
	if (s != NATS_OK) {
		ta_err("collector", "NATS: %s", err);
		return TA_EXIT_CONFIG;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	s = natsConnection_JetStream(&js, nc, NULL);
	/* NATS may not be up yet: wait for it as a shipper does. */
	so_stream.replicas = replicas;
	so_stream.ack_wait_ms = ack_wait;
	so_stream.dedup_ms = dedup_ms;
	while (!stop && s == NATS_OK && ta_collect_stream_setup(js, &so_stream))
		poll(NULL, 0, 1000);
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = TA_FLEET_STREAM;
	so.Consumer = DURABLE;
	if (s == NATS_OK && !stop)
		s = js_PullSubscribe(&sub, js, NULL, DURABLE, NULL, &so, NULL);
	if (s == NATS_OK && !stop)
		s = natsConnection_QueueSubscribe(&acks, nc, TA_FLEET_PREFIX ".*.ack", DURABLE, on_ack,
						  &ack);
	if (s != NATS_OK) {
		ta_err("collector", "JetStream: %s", ta_fleet_nats_why(s));
		return TA_EXIT_FAILURE;
	}
	ta_info("collector", "collecting from stream %s as %s (witness key %s)", TA_FLEET_STREAM,
		DURABLE, ta_signer_vkey(col.cosigner));
	int failing = 0;
	int64_t park_ms = 0; /* until a parked checkpoint's time: 0 now or unknown, -1 none */
	natsMsgList cur = { 0 }, next = { 0 };
	while (!stop) {
		/*
		 * What the stream holds now, up to n; when it holds nothing, wait for
		 * the first message only (a fetch of n waits until n arrive or the
		 * wait ends: a second of lag whenever fewer than n are waiting, now
		 * that one message carries up to 256 records).
		 */
		if (!next.Count && (e = fetch(&col, sub, n, 0, &next)) == 0)
			e = fetch(&col, sub, 1, idle_wait_ms(park_ms), &next);
		if (!next.Count && e == 0 && (park_ms = idle_sweep(&col, sub, n)) < -1) {
			e = (int)park_ms;
			park_ms = 0;
			if (col.in_tx) { /* a failed statement aborted the transaction open */
				PQclear(PQexec(col.db, "ROLLBACK"));
				col.in_tx = 0;
			}
			if (PQstatus(col.db) != CONNECTION_OK)
				PQreset(col.db);
		}
		if (!next.Count && e <= 0) {
			if (e < 0 && !failing)
				ta_warn("collector", "%s; retrying", col.err);
			failing = e < 0;
			if (e < 0)
				poll(NULL, 0, 500);
			continue;
		}
		cur = next;
		memset(&next, 0, sizeof(next));
		uint64_t parked = col.parked;
		e = batch(&col, sub, n, &cur, &next);
		if (col.parked != parked)
			park_ms = 0;
		natsMsgList_Destroy(&cur);
		if (e < 0) {
			if (!failing)
				ta_warn("collector", "%s; retrying", col.err);
			failing = 1;
			if (PQstatus(col.db) != CONNECTION_OK)
				PQreset(col.db);
			poll(NULL, 0, 500);
			continue;
		}
		failing = 0;
	}
	/* Fetched, not handled: redelivered after the ack wait. */
	natsMsgList_Destroy(&next);
	if (col.n_stream_ms) {
		uint32_t *v = col.stream_ms;
		size_t k = col.n_stream_ms;
		qsort(v, k, sizeof(*v), u32_cmp);
		ta_info("collector", "checkpoints cosigned after entering the stream: p50 %u ms, "
			"p99 %u ms, max %u ms", v[k / 2], v[k * 99 / 100], v[k - 1]);
	}
	/*
	 * Destroying a subscription does not wait for a callback already running:
	 * drain it first, so that on_ack is done with the table read and freed below.
	 */
	if (natsSubscription_Drain(acks) == NATS_OK)
		natsSubscription_WaitForDrainCompletion(acks, 5000);
	natsSubscription_Destroy(acks);
	acks = NULL;
	ta_info("collector", "records %llu, checkpoints %llu, cosigned %llu, duplicates %llu, "
		"refused %llu (malformed messages %llu, message ids not their host's or body's %llu, "
		"refused by the database alone %llu, past their host's evidence budget, not kept %llu), "
		"deferred %llu (records not stored yet %llu, of them found by one leaf's probe, "
		"nothing read, %llu; older checkpoints waiting for a leaf read %llu); older "
		"checkpoints read from leaves %llu; records too large to index %llu; "
		"records past their batch's inflation budget, not indexed %llu; "
		"acknowledgement requests answered with the host's last answer (over %d a "
		"second) %llu; acknowledgement requests not answered (reply address not the "
		"host's inbox) %llu; waits for messages ended early by a status %llu; checkpoints "
		"parked %llu, taken from parked %llu; checkpoints past their host's waiting bound, "
		"dropped %llu; checkpoints tried %d times, dropped %llu",
		(unsigned long long)col.records, (unsigned long long)col.checkpoints,
		(unsigned long long)col.cosigned, (unsigned long long)col.duplicates,
		(unsigned long long)col.refused, (unsigned long long)col.malformed,
		(unsigned long long)col.bad_msgid, (unsigned long long)col.isolated,
		(unsigned long long)col.evidence_over,
		(unsigned long long)col.deferred, (unsigned long long)col.deferred_records,
		(unsigned long long)col.hole_probes, (unsigned long long)col.older_delayed,
		(unsigned long long)col.older_read, (unsigned long long)col.index_too_large,
		(unsigned long long)col.index_over_budget, TA_ACK_RATE_PER_S,
		(unsigned long long)ack.rate->from_last, (unsigned long long)ack.foreign_reply,
		(unsigned long long)col.fetch_early, (unsigned long long)col.parked,
		(unsigned long long)col.unparked, (unsigned long long)col.parked_over,
		TA_COLLECT_PARKED_TRIES, (unsigned long long)col.parked_given_up);
	ta_ack_rate_free(ack.rate);
	natsSubscription_Destroy(sub);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	PQfinish(ack.db);
	PQfinish(col.db);
	ta_signer_free(col.cosigner);
	ta_collect_free(&col);
	ta_hasher_free(col.hasher);
	ta_fleet_nats_opts_free(&no);
	return TA_EXIT_OK;
}

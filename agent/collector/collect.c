// SPDX-License-Identifier: GPL-2.0-or-later
/* One message from the stream: verify, store, cosign or keep as evidence. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <stdarg.h>
#include <time.h>

#include "collector/collector.h"
#include "collector/pg.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/pg_array.h"
#include "fleet/batch.h"
#include "fleet/fleet.h"
#include "index/sessfacts.h"
#include "store/ckptset.h"
#include "store/checkpoint.h"
#include "store/merkle.h"
#include "store/store.h"
#include "store/witness.h"

/*
 * An alarm's text and subject may carry the host's bytes (a header's value):
 * printable ASCII only. A terminal's escape sequence would reach whoever reads
 * the collector's log, and bytes that are not UTF-8 made the evidence row's
 * insert fail (text columns of a UTF8 database), so the whole batch, again at
 * every redelivery of the message.
 */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

/*
 * Kinds whose bytes are kept whole: a record or a checkpoint of the host, what
 * an investigation verifies (a leaf's bytes, a signed note), at most a record's
 * or a request's size. Anything else is what the network brought (a message
 * refused whole): its hash, its length and its first bytes are enough.
 */
static int evidence_whole(const char *kind)
{
	return !strcmp(kind, "fork") || !strcmp(kind, "bad-checkpoint") || !strcmp(kind, "witness");
}

/*
 * The evidence statement: kept when the host's evidence this hour is within
 * TA_COLLECT_EVIDENCE_HOUR and no row of the same kind, place and bytes exists
 * (the unique index evidence_once). The hour's budget pays the bytes kept, or
 * for a repeat its alarm line (logged again); past it, the refusals are counted
 * in evidence_budget. Returns the rows kept (0 or 1), the hour's refusals, and
 * whether it was within the budget.
 */
static const char evidence_sql[] =
	"WITH cap AS (SELECT coalesce((SELECT bytes FROM evidence_budget WHERE origin = "
	"coalesce($2::text, '') AND hour = date_trunc('hour', clock_timestamp())), 0) + "
	"octet_length($6::bytea) <= $9::bigint AS fits), "
	"ins AS (INSERT INTO evidence (subject, origin, kind, idx, alarm, message, sha256, length) "
	"SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::bytea, $7::bytea, $8::bigint "
	"FROM cap WHERE fits ON CONFLICT (coalesce(origin, ''), kind, coalesce(idx, -1), sha256) "
	"DO NOTHING RETURNING octet_length(message) n), "
	"bud AS (INSERT INTO evidence_budget (origin, hour, bytes, over) "
	"SELECT coalesce($2::text, ''), date_trunc('hour', clock_timestamp()), CASE WHEN fits "
	"THEN coalesce((SELECT n FROM ins), octet_length($5::text)) ELSE 0 END, "
	"CASE WHEN fits THEN 0 ELSE 1 END FROM cap ON CONFLICT (origin, hour) DO UPDATE SET "
	"bytes = evidence_budget.bytes + excluded.bytes, over = evidence_budget.over + excluded.over "
	"RETURNING over) "
	"SELECT (SELECT count(*) FROM ins), coalesce((SELECT over FROM bud), 0), (SELECT fits FROM cap)";

/*
 * Keeps the message as evidence and logs the alarm (one line). data: the bytes
 * kept (one record of a batch), or NULL for the whole message; the same evidence
 * again is logged, not kept again. Past the host's evidence budget of the hour,
 * neither: counted (the collector's last line and evidence_budget), said once
 * per hour.
 */
static int evidence_of(struct ta_collector *c, natsMsg *m, const void *data, size_t len,
		       const char *origin, const char *kind, int64_t idx, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
#define evidence(c, m, ...) evidence_of(c, m, NULL, 0, __VA_ARGS__)
static int evidence_of(struct ta_collector *c, natsMsg *m, const void *data, size_t len,
		       const char *origin, const char *kind, int64_t idx, const char *fmt, ...)
{
	char alarm[600], subject[256], ib[24], lb[24], cb[24];
	uint8_t sum[TA_HASH_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(alarm, sizeof(alarm), fmt, ap);
	va_end(ap);
	snprintf(subject, sizeof(subject), "%s", natsMsg_GetSubject(m));
	printable(alarm);
	printable(subject);
	if (!data) {
		data = natsMsg_GetData(m);
		len = (size_t)natsMsg_GetDataLength(m);
	}
	ta_sha256(c->hasher, data ? data : "", len, sum);
	size_t keep = evidence_whole(kind) || len <= TA_COLLECT_EVIDENCE_KEEP ? len :
		      TA_COLLECT_EVIDENCE_KEEP;
	/* An empty message is kept as empty bytes, not as SQL NULL. */
	const char *v[9] = { subject, origin, kind, idx >= 0 ? U64(ib, idx) : NULL, alarm,
			     data ? data : "", (const char *)sum, U64(lb, len),
			     U64(cb, TA_COLLECT_EVIDENCE_HOUR) };
	int lens[9] = { -1, -1, -1, -1, -1, (int)keep, TA_HASH_LEN, -1, -1 };
	PGresult *r = ta_pg_q(c->db, evidence_sql, 9, v, lens);
	if (!ta_pg_ok(r) || PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 8 ||
	    PQgetlength(r, 0, 1) != 8 || PQgetlength(r, 0, 2) != 1)
		return ta_pg_fail(c, r, "evidence");
	/* Binary results (ta_pg_q): two bigints and a boolean. */
	uint64_t kept, over;
	memcpy(&kept, PQgetvalue(r, 0, 0), 8);
	memcpy(&over, PQgetvalue(r, 0, 1), 8);
	kept = be64toh(kept);
	over = be64toh(over);
	int fits = *PQgetvalue(r, 0, 2) != 0;
	PQclear(r);
	c->refused++;
	if (fits)
		ta_err("collector", "ALARM %s: %s (subject %s)", origin ? origin : "?", alarm, subject);
	else if (over == 1)
		ta_err("collector", "ALARM %s: its evidence this hour passed %u bytes: more is counted "
		       "in evidence_budget, not kept or logged (last: %s, subject %s)",
		       origin ? origin : "?", TA_COLLECT_EVIDENCE_HOUR, alarm, subject);
	if (!fits)
		c->evidence_over++;
	if (kept) /* NOTIFY for new evidence only: listeners read the table */
		PQclear(PQexec(c->db, "SELECT pg_notify('ttyaudit_alarm', 'evidence')"));
	return TA_COLLECT_ACK;
}

/* The enrolled host of a subject hash: 1 found, 0 unknown, -EIO. */
static int find_host(struct ta_collector *c, const char *h, struct host *out)
{
	const char *v[1] = { h };
	PGresult *r = ta_pg_q(c->db, "SELECT origin, vkey FROM enrolment WHERE subject_hash = $1", 1,
			      v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "enrolment");
	int found = PQntuples(r) == 1;
	if (found) {
		snprintf(out->origin, sizeof(out->origin), "%s", PQgetvalue(r, 0, 0));
		if (ta_verifier_parse(PQgetvalue(r, 0, 1), &out->key))
			found = 0;
	}
	PQclear(r);
	return found;
}

static int drain(struct ta_collector *c);

static int on_checkpoint(struct ta_collector *c, const struct ta_collect_ckpt *cq);

static int ckpt_cmp(const void *a, const void *b, void *ctx)
{
	const struct ta_collector *c = ctx;
	const struct ta_collect_ckpt *x = a, *y = b;
	int o = strcmp(c->hosts[x->host].h.origin, c->hosts[y->host].h.origin);
	return o ? o : x->seq < y->seq ? -1 : x->seq > y->seq;
}

int ta_collect_flush(struct ta_collector *c)
{
	int e = drain(c);
	if (e)
		return e;
	if (c->n_ckq > 1) /* qsort of NULL is undefined even for 0 items */
		qsort_r(c->ckq, c->n_ckq, sizeof(*c->ckq), ckpt_cmp, c);
	for (size_t i = 0; i < c->n_ckq; i++) {
		int v = on_checkpoint(c, &c->ckq[i]);
		if (v == TA_COLLECT_LATER)
			v = ta_collect_park(c, &c->ckq[i]);
		else if (v >= 0 && c->ckq[i].tries)
			v = ta_collect_unpark_done(c, &c->ckq[i]); /* handled: its row goes */
		if (v < 0)
			return v;
	}
	c->n_ckq = 0;
	return 0;
}

static void forget_hosts(struct ta_collector *c)
{
	for (size_t i = 0; i < c->n_hosts; i++)
		ta_verifier_free(c->hosts[i].h.key);
	c->n_hosts = 0;
}

void ta_collect_reset(struct ta_collector *c)
{
	if (c->inflight) {
		/* A batch that failed with its records' statement unanswered: drop the answer. */
		PGresult *r;
		while ((r = PQgetResult(c->db)))
			PQclear(r);
		c->inflight = 0;
	}
	free(c->ord);
	c->ord = NULL;
	for (size_t i = 0; i < c->n_unpark; i++)
		natsMsg_Destroy(c->unpark_msgs[i]);
	c->n_unpark = 0;
	c->n_pending = 0;
	c->n_ckq = 0;
	c->n_bl = 0;
	/* Enrolled hosts are kept a minute across batches: one lookup a minute, not per batch. */
	if (c->n_hosts && time(NULL) - c->hosts_at >= 60)
		forget_hosts(c);
}

void ta_collect_free(struct ta_collector *c)
{
	ta_collect_reset(c);
	forget_hosts(c);
	for (size_t i = 0; i < sizeof(c->arr) / sizeof(c->arr[0]); i++)
		ta_buf_free(&c->arr[i]);
	ta_rec_decoder_free(c->dec);
	c->dec = NULL;
	free(c->pending);
	free(c->stream_ms);
	free(c->bl);
	free(c->ckq);
	free(c->unpark_msgs);
	free(c->hosts);
}

static const char *pd_origin(const struct ta_collector *c, const struct ta_collect_pending *pd)
{
	return c->hosts[pd->host].h.origin;
}

/* Batch order of records: by origin, index, then arrival. */
static int pending_cmp(const void *a, const void *b, void *ctx)
{
	const struct ta_collector *c = ctx;
	const struct ta_collect_pending *x = *(const struct ta_collect_pending *const *)a,
					*y = *(const struct ta_collect_pending *const *)b;
	if (x->host != y->host)
		return strcmp(pd_origin(c, x), pd_origin(c, y));
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * A session's list in the index (users, ttys, related sessions...) holds at
 * most FACTS_MAX values: a host can make its sessions' lists as long as it
 * likes (one attribution record per made-up typist), and every merge rewrote
 * and compared the whole list, in a transaction other collectors wait on. A
 * list that would grow past it keeps FACTS_MAX + 1 values, no longer grows,
 * and counts its host as not decoded (hix): query --fleet reads that host in
 * full, as for any fact the index cannot hold.
 */
#define FACTS_MAX "256"
#define FACTS_OVER "257"
/* The batch's list, cut to FACTS_OVER values (a longer one marks the session). */
#define CUT(col) "(coalesce(fs." col ", '{}'))[1:" FACTS_OVER "]"
/* An array column merged with the batch's: untouched when it holds them or is over. */
#define MERGE(col) "CASE WHEN cardinality(sessions." col ") > " FACTS_MAX " THEN sessions." col \
	" WHEN cardinality(excluded." col ") > " FACTS_MAX " THEN excluded." col \
	" WHEN excluded." col " <@ sessions." col " THEN sessions." col \
	" ELSE ARRAY(SELECT DISTINCT unnest(sessions." col " || excluded." col ") LIMIT " \
	FACTS_OVER ") END"
#define OVER(col) "cardinality(" col ") > " FACTS_MAX

/*
 * The batch's records in one statement: leaves inserted where new, records
 * where their leaf was new; for each, whether it was new and the leaf stored
 * before (the main query sees the table as it was before the statement).
 */
static const char records_sql[] =
	"WITH input AS (SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::bigint[], "
	"$5::integer[], $6::bigint[], $7::bytea[], $8::timestamptz[]) WITH ORDINALITY "
	"AS t(origin, idx, leaf, time_ns, type, session, stored, ts, n)), "
	"ins AS (INSERT INTO leaves (origin, idx, leaf) SELECT origin, idx, leaf FROM input "
	"ON CONFLICT DO NOTHING RETURNING origin, idx), "
	"rec AS (INSERT INTO records (origin, idx, ts, time_ns, type, session, stored) "
	"SELECT i.origin, i.idx, i.ts, i.time_ns, i.type, i.session, i.stored "
	"FROM input i JOIN ins USING (origin, idx)), "
	/*
	 * The session index: the new records' count and times per session, with
	 * the facts of the batch's session table (sessfacts.h: one row per fact,
	 * kind and number or text) merged in by union; in key order, so that
	 * collectors never lock its rows in opposite orders.
	 */
	"f AS (SELECT * FROM unnest($9::text[], $10::bigint[], $11::integer[], $12::bigint[], "
	"$13::text[]) AS f(origin, session, kind, num, txt)), "
	"fs AS (SELECT origin, session, "
	"coalesce(array_agg(DISTINCT num) FILTER (WHERE kind = 1), '{}') auids, "
	"coalesce(array_agg(DISTINCT txt) FILTER (WHERE kind = 2), '{}') users, "
	"coalesce(array_agg(DISTINCT txt) FILTER (WHERE kind = 3), '{}') hosts, "
	"coalesce(array_agg(DISTINCT txt) FILTER (WHERE kind = 4), '{}') ttys, "
	"coalesce(array_agg(DISTINCT num) FILTER (WHERE kind = 5), '{}') related, "
	"'epoch'::timestamptz + min(num) FILTER (WHERE kind = 6) * interval '1 microsecond' b, "
	"'epoch'::timestamptz + max(num) FILTER (WHERE kind = 7) * interval '1 microsecond' e, "
	"bool_or(kind = 8) global FROM f GROUP BY origin, session), "
	"g AS (SELECT i.origin, i.session, min(i.ts) b, max(i.ts) e, count(*) n FROM input i "
	"JOIN ins USING (origin, idx) GROUP BY i.origin, i.session), "
	"sess AS (INSERT INTO sessions (origin, session, first_ts, last_ts, records, auids, users, "
	"hosts, ttys, related, global) "
	"SELECT origin, session, least(g.b, fs.b), greatest(g.e, fs.e), coalesce(g.n, 0), "
	CUT("auids") ", " CUT("users") ", " CUT("hosts") ", " CUT("ttys") ", " CUT("related") ", "
	"coalesce(fs.global, false) "
	"FROM g FULL JOIN fs USING (origin, session) ORDER BY origin, session "
	"ON CONFLICT (origin, session) DO UPDATE SET "
	"first_ts = least(sessions.first_ts, excluded.first_ts), "
	"last_ts = greatest(sessions.last_ts, excluded.last_ts), "
	"records = sessions.records + excluded.records, "
	"auids = " MERGE("auids") ", users = " MERGE("users") ", hosts = " MERGE("hosts") ", "
	"ttys = " MERGE("ttys") ", related = " MERGE("related") ", "
	"global = sessions.global OR excluded.global RETURNING origin, " OVER("auids") " OR "
	OVER("users") " OR " OVER("hosts") " OR " OVER("ttys") " OR " OVER("related") " overfull), "
	/* Per host: what query --fleet checks before trusting the session index (schema.sql). */
	"hix AS (INSERT INTO host_index (origin, records, lo, hi, undecodable) "
	"SELECT origin, sum(n), min(lo), max(hi), sum(bad) FROM ("
	"SELECT origin, count(*) n, min(idx) lo, max(idx) hi, 0 bad FROM input JOIN ins "
	"USING (origin, idx) GROUP BY origin UNION ALL "
	"SELECT origin, 0, NULL, NULL, count(*) FROM f WHERE kind = 9 GROUP BY origin UNION ALL "
	"SELECT origin, 0, NULL, NULL, count(*) FROM sess WHERE overfull GROUP BY origin) x "
	"GROUP BY origin ORDER BY origin ON CONFLICT (origin) DO UPDATE SET "
	"records = host_index.records + excluded.records, lo = least(host_index.lo, excluded.lo), "
	"hi = greatest(host_index.hi, excluded.hi), "
	"undecodable = host_index.undecodable + excluded.undecodable) "
	/* The stored leaf only where there was one: a probe for duplicates and forks alone. */
	"SELECT i.n, ins.idx IS NOT NULL, CASE WHEN ins.idx IS NULL THEN "
	"(SELECT l.leaf FROM leaves l WHERE l.origin = i.origin AND l.idx = i.idx) END "
	"FROM input i LEFT JOIN ins USING (origin, idx)";

/* PostgreSQL's binary timestamptz: microseconds since 2000-01-01 UTC. */
static int64_t pg_time(uint64_t ns)
{
	return (int64_t)(ns / 1000) - 946684800000000LL;
}

static int bl_cmp(const void *a, const void *b)
{
	const struct ta_collect_leaf *x = a, *y = b;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Keeps a leaf of the batch (new, or equal to the one stored) for its checkpoints. */
static int bl_add(struct ta_collector *c, const struct ta_collect_pending *pd)
{
	if (ta_array_grow((void **)&c->bl, &c->cap_bl, c->n_bl + 1, sizeof(*c->bl)))
		return -ENOMEM;
	struct ta_collect_leaf *l = &c->bl[c->n_bl++];
	l->host = pd->host;
	l->index = pd->index;
	memcpy(l->leaf, pd->leaf, TA_HASH_LEN);
	return 0;
}

/*
 * The batch's own leaves of host that end at size - 1: the index its
 * consecutive run down from there starts at (not below from), and the first
 * of them in *run; size when the batch holds none. A checkpoint usually comes
 * with the records it covers: those need not be read back from the database.
 */
static uint64_t bl_run(struct ta_collector *c, size_t host, uint64_t from, uint64_t size,
		       const struct ta_collect_leaf **run)
{
	struct ta_collect_leaf key = { .host = host, .index = size - 1 };
	const struct ta_collect_leaf *l = size > from && c->n_bl ?
		bsearch(&key, c->bl, c->n_bl, sizeof(*c->bl), bl_cmp) : NULL;
	if (!l)
		return size;
	while (l > c->bl && l[-1].host == host && l[-1].index + 1 == l->index && l->index > from)
		l--;
	*run = l;
	return l->index;
}

/* One fact of the session index (sessfacts.h) as a row of the records statement's $9..$13. */
struct facts_ctx {
	struct ta_collector *c;
	const char *origin;
	uint32_t n;
};

static int fact_add(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num, const char *text)
{
	struct facts_ctx *fc = ctx;
	struct ta_buf *a = fc->c->arr;
	uint32_t k = htobe32((uint32_t)kind);
	ta_pg_array_add(&a[8], fc->origin, (uint32_t)strlen(fc->origin));
	ta_pg_array_add_u64(&a[9], key);
	ta_pg_array_add(&a[10], &k, 4);
	ta_pg_array_add_u64(&a[11], num);
	ta_pg_array_add(&a[12], text ? text : "", text ? (uint32_t)strlen(text) : 0);
	fc->n++;
	return 0;
}

/* A record's own fact (log-wide, or undecodable), with its time as the session's bounds. */
static void fact_rec(struct facts_ctx *fc, uint64_t key, enum ta_sessfact_kind kind, uint64_t ns)
{
	fact_add(fc, key, kind, 0, NULL);
	fact_add(fc, key, TA_SF_BEGIN, ns / 1000, NULL);
	fact_add(fc, key, TA_SF_END, ns / 1000, NULL);
}

/*
 * The session index's facts of the rows sent (in (host, index) order): each
 * host's records of the batch go through a session table of their own, the
 * CLI's, whose facts are merged into the index by the statement.
 */
static int facts_build(struct ta_collector *c, struct ta_collect_pending *const *sent, uint32_t n)
{
	static const uint32_t oids[5] = { TA_PG_OID_TEXT, TA_PG_OID_INT8, TA_PG_OID_INT4,
					  TA_PG_OID_INT8, TA_PG_OID_TEXT };
	struct facts_ctx fc = { .c = c };
	int e = 0;
	if (!c->dec) {
		if (ta_rec_decoder_new(&c->dec))
			return -ENOMEM;
	}
	for (int k = 0; k < 5; k++)
		ta_pg_array_begin(&c->arr[8 + k], oids[k]);
	for (uint32_t i = 0; !e && i < n;) {
		size_t host = sent[i]->host;
		struct ta_sesstab t;
		if (ta_sesstab_init(&t, 0))
			return -ENOMEM;
		fc.origin = pd_origin(c, sent[i]);
		uint64_t budget = TA_COLLECT_INDEX_BUDGET_BASE;
		for (uint32_t j = i; j < n && sent[j]->host == host; j++)
			budget += (uint64_t)TA_COLLECT_INDEX_BUDGET_RATIO * sent[j]->rec_len;
		for (; !e && i < n && sent[i]->host == host; i++) {
			const struct ta_collect_pending *pd = sent[i];
			struct ta_log_record rec;
			const char *why = "";
			uint64_t cap = budget < TA_COLLECT_INDEX_RAW_MAX ? budget : TA_COLLECT_INDEX_RAW_MAX;
			ta_rec_decoder_set_max(c->dec, (size_t)cap);
			/* The record's own bytes: a batch message holds several (batch.h). */
			int d = ta_rec_decode(c->dec, pd->rec, pd->rec_len, pd->index, &rec, &why);
			if (d) {
				if (d == -E2BIG && cap < TA_COLLECT_INDEX_RAW_MAX)
					c->index_over_budget++;
				else
					c->index_too_large += d == -E2BIG;
				fact_rec(&fc, pd->session, TA_SF_UNDECODABLE, pd->time_ns);
				continue;
			}
			budget -= rec.len < budget ? rec.len : budget;
			if (ta_sesstab_rec_global(&rec))
				fact_rec(&fc, rec.session, TA_SF_GLOBAL, rec.time_ns);
			e = ta_sesstab_add(&t, &rec);
		}
		if (!e)
			e = ta_sesstab_finish(&t);
		if (!e)
			e = ta_sessfacts_emit(&t, fact_add, &fc);
		ta_sesstab_free(&t);
	}
	for (int k = 0; k < 5; k++)
		ta_pg_array_end(&c->arr[8 + k], fc.n);
	return e;
}

/*
 * Sends the batch's pending records (before any other statement, and before
 * COMMIT) without waiting for the answer: drain_recv takes it.
 */
static int drain_send(struct ta_collector *c)
{
	if (!c->n_pending || c->inflight)
		return 0;
	struct ta_collect_pending **ord = malloc(c->n_pending * sizeof(*ord));
	if (!ord)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_pending; i++)
		ord[i] = &c->pending[i];
	if (c->n_pending > 1)
		qsort_r(ord, c->n_pending, sizeof(*ord), pending_cmp, c);
	/* The same index twice in one batch (a redelivery): equal is a duplicate, else a fork. */
	for (size_t i = 1, first = 0; i < c->n_pending; i++) {
		struct ta_collect_pending *a = ord[first], *b = ord[i];
		if (a->host != b->host || a->index != b->index) {
			first = i;
			continue;
		}
		b->skip = 1;
		if (!memcmp(a->leaf, b->leaf, TA_HASH_LEN))
			c->duplicates++;
		else
			b->fork = 1;
	}
	static const uint32_t oids[8] = { TA_PG_OID_TEXT,  TA_PG_OID_INT8, TA_PG_OID_BYTEA,
					  TA_PG_OID_INT8,  TA_PG_OID_INT4, TA_PG_OID_INT8,
					  TA_PG_OID_BYTEA, TA_PG_OID_TIMESTAMPTZ };
	for (int k = 0; k < 8; k++)
		ta_pg_array_begin(&c->arr[k], oids[k]);
	/* Sent in key order (with other collectors' batches, unique-index waits never cross). */
	uint32_t n = 0;
	struct ta_collect_pending **sent = ord; /* compacted in place: the rows sent */
	for (size_t i = 0; i < c->n_pending; i++) {
		struct ta_collect_pending *pd = ord[i];
		if (pd->skip)
			continue;
		const char *o = pd_origin(c, pd);
		ta_pg_array_add(&c->arr[0], o, (uint32_t)strlen(o));
		ta_pg_array_add_u64(&c->arr[1], pd->index);
		ta_pg_array_add(&c->arr[2], pd->leaf, TA_HASH_LEN);
		ta_pg_array_add_u64(&c->arr[3], pd->time_ns);
		uint32_t ty = htobe32(pd->type);
		ta_pg_array_add(&c->arr[4], &ty, 4);
		ta_pg_array_add_u64(&c->arr[5], pd->session);
		ta_pg_array_add(&c->arr[6], pd->rec, (uint32_t)pd->rec_len);
		ta_pg_array_add_u64(&c->arr[7], (uint64_t)pg_time(pd->time_ns));
		sent[n++] = pd;
	}
	for (int k = 0; k < 8; k++)
		ta_pg_array_end(&c->arr[k], n);
	c->ord = ord;
	c->n_sent = n;
	int e = facts_build(c, sent, n);
	for (int k = 0; k < TA_COLLECT_ARRAYS; k++)
		if (c->arr[k].oom)
			e = -ENOMEM;
	if (e) {
		free(ord);
		c->ord = NULL;
		return e;
	}
	const char *v[TA_COLLECT_ARRAYS];
	int lens[TA_COLLECT_ARRAYS], fmt[TA_COLLECT_ARRAYS];
	for (int k = 0; k < TA_COLLECT_ARRAYS; k++) {
		v[k] = (const char *)c->arr[k].p;
		lens[k] = (int)c->arr[k].len;
		fmt[k] = 1;
	}
	if (!PQsendQueryParams(c->db, records_sql, TA_COLLECT_ARRAYS, NULL, v, lens, fmt, 1)) {
		free(ord);
		c->ord = NULL;
		return ta_pg_fail(c, NULL, "records");
	}
	c->inflight = 1;
	return 0;
}

/*
 * The stored leaf of a record the records statement could not see (a new
 * statement, a new snapshot): equal is a duplicate, different a fork; none
 * is a failure (the batch is redelivered), never a fork.
 */
static int recheck(struct ta_collector *c, struct ta_collect_pending *pd)
{
	char ib[24];
	const char *v[2] = { pd_origin(c, pd), U64(ib, pd->index) };
	PGresult *r = ta_pg_q(c->db, "SELECT leaf FROM leaves WHERE origin = $1 AND idx = $2", 2, v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "leaves");
	int e = 0;
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 0) != TA_HASH_LEN) {
		snprintf(c->err, sizeof(c->err), "record %" PRIu64 " of %s: not inserted and not stored",
			 pd->index, pd_origin(c, pd));
		e = -EIO;
	} else if (!memcmp(PQgetvalue(r, 0, 0), pd->leaf, TA_HASH_LEN)) {
		c->duplicates++;
	} else {
		pd->fork = 1;
	}
	PQclear(r);
	return e;
}

/* Takes the answer of drain_send: new, duplicate or forked, per record. */
static int drain_recv(struct ta_collector *c)
{
	if (!c->inflight)
		return 0;
	c->inflight = 0;
	struct ta_collect_pending **ord = c->ord, **sent = ord;
	uint32_t n = c->n_sent;
	c->ord = NULL;
	int e = 0;
	PGresult *r = PQgetResult(c->db), *more;
	/* The statement's one result, then NULL: anything else is a failure too. */
	while ((more = PQgetResult(c->db))) {
		PQclear(r);
		r = more;
	}
	if (!ta_pg_ok(r) || (uint32_t)PQntuples(r) != n) {
		e = r ? ta_pg_fail(c, r, "records") : -ENOMEM;
		r = NULL;
	}
	for (int i = 0; r && !e && i < PQntuples(r); i++) {
		uint64_t be;
		memcpy(&be, PQgetvalue(r, i, 0), 8);
		uint64_t k = be64toh(be);
		if (k < 1 || k > n) {
			e = -EIO;
			snprintf(c->err, sizeof(c->err), "records: row %" PRIu64 " of %u", k, n);
			break;
		}
		struct ta_collect_pending *pd = sent[k - 1];
		if (*PQgetvalue(r, i, 1)) {
			c->records++;
		} else if (PQgetisnull(r, i, 2)) {
			/*
			 * Not inserted, yet no stored leaf in the statement's snapshot:
			 * another collector inserted it and committed while this
			 * statement waited on its unique-index entry. Read it again.
			 */
			pd->recheck = 1;
		} else if (PQgetlength(r, i, 2) == TA_HASH_LEN &&
			   !memcmp(PQgetvalue(r, i, 2), pd->leaf, TA_HASH_LEN)) {
			c->duplicates++;
		} else {
			pd->fork = 1;
		}
	}
	PQclear(r);
	for (uint32_t k = 0; !e && k < n; k++)
		if (sent[k]->recheck)
			e = recheck(c, sent[k]);
	for (uint32_t k = 0; !e && k < n; k++)
		if (!sent[k]->fork)
			e = bl_add(c, sent[k]);
	if (!e && c->n_bl > 1)
		qsort(c->bl, c->n_bl, sizeof(*c->bl), bl_cmp);
	free(ord);
	for (size_t k = 0; !e && k < c->n_pending; k++) {
		struct ta_collect_pending *pd = &c->pending[k];
		if (!pd->fork)
			continue;
		int v = evidence_of(c, pd->m, pd->rec, pd->rec_len, pd_origin(c, pd), "fork",
				    (int64_t)pd->index,
				 "record %" PRIu64 " differs from the one received before: "
				 "the host's log was forked or rolled back", pd->index);
		if (v < 0)
			e = v;
	}
	c->n_pending = 0;
	return e;
}

/* Writes the batch's pending records now. */
static int drain(struct ta_collector *c)
{
	int e = drain_send(c);
	return e ? e : drain_recv(c);
}

int ta_collect_send(struct ta_collector *c)
{
	return drain_send(c);
}

/*
 * A records message: consecutive records of the host (fleet/batch.h), each
 * verified as a record alone would be. A batch whose framing or any record's
 * envelope is wrong is refused whole and kept as evidence.
 */
static int queue_checkpoint(struct ta_collector *c, natsMsg *m, size_t host, const void *body,
			    size_t len);

/*
 * JetStream drops a message whose id it has seen within its deduplication
 * window, on any subject of the stream: a host publishing another's ids on its
 * own subject would have that host's messages dropped unseen. An id must name
 * the subject's host and end with its body's digest (fleet/batch.h); a message
 * whose id does not (or has none: shippers before digests) is refused and kept
 * as evidence against the host it came from, before its body is looked at (a
 * host squatting another's ids may send anything). 1 refused, 0 taken, -errno.
 */
static int msgid_refused(struct ta_collector *c, natsMsg *m, size_t host, int records,
			 const struct ta_fleet_batch *b)
{
	const struct host *hst = &c->hosts[host].h;
	const char *id = NULL, *why = "";
	if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK)
		id = NULL;
	if (!ta_fleet_msgid_check(c->hasher, id, hst->origin, records, b, natsMsg_GetData(m),
				  (size_t)natsMsg_GetDataLength(m), &why))
		return 0;
	int e = drain(c);
	if (e)
		return e;
	c->bad_msgid++;
	char shown[120];
	snprintf(shown, sizeof(shown), "%s", id ? id : "(none)");
	e = evidence(c, m, hst->origin, "msgid", -1, "message refused: %s (id %s)", why, shown);
	return e < 0 ? e : 1;
}

static int on_record(struct ta_collector *c, natsMsg *m, size_t host)
{
	const struct host *hst = &c->hosts[host].h;
	size_t len = (size_t)natsMsg_GetDataLength(m);
	struct ta_fleet_batch b;
	const char *hidx = NULL, *why = "";
	int e, bad = ta_fleet_batch_parse(natsMsg_GetData(m), len, &b, &why);
	if (!bad && natsMsgHeader_Get(m, TA_FLEET_HDR_INDEX, &hidx) != NATS_OK)
		hidx = NULL;
	if (!bad && (!hidx || strtoull(hidx, NULL, 10) != b.first))
		why = "its index header is not its first record's";
	if ((e = msgid_refused(c, m, host, 1, bad ? NULL : &b)))
		return e < 0 ? e : TA_COLLECT_ACK;
	if (bad || why[0]) {
		if ((e = drain(c)))
			return e;
		c->malformed++;
		return evidence(c, m, hst->origin, "malformed", -1,
				"records message of %zu bytes refused: %s (index header %s)", len, why,
				hidx ? hidx : "absent");
	}
	const uint8_t *p;
	size_t rl;
	while (ta_fleet_batch_next(&b, &p, &rl)) {
		struct ta_log_record h;
		ta_stored_record_parse(p, rl, &h); /* checked by ta_fleet_batch_parse */
		if (ta_array_grow((void **)&c->pending, &c->cap_pending, c->n_pending + 1,
				  sizeof(*c->pending)))
			return -ENOMEM;
		struct ta_collect_pending *pd = &c->pending[c->n_pending++];
		memset(pd, 0, sizeof(*pd));
		pd->m = m;
		pd->rec = p;
		pd->rec_len = rl;
		pd->host = host;
		pd->index = h.index;
		pd->session = h.session;
		pd->time_ns = h.time_ns;
		pd->type = h.type;
		ta_hash_leaf(c->hasher, p, rl, pd->leaf);
	}
	/* The checkpoint that came with them: after the batch's records, as one alone. */
	if (b.ckpt && (e = queue_checkpoint(c, m, host, b.ckpt, b.ckpt_len)))
		return e;
	return TA_COLLECT_ACK;
}

/* ---- the witness library's state store, in the batch's transaction */

static int ws_get(void *ctx, const char *origin, uint64_t *size, uint8_t root[TA_HASH_LEN])
{
	struct ta_collector *c = ctx;
	if (c->wc.valid) {
		/* Read with the host's locked log_state row: no other collector changes it meanwhile. */
		if (!c->wc.have)
			return -ENOENT;
		*size = c->wc.size;
		memcpy(root, c->wc.root, TA_HASH_LEN);
		return 0;
	}
	const char *v[1] = { origin };
	PGresult *r = ta_pg_q(c->db, "SELECT size, root FROM witness_state WHERE origin = $1", 1, v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "witness_state");
	int e = -ENOENT;
	if (PQntuples(r) == 1 && PQgetlength(r, 0, 1) == TA_HASH_LEN) {
		uint64_t s;
		memcpy(&s, PQgetvalue(r, 0, 0), 8);
		*size = be64toh(s);
		memcpy(root, PQgetvalue(r, 0, 1), TA_HASH_LEN);
		e = 0;
	}
	PQclear(r);
	return e;
}

static int ws_cas(void *ctx, const char *origin, uint64_t expect, uint64_t size,
		  const uint8_t root[TA_HASH_LEN])
{
	struct ta_collector *c = ctx;
	char eb[24], sb[24];
	const char *v[4] = { origin, U64(sb, size), (const char *)root, U64(eb, expect) };
	int lens[4] = { -1, -1, TA_HASH_LEN, -1 };
	PGresult *r = expect == 0 ?
		ta_pg_q(c->db, "INSERT INTO witness_state (origin, size, root) VALUES ($1, $2, $3) "
			       "ON CONFLICT (origin) DO UPDATE SET size = $2, root = $3 "
			       "WHERE witness_state.size = 0", 3, v, lens) :
		ta_pg_q(c->db, "UPDATE witness_state SET size = $2, root = $3 WHERE origin = $1 AND "
			       "size = $4", 4, v, lens);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "witness_state");
	int n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (n == 1 && c->wc.valid) {
		c->wc.have = 1;
		c->wc.size = size;
		memcpy(c->wc.root, root, TA_HASH_LEN);
	}
	return n == 1 ? 0 : -EAGAIN;
}

#define TREE_SLICE 65536 /* leaves read back per statement: ~5 MB of result */

/* 1 if host's leaf at idx is stored, 0 if not, or -EIO. */
static int leaf_stored(struct ta_collector *c, const char *origin, uint64_t idx)
{
	char ib[24];
	const char *v[2] = { origin, U64(ib, idx) };
	PGresult *r = ta_pg_q(c->db, "SELECT 1 FROM leaves WHERE origin = $1 AND idx = $2", 2, v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "leaves");
	int n = PQntuples(r);
	PQclear(r);
	return n == 1;
}

/*
 * The root of leaves [from, size) of host folded into cr: the stored leaf
 * hashes, then the batch's own; -ENOENT if some are missing.
 *
 * A host decides which records it sends before a checkpoint, and may sign one
 * far beyond them, as often as it likes: each would read every stored leaf up
 * to the first hole again. So before reading, one leaf is probed: the first
 * missing one the last read found (from the same tree size), else the last
 * one needed; while it is missing the checkpoint waits, having read nothing.
 */
static int tree_root(struct ta_collector *c, size_t host, struct ta_crange *cr,
		     uint64_t from, uint64_t size, uint8_t root[TA_HASH_LEN])
{
	struct host *hst = &c->hosts[host].h;
	const char *origin = hst->origin;
	const struct ta_collect_leaf *run = NULL;
	uint64_t mem = bl_run(c, host, from, size, &run);
	int e = 0;
	if (mem > from) {
		int known = hst->hole_known && hst->hole_from == from && hst->hole >= from &&
			    hst->hole < mem;
		uint64_t probe = known ? hst->hole : mem - 1;
		if ((e = leaf_stored(c, origin, probe)) < 0)
			return e;
		if (!e) {
			hst->hole_known = 1;
			hst->hole_from = from;
			hst->hole = probe;
			c->hole_probes++;
			return -ENOENT;
		}
		e = 0;
	}
	/*
	 * In slices: one result of all those leaves held them all in memory. A
	 * slice with a hole ends the read (the checkpoint waits for its records),
	 * and the hole is kept for the probe above.
	 */
	for (uint64_t at = from, to; !e && at < mem; at = to) {
		char fb[24], sb[24];
		to = mem - at > TREE_SLICE ? at + TREE_SLICE : mem;
		const char *v[3] = { origin, U64(fb, at), U64(sb, to) };
		PGresult *r = ta_pg_q(c->db, "SELECT idx, leaf FROM leaves WHERE origin = $1 AND "
				      "idx >= $2 AND idx < $3 ORDER BY idx", 3, v, NULL);
		if (!ta_pg_ok(r))
			return ta_pg_fail(c, r, "leaves");
		int n = PQntuples(r);
		uint64_t got = 0; /* consecutive leaves from at */
		for (int i = 0; i < n; i++) {
			uint64_t be;
			if (PQgetlength(r, i, 0) != 8 || PQgetlength(r, i, 1) != TA_HASH_LEN) {
				snprintf(c->err, sizeof(c->err), "leaves of %s: a leaf of %d bytes, not 32 "
					 "(the table was changed outside the collector: run ttyaudit verify "
					 "--fleet)", origin, PQgetlength(r, i, 1));
				e = -EIO;
				break;
			}
			memcpy(&be, PQgetvalue(r, i, 0), 8);
			if (be64toh(be) != at + got)
				break;
			ta_crange_append(c->hasher, cr, (const uint8_t *)PQgetvalue(r, i, 1), NULL, NULL);
			got++;
		}
		PQclear(r);
		if (!e && got != to - at) {
			hst->hole_known = 1;
			hst->hole_from = from;
			hst->hole = at + got;
			e = -ENOENT;
		}
	}
	for (uint64_t i = mem; !e && i < size; i++, run++)
		ta_crange_append(c->hasher, cr, run->leaf, NULL, NULL);
	if (!e)
		ta_crange_root(c->hasher, cr, root);
	return e;
}

/*
 * Inserts a verified checkpoint; with its cosignature line, sets that too. Both
 * times are the statement's (received_at by the schema's default), not the
 * transaction's: a transaction opens before its batch is fetched.
 */
static int store_checkpoint(struct ta_collector *c, const struct host *hst,
			    const struct ta_checkpoint *cp, const char *note, size_t note_len,
			    const char *cosig)
{
	char sb[24], *nz = strndup(note, note_len);
	if (!nz)
		return -ENOMEM;
	const char *v[5] = { hst->origin, U64(sb, cp->size), (const char *)cp->root, nz, cosig };
	int l[5] = { -1, -1, TA_HASH_LEN, -1, -1 };
	PGresult *r = cosig ?
		ta_pg_q(c->db, "INSERT INTO checkpoints (origin, size, root, note, cosignature, "
			       "cosigned_at) VALUES ($1, $2, $3, $4, $5, clock_timestamp()) ON CONFLICT "
			       "(origin, size) DO UPDATE SET cosignature = excluded.cosignature, "
			       "cosigned_at = excluded.cosigned_at WHERE checkpoints.cosignature IS NULL "
			       "AND checkpoints.note = excluded.note", 5, v, l) :
		ta_pg_q(c->db, "INSERT INTO checkpoints (origin, size, root, note) VALUES ($1, $2, $3, "
			       "$4) ON CONFLICT DO NOTHING", 4, v, l);
	free(nz);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "checkpoints");
	PQclear(r);
	c->checkpoints++;
	return 0;
}

/*
 * A size already reached may have a stored note: 0 if none or the same text,
 * 1 if another (the host signed a second note for that tree, with other
 * extension lines), or -EIO. Cosigning the second would replace the evidence
 * cosigned before: a proof exported against it would stop verifying.
 */
static int same_note_as_stored(struct ta_collector *c, const struct host *hst,
			       const struct ta_checkpoint *cp, const char *note, size_t note_len)
{
	char sb[24];
	const char *v[2] = { hst->origin, U64(sb, cp->size) };
	PGresult *r = ta_pg_q(c->db, "SELECT note FROM checkpoints WHERE origin = $1 AND size = $2",
			      2, v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "checkpoints");
	int other = PQntuples(r) == 1 && ((size_t)PQgetlength(r, 0, 0) != note_len ||
					  memcmp(PQgetvalue(r, 0, 0), note, note_len));
	PQclear(r);
	return other;
}

/*
 * How long a cosigned checkpoint was in JetStream and here (the collector's
 * share of lag), parked or not.
 */
static void stream_time(struct ta_collector *c, const struct ta_collect_ckpt *cq)
{
	if (!cq->entered_ns)
		return;
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	int64_t ms = ((int64_t)t.tv_sec * 1000000000 + t.tv_nsec - cq->entered_ns) / 1000000;
	if (c->n_stream_ms == c->cap_stream_ms && c->cap_stream_ms >= (1u << 20))
		return; /* a long run: the first million are the figure */
	if (ta_array_grow((void **)&c->stream_ms, &c->cap_stream_ms, c->n_stream_ms + 1,
			  sizeof(*c->stream_ms)))
		return;
	c->stream_ms[c->n_stream_ms++] = ms < 0 ? 0 : (uint32_t)ms;
}

/*
 * The root of the host's tree at size, below the size the collector holds: an
 * older checkpoint must match it. A size stored before has its verified root
 * in checkpoints (one row: a shipper restarted behind sends its old checkpoints
 * again). Another is read from the host's leaves, O(size): a host signs any
 * old size it likes, so such reads are spaced (TA_COLLECT_OLDER_WAIT) and a
 * checkpoint that comes too soon waits (TA_COLLECT_LATER: parked, park.c).
 */
static int older_root(struct ta_collector *c, size_t host, uint64_t size, uint8_t root[TA_HASH_LEN])
{
	const char *origin = c->hosts[host].h.origin;
	char sb[24];
	const char *v[2] = { origin, U64(sb, size) };
	PGresult *r = ta_pg_q(c->db, "SELECT root FROM checkpoints WHERE origin = $1 AND size = $2",
			      2, v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "checkpoints");
	int known = PQntuples(r) == 1 && PQgetlength(r, 0, 0) == TA_HASH_LEN;
	if (known)
		memcpy(root, PQgetvalue(r, 0, 0), TA_HASH_LEN);
	PQclear(r);
	if (known)
		return 0;
	uint64_t t0 = ta_now_ns(CLOCK_MONOTONIC) / 1000000;
	if (t0 < c->older_next_ms) {
		c->older_delayed++;
		if (!c->older_said++)
			ta_warn("collector", "%s sends checkpoints older than its tree faster than their "
				"leaves can be read; they wait their turn (such reads take at most a tenth "
				"of this collector's time). Its shipper does not do that: look at that host",
				origin);
		return TA_COLLECT_LATER;
	}
	struct ta_crange old;
	ta_crange_init(&old);
	int e = tree_root(c, host, &old, 0, size, root);
	uint64_t t1 = ta_now_ns(CLOCK_MONOTONIC) / 1000000;
	c->older_read++;
	c->older_next_ms = t1 + TA_COLLECT_OLDER_WAIT * (t1 - t0);
	return e == -ENOENT ? -EIO : e;
}

static int on_checkpoint(struct ta_collector *c, const struct ta_collect_ckpt *cq)
{
	natsMsg *m = cq->m;
	size_t host = cq->host;
	const struct host *hst = &c->hosts[host].h;
	const char *body = cq->body;
	size_t len = cq->len;
	/* The note follows the request's head (old size, proof lines, an empty line). */
	const char *sep = len ? memmem(body, len, "\n\n", 2) : NULL;
	if (!sep)
		return evidence(c, m, hst->origin, "malformed", -1, "checkpoint request without a note");
	const char *note = sep + 2;
	size_t note_len = len - (size_t)(note - body);
	struct ta_checkpoint cp;
	const char *why = "";
	if (!ta_ckpt_check_note(hst->key, hst->origin, note, note_len, &cp, &why) &&
	    cp.size > TA_FLEET_INDEX_MAX)
		why = "its size is beyond 2^63 - 1"; /* the database's bigint: its statements would fail */
	if (why[0])
		return evidence(c, m, hst->origin, "bad-checkpoint", -1,
				"checkpoint refused: %s", why);
	const char *v[4] = { hst->origin };
	/*
	 * One collector at a time per host: the state row is the lock. The
	 * witness's state comes with it (the witness library reads it from the
	 * cache, ws_get): one round trip, not three, for the common case.
	 */
	static const char state_sql[] =
		"SELECT l.size, l.root, l.crange, w.size, w.root FROM log_state l "
		"LEFT JOIN witness_state w USING (origin) WHERE l.origin = $1 FOR UPDATE OF l";
	c->wc.valid = 0;
	PGresult *r = ta_pg_q(c->db, state_sql, 1, v, NULL);
	if (ta_pg_ok(r) && PQntuples(r) == 0) {
		PQclear(r);
		r = ta_pg_q(c->db, "INSERT INTO log_state (origin, size, root, crange) VALUES ($1, 0, "
				   "''::bytea, ''::bytea) ON CONFLICT DO NOTHING", 1, v, NULL);
		if (!ta_pg_ok(r))
			return ta_pg_fail(c, r, "log_state");
		PQclear(r);
		r = ta_pg_q(c->db, state_sql, 1, v, NULL);
	}
	if (!ta_pg_ok(r) || PQntuples(r) != 1)
		return ta_pg_fail(c, r, "log_state");
	c->wc.have = !PQgetisnull(r, 0, 3) && PQgetlength(r, 0, 3) == 8 &&
		     PQgetlength(r, 0, 4) == TA_HASH_LEN;
	if (c->wc.have) {
		uint64_t wbe;
		memcpy(&wbe, PQgetvalue(r, 0, 3), 8);
		c->wc.size = be64toh(wbe);
		memcpy(c->wc.root, PQgetvalue(r, 0, 4), TA_HASH_LEN);
	}
	uint64_t be, have;
	memcpy(&be, PQgetvalue(r, 0, 0), 8);
	have = be64toh(be);
	struct ta_crange cr;
	ta_crange_init(&cr);
	uint8_t have_root[TA_HASH_LEN] = { 0 }, root[TA_HASH_LEN];
	int seeded = have == 0 || (PQgetlength(r, 0, 1) == TA_HASH_LEN &&
				   !ta_crange_seed(&cr, have, (const uint8_t *)PQgetvalue(r, 0, 2),
						   (unsigned)(PQgetlength(r, 0, 2) / TA_HASH_LEN), NULL, NULL));
	if (have)
		memcpy(have_root, PQgetvalue(r, 0, 1), TA_HASH_LEN);
	PQclear(r);
	c->wc.valid = 1;
	if (!seeded) {
		snprintf(c->err, sizeof(c->err), "log_state of %s is damaged", hst->origin);
		return -EIO;
	}
	int e;
	if (cp.size >= have) {
		e = tree_root(c, host, &cr, have, cp.size, root);
		if (e == -ENOENT) {
			c->deferred++;
			c->deferred_records++;
			return TA_COLLECT_LATER;
		}
		if (e)
			return e;
	} else if ((e = older_root(c, host, cp.size, root))) {
		if (e != TA_COLLECT_LATER)
			return e;
		c->deferred++;
		return TA_COLLECT_LATER;
	}
	if (memcmp(root, cp.root, TA_HASH_LEN))
		return evidence(c, m, hst->origin, "fork", (int64_t)cp.size,
				"checkpoint of size %" PRIu64 " signed by the host does not match the "
				"records received (collector's tree has %" PRIu64 "): forked or rolled back",
				cp.size, have);
	if (cp.size <= have && (e = same_note_as_stored(c, hst, &cp, note, note_len)))
		return e < 0 ? e : evidence(c, m, hst->origin, "bad-checkpoint", (int64_t)cp.size,
					    "a second note for checkpoint size %" PRIu64 " (other "
					    "lines than the one stored): the stored note and its "
					    "cosignature are kept", cp.size);
	if (cp.size > have) {
		uint8_t hashes[TA_CRANGE_MAX * TA_HASH_LEN];
		char sb[24];
		for (unsigned i = 0; i < cr.n; i++)
			memcpy(hashes + i * TA_HASH_LEN, cr.h[i], TA_HASH_LEN);
		const char *uv[4] = { hst->origin, U64(sb, cp.size), (const char *)root,
				      (const char *)hashes };
		int ul[4] = { -1, -1, TA_HASH_LEN, (int)(cr.n * TA_HASH_LEN) };
		r = ta_pg_q(c->db, "UPDATE log_state SET size = $2, root = $3, crange = $4 WHERE "
				   "origin = $1", 4, uv, ul);
		if (!ta_pg_ok(r))
			return ta_pg_fail(c, r, "log_state");
		PQclear(r);
	}
	/* Cosign with the witness library: signature, old size, consistency, state. */
	const struct ta_verifier *keys[1] = { hst->key };
	struct ta_witness_log wl = { .origin = hst->origin, .keys = keys, .n_keys = 1 };
	struct ta_witness w = { .key = c->cosigner, .logs = &wl, .n_logs = 1,
				.store = { .get = ws_get, .cas = ws_cas, .ctx = c } };
	struct ta_witness_reply rep;
	e = ta_witness_add_checkpoint(&w, body, len, (uint64_t)time(NULL), &rep);
	if (!e && rep.status == 409) {
		/*
		 * The witness state came with the host's lock; when that lock was
		 * waited for (another collector cosigned this host's previous
		 * checkpoint meanwhile), the locked row is re-read at its newest but
		 * the joined witness row is the statement's older one. Read it again
		 * (a new snapshot; the lock keeps it from changing) before calling
		 * the request early: the chain's predecessor is usually just cosigned.
		 */
		c->wc.valid = 0;
		e = ta_witness_add_checkpoint(&w, body, len, (uint64_t)time(NULL), &rep);
	}
	c->wc.valid = 0;
	if (e)
		return e == -EIO ? e : (snprintf(c->err, sizeof(c->err), "witness: %s", strerror(-e)), -EIO);
	rep.body[rep.body_len] = '\0';
	/* The verified checkpoint is kept, with the cosignature when there is one. */
	if ((e = store_checkpoint(c, hst, &cp, note, note_len, rep.status == 200 ? rep.body : NULL)))
		return e;
	if (rep.status == 409) {
		/*
		 * A chained request (docs/fleet.md) whose predecessor is not cosigned
		 * yet (another collector holds it, or it comes later in the stream):
		 * back later. An old size below ours is stale: the shipper resends.
		 */
		/* The witness parsed "old N" and answers 409 with the size it holds. */
		uint64_t old = strtoull(body + 4, NULL, 10), have_w = strtoull(rep.body, NULL, 10);
		if (old > have_w) {
			c->deferred++;
			return TA_COLLECT_LATER;
		}
		return TA_COLLECT_ACK;
	}
	if (rep.status != 200)
		return evidence(c, m, hst->origin, "witness", (int64_t)cp.size,
				"the witness refused checkpoint %" PRIu64 ": %d %.*s", cp.size,
				rep.status, (int)strcspn(rep.body, "\n"), rep.body);
	c->cosigned++;
	stream_time(c, cq);
	return TA_COLLECT_ACK;
}

/* When m entered the stream (CLOCK_REALTIME ns), 0 if it does not say. */
static int64_t entered_ns(natsMsg *m)
{
	jsMsgMetaData *md = NULL;
	if (natsMsg_GetMetaData(&md, m) != NATS_OK)
		return 0;
	int64_t t = md->Timestamp;
	jsMsgMetaData_Destroy(md);
	return t;
}

int ta_collect_queue_checkpoint(struct ta_collector *c, const struct ta_collect_ckpt *cq)
{
	if (ta_array_grow((void **)&c->ckq, &c->cap_ckq, c->n_ckq + 1, sizeof(*c->ckq)))
		return -ENOMEM;
	c->ckq[c->n_ckq] = *cq;
	c->ckq[c->n_ckq].seq = c->n_ckq;
	c->n_ckq++;
	return 0;
}

/*
 * Checkpoints wait for ta_collect_flush: after the batch's records, in origin
 * order.
 */
static int queue_checkpoint(struct ta_collector *c, natsMsg *m, size_t host, const void *body,
			    size_t len)
{
	struct ta_collect_ckpt cq = { .m = m, .body = body, .len = len, .host = host,
				      .entered_ns = entered_ns(m) };
	return ta_collect_queue_checkpoint(c, &cq);
}

int ta_collect_host(struct ta_collector *c, const char *h, size_t *out)
{
	/* The hosts, looked up once a minute (ta_collect_reset). */
	size_t hi = 0;
	while (hi < c->n_hosts && strcmp(c->hosts[hi].hash, h))
		hi++;
	if (hi == c->n_hosts) {
		struct host found = { 0 };
		int e = find_host(c, h, &found);
		if (e <= 0)
			return e;
		void *np = realloc(c->hosts, (c->n_hosts + 1) * sizeof(*c->hosts));
		if (!np) {
			ta_verifier_free(found.key);
			return -ENOMEM;
		}
		c->hosts = np;
		if (!c->n_hosts)
			c->hosts_at = time(NULL);
		snprintf(c->hosts[hi].hash, sizeof(c->hosts[hi].hash), "%s", h);
		c->hosts[hi].h = found;
		c->n_hosts++;
	}
	*out = hi;
	return 1;
}

int ta_collect_msg(struct ta_collector *c, natsMsg *m)
{
	char h[TA_FLEET_HASH_HEX + 1];
	enum ta_fleet_kind kind;
	int e;
	if (ta_fleet_subject_parse(natsMsg_GetSubject(m), h, &kind) || kind == TA_FLEET_ACK ||
	    kind == TA_FLEET_ALERTS) {
		e = evidence(c, m, NULL, "subject", -1, "message on a subject of no host");
		return e < 0 ? e : 0;
	}
	size_t hi;
	if ((e = ta_collect_host(c, h, &hi)) < 0)
		return e;
	if (e == 0) {
		e = evidence(c, m, NULL, "unknown-origin", -1,
			     "no host is enrolled for subject hash %s", h);
		return e < 0 ? e : 0;
	}
	if (kind == TA_FLEET_RECORDS) {
		e = on_record(c, m, hi);
		return e < 0 ? e : 0;
	}
	if ((e = msgid_refused(c, m, hi, 0, NULL)))
		return e < 0 ? e : 0;
	/*
	 * The same bound as a checkpoint travelling with its records (batch.h):
	 * a request is a few KiB, and one that waits is kept and read again
	 * (park.c), so a host may not make each such read a megabyte.
	 */
	size_t len = (size_t)natsMsg_GetDataLength(m);
	if (!len || len > TA_FLEET_BATCH_REQUEST_MAX) {
		c->malformed++;
		e = evidence(c, m, c->hosts[hi].h.origin, "malformed", -1,
			     "checkpoint request of %zu bytes refused: 1 to %u bytes", len,
			     TA_FLEET_BATCH_REQUEST_MAX);
		return e < 0 ? e : 0;
	}
	return queue_checkpoint(c, m, hi, natsMsg_GetData(m), len);
}

int ta_collect_failed_on_data(const struct ta_collector *c)
{
	return PQstatus(c->db) == CONNECTION_OK &&
	       (!strncmp(c->sqlstate, "22", 2) || !strncmp(c->sqlstate, "23", 2) ||
		!strncmp(c->sqlstate, "54", 2));
}

int ta_collect_refused_evidence(struct ta_collector *c, natsMsg *m, const char *why, const char *then)
{
	char h[TA_FLEET_HASH_HEX + 1] = "";
	enum ta_fleet_kind kind;
	const char *origin = NULL;
	if (!ta_fleet_subject_parse(natsMsg_GetSubject(m), h, &kind))
		for (size_t i = 0; i < c->n_hosts; i++)
			if (!strcmp(c->hosts[i].hash, h))
				origin = c->hosts[i].h.origin;
	int e = evidence_of(c, m, NULL, 0, origin, "db-refused", -1,
			    "the database refused this message alone (%s): kept here, the other "
			    "messages go on; %s", why, then);
	return e < 0 ? e : 0;
}

int ta_collect_refused(struct ta_collector *c, natsMsg *m, const char *why, const char *then)
{
	PGresult *r = PQexec(c->db, "BEGIN");
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "BEGIN");
	PQclear(r);
	int e = ta_collect_refused_evidence(c, m, why, then);
	r = PQexec(c->db, e < 0 ? "ROLLBACK" : "COMMIT");
	if (e >= 0 && !ta_pg_ok(r))
		return ta_pg_fail(c, r, "COMMIT");
	PQclear(r);
	if (e >= 0)
		c->isolated++;
	return e;
}

int ta_collect_latest_cosigned(PGconn *db, const char *subject_hash, char **out, size_t *len)
{
	const char *v[1] = { subject_hash };
	PGresult *r = PQexecParams(db,
		"SELECT c.note || c.cosignature FROM checkpoints c JOIN enrolment e USING (origin) "
		"WHERE e.subject_hash = $1 AND c.cosignature IS NOT NULL ORDER BY c.size DESC LIMIT 1",
		1, NULL, v, NULL, NULL, 0);
	if (!ta_pg_ok(r)) {
		PQclear(r);
		return -EIO;
	}
	*out = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
	*len = *out ? strlen(*out) : 0;
	PQclear(r);
	return *out ? 0 : -ENOMEM;
}

int ta_collect_enrol(PGconn *db, const char *vkey, const char *origin, char *err, size_t errlen)
{
	struct ta_verifier *k;
	int e = ta_verifier_load(vkey, TA_ALG_ED25519, &k);
	if (e) {
		snprintf(err, errlen, "%s: %s", vkey, ta_verifier_load_strerror(e));
		return e;
	}
	char h[TA_FLEET_HASH_HEX + 1];
	if (!origin)
		origin = ta_verifier_name(k);
	ta_fleet_origin_hash(origin, h);
	const char *v[3] = { origin, h, ta_verifier_vkey(k) };
	PGresult *r = PQexecParams(db, "INSERT INTO enrolment (origin, subject_hash, vkey) "
				       "VALUES ($1, $2, $3)", 3, NULL, v, NULL, NULL, 0);
	e = ta_pg_ok(r) ? 0 : -EIO;
	if (e)
		snprintf(err, errlen, "%s", PQerrorMessage(db));
	PQclear(r);
	ta_verifier_free(k);
	return e;
}

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
#include "common/log.h"
#include "fleet/fleet.h"
#include "store/ckptset.h"
#include "store/checkpoint.h"
#include "store/merkle.h"
#include "store/store.h"
#include "store/witness.h"

/* Runs a parameterised statement (text parameters, or binary where lens is given). */
static PGresult *q(PGconn *db, const char *sql, int n, const char *const *v, const int *lens)
{
	int fmt[8] = { 0 };
	for (int i = 0; lens && i < n; i++)
		fmt[i] = lens[i] >= 0;
	return PQexecParams(db, sql, n, NULL, v, lens, lens ? fmt : NULL, 1);
}

static int db_fail(struct ta_collector *c, PGresult *r, const char *what)
{
	/* PQclear(NULL) is a no-op: callers pass NULL when there is no result. */
	snprintf(c->err, sizeof(c->err), "%s: %s", what, PQerrorMessage(c->db));
	c->err[strcspn(c->err, "\n")] = '\0';
	PQclear(r);
	return -EIO;
}

static int ok(PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

#define U64(buf, v) (snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)(v)), buf)

/* Keeps the message as evidence and logs the alarm (one line). */
static int evidence(struct ta_collector *c, natsMsg *m, const char *origin, const char *kind,
		    int64_t idx, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int evidence(struct ta_collector *c, natsMsg *m, const char *origin, const char *kind,
		    int64_t idx, const char *fmt, ...)
{
	char alarm[600], ib[24];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(alarm, sizeof(alarm), fmt, ap);
	va_end(ap);
	ta_err("collector", "ALARM %s: %s (subject %s)", origin ? origin : "?", alarm,
	       natsMsg_GetSubject(m));
	/* An empty message is kept as empty bytes, not as SQL NULL. */
	const char *data = natsMsg_GetData(m) ? natsMsg_GetData(m) : "";
	const char *v[6] = { natsMsg_GetSubject(m), origin, kind, idx >= 0 ? U64(ib, idx) : NULL,
			     alarm, data };
	int lens[6] = { -1, -1, -1, -1, -1, natsMsg_GetDataLength(m) };
	PGresult *r = q(c->db, "INSERT INTO evidence (subject, origin, kind, idx, alarm, message) "
			       "VALUES ($1, $2, $3, $4, $5, $6)", 6, v, lens);
	if (!ok(r))
		return db_fail(c, r, "evidence");
	PQclear(r);
	PQclear(PQexec(c->db, "SELECT pg_notify('ttyaudit_alarm', 'evidence')"));
	c->refused++;
	return TA_COLLECT_ACK;
}

/* The enrolled host of a subject hash: 1 found, 0 unknown, -EIO. */
static int find_host(struct ta_collector *c, const char *h, struct host *out)
{
	const char *v[1] = { h };
	PGresult *r = q(c->db, "SELECT origin, vkey FROM enrolment WHERE subject_hash = $1", 1, v, NULL);
	if (!ok(r))
		return db_fail(c, r, "enrolment");
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

/* Room for one more element in a growing array. */
static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(*v, ncap * size);
	if (!p)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static int session_add(struct ta_collector *c, const char *origin, uint64_t session, uint64_t t)
{
	for (size_t i = c->n_sess; i-- > 0;) {
		struct ta_collect_session *x = &c->sess[i];
		if (x->session == session && !strcmp(x->origin, origin)) {
			x->first_ns = t < x->first_ns ? t : x->first_ns;
			x->last_ns = t > x->last_ns ? t : x->last_ns;
			x->records++;
			return 0;
		}
	}
	if (grow((void **)&c->sess, &c->cap_sess, c->n_sess, sizeof(*c->sess)))
		return -ENOMEM;
	struct ta_collect_session *x = &c->sess[c->n_sess++];
	snprintf(x->origin, sizeof(x->origin), "%s", origin);
	x->session = session;
	x->first_ns = x->last_ns = t;
	x->records = 1;
	return 0;
}

static int sess_cmp(const void *a, const void *b)
{
	const struct ta_collect_session *x = a, *y = b;
	int o = strcmp(x->origin, y->origin);
	return o ? o : x->session < y->session ? -1 : x->session > y->session;
}

int ta_collect_flush(struct ta_collector *c)
{
	int e = drain(c);
	if (e)
		return e;
	qsort(c->sess, c->n_sess, sizeof(*c->sess), sess_cmp);
	for (size_t i = 0; i < c->n_sess; i++) {
		const struct ta_collect_session *x = &c->sess[i];
		char sb[24], fb[32], lb[32], nb[24];
		snprintf(fb, sizeof(fb), "%.6f", (double)x->first_ns / 1e9);
		snprintf(lb, sizeof(lb), "%.6f", (double)x->last_ns / 1e9);
		const char *v[5] = { x->origin, U64(sb, x->session), fb, lb, U64(nb, x->records) };
		PGresult *r = q(c->db, "INSERT INTO sessions (origin, session, first_ts, last_ts, records) "
			"VALUES ($1, $2, to_timestamp($3::double precision), "
			"to_timestamp($4::double precision), $5) "
			"ON CONFLICT (origin, session) DO UPDATE SET "
			"first_ts = least(sessions.first_ts, excluded.first_ts), "
			"last_ts = greatest(sessions.last_ts, excluded.last_ts), "
			"records = sessions.records + excluded.records", 5, v, NULL);
		if (!ok(r))
			return db_fail(c, r, "sessions");
		PQclear(r);
	}
	return 0;
}

void ta_collect_reset(struct ta_collector *c)
{
	/* A batch that failed inside the pipeline: a new connection is simpler and
	 * safer than reading what is left; the open transaction is rolled back. */
	if (PQpipelineStatus(c->db) != PQ_PIPELINE_OFF)
		PQreset(c->db);
	c->n_pending = 0;
	c->n_sess = 0;
	for (size_t i = 0; i < c->n_hosts; i++)
		ta_verifier_free(c->hosts[i].h.key);
	c->n_hosts = 0;
}

/*
 * Records are pipelined: one statement each, sent without waiting, that
 * inserts the leaf (if new) and the record (if the leaf was new) and returns
 * whether it did and the leaf held before. drain() reads the answers: before
 * any other statement, and before COMMIT.
 */
static const char record_sql[] =
	"WITH ins AS (INSERT INTO leaves (origin, idx, leaf) VALUES ($1, $2, $3) "
	"ON CONFLICT DO NOTHING RETURNING idx), "
	"rec AS (INSERT INTO records (origin, idx, ts, time_ns, type, session, stored) "
	"SELECT $1, $2, to_timestamp($4::double precision), $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM ins)) "
	"SELECT EXISTS (SELECT 1 FROM ins), (SELECT leaf FROM leaves WHERE origin = $1 AND idx = $2)";

static int drain(struct ta_collector *c)
{
	if (!c->n_pending)
		return 0;
	int e = PQpipelineSync(c->db) == 1 ? 0 : db_fail(c, NULL, "pipeline");
	size_t n_forks = 0;
	for (size_t i = 0; i < c->n_pending; i++) {
		struct ta_collect_pending *pd = &c->pending[i];
		PGresult *r = PQgetResult(c->db);
		if (!r) {
			e = e ? e : db_fail(c, NULL, "records");
			continue;
		}
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
			if (!e && PQresultStatus(r) != PGRES_PIPELINE_ABORTED) {
				snprintf(c->err, sizeof(c->err), "records: %s", PQresultErrorMessage(r));
				c->err[strcspn(c->err, "\n")] = '\0';
			}
			e = -EIO;
		} else if (*PQgetvalue(r, 0, 0)) {
			if (!e)
				e = session_add(c, pd->origin, pd->session, pd->time_ns);
			c->records++;
		} else if (PQgetlength(r, 0, 1) == TA_HASH_LEN &&
			   !memcmp(PQgetvalue(r, 0, 1), pd->leaf, TA_HASH_LEN)) {
			c->duplicates++;
		} else {
			pd->fork = 1;
			n_forks++;
		}
		PQclear(r);
		while ((r = PQgetResult(c->db))) /* the NULL that ends each statement */
			PQclear(r);
	}
	PGresult *r = PQgetResult(c->db); /* PGRES_PIPELINE_SYNC */
	if (!r || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		e = e ? e : -EIO;
	PQclear(r);
	if (PQexitPipelineMode(c->db) != 1 && !e)
		e = db_fail(c, NULL, "pipeline");
	for (size_t k = 0; !e && n_forks && k < c->n_pending; k++) {
		struct ta_collect_pending *pd = &c->pending[k];
		if (!pd->fork)
			continue;
		int v = evidence(c, pd->m, pd->origin, "fork", (int64_t)pd->index,
				 "record %" PRIu64 " differs from the one received before: "
				 "the host's log was forked or rolled back", pd->index);
		if (v < 0)
			e = v;
	}
	c->n_pending = 0;
	return e;
}

static int on_record(struct ta_collector *c, natsMsg *m, const struct host *hst)
{
	const uint8_t *p = (const uint8_t *)natsMsg_GetData(m);
	size_t len = (size_t)natsMsg_GetDataLength(m);
	struct ta_log_record h;
	const char *hidx = NULL;
	int e, bad = ta_stored_record_parse(p, len, &h);
	if (!bad)
		natsMsgHeader_Get(m, TA_FLEET_HDR_INDEX, &hidx);
	if (bad || !hidx || strtoull(hidx, NULL, 10) != h.index) {
		if ((e = drain(c)))
			return e;
		return evidence(c, m, hst->origin, "malformed", -1,
				"record envelope of %zu bytes does not match its message (index header %s)",
				len, hidx ? hidx : "absent");
	}
	if (grow((void **)&c->pending, &c->cap_pending, c->n_pending, sizeof(*c->pending)))
		return -ENOMEM;
	struct ta_collect_pending *pd = &c->pending[c->n_pending];
	pd->m = m;
	pd->fork = 0;
	snprintf(pd->origin, sizeof(pd->origin), "%s", hst->origin);
	pd->index = h.index;
	pd->session = h.session;
	pd->time_ns = h.time_ns;
	ta_hash_leaf(c->hasher, p, len, pd->leaf);
	char ib[24], tb[24], ty[8], sb[24], ts[48];
	snprintf(ts, sizeof(ts), "%.6f", (double)h.time_ns / 1e9);
	const char *v[8] = { hst->origin, U64(ib, h.index), (const char *)pd->leaf, ts,
			     U64(tb, h.time_ns), U64(ty, h.type), U64(sb, h.session), (const char *)p };
	int lens[8] = { -1, -1, TA_HASH_LEN, -1, -1, -1, -1, (int)len };
	int fmt[8] = { 0, 0, 1, 0, 0, 0, 0, 1 };
	if (PQpipelineStatus(c->db) == PQ_PIPELINE_OFF && PQenterPipelineMode(c->db) != 1)
		return db_fail(c, NULL, "pipeline");
	if (PQsendQueryParams(c->db, record_sql, 8, NULL, v, lens, fmt, 1) != 1)
		return db_fail(c, NULL, "records");
	c->n_pending++;
	return TA_COLLECT_ACK;
}

/* ---- the witness library's state store, in the batch's transaction */

static int ws_get(void *ctx, const char *origin, uint64_t *size, uint8_t root[TA_HASH_LEN])
{
	struct ta_collector *c = ctx;
	const char *v[1] = { origin };
	PGresult *r = q(c->db, "SELECT size, root FROM witness_state WHERE origin = $1", 1, v, NULL);
	if (!ok(r))
		return db_fail(c, r, "witness_state");
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
		q(c->db, "INSERT INTO witness_state (origin, size, root) VALUES ($1, $2, $3) "
			 "ON CONFLICT (origin) DO UPDATE SET size = $2, root = $3 "
			 "WHERE witness_state.size = 0", 3, v, lens) :
		q(c->db, "UPDATE witness_state SET size = $2, root = $3 WHERE origin = $1 AND size = $4",
		  4, v, lens);
	if (!ok(r))
		return db_fail(c, r, "witness_state");
	int n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n == 1 ? 0 : -EAGAIN;
}

/* The root of leaves [0, size) of origin, from the stored leaf hashes; -ENOENT if some are missing. */
static int tree_root(struct ta_collector *c, const char *origin, struct ta_crange *cr,
		     uint64_t from, uint64_t size, uint8_t root[TA_HASH_LEN])
{
	char fb[24], sb[24];
	const char *v[3] = { origin, U64(fb, from), U64(sb, size) };
	PGresult *r = q(c->db, "SELECT leaf FROM leaves WHERE origin = $1 AND idx >= $2 AND idx < $3 "
			       "ORDER BY idx", 3, v, NULL);
	if (!ok(r))
		return db_fail(c, r, "leaves");
	int e = (uint64_t)PQntuples(r) == size - from ? 0 : -ENOENT;
	for (int i = 0; !e && i < PQntuples(r); i++)
		ta_crange_append(c->hasher, cr, (const uint8_t *)PQgetvalue(r, i, 0), NULL, NULL);
	PQclear(r);
	if (!e)
		ta_crange_root(c->hasher, cr, root);
	return e;
}

static int on_checkpoint(struct ta_collector *c, natsMsg *m, const struct host *hst)
{
	const char *body = natsMsg_GetData(m);
	size_t len = (size_t)natsMsg_GetDataLength(m);
	/* The note follows the request's head (old size, proof lines, an empty line). */
	const char *sep = len ? memmem(body, len, "\n\n", 2) : NULL;
	if (!sep)
		return evidence(c, m, hst->origin, "malformed", -1, "checkpoint request without a note");
	const char *note = sep + 2;
	size_t note_len = len - (size_t)(note - body);
	struct ta_checkpoint cp;
	const char *why = "";
	if (ta_ckpt_check_note(hst->key, hst->origin, note, note_len, &cp, &why))
		return evidence(c, m, hst->origin, "bad-checkpoint", -1,
				"checkpoint refused: %s", why);
	char sb[24];
	const char *v[4] = { hst->origin };
	/* One collector at a time per host: the state row is the lock. */
	PGresult *r = q(c->db, "INSERT INTO log_state (origin, size, root, crange) "
			       "VALUES ($1, 0, ''::bytea, ''::bytea) ON CONFLICT DO NOTHING", 1, v, NULL);
	if (!ok(r))
		return db_fail(c, r, "log_state");
	PQclear(r);
	r = q(c->db, "SELECT size, root, crange FROM log_state WHERE origin = $1 FOR UPDATE", 1, v, NULL);
	if (!ok(r) || PQntuples(r) != 1)
		return db_fail(c, r, "log_state");
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
	if (!seeded) {
		snprintf(c->err, sizeof(c->err), "log_state of %s is damaged", hst->origin);
		return -EIO;
	}
	int e;
	if (cp.size >= have) {
		e = tree_root(c, hst->origin, &cr, have, cp.size, root);
		if (e == -ENOENT) {
			c->deferred++;
			return TA_COLLECT_LATER;
		}
		if (e)
			return e;
	} else {
		/* An older checkpoint: it must match the tree we have of that size. */
		struct ta_crange old;
		ta_crange_init(&old);
		if ((e = tree_root(c, hst->origin, &old, 0, cp.size, root)))
			return e == -ENOENT ? -EIO : e;
	}
	if (memcmp(root, cp.root, TA_HASH_LEN))
		return evidence(c, m, hst->origin, "fork", (int64_t)cp.size,
				"checkpoint of size %" PRIu64 " signed by the host does not match the "
				"records received (collector's tree has %" PRIu64 "): forked or rolled back",
				cp.size, have);
	if (cp.size > have) {
		uint8_t hashes[TA_CRANGE_MAX * TA_HASH_LEN];
		for (unsigned i = 0; i < cr.n; i++)
			memcpy(hashes + i * TA_HASH_LEN, cr.h[i], TA_HASH_LEN);
		const char *uv[4] = { hst->origin, U64(sb, cp.size), (const char *)root,
				      (const char *)hashes };
		int ul[4] = { -1, -1, TA_HASH_LEN, (int)(cr.n * TA_HASH_LEN) };
		r = q(c->db, "UPDATE log_state SET size = $2, root = $3, crange = $4 WHERE origin = $1",
		      4, uv, ul);
		if (!ok(r))
			return db_fail(c, r, "log_state");
		PQclear(r);
	}
	const char *cv[4] = { hst->origin, U64(sb, cp.size), (const char *)cp.root, note };
	int cl[4] = { -1, -1, TA_HASH_LEN, (int)note_len };
	char *nz = strndup(note, note_len);
	cv[3] = nz;
	cl[3] = -1;
	r = q(c->db, "INSERT INTO checkpoints (origin, size, root, note) VALUES ($1, $2, $3, $4) "
		     "ON CONFLICT DO NOTHING", 4, cv, cl);
	free(nz);
	if (!ok(r))
		return db_fail(c, r, "checkpoints");
	PQclear(r);
	c->checkpoints++;

	/* Cosign with the witness library: signature, old size, consistency, state. */
	const struct ta_verifier *keys[1] = { hst->key };
	struct ta_witness_log wl = { .origin = hst->origin, .keys = keys, .n_keys = 1 };
	struct ta_witness w = { .key = c->cosigner, .logs = &wl, .n_logs = 1,
				.store = { .get = ws_get, .cas = ws_cas, .ctx = c } };
	struct ta_witness_reply rep;
	e = ta_witness_add_checkpoint(&w, body, len, (uint64_t)time(NULL), &rep);
	if (e)
		return e == -EIO ? e : (snprintf(c->err, sizeof(c->err), "witness: %s", strerror(-e)), -EIO);
	if (rep.status == 409)
		return TA_COLLECT_ACK; /* the shipper's old size was stale: it resends */
	if (rep.status != 200)
		return evidence(c, m, hst->origin, "witness", (int64_t)cp.size,
				"the witness refused checkpoint %" PRIu64 ": %d %.*s", cp.size,
				rep.status, (int)strcspn(rep.body, "\n"), rep.body);
	rep.body[rep.body_len] = '\0';
	const char *uv[3] = { hst->origin, sb, rep.body };
	r = q(c->db, "UPDATE checkpoints SET cosignature = $3, cosigned_at = clock_timestamp() "
		     "WHERE origin = $1 AND size = $2", 3, uv,
	      NULL);
	if (!ok(r))
		return db_fail(c, r, "checkpoints");
	PQclear(r);
	c->cosigned++;
	return TA_COLLECT_ACK;
}

int ta_collect_msg(struct ta_collector *c, natsMsg *m)
{
	char h[TA_FLEET_HASH_HEX + 1];
	enum ta_fleet_kind kind;
	int e;
	if (ta_fleet_subject_parse(natsMsg_GetSubject(m), h, &kind) || kind == TA_FLEET_ACK) {
		if ((e = drain(c)))
			return e;
		return evidence(c, m, NULL, "subject", -1, "message on a subject of no host");
	}
	/* The batch's hosts, looked up once per batch. */
	struct host *hst = NULL;
	for (size_t i = 0; i < c->n_hosts && !hst; i++)
		if (!strcmp(c->hosts[i].hash, h))
			hst = &c->hosts[i].h;
	if (!hst || kind != TA_FLEET_RECORDS)
		if ((e = drain(c)))
			return e;
	if (!hst) {
		struct host found = { 0 };
		if ((e = find_host(c, h, &found)) < 0)
			return e;
		if (e == 0)
			return evidence(c, m, NULL, "unknown-origin", -1,
					"no host is enrolled for subject hash %s", h);
		void *np = realloc(c->hosts, (c->n_hosts + 1) * sizeof(*c->hosts));
		if (!np) {
			ta_verifier_free(found.key);
			return -ENOMEM;
		}
		c->hosts = np;
		snprintf(c->hosts[c->n_hosts].hash, sizeof(c->hosts[c->n_hosts].hash), "%s", h);
		c->hosts[c->n_hosts].h = found;
		hst = &c->hosts[c->n_hosts++].h;
	}
	return kind == TA_FLEET_RECORDS ? on_record(c, m, hst) : on_checkpoint(c, m, hst);
}

int ta_collect_latest_cosigned(PGconn *db, const char *subject_hash, char **out, size_t *len)
{
	const char *v[1] = { subject_hash };
	PGresult *r = PQexecParams(db,
		"SELECT c.note || c.cosignature FROM checkpoints c JOIN enrolment e USING (origin) "
		"WHERE e.subject_hash = $1 AND c.cosignature IS NOT NULL ORDER BY c.size DESC LIMIT 1",
		1, NULL, v, NULL, NULL, 0);
	if (!ok(r)) {
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
	e = ok(r) ? 0 : -EIO;
	if (e)
		snprintf(err, errlen, "%s", PQerrorMessage(db));
	PQclear(r);
	ta_verifier_free(k);
	return e;
}

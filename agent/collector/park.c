// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Checkpoints that wait, in PostgreSQL (collector.h, "Checkpoints that
 * wait"): parked in the batch's transaction, taken again by whichever
 * collector comes first once their time has come.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/collector.h"
#include "collector/pg.h"
#include "base/log.h"
#include "fleet/fleet.h"
#include "store/merkle.h"

/* Before the next try: 25 ms, doubling, at most 5 s. */
static int64_t delay_ms(int tries)
{
	int64_t d = 25;
	for (int i = 1; i < tries && d < 5000; i++)
		d *= 2;
	return d < 5000 ? d : 5000;
}

/*
 * Parked, unless the host has TA_COLLECT_PARKED_MAX waiting already, or this
 * request is parked already (a shipper's resend, a message delivered again:
 * said by dup, not counted as dropped). NOT EXISTS, not ON CONFLICT alone:
 * the row may be locked by another collector trying it, and waiting for it
 * here, with the host's state row locked, made two collectors wait on each
 * other. The host's state row, locked by on_checkpoint until COMMIT, keeps
 * the count exact between collectors.
 */
static const char park_sql[] =
	"WITH n AS (SELECT count(*) AS k, coalesce(bool_or(sha256 = $2::bytea), false) AS dup "
	"FROM parked WHERE origin = $1::text), "
	"ins AS (INSERT INTO parked (origin, sha256, subject, body, entered_ns, tries, next_try) "
	"SELECT $1::text, $2::bytea, $3::text, $4::bytea, $5::bigint, 1, "
	"clock_timestamp() + $6::bigint * interval '1 millisecond' FROM n "
	"WHERE n.k < $7::bigint AND NOT n.dup ON CONFLICT (origin, sha256) DO NOTHING RETURNING 1) "
	"SELECT (SELECT count(*) FROM ins), (SELECT k FROM n), (SELECT dup::int::bigint FROM n)";

/* A row taken (locked by this transaction): tried again after tries (> 0), or gone (0). */
static int row_update(struct ta_collector *c, const struct ta_collect_ckpt *cq, int tries)
{
	char tb[24], db[24];
	uint8_t sum[TA_HASH_LEN];
	ta_sha256(c->hasher, cq->body, cq->len, sum);
	const char *v[4] = { c->hosts[cq->host].h.origin, (const char *)sum, U64(tb, tries),
			     U64(db, delay_ms(tries)) };
	int lens[4] = { -1, TA_HASH_LEN, -1, -1 };
	PGresult *r = ta_pg_q(c->db, tries ?
		"UPDATE parked SET tries = $3::integer, next_try = clock_timestamp() + "
		"$4::bigint * interval '1 millisecond' WHERE origin = $1::text AND sha256 = $2::bytea" :
		"DELETE FROM parked WHERE origin = $1::text AND sha256 = $2::bytea", tries ? 4 : 2, v,
		lens);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "parked");
	PQclear(r);
	return TA_COLLECT_ACK;
}

int ta_collect_unpark_done(struct ta_collector *c, const struct ta_collect_ckpt *cq)
{
	return row_update(c, cq, 0);
}

int ta_collect_park(struct ta_collector *c, const struct ta_collect_ckpt *cq)
{
	const char *origin = c->hosts[cq->host].h.origin;
	int tries = cq->tries + 1;
	if (tries >= TA_COLLECT_PARKED_TRIES) {
		/* Never cosignable as sent: the shipper resends it from its cosigned size. */
		c->parked_given_up++;
		ta_warn("collector", "%s: a checkpoint tried %d times is dropped (its records or its "
			"predecessor never came); its shipper sends it again", origin, tries);
		return cq->tries ? row_update(c, cq, 0) : TA_COLLECT_ACK;
	}
	if (cq->tries) /* taken from parked: its row, in place (the request is not written again) */
		return row_update(c, cq, tries);
	char subject[TA_FLEET_SUBJECT_MAX], eb[24], db[24], mb[24];
	uint8_t sum[TA_HASH_LEN];
	int e = ta_fleet_subject(origin, TA_FLEET_CHECKPOINTS, subject);
	if (e)
		return e;
	ta_sha256(c->hasher, cq->body, cq->len, sum);
	const char *v[7] = { origin, (const char *)sum, subject, cq->body,
			     U64(eb, cq->entered_ns < 0 ? 0 : cq->entered_ns),
			     U64(db, delay_ms(tries)), U64(mb, TA_COLLECT_PARKED_MAX) };
	int lens[7] = { -1, TA_HASH_LEN, -1, (int)cq->len, -1, -1, -1 };
	PGresult *r = ta_pg_q(c->db, park_sql, 7, v, lens);
	if (!ta_pg_ok(r) || PQntuples(r) != 1)
		return ta_pg_fail(c, r, "parked");
	int64_t kept = ta_pg_i64(r, 0, 0), waiting = ta_pg_i64(r, 0, 1), dup = ta_pg_i64(r, 0, 2);
	PQclear(r);
	if (kept || dup || waiting < TA_COLLECT_PARKED_MAX) {
		c->parked += kept != 0; /* else waiting already */
		return TA_COLLECT_ACK;
	}
	c->parked_over++;
	time_t now = time(NULL);
	if (now - c->parked_said >= 60) {
		c->parked_said = now;
		ta_warn("collector", "%s has %d checkpoints waiting already for records or a "
			"predecessor that did not come: more are dropped (its shipper sends its own "
			"again; a host that signs checkpoints of records it never sends does this). "
			"Said once a minute at most, counted in the last line", origin,
			TA_COLLECT_PARKED_MAX);
	}
	return TA_COLLECT_ACK;
}

/*
 * The rows taken stay in the table, locked by the batch's transaction until
 * it ends (SKIP LOCKED: two collectors never take one), and are updated in
 * place or deleted once handled; a batch rolled back leaves them as they were.
 * The due ones, or (c->unpark_only) that one whatever its time.
 */
static const char unpark_sql[] =
	"SELECT subject, body, entered_ns, tries::bigint FROM parked "
	"WHERE CASE WHEN $2::text IS NULL THEN next_try <= clock_timestamp() "
	"ELSE origin = $2::text AND sha256 = $3::bytea END ORDER BY next_try LIMIT $1::bigint "
	"FOR UPDATE SKIP LOCKED";

/* The rows of r (unpark_sql's) as the batch's checkpoints: the number queued, or -errno. */
static int queue_rows(struct ta_collector *c, PGresult *r)
{
	int n = PQntuples(r), e = 0, taken = 0;
	if (ta_array_grow((void **)&c->unpark_msgs, &c->cap_unpark, c->n_unpark + (size_t)n,
			  sizeof(*c->unpark_msgs)))
		return -ENOMEM;
	for (int i = 0; !e && i < n; i++) {
		const char *subject = PQgetvalue(r, i, 0);
		char h[TA_FLEET_HASH_HEX + 1];
		enum ta_fleet_kind kind;
		size_t hi;
		natsMsg *m = NULL;
		if (ta_fleet_subject_parse(subject, h, &kind) || kind != TA_FLEET_CHECKPOINTS)
			continue; /* written by ta_collect_park: not reached */
		if ((e = ta_collect_host(c, h, &hi)) <= 0) {
			e = e < 0 ? e : 0; /* no longer enrolled: nothing to cosign it for */
			continue;
		}
		/*
		 * As a message of its own, so that what a checkpoint's handling
		 * keeps as evidence is the request and its subject, as received.
		 */
		if (natsMsg_Create(&m, subject, NULL, PQgetvalue(r, i, 1), PQgetlength(r, i, 1)) !=
		    NATS_OK)
			return -ENOMEM;
		c->unpark_msgs[c->n_unpark++] = m;
		struct ta_collect_ckpt cq = { .m = m, .body = natsMsg_GetData(m),
					      .len = (size_t)natsMsg_GetDataLength(m), .host = hi,
					      .entered_ns = ta_pg_i64(r, i, 2),
					      .tries = ta_pg_i64(r, i, 3) > 0 ?
						       (int)ta_pg_i64(r, i, 3) : 1 };
		e = ta_collect_queue_checkpoint(c, &cq);
		taken += !e;
	}
	return e < 0 ? e : taken;
}

int ta_collect_unpark(struct ta_collector *c)
{
	char lb[24];
	const struct ta_parked_key *k = c->unpark_only;
	const char *v[3] = { U64(lb, TA_COLLECT_UNPARK_BATCH), k ? k->origin : NULL,
			     k ? (const char *)k->sha256 : NULL };
	int lens[3] = { -1, -1, TA_HASH_LEN };
	PGresult *r = ta_pg_q(c->db, unpark_sql, 3, v, lens);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "parked");
	int n = queue_rows(c, r);
	PQclear(r);
	if (n > 0)
		c->unparked += (uint64_t)n;
	return n;
}

int64_t ta_collect_parked_next_ms(struct ta_collector *c)
{
	PGresult *r = ta_pg_q(c->db, "SELECT greatest(0, ceil(extract(epoch FROM min(next_try) - "
				     "clock_timestamp()) * 1000))::bigint FROM parked", 0, NULL, NULL);
	if (!ta_pg_ok(r) || PQntuples(r) != 1)
		return ta_pg_fail(c, r, "parked");
	int64_t ms = PQgetisnull(r, 0, 0) ? -1 : ta_pg_i64(r, 0, 0);
	PQclear(r);
	return ms;
}

int ta_collect_parked_due(struct ta_collector *c, struct ta_parked_key *keys, int max)
{
	char lb[24];
	const char *v[1] = { U64(lb, max) };
	PGresult *r = ta_pg_q(c->db, "SELECT origin, sha256 FROM parked WHERE next_try <= "
				     "clock_timestamp() ORDER BY next_try LIMIT $1::bigint", 1, v, NULL);
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "parked");
	int n = 0;
	for (int i = 0; i < PQntuples(r) && n < max; i++) {
		if (PQgetlength(r, i, 1) != TA_HASH_LEN ||
		    (size_t)PQgetlength(r, i, 0) >= sizeof(keys[n].origin))
			continue; /* what ta_collect_park wrote is neither */
		memcpy(keys[n].origin, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0) + 1);
		memcpy(keys[n].sha256, PQgetvalue(r, i, 1), TA_HASH_LEN);
		n++;
	}
	PQclear(r);
	return n;
}

/* The parked row out, and (keep) its evidence, in one transaction: 0 or -errno (rolled back). */
static int unpark_refused_once(struct ta_collector *c, const struct ta_parked_key *k,
			       const char *why, int keep)
{
	const char *v[2] = { k->origin, (const char *)k->sha256 };
	int lens[2] = { -1, TA_HASH_LEN };
	PGresult *r = PQexec(c->db, "BEGIN");
	if (!ta_pg_ok(r))
		return ta_pg_fail(c, r, "BEGIN");
	PQclear(r);
	r = ta_pg_q(c->db, "DELETE FROM parked WHERE origin = $1::text AND sha256 = $2::bytea "
			   "RETURNING subject, body, entered_ns, tries::bigint", 2, v, lens);
	int e = ta_pg_ok(r) ? 0 : ta_pg_fail(c, r, "parked");
	if (!e) {
		e = queue_rows(c, r);
		PQclear(r);
	}
	for (size_t i = 0; keep && e >= 0 && i < c->n_unpark; i++)
		e = ta_collect_refused_evidence(c, c->unpark_msgs[i], why, "it was a parked "
						"checkpoint, now dropped: its shipper sends it again");
	size_t n = c->n_unpark;
	ta_collect_reset(c);
	r = PQexec(c->db, e < 0 ? "ROLLBACK" : "COMMIT");
	if (e >= 0 && !ta_pg_ok(r))
		return ta_pg_fail(c, r, "COMMIT");
	PQclear(r);
	if (e >= 0 && keep)
		c->isolated += n;
	return e < 0 ? e : 0;
}

int ta_collect_unpark_refused(struct ta_collector *c, const struct ta_parked_key *k,
			      const char *why)
{
	int e = unpark_refused_once(c, k, why, 1);
	if (e >= 0 || !ta_collect_failed_on_data(c))
		return e;
	/* Its evidence refused too: out without it, or it would fail every batch that takes it. */
	ta_err("collector", "a parked checkpoint of %s the database refused (%s) is dropped "
	       "without evidence, the database refused that too: %s (check the constraints and "
	       "triggers on evidence)", k->origin, why, c->err);
	return unpark_refused_once(c, k, why, 0);
}

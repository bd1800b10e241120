// SPDX-License-Identifier: GPL-2.0-or-later
/* query --fleet through the collector's session index (fleet_index.h). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli/fleet_index.h"
#include "cli/fleet_source.h"
#include "cli/pq_load.h"
#include "base/buf.h"
#include "base/exitcodes.h"
#include "base/pg_array.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"
#include "ttyaudit/record.h"

/* The terminal name as query's tty_match compares it: no "/dev/", no '/'. */
#define TTY_CMP_MAX 63

int cli_fleet_filter_narrows(const struct cli_fleet_filter *flt)
{
	return flt->have_user || flt->since || flt->until || (flt->host && *flt->host) || flt->tty ||
	       flt->have_session;
}

static int oom(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return TA_EXIT_FAILURE;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int cli_fleet_host_may_match(const struct cli_fleet_host *h, uint64_t key)
{
	/* match is NULL while empty: bsearch(NULL, 0) is undefined. */
	return h->n_match && bsearch(&key, h->match, h->n_match, sizeof(key), cmp_u64);
}

void cli_fleet_hosts_free(struct cli_fleet_host *h, size_t n)
{
	for (size_t i = 0; h && i < n; i++) {
		if (h[i].have_table)
			ta_sesstab_free(&h[i].t);
		free(h[i].match);
		free(h[i].origin);
	}
	free(h);
}

/* A parameter of the statement: its number, for the SQL text. */
struct params {
	const char *v[10];
	char num[10][24];
	int n;
};

static int param(struct params *p, const char *text)
{
	p->v[p->n] = text;
	return ++p->n;
}

static int param_u64(struct params *p, uint64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRIu64, v);
	return param(p, p->num[p->n]);
}

static int param_i64(struct params *p, int64_t v)
{
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%" PRId64, v);
	return param(p, p->num[p->n]);
}

/*
 * The filters the index narrows, as conditions on sessions s (a superset of
 * query's match: times floored to microseconds, as the collector stores them).
 */
static void where(struct ta_buf *sql, struct params *p, const struct cli_fleet_filter *flt,
		  char *tty, size_t ttycap)
{
	if (flt->since)
		ta_buf_printf(sql, " AND s.last_ts >= 'epoch'::timestamptz + $%d::bigint * "
			      "interval '1 microsecond'", param_u64(p, flt->since / 1000));
	if (flt->until)
		ta_buf_printf(sql, " AND s.first_ts <= 'epoch'::timestamptz + $%d::bigint * "
			      "interval '1 microsecond'", param_u64(p, flt->until / 1000));
	if (flt->host && *flt->host)
		ta_buf_printf(sql, " AND EXISTS (SELECT 1 FROM unnest(s.hosts) x WHERE strpos(x, $%d) > 0)",
			      param(p, flt->host));
	if (flt->tty) {
		const char *w = strncmp(flt->tty, "/dev/", 5) ? flt->tty : flt->tty + 5;
		size_t j = 0;
		int ascii = 1;
		for (; *w && j < ttycap - 1; w++) {
			ascii &= (unsigned char)*w < 0x80;
			if (*w != '/')
				tty[j++] = *w;
		}
		tty[j] = '\0';
		/* Longer or not ASCII: characters and bytes differ, query's own match decides. */
		if (ascii && j < TTY_CMP_MAX)
			ta_buf_printf(sql, " AND EXISTS (SELECT 1 FROM unnest(s.ttys) x WHERE "
				      "left(replace(x, '/', ''), %d) = $%d)", TTY_CMP_MAX, param(p, tty));
	}
	if (flt->have_session && flt->ses_only)
		ta_buf_printf(sql, " AND (s.session & 4294967295) = $%d",
			      param_u64(p, (uint32_t)flt->session));
	else if (flt->have_session)
		ta_buf_printf(sql, " AND s.session = $%d", param_i64(p, (int64_t)flt->session));
}

/* A selected session of a host: read in full, or only its log-wide records. */
struct sel {
	size_t host;
	uint64_t key;
	uint64_t records;   /* what the index counts; the read must find as many */
	uint64_t read;
	uint64_t first, last; /* its time bounds, as the database's timestamptz */
	int match, global_only;
};

/*
 * The sessions statement. e: the chosen enrolled hosts, and whether the index
 * serves each (its stored records have no hole, all decode, all indexed).
 * Among the served hosts' sessions: M, those whose index entry passes the
 * filters (for --user, among the user's sessions and those sharing a pane
 * with them: the panes the user typed into); the sessions sharing a pane with
 * those of M (their rows need those records); the hosts' log-wide records;
 * for --user NAME every session that may carry the name, whatever the other
 * filters, so that "no session of the fleet has the login name" is said
 * exactly when the hosts' tables would say it. sel numbers them in (origin,
 * session) order. The rows, one shape (kind, o, k1, k2, v, f, b, x), in this
 * order:
 *   0: v the number of chosen enrolled hosts;
 *   1: a host, o its origin, f 1 to read in full, else v its latest cosigned size;
 *   2: a selected session, o its host, k1 its number, k2 the records the index
 *      counts, v its key, f 1 if M holds it | 2 if only its log-wide records
 *      count, b and x the first and last time of its records.
 * Origins sort in byte order (COLLATE "C": memcmp, whatever the database's
 * locale), so the client finds a host by strcmp. The records come from a
 * second statement (records_sql), which the times let name its partitions.
 */
static int build_sql(struct ta_buf *sql, struct params *p, const struct cli_fleet_filter *flt,
		     const char *pattern, char *tty, size_t ttycap)
{
	/*
	 * hi - lo only when lo >= 0 (CASE: in that order): a negative index (a
	 * collector before the bound on indexes stored one past 2^63 so) made
	 * hi - lo + 1 overflow, an error for every host of the query.
	 */
	ta_buf_printf(sql, "WITH e AS MATERIALIZED (SELECT e.origin, coalesce(h.records IS NOT NULL "
		      "AND h.complete AND h.undecodable = 0 AND CASE WHEN h.lo >= 0 THEN "
		      "h.hi - h.lo = h.records - 1 END, false) AS "
		      "served FROM enrolment e LEFT JOIN host_index h USING (origin) WHERE "
		      "strpos(e.origin, $%d) > 0), ", param(p, pattern ? pattern : ""));
	const char *served = "origin IN (SELECT origin FROM e WHERE served)";
	if (flt->have_user) {
		/* Related sessions by their primary key: none for most sessions. */
		ta_buf_printf(sql, "u AS MATERIALIZED (SELECT * FROM sessions WHERE %s AND ", served);
		if (flt->auid != TA_ID_NONE)
			ta_buf_printf(sql, "auids @> ARRAY[$%d::bigint]", param_u64(p, flt->auid));
		else
			ta_buf_printf(sql, "users @> ARRAY[$%d::text]", param(p, flt->user));
		ta_buf_puts(sql, "), c AS (SELECT * FROM u UNION ALL SELECT r.* FROM u CROSS JOIN "
			    "LATERAL unnest(u.related) x(k) JOIN sessions r ON r.origin = u.origin AND "
			    "r.session = x.k), m AS MATERIALIZED (SELECT * FROM c s WHERE true");
	} else {
		ta_buf_printf(sql, "m AS MATERIALIZED (SELECT * FROM sessions s WHERE %s", served);
	}
	where(sql, p, flt, tty, ttycap);
	/* The rows of M carry what the read needs; related and global ones are looked up. */
	ta_buf_puts(sql, "), k AS (SELECT origin, session, true AS m, false AS g, records, first_ts, "
		    "last_ts FROM m UNION ALL "
		    "SELECT r.origin, r.session, false, false, r.records, r.first_ts, r.last_ts FROM m "
		    "CROSS JOIN LATERAL unnest(m.related) x(k) JOIN sessions r ON r.origin = m.origin "
		    "AND r.session = x.k UNION ALL "
		    "SELECT origin, session, false, true, records, first_ts, last_ts FROM sessions "
		    "WHERE global AND origin IN (SELECT origin FROM m)");
	if (flt->have_user && flt->auid == TA_ID_NONE)
		ta_buf_puts(sql, " UNION ALL SELECT origin, session, false, false, records, first_ts, "
			    "last_ts FROM u");
	ta_buf_puts(sql, "), sel AS MATERIALIZED (SELECT row_number() OVER (ORDER BY origin "
		    "COLLATE \"C\", session) AS n, * FROM (SELECT origin, session, bool_or(m) AS m, "
		    "bool_and(g) AS g, max(records) AS records, min(first_ts) AS b, max(last_ts) AS x "
		    "FROM k GROUP BY origin, session) q) "
		    "SELECT 0 AS kind, NULL::text COLLATE \"C\" AS o, NULL::bigint AS k1, "
		    "NULL::bigint AS k2, count(*) AS v, 0 AS f, NULL::timestamptz AS b, "
		    "NULL::timestamptz AS x FROM e "
		    "UNION ALL SELECT 1, origin, NULL, NULL, 0, 1, NULL, NULL FROM e WHERE NOT served "
		    "UNION ALL SELECT 1, origin, NULL, NULL, coalesce((SELECT size FROM checkpoints c "
		    "WHERE c.origin = h.origin AND c.cosignature IS NOT NULL ORDER BY size DESC "
		    "LIMIT 1), 0), 0, NULL, NULL FROM (SELECT DISTINCT origin FROM sel) h "
		    "UNION ALL SELECT 2, origin, n, records, session, m::int + 2 * g::int, b, x "
		    "FROM sel ORDER BY 1, 2, 3");
	ta_buf_putc(sql, '\0');
	return sql->oom ? -ENOMEM : 0;
}

/*
 * The records statement, for a run of whole hosts of sel: their sessions as
 * arrays (origin, key, first and last time, number, host rank, log-wide only),
 * the run's first and last time as constants (so that the plan names only
 * the records partitions they span: a new backend opens no other partition
 * and none of its indexes), the log-wide types. Each session's own bounds
 * prune the partitions again per session. LATERAL: each session's records
 * through the (origin, session, idx) index, never a scan of a whole
 * partition, whatever the planner estimates. Rows (n, idx, stored), each
 * host's in index order, as the session table wants them.
 */
static const char records_sql[] =
	"SELECT s.n, r.idx, r.stored FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], "
	"$4::timestamptz[], $5::bigint[], $6::bigint[], $7::boolean[]) AS s(origin, session, b, x, "
	"n, hr, g) CROSS JOIN LATERAL (SELECT idx, stored FROM records r WHERE r.origin = s.origin "
	"AND r.session = s.session AND r.ts BETWEEN s.b AND s.x AND r.ts BETWEEN $8::timestamptz "
	"AND $9::timestamptz AND (NOT s.g OR r.type = ANY($10::integer[]))) r ORDER BY s.hr, r.idx";
enum { RECORDS_ARRAYS = 7, RECORDS_PARAMS = 10 };
_Static_assert(RECORDS_PARAMS <= CLI_FLEET_MAX_PARAMS, "binary parameters cli_fleet_stream_begin sends");
/* Sessions per records statement (more when one host has more): bounded parameters. */
#define RECORDS_RUN 4096

/* The reader's state while the rows come. */
struct reader {
	struct cli_fleet *f;
	const struct cli_pq *pq;
	struct cli_fleet_host *hosts;
	size_t n, cap;
	struct sel *s;
	size_t ns, scap;
	uint64_t enrolled;
	int kind;           /* the last row's kind: they come in order */
	size_t lo, hi;      /* the sessions of the records statement being read */
	int keep_refs;      /* the filter's */
};

static int host_cmp(const void *key, const void *h)
{
	return strcmp(key, ((const struct cli_fleet_host *)h)->origin);
}

/* A binary bigint column (NULL reads as 0); 0 or -EINVAL. */
static int col_i64(const struct reader *rd, PGresult *r, int c, int64_t *v)
{
	uint64_t u = 0;
	int e = cli_fleet_col_int8(rd->pq, r, c, &u);
	*v = (int64_t)u;
	return e == -ENODATA ? 0 : e;
}

static int col_i32(const struct reader *rd, PGresult *r, int c, int32_t *v)
{
	if (rd->pq->PQgetlength(r, 0, c) != 4)
		return -EINVAL;
	uint32_t be;
	memcpy(&be, rd->pq->PQgetvalue(r, 0, c), 4);
	*v = (int32_t)be32toh(be);
	return 0;
}

/* One row of the sessions statement; 0, -EINVAL (malformed) or -ENOMEM. */
static int take_session(struct reader *rd, PGresult *r)
{
	const struct cli_pq *pq = rd->pq;
	int32_t kind, flags;
	int64_t k1, k2, v, b, x;
	if (pq->PQnfields(r) != 8 || col_i32(rd, r, 0, &kind) || col_i32(rd, r, 5, &flags) ||
	    col_i64(rd, r, 2, &k1) || col_i64(rd, r, 3, &k2) || col_i64(rd, r, 4, &v) ||
	    col_i64(rd, r, 6, &b) || col_i64(rd, r, 7, &x) || kind < rd->kind || kind > 2)
		return -EINVAL;
	rd->kind = kind;
	if (kind == 0) {
		rd->enrolled = (uint64_t)v;
		return 0;
	}
	if (kind == 1) {
		const char *o = pq->PQgetvalue(r, 0, 1);
		/* In byte order, each once: what the lookups below rely on. */
		if (pq->PQgetisnull(r, 0, 1) || (rd->n && strcmp(rd->hosts[rd->n - 1].origin, o) >= 0))
			return -EINVAL;
		if (ta_array_grow((void **)&rd->hosts, &rd->cap, rd->n + 1, sizeof(*rd->hosts)))
			return -ENOMEM;
		struct cli_fleet_host *h = &rd->hosts[rd->n];
		memset(h, 0, sizeof(*h));
		if (!(h->origin = strdup(o)))
			return -ENOMEM;
		rd->n++;
		h->full = flags & 1;
		h->cosigned = (uint64_t)v;
		return 0;
	}
	const struct cli_fleet_host *h = pq->PQgetisnull(r, 0, 1) || !rd->n ? NULL :
		bsearch(pq->PQgetvalue(r, 0, 1), rd->hosts, rd->n, sizeof(*rd->hosts), host_cmp);
	/* Sessions come in (origin, key) order: a host's sessions are one run. */
	if (!h || h->full || k1 != (int64_t)rd->ns + 1 || pq->PQgetisnull(r, 0, 6) ||
	    pq->PQgetisnull(r, 0, 7) || (rd->ns && rd->s[rd->ns - 1].host > (size_t)(h - rd->hosts)))
		return -EINVAL;
	if (ta_array_grow((void **)&rd->s, &rd->scap, rd->ns + 1, sizeof(*rd->s)))
		return -ENOMEM;
	rd->s[rd->ns++] = (struct sel){ .host = (size_t)(h - rd->hosts), .key = (uint64_t)v,
					.records = (uint64_t)k2, .first = (uint64_t)b,
					.last = (uint64_t)x, .match = flags & 1,
					.global_only = !!(flags & 2) };
	return 0;
}

/* One row of a records statement, for sessions [rd->lo, rd->hi); 0, -EINVAL or -ENOMEM. */
static int take_record(struct reader *rd, PGresult *r)
{
	const struct cli_pq *pq = rd->pq;
	int64_t n, idx;
	if (pq->PQnfields(r) != 3 || col_i64(rd, r, 0, &n) || col_i64(rd, r, 1, &idx) ||
	    n < 1 || (uint64_t)n - 1 < rd->lo || (uint64_t)n > rd->hi || pq->PQgetisnull(r, 0, 2))
		return -EINVAL;
	struct sel *se = &rd->s[n - 1];
	struct cli_fleet_host *h = &rd->hosts[se->host];
	struct ta_log_record rec;
	const char *why = "";
	if (h->full)
		return 0;
	se->read++;
	if (ta_rec_decode(cli_fleet_decoder(rd->f), (const uint8_t *)pq->PQgetvalue(r, 0, 2),
			  (size_t)pq->PQgetlength(r, 0, 2), (uint64_t)idx, &rec, &why))
		h->full = 1; /* damage: the whole host says where, as before */
	else if (!h->have_table && ta_sesstab_init(&h->t, rd->keep_refs))
		return -ENOMEM;
	else if ((h->have_table = 1) && ta_sesstab_add(&h->t, &rec))
		return -ENOMEM;
	return 0;
}

/* Reads a statement's rows to the end (the connection is reused), each through take. */
static int read_rows(struct reader *rd, const char *what, int (*take)(struct reader *, PGresult *),
		     char *err, size_t errlen)
{
	int code = 0, more;
	PGresult *r;
	while ((more = cli_fleet_stream_next(rd->f, what, &r, err, errlen)) == 1) {
		int e = code ? 0 : take(rd, r);
		if (e == -ENOMEM)
			code = oom(err, errlen);
		else if (e) {
			snprintf(err, errlen, "fleet database: %s: malformed row (is this version's "
				 "schema.sql applied? docs/fleet.md, \"Upgrading\")", what);
			code = TA_EXIT_STORAGE;
		}
		rd->pq->PQclear(r);
	}
	return code ? code : more;
}

/* The records of sessions [lo, hi), whole hosts: one statement. */
static int read_records(struct reader *rd, size_t lo, size_t hi, char *err, size_t errlen)
{
	static const uint32_t oids[RECORDS_ARRAYS] = { TA_PG_OID_TEXT, TA_PG_OID_INT8,
						       TA_PG_OID_TIMESTAMPTZ, TA_PG_OID_TIMESTAMPTZ,
						       TA_PG_OID_INT8, TA_PG_OID_INT8, TA_PG_OID_BOOL };
	static const int32_t global_types[] = { TA_REC_GAP, TA_REC_RECOVERY, TA_REC_AGENT_START,
						TA_REC_LOSS };
	struct ta_buf a[RECORDS_ARRAYS + 1];
	uint64_t first = rd->s[lo].first, last = rd->s[lo].last, bfirst, blast;
	const char *v[RECORDS_PARAMS];
	int lens[RECORDS_PARAMS], code;
	bool short_of_memory = false;

	for (int k = 0; k <= RECORDS_ARRAYS; k++) {
		ta_buf_init(&a[k]);
		ta_pg_array_begin(&a[k], k < RECORDS_ARRAYS ? oids[k] : TA_PG_OID_INT4);
	}
	for (size_t i = lo; i < hi; i++) {
		const struct sel *se = &rd->s[i];
		const char *o = rd->hosts[se->host].origin;
		uint8_t g = (uint8_t)se->global_only;
		ta_pg_array_add(&a[0], o, (uint32_t)strlen(o));
		ta_pg_array_add_u64(&a[1], se->key);
		ta_pg_array_add_u64(&a[2], se->first);
		ta_pg_array_add_u64(&a[3], se->last);
		ta_pg_array_add_u64(&a[4], i + 1);
		ta_pg_array_add_u64(&a[5], se->host + 1);
		ta_pg_array_add(&a[6], &g, 1);
		/* timestamptz compares as a signed bigint */
		if ((int64_t)se->first < (int64_t)first)
			first = se->first;
		if ((int64_t)se->last > (int64_t)last)
			last = se->last;
	}
	for (size_t k = 0; k < sizeof(global_types) / sizeof(global_types[0]); k++) {
		uint32_t t = htobe32((uint32_t)global_types[k]);
		ta_pg_array_add(&a[RECORDS_ARRAYS], &t, 4);
	}
	for (int k = 0; k < RECORDS_ARRAYS; k++)
		ta_pg_array_end(&a[k], (uint32_t)(hi - lo));
	ta_pg_array_end(&a[RECORDS_ARRAYS], sizeof(global_types) / sizeof(global_types[0]));
	bfirst = htobe64(first);
	blast = htobe64(last);
	for (int k = 0; k < RECORDS_ARRAYS; k++) {
		v[k] = (const char *)a[k].p;
		lens[k] = (int)a[k].len;
		short_of_memory |= a[k].oom;
	}
	v[7] = (const char *)&bfirst;
	v[8] = (const char *)&blast;
	lens[7] = lens[8] = 8;
	v[9] = (const char *)a[RECORDS_ARRAYS].p;
	lens[9] = (int)a[RECORDS_ARRAYS].len;
	short_of_memory |= a[RECORDS_ARRAYS].oom;
	if (short_of_memory)
		code = oom(err, errlen);
	else
		code = cli_fleet_stream_begin(rd->f, "session records", records_sql, RECORDS_PARAMS, v,
					      lens, err, errlen);
	for (int k = 0; k <= RECORDS_ARRAYS; k++)
		ta_buf_free(&a[k]);
	rd->lo = lo;
	rd->hi = hi;
	return code ? code : read_rows(rd, "session records", take_record, err, errlen);
}

/* After the rows: the keys each host's rows may come from; hosts with nothing to read dropped. */
static int finish(struct reader *rd)
{
	for (size_t i = 0; i < rd->ns; i++)
		if (!rd->s[i].global_only && rd->s[i].read != rd->s[i].records)
			rd->hosts[rd->s[i].host].full = 1; /* records missing from the session: read in full */
	for (size_t i = 0; i < rd->ns; i++) {
		struct cli_fleet_host *h = &rd->hosts[rd->s[i].host];
		if (!rd->s[i].match || h->full)
			continue;
		if (ta_array_grow((void **)&h->match, &h->cap_match, h->n_match + 1, sizeof(*h->match)))
			return -ENOMEM;
		h->match[h->n_match++] = rd->s[i].key;
	}
	size_t kept = 0;
	for (size_t i = 0; i < rd->n; i++) {
		struct cli_fleet_host *h = &rd->hosts[i];
		if (h->full && h->have_table) {
			ta_sesstab_free(&h->t);
			h->have_table = 0;
		}
		if (!h->full && !h->have_table) {
			free(h->match);
			free(h->origin);
			continue;
		}
		/* The database sorts keys as signed bigints; the lookup compares them unsigned. */
		if (h->n_match > 1)
			qsort(h->match, h->n_match, sizeof(*h->match), cmp_u64);
		if (h->have_table && ta_sesstab_finish(&h->t))
			return -ENOMEM;
		rd->hosts[kept++] = *h;
	}
	rd->n = kept;
	return 0;
}

int cli_fleet_index_read(struct cli_fleet *f, const struct cli_fleet_filter *flt, const char *pattern,
			 struct cli_fleet_host **hosts, size_t *n, size_t *n_enrolled, char *err,
			 size_t errlen)
{
	struct reader rd = { .f = f, .pq = cli_fleet_pq(f), .keep_refs = flt->keep_refs };
	struct params p = { .n = 0 };
	struct ta_buf sql;
	char tty[TTY_CMP_MAX + 2];
	int code;

	ta_buf_init(&sql);
	if (build_sql(&sql, &p, flt, pattern, tty, sizeof(tty))) {
		ta_buf_free(&sql);
		return oom(err, errlen);
	}
	code = cli_fleet_stream_begin(f, "session index", (const char *)sql.p, p.n, p.v, NULL, err,
				      errlen);
	ta_buf_free(&sql);
	if (!code)
		code = read_rows(&rd, "session index", take_session, err, errlen);
	/* Runs of whole hosts, about RECORDS_RUN sessions each. */
	for (size_t lo = 0, hi; !code && lo < rd.ns; lo = hi) {
		for (hi = lo + 1; hi < rd.ns && (hi - lo < RECORDS_RUN ||
						 rd.s[hi].host == rd.s[hi - 1].host); hi++)
			;
		code = read_records(&rd, lo, hi, err, errlen);
	}
	if (!code && finish(&rd))
		code = oom(err, errlen);
	free(rd.s);
	if (code) {
		cli_fleet_hosts_free(rd.hosts, rd.n);
		return code;
	}
	*hosts = rd.hosts;
	*n = rd.n;
	*n_enrolled = (size_t)rd.enrolled;
	return 0;
}

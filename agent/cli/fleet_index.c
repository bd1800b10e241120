// SPDX-License-Identifier: GPL-2.0-or-later
/* query --fleet through the collector's session index (fleet_index.h). */
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli/fleet_index.h"
#include "cli/fleet_source.h"
#include "cli/pq_load.h"
#include "base/buf.h"
#include "base/exitcodes.h"
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

/* A PostgreSQL text array literal of strs[0..n). */
static void text_array(struct ta_buf *b, char *const *strs, size_t n)
{
	ta_buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		ta_buf_puts(b, i ? ",\"" : "\"");
		for (const char *p = strs[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				ta_buf_putc(b, '\\');
			ta_buf_putc(b, *p);
		}
		ta_buf_putc(b, '"');
	}
	ta_buf_putc(b, '}');
	ta_buf_putc(b, '\0');
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
	return bsearch(&key, h->match, h->n_match, sizeof(key), cmp_u64) != NULL;
}

void cli_fleet_host_free(struct cli_fleet_host *h)
{
	if (h->have_table)
		ta_sesstab_free(&h->t);
	free(h->match);
	memset(h, 0, sizeof(*h));
}

/* Which hosts the index serves: their stored records have no hole, all decode, all indexed. */
static int host_states(struct cli_fleet *f, char **origins, size_t n, struct cli_fleet_host *hosts,
		       char *err, size_t errlen)
{
	const struct cli_pq *pq = cli_fleet_pq(f);
	struct ta_buf arr;
	int code = 0;
	ta_buf_init(&arr);
	text_array(&arr, origins, n);
	if (arr.oom)
		return oom(err, errlen);
	const char *v[1] = { (const char *)arr.p };
	PGresult *r = cli_fleet_query(f, "host index",
		"SELECT h.records IS NOT NULL AND h.complete AND h.undecodable = 0 AND "
		"h.records = h.hi - h.lo + 1 FROM unnest($1::text[]) WITH ORDINALITY o(origin, n) "
		"LEFT JOIN host_index h USING (origin) ORDER BY o.n", 1, v, &code, err, errlen);
	ta_buf_free(&arr);
	if (!r)
		return code;
	for (size_t i = 0; i < n; i++)
		hosts[i].full = (size_t)pq->PQntuples(r) != n || *pq->PQgetvalue(r, (int)i, 0) != 't';
	pq->PQclear(r);
	return 0;
}

/* A parameter of the candidates' statement: its number, for the SQL text. */
struct params {
	const char *v[8];
	char num[8][24];
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
	int match, global_only;
	char first[48], last[48]; /* its records' time bounds, as the database wrote them */
};

static int sel_cmp(const void *a, const void *b)
{
	const struct sel *x = a, *y = b;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* A chosen host by origin (hosts sorted by strcmp in by_name). */
struct host_name {
	const char *name;
	size_t host;
};

static int host_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct host_name *)a)->name, ((const struct host_name *)b)->name);
}

/*
 * The candidates: M, the sessions whose index entry passes the filters (for
 * --user, among the user's sessions and those sharing a pane with them: the
 * panes the user typed into); the sessions sharing a pane with those of M
 * (their rows need those records); the log-wide records of their hosts.
 * Rows of hosts not in by_name are dropped. origins: the served hosts as an
 * array literal, or NULL when they are every host (no row filter then).
 */
static int candidates(struct cli_fleet *f, const struct cli_fleet_filter *flt, const char *origins,
		      const struct host_name *by_name, size_t n, struct sel **out, size_t *nout,
		      char *err, size_t errlen)
{
	const struct cli_pq *pq = cli_fleet_pq(f);
	struct params p = { .n = 0 };
	struct ta_buf sql;
	char tty[TTY_CMP_MAX + 2], on[48] = "";
	int code = 0;
	ta_buf_init(&sql);
	if (origins)
		snprintf(on, sizeof(on), "origin = ANY($%d::text[]) AND ", param(&p, origins));
	if (flt->have_user) {
		/* Related sessions by their primary key: none for most sessions. */
		ta_buf_printf(&sql, "WITH u AS MATERIALIZED (SELECT * FROM sessions WHERE %s", on);
		if (flt->auid != TA_ID_NONE)
			ta_buf_printf(&sql, "auids @> ARRAY[$%d::bigint]", param_u64(&p, flt->auid));
		else
			ta_buf_printf(&sql, "users @> ARRAY[$%d::text]", param(&p, flt->user));
		ta_buf_puts(&sql, "), c AS (SELECT * FROM u UNION ALL SELECT r.* FROM u CROSS JOIN "
			    "LATERAL unnest(u.related) x(k) JOIN sessions r ON r.origin = u.origin AND "
			    "r.session = x.k), m AS MATERIALIZED (SELECT * FROM c s WHERE true");
	} else {
		ta_buf_printf(&sql, "WITH m AS MATERIALIZED (SELECT * FROM sessions s WHERE %s true", on);
	}
	where(&sql, &p, flt, tty, sizeof(tty));
	/* The rows of M carry what the read needs; related and global ones are looked up. */
	ta_buf_puts(&sql, "), k AS (SELECT origin, session, true AS m, false AS g, records, first_ts, "
		    "last_ts FROM m UNION ALL "
		    "SELECT r.origin, r.session, false, false, r.records, r.first_ts, r.last_ts FROM m "
		    "CROSS JOIN LATERAL unnest(m.related) x(k) JOIN sessions r ON r.origin = m.origin "
		    "AND r.session = x.k UNION ALL "
		    "SELECT origin, session, false, true, records, first_ts, last_ts FROM sessions "
		    "WHERE global AND origin IN (SELECT origin FROM m)");
	/*
	 * A name: every session that may carry it is read, whatever the other
	 * filters, so that "no session of the fleet has the login name" is said
	 * exactly when the hosts' tables would say it.
	 */
	if (flt->have_user && flt->auid == TA_ID_NONE)
		ta_buf_puts(&sql, " UNION ALL SELECT origin, session, false, false, records, first_ts, "
			    "last_ts FROM u");
	ta_buf_puts(&sql, ") "
		    "SELECT origin, session, bool_or(m), bool_and(g), max(records), min(first_ts), "
		    "max(last_ts) FROM k GROUP BY origin, session");
	ta_buf_putc(&sql, '\0');
	if (sql.oom)
		return oom(err, errlen);
	PGresult *r = cli_fleet_query(f, "session index", (const char *)sql.p, p.n, p.v, &code, err,
				      errlen);
	ta_buf_free(&sql);
	if (!r)
		return code;
	size_t count = (size_t)pq->PQntuples(r), kept = 0;
	struct sel *s = calloc(count + 1, sizeof(*s));
	if (!s) {
		pq->PQclear(r);
		return oom(err, errlen);
	}
	for (size_t i = 0; i < count; i++) {
		int k = (int)i;
		struct host_name key = { .name = pq->PQgetvalue(r, k, 0) };
		const struct host_name *h = bsearch(&key, by_name, n, sizeof(*by_name), host_name_cmp);
		if (!h)
			continue;
		struct sel *se = &s[kept++];
		se->host = h->host;
		se->key = (uint64_t)strtoll(pq->PQgetvalue(r, k, 1), NULL, 10);
		se->match = *pq->PQgetvalue(r, k, 2) == 't';
		se->global_only = *pq->PQgetvalue(r, k, 3) == 't';
		se->records = strtoull(pq->PQgetvalue(r, k, 4), NULL, 10);
		snprintf(se->first, sizeof(se->first), "%s", pq->PQgetvalue(r, k, 5));
		snprintf(se->last, sizeof(se->last), "%s", pq->PQgetvalue(r, k, 6));
	}
	pq->PQclear(r);
	qsort(s, kept, sizeof(*s), sel_cmp);
	*out = s;
	*nout = kept;
	return 0;
}

/* The latest cosigned checkpoint's size of each host with candidates. */
static int cosigned_sizes(struct cli_fleet *f, char **origins, size_t n, struct cli_fleet_host *hosts,
			  const int *used, char *err, size_t errlen)
{
	const struct cli_pq *pq = cli_fleet_pq(f);
	char **pick = malloc((n + 1) * sizeof(*pick));
	size_t *at = malloc((n + 1) * sizeof(*at)), m = 0;
	struct ta_buf arr;
	int code = 0;
	if (!pick || !at) {
		free(pick);
		free(at);
		return oom(err, errlen);
	}
	for (size_t i = 0; i < n; i++)
		if (used[i]) {
			at[m] = i;
			pick[m++] = origins[i];
		}
	ta_buf_init(&arr);
	text_array(&arr, pick, m);
	const char *v[1] = { (const char *)arr.p };
	PGresult *r = m && !arr.oom ? cli_fleet_query(f, "checkpoints",
		"SELECT coalesce((SELECT size FROM checkpoints c WHERE c.origin = o.origin AND "
		"c.cosignature IS NOT NULL ORDER BY size DESC LIMIT 1), 0) FROM unnest($1::text[]) "
		"WITH ORDINALITY o(origin, n) ORDER BY o.n", 1, v, &code, err, errlen) : NULL;
	if (arr.oom)
		code = oom(err, errlen);
	for (size_t i = 0; r && i < m && (int)i < pq->PQntuples(r); i++)
		hosts[at[i]].cosigned = strtoull(pq->PQgetvalue(r, (int)i, 0), NULL, 10);
	pq->PQclear(r);
	ta_buf_free(&arr);
	free(pick);
	free(at);
	return code;
}

/*
 * The selected sessions' records, all hosts in one statement, in host and
 * index order, into each host's table. Each session's time bounds let
 * PostgreSQL skip the records partitions it has no record in. A host whose
 * read differs from what the index counts, or with a record that does not
 * decode, is read in full.
 */
static int read_records(struct cli_fleet *f, char **origins, struct cli_fleet_host *hosts,
			struct sel *s, size_t ns, char *err, size_t errlen)
{
	const struct cli_pq *pq = cli_fleet_pq(f);
	struct ta_buf o, k, g, b, e;
	int code = 0;
	ta_buf_init(&o);
	ta_buf_init(&k);
	ta_buf_init(&g);
	ta_buf_init(&b);
	ta_buf_init(&e);
	char **names = malloc((ns + 1) * sizeof(*names));
	if (!names)
		return oom(err, errlen);
	ta_buf_putc(&k, '{');
	ta_buf_putc(&g, '{');
	ta_buf_putc(&b, '{');
	ta_buf_putc(&e, '{');
	for (size_t i = 0; i < ns; i++) {
		names[i] = origins[s[i].host];
		ta_buf_printf(&k, "%s%" PRId64, i ? "," : "", (int64_t)s[i].key);
		ta_buf_printf(&g, "%s%c", i ? "," : "", s[i].global_only ? 't' : 'f');
		ta_buf_printf(&b, "%s\"%s\"", i ? "," : "", s[i].first);
		ta_buf_printf(&e, "%s\"%s\"", i ? "," : "", s[i].last);
	}
	struct ta_buf *lits[4] = { &k, &g, &b, &e };
	for (int i = 0; i < 4; i++) {
		ta_buf_putc(lits[i], '}');
		ta_buf_putc(lits[i], '\0');
	}
	text_array(&o, names, ns);
	free(names);
	char types[96];
	snprintf(types, sizeof(types), "{%d,%d,%d,%d}", TA_REC_GAP, TA_REC_RECOVERY, TA_REC_AGENT_START,
		 TA_REC_LOSS);
	const char *v[6] = { (const char *)o.p, (const char *)k.p, (const char *)g.p, (const char *)b.p,
			     (const char *)e.p, types };
	if (o.oom || k.oom || g.oom || b.oom || e.oom)
		code = oom(err, errlen);
	else
		code = cli_fleet_stream_begin(f, "records",
			"SELECT x.n, r.idx, r.stored FROM unnest($1::text[], $2::bigint[], $3::boolean[], "
			"$4::timestamptz[], $5::timestamptz[]) WITH ORDINALITY x(origin, session, g, b, e, n) "
			"JOIN records r ON r.origin = x.origin AND r.session = x.session AND "
			"r.ts BETWEEN x.b AND x.e WHERE NOT x.g OR r.type = ANY($6::integer[]) "
			"ORDER BY r.origin, r.idx", 6, v, err, errlen);
	for (int i = 0; i < 4; i++)
		ta_buf_free(lits[i]);
	ta_buf_free(&o);
	if (code)
		return code;
	PGresult *r;
	int more;
	while ((more = cli_fleet_stream_next(f, "records", &r, err, errlen)) == 1) {
		if (code || pq->PQgetlength(r, 0, 0) != 8 || pq->PQgetlength(r, 0, 1) != 8) {
			if (!code) {
				snprintf(err, errlen, "fleet database: records: malformed row");
				code = TA_EXIT_STORAGE;
			}
			pq->PQclear(r);
			continue;
		}
		uint64_t be[2];
		for (int c = 0; c < 2; c++)
			memcpy(&be[c], pq->PQgetvalue(r, 0, c), 8);
		uint64_t pos = be64toh(be[0]), idx = be64toh(be[1]);
		struct sel *se = pos >= 1 && pos <= ns ? &s[pos - 1] : NULL;
		struct cli_fleet_host *h = se ? &hosts[se->host] : NULL;
		struct ta_log_record rec;
		const char *why = "";
		if (!h || h->full) {
			pq->PQclear(r);
			continue;
		}
		se->read++;
		if (ta_rec_decode(cli_fleet_decoder(f), (const uint8_t *)pq->PQgetvalue(r, 0, 2),
				  (size_t)pq->PQgetlength(r, 0, 2), idx, &rec, &why))
			h->full = 1; /* damage: the whole host says where, as before */
		else if (!h->have_table && ta_sesstab_init(&h->t, 0))
			code = oom(err, errlen);
		else if ((h->have_table = 1) && ta_sesstab_add(&h->t, &rec))
			code = oom(err, errlen);
		pq->PQclear(r);
	}
	if (more)
		return more;
	if (code)
		return code;
	for (size_t i = 0; i < ns; i++)
		if (!s[i].global_only && s[i].read != s[i].records)
			hosts[s[i].host].full = 1; /* records missing from the session: read in full */
	return 0;
}

int cli_fleet_index_read(struct cli_fleet *f, const struct cli_fleet_filter *flt, char **origins,
			 size_t n, int all_hosts, struct cli_fleet_host *hosts, char *err, size_t errlen)
{
	struct sel *s = NULL;
	size_t ns = 0;
	int code = 0, *used = calloc(n + 1, sizeof(int));
	char **served = malloc((n + 1) * sizeof(*served));
	struct ta_buf arr;
	ta_buf_init(&arr);
	if (!used || !served) {
		free(used);
		free(served);
		return oom(err, errlen);
	}
	memset(hosts, 0, n * sizeof(*hosts));
	/* One snapshot: the index, the counts and the records agree with each other. */
	code = cli_fleet_exec(f, "snapshot", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err,
			      errlen);
	if (!code)
		code = host_states(f, origins, n, hosts, err, errlen);
	size_t m = 0;
	for (size_t i = 0; !code && i < n; i++)
		if (!hosts[i].full)
			served[m++] = origins[i];
	if (!code && m) {
		struct host_name *by_name = malloc(m * sizeof(*by_name));
		if (!by_name)
			code = oom(err, errlen);
		for (size_t i = 0, j = 0; by_name && i < n; i++)
			if (!hosts[i].full)
				by_name[j++] = (struct host_name){ origins[i], i };
		if (by_name)
			qsort(by_name, m, sizeof(*by_name), host_name_cmp);
		/* Every enrolled host served: no origin filter (it would cost more than it saves). */
		if (!code && (m < n || !all_hosts)) {
			text_array(&arr, served, m);
			if (arr.oom)
				code = oom(err, errlen);
		}
		if (!code)
			code = candidates(f, flt, arr.len ? (const char *)arr.p : NULL, by_name, m, &s, &ns,
					  err, errlen);
		free(by_name);
	}
	for (size_t i = 0; !code && i < ns; i++)
		used[s[i].host] = 1;
	if (!code)
		code = cosigned_sizes(f, origins, n, hosts, used, err, errlen);
	if (!code && ns)
		code = read_records(f, origins, hosts, s, ns, err, errlen);
	/* The keys each host's rows may come from (s is sorted by host and key: so are they). */
	for (size_t i = 0; !code && i < ns; i++) {
		struct cli_fleet_host *h = &hosts[s[i].host];
		if (!s[i].match || h->full)
			continue;
		uint64_t *nm = realloc(h->match, (h->n_match + 1) * sizeof(*nm));
		if (!nm) {
			code = oom(err, errlen);
			break;
		}
		h->match = nm;
		h->match[h->n_match++] = s[i].key;
	}
	for (size_t i = 0; !code && i < n; i++) {
		struct cli_fleet_host *h = &hosts[i];
		if (h->full && h->have_table) {
			ta_sesstab_free(&h->t);
			h->have_table = 0;
		}
		if (h->have_table && ta_sesstab_finish(&h->t))
			code = oom(err, errlen);
	}
	/* Read only: the end of the snapshot cannot lose anything, whatever it answers. */
	char cerr[8];
	cli_fleet_exec(f, "snapshot", "COMMIT", cerr, sizeof(cerr));
	ta_buf_free(&arr);
	free(s);
	free(used);
	free(served);
	if (code)
		for (size_t i = 0; i < n; i++)
			cli_fleet_host_free(&hosts[i]);
	return code;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet's PostgreSQL as a source of hosts' logs (libpq). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/fleet_source.h"
#include "cli/pq_load.h"
#include "base/buf.h"
#include "base/exitcodes.h"
#include "store/merkle.h"
#include "store/note.h"
#include "store/store.h"

struct cli_fleet {
	const struct cli_pq *pq; /* libpq's calls (loaded by the first cli_fleet_open) */
	PGconn *db;
	struct ta_rec_decoder *dec;
	PGresult *row;          /* cli_fleet_leaves_next's current row */
	int reading;            /* between cli_fleet_leaves_begin and its end */
};

/* libpq's messages end with a newline and may span lines: the first line only. */
static void pq_line(char *err, size_t errlen, const char *what, const char *msg)
{
	snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
}

static int sql_exit(const struct cli_fleet *f, PGresult *r)
{
	const char *state = f->pq->PQresultErrorField(r, PG_DIAG_SQLSTATE);
	/* 42501 insufficient_privilege */
	return state && !strcmp(state, "42501") ? TA_EXIT_NOPERM : TA_EXIT_STORAGE;
}

/*
 * A query with text parameters and results; NULL on failure with *code the
 * exit code and err one line naming what.
 */
static PGresult *query(struct cli_fleet *f, const char *what, const char *sql, int n,
		       const char *const *v, int *code, char *err, size_t errlen)
{
	PGresult *r = f->pq->PQexecParams(f->db, sql, n, NULL, v, NULL, NULL, 0);
	if (f->pq->PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	char line[64];
	snprintf(line, sizeof(line), "fleet database: %s", what);
	*code = sql_exit(f, r);
	pq_line(err, errlen, line, f->pq->PQerrorMessage(f->db));
	f->pq->PQclear(r);
	return NULL;
}

PGresult *cli_fleet_query(struct cli_fleet *f, const char *what, const char *sql, int n,
			  const char *const *v, int *code, char *err, size_t errlen)
{
	return query(f, what, sql, n, v, code, err, errlen);
}

int cli_fleet_exec(struct cli_fleet *f, const char *what, const char *sql, char *err, size_t errlen)
{
	PGresult *r = f->pq->PQexec(f->db, sql);
	int code = 0;
	if (f->pq->PQresultStatus(r) != PGRES_COMMAND_OK) {
		char line[64];
		snprintf(line, sizeof(line), "fleet database: %s", what);
		code = sql_exit(f, r);
		pq_line(err, errlen, line, f->pq->PQerrorMessage(f->db));
	}
	f->pq->PQclear(r);
	return code;
}

int cli_fleet_stream_begin(struct cli_fleet *f, const char *what, const char *sql, int n,
			   const char *const *v, const int *lens, char *err, size_t errlen)
{
	static const int binary[CLI_FLEET_MAX_PARAMS] = { 1, 1, 1, 1, 1, 1, 1, 1,
							  1, 1, 1, 1, 1, 1, 1, 1 };
	if (lens && n > CLI_FLEET_MAX_PARAMS) {
		snprintf(err, errlen, "fleet database: %s: %d binary parameters, more than the %d this "
			 "build sends (a bug in ttyaudit: report it)", what, n, CLI_FLEET_MAX_PARAMS);
		return TA_EXIT_FAILURE;
	}
	if (!f->pq->PQsendQueryParams(f->db, sql, n, NULL, v, lens, lens ? binary : NULL, 1) ||
	    !f->pq->PQsetSingleRowMode(f->db)) {
		char line[64];
		snprintf(line, sizeof(line), "fleet database: %s", what);
		pq_line(err, errlen, line, f->pq->PQerrorMessage(f->db));
		return TA_EXIT_STORAGE;
	}
	return 0;
}

int cli_fleet_stream_next(struct cli_fleet *f, const char *what, PGresult **row, char *err,
			  size_t errlen)
{
	PGresult *r;
	int code = 0;
	*row = NULL;
	while ((r = f->pq->PQgetResult(f->db))) {
		ExecStatusType st = f->pq->PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && !code) {
			*row = r;
			return 1;
		}
		if (st != PGRES_TUPLES_OK && !code) {
			char line[64];
			snprintf(line, sizeof(line), "fleet database: %s", what);
			code = sql_exit(f, r);
			pq_line(err, errlen, line, f->pq->PQresultErrorMessage(r));
		}
		f->pq->PQclear(r);
	}
	return code;
}

const struct cli_pq *cli_fleet_pq(struct cli_fleet *f)
{
	return f->pq;
}

int cli_fleet_col_int8(const struct cli_pq *pq, PGresult *r, int c, uint64_t *v)
{
	uint64_t be;
	if (pq->PQgetisnull(r, 0, c))
		return -ENODATA;
	if (pq->PQgetlength(r, 0, c) != 8)
		return -EINVAL;
	memcpy(&be, pq->PQgetvalue(r, 0, c), 8);
	*v = be64toh(be);
	return 0;
}

struct ta_rec_decoder *cli_fleet_decoder(struct cli_fleet *f)
{
	return f->dec;
}

int cli_fleet_open(struct cli_fleet **out, const char *dsn, char *err, size_t errlen)
{
	const struct cli_pq *pq = cli_pq_load(err, errlen);
	if (!pq)
		return TA_EXIT_FAILURE;
	struct cli_fleet *f = calloc(1, sizeof(*f));
	if (!f || ta_rec_decoder_new(&f->dec)) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	f->pq = pq;
	/* A DSN with a syntax error is the user's: PQconninfoParse says where. */
	char *perr = NULL;
	PQconninfoOption *opts = f->pq->PQconninfoParse(dsn, &perr);
	if (!opts) {
		pq_line(err, errlen, "--fleet: not a PostgreSQL connection string",
			perr ? perr : "out of memory");
		f->pq->PQfreemem(perr);
		cli_fleet_close(f);
		return TA_EXIT_USAGE;
	}
	f->pq->PQconninfoFree(opts);
	f->db = f->pq->PQconnectdb(dsn);
	if (f->pq->PQstatus(f->db) != CONNECTION_OK) {
		const char *m = f->pq->PQerrorMessage(f->db);
		int code = strstr(m, "password authentication failed") || strstr(m, "permission denied") ?
			   TA_EXIT_NOPERM : TA_EXIT_STORAGE;
		pq_line(err, errlen, "fleet database", m);
		cli_fleet_close(f);
		return code;
	}
	*out = f;
	return 0;
}

void cli_fleet_close(struct cli_fleet *f)
{
	if (!f)
		return;
	cli_fleet_leaves_end(f);
	f->pq->PQfinish(f->db);
	ta_rec_decoder_free(f->dec);
	free(f);
}

int cli_fleet_origins(struct cli_fleet *f, const char *pattern, char ***origins, size_t *n,
		      char *err, size_t errlen)
{
	const char *v[1] = { pattern ? pattern : "" };
	int code = 0;
	/*
	 * strpos, not LIKE: the pattern is text to find, its % and _ included.
	 * Byte order, whatever the database's locale: the order query's index
	 * read gives its hosts (fleet_index.c).
	 */
	PGresult *r = query(f, "enrolled hosts", "SELECT origin FROM enrolment WHERE strpos(origin, $1) > 0 "
			    "ORDER BY origin COLLATE \"C\"", 1, v, &code, err, errlen);
	if (!r)
		return code;
	size_t count = (size_t)f->pq->PQntuples(r), bytes = 0;
	for (size_t i = 0; i < count; i++)
		bytes += (size_t)f->pq->PQgetlength(r, (int)i, 0) + 1;
	char **p = malloc(count * sizeof(char *) + bytes + 1);
	if (!p) {
		f->pq->PQclear(r);
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	char *s = (char *)(p + count);
	for (size_t i = 0; i < count; i++) {
		p[i] = s;
		s = stpcpy(s, f->pq->PQgetvalue(r, (int)i, 0)) + 1;
	}
	f->pq->PQclear(r);
	*origins = p;
	*n = count;
	return 0;
}

/*
 * The stored records a statement selects (idx, stored), in index order, to
 * rec_fn; a record that does not decode to damage_fn (from, resume, why), and
 * with contiguous, indexes missing between stored ones too. One row at a
 * time: a host's records never all sit in memory. 0, an exit code from a
 * callback, or a database one.
 */
/* A record index as a bigint parameter: one past its range means "to the end". */
static const char *idx_param(char buf[24], uint64_t v)
{
	snprintf(buf, 24, "%" PRIu64, v > INT64_MAX ? (uint64_t)INT64_MAX : v);
	return buf;
}

static int records_rows(struct cli_fleet *f, const char *sql, int n, const char *const *v,
			int contiguous, cli_fleet_rec_fn rec_fn, cli_fleet_damage_fn damage_fn,
			void *ctx, char *err, size_t errlen)
{
	PGresult *r;

	if (!f->pq->PQsendQueryParams(f->db, sql, n, NULL, v, NULL, NULL, 1) ||
	    !f->pq->PQsetSingleRowMode(f->db)) {
		pq_line(err, errlen, "fleet database: records", f->pq->PQerrorMessage(f->db));
		return TA_EXIT_STORAGE;
	}
	int code = 0;
	uint64_t expect = UINT64_MAX;
	while ((r = f->pq->PQgetResult(f->db))) {
		ExecStatusType st = f->pq->PQresultStatus(r);
		uint64_t idx;
		if (st == PGRES_SINGLE_TUPLE && !code && !cli_fleet_col_int8(f->pq, r, 0, &idx)) {
			/* Records the database lacks (a dropped partition, or never received). */
			if (contiguous && expect != UINT64_MAX && idx != expect)
				code = damage_fn(ctx, expect, idx, "records missing from the fleet database");
			expect = idx + 1;
			struct ta_log_record rec;
			const char *why = "";
			if (code)
				;
			else if (ta_rec_decode(f->dec, (const uint8_t *)f->pq->PQgetvalue(r, 0, 1),
					       (size_t)f->pq->PQgetlength(r, 0, 1), idx, &rec, &why))
				code = damage_fn(ctx, idx, idx + 1, why);
			else
				code = rec_fn(ctx, &rec);
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && !code) {
			code = sql_exit(f, r);
			pq_line(err, errlen, "fleet database: records", f->pq->PQresultErrorMessage(r));
		}
		f->pq->PQclear(r);
	}
	if (code == TA_EXIT_FAILURE)
		snprintf(err, errlen, "out of memory");
	return code;
}

int cli_fleet_records(struct cli_fleet *f, const char *origin, uint64_t first, uint64_t last,
		      cli_fleet_rec_fn rec_fn, cli_fleet_damage_fn damage_fn, void *ctx, char *err,
		      size_t errlen)
{
	char lo[24], hi[24];
	const char *v[3] = { origin, idx_param(lo, first), idx_param(hi, last) };

	return records_rows(f, "SELECT idx, stored FROM records WHERE origin = $1 AND idx BETWEEN $2 "
			    "AND $3 ORDER BY idx", 3, v, 1, rec_fn, damage_fn, ctx, err, errlen);
}

int cli_fleet_session_records(struct cli_fleet *f, const char *origin, uint64_t key, uint64_t first,
			      uint64_t last, const uint64_t *also, size_t nalso,
			      cli_fleet_rec_fn rec_fn, cli_fleet_damage_fn damage_fn, void *ctx,
			      char *err, size_t errlen)
{
	char k[24], lo[24], hi[24], one[24];
	const char *v[5] = { origin, k, idx_param(lo, first), idx_param(hi, last), NULL };
	struct ta_buf list;
	int code;

	snprintf(k, sizeof(k), "%" PRId64, (int64_t)key);
	ta_buf_init(&list);
	ta_buf_putc(&list, '{');
	for (size_t i = 0; i < nalso; i++)
		ta_buf_printf(&list, "%s%s", i ? "," : "", idx_param(one, also[i]));
	ta_buf_puts(&list, "}");
	ta_buf_putc(&list, '\0');
	if (list.oom) {
		ta_buf_free(&list);
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	v[4] = (const char *)list.p;
	/*
	 * The session's own records through (origin, session, idx), the others
	 * through (origin, idx): two arms, each exactly one index's range or keys
	 * (an OR lets the planner take one index for both and filter the host's rows).
	 */
	code = records_rows(f, "SELECT idx, stored FROM records WHERE origin = $1 AND session = $2 "
			    "AND idx BETWEEN $3 AND $4 UNION ALL SELECT idx, stored FROM records WHERE "
			    "origin = $1 AND idx = ANY($5::bigint[]) AND session <> $2 ORDER BY idx", 5,
			    v, 0, rec_fn, damage_fn, ctx, err, errlen);
	ta_buf_free(&list);
	return code;
}

static int cosigned_size(struct cli_fleet *f, const char *origin, uint64_t *size, char *err,
			 size_t errlen)
{
	const char *v[1] = { origin };
	int code = 0;
	PGresult *r = query(f, "checkpoints", "SELECT coalesce(max(size), 0) FROM checkpoints "
			    "WHERE origin = $1 AND cosignature IS NOT NULL", 1, v, &code, err, errlen);
	if (!r)
		return code;
	*size = f->pq->PQntuples(r) == 1 ? strtoull(f->pq->PQgetvalue(r, 0, 0), NULL, 10) : 0;
	f->pq->PQclear(r);
	return 0;
}

struct table_fill {
	struct ta_sesstab *t;
	const char *origin;
	uint64_t *damage;
	char *line;
	size_t len;
};

static int table_rec(void *ctx, const struct ta_log_record *rec)
{
	struct table_fill *tf = ctx;
	return ta_sesstab_add(tf->t, rec) ? TA_EXIT_FAILURE : 0;
}

/* Counted as a damaged local log's would be; the first one named. */
static int table_damage(void *ctx, uint64_t from, uint64_t resume, const char *why)
{
	struct table_fill *tf = ctx;
	if (!(*tf->damage)++)
		snprintf(tf->line, tf->len, "%s: record %" PRIu64 ": %s", tf->origin, from, why);
	return ta_sesstab_damage(tf->t, from, resume, 0) ? TA_EXIT_FAILURE : 0;
}

int cli_fleet_table(struct cli_fleet *f, const char *origin, struct ta_sesstab *t, uint64_t *cosigned,
		    uint64_t *damage, char *damage_line, size_t dlen, char *err, size_t errlen)
{
	struct table_fill tf = { t, origin, damage, damage_line, dlen };
	int code = cosigned_size(f, origin, cosigned, err, errlen);

	if (code)
		return code;
	if (ta_sesstab_init(t, 0)) {
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	code = cli_fleet_records(f, origin, 0, UINT64_MAX, table_rec, table_damage, &tf, err, errlen);
	if (!code && ta_sesstab_finish(t)) {
		code = TA_EXIT_FAILURE;
		snprintf(err, errlen, "out of memory");
	}
	if (code)
		ta_sesstab_free(t);
	return code;
}

int cli_fleet_key(struct cli_fleet *f, const char *origin, struct ta_verifier **key, char *err,
		  size_t errlen)
{
	const char *v[1] = { origin };
	int code = 0;
	PGresult *r = query(f, "enrolment", "SELECT vkey FROM enrolment WHERE origin = $1", 1, v, &code,
			    err, errlen);
	if (!r)
		return code;
	if (f->pq->PQntuples(r) != 1 || ta_verifier_parse(f->pq->PQgetvalue(r, 0, 0), key)) {
		code = TA_EXIT_VERIFY;
		snprintf(err, errlen, "%s: the enrolled key is not a verifier key", origin);
	}
	f->pq->PQclear(r);
	return code;
}

void cli_fleet_ckpts_free(struct cli_fleet_ckpt *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].note);
	free(v);
}

int cli_fleet_ckpts(struct cli_fleet *f, const char *origin, struct cli_fleet_ckpt **out, size_t *n,
		    char *err, size_t errlen)
{
	const char *v[1] = { origin };
	int code = 0;
	PGresult *r = query(f, "checkpoints", "SELECT size, note, coalesce(cosignature, ''), "
			    "cosignature IS NOT NULL FROM checkpoints WHERE origin = $1 ORDER BY size",
			    1, v, &code, err, errlen);
	if (!r)
		return code;
	size_t count = (size_t)f->pq->PQntuples(r);
	struct cli_fleet_ckpt *c = calloc(count + 1, sizeof(*c));
	for (size_t i = 0; c && i < count; i++) {
		int k = (int)i;
		size_t nl = (size_t)f->pq->PQgetlength(r, k, 1), cl = (size_t)f->pq->PQgetlength(r, k, 2);
		c[i].size = strtoull(f->pq->PQgetvalue(r, k, 0), NULL, 10);
		c[i].cosigned = *f->pq->PQgetvalue(r, k, 3) == 't';
		c[i].note = malloc(nl + cl + 1);
		if (!c[i].note) {
			cli_fleet_ckpts_free(c, i);
			c = NULL;
			break;
		}
		memcpy(c[i].note, f->pq->PQgetvalue(r, k, 1), nl);
		memcpy(c[i].note + nl, f->pq->PQgetvalue(r, k, 2), cl);
		c[i].note[nl + cl] = '\0';
		c[i].note_len = nl + cl;
	}
	f->pq->PQclear(r);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	*out = c;
	*n = count;
	return 0;
}

int cli_fleet_leaves_begin(struct cli_fleet *f, const char *origin, uint64_t limit,
			   const uint64_t *session, char *err, size_t errlen)
{
	char lim[24], sess[24];
	const char *v[3] = { origin, lim, session ? sess : NULL };
	snprintf(lim, sizeof(lim), "%" PRIu64, limit > INT64_MAX ? (uint64_t)INT64_MAX : limit);
	/* A session key is a 64-bit pattern; the column is a signed bigint. */
	snprintf(sess, sizeof(sess), "%" PRId64, session ? (int64_t)*session : 0);
	/*
	 * Both sides, so that a record without a leaf (inserted behind the
	 * collector's back) is seen too, and in one order: a merge of two index scans.
	 */
	if (!f->pq->PQsendQueryParams(f->db,
			       "SELECT idx, l.leaf, r.stored FROM "
			       "(SELECT idx, leaf FROM leaves WHERE origin = $1 AND idx < $2) l FULL JOIN "
			       "(SELECT idx, stored FROM records WHERE origin = $1 AND idx < $2 "
			       "AND ($3::bigint IS NULL OR session = $3)) r USING (idx) ORDER BY idx",
			       3, NULL, v, NULL, NULL, 1) ||
	    !f->pq->PQsetSingleRowMode(f->db)) {
		pq_line(err, errlen, "fleet database: leaves", f->pq->PQerrorMessage(f->db));
		return TA_EXIT_STORAGE;
	}
	f->reading = 1;
	return 0;
}

int cli_fleet_leaves_next(struct cli_fleet *f, struct cli_fleet_leaf *l, char *err, size_t errlen)
{
	f->pq->PQclear(f->row);
	f->row = NULL;
	if (!f->reading)
		return 0;
	PGresult *r = f->pq->PQgetResult(f->db);
	ExecStatusType st = r ? f->pq->PQresultStatus(r) : PGRES_TUPLES_OK;
	uint64_t idx;
	if (st == PGRES_SINGLE_TUPLE && !cli_fleet_col_int8(f->pq, r, 0, &idx)) {
		memset(l, 0, sizeof(*l));
		l->index = idx;
		if (!f->pq->PQgetisnull(r, 0, 1) && f->pq->PQgetlength(r, 0, 1) == TA_HASH_LEN)
			l->leaf = (const uint8_t *)f->pq->PQgetvalue(r, 0, 1);
		if (!f->pq->PQgetisnull(r, 0, 2)) {
			l->stored = (const uint8_t *)f->pq->PQgetvalue(r, 0, 2);
			l->stored_len = (size_t)f->pq->PQgetlength(r, 0, 2);
		}
		f->row = r;
		return 1;
	}
	int code = 0;
	if (st != PGRES_TUPLES_OK) {
		code = st == PGRES_SINGLE_TUPLE ? TA_EXIT_STORAGE : sql_exit(f, r);
		pq_line(err, errlen, "fleet database: leaves",
			st == PGRES_SINGLE_TUPLE ? "malformed row" : f->pq->PQresultErrorMessage(r));
	}
	f->pq->PQclear(r);
	cli_fleet_leaves_end(f);
	return code;
}

void cli_fleet_leaves_end(struct cli_fleet *f)
{
	f->pq->PQclear(f->row);
	f->row = NULL;
	if (!f->reading)
		return;
	/* Cancel what is left, then drain the results the connection still owes. */
	PGcancel *cn = f->pq->PQgetCancel(f->db);
	char buf[256];
	if (cn) {
		f->pq->PQcancel(cn, buf, sizeof(buf));
		f->pq->PQfreeCancel(cn);
	}
	PGresult *r;
	while ((r = f->pq->PQgetResult(f->db)))
		f->pq->PQclear(r);
	f->reading = 0;
}

int cli_fleet_session_indexes(struct cli_fleet *f, const char *origin, uint64_t session,
			      uint64_t limit, uint64_t **idx, size_t *n, char *err, size_t errlen)
{
	char lim[24], sess[24];
	const char *v[3] = { origin, sess, lim };
	snprintf(lim, sizeof(lim), "%" PRIu64, limit > INT64_MAX ? (uint64_t)INT64_MAX : limit);
	snprintf(sess, sizeof(sess), "%" PRId64, (int64_t)session);
	int code = 0;
	PGresult *r = query(f, "records", "SELECT DISTINCT idx FROM records WHERE origin = $1 AND "
			    "session = $2 AND idx < $3 ORDER BY idx", 3, v, &code, err, errlen);
	if (!r)
		return code;
	size_t count = (size_t)f->pq->PQntuples(r);
	uint64_t *v64 = malloc((count + 1) * sizeof(*v64));
	for (size_t i = 0; v64 && i < count; i++)
		v64[i] = strtoull(f->pq->PQgetvalue(r, (int)i, 0), NULL, 10);
	f->pq->PQclear(r);
	if (!v64) {
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	*idx = v64;
	*n = count;
	return 0;
}

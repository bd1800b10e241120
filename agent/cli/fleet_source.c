// SPDX-License-Identifier: GPL-2.0-or-later
/* The fleet's PostgreSQL as a source of hosts' logs (libpq). */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli/fleet_source.h"
#include "base/exitcodes.h"
#include "store/store.h"

struct cli_fleet {
	PGconn *db;
	struct ta_rec_decoder *dec;
};

/* libpq's messages end with a newline and may span lines: the first line only. */
static void pq_line(char *err, size_t errlen, const char *what, const char *msg)
{
	snprintf(err, errlen, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
}

static int sql_exit(PGresult *r)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	/* 42501 insufficient_privilege */
	return state && !strcmp(state, "42501") ? TA_EXIT_NOPERM : TA_EXIT_STORAGE;
}

int cli_fleet_open(struct cli_fleet **out, const char *dsn, char *err, size_t errlen)
{
	struct cli_fleet *f = calloc(1, sizeof(*f));
	if (!f || ta_rec_decoder_new(&f->dec)) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	/* A DSN with a syntax error is the user's: PQconninfoParse says where. */
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(dsn, &perr);
	if (!opts) {
		pq_line(err, errlen, "--fleet: not a PostgreSQL connection string",
			perr ? perr : "out of memory");
		PQfreemem(perr);
		cli_fleet_close(f);
		return TA_EXIT_USAGE;
	}
	PQconninfoFree(opts);
	f->db = PQconnectdb(dsn);
	if (PQstatus(f->db) != CONNECTION_OK) {
		const char *m = PQerrorMessage(f->db);
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
	PQfinish(f->db);
	ta_rec_decoder_free(f->dec);
	free(f);
}

int cli_fleet_origins(struct cli_fleet *f, const char *pattern, char ***origins, size_t *n,
		      char *err, size_t errlen)
{
	const char *v[1] = { pattern ? pattern : "" };
	/* strpos, not LIKE: the pattern is text to find, its % and _ included. */
	PGresult *r = PQexecParams(f->db, "SELECT origin FROM enrolment WHERE strpos(origin, $1) > 0 "
				   "ORDER BY origin", 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		int code = sql_exit(r);
		pq_line(err, errlen, "fleet database: enrolled hosts", PQerrorMessage(f->db));
		PQclear(r);
		return code;
	}
	size_t count = (size_t)PQntuples(r), bytes = 0;
	for (size_t i = 0; i < count; i++)
		bytes += (size_t)PQgetlength(r, (int)i, 0) + 1;
	char **p = malloc(count * sizeof(char *) + bytes + 1);
	if (!p) {
		PQclear(r);
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	char *s = (char *)(p + count);
	for (size_t i = 0; i < count; i++) {
		p[i] = s;
		s = stpcpy(s, PQgetvalue(r, (int)i, 0)) + 1;
	}
	PQclear(r);
	*origins = p;
	*n = count;
	return 0;
}

/*
 * Each stored record of origin with first <= idx <= last, in index order, to
 * rec_fn; a record that does not decode, or indexes missing between stored
 * ones, to damage_fn (from, resume, why). One row at a time: a host's records
 * never all sit in memory. 0, an exit code from a callback, or a database one.
 */
int cli_fleet_records(struct cli_fleet *f, const char *origin, uint64_t first, uint64_t last,
		      cli_fleet_rec_fn rec_fn, cli_fleet_damage_fn damage_fn, void *ctx, char *err,
		      size_t errlen)
{
	char lo[24], hi[24];
	const char *v[3] = { origin, lo, hi };
	PGresult *r;

	/* idx is a bigint: a last past its range means "to the end". */
	snprintf(lo, sizeof(lo), "%" PRIu64, first > INT64_MAX ? (uint64_t)INT64_MAX : first);
	snprintf(hi, sizeof(hi), "%" PRIu64, last > INT64_MAX ? (uint64_t)INT64_MAX : last);
	if (!PQsendQueryParams(f->db, "SELECT idx, stored FROM records WHERE origin = $1 "
			       "AND idx BETWEEN $2 AND $3 ORDER BY idx", 3, NULL, v, NULL, NULL, 1) ||
	    !PQsetSingleRowMode(f->db)) {
		pq_line(err, errlen, "fleet database: records", PQerrorMessage(f->db));
		return TA_EXIT_STORAGE;
	}
	int code = 0;
	uint64_t expect = UINT64_MAX;
	while ((r = PQgetResult(f->db))) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && !code && PQgetlength(r, 0, 0) == 8) {
			uint64_t be, idx;
			memcpy(&be, PQgetvalue(r, 0, 0), 8);
			idx = be64toh(be);
			/* Records the database lacks (a dropped partition, or never received). */
			if (expect != UINT64_MAX && idx != expect)
				code = damage_fn(ctx, expect, idx, "records missing from the fleet database");
			expect = idx + 1;
			struct ta_log_record rec;
			const char *why = "";
			if (code)
				;
			else if (ta_rec_decode(f->dec, (const uint8_t *)PQgetvalue(r, 0, 1),
					       (size_t)PQgetlength(r, 0, 1), idx, &rec, &why))
				code = damage_fn(ctx, idx, idx + 1, why);
			else
				code = rec_fn(ctx, &rec);
		} else if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && !code) {
			code = sql_exit(r);
			pq_line(err, errlen, "fleet database: records", PQresultErrorMessage(r));
		}
		PQclear(r);
	}
	if (code == TA_EXIT_FAILURE)
		snprintf(err, errlen, "out of memory");
	return code;
}

static int cosigned_size(struct cli_fleet *f, const char *origin, uint64_t *size, char *err,
			 size_t errlen)
{
	const char *v[1] = { origin };
	PGresult *r = PQexecParams(f->db, "SELECT coalesce(max(size), 0) FROM checkpoints "
				   "WHERE origin = $1 AND cosignature IS NOT NULL", 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		int code = sql_exit(r);
		pq_line(err, errlen, "fleet database: checkpoints", PQerrorMessage(f->db));
		PQclear(r);
		return code;
	}
	*size = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
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

// SPDX-License-Identifier: GPL-2.0-or-later
/* The collector's statements (pg.h). */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "collector/collector.h"
#include "collector/pg.h"

PGresult *ta_pg_q(PGconn *db, const char *sql, int n, const char *const *v, const int *lens)
{
	int fmt[16] = { 0 };
	for (int i = 0; lens && i < n && i < 16; i++)
		fmt[i] = lens[i] >= 0;
	return PQexecParams(db, sql, n, NULL, v, lens, lens ? fmt : NULL, 1);
}

int ta_pg_ok(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

int ta_pg_fail(struct ta_collector *c, PGresult *r, const char *what)
{
	/* PQclear(NULL) is a no-op: callers pass NULL when there is no result. */
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(c->sqlstate, sizeof(c->sqlstate), "%s", st ? st : "");
	snprintf(c->err, sizeof(c->err), "%s: %s", what, PQerrorMessage(c->db));
	c->err[strcspn(c->err, "\n")] = '\0';
	PQclear(r);
	return -EIO;
}

int64_t ta_pg_i64(const PGresult *r, int row, int col)
{
	uint64_t be = 0;
	if (PQgetlength(r, row, col) == 8)
		memcpy(&be, PQgetvalue(r, row, col), 8);
	return (int64_t)be64toh(be);
}

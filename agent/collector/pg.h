/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The collector's statements on its batch connection: one home for running and failing them. */
#ifndef TA_COLLECTOR_PG_H
#define TA_COLLECTOR_PG_H

#include <inttypes.h>
#include <stdio.h>

#include <libpq-fe.h>

struct ta_collector;

/* Runs a parameterised statement (text parameters, or binary where lens is given); binary results. */
PGresult *ta_pg_q(PGconn *db, const char *sql, int n, const char *const *v, const int *lens);
/* Whether r is a statement's success (a command, or rows). */
int ta_pg_ok(const PGresult *r);
/* Keeps what failed in c->err and c->sqlstate, clears r (NULL is fine); -EIO. */
int ta_pg_fail(struct ta_collector *c, PGresult *r, const char *what);
/* A binary bigint of a result. */
int64_t ta_pg_i64(const PGresult *r, int row, int col);

#define U64(buf, v) (snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)(v)), buf)

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpq, loaded only when --fleet is used. Linked in, libpq brings some twenty
 * libraries (Kerberos, LDAP, GnuTLS, ...) that the dynamic loader maps and
 * relocates at every start of ttyaudit: ~5 ms of a `query --user` that needs
 * none of them (docs/performance.md, issue #20). The types and constants come
 * from libpq-fe.h as before; only the calls go through this table.
 */
#ifndef TA_CLI_PQ_LOAD_H
#define TA_CLI_PQ_LOAD_H

#include <stddef.h>
#include <libpq-fe.h>

#include "base/dl_table.h"

/* The libpq functions the CLI calls. */
#define CLI_PQ_FUNCS(X)                                                            \
	X(PQcancel) X(PQclear) X(PQconnectdb) X(PQconninfoFree) X(PQconninfoParse) \
	X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQfinish) X(PQfreeCancel)    \
	X(PQfreemem) X(PQgetCancel) X(PQgetResult) X(PQgetisnull) X(PQgetlength)   \
	X(PQgetvalue) X(PQnfields) X(PQntuples) X(PQresultErrorField)              \
	X(PQresultErrorMessage) X(PQresultStatus) X(PQsendQueryParams)             \
	X(PQsetSingleRowMode) X(PQstatus)

struct cli_pq {
	CLI_PQ_FUNCS(TA_DL_MEMBER)
};

/*
 * The table, loading libpq on the first call; NULL with one line in err if
 * libpq or one of its functions is missing.
 */
const struct cli_pq *cli_pq_load(char *err, size_t errlen);

#endif

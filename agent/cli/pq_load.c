// SPDX-License-Identifier: GPL-2.0-or-later
/* libpq loaded on demand: see pq_load.h for why. */
#include <stdio.h>

#include "cli/pq_load.h"

const struct cli_pq *cli_pq_load(char *err, size_t errlen)
{
	/* Process-wide like the library it describes: filled once, never changed after. */
	static struct cli_pq pq;
	static int loaded;
	char why[256];

	if (loaded)
		return &pq;
	/* libpq's soname: its ABI has been 5 since PostgreSQL 8.x. */
	if (TA_DL_TABLE_LOAD(pq, CLI_PQ_FUNCS, "libpq.so.5", "libpq5", why, sizeof(why))) {
		snprintf(err, errlen, "--fleet needs libpq: %s", why);
		return NULL;
	}
	loaded = 1;
	return &pq;
}

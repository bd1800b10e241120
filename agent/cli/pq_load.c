// SPDX-License-Identifier: GPL-2.0-or-later
/* libpq loaded on demand: see pq_load.h for why. */
#include <stdio.h>

#include "base/dl_table.h"
#include "cli/pq_load.h"

const struct cli_pq *cli_pq_load(char *err, size_t errlen)
{
	/* Process-wide like the library it describes: filled once, never changed after. */
	static struct cli_pq pq;
	static int loaded;
#define CLI_PQ_NAME(name) #name,
	static const char *const names[] = { CLI_PQ_FUNCS(CLI_PQ_NAME) };
#undef CLI_PQ_NAME
	void (*slots[sizeof(names) / sizeof(names[0])])(void);
	char why[256];
	size_t i = 0;

	if (loaded)
		return &pq;
	/* libpq's soname: its ABI has been 5 since PostgreSQL 8.x. */
	if (ta_dl_table_load("libpq.so.5", "libpq5", names, slots, sizeof(names) / sizeof(names[0]),
			     why, sizeof(why))) {
		snprintf(err, errlen, "--fleet needs libpq: %s", why);
		return NULL;
	}
#define CLI_PQ_SET(name) pq.name = (__typeof__(pq.name))slots[i++];
	CLI_PQ_FUNCS(CLI_PQ_SET)
#undef CLI_PQ_SET
	loaded = 1;
	return &pq;
}

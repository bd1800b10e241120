// SPDX-License-Identifier: GPL-2.0-or-later
/* libpq loaded on demand: see pq_load.h for why. */
#include <dlfcn.h>
#include <stdio.h>

#include "cli/pq_load.h"

/* libpq's soname: its ABI has been 5 since PostgreSQL 8.x. */
#define CLI_PQ_SONAME "libpq.so.5"

const struct cli_pq *cli_pq_load(char *err, size_t errlen)
{
	/* Process-wide like the library it describes: filled once, never changed after. */
	static struct cli_pq pq;
	static int loaded;
	if (loaded)
		return &pq;
	void *h = dlopen(CLI_PQ_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "--fleet needs libpq (" CLI_PQ_SONAME ", Debian package libpq5: "
			 "apt-get install libpq5): %s", dlerror());
		return NULL;
	}
#define CLI_PQ_SYM(name)                                                                       \
	*(void **)&pq.name = dlsym(h, #name);                                                  \
	if (!pq.name) {                                                                        \
		snprintf(err, errlen, "--fleet: " CLI_PQ_SONAME " has no " #name               \
			 " (too old: install Debian 12's libpq5 or newer)");                   \
		dlclose(h);                                                                    \
		return NULL;                                                                   \
	}
	CLI_PQ_FUNCS(CLI_PQ_SYM)
#undef CLI_PQ_SYM
	loaded = 1;
	return &pq;
}

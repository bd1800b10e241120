/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query --fleet through the collector's session index (docs/fleet.md,
 * "Fleet query"): the sessions the filters may match, the sessions sharing a
 * pane with them and the hosts' log-wide records are read, and each host's
 * session table is built from them with the same code as for a local log, so
 * the rows are the local ones. A host whose stored records have a hole, do
 * not all decode, or predate the index is read in full (cli_fleet_table).
 */
#ifndef TA_CLI_FLEET_INDEX_H
#define TA_CLI_FLEET_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "index/sesstab.h"

struct cli_fleet;

/* What the index can narrow; the query applies its filters to the rows exactly. */
struct cli_fleet_filter {
	int have_user;
	uint32_t auid;          /* TA_ID_NONE: by name */
	const char *user;       /* the login name, or NULL */
	uint64_t since, until;  /* ns, 0: none */
	const char *host, *tty; /* NULL: none */
	int have_session, ses_only;
	uint64_t session;
};

/* Whether the index narrows anything for these filters (else the hosts are read in full). */
int cli_fleet_filter_narrows(const struct cli_fleet_filter *flt);

struct cli_fleet_host {
	int full;              /* read it in full: cli_fleet_table */
	int have_table;        /* t holds the sessions read */
	struct ta_sesstab t;
	uint64_t cosigned;     /* size of its latest cosigned checkpoint */
	uint64_t *match;       /* sorted keys the filters may match: rows only of these */
	size_t n_match;
};

/*
 * Fills hosts[0..n) for origins[0..n) (all_hosts: every enrolled host) in one
 * read-only snapshot. 0 or an exit code with err one line.
 */
int cli_fleet_index_read(struct cli_fleet *f, const struct cli_fleet_filter *flt, char **origins,
			 size_t n, int all_hosts, struct cli_fleet_host *hosts, char *err, size_t errlen);
/* Whether key is one a host's rows may come from. */
int cli_fleet_host_may_match(const struct cli_fleet_host *h, uint64_t key);
void cli_fleet_host_free(struct cli_fleet_host *h);

#endif

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
	int keep_refs;          /* the tables keep each session's record indexes (their transcripts) */
};

/* Whether the index narrows anything for these filters (else the hosts are read in full). */
int cli_fleet_filter_narrows(const struct cli_fleet_filter *flt);

struct cli_fleet_host {
	char *origin;          /* the host's log origin (malloc'd) */
	int full;              /* read it in full: cli_fleet_table */
	int have_table;        /* t holds the sessions read */
	struct ta_sesstab t;
	uint64_t cosigned;     /* size of its latest cosigned checkpoint */
	uint64_t *match;       /* sorted keys the filters may match: rows only of these */
	size_t n_match, cap_match;
};

/*
 * Of the enrolled hosts whose origin contains pattern (NULL: all; *n_enrolled
 * says how many), the hosts the query needs in byte order of their origin,
 * each either read through the index (its table holds the sessions the
 * filters may match, and those their rows need) or marked full. Hosts with
 * nothing to read are left out. *hosts malloc'd (cli_fleet_hosts_free). 0 or
 * an exit code with err one line.
 * A sessions statement, then a records statement per run of whole hosts
 * (about 4 096 sessions; one host's sessions are never split). Each sees its
 * own snapshot: a session whose records read differ in number from what its
 * index entry counts has its host read in full.
 */
int cli_fleet_index_read(struct cli_fleet *f, const struct cli_fleet_filter *flt, const char *pattern,
			 struct cli_fleet_host **hosts, size_t *n, size_t *n_enrolled, char *err,
			 size_t errlen);
/* Whether key is one a host's rows may come from. */
int cli_fleet_host_may_match(const struct cli_fleet_host *h, uint64_t key);
void cli_fleet_hosts_free(struct cli_fleet_host *h, size_t n);

#endif

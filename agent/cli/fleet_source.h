/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fleet's PostgreSQL (docs/fleet.md) as the source of the investigator's
 * commands: the hosts' records as the collector verified and stored them,
 * read through the read-only ttyaudit_investigator role. Built with libpq
 * (meson option fleet); without it, --fleet says so.
 */
#ifndef TA_CLI_FLEET_SOURCE_H
#define TA_CLI_FLEET_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "index/sesstab.h"

struct cli_fleet;

/* Connects; on failure one line in err and the exit code (6: unreachable, 4: refused). */
int cli_fleet_open(struct cli_fleet **out, const char *dsn, char *err, size_t errlen);
void cli_fleet_close(struct cli_fleet *f);
/*
 * The enrolled hosts whose origin contains pattern (NULL: all), sorted;
 * *origins is one malloc'd block of pointers and strings. 0 or an exit code.
 */
int cli_fleet_origins(struct cli_fleet *f, const char *pattern, char ***origins, size_t *n,
		      char *err, size_t errlen);
struct ta_log_record;
/* Callbacks of cli_fleet_records: 0 or an exit code (which stops the walk). */
typedef int (*cli_fleet_rec_fn)(void *ctx, const struct ta_log_record *rec);
typedef int (*cli_fleet_damage_fn)(void *ctx, uint64_t from, uint64_t resume, const char *why);
/*
 * origin's stored records with first <= index <= last in index order to
 * rec_fn (valid during the call); records that do not decode, and indexes
 * missing between stored ones, to damage_fn. 0 or an exit code.
 */
int cli_fleet_records(struct cli_fleet *f, const char *origin, uint64_t first, uint64_t last,
		      cli_fleet_rec_fn rec_fn, cli_fleet_damage_fn damage_fn, void *ctx, char *err,
		      size_t errlen);
/*
 * A host's session table, finished, from its records in index order, and the
 * size of its latest cosigned checkpoint. Records that do not decode, and
 * indexes missing between stored ones, are counted as damage (*damage, the
 * first in damage_line) as a damaged local log would be. 0 or an exit code.
 */
int cli_fleet_table(struct cli_fleet *f, const char *origin, struct ta_sesstab *t, uint64_t *cosigned,
		    uint64_t *damage, char *damage_line, size_t dlen, char *err, size_t errlen);

struct ta_transcript;
/*
 * The transcript of session s of origin from the records of its span (as a
 * local log read without its index), with the attach/detach records clients
 * of others (NULL, 0: none); damage marked in it. 0 or an exit code (session_fleet.c).
 */
int cli_fleet_transcript(struct cli_fleet *f, const char *origin, const struct ta_sess *s,
			 const uint64_t *clients, size_t nclients, struct ta_transcript *tr, char *err,
			 size_t errlen);

#endif

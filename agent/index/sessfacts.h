/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the fleet's session index (docs/fleet.md, "Fleet query") keeps of
 * each session so that query --fleet reads only the sessions its filters
 * can match: the facts of a session table built from some of a host's
 * records (a collector's batch). Facts of several batches are merged by
 * union (and min/max for times), so they are a superset of what the whole
 * log's table says: the query still rebuilds the rows it prints from the
 * records, with the same code as for a local log.
 */
#ifndef TA_INDEX_SESSFACTS_H
#define TA_INDEX_SESSFACTS_H

#include <stdint.h>

#include "index/sesstab.h"

enum ta_sessfact_kind {
	TA_SF_AUID = 1,    /* num: a login uid of the session */
	TA_SF_USER,        /* text: a login name */
	TA_SF_HOST,        /* text: a login host or address */
	TA_SF_TTY,         /* text: a terminal (used, or the login's) */
	TA_SF_RELATED,     /* num: a session sharing a pane with it (typist or pane owner) */
	TA_SF_BEGIN,       /* num: unix microseconds, no later than the session's start */
	TA_SF_END,         /* num: unix microseconds, no earlier than its end (floor) */
	TA_SF_GLOBAL,      /* the session key holds records the table reads as log-wide */
	TA_SF_UNDECODABLE, /* a record of the session key did not decode, or a text of it is not
			    * UTF-8, holds a NUL or is longer than TA_SF_TEXT_MAX */
};

/*
 * The longest text fact, in bytes: an index key PostgreSQL holds whatever the
 * text (uncompressed, with the row's header, within a page's third).
 */
#define TA_SF_TEXT_MAX 2048

/* One fact of session key: 0 or -errno (which stops the walk). */
typedef int (*ta_sessfact_fn)(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num,
			      const char *text);

/* Every fact of every session of a finished table. 0 or the callback's -errno. */
int ta_sessfacts_emit(const struct ta_sesstab *t, ta_sessfact_fn fn, void *ctx);

/*
 * Whether the session table reads rec as log-wide (a store gap, a recovery,
 * an agent start, a loss naming no session): the fleet query reads these
 * records of every host it lists.
 */
int ta_sesstab_rec_global(const struct ta_log_record *rec);

#endif

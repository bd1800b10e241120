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
/*
 * For the other readers of the database (fleet_index.c): a query with text
 * parameters and results (NULL on failure, *code the exit code, err one line
 * naming what); a statement without rows (0 or an exit code); a query whose
 * binary rows come one at a time (cli_fleet_stream_next: 1 and *row to
 * PQclear, 0 at the end, or an exit code; read it to the end before anything
 * else), its parameters text, or binary of lens[i] bytes when lens is given
 * (at most CLI_FLEET_MAX_PARAMS); the record decoder.
 */
typedef struct pg_result PGresult;
PGresult *cli_fleet_query(struct cli_fleet *f, const char *what, const char *sql, int n,
			  const char *const *v, int *code, char *err, size_t errlen);
int cli_fleet_exec(struct cli_fleet *f, const char *what, const char *sql, char *err, size_t errlen);
#define CLI_FLEET_MAX_PARAMS 16
int cli_fleet_stream_begin(struct cli_fleet *f, const char *what, const char *sql, int n,
			   const char *const *v, const int *lens, char *err, size_t errlen);
int cli_fleet_stream_next(struct cli_fleet *f, const char *what, PGresult **row, char *err,
			  size_t errlen);
struct ta_rec_decoder *cli_fleet_decoder(struct cli_fleet *f);
/* libpq's calls (pq_load.h), for the readers built on this source. */
struct cli_pq;
const struct cli_pq *cli_fleet_pq(struct cli_fleet *f);
/* Column c of a single-row result, a binary bigint: 0, -ENODATA if NULL, -EINVAL if not 8 bytes. */
int cli_fleet_col_int8(const struct cli_pq *pq, PGresult *r, int c, uint64_t *v);

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
 * origin's stored records of session key with first <= index <= last, and
 * those at the indexes also, in index order to rec_fn; records that do not
 * decode to damage_fn (missing ones are not said: the caller knows which it
 * wants). 0 or an exit code.
 */
int cli_fleet_session_records(struct cli_fleet *f, const char *origin, uint64_t key, uint64_t first,
			      uint64_t last, const uint64_t *also, size_t nalso,
			      cli_fleet_rec_fn rec_fn, cli_fleet_damage_fn damage_fn, void *ctx,
			      char *err, size_t errlen);
/*
 * A host's session table, finished, from its records in index order, and the
 * size of its latest cosigned checkpoint. Records that do not decode, and
 * indexes missing between stored ones, are counted as damage (*damage, the
 * first in damage_line) as a damaged local log would be. 0 or an exit code.
 */
int cli_fleet_table(struct cli_fleet *f, const char *origin, struct ta_sesstab *t, uint64_t *cosigned,
		    uint64_t *damage, char *damage_line, size_t dlen, char *err, size_t errlen);

struct ta_transcript;
struct ta_sesstab;
/*
 * The transcript of session s of table t of origin, with the attach/detach
 * records clients of others (NULL, 0: none); damage marked in it. From the
 * session's own records and the log-wide gaps inside it when t kept their
 * indexes (refs: a table read through the session index) and the database
 * has exactly those, else from every record of its span, as a local log read
 * without its index. 0 or an exit code (session_fleet.c).
 */
int cli_fleet_transcript(struct cli_fleet *f, const char *origin, const struct ta_sesstab *t,
			 const struct ta_sess *s, const uint64_t *clients, size_t nclients,
			 struct ta_transcript *tr, char *err, size_t errlen);

struct ta_verifier;
/* The enrolled verifier key of origin. 0 or an exit code. */
int cli_fleet_key(struct cli_fleet *f, const char *origin, struct ta_verifier **key, char *err,
		  size_t errlen);

/* A checkpoint the collector verified: its note and, once cosigned, the cosignature line. */
struct cli_fleet_ckpt {
	uint64_t size;
	char *note;        /* the note, with the cosignature line appended when cosigned */
	size_t note_len;
	int cosigned;
};
/* origin's checkpoints in size order (*v malloc'd; cli_fleet_ckpts_free). 0 or an exit code. */
int cli_fleet_ckpts(struct cli_fleet *f, const char *origin, struct cli_fleet_ckpt **v, size_t *n,
		    char *err, size_t errlen);
void cli_fleet_ckpts_free(struct cli_fleet_ckpt *v, size_t n);

/*
 * origin's tree as the database holds it, for verify and proofs: every index
 * below limit that has a leaf or a record, in index order, with its leaf hash
 * and its record's stored bytes (each NULL where absent). With session, only
 * that session's records come with their bytes. Between begin and the end
 * (next returns 0, or end) the connection does nothing else. An index the
 * database holds twice (a record inserted again) comes twice.
 */
struct cli_fleet_leaf {
	uint64_t index;
	const uint8_t *leaf;    /* TA_HASH_LEN bytes, or NULL */
	const uint8_t *stored;
	size_t stored_len;
};
int cli_fleet_leaves_begin(struct cli_fleet *f, const char *origin, uint64_t limit,
			   const uint64_t *session, char *err, size_t errlen);
/* 1 and *l (valid until the next call), 0 at the end, or an exit code (err says why). */
int cli_fleet_leaves_next(struct cli_fleet *f, struct cli_fleet_leaf *l, char *err, size_t errlen);
/* Stops reading early (drops the rest); harmless after the end. */
void cli_fleet_leaves_end(struct cli_fleet *f);
/* The indexes of session's records below limit, increasing (*idx malloc'd). 0 or an exit code. */
int cli_fleet_session_indexes(struct cli_fleet *f, const char *origin, uint64_t session,
			      uint64_t limit, uint64_t **idx, size_t *n, char *err, size_t errlen);

/*
 * The inclusion proof of session's records of origin against its latest
 * checkpoint the collector cosigned (the note carries the cosignature), as
 * export --with-proof writes it (fleet_proof.c). *text malloc'd. 0 or an exit code.
 */
int cli_fleet_session_proof(const char *dsn, const char *origin, uint64_t session, char **text,
			    size_t *len, char *err, size_t errlen);

#endif

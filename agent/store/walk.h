/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Walking a log read-only, past damage: where the store's reader stops on a
 * corrupt record, the walk reports it once (TA_WALK_DAMAGE, with where and
 * what) and resumes at the next segment whose header is intact, so the
 * intact part of a damaged log is still shown.
 */
#ifndef TA_STORE_WALK_H
#define TA_STORE_WALK_H

#include <stdint.h>

#include "store/store.h"

enum { TA_WALK_END = 0, TA_WALK_RECORD = 1, TA_WALK_DAMAGE = 2 };

struct ta_walk {
	struct ta_log_reader *r;
	char *dir;
	unsigned flags;
	uint64_t damaged;            /* damage reports so far */
	struct ta_log_error last;    /* the latest damage */
	uint64_t skipped_from;       /* damage: first index not read ... */
	uint64_t resumed_at;         /* ... and where reading resumed (UINT64_MAX: not) */
	uint64_t missing_seq_from;   /* damage is missing segment files: these (else UINT64_MAX) */
	uint64_t missing_seq_to;
	uint64_t next_index;         /* after the last record read (UINT64_MAX: none read) */
	uint64_t last_seq;           /* segment of the last record read */
	int ended;
};

/*
 * -errno from opening the directory: -EACCES not allowed to read the log,
 * -ENODATA no log there (no segment and no checkpoint file: a directory the
 * writer never wrote into).
 */
int ta_walk_open(struct ta_walk *w, const char *dir, unsigned flags);
/*
 * The same answer as ta_walk_open without opening a reader (which reads every
 * segment's header): for the permission check before an index is used.
 */
int ta_walk_access(const char *dir);
/* Positions at index (-ENOENT if not present). */
int ta_walk_seek(struct ta_walk *w, uint64_t index);
/* TA_WALK_RECORD with *rec, TA_WALK_DAMAGE (see w->last), TA_WALK_END, or -errno. */
int ta_walk_next(struct ta_walk *w, struct ta_log_record *rec);
void ta_walk_close(struct ta_walk *w);

/* One line describing the latest damage. */
void ta_walk_describe(const struct ta_walk *w, char *out, size_t cap);

#endif

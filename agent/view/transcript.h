/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One session's timeline, rebuilt from the log: terminal output and input
 * entries, window sizes, commands, login records, loss and damage, in time
 * order (ties keep log order). Built by reading the log itself; an index may
 * say where to look, but every record is re-read (CRC-checked by the store's
 * reader) and must carry the session's key to be used.
 */
#ifndef TA_VIEW_TRANSCRIPT_H
#define TA_VIEW_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "index/sesstab.h"
#include "view/buf.h"

enum ta_tev_kind {
	TA_TEV_OUTPUT = 1,
	TA_TEV_INPUT,
	TA_TEV_WINSIZE,
	TA_TEV_EXEC,        /* data: the record's JSON */
	TA_TEV_GAP,         /* data: JSON (loss) or text (store gap, restart) */
	TA_TEV_LOGIN,       /* session_start JSON */
	TA_TEV_LOGOUT,      /* session_end JSON */
	TA_TEV_NOTE,        /* other session JSON records (uncaptured, login_failed, ...) */
	TA_TEV_DAMAGE,      /* data: one line saying what could not be read */
};

struct ta_tev {
	uint64_t time_ns;
	uint64_t index;     /* record index */
	uint32_t seq;       /* entry number within the record */
	uint8_t kind;
	uint8_t source;
	uint16_t flags;     /* TA_F_* of tty entries */
	uint32_t len;       /* bytes of data in the arena */
	uint32_t orig_len;  /* tty entries: bytes the terminal moved (redacted: > len) */
	uint32_t pid, uid;
	uint16_t rows, cols;
	uint32_t tty;       /* string offset in the transcript's pool */
	char comm[16];
	uint64_t data;      /* offset in arena */
};

struct ta_transcript {
	uint64_t key;
	struct ta_tev *ev;
	size_t n, cap;
	struct ta_buf arena;
	struct ta_sesstab names;   /* only its string pool is used */
	uint64_t damage;           /* damage reports met while reading */
	uint64_t bad_payloads;
	uint64_t records;          /* records of the session read */
	uint64_t index_mismatch;   /* index refs that did not hold the session */
	uint16_t rows, cols;       /* first window size (0: none) */
};

struct ta_walk;

/*
 * Reads the session's records: with refs (from an index) only those, else
 * every record from first to last index (UINT64_MAX: to the end). Returns 0
 * (possibly with damage counted and TA_TEV_DAMAGE events) or -errno.
 */
int ta_transcript_load(struct ta_transcript *tr, const char *dir, uint64_t key,
		       uint64_t first, uint64_t last, const struct ta_ref *refs, size_t nrefs);
/* Adds events from one record of the session (used by follow and load). */
int ta_transcript_add_record(struct ta_transcript *tr, const void *rec);
void ta_transcript_sort(struct ta_transcript *tr);
void ta_transcript_free(struct ta_transcript *tr);
static inline const uint8_t *ta_tev_data(const struct ta_transcript *tr, const struct ta_tev *e)
{
	return tr->arena.p + e->data;
}
static inline const char *ta_tev_tty(const struct ta_transcript *tr, const struct ta_tev *e)
{
	return ta_sesstab_str(&tr->names, e->tty);
}

/*
 * One line of text for a non-terminal event (exec, gap, login, ...), not yet
 * neutralised: "exec /bin/echo TAG-exec arg 'two words' (pid 12, uid 0)".
 */
void ta_tev_describe(const struct ta_transcript *tr, const struct ta_tev *e, struct ta_buf *out);

#endif

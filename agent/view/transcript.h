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
#include "base/buf.h"

enum ta_tev_kind {
	TA_TEV_OUTPUT = 1,
	TA_TEV_INPUT,
	TA_TEV_WINSIZE,
	TA_TEV_EXEC,        /* data: the record's JSON */
	TA_TEV_GAP,         /* data: the loss record's JSON, or (TA_TEV_F_DESCRIBED) the
			     * reader's JSON description of a store gap, restart, stop */
	TA_TEV_LOGIN,       /* session_start JSON */
	TA_TEV_LOGOUT,      /* session_end JSON */
	TA_TEV_NOTE,        /* other session JSON records (uncaptured, login_failed, ...) */
	TA_TEV_DAMAGE,      /* data: one line saying what could not be read */
	TA_TEV_ATTACH,      /* attach JSON: a client joined a shared terminal's server */
	TA_TEV_DETACH,      /* detach JSON */
	TA_TEV_ATTRIB,      /* attribution JSON: who typed a run of input into a pane */
	TA_TEV_FOOTPRINT,   /* footprint JSON: a file, network or privilege call */
	TA_TEV_ALERT,       /* alert JSON: a rule hit in this session */
};

/* An attribution record of a pane of this session: who typed its input from start to end. */
struct ta_attr {
	uint64_t start_ns, end_ns;
	uint64_t index;            /* the attribution record */
	uint64_t typist_key;       /* the typist's session (the record's key) */
	uint32_t auid, ses;        /* TA_ID_NONE: nobody known (ambiguous, none) */
	uint32_t pane;             /* string offsets in the transcript's pool */
	uint32_t client_tty;
	uint32_t client_pid;
	uint8_t conf;              /* enum ta_conf */
};

/*
 * flags of a gap event whose data is the reader's description (reason, since,
 * until, events, bytes, text), not a stored record. Non-terminal events carry
 * no TA_F_* flags.
 */
#define TA_TEV_F_DESCRIBED 0x8000u

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
	uint32_t oflag;     /* tty entries: enum ta_oflag (TA_OF_UNKNOWN: old log) */
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
	struct ta_attr *attrs;     /* attributions of this session's panes, in log order */
	size_t nattrs, attrcap;
	char damage_line[512];     /* the first damage met ("" if none) */
	/*
	 * Names for describe (attach/detach/attribution): the CLI resolves auids.
	 * The name's length in *len: a recorded one may hold a NUL.
	 */
	const char *(*who)(void *ctx, uint32_t auid, uint64_t key, char *buf, size_t cap, size_t *len);
	void *who_ctx;
};

struct ta_walk;

/*
 * Reads the session's records: with refs (from an index) only those, else
 * every record from first to last index (UINT64_MAX: to the end). Returns 0
 * (possibly with damage counted and TA_TEV_DAMAGE events) or -errno.
 */
int ta_transcript_load(struct ta_transcript *tr, const char *dir, uint64_t key,
		       uint64_t first, uint64_t last, const struct ta_ref *refs, size_t nrefs);
/* An empty transcript of session key, for records added one by one (fleet source). */
int ta_transcript_init(struct ta_transcript *tr, uint64_t key);
/* Adds events from one record of the session (used by follow and load). */
int ta_transcript_add_record(struct ta_transcript *tr, const void *rec);
void ta_transcript_sort(struct ta_transcript *tr);
/* Reads attach/detach records (from the index's shared clients) into the session. */
int ta_transcript_add_clients(struct ta_transcript *tr, const char *dir, const uint64_t *index,
			      size_t n);
/* Adds one attach/detach record of another session (the index's shared clients). */
int ta_transcript_add_client(struct ta_transcript *tr, const void *rec);
/* Marks damage (one line saying what could not be read) at a record index. */
int ta_transcript_add_damage(struct ta_transcript *tr, uint64_t index, uint64_t time_ns,
			     const char *line);
/*
 * The first damage the transcript met, one line naming the file, offset and
 * record (its length in *len), or NULL if it met none.
 */
const char *ta_transcript_damage(const struct ta_transcript *tr, int *len);
/* The attribution covering input event e (its terminal and time), or NULL. */
const struct ta_attr *ta_transcript_attr_for(const struct ta_transcript *tr, const struct ta_tev *e);

/* Receives the events of a streamed transcript in order; non-zero stops. */
typedef int (*ta_tev_fn)(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
			 const uint8_t *data);
/*
 * Like ta_transcript_load with refs (and the same order of events), but the
 * terminal data is not kept: every event goes to fn as soon as no later record
 * can hold an earlier one (each ref's time_ns is a lower bound of its events),
 * with data pointing into the decoded record. The session's other records
 * (commands, attributions, ...), the clients (indexes of attach/detach
 * records) and gaps (indexes of log-wide gap records inside the session:
 * restarts, store gaps, loss naming no session) are read first, so
 * attributions are known before input. Returns -EAGAIN before calling fn when
 * the records do not match the refs or the log is damaged there: load it
 * instead.
 */
int ta_transcript_stream(struct ta_transcript *tr, const char *dir, uint64_t key,
			 const struct ta_ref *refs, size_t nrefs, const uint64_t *clients,
			 size_t nclients, const uint64_t *gaps, size_t ngaps, ta_tev_fn fn, void *ctx);
/* The events of a loaded transcript to fn, in order. */
int ta_transcript_each(const struct ta_transcript *tr, ta_tev_fn fn, void *ctx);
void ta_transcript_free(struct ta_transcript *tr);
static inline const uint8_t *ta_tev_data(const struct ta_transcript *tr, const struct ta_tev *e)
{
	/* Events without payload (gaps made by the reader) may have no arena behind them. */
	static const uint8_t none[1];

	return e->len && tr->arena.p ? tr->arena.p + e->data : none;
}
/*
 * The terminal of a terminal event: a C string, as the batch header's name
 * it comes from is one (ta_batch_tty_name), never a JSON value of the log.
 */
static inline const char *ta_tev_tty(const struct ta_transcript *tr, const struct ta_tev *e)
{
	size_t n;

	return ta_sesstab_strn(&tr->names, e->tty, &n);
}

/*
 * One line of text for a non-terminal event (exec, gap, login, ...), not yet
 * neutralised: "exec /bin/echo TAG-exec arg 'two words' (pid 12, uid 0)".
 */
void ta_tev_describe(const struct ta_transcript *tr, const struct ta_tev *e, struct ta_buf *out);

/*
 * The marks of terminal data that was not the session's own typing or
 * output, or that the recorder cannot vouch for, one home for show, follow
 * and the asciicast markers: without them injected input reads as typed by
 * the owner.
 */
/*
 * A line of its own before a run of input pushed by ioctl(TIOCSTI)
 * (TA_F_INJECTED): not typed. Not a mark inside the input line, which typing
 * the same words forged ("[injected by TIOCSTI] rm -rf /srv", typed, read as
 * pushed by another process).
 */
#define TA_TEV_INJECTED_LINE "INJECTED BY TIOCSTI: the input that follows was pushed by " \
	"ioctl(TIOCSTI), not typed"
/* TA_F_OTHER_SESSION: "WRITTEN BY ANOTHER SESSION: pid 12, uid 0, comm wall" (comm neutralised). */
void ta_tev_other_session(const struct ta_tev *e, struct ta_buf *out);
/* TA_F_SUSPECT: "SUSPECT: the next N bytes may not be what the terminal showed (...)". */
void ta_tev_suspect(const struct ta_tev *e, struct ta_buf *out);

#endif

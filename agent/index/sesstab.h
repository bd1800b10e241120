/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The session table: one summary per session key, built by reading records in
 * log order, plus where each record of a session is (index, segment,
 * offset). The same fixed-layout structs are what the index file holds
 * (index.h), so a table read back from a file is used as is.
 *
 * A session is everything with one envelope session key
 * (ta_session_key(boot32, ses)): terminal data, commands, loss records, and
 * the auditd session records when there are any. Without those, login
 * details are unknown and the auid comes from the kernel's records.
 */
#ifndef TA_INDEX_SESSTAB_H
#define TA_INDEX_SESSTAB_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define TA_SESS_UIDS 4
#define TA_SESS_TTYS 4
#include "ttyaudit/event.h"

#define TA_ID_NONE UINT32_MAX

enum ta_sess_flags {
	TA_SESS_LOGIN = 1u << 0,     /* an auditd session_start was seen */
	TA_SESS_ENDED = 1u << 1,     /* a session_end was seen */
	TA_SESS_MORE_UIDS = 1u << 2,
	TA_SESS_MORE_TTYS = 1u << 3,
	TA_SESS_FAILED = 1u << 4,    /* a login_failed record names this session */
	TA_SESS_DAMAGE = 1u << 5,    /* log damage while the session was active */
	TA_SESS_UNVERIFIED = 1u << 6,/* its login uid was set by no login service */
};

/*
 * One session as read back from the log: the CLI's summary (fixed layout:
 * also the index file's session entry). Not struct ta_login_session
 * (sessions/session_table.h), the daemon's live login session.
 */
struct ta_sess {
	uint64_t key;
	uint32_t ses, auid;
	uint64_t start_ns, end_ns;     /* first and last record time */
	uint64_t login_ns, logout_ns;  /* auditd start and end (0: unknown) */
	uint64_t bytes_in, bytes_out, redacted_bytes;
	uint64_t records, execs, gaps, damage; /* gaps: loss records naming the session */
	uint64_t first_index, last_index;
	uint64_t refs_off;             /* first of refs_n entries in the ref table */
	uint32_t refs_n;
	uint32_t flags;
	uint32_t uids[TA_SESS_UIDS];
	uint32_t ttys[TA_SESS_TTYS];   /* string offsets */
	uint32_t n_uids, n_ttys;
	uint32_t user, host, addr, prog, terminal, boot_id; /* string offsets, 0 = unknown */
	uint16_t rows, cols;           /* first recorded window size (0: none) */
	uint32_t global_gaps;          /* log-wide gaps inside the session (set by finish) */
	/*
	 * What the loss records shown in the session say was lost: its own
	 * (naming it) and those naming no session inside it (set by finish).
	 * ta_sess_lost_events/bytes() add them up as show's GAP lines do.
	 */
	uint64_t lost_events, lost_bytes;
	uint64_t global_lost_events, global_lost_bytes;
};
_Static_assert(sizeof(struct ta_sess) == 240, "ta_sess layout");

/* Where one record of a session is. */
struct ta_ref {
	uint64_t index;
	uint64_t seg_seq;
	uint64_t offset;
	uint64_t time_ns;   /* no event of the record is earlier (terminal data: batch start) */
};

/*
 * Shared terminals (docs/shared-terminals.md): who typed into a pane of a
 * session (its owner too). One entry per (pane session, typist session),
 * summed over the attribution records of that pair.
 */
enum ta_conf { TA_CONF_EXACT = 0, TA_CONF_TIMING, TA_CONF_AMBIGUOUS, TA_CONF_NONE };

struct ta_shared_link {
	uint64_t pane_key;         /* the pane owner's session */
	uint64_t typist_key;       /* the typist's session (ses none: nobody known) */
	uint32_t typist_auid;      /* TA_ID_NONE: ambiguous or none */
	uint32_t conf_mask;        /* 1 << enum ta_conf of the runs */
	uint64_t runs, events, bytes;
	uint64_t first_ns, last_ns;
	uint32_t pane, server;     /* string offsets (0: unknown) */
};
_Static_assert(sizeof(struct ta_shared_link) == 72, "ta_shared_link layout");

/* An attach or detach record: who joined or left which server (socket path). */
struct ta_shared_client {
	uint64_t client_key;       /* the client's session (the record's key) */
	uint64_t index, seg_seq, offset, time_ns;
	uint32_t server;           /* string offset */
	uint16_t type;             /* TA_REC_ATTACH or TA_REC_DETACH */
	uint16_t pad;
};
_Static_assert(sizeof(struct ta_shared_client) == 48, "ta_shared_client layout");

/* A time range of loss that names no session (store gaps, restarts, damage). */
struct ta_global_gap {
	uint64_t since_ns, until_ns;
	uint64_t index;
	uint32_t kind;   /* 1 store gap, 2 agent restart, 3 recovery, 4 loss, 5 damage */
	uint32_t pad;
	uint64_t end_index; /* damage: records index..end_index-1 were not read (UINT64_MAX:
			     * nothing after); others: index + 1 */
	uint64_t events, bytes; /* loss (kind 4): what its record says was lost; others 0 */
};
_Static_assert(sizeof(struct ta_global_gap) == 56, "ta_global_gap layout");

struct ta_sesstab {
	struct ta_sess *s;
	size_t n, cap;
	/* key -> ordinal + 1 (open addressing) */
	uint32_t *hash;
	size_t hcap;
	char *pool;                /* strings (ta_sesstab_strn); offset 0 is "" */
	size_t pool_len, pool_cap;
	uint32_t *phash;           /* string dedup */
	size_t phcap, pcount;
	/* refs as appended: (session ordinal, ref) */
	struct ta_ref *refs;
	uint32_t *ref_sess;
	size_t nrefs, refcap;
	int keep_refs;
	struct ta_global_gap *gaps;
	size_t ngaps, gapcap;
	struct ta_shared_link *links;
	size_t nlinks, linkcap;
	uint32_t *lhash;           /* (pane, typist, auid) -> link ordinal + 1 */
	size_t lhcap, lhashed;     /* lhashed: links in lhash (a copied table has none) */
	uint64_t seed;             /* salts every hash: the log is written by others */
	struct ta_shared_client *clients;
	size_t nclients, clientcap;
	/* log-wide facts */
	uint64_t records, end_index;   /* end_index: one past the last record read */
	uint64_t last_seg_seq, last_seg_end;
	uint64_t agent_starts, last_agent_start_ns;
	uint64_t last_time_ns;         /* newest recorded (not store-internal) record */
	char backend[32];
	uint64_t bad_payloads;         /* records whose payload did not decode */
};

int ta_sesstab_init(struct ta_sesstab *t, int keep_refs);
void ta_sesstab_free(struct ta_sesstab *t);
/* Takes one record in log order. 0 or -ENOMEM. */
int ta_sesstab_add(struct ta_sesstab *t, const struct ta_log_record *rec);
/*
 * Notes log damage: records index..resume-1 could not be read (resume
 * UINT64_MAX: nothing after). It counts for every session whose records
 * could have been among them (active across, or adjacent to, the range).
 */
int ta_sesstab_damage(struct ta_sesstab *t, uint64_t index, uint64_t resume, uint64_t time_ns);
/*
 * After the last record: sorts sessions by start, groups refs per session,
 * counts global gaps into the sessions they overlap.
 */
int ta_sesstab_finish(struct ta_sesstab *t);
/* Ordinal of key, or -1. */
long ta_sesstab_find(const struct ta_sesstab *t, uint64_t key);
/*
 * The table's strings (names, hosts, terminals, paths) by offset, 0 for none.
 * A string read from the log may hold a NUL (JSON's \u0000): each entry of
 * the pool is its length (uint32, native order), its bytes and a NUL, so that
 * "root\u0000x" is neither shown as nor matched as "root". ta_sesstab_strn: the
 * bytes (a NUL follows them) and *len, for showing and writing out; "" for an
 * offset that names no entry (a damaged index). ta_sesstab_cstr: the string
 * for comparing with a C string (a name given to the command), NULL if it
 * holds a NUL, which then equals none.
 */
const char *ta_sesstab_strn(const struct ta_sesstab *t, uint32_t off, size_t *len);
const char *ta_sesstab_cstr(const struct ta_sesstab *t, uint32_t off);
/* The offset of the len bytes at s (added if new), 0 for none or on failure. */
uint32_t ta_sesstab_intern(struct ta_sesstab *t, const char *s, size_t len);
struct ta_jobj;
/*
 * The string member key of o, decoded whole whatever its length, interned: its
 * offset, 0 if absent, not a string, empty or on failure.
 */
uint32_t ta_sesstab_intern_member(struct ta_sesstab *t, const struct ta_jobj *o, const char *key);
/* Rebuilds the key and string hashes of a table filled by copying. */
int ta_sesstab_rebuild_hashes(struct ta_sesstab *t);
/*
 * Whether two finished tables say the same (sesstab_same.c): sessions,
 * strings, where their records are, log-wide gaps, shared terminals. 1, or 0
 * with what differs first in why.
 */
int ta_sesstab_same(const struct ta_sesstab *a, const struct ta_sesstab *b, char *why, size_t cap);

/* The record time_ns of the session's ends, login data preferred. */
static inline uint64_t ta_sess_begin(const struct ta_sess *s)
{
	return s->login_ns && s->login_ns < s->start_ns ? s->login_ns : s->start_ns;
}
static inline uint64_t ta_sess_finish(const struct ta_sess *s)
{
	return s->logout_ns > s->end_ns ? s->logout_ns : s->end_ns;
}

/* What the session's gaps say was lost (events, terminal bytes), as show's GAP lines add up. */
static inline uint64_t ta_sess_lost_events(const struct ta_sess *s)
{
	return s->lost_events + s->global_lost_events;
}
static inline uint64_t ta_sess_lost_bytes(const struct ta_sess *s)
{
	return s->lost_bytes + s->global_lost_bytes;
}

/* Whether a session entry (possibly from an index file) is within the table's bounds. */
static inline int ta_sess_sane(const struct ta_sesstab *t, const struct ta_sess *s)
{
	return s->n_ttys <= TA_SESS_TTYS && s->n_uids <= TA_SESS_UIDS &&
	       (!s->refs_n || (t->keep_refs && s->refs_off <= t->nrefs &&
			       s->refs_n <= t->nrefs - s->refs_off));
}

/* Confidence name ("exact", ...) to enum ta_conf; TA_CONF_NONE if unknown. */
int ta_conf_parse(const char *s);
const char *ta_conf_name(int conf);

/* A terminal used outside any audit login session (TA_SES_NO_LOGIN; "none" in old logs). */
static inline int ta_ses_is_no_login(uint32_t ses)
{
	return ses == TA_ID_NONE || (ses & TA_SES_NO_LOGIN);
}

/*
 * Whether a session's login uid is only a claim: its login record names no
 * login service, or there is no login record at all (auditd never described
 * the session; any process without a login uid may set one, unprivileged).
 */
static inline int ta_sess_unverified(const struct ta_sess *s)
{
	if (s->flags & TA_SESS_UNVERIFIED)
		return 1;
	return !(s->flags & TA_SESS_LOGIN) && s->auid != TA_ID_NONE && !ta_ses_is_no_login(s->ses);
}

/* "%08x-%u" of the key (ses "none" when unset). */
void ta_sess_id(uint64_t key, char *out, size_t cap);
/* Parses a session argument as every command takes it: "8hex-ses" (as query prints
 * it), 16 hex digits or 0x-prefixed hex (the key), a decimal key, or a plain ses. */
int ta_sess_id_parse(const char *s, uint64_t *key, int *ses_only);

#endif

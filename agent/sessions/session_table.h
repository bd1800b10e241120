/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Login sessions, keyed by (boot id, audit session id).
 *
 * A session starts with the first LOGIN, USER_START or successful USER_LOGIN
 * record that names its ses, takes details from the records of the process
 * that opened it (login_pid: sshd's privileged child, login, cron...), and
 * ends with that process's USER_END/USER_LOGOUT (or a failed USER_START).
 * PAM sessions opened inside it by other processes (su, sudo) keep the same
 * ses and are counted in nested_opens, not made separate sessions. The user
 * name is taken once, at login, from the record (auparse's name for the
 * account) or, failing that, from the password database; it is never
 * looked up again.
 */
#ifndef TA_SESSIONS_SESSION_TABLE_H
#define TA_SESSIONS_SESSION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessions/login_event.h"

#define TA_BOOT_ID_LEN 37       /* 36 characters of a UUID + NUL */
#define TA_SESSION_MAX_TTYS 16
#define TA_SESSION_TTY_LEN 32
#define TA_SESSION_PROG_LEN 32
#define TA_SESSION_TABLE_DEFAULT_MAX 65536

enum ta_session_state { TA_SESSION_OPEN = 1, TA_SESSION_CLOSED = 2 };

/*
 * A login session as auditd told it (the daemon's live table, one per audit
 * session id). Not struct ta_sess (index/sesstab.h): that is the CLI's
 * summary of a session read back from the log.
 */
struct ta_login_session {
	char boot_id[TA_BOOT_ID_LEN];
	uint32_t ses;
	uint32_t auid;
	uint32_t login_pid;     /* process that opened it; 0 if unknown */
	int state;              /* enum ta_session_state */
	uint16_t result;        /* enum ta_login_result of the login */
	bool backfilled;        /* found at startup, not seen starting */
	bool observed;          /* known only from its terminal activity, not from auditd */
	char user[TA_LOGIN_ACCT_LEN];
	char host[TA_LOGIN_HOST_LEN];
	char addr[TA_LOGIN_ADDR_LEN];
	char terminal[TA_LOGIN_TERM_LEN];
	char exe[TA_LOGIN_EXE_LEN];
	char login_program[TA_SESSION_PROG_LEN]; /* basename of exe: sshd, login, su */
	int64_t start_sec;      /* audit time of the first record; 0 if unknown */
	uint32_t start_msec;
	uint64_t start_serial;
	int64_t end_sec;
	uint32_t end_msec;
	uint64_t end_serial;
	uint32_t nested_opens;  /* PAM sessions opened inside by other programs */
	uint32_t n_ttys;
	uint32_t ttys_dropped;  /* ttys not stored: list full */
	char ttys[TA_SESSION_MAX_TTYS][TA_SESSION_TTY_LEN];
	struct ta_login_session *next; /* hash chain (table internal) */
};

enum ta_session_change {
	TA_SESSION_NO_CHANGE = 0,
	TA_SESSION_STARTED = 1,    /* a new session: write a session start */
	TA_SESSION_UPDATED = 2,    /* an open session learnt details */
	TA_SESSION_ENDED = 3,      /* a session closed: write a session end */
	TA_SESSION_LOGIN_FAILED = 4, /* a failed login (no session): write it */
	TA_SESSION_DROPPED = 5,    /* the plugin lost records: write a gap */
};

struct ta_session_table;

/*
 * boot_id: NULL to read /proc/sys/kernel/random/boot_id. max_sessions: 0
 * for TA_SESSION_TABLE_DEFAULT_MAX. Returns 0 or -errno.
 */
int ta_session_table_new(const char *boot_id, size_t max_sessions,
			 struct ta_session_table **out);
void ta_session_table_free(struct ta_session_table *t);
const char *ta_session_table_boot_id(const struct ta_session_table *t);
size_t ta_session_table_count(const struct ta_session_table *t);

/* Reads a boot id file ("/proc/sys/kernel/random/boot_id" if path is NULL). */
int ta_boot_id_read(const char *path, char out[TA_BOOT_ID_LEN]);

/*
 * Apply one event from the plugin. Returns enum ta_session_change (>= 0) and
 * sets *changed to the session concerned (NULL for NO_CHANGE, LOGIN_FAILED,
 * DROPPED), or -ENOSPC when the table is full of open sessions.
 */
int ta_session_apply(struct ta_session_table *t, const struct ta_login_event *ev,
		     struct ta_login_session **changed);

/* Current boot, or any boot. NULL if unknown. */
struct ta_login_session *ta_session_lookup(struct ta_session_table *t, uint32_t ses);
struct ta_login_session *ta_session_lookup_boot(struct ta_session_table *t,
					  const char *boot_id, uint32_t ses);

/*
 * Record that tty_name (e.g. "pts/3") was used in session ses (current
 * boot). 0 if noted or already known, -ENOENT without such a session,
 * -ENOSPC when the session's list is full (counted in ttys_dropped),
 * -EINVAL for an empty or over-long name.
 */
int ta_session_note_tty(struct ta_session_table *t, uint32_t ses, const char *tty_name);
/*
 * A login session seen only through its terminal activity (auditd silent or
 * not running): an entry with the auid and this host's name for it now, so
 * the log says who it was even when read on another host. A later login
 * record of auditd still starts it properly. Returns the new entry, or NULL
 * if the session is known already or the table is full.
 */
struct ta_login_session *ta_session_observe(struct ta_session_table *t, uint32_t ses, uint32_t auid);

/*
 * Insert a session found by backfill (s->ses, s->boot_id set; the table
 * copies it and marks it backfilled). -EEXIST if already present.
 */
int ta_session_insert(struct ta_session_table *t, const struct ta_login_session *s);

/* Visit every session; stops and returns fn's value when it is non-zero. */
int ta_session_foreach(struct ta_session_table *t,
		       int (*fn)(struct ta_login_session *s, void *arg), void *arg);
/* Forget one session / every closed session. */
int ta_session_remove(struct ta_session_table *t, const char *boot_id, uint32_t ses);
size_t ta_session_prune_closed(struct ta_session_table *t);
/*
 * Open sessions forgotten to make room in a full table: only those no login
 * service vouches for (a bare LOGIN record, terminal activity alone), an
 * eighth of the table at a time. Their records keep their ses and auid.
 */
uint64_t ta_session_table_evicted(const struct ta_session_table *t);

/*
 * Whether a login program is a login service (sshd, login, cron, a display
 * manager...): one that sets the login uid through pam_loginuid after
 * authenticating. Any process without a login uid may set one
 * (/proc/self/loginuid, no privilege needed while unset), so a session whose
 * login record comes from anything else (or from the kernel's LOGIN record
 * alone, which names no program) is an unverified claim.
 */
bool ta_login_service(const char *login_program);

/* Basename of an exe path, bounded: "/usr/sbin/sshd" -> "sshd". */
void ta_session_program_name(const char *exe, char *out, size_t cap);

/*
 * JSON objects the daemon stores as record payloads (keys: docs/sessions.md).
 * The _members functions write the members (no braces, no "type") into an
 * object the caller opened with the one JSON writer: what the daemon hands
 * its sink (the type travels as a number beside them). The others return
 * the whole object with "type" first in buf: the length written (NUL not
 * counted), -ENOSPC, or -EINVAL for an unknown kind.
 */
struct ta_json;
enum ta_session_json_kind {
	TA_SESSION_JSON_START = 1,
	TA_SESSION_JSON_UPDATE = 2,
	TA_SESSION_JSON_END = 3,
};
int ta_session_json_members(struct ta_json *j, const struct ta_login_session *s,
			    enum ta_session_json_kind kind);
void ta_login_failed_json_members(struct ta_json *j, const struct ta_login_event *ev,
				  const char *boot_id);
void ta_login_dropped_json_members(struct ta_json *j, const struct ta_login_event *ev,
				   const char *boot_id);
int ta_session_json(const struct ta_login_session *s, enum ta_session_json_kind kind,
		    char *buf, size_t cap);
int ta_login_failed_json(const struct ta_login_event *ev, const char *boot_id,
			 char *buf, size_t cap);
int ta_login_dropped_json(const struct ta_login_event *ev, const char *boot_id,
			  char *buf, size_t cap);

#endif

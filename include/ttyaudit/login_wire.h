/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Wire format between audisp-ttyaudit (the auditd plugin) and ttyauditd.
 *
 * Transport: a local unix stream socket (default /run/ttyaudit/login.sock,
 * directory 0700, socket 0600, peer must be root). Both ends run on the same
 * host, so integers are in host byte order; the magic number catches a
 * byte-order or framing mismatch.
 *
 * The stream is a sequence of messages. Each starts with ta_login_wire_hdr;
 * hdr.length is the size of the whole message, header included, and must be
 * exactly the size of the struct for hdr.type at hdr.version. A receiver
 * rejects (and closes the connection on) any other magic, version, type or
 * length: there is no resynchronisation inside a stream.
 *
 * Strings are fixed-width char arrays, always NUL-terminated inside the array
 * (a receiver rejects a field without NUL), padded with NULs. Longer values
 * are cut and the matching TA_LOGIN_F_TRUNC_* flag is set. Values are
 * auparse's interpretation (TTY escape mode: control characters appear as
 * octal escapes), so they are printable text, but a receiver still treats
 * them as untrusted bytes.
 *
 * Full description: docs/sessions.md.
 */
#ifndef TTYAUDIT_LOGIN_WIRE_H
#define TTYAUDIT_LOGIN_WIRE_H

#include <stdint.h>

#define TA_LOGIN_WIRE_MAGIC 0x474c4154u /* "TALG" in little-endian memory */
#define TA_LOGIN_WIRE_VERSION 1

/* Field widths, NUL included. */
#define TA_LOGIN_OP_LEN 64
#define TA_LOGIN_ACCT_LEN 256
#define TA_LOGIN_EXE_LEN 256
#define TA_LOGIN_HOST_LEN 256
#define TA_LOGIN_ADDR_LEN 64
#define TA_LOGIN_TERM_LEN 64

/* "not set" for pid/uid/auid/ses/id: auditd's own convention. */
#define TA_LOGIN_UNSET 0xffffffffu

enum ta_login_msg_type {
	TA_LOGIN_MSG_RECORD = 1,  /* one audit record about a login/session */
	TA_LOGIN_MSG_DROPPED = 2, /* the plugin dropped records: a gap */
	TA_LOGIN_MSG_WATCH = 3,   /* an access to ttyauditd's own files (key ttyaudit-watch) */
};

/* The key of the audit watch rules ttyauditd installs on its own files. */
#define TA_LOGIN_WATCH_KEY "ttyaudit-watch"
#define TA_LOGIN_COMM_LEN 64
#define TA_LOGIN_PATH_LEN 512

enum ta_login_result {
	TA_LOGIN_RES_UNKNOWN = 0, /* res= missing or not understood */
	TA_LOGIN_RES_SUCCESS = 1, /* res=success, res=yes, res=1 */
	TA_LOGIN_RES_FAILED = 2,  /* res=failed, res=no, res=0 */
};

/* ta_login_wire_record.flags */
enum ta_login_flags {
	TA_LOGIN_F_FAILED_LOGIN = 1u << 0, /* a failed login attempt */
	TA_LOGIN_F_TRUNC_OP = 1u << 1,
	TA_LOGIN_F_TRUNC_ACCT = 1u << 2,
	TA_LOGIN_F_TRUNC_EXE = 1u << 3,
	TA_LOGIN_F_TRUNC_HOST = 1u << 4,
	TA_LOGIN_F_TRUNC_ADDR = 1u << 5,
	TA_LOGIN_F_TRUNC_TERM = 1u << 6,
	TA_LOGIN_F_ACCT_FROM_ID = 1u << 7, /* acct is the name of id=/auid= */
};
#define TA_LOGIN_F_ALL 0xffu

struct ta_login_wire_hdr {
	uint32_t magic;   /* TA_LOGIN_WIRE_MAGIC */
	uint16_t version; /* TA_LOGIN_WIRE_VERSION */
	uint16_t type;    /* enum ta_login_msg_type */
	uint32_t length;  /* bytes of the whole message, this header included */
	uint32_t seq;     /* sender's message counter, +1 per message */
};
_Static_assert(sizeof(struct ta_login_wire_hdr) == 16, "ta_login_wire_hdr layout");

/* TA_LOGIN_MSG_RECORD */
struct ta_login_wire_record {
	struct ta_login_wire_hdr hdr;
	uint64_t serial;      /* audit event serial (msg=audit(T:SERIAL)) */
	int64_t time_sec;     /* audit event time, seconds since the epoch */
	uint32_t time_msec;   /* milliseconds, 0..999 */
	uint32_t record_type; /* AUDIT_USER_LOGIN (1112), AUDIT_LOGIN (1006), ... */
	uint32_t pid;
	uint32_t uid;
	uint32_t auid;        /* LOGIN: the new auid */
	uint32_t ses;         /* LOGIN: the new session id */
	uint32_t old_auid;    /* LOGIN only, else TA_LOGIN_UNSET */
	uint32_t old_ses;     /* LOGIN only, else TA_LOGIN_UNSET */
	uint32_t id;          /* id= (uid the record is about), else TA_LOGIN_UNSET */
	uint16_t result;      /* enum ta_login_result */
	uint16_t flags;       /* enum ta_login_flags */
	char op[TA_LOGIN_OP_LEN];        /* op=, e.g. "login", "PAM:session_open" */
	char acct[TA_LOGIN_ACCT_LEN];    /* account name (hex/quotes decoded) */
	char exe[TA_LOGIN_EXE_LEN];      /* program that sent the record */
	char hostname[TA_LOGIN_HOST_LEN];/* remote host name, "?" if none */
	char addr[TA_LOGIN_ADDR_LEN];    /* remote address, "?" if none */
	char terminal[TA_LOGIN_TERM_LEN];/* terminal= (or tty= for LOGIN) */
};
_Static_assert(sizeof(struct ta_login_wire_record) ==
		       16 + 8 + 8 + 4 * 10 + 64 + 256 * 3 + 64 * 2,
	       "ta_login_wire_record layout");
_Static_assert(sizeof(struct ta_login_wire_record) % 8 == 0,
	       "ta_login_wire_record padding");

/* TA_LOGIN_MSG_DROPPED: records lost since the previous such message. */
struct ta_login_wire_dropped {
	struct ta_login_wire_hdr hdr;
	uint64_t dropped;       /* records dropped since the last report */
	uint64_t dropped_total; /* records dropped since the plugin started */
	int64_t first_sec;      /* wall-clock time of the first and last drop */
	int64_t last_sec;
};
_Static_assert(sizeof(struct ta_login_wire_dropped) == 16 + 32,
	       "ta_login_wire_dropped layout");

/*
 * TA_LOGIN_MSG_WATCH: one audit event (SYSCALL + CWD + PATH records) hit by
 * a rule with key TA_LOGIN_WATCH_KEY: someone read, wrote, changed the
 * attributes of, renamed or deleted a file of ttyauditd's.
 */
struct ta_login_wire_watch {
	struct ta_login_wire_hdr hdr;
	uint64_t serial;
	int64_t time_sec;
	uint32_t time_msec;
	uint32_t syscall;     /* syscall number (the record's arch) */
	uint32_t pid;
	uint32_t uid;
	uint32_t auid;
	uint32_t ses;
	int32_t exit;         /* the syscall's return value */
	uint16_t result;      /* enum ta_login_result: success=yes/no */
	uint16_t flags;       /* TA_LOGIN_F_TRUNC_EXE/_TERM; TA_LOGIN_F_TRUNC_OP: path cut */
	char exe[TA_LOGIN_EXE_LEN];      /* the program */
	char comm[TA_LOGIN_COMM_LEN];    /* its name */
	char terminal[TA_LOGIN_TERM_LEN];/* tty= ("(none)" without one) */
	char path[TA_LOGIN_PATH_LEN];    /* the file (cwd joined when relative) */
};
_Static_assert(sizeof(struct ta_login_wire_watch) == 16 + 8 + 8 + 4 * 8 + 256 + 64 * 2 + 512,
	       "ta_login_wire_watch layout");
_Static_assert(sizeof(struct ta_login_wire_watch) <= sizeof(struct ta_login_wire_record),
	       "ta_login_wire_watch fits a queue slot");

/* The largest message; receivers never buffer more than this per message. */
#define TA_LOGIN_WIRE_MAX sizeof(struct ta_login_wire_record)

#endif /* TTYAUDIT_LOGIN_WIRE_H */

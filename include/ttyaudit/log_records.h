/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records ttyauditd writes into the tamper-evident log (types 0x0100 and up;
 * the store's own types are in record.h). Documented in docs/log-format.md.
 *
 * Terminal data is binary (TA_REC_TTY_DATA): it is most of the log, and it is
 * compressed by the store. Everything else is a JSON object (UTF-8, one
 * object per record) whose keys are listed in docs/log-format.md, so that a
 * reader in any language can use it.
 *
 * The envelope's 64-bit session key is ta_session_key(boot_id, ses): the first
 * 32 bits of the boot id, then the audit session id (0xffffffff: none). The
 * full boot id is in every agent_start and session record.
 */
#ifndef TTYAUDIT_LOG_RECORDS_H
#define TTYAUDIT_LOG_RECORDS_H

#include <stdint.h>

#include "ttyaudit/event.h"

enum ta_log_record_type {
	TA_REC_AGENT_START = 0x0100,   /* JSON: version, backend, refusals, limits */
	TA_REC_AGENT_STOP = 0x0101,    /* JSON: reason and counters */
	TA_REC_LOSS = 0x0102,          /* JSON: data lost before the log (see reason) */
	TA_REC_NOTICE = 0x0103,        /* JSON: anything else worth keeping */
	TA_REC_TTY_DATA = 0x0110,      /* binary: struct ta_tty_batch + entries */
	TA_REC_EXEC = 0x0111,          /* JSON: executed command */
	TA_REC_UNCAPTURED = 0x0112,    /* JSON: bytes that reached a tty unread */
	TA_REC_EXIT = 0x0113,          /* JSON: process exit */
	TA_REC_UNIX_SOCKET = 0x0114,   /* JSON: unix socket connect/bind (shared terminals) */
	TA_REC_FOOTPRINT = 0x0115,     /* JSON: a file, network or privilege call of a session */
	TA_REC_SESSION_START = 0x0120, /* JSON: login session opened (auditd) */
	TA_REC_SESSION_END = 0x0121,   /* JSON: login session closed */
	TA_REC_LOGIN_FAILED = 0x0122,  /* JSON: failed login */
	TA_REC_LOGIN_EVENT = 0x0123,   /* JSON: an auditd login/session record as received */
	TA_REC_SESSION_UPDATE = 0x0124,/* JSON: an open session learnt more details */
	TA_REC_ATTACH = 0x0130,        /* JSON: client attached to a shared terminal */
	TA_REC_DETACH = 0x0131,        /* JSON: client left it */
	TA_REC_ATTRIBUTION = 0x0132,   /* JSON: who typed a run of input into a shared pane */
	TA_REC_ALERT = 0x0140,         /* JSON: an alert rule hit or an audit watch (docs/alerts.md) */
};

/* 2: entries carry the terminal's output modes (oflag); version 1 is still read. */
#define TA_TTY_BATCH_VERSION 2

/*
 * TA_REC_TTY_DATA payload: one terminal, one session, a run of entries in
 * time order. Entries follow the header back to back, each a
 * struct ta_tty_entry and then `len` bytes of data.
 */
struct ta_tty_batch {
	uint32_t version;          /* TA_TTY_BATCH_VERSION */
	uint32_t n_entries;
	uint64_t start_ns;         /* CLOCK_REALTIME; entries count from here */
	struct ta_tty_id tty;      /* the terminal (pty: the slave side) */
	uint32_t ses;              /* session the entries belong to */
	uint32_t auid;             /* its login uid */
	uint64_t reserved;         /* zero */
};
_Static_assert(sizeof(struct ta_tty_batch) == 16 + 48 + 16, "ta_tty_batch layout");

enum ta_tty_entry_kind {
	TA_ENTRY_OUTPUT = 1,       /* data written to the terminal */
	TA_ENTRY_INPUT = 2,        /* data the terminal received */
	TA_ENTRY_WINSIZE = 3,      /* data: 4 x uint16 rows, cols, xpixel, ypixel */
};

struct ta_tty_entry {
	uint8_t kind;              /* enum ta_tty_entry_kind */
	uint8_t source;            /* enum ta_source */
	uint16_t flags;            /* enum ta_event_flags (REDACTED: len is 0) */
	uint32_t delta_us;         /* microseconds since the batch's start_ns */
	uint32_t len;              /* data bytes that follow */
	uint32_t orig_len;         /* bytes the terminal moved (redacted: > len) */
	uint32_t pid;
	uint32_t uid;
	char comm[TA_COMM_LEN];
	uint32_t oflag;            /* enum ta_oflag bits; TA_OF_UNKNOWN: not recorded (version 1) */
	uint32_t reserved;         /* zero */
};
_Static_assert(sizeof(struct ta_tty_entry) == 32 + TA_COMM_LEN, "ta_tty_entry layout");
/* A version 1 entry is the first 40 bytes of struct ta_tty_entry. */
#define TA_TTY_ENTRY_V1_SIZE (24 + TA_COMM_LEN)

/*
 * The terminal's output processing (termios c_oflag) when the entry was
 * written, in these fixed bits whatever the machine's own termios values, so
 * that a log reads the same everywhere.
 */
enum ta_oflag {
	TA_OF_OPOST = 1u << 0,     /* output processing on (else the rest does nothing) */
	TA_OF_OLCUC = 1u << 1,     /* lower case shown as upper case */
	TA_OF_ONLCR = 1u << 2,     /* \n shown as \r\n */
	TA_OF_OCRNL = 1u << 3,     /* \r shown as \n */
	TA_OF_ONOCR = 1u << 4,     /* \r in column 0 not shown */
	TA_OF_ONLRET = 1u << 5,    /* \n also returns the carriage */
	TA_OF_XTABS = 1u << 6,     /* tabs shown as spaces (TAB3) */
	TA_OF_KNOWN = 1u << 7,     /* set in every recorded oflag */
};
#define TA_OF_UNKNOWN 0u

static inline uint64_t ta_session_key(uint32_t boot32, uint32_t ses)
{
	return ((uint64_t)boot32 << 32) | ses;
}

#endif /* TTYAUDIT_LOG_RECORDS_H */

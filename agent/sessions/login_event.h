/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A login/session record from auditd as the library hands it around: what
 * audisp-ttyaudit extracts from an audit record and ttyauditd receives over
 * the login socket (include/ttyaudit/login_wire.h), or a "records dropped"
 * notice. Strings are always NUL-terminated.
 */
#ifndef TA_SESSIONS_LOGIN_EVENT_H
#define TA_SESSIONS_LOGIN_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/login_wire.h"

struct ta_login_event {
	uint16_t msg_type;    /* enum ta_login_msg_type */
	uint32_t seq;         /* sender's message counter (wire header) */

	/* TA_LOGIN_MSG_RECORD */
	uint64_t serial;
	int64_t time_sec;
	uint32_t time_msec;
	uint32_t record_type; /* AUDIT_* record type number */
	uint32_t pid, uid, auid, ses;
	uint32_t old_auid, old_ses, id;
	uint16_t result;      /* enum ta_login_result */
	uint16_t flags;       /* enum ta_login_flags */
	char op[TA_LOGIN_OP_LEN];
	char acct[TA_LOGIN_ACCT_LEN];
	char exe[TA_LOGIN_EXE_LEN];
	char hostname[TA_LOGIN_HOST_LEN];
	char addr[TA_LOGIN_ADDR_LEN];
	char terminal[TA_LOGIN_TERM_LEN];

	/* TA_LOGIN_MSG_WATCH: also serial, time, pid, uid, auid, ses, result, exe, terminal */
	uint32_t syscall;
	int32_t exit;
	char comm[TA_LOGIN_COMM_LEN];
	char path[TA_LOGIN_PATH_LEN];

	/* TA_LOGIN_MSG_DROPPED */
	uint64_t dropped;
	uint64_t dropped_total;
	int64_t first_drop_sec, last_drop_sec;
};

/* An empty record event: numbers TA_LOGIN_UNSET, strings "". */
void ta_login_event_init(struct ta_login_event *ev);

/* "USER_LOGIN", ... for the record types the plugin forwards, else NULL. */
const char *ta_login_record_type_name(uint32_t record_type);
/* 1 if the plugin forwards records of this type. */
int ta_login_record_type_wanted(uint32_t record_type);

/*
 * Encode ev into buf (cap bytes) as one wire message with sequence number
 * seq. Returns the message length, or -ENOSPC / -EINVAL.
 */
int ta_login_wire_encode(const struct ta_login_event *ev, uint32_t seq,
			 void *buf, size_t cap);

/*
 * Decode one message from the start of buf (len bytes available).
 * Returns the bytes it used (> 0) and fills ev; 0 if buf holds a valid
 * beginning but not the whole message yet; -EBADMSG for a bad magic,
 * length, string or field value; -EPROTONOSUPPORT for another version;
 * -EPROTO for an unknown message type. After an error the stream is lost.
 */
int ta_login_wire_decode(const void *buf, size_t len, struct ta_login_event *ev);

#endif

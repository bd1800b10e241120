// SPDX-License-Identifier: GPL-2.0-or-later
/* Encoding and validating decoding of the plugin -> daemon wire format. */
#include "sessions/login_event.h"

#include <errno.h>
#include <libaudit.h>
#include <string.h>

static const struct {
	uint32_t type;
	const char *name;
} wanted_types[] = {
	{ AUDIT_LOGIN, "LOGIN" },
	{ AUDIT_USER_AUTH, "USER_AUTH" },
	{ AUDIT_USER_ACCT, "USER_ACCT" },
	{ AUDIT_CRED_ACQ, "CRED_ACQ" },
	{ AUDIT_CRED_DISP, "CRED_DISP" },
	{ AUDIT_USER_START, "USER_START" },
	{ AUDIT_USER_END, "USER_END" },
	{ AUDIT_USER_ERR, "USER_ERR" },
	{ AUDIT_CRED_REFR, "CRED_REFR" },
	{ AUDIT_USER_LOGIN, "USER_LOGIN" },
	{ AUDIT_USER_LOGOUT, "USER_LOGOUT" },
	{ AUDIT_ANOM_LOGIN_FAILURES, "ANOM_LOGIN_FAILURES" },
	{ AUDIT_ANOM_LOGIN_TIME, "ANOM_LOGIN_TIME" },
	{ AUDIT_ANOM_LOGIN_SESSIONS, "ANOM_LOGIN_SESSIONS" },
	{ AUDIT_ANOM_LOGIN_ACCT, "ANOM_LOGIN_ACCT" },
	{ AUDIT_ANOM_LOGIN_LOCATION, "ANOM_LOGIN_LOCATION" },
};

const char *ta_login_record_type_name(uint32_t record_type)
{
	for (size_t i = 0; i < sizeof(wanted_types) / sizeof(wanted_types[0]); i++)
		if (wanted_types[i].type == record_type)
			return wanted_types[i].name;
	return NULL;
}

int ta_login_record_type_wanted(uint32_t record_type)
{
	return ta_login_record_type_name(record_type) != NULL;
}

void ta_login_event_init(struct ta_login_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->msg_type = TA_LOGIN_MSG_RECORD;
	ev->pid = ev->uid = ev->auid = ev->ses = TA_LOGIN_UNSET;
	ev->old_auid = ev->old_ses = ev->id = TA_LOGIN_UNSET;
}

/* Copy a NUL-terminated string into a fixed field; the field is NUL padded. */
static void put_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	memset(dst + n, 0, cap - n);
}

/* A wire string field is valid when it holds a NUL. */
static int get_str(char *dst, const char *src, size_t cap)
{
	const char *nul = memchr(src, '\0', cap);

	if (!nul)
		return -EBADMSG;
	memcpy(dst, src, (size_t)(nul - src) + 1);
	return 0;
}

static void put_hdr(struct ta_login_wire_hdr *h, uint16_t type, uint32_t length, uint32_t seq)
{
	h->magic = TA_LOGIN_WIRE_MAGIC;
	h->version = TA_LOGIN_WIRE_VERSION;
	h->type = type;
	h->length = length;
	h->seq = seq;
}

int ta_login_wire_encode(const struct ta_login_event *ev, uint32_t seq,
			 void *buf, size_t cap)
{
	if (ev->msg_type == TA_LOGIN_MSG_RECORD) {
		struct ta_login_wire_record w;

		if (cap < sizeof(w))
			return -ENOSPC;
		memset(&w, 0, sizeof(w));
		put_hdr(&w.hdr, TA_LOGIN_MSG_RECORD, sizeof(w), seq);
		w.serial = ev->serial;
		w.time_sec = ev->time_sec;
		w.time_msec = ev->time_msec;
		w.record_type = ev->record_type;
		w.pid = ev->pid;
		w.uid = ev->uid;
		w.auid = ev->auid;
		w.ses = ev->ses;
		w.old_auid = ev->old_auid;
		w.old_ses = ev->old_ses;
		w.id = ev->id;
		w.result = ev->result;
		w.flags = ev->flags;
		put_str(w.op, sizeof(w.op), ev->op);
		put_str(w.acct, sizeof(w.acct), ev->acct);
		put_str(w.exe, sizeof(w.exe), ev->exe);
		put_str(w.hostname, sizeof(w.hostname), ev->hostname);
		put_str(w.addr, sizeof(w.addr), ev->addr);
		put_str(w.terminal, sizeof(w.terminal), ev->terminal);
		memcpy(buf, &w, sizeof(w));
		return (int)sizeof(w);
	}
	if (ev->msg_type == TA_LOGIN_MSG_WATCH) {
		struct ta_login_wire_watch w;

		if (cap < sizeof(w))
			return -ENOSPC;
		memset(&w, 0, sizeof(w));
		put_hdr(&w.hdr, TA_LOGIN_MSG_WATCH, sizeof(w), seq);
		w.serial = ev->serial;
		w.time_sec = ev->time_sec;
		w.time_msec = ev->time_msec;
		w.syscall = ev->syscall;
		w.pid = ev->pid;
		w.uid = ev->uid;
		w.auid = ev->auid;
		w.ses = ev->ses;
		w.exit = ev->exit;
		w.result = ev->result;
		w.flags = ev->flags;
		put_str(w.exe, sizeof(w.exe), ev->exe);
		put_str(w.comm, sizeof(w.comm), ev->comm);
		put_str(w.terminal, sizeof(w.terminal), ev->terminal);
		put_str(w.path, sizeof(w.path), ev->path);
		memcpy(buf, &w, sizeof(w));
		return (int)sizeof(w);
	}
	if (ev->msg_type == TA_LOGIN_MSG_DROPPED) {
		struct ta_login_wire_dropped w;

		if (cap < sizeof(w))
			return -ENOSPC;
		memset(&w, 0, sizeof(w));
		put_hdr(&w.hdr, TA_LOGIN_MSG_DROPPED, sizeof(w), seq);
		w.dropped = ev->dropped;
		w.dropped_total = ev->dropped_total;
		w.first_sec = ev->first_drop_sec;
		w.last_sec = ev->last_drop_sec;
		memcpy(buf, &w, sizeof(w));
		return (int)sizeof(w);
	}
	return -EINVAL;
}

int ta_login_wire_decode(const void *buf, size_t len, struct ta_login_event *ev)
{
	struct ta_login_wire_hdr h;
	size_t want;

	if (len < sizeof(h)) {
		/* Reject a wrong magic as soon as its bytes are there. */
		uint32_t magic = TA_LOGIN_WIRE_MAGIC;

		if (memcmp(buf, &magic, len < 4 ? len : 4) != 0)
			return -EBADMSG;
		return 0;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != TA_LOGIN_WIRE_MAGIC)
		return -EBADMSG;
	if (h.version != TA_LOGIN_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	switch (h.type) {
	case TA_LOGIN_MSG_RECORD:
		want = sizeof(struct ta_login_wire_record);
		break;
	case TA_LOGIN_MSG_DROPPED:
		want = sizeof(struct ta_login_wire_dropped);
		break;
	case TA_LOGIN_MSG_WATCH:
		want = sizeof(struct ta_login_wire_watch);
		break;
	default:
		return -EPROTO;
	}
	if (h.length != want)
		return -EBADMSG;
	if (len < want)
		return 0;

	ta_login_event_init(ev);
	ev->msg_type = h.type;
	ev->seq = h.seq;
	if (h.type == TA_LOGIN_MSG_RECORD) {
		struct ta_login_wire_record w;

		memcpy(&w, buf, sizeof(w));
		if (w.time_msec > 999 || w.result > TA_LOGIN_RES_FAILED ||
		    (w.flags & ~TA_LOGIN_F_ALL) || w.record_type == 0)
			return -EBADMSG;
		if (get_str(ev->op, w.op, sizeof(w.op)) ||
		    get_str(ev->acct, w.acct, sizeof(w.acct)) ||
		    get_str(ev->exe, w.exe, sizeof(w.exe)) ||
		    get_str(ev->hostname, w.hostname, sizeof(w.hostname)) ||
		    get_str(ev->addr, w.addr, sizeof(w.addr)) ||
		    get_str(ev->terminal, w.terminal, sizeof(w.terminal)))
			return -EBADMSG;
		ev->serial = w.serial;
		ev->time_sec = w.time_sec;
		ev->time_msec = w.time_msec;
		ev->record_type = w.record_type;
		ev->pid = w.pid;
		ev->uid = w.uid;
		ev->auid = w.auid;
		ev->ses = w.ses;
		ev->old_auid = w.old_auid;
		ev->old_ses = w.old_ses;
		ev->id = w.id;
		ev->result = w.result;
		ev->flags = w.flags;
	} else if (h.type == TA_LOGIN_MSG_WATCH) {
		struct ta_login_wire_watch w;

		memcpy(&w, buf, sizeof(w));
		if (w.time_msec > 999 || w.result > TA_LOGIN_RES_FAILED ||
		    (w.flags & ~TA_LOGIN_F_ALL))
			return -EBADMSG;
		if (get_str(ev->exe, w.exe, sizeof(w.exe)) ||
		    get_str(ev->comm, w.comm, sizeof(w.comm)) ||
		    get_str(ev->terminal, w.terminal, sizeof(w.terminal)) ||
		    get_str(ev->path, w.path, sizeof(w.path)))
			return -EBADMSG;
		ev->serial = w.serial;
		ev->time_sec = w.time_sec;
		ev->time_msec = w.time_msec;
		ev->syscall = w.syscall;
		ev->pid = w.pid;
		ev->uid = w.uid;
		ev->auid = w.auid;
		ev->ses = w.ses;
		ev->exit = w.exit;
		ev->result = w.result;
		ev->flags = w.flags;
	} else {
		struct ta_login_wire_dropped w;

		memcpy(&w, buf, sizeof(w));
		if (w.dropped == 0 || w.dropped_total < w.dropped)
			return -EBADMSG;
		ev->dropped = w.dropped;
		ev->dropped_total = w.dropped_total;
		ev->first_drop_sec = w.first_sec;
		ev->last_drop_sec = w.last_sec;
	}
	return (int)want;
}

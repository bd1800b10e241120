// SPDX-License-Identifier: GPL-2.0-or-later
/* Wire format: round trip, framing, and rejection of bad messages. */
#include <errno.h>
#include <libaudit.h>
#include <stddef.h>

#include "../../lib/check.h"
#include "sessions/login_event.h"

static void sample(struct ta_login_event *ev)
{
	ta_login_event_init(ev);
	ev->serial = 123456789012ull;
	ev->time_sec = 1700000100;
	ev->time_msec = 251;
	ev->record_type = AUDIT_USER_LOGIN;
	ev->pid = 7380;
	ev->uid = 0;
	ev->auid = 1001;
	ev->ses = 1;
	ev->id = 1001;
	ev->result = TA_LOGIN_RES_SUCCESS;
	ev->flags = TA_LOGIN_F_ACCT_FROM_ID;
	strcpy(ev->op, "login");
	strcpy(ev->acct, "alice");
	strcpy(ev->exe, "/usr/sbin/sshd");
	strcpy(ev->hostname, "127.0.0.1");
	strcpy(ev->addr, "127.0.0.1");
	strcpy(ev->terminal, "/dev/pts/0");
}

static void round_trip(void)
{
	struct ta_login_event a, b;
	unsigned char buf[TA_LOGIN_WIRE_MAX * 2];
	int n, m;

	sample(&a);
	n = ta_login_wire_encode(&a, 77, buf, sizeof(buf));
	CHECK_EQ_INT(n, sizeof(struct ta_login_wire_record));
	m = ta_login_wire_decode(buf, (size_t)n, &b);
	CHECK_EQ_INT(m, n);
	CHECK_EQ_INT(b.msg_type, TA_LOGIN_MSG_RECORD);
	CHECK_EQ_INT(b.seq, 77);
	CHECK_EQ_INT(b.serial, a.serial);
	CHECK_EQ_INT(b.time_sec, a.time_sec);
	CHECK_EQ_INT(b.time_msec, a.time_msec);
	CHECK_EQ_INT(b.record_type, a.record_type);
	CHECK_EQ_INT(b.pid, a.pid);
	CHECK_EQ_INT(b.auid, a.auid);
	CHECK_EQ_INT(b.ses, a.ses);
	CHECK_EQ_INT(b.old_ses, TA_LOGIN_UNSET);
	CHECK_EQ_INT(b.id, 1001);
	CHECK_EQ_INT(b.result, a.result);
	CHECK_EQ_INT(b.flags, a.flags);
	CHECK_EQ_STR(b.acct, "alice");
	CHECK_EQ_STR(b.exe, "/usr/sbin/sshd");
	CHECK_EQ_STR(b.terminal, "/dev/pts/0");

	/* every prefix is "need more", never an error or a message */
	for (int i = 0; i < n; i++)
		CHECK_EQ_INT(ta_login_wire_decode(buf, (size_t)i, &b), 0);

	/* two messages back to back */
	m = ta_login_wire_encode(&a, 78, buf + n, sizeof(buf) - (size_t)n);
	CHECK_EQ_INT(ta_login_wire_decode(buf, (size_t)(n + m), &b), n);
	CHECK_EQ_INT(ta_login_wire_decode(buf + n, (size_t)m, &b), m);
	CHECK_EQ_INT(b.seq, 78);

	/* dropped notice */
	ta_login_event_init(&a);
	a.msg_type = TA_LOGIN_MSG_DROPPED;
	a.dropped = 5;
	a.dropped_total = 12;
	a.first_drop_sec = 100;
	a.last_drop_sec = 200;
	n = ta_login_wire_encode(&a, 9, buf, sizeof(buf));
	CHECK_EQ_INT(n, sizeof(struct ta_login_wire_dropped));
	CHECK_EQ_INT(ta_login_wire_decode(buf, (size_t)n, &b), n);
	CHECK_EQ_INT(b.msg_type, TA_LOGIN_MSG_DROPPED);
	CHECK_EQ_INT(b.dropped, 5);
	CHECK_EQ_INT(b.dropped_total, 12);
	CHECK_EQ_INT(b.last_drop_sec, 200);

	/* too small a buffer, unknown kind */
	sample(&a);
	CHECK_EQ_INT(ta_login_wire_encode(&a, 1, buf, 100), -ENOSPC);
	a.msg_type = 99;
	CHECK_EQ_INT(ta_login_wire_encode(&a, 1, buf, sizeof(buf)), -EINVAL);
}

/* Encode the sample, let f damage it, expect decode to return want. */
static int damaged(void (*f)(struct ta_login_wire_record *w))
{
	struct ta_login_event a, b;
	struct ta_login_wire_record w;

	sample(&a);
	ta_login_wire_encode(&a, 1, &w, sizeof(w));
	f(&w);
	return ta_login_wire_decode(&w, sizeof(w), &b);
}

static void bad_magic(struct ta_login_wire_record *w) { w->hdr.magic ^= 1; }
static void bad_version(struct ta_login_wire_record *w) { w->hdr.version = 2; }
static void zero_version(struct ta_login_wire_record *w) { w->hdr.version = 0; }
static void bad_type(struct ta_login_wire_record *w) { w->hdr.type = 4; }
static void watch_len(struct ta_login_wire_record *w) { w->hdr.type = TA_LOGIN_MSG_WATCH; }
static void short_len(struct ta_login_wire_record *w) { w->hdr.length -= 8; }
static void long_len(struct ta_login_wire_record *w) { w->hdr.length = 1u << 30; }
static void zero_len(struct ta_login_wire_record *w) { w->hdr.length = 0; }
static void dropped_len(struct ta_login_wire_record *w) { w->hdr.type = TA_LOGIN_MSG_DROPPED; }
static void acct_no_nul(struct ta_login_wire_record *w) { memset(w->acct, 'A', sizeof(w->acct)); }
static void term_no_nul(struct ta_login_wire_record *w) { memset(w->terminal, 'x', sizeof(w->terminal)); }
static void bad_msec(struct ta_login_wire_record *w) { w->time_msec = 1000; }
static void bad_result(struct ta_login_wire_record *w) { w->result = 3; }
static void bad_flags(struct ta_login_wire_record *w) { w->flags = 0x100; }
static void zero_type(struct ta_login_wire_record *w) { w->record_type = 0; }

static void rejects(void)
{
	struct ta_login_event b;
	struct ta_login_wire_dropped d;
	unsigned char junk[8] = { 'G', 'E', 'T', ' ', '/', ' ', 'H', 'T' };

	CHECK_EQ_INT(damaged(bad_magic), -EBADMSG);
	CHECK_EQ_INT(damaged(bad_version), -EPROTONOSUPPORT);
	CHECK_EQ_INT(damaged(zero_version), -EPROTONOSUPPORT);
	CHECK_EQ_INT(damaged(bad_type), -EPROTO);
	CHECK_EQ_INT(damaged(short_len), -EBADMSG);
	CHECK_EQ_INT(damaged(long_len), -EBADMSG);
	CHECK_EQ_INT(damaged(zero_len), -EBADMSG);
	CHECK_EQ_INT(damaged(dropped_len), -EBADMSG);
	CHECK_EQ_INT(damaged(watch_len), -EBADMSG);
	CHECK_EQ_INT(damaged(acct_no_nul), -EBADMSG);
	CHECK_EQ_INT(damaged(term_no_nul), -EBADMSG);
	CHECK_EQ_INT(damaged(bad_msec), -EBADMSG);
	CHECK_EQ_INT(damaged(bad_result), -EBADMSG);
	CHECK_EQ_INT(damaged(bad_flags), -EBADMSG);
	CHECK_EQ_INT(damaged(zero_type), -EBADMSG);
	/* a wrong magic is caught before the header is complete */
	CHECK_EQ_INT(ta_login_wire_decode(junk, 3, &b), -EBADMSG);
	CHECK_EQ_INT(ta_login_wire_decode(junk, sizeof(junk), &b), -EBADMSG);
	/* a dropped notice must claim drops, and a total covering them */
	memset(&d, 0, sizeof(d));
	d.hdr.magic = TA_LOGIN_WIRE_MAGIC;
	d.hdr.version = TA_LOGIN_WIRE_VERSION;
	d.hdr.type = TA_LOGIN_MSG_DROPPED;
	d.hdr.length = sizeof(d);
	CHECK_EQ_INT(ta_login_wire_decode(&d, sizeof(d), &b), -EBADMSG);
	d.dropped = 3;
	d.dropped_total = 2;
	CHECK_EQ_INT(ta_login_wire_decode(&d, sizeof(d), &b), -EBADMSG);
	d.dropped_total = 3;
	CHECK_EQ_INT(ta_login_wire_decode(&d, sizeof(d), &b), (int)sizeof(d));
}

static void layout(void)
{
	CHECK_EQ_INT(sizeof(struct ta_login_wire_hdr), 16);
	CHECK_EQ_INT(sizeof(struct ta_login_wire_record), 1032);
	CHECK_EQ_INT(offsetof(struct ta_login_wire_record, serial), 16);
	CHECK_EQ_INT(offsetof(struct ta_login_wire_record, op), 72);
	CHECK_EQ_INT(offsetof(struct ta_login_wire_record, terminal), 1032 - 64);
	CHECK_EQ_INT(sizeof(struct ta_login_wire_dropped), 48);
	CHECK(ta_login_record_type_wanted(AUDIT_USER_LOGIN));
	CHECK(ta_login_record_type_wanted(AUDIT_LOGIN));
	CHECK(!ta_login_record_type_wanted(AUDIT_SYSCALL));
	CHECK_EQ_STR(ta_login_record_type_name(AUDIT_CRED_REFR), "CRED_REFR");
}

/* An access to the daemon's files, there and back. */
static void watch_round_trip(void)
{
	struct ta_login_event a, b;
	struct ta_login_wire_watch w;

	ta_login_event_init(&a);
	a.msg_type = TA_LOGIN_MSG_WATCH;
	a.serial = 77;
	a.time_sec = 1700000200;
	a.time_msec = 500;
	a.syscall = 257;
	a.pid = 4321;
	a.uid = 0;
	a.auid = 1000;
	a.ses = 5;
	a.exit = -13;
	a.result = TA_LOGIN_RES_FAILED;
	snprintf(a.exe, sizeof(a.exe), "/usr/bin/cat");
	snprintf(a.comm, sizeof(a.comm), "cat");
	snprintf(a.terminal, sizeof(a.terminal), "pts2");
	snprintf(a.path, sizeof(a.path), "/var/log/ttyaudit/seg-1.log");
	CHECK_EQ_INT(ta_login_wire_encode(&a, 9, &w, sizeof(w)), sizeof(w));
	CHECK_EQ_INT(ta_login_wire_decode(&w, sizeof(w), &b), sizeof(w));
	CHECK_EQ_INT(b.msg_type, TA_LOGIN_MSG_WATCH);
	CHECK_EQ_INT(b.seq, 9);
	CHECK_EQ_INT(b.syscall, 257);
	CHECK_EQ_INT(b.exit, -13);
	CHECK_EQ_INT(b.auid, 1000);
	CHECK_EQ_STR(b.path, a.path);
	CHECK_EQ_STR(b.comm, "cat");
	memset(w.path, 'x', sizeof(w.path));
	CHECK_EQ_INT(ta_login_wire_decode(&w, sizeof(w), &b), -EBADMSG);
}

int main(void)
{
	layout();
	round_trip();
	watch_round_trip();
	rejects();
	return check_result();
}

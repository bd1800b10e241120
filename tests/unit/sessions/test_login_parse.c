// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * auditd lines -> login events: a corpus of records as auditd 3.0.9 hands
 * them to a plugin, and corpora of malformed and hostile lines.
 * argv[1]: the corpus directory.
 */
#include <errno.h>
#include <libaudit.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "corpus_util.h"

static const char *dir;

static void check_real_corpus(size_t chunk)
{
	struct event_list l = { 0 };
	size_t len;
	char *data = read_corpus(dir, "login_records.log", &len);
	struct ta_login_parser_stats st = parse_all(data, len, chunk, &l);
	const struct ta_login_event *e;

	CHECK_EQ_INT(st.lines, 30);
	CHECK_EQ_INT(st.lines_ignored, 7); /* DAEMON_START, SYSCALL, PROCTITLE, EOE */
	CHECK_EQ_INT(st.lines_rejected, 0);
	CHECK_EQ_INT(st.records_rejected, 0);
	CHECK_EQ_INT(l.n, 23);
	CHECK_EQ_INT(st.events, l.n);
	if (l.n != 23)
		goto out;
	for (size_t i = 0; i < l.n; i++)
		CHECK(event_sane(&l.v[i]));

	/* USER_ACCT before the session exists */
	e = &l.v[0];
	CHECK_EQ_INT(e->record_type, AUDIT_USER_ACCT);
	CHECK_EQ_INT(e->serial, 9);
	CHECK_EQ_INT(e->time_sec, 1700000100);
	CHECK_EQ_INT(e->time_msec, 191);
	CHECK_EQ_INT(e->pid, 7380);
	CHECK_EQ_INT(e->uid, 0);
	CHECK_EQ_INT(e->auid, TA_LOGIN_UNSET);
	CHECK_EQ_INT(e->ses, TA_LOGIN_UNSET);
	CHECK_EQ_STR(e->op, "PAM:accounting");
	CHECK_EQ_STR(e->acct, "alice");
	CHECK_EQ_STR(e->terminal, "ssh");
	CHECK_EQ_INT(e->result, TA_LOGIN_RES_SUCCESS);
	CHECK_EQ_INT(e->flags, 0);

	/* LOGIN: old/new auid and ses, name of the new auid */
	e = &l.v[2];
	CHECK_EQ_INT(e->record_type, AUDIT_LOGIN);
	CHECK_EQ_INT(e->serial, 11);
	CHECK_EQ_INT(e->auid, 1001);
	CHECK_EQ_INT(e->ses, 1);
	CHECK_EQ_INT(e->old_auid, TA_LOGIN_UNSET);
	CHECK_EQ_INT(e->old_ses, TA_LOGIN_UNSET);
	CHECK_EQ_STR(e->acct, "alice");
	CHECK(e->flags & TA_LOGIN_F_ACCT_FROM_ID);
	CHECK_EQ_INT(e->result, TA_LOGIN_RES_SUCCESS);

	e = &l.v[3];
	CHECK_EQ_INT(e->record_type, AUDIT_USER_START);
	CHECK_EQ_INT(e->ses, 1);
	CHECK_EQ_INT(e->auid, 1001);
	CHECK_EQ_STR(e->op, "PAM:session_open");
	CHECK_EQ_STR(e->exe, "/usr/sbin/sshd");
	CHECK_EQ_STR(e->hostname, "127.0.0.1");
	CHECK_EQ_STR(e->addr, "127.0.0.1");

	/* USER_LOGIN names the account by id= */
	e = &l.v[5];
	CHECK_EQ_INT(e->record_type, AUDIT_USER_LOGIN);
	CHECK_EQ_INT(e->id, 1001);
	CHECK_EQ_STR(e->acct, "alice");
	CHECK(e->flags & TA_LOGIN_F_ACCT_FROM_ID);
	CHECK_EQ_STR(e->terminal, "/dev/pts/0");
	CHECK_EQ_INT(e->ses, 1);
	CHECK(!(e->flags & TA_LOGIN_F_FAILED_LOGIN));

	CHECK_EQ_INT(l.v[6].record_type, AUDIT_USER_END);
	CHECK_EQ_INT(l.v[6].time_sec, 1700000160);
	CHECK_EQ_INT(l.v[7].record_type, AUDIT_CRED_DISP);

	/* failed logins */
	e = &l.v[8];
	CHECK_EQ_INT(e->record_type, AUDIT_USER_LOGIN);
	CHECK_EQ_INT(e->result, TA_LOGIN_RES_FAILED);
	CHECK(e->flags & TA_LOGIN_F_FAILED_LOGIN);
	CHECK_EQ_STR(e->acct, "alice");
	CHECK_EQ_STR(e->hostname, "?");
	CHECK_EQ_STR(e->terminal, "sshd");
	CHECK_EQ_INT(l.v[9].record_type, AUDIT_USER_ERR);
	CHECK(!(l.v[9].flags & TA_LOGIN_F_FAILED_LOGIN));
	CHECK_EQ_STR(l.v[9].acct, "?");
	e = &l.v[10];
	CHECK_EQ_STR(e->acct, "(invalid user)"); /* hex-encoded in the record */
	CHECK(e->flags & TA_LOGIN_F_FAILED_LOGIN);
	e = &l.v[11];
	CHECK_EQ_INT(e->record_type, AUDIT_USER_AUTH);
	CHECK_EQ_STR(e->acct, "bad user");
	CHECK_EQ_STR(e->exe, "/usr/bin/login");
	CHECK_EQ_STR(e->terminal, "/dev/tty1");
	CHECK(e->flags & TA_LOGIN_F_FAILED_LOGIN);

	/* console login, LOGIN's tty= */
	CHECK_EQ_STR(l.v[12].terminal, "tty1");
	CHECK_EQ_INT(l.v[12].ses, 2);
	CHECK_EQ_STR(l.v[12].acct, "bob");
	CHECK_EQ_INT(l.v[15].pid, 900);
	CHECK_EQ_STR(l.v[15].exe, "/usr/bin/sudo");
	CHECK_EQ_STR(l.v[15].acct, "root");
	CHECK_EQ_INT(l.v[16].record_type, AUDIT_CRED_REFR);
	CHECK_EQ_INT(l.v[19].record_type, AUDIT_USER_LOGOUT);
	CHECK_EQ_STR(l.v[19].op, "logout");

	/* node= prefix, RAW format (no enrichment), IPv6 */
	CHECK_EQ_INT(l.v[20].ses, 7);
	CHECK_EQ_STR(l.v[20].exe, "/usr/sbin/cron");
	CHECK_EQ_INT(l.v[21].id, 0);
	CHECK_EQ_STR(l.v[21].acct, "root");
	CHECK_EQ_STR(l.v[21].addr, "2001:db8::1");
	CHECK_EQ_STR(l.v[21].hostname, "host-a.example");

	/* control characters in a hex acct come out escaped */
	CHECK_EQ_STR(l.v[22].acct, "alice\\012\\033[2Jroot");
out:
	free(l.v);
	free(data);
}

static void check_invalid_corpus(void)
{
	struct event_list l = { 0 };
	size_t len;
	char *data = read_corpus(dir, "adversarial_invalid.log", &len);
	struct ta_login_parser_stats st = parse_all(data, len, 0, &l);

	CHECK_EQ_INT(l.n, 0);
	for (size_t i = 0; i < l.n; i++)
		fprintf(stderr, "bogus event: serial %llu acct %s\n",
			(unsigned long long)l.v[i].serial, l.v[i].acct);
	CHECK_EQ_INT(st.lines, 68);
	CHECK_EQ_INT(st.lines_too_long, 2);
	CHECK(st.lines_rejected >= 40);
	CHECK(st.records_rejected >= 20);
	free(l.v);
	/* the same bytes fed one at a time */
	l = (struct event_list){ 0 };
	st = parse_all(data, len, 1, &l);
	CHECK_EQ_INT(l.n, 0);
	CHECK_EQ_INT(st.lines, 68);
	free(l.v);
	free(data);
}

static void check_odd_corpus(void)
{
	struct event_list l = { 0 };
	size_t len;
	char *data = read_corpus(dir, "adversarial_odd.log", &len);

	parse_all(data, len, 7, &l);
	CHECK_EQ_INT(l.n, 15);
	for (size_t i = 0; i < l.n; i++)
		CHECK(event_sane(&l.v[i]));
	if (l.n == 15) {
		/* raw escape sequences are neutralised, never passed on */
		CHECK(strstr(l.v[7].acct, "\\033[31m") != NULL);
		CHECK(strstr(l.v[7].hostname, "\\033]0;x\\007") != NULL);
		CHECK_EQ_STR(l.v[6].acct, "\\033]0;title\\007");
		/* huge fields are cut and flagged */
		CHECK(l.v[8].flags & TA_LOGIN_F_TRUNC_ACCT);
		CHECK(l.v[8].flags & TA_LOGIN_F_TRUNC_EXE);
		CHECK(l.v[8].flags & TA_LOGIN_F_TRUNC_HOST);
		CHECK(l.v[8].flags & TA_LOGIN_F_TRUNC_ADDR);
		CHECK(l.v[8].flags & TA_LOGIN_F_TRUNC_TERM);
		CHECK_EQ_INT(strlen(l.v[8].acct), TA_LOGIN_ACCT_LEN - 1);
		CHECK(l.v[9].flags & TA_LOGIN_F_TRUNC_ACCT);
		CHECK_EQ_STR(l.v[9].exe, "/bin/sh");
		/* a NUL byte in hex stops the value there, and the cut is flagged */
		CHECK_EQ_STR(l.v[5].acct, "A");
		CHECK(l.v[5].flags & TA_LOGIN_F_TRUNC_ACCT);
		CHECK(!(l.v[6].flags & TA_LOGIN_F_TRUNC_ACCT));
	}
	free(l.v);
	free(data);
}

/*
 * A uid auparse cannot name ("unknown(59999)", here an enriched AUID field
 * as auditd writes it for a uid missing from its host's passwd): no account
 * from it. The session keeps the first name it learns, and this one shut out
 * the login service's acct= that follows.
 */
static void check_unresolved_uid(void)
{
	static const char rec[] =
		"type=LOGIN msg=audit(1700000200.100:300): pid=7400 uid=0 old-auid=4294967295 "
		"auid=59999 tty=(none) old-ses=4294967295 ses=77 res=1\x1dUID=\"root\" "
		"OLD-AUID=\"unset\" AUID=\"unknown(59999)\"\n";
	struct event_list l = { 0 };

	parse_all(rec, sizeof(rec) - 1, sizeof(rec), &l);
	CHECK_EQ_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_EQ_INT(l.v[0].auid, 59999);
		CHECK_EQ_STR(l.v[0].acct, "");
		CHECK(!(l.v[0].flags & TA_LOGIN_F_ACCT_FROM_ID));
	}
	free(l.v);
}

static void check_line_gate(void)
{
	static const char ok[] = "type=USER_LOGIN msg=audit(1700000000.100:5): pid=1";
	static const char node[] = "node=a.b type=USER_END msg=audit(1.001:2): x";
	static const char sys[] = "type=SYSCALL msg=audit(1700000000.100:5): arch=1";

	CHECK_EQ_INT(ta_login_line_check(ok, strlen(ok)), 1);
	CHECK_EQ_INT(ta_login_line_check(node, strlen(node)), 1);
	CHECK_EQ_INT(ta_login_line_check(sys, strlen(sys)), 0);
	CHECK_EQ_INT(ta_login_line_check(ok, 20), -EBADMSG);
	CHECK_EQ_INT(ta_login_line_check("node= type=USER_END msg=audit(1.001:2): x", 41),
		     -EBADMSG);
	CHECK_EQ_INT(ta_login_line_check("type=USER_LOGIN msg=audit(1.1:2) x", 34), -EBADMSG);
	CHECK_EQ_INT(ta_login_line_check("", 0), -EBADMSG);
}

/* Audit watch events (key ttyaudit-watch) with their CWD and PATH; other keys stay out. */
static void check_watch_events(void)
{
	static const char lines[] =
		"type=SYSCALL msg=audit(1700000200.500:77): arch=c000003e syscall=257 success=yes "
		"exit=3 a0=ffffff9c a1=5581 a2=0 a3=0 items=1 ppid=1 pid=4321 auid=1000 uid=0 gid=0 "
		"euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"cat\" "
		"exe=\"/usr/bin/cat\" subj=unconfined key=\"ttyaudit-watch\"\n"
		"type=CWD msg=audit(1700000200.500:77): cwd=\"/var/log/ttyaudit\"\n"
		"type=PATH msg=audit(1700000200.500:77): item=0 name=\"seg-1.log\" inode=12 "
		"dev=fd:01 mode=0100640 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 "
		"cap_fe=0 cap_fver=0 cap_frootid=0\n"
		"type=PROCTITLE msg=audit(1700000200.500:77): proctitle=636174\n"
		"type=EOE msg=audit(1700000200.500:77): \n"
		"type=SYSCALL msg=audit(1700000200.600:78): arch=c000003e syscall=257 success=no "
		"exit=-13 items=1 ppid=1 pid=4322 auid=1000 uid=1000 gid=0 euid=0 suid=0 fsuid=0 "
		"egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"cat\" exe=\"/usr/bin/cat\" "
		"key=\"other\"\n"
		"type=PATH msg=audit(1700000200.600:78): item=0 name=\"/etc/shadow\" nametype=NORMAL\n"
		"type=EOE msg=audit(1700000200.600:78): \n";
	struct event_list l = { 0 };
	struct ta_login_parser_stats st = parse_all(lines, strlen(lines), 0, &l);
	const struct ta_login_event *e;

	CHECK_EQ_INT(st.lines, 8);
	CHECK_EQ_INT(st.lines_ignored, 4);   /* PROCTITLE, and the other key's event */
	CHECK_EQ_INT(l.n, 1);
	if (l.n != 1)
		return;
	e = &l.v[0];
	CHECK_EQ_INT(e->msg_type, TA_LOGIN_MSG_WATCH);
	CHECK_EQ_INT(e->serial, 77);
	CHECK_EQ_INT(e->syscall, 257);
	CHECK_EQ_INT(e->pid, 4321);
	CHECK_EQ_INT(e->uid, 0);
	CHECK_EQ_INT(e->auid, 1000);
	CHECK_EQ_INT(e->ses, 5);
	CHECK_EQ_INT(e->exit, 3);
	CHECK_EQ_INT(e->result, TA_LOGIN_RES_SUCCESS);
	CHECK_EQ_STR(e->comm, "cat");
	CHECK_EQ_STR(e->exe, "/usr/bin/cat");
	CHECK_EQ_STR(e->terminal, "pts2");
	CHECK_EQ_STR(e->path, "/var/log/ttyaudit/seg-1.log");
	free(l.v);
}

/*
 * A value's escaping has one reading: a newline the sender hex-encoded and
 * the four characters "\\012" a login name can hold as text (auditd leaves
 * printable text unencoded) came out the same with auparse's TTY escaping.
 * A backslash that three octal digits follow is now \\134; any other stays
 * one (a winbind login, DOMAIN\\user). In a watch event's cwd joined to a
 * relative name too (escaped once, after the join).
 */
static void check_escaping_unambiguous(void)
{
	static const char lines[] =
		"type=USER_AUTH msg=audit(1700000500.100:96): pid=7700 uid=0 auid=4294967295 "
		"ses=4294967295 msg='op=PAM:authentication grantors=? acct=616C6963650A "
		"exe=\"/usr/sbin/sshd\" hostname=? addr=1.2.3.4 terminal=ssh res=failed'\n"
		"type=USER_AUTH msg=audit(1700000500.200:97): pid=7701 uid=0 auid=4294967295 "
		"ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"alice\\012\" "
		"exe=\"/usr/sbin/sshd\" hostname=? addr=1.2.3.4 terminal=ssh res=failed'\n"
		"type=USER_AUTH msg=audit(1700000500.250:99): pid=7702 uid=0 auid=4294967295 "
		"ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"EXAMPLE\\bob\" "
		"exe=\"/usr/sbin/sshd\" hostname=? addr=1.2.3.4 terminal=ssh res=failed'\n"
		"type=SYSCALL msg=audit(1700000500.300:98): arch=c000003e syscall=87 success=yes "
		"exit=0 a0=58 a1=0 a2=0 a3=0 items=1 ppid=1 pid=4403 auid=1000 uid=0 gid=0 euid=0 "
		"suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"rm\" exe=\"/usr/bin/rm\" "
		"key=\"ttyaudit-watch\"\n"
		"type=CWD msg=audit(1700000500.300:98): cwd=\"/tmp/a\\b\\777\"\n"
		"type=PATH msg=audit(1700000500.300:98): item=0 name=78090A nametype=DELETE\n"
		"type=EOE msg=audit(1700000500.300:98): \n";
	struct event_list l = { 0 };

	parse_all(lines, strlen(lines), 0, &l);
	CHECK_EQ_INT(l.n, 4);
	if (l.n == 4) {
		CHECK_EQ_STR(l.v[0].acct, "alice\\012");
		CHECK_EQ_STR(l.v[1].acct, "alice\\134012");
		CHECK(!(l.v[0].flags & TA_LOGIN_F_TRUNC_ACCT));
		CHECK_EQ_STR(l.v[2].acct, "EXAMPLE\\bob");
		CHECK_EQ_INT(l.v[3].msg_type, TA_LOGIN_MSG_WATCH);
		CHECK_EQ_STR(l.v[3].path, "/tmp/a\\b\\134777/x\\011\\012");
		CHECK(!(l.v[3].flags & TA_LOGIN_F_TRUNC_OP));
	}
	free(l.v);
}

/*
 * A remote host name with spaces (libaudit writes hostname= unencoded) that
 * carries "terminal=... res=success" before the real addr=, terminal= and
 * res=: the real ones, written last, are taken; a failed login stays failed.
 */
static void check_injected_fields(void)
{
	static const char lines[] =
		"type=USER_LOGIN msg=audit(1700000400.100:95): pid=7600 uid=0 auid=4294967295 "
		"ses=4294967295 msg='op=login acct=\"bob\" exe=\"/usr/sbin/sshd\" hostname=evil "
		"terminal=/dev/pts/9 res=success addr=1.2.3.4 terminal=sshd res=failed'\n";
	struct event_list l = { 0 };

	parse_all(lines, strlen(lines), 0, &l);
	CHECK_EQ_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_EQ_INT(l.v[0].result, TA_LOGIN_RES_FAILED);
		CHECK_EQ_STR(l.v[0].terminal, "sshd");
		CHECK_EQ_STR(l.v[0].addr, "1.2.3.4");
		CHECK_EQ_STR(l.v[0].hostname, "evil");
		CHECK(l.v[0].flags & TA_LOGIN_F_FAILED_LOGIN);
	}
	free(l.v);
}

/*
 * A login named by id= (sshd's USER_LOGIN) has no acct= of its own: one in
 * its host name ("evil acct=root id=0") was taken as the account, so the
 * login of uid 1001 read as root's. After hostname= only addr=, terminal=
 * and res= are taken.
 */
static void check_injected_account(void)
{
	static const char lines[] =
		"type=USER_LOGIN msg=audit(1700000405.100:180): pid=7605 uid=0 auid=1001 ses=5 "
		"msg='op=login id=1001 exe=\"/usr/sbin/sshd\" hostname=evil acct=root id=0 "
		"op=x exe=/bin/x addr=1.2.3.4 terminal=/dev/pts/1 res=success'"
		"\x1dUID=\"root\" AUID=\"alice\" ID=\"alice\"\n";
	struct event_list l = { 0 };

	parse_all(lines, strlen(lines), 0, &l);
	CHECK_EQ_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_EQ_STR(l.v[0].acct, "alice");
		CHECK(l.v[0].flags & TA_LOGIN_F_ACCT_FROM_ID);
		CHECK_EQ_INT(l.v[0].id, 1001);
		CHECK_EQ_STR(l.v[0].op, "login");
		CHECK_EQ_STR(l.v[0].exe, "/usr/sbin/sshd");
		CHECK_EQ_STR(l.v[0].hostname, "evil");
		CHECK_EQ_STR(l.v[0].terminal, "/dev/pts/1");
		CHECK_EQ_INT(l.v[0].result, TA_LOGIN_RES_SUCCESS);
	}
	free(l.v);
}

/*
 * A host name holding auditd's enrichment separator (0x1d): auparse cut the
 * record there and took the sender's text after it for auditd's names, so
 * that a failed login by id= read as root's, and as a success. Such a line is
 * refused (and counted, so ttyauditd writes the gap); auditd's own
 * enrichment, once and last, still reads.
 */
static void check_injected_separator(void)
{
	static const char lines[] =
		"type=USER_LOGIN msg=audit(1700000410.100:190): pid=7610 uid=0 auid=1001 ses=5 "
		"msg='op=login id=1001 exe=\"/usr/sbin/sshd\" hostname=evil res=success"
		"\x1dID=\"root\" addr=1.2.3.4 terminal=/dev/pts/1 res=failed'"
		"\x1dUID=\"root\" AUID=\"alice\" ID=\"alice\"\n"
		"type=USER_START msg=audit(1700000410.200:191): pid=7610 uid=0 auid=1001 ses=5 "
		"msg='op=PAM:session_open grantors=? acct=\"alice\" exe=\"/usr/sbin/sshd\" "
		"hostname=evil res=success\x1d" "AUID=\"root\" addr=1.2.3.4 terminal=ssh res=failed'\n"
		"type=USER_START msg=audit(1700000410.300:192): pid=7611 uid=0 auid=1002 ses=6 "
		"msg='op=PAM:session_open grantors=? acct=\"bob\" exe=\"/usr/sbin/sshd\" "
		"hostname=? addr=1.2.3.4 terminal=ssh res=success'\x1dUID=\"root\" AUID=\"bob\"\n"
		/* a type not forwarded is skipped, not counted as a record lost */
		"type=USER_CMD msg=audit(1700000410.400:193): pid=7612 uid=1002 auid=1002 ses=6 "
		"msg='cwd=\"/\" cmd=6964 exe=\"/usr/bin/sudo\" terminal=pts/1\x1dID=\"root\" res=success'\n";
	struct event_list l = { 0 };
	struct ta_login_parser_stats st = parse_all(lines, strlen(lines), 0, &l);

	CHECK_EQ_INT(st.lines_rejected, 2);
	CHECK_EQ_INT(st.lines_ignored, 1);
	CHECK_EQ_INT(l.n, 1);
	for (size_t i = 0; i < l.n; i++)
		CHECK(l.v[i].result != TA_LOGIN_RES_SUCCESS || l.v[i].serial == 192);
	if (l.n >= 1) {
		CHECK_EQ_INT(l.v[l.n - 1].serial, 192);
		CHECK_EQ_STR(l.v[l.n - 1].acct, "bob");
	}
	free(l.v);
}

/*
 * The file a watch event names: the first PATH that is not a parent, however
 * many come after it (mv <watched file> /tmp/x was reported as /tmp/x), and a
 * name relative to a directory descriptor not joined to the working directory.
 */
static void check_watch_paths(void)
{
	static const char lines[] =
		"type=SYSCALL msg=audit(1700000300.100:90): arch=c000003e syscall=82 success=yes "
		"exit=0 a0=55 a1=56 a2=0 a3=0 items=4 ppid=1 pid=4400 auid=1000 uid=0 gid=0 euid=0 "
		"suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"mv\" exe=\"/usr/bin/mv\" "
		"key=\"ttyaudit-watch\"\n"
		"type=CWD msg=audit(1700000300.100:90): cwd=\"/root\"\n"
		"type=PATH msg=audit(1700000300.100:90): item=0 name=\"/var/log/ttyaudit/\" nametype=PARENT\n"
		"type=PATH msg=audit(1700000300.100:90): item=1 name=\"/tmp/\" nametype=PARENT\n"
		"type=PATH msg=audit(1700000300.100:90): item=2 name=\"/var/log/ttyaudit/seg-1.log\" "
		"nametype=DELETE\n"
		"type=PATH msg=audit(1700000300.100:90): item=3 name=\"/tmp/innocuous\" nametype=CREATE\n"
		"type=EOE msg=audit(1700000300.100:90): \n"
		"type=SYSCALL msg=audit(1700000300.200:91): arch=c000003e syscall=263 success=yes "
		"exit=0 a0=5 a1=57 a2=0 a3=0 items=2 ppid=1 pid=4401 auid=1000 uid=0 gid=0 euid=0 "
		"suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"rmat\" exe=\"/tmp/rmat\" "
		"key=\"ttyaudit-watch\"\n"
		"type=CWD msg=audit(1700000300.200:91): cwd=\"/tmp\"\n"
		"type=PATH msg=audit(1700000300.200:91): item=0 name=\"seg-2.log\" nametype=PARENT\n"
		"type=PATH msg=audit(1700000300.200:91): item=1 name=\"seg-2.log\" nametype=DELETE\n"
		"type=EOE msg=audit(1700000300.200:91): \n"
		"type=SYSCALL msg=audit(1700000300.300:92): arch=c000003e syscall=87 success=yes "
		"exit=0 a0=58 a1=0 a2=0 a3=0 items=2 ppid=1 pid=4402 auid=1000 uid=0 gid=0 euid=0 "
		"suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"rm\" exe=\"/usr/bin/rm\" "
		"key=\"ttyaudit-watch\"\n"
		"type=CWD msg=audit(1700000300.300:92): cwd=\"/var/log/ttyaudit\"\n"
		"type=PATH msg=audit(1700000300.300:92): item=0 name=\"/var/log/ttyaudit/\" nametype=PARENT\n"
		"type=PATH msg=audit(1700000300.300:92): item=1 name=\"seg-3.log\" nametype=DELETE\n"
		"type=EOE msg=audit(1700000300.300:92): \n"
		/* A 32-bit unlinkat from AT_FDCWD: joined to the working directory. */
		"type=SYSCALL msg=audit(1700000300.400:93): arch=40000003 syscall=301 success=yes "
		"exit=0 a0=ffffff9c a1=59 a2=0 a3=0 items=2 ppid=1 pid=4403 auid=1000 uid=0 gid=0 "
		"euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts2 ses=5 comm=\"rm32\" "
		"exe=\"/tmp/rm32\" key=\"ttyaudit-watch\"\n"
		"type=CWD msg=audit(1700000300.400:93): cwd=\"/var/log/ttyaudit\"\n"
		"type=PATH msg=audit(1700000300.400:93): item=0 name=\"seg-4.log\" nametype=DELETE\n"
		"type=EOE msg=audit(1700000300.400:93): \n";
	struct event_list l = { 0 };

	parse_all(lines, strlen(lines), 0, &l);
	CHECK_EQ_INT(l.n, 4);
	if (l.n == 4) {
		CHECK_EQ_STR(l.v[0].path, "/var/log/ttyaudit/seg-1.log");
		CHECK_EQ_STR(l.v[1].path, "<a directory descriptor>/seg-2.log");
		CHECK_EQ_STR(l.v[2].path, "/var/log/ttyaudit/seg-3.log");
		CHECK_EQ_STR(l.v[3].path, "/var/log/ttyaudit/seg-4.log");
	}
	free(l.v);
}

/* Events the parser gives for text, with the node rule auditd.conf's text makes. */
static struct ta_login_parser_stats parse_as(const char *auditd_conf, const char *text,
					     struct event_list *l)
{
	char path[] = "/tmp/ta-auditd-conf-XXXXXX";
	struct ta_login_parser_stats st;
	struct ta_login_parser *p;
	struct ta_audit_node n;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(write(fd, auditd_conf, strlen(auditd_conf)) == (ssize_t)strlen(auditd_conf));
	close(fd);
	ta_audit_node_load(&n, path);
	unlink(path);
	if (ta_login_parser_new(collect_event, l, &p) < 0)
		abort();
	ta_login_parser_set_node(p, &n);
	ta_login_parser_feed(p, text, strlen(text));
	ta_login_parser_flush(p);
	ta_login_parser_get_stats(p, &st);
	ta_login_parser_free(p);
	return st;
}

/*
 * An auditd that aggregates other machines' trails hands their records on
 * with node=NAME: a root there must not open, name or close sessions here.
 */
static void check_other_machines(void)
{
	char host[256] = "", text[2048], conf[512];
	struct ta_login_parser_stats st;
	struct ta_audit_node n;
#define LOGIN_LINE "type=LOGIN msg=audit(1700000100.200:%d): pid=7380 uid=0 subj=unconfined " \
		   "old-auid=4294967295 auid=%d tty=(none) old-ses=4294967295 ses=%d res=1\n"
	char a[512], b[512], c[512];

	CHECK(gethostname(host, sizeof(host) - 1) == 0 && host[0]);
	snprintf(a, sizeof(a), LOGIN_LINE, 11, 1001, 1);                    /* no node= */
	snprintf(b, sizeof(b), "node=web01 ");
	snprintf(b + strlen(b), sizeof(b) - strlen(b), LOGIN_LINE, 12, 0, 2); /* another machine */
	snprintf(c, sizeof(c), "node=%s ", host);
	snprintf(c + strlen(c), sizeof(c) - strlen(c), LOGIN_LINE, 13, 1002, 3); /* named as this host */
	snprintf(text, sizeof(text), "%s%s%s", a, b, c);

	static const struct { const char *conf; int foreign; uint32_t first_ses; } cases[] = {
		{ "# auditd's default\nlog_format = ENRICHED\n", 2, 1 },  /* none: any node= */
		{ "name_format = NONE\n", 2, 1 },
		{ "name_format = hostname\n", 1, 1 },                    /* web01 only */
		{ "name_format = user\nname = web01\n", 1, 1 },          /* this host is web01 */
		{ "name_format = fqd\n", 0, 1 },                         /* not known: all, as before */
		{ "name_format = numeric\n", 0, 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event_list l = { 0 };

		st = parse_as(cases[i].conf, text, &l);
		CHECK_EQ_INT(st.lines_foreign, cases[i].foreign);
		CHECK_EQ_INT(l.n, 3 - cases[i].foreign);
		for (size_t k = 0; k < l.n; k++) {
			/* Never a session of web01's (ses 2) unless this host is web01. */
			if (l.v[k].ses == 2)
				CHECK(strstr(cases[i].conf, "web01") || !cases[i].foreign);
		}
		free(l.v);
	}
	/* A missing file is auditd's default, none; an unreadable one says why. */
	ta_audit_node_load(&n, "/nonexistent/auditd.conf");
	CHECK_EQ_INT(n.rule, TA_NODE_NONE);
	CHECK(ta_audit_node_foreign(&n, "web01", 5) && !ta_audit_node_foreign(&n, NULL, 0));
	snprintf(conf, sizeof(conf), "%s", ta_audit_node_describe(&n, text, sizeof(text)));
	CHECK(strstr(conf, "other machines'") != NULL);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	check_real_corpus(0);
	check_real_corpus(1);   /* byte by byte */
	check_real_corpus(97);  /* lines split at odd places */
	check_invalid_corpus();
	check_odd_corpus();
	check_line_gate();
	check_unresolved_uid();
	check_watch_events();
	check_watch_paths();
	check_injected_fields();
	check_injected_separator();
	check_injected_account();
	check_escaping_unambiguous();
	check_other_machines();
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Back-fill from a made-up /proc tree and made-up audit log files: open
 * sessions of this boot with live processes are found, closed, stale and
 * earlier-boot ones are not, /proc-only sessions are added.
 */
#include <errno.h>
#include <libaudit.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "corpus_util.h"
#include "sessions/backfill.h"

#define BOOT "0d6e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
#define BTIME 1700000000

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void make_proc(const char *proc, const char *pid, const char *ses, const char *auid,
		      const char *comm, unsigned tty_nr, unsigned long long start)
{
	char d[4300], stat[1024];

	snprintf(d, sizeof(d), "%s/%s", proc, pid);
	mkdir(d, 0755);
	write_file(d, "sessionid", ses);
	write_file(d, "loginuid", auid);
	snprintf(stat, sizeof(stat),
		 "%s (%s) S 1 %s %s %u -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 %llu 1000 "
		 "10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		 pid, comm, pid, pid, tty_nr, start);
	write_file(d, "stat", stat);
}

#define GS "\x1d"
static const char old_log[] =
	/* an earlier boot: must be ignored */
	"type=USER_START msg=audit(1699990000.100:3): pid=50 uid=0 auid=1003 ses=1 msg='op=PAM:session_open grantors=pam_unix acct=\"mallory\" exe=\"/usr/sbin/sshd\" hostname=6.6.6.6 addr=6.6.6.6 terminal=ssh res=success'" GS "UID=\"root\" AUID=\"mallory\"\n"
	/* this boot: ses 1 opened by sshd */
	"type=LOGIN msg=audit(1700000100.195:11): pid=7380 uid=0 old-auid=4294967295 auid=1001 tty=(none) old-ses=4294967295 ses=1 res=1" GS "UID=\"root\" OLD-AUID=\"unset\" AUID=\"alice\"\n"
	"type=USER_START msg=audit(1700000100.203:12): pid=7380 uid=0 auid=1001 ses=1 msg='op=PAM:session_open grantors=pam_unix acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=10.1.1.1 addr=10.1.1.1 terminal=ssh res=success'" GS "UID=\"root\" AUID=\"alice\"\n"
	/* ses 3: opened and closed */
	"type=USER_START msg=audit(1700000200.000:20): pid=7400 uid=0 auid=1001 ses=3 msg='op=PAM:session_open grantors=pam_unix acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=10.1.1.1 addr=10.1.1.1 terminal=ssh res=success'" GS "UID=\"root\" AUID=\"alice\"\n";
static const char new_log[] =
	"type=USER_LOGIN msg=audit(1700000100.251:14): pid=7380 uid=0 auid=1001 ses=1 msg='op=login id=1001 exe=\"/usr/sbin/sshd\" hostname=10.1.1.1 addr=10.1.1.1 terminal=/dev/pts/0 res=success'" GS "UID=\"root\" AUID=\"alice\" ID=\"alice\"\n"
	"type=USER_END msg=audit(1700000300.000:21): pid=7400 uid=0 auid=1001 ses=3 msg='op=PAM:session_close grantors=pam_unix acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=10.1.1.1 addr=10.1.1.1 terminal=ssh res=success'" GS "UID=\"root\" AUID=\"alice\"\n"
	/* ses 4: open in the log, but no process has it any more */
	"type=USER_START msg=audit(1700000400.000:30): pid=7500 uid=0 auid=1001 ses=4 msg='op=PAM:session_open grantors=pam_unix acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=10.1.1.1 addr=10.1.1.1 terminal=ssh res=success'" GS "UID=\"root\" AUID=\"alice\"\n"
	"garbage line that auparse has to skip\n";

int main(void)
{
	char *d = make_temp_dir("ta-backfill");
	char proc[4200], logs[4200], log[4300], missing[4300];
	struct ta_session_table *t;
	struct ta_backfill_opts o = { 0 };
	struct ta_backfill_stats st;
	struct ta_login_session *s;
	struct ta_login_event ev;
	long hz = sysconf(_SC_CLK_TCK);
	int rc;

	snprintf(proc, sizeof(proc), "%s/proc", d);
	snprintf(logs, sizeof(logs), "%s/log", d);
	snprintf(log, sizeof(log), "%s/audit.log", logs);
	snprintf(missing, sizeof(missing), "%s/none/audit.log", d);
	mkdir(proc, 0755);
	mkdir(logs, 0755);
	write_file(proc, "stat", "cpu 1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n");
	make_proc(proc, "100", "1", "1001", "sshd", 136 << 8, 500);
	make_proc(proc, "101", "1", "1001", "evil) (name", 136 << 8 | 1, 600);
	make_proc(proc, "200", "5", "0", "bash", 4 << 8 | 1, 100);
	make_proc(proc, "201", "5", "0", "sleep", 0, 150);
	make_proc(proc, "300", "4294967295", "4294967295", "daemon", 0, 10);
	make_proc(proc, "400", "9", "65534", "cron", 0, 50);
	make_proc(proc, "500", "junk", "0", "odd", 0, 50);
	mkdir(strcat(strcpy(log, proc), "/abc"), 0755);
	snprintf(log, sizeof(log), "%s/audit.log", logs);
	write_file(logs, "audit.log.1", old_log);
	write_file(logs, "audit.log", new_log);

	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	/* ses 9 is already known live: back-fill leaves it alone */
	ta_login_event_init(&ev);
	ev.record_type = AUDIT_LOGIN;
	ev.pid = 4000;
	ev.ses = 9;
	ev.auid = 65534;
	ev.time_sec = 1700000500;
	ev.result = TA_LOGIN_RES_SUCCESS;
	CHECK_EQ_INT(ta_session_apply(t, &ev, &s), TA_SESSION_STARTED);

	o.audit_log = log;
	o.proc_root = proc;
	rc = ta_backfill(t, &o, &st);
	CHECK_EQ_INT(rc, 2);
	CHECK_EQ_INT(st.log_files, 2);
	CHECK_EQ_INT(st.from_log, 1);
	CHECK_EQ_INT(st.from_proc, 1);
	CHECK_EQ_INT(st.stale, 1);
	CHECK_EQ_INT(st.log_error, 0);
	CHECK_EQ_INT(st.proc_error, 0);

	s = ta_session_lookup(t, 1);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->backfilled);
		CHECK_EQ_INT(s->state, TA_SESSION_OPEN);
		CHECK_EQ_STR(s->user, "alice");
		CHECK_EQ_INT(s->auid, 1001);
		CHECK_EQ_STR(s->host, "10.1.1.1");
		CHECK_EQ_STR(s->login_program, "sshd");
		CHECK_EQ_STR(s->terminal, "/dev/pts/0");
		CHECK_EQ_INT(s->login_pid, 7380);
		CHECK_EQ_INT(s->start_serial, 11);
		CHECK_EQ_INT(s->n_ttys, 2);
		CHECK(s->n_ttys == 2 && !strcmp(s->ttys[0], "pts/0") && !strcmp(s->ttys[1], "pts/1"));
	}
	CHECK(ta_session_lookup(t, 3) == NULL);
	CHECK(ta_session_lookup(t, 4) == NULL);
	s = ta_session_lookup(t, 5);
	CHECK(s != NULL);
	if (s) {
		CHECK(s->backfilled);
		CHECK_EQ_INT(s->auid, 0);
		CHECK_EQ_STR(s->user, "root");
		CHECK_EQ_STR(s->terminal, "/dev/tty1");
		CHECK_EQ_INT(s->login_pid, 0);
		CHECK_EQ_INT(s->start_sec, BTIME + 100 / hz);
		CHECK(s->n_ttys == 1 && !strcmp(s->ttys[0], "tty1"));
	}
	s = ta_session_lookup(t, 9);
	CHECK(s && !s->backfilled && s->login_pid == 4000);
	CHECK_EQ_INT(ta_session_table_count(t), 3);

	/* a second run adds nothing */
	CHECK_EQ_INT(ta_backfill(t, &o, &st), 0);
	ta_session_table_free(t);

	/* keep_dead: the stale ses 4 is taken as well */
	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	o.keep_dead = true;
	CHECK_EQ_INT(ta_backfill(t, &o, &st), 4);
	s = ta_session_lookup(t, 4);
	CHECK(s && s->backfilled && s->start_serial == 30);
	ta_session_table_free(t);
	o.keep_dead = false;

	/*
	 * An aggregating auditd's log: another machine's root opened "its" ses 5
	 * as mallory. Taken as this host's, our live ses 5 (root on tty1) would
	 * be named mallory from 6.6.6.6; with the node rule it is not.
	 */
	{
		static const char foreign[] =
			"node=web01 type=USER_START msg=audit(1700000450.000:31): pid=9 uid=0 auid=1003 ses=5 msg='op=PAM:session_open grantors=pam_unix acct=\"mallory\" exe=\"/usr/sbin/sshd\" hostname=6.6.6.6 addr=6.6.6.6 terminal=ssh res=success'" GS "UID=\"root\" AUID=\"mallory\"\n";
		char both[sizeof(new_log) + sizeof(foreign)];
		struct ta_audit_node none = { .rule = TA_NODE_NONE };

		snprintf(both, sizeof(both), "%s%s", new_log, foreign);
		write_file(logs, "audit.log", both);
		for (int ruled = 0; ruled < 2; ruled++) {
			CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
			o.node = ruled ? &none : NULL;
			CHECK(ta_backfill(t, &o, &st) > 0);
			s = ta_session_lookup(t, 5);
			CHECK(s != NULL);
			if (s)
				CHECK_EQ_STR(s->user, ruled ? "root" : "mallory");
			ta_session_table_free(t);
		}
		o.node = NULL;
		write_file(logs, "audit.log", new_log);
	}

	/*
	 * A failed PAM session open whose host name holds auditd's enrichment
	 * separator: read by auparse itself, the "res=success" before it stood and
	 * the real res=failed after it was cut off, so the live ses 5 (root on
	 * tty1) became mallory's sshd login. Through the plugin's gate the line is
	 * refused and ses 5 is what /proc says.
	 */
	{
		static const char injected[] =
			"type=USER_START msg=audit(1700000460.000:32): pid=9 uid=0 auid=1003 ses=5 msg='op=PAM:session_open grantors=? acct=\"mallory\" exe=\"/usr/sbin/sshd\" hostname=evil res=success" GS "AUID=\"mallory\" addr=6.6.6.6 terminal=ssh res=failed'" GS "UID=\"root\" AUID=\"mallory\"\n";
		char both[sizeof(new_log) + sizeof(injected)];

		snprintf(both, sizeof(both), "%s%s", new_log, injected);
		write_file(logs, "audit.log", both);
		CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
		CHECK(ta_backfill(t, &o, &st) > 0);
		s = ta_session_lookup(t, 5);
		CHECK(s != NULL);
		if (s) {
			CHECK_EQ_STR(s->user, "root");
			CHECK_EQ_STR(s->login_program, "");
			CHECK_EQ_INT(s->login_pid, 0);
		}
		ta_session_table_free(t);
		write_file(logs, "audit.log", new_log);
	}

	/*
	 * A log others may write (or one in a directory they may write): not read, counted,
	 * and said why; its USER_START made ses 1 alice's verified login.
	 */
	{
		CHECK_EQ_INT(chmod(strcat(strcpy(log, logs), "/audit.log.1"), 0666), 0);
		snprintf(log, sizeof(log), "%s/audit.log", logs);
		CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
		rc = ta_backfill(t, &o, &st);
		CHECK_EQ_INT(st.log_files, 1);
		CHECK_EQ_INT(st.log_untrusted, 1);
		CHECK(strstr(st.untrusted_why, "audit.log.1") != NULL);
		s = ta_session_lookup(t, 1);
		CHECK(s && s->start_serial != 11); /* its LOGIN record (serial 11) was in audit.log.1 */
		ta_session_table_free(t);
		CHECK_EQ_INT(chmod(logs, 0777), 0);
		CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
		rc = ta_backfill(t, &o, &st);
		CHECK_EQ_INT(st.log_files, 0);
		CHECK_EQ_INT(st.log_untrusted, 2);
		CHECK_EQ_INT(st.log_error, -EPERM);
		ta_session_table_free(t);
		CHECK_EQ_INT(chmod(logs, 0755), 0);
		CHECK_EQ_INT(chmod(strcat(strcpy(log, logs), "/audit.log.1"), 0644), 0);
		snprintf(log, sizeof(log), "%s/audit.log", logs);
	}

	/* no audit log (no auditd): /proc alone still works, and says why */
	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	o.audit_log = missing;
	CHECK_EQ_INT(ta_backfill(t, &o, &st), 3);
	CHECK_EQ_INT(st.log_error, -ENOENT);
	CHECK_EQ_INT(st.from_proc, 3);
	s = ta_session_lookup(t, 1);
	CHECK(s && s->auid == 1001 && s->login_pid == 0 && !strcmp(s->terminal, "/dev/pts/0"));
	ta_session_table_free(t);

	/* neither source */
	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	o.proc_root = missing;
	CHECK_EQ_INT(ta_backfill(t, &o, &st), -ENOENT);
	CHECK_EQ_INT(ta_session_table_count(t), 0);
	ta_session_table_free(t);

	/* device numbers */
	{
		char n[32];

		CHECK_EQ_INT(ta_tty_name_from_dev(136, 5, n, sizeof(n)), 0);
		CHECK_EQ_STR(n, "pts/5");
		CHECK_EQ_INT(ta_tty_name_from_dev(137, 2, n, sizeof(n)), 0);
		CHECK_EQ_STR(n, "pts/258");
		CHECK_EQ_INT(ta_tty_name_from_dev(4, 65, n, sizeof(n)), 0);
		CHECK_EQ_STR(n, "ttyS1");
		CHECK_EQ_INT(ta_tty_name_from_dev(5, 1, n, sizeof(n)), 0);
		CHECK_EQ_STR(n, "console");
		CHECK_EQ_INT(ta_tty_name_from_dev(136, 5, n, 3), -ERANGE);
	}
	remove_temp_dir(d);
	return check_result();
}

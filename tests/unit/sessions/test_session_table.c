// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Session table: the real corpus applied in order gives the sessions and
 * changes auditd's records imply; lookups, tty notes, limits, JSON.
 * argv[1]: the corpus directory.
 */
#include <errno.h>
#include <libaudit.h>
#include <stdint.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "corpus_util.h"
#include "sessions/session_table.h"

#define BOOT "0d6e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5f6"

static const char *dir;

static void apply_corpus(void)
{
	static const int want[23] = {
		TA_SESSION_NO_CHANGE, TA_SESSION_NO_CHANGE, TA_SESSION_STARTED,
		TA_SESSION_UPDATED, TA_SESSION_NO_CHANGE, TA_SESSION_UPDATED,
		TA_SESSION_ENDED, TA_SESSION_NO_CHANGE, TA_SESSION_LOGIN_FAILED,
		TA_SESSION_NO_CHANGE, TA_SESSION_LOGIN_FAILED, TA_SESSION_LOGIN_FAILED,
		TA_SESSION_STARTED, TA_SESSION_UPDATED, TA_SESSION_NO_CHANGE,
		TA_SESSION_NO_CHANGE, TA_SESSION_NO_CHANGE, TA_SESSION_NO_CHANGE,
		TA_SESSION_ENDED, TA_SESSION_NO_CHANGE, TA_SESSION_STARTED,
		TA_SESSION_STARTED, TA_SESSION_LOGIN_FAILED,
	};
	struct event_list l = { 0 };
	struct ta_session_table *t;
	struct ta_login_session *s, *ch;
	size_t len;
	char *data = read_corpus(dir, "login_records.log", &len);
	char json[4096];
	int n;

	parse_all(data, len, 0, &l);
	CHECK_EQ_INT(l.n, 23);
	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	for (size_t i = 0; i < l.n && i < 23; i++) {
		int rc = ta_session_apply(t, &l.v[i], &ch);

		if (rc != want[i])
			fprintf(stderr, "event %zu: change %d, want %d\n", i, rc, want[i]);
		CHECK_EQ_INT(rc, want[i]);
		CHECK((ch != NULL) == (rc == TA_SESSION_STARTED || rc == TA_SESSION_UPDATED ||
				       rc == TA_SESSION_ENDED));
		/* the nested sudo session is counted while it is open */
		if (i == 15) {
			s = ta_session_lookup(t, 2);
			CHECK(s && s->nested_opens == 1 && s->state == TA_SESSION_OPEN);
		}
	}
	CHECK_EQ_INT(ta_session_table_count(t), 4);

	s = ta_session_lookup(t, 1);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_STR(s->boot_id, BOOT);
		CHECK_EQ_INT(s->auid, 1001);
		CHECK_EQ_STR(s->user, "alice");
		CHECK_EQ_STR(s->login_program, "sshd");
		CHECK_EQ_STR(s->exe, "/usr/sbin/sshd");
		CHECK_EQ_STR(s->host, "127.0.0.1");
		CHECK_EQ_STR(s->addr, "127.0.0.1");
		CHECK_EQ_STR(s->terminal, "/dev/pts/0"); /* USER_LOGIN's, not "ssh" */
		CHECK_EQ_INT(s->login_pid, 7380);
		CHECK_EQ_INT(s->state, TA_SESSION_CLOSED);
		CHECK_EQ_INT(s->result, TA_LOGIN_RES_SUCCESS);
		CHECK_EQ_INT(s->start_sec, 1700000100);
		CHECK_EQ_INT(s->start_msec, 195);
		CHECK_EQ_INT(s->start_serial, 11);
		CHECK_EQ_INT(s->end_sec, 1700000160);
		CHECK_EQ_INT(s->end_serial, 15);
		CHECK(!s->backfilled);
		n = ta_session_json(s, TA_SESSION_JSON_END, json, sizeof(json));
		CHECK(n > 0);
		CHECK_EQ_STR(json,
			"{\"type\":\"session_end\",\"boot_id\":\"" BOOT "\",\"ses\":1,"
			"\"auid\":1001,\"user\":\"alice\",\"login_program\":\"sshd\","
			"\"exe\":\"/usr/sbin/sshd\",\"login_verified\":true,\"login_pid\":7380,\"host\":\"127.0.0.1\","
			"\"addr\":\"127.0.0.1\",\"terminal\":\"/dev/pts/0\",\"result\":\"success\","
			"\"state\":\"closed\",\"backfilled\":false,\"observed\":false,"
			"\"start_time\":\"2023-11-14T22:15:00.195Z\",\"start_serial\":11,"
			"\"end_time\":\"2023-11-14T22:16:00.259Z\",\"end_serial\":15,"
			"\"duration_ms\":60064,\"nested_opens\":0,\"ttys\":[],\"ttys_dropped\":0}");
		CHECK_EQ_INT(n, (int)strlen(json));
		/* too small a buffer */
		CHECK_EQ_INT(ta_session_json(s, TA_SESSION_JSON_END, json, 40), -ENOSPC);
		CHECK_EQ_INT(ta_session_json(s, 9, json, sizeof(json)), -EINVAL);
	}
	s = ta_session_lookup(t, 2);
	CHECK(s != NULL);
	if (s) {
		CHECK_EQ_STR(s->user, "bob");
		CHECK_EQ_STR(s->login_program, "login");
		CHECK_EQ_STR(s->terminal, "/dev/tty1");
		CHECK_EQ_INT(s->login_pid, 812);
		CHECK_EQ_INT(s->state, TA_SESSION_CLOSED);
		CHECK_EQ_INT(s->nested_opens, 0);
		CHECK_EQ_INT(s->end_serial, 37);
		n = ta_session_json(s, TA_SESSION_JSON_START, json, sizeof(json));
		CHECK(n > 0 && strstr(json, "\"host\":null,\"addr\":null") != NULL);
		CHECK(strstr(json, "end_time") == NULL);
	}
	s = ta_session_lookup(t, 7);
	CHECK(s && !strcmp(s->login_program, "cron") && s->state == TA_SESSION_OPEN);
	s = ta_session_lookup(t, 8);
	CHECK(s && !strcmp(s->user, "root") && !strcmp(s->host, "host-a.example") &&
	      !strcmp(s->terminal, "/dev/pts/3") && s->auid == 0);
	CHECK(ta_session_lookup(t, 3) == NULL);
	CHECK(ta_session_lookup_boot(t, "11111111-1111-1111-1111-111111111111", 8) == NULL);
	CHECK(ta_session_lookup_boot(t, BOOT, 8) == s);

	/* ttys noted by the capture layer */
	CHECK_EQ_INT(ta_session_note_tty(t, 8, "pts/3"), 0);
	CHECK_EQ_INT(ta_session_note_tty(t, 8, "pts/3"), 0);
	CHECK_EQ_INT(ta_session_note_tty(t, 8, "pts/4"), 0);
	CHECK_EQ_INT(ta_session_note_tty(t, 99, "pts/3"), -ENOENT);
	CHECK_EQ_INT(ta_session_note_tty(t, 8, ""), -EINVAL);
	CHECK_EQ_INT(ta_session_note_tty(t, 8, "a-name-that-is-far-too-long-for-a-tty"), -EINVAL);
	if (s) {
		CHECK_EQ_INT(s->n_ttys, 2);
		for (int i = 0; i < TA_SESSION_MAX_TTYS; i++) {
			char name[16];

			snprintf(name, sizeof(name), "tty%d", i);
			ta_session_note_tty(t, 8, name);
		}
		CHECK_EQ_INT(s->n_ttys, TA_SESSION_MAX_TTYS);
		CHECK_EQ_INT(s->ttys_dropped, 2);
		n = ta_session_json(s, TA_SESSION_JSON_UPDATE, json, sizeof(json));
		CHECK(n > 0 && strstr(json, "\"ttys\":[\"pts/3\",\"pts/4\",\"tty0\"") != NULL);
		CHECK(strstr(json, "\"type\":\"session_update\"") != NULL);
		CHECK(strstr(json, "\"ttys_dropped\":2}") != NULL);
	}

	/* failed logins */
	n = ta_login_failed_json(&l.v[10], BOOT, json, sizeof(json));
	CHECK(n > 0);
	CHECK_EQ_STR(json,
		"{\"type\":\"login_failed\",\"boot_id\":\"" BOOT "\",\"record_type\":\"USER_LOGIN\","
		"\"time\":\"2023-11-14T22:16:40.611Z\",\"serial\":19,\"op\":\"login\","
		"\"acct\":\"(invalid user)\",\"id\":null,\"pid\":7394,\"uid\":0,\"auid\":null,"
		"\"ses\":null,\"exe\":\"/usr/sbin/sshd\",\"host\":null,\"addr\":\"127.0.0.1\","
		"\"terminal\":\"sshd\",\"result\":\"failed\"}");
	n = ta_login_failed_json(&l.v[22], BOOT, json, sizeof(json));
	CHECK(n > 0 && strstr(json, "\"acct\":\"alice\\\\012\\\\033[2Jroot\"") != NULL);

	/* iteration and pruning */
	{
		size_t closed = ta_session_prune_closed(t);

		CHECK_EQ_INT(closed, 2);
		CHECK_EQ_INT(ta_session_table_count(t), 2);
		CHECK_EQ_INT(ta_session_remove(t, BOOT, 7), 0);
		CHECK_EQ_INT(ta_session_remove(t, BOOT, 7), -ENOENT);
		CHECK_EQ_INT(ta_session_table_count(t), 1);
	}
	ta_session_table_free(t);
	free(l.v);
	free(data);
}

static int count_cb(struct ta_login_session *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static void limits_and_odd_values(void)
{
	struct ta_session_table *t;
	struct ta_login_event ev;
	struct ta_login_session *ch, s;
	char json[4096];
	int count = 0;

	CHECK_EQ_INT(ta_session_table_new("not-a-boot-id-that-is-way-too-long-to-fit-in", 0, &t),
		     -EINVAL);
	CHECK_EQ_INT(ta_session_table_new(BOOT, 2, &t), 0);
	for (uint32_t ses = 10; ses < 13; ses++) {
		ta_login_event_init(&ev);
		ev.record_type = AUDIT_LOGIN;
		ev.pid = 500 + ses;
		ev.ses = ses;
		ev.auid = 0;
		ev.time_sec = 1700000000;
		ev.result = TA_LOGIN_RES_SUCCESS;
		CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), ses < 12 ? TA_SESSION_STARTED : -ENOSPC);
	}
	/* closing one makes room */
	ta_login_event_init(&ev);
	ev.record_type = AUDIT_USER_END;
	ev.pid = 510;
	ev.ses = 10;
	ev.time_sec = 1700000001;
	ev.result = TA_LOGIN_RES_SUCCESS;
	strcpy(ev.exe, "/usr/sbin/sshd");
	CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_ENDED);
	/* a record of a closed session changes nothing */
	CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_NO_CHANGE);
	ev.record_type = AUDIT_LOGIN;
	ev.ses = 12;
	ev.pid = 512;
	CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_STARTED);
	ta_session_foreach(t, count_cb, &count);
	CHECK_EQ_INT(count, 2);

	/* a dropped notice */
	ta_login_event_init(&ev);
	ev.msg_type = TA_LOGIN_MSG_DROPPED;
	ev.dropped = 7;
	ev.dropped_total = 9;
	CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_DROPPED);
	CHECK(ta_login_dropped_json(&ev, BOOT, json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"type\":\"login_records_dropped\"") != NULL);
	CHECK(strstr(json, "\"dropped\":7,\"dropped_total\":9") != NULL);
	ta_session_table_free(t);

	/* absurd times (claims from records) give null, never overflow */
	memset(&s, 0, sizeof(s));
	strcpy(s.boot_id, BOOT);
	s.ses = 1;
	s.start_sec = 1;
	s.end_sec = INT64_MAX / 10;
	s.state = TA_SESSION_CLOSED;
	CHECK(ta_session_json(&s, TA_SESSION_JSON_END, json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"duration_ms\":null") != NULL);
	CHECK(strstr(json, "\"end_time\":null") != NULL);
	s.start_sec = 1700000100;
	s.end_sec = 1700000000;
	CHECK(ta_session_json(&s, TA_SESSION_JSON_END, json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"duration_ms\":null") != NULL);

	/* backfilled session with hostile strings: JSON stays valid */
	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	memset(&s, 0, sizeof(s));
	strcpy(s.boot_id, BOOT);
	s.ses = 42;
	s.auid = 1001;
	strcpy(s.user, "a\"b\\c\x1b[1m\xff\xc3\xa9");
	CHECK_EQ_INT(ta_session_insert(t, &s), 0);
	CHECK_EQ_INT(ta_session_insert(t, &s), -EEXIST);
	ch = ta_session_lookup(t, 42);
	CHECK(ch && ch->backfilled && ch->state == TA_SESSION_OPEN);
	CHECK(ch && ta_session_json(ch, TA_SESSION_JSON_START, json, sizeof(json)) > 0);
	/* The log's one UTF-8 policy (docs/log-format.md): an invalid byte is \u00XX. */
	CHECK(strstr(json, "\"user\":\"a\\\"b\\\\c\\u001b[1m\\u00ff\xc3\xa9\"") != NULL);
	CHECK(strstr(json, "\"backfilled\":true") != NULL);
	CHECK(strstr(json, "\"start_time\":null") != NULL);
	ta_session_table_free(t);
}

static void boot_id(void)
{
	char *d = make_temp_dir("ta-bootid");
	char path[4200], id[TA_BOOT_ID_LEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s/boot_id", d);
	f = fopen(path, "w");
	fputs(BOOT "\n", f);
	fclose(f);
	CHECK_EQ_INT(ta_boot_id_read(path, id), 0);
	CHECK_EQ_STR(id, BOOT);
	f = fopen(path, "w");
	fputs("0d6e3f0a-1b2c-4d5e-8f90-a1b2c3d4e5fZ\n", f);
	fclose(f);
	CHECK_EQ_INT(ta_boot_id_read(path, id), -EBADMSG);
	f = fopen(path, "w");
	fputs("short\n", f);
	fclose(f);
	CHECK_EQ_INT(ta_boot_id_read(path, id), -EBADMSG);
	unlink(path);
	CHECK_EQ_INT(ta_boot_id_read(path, id), -ENOENT);
	/* the running kernel's */
	CHECK_EQ_INT(ta_boot_id_read(NULL, id), 0);
	CHECK_EQ_INT(strlen(id), 36);
	remove_temp_dir(d);
}

/* A session seen only on its terminal, then named by auditd: the login record still starts it. */
static void observed_then_login(void)
{
	struct ta_session_table *t;
	struct ta_login_session *s, *ch = NULL;
	struct ta_login_event ev;

	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	s = ta_session_observe(t, 77, 0);
	CHECK(s && s->observed && s->auid == 0 && s->state == TA_SESSION_OPEN);
	CHECK(s && !strcmp(s->user, "root")); /* this host's name for uid 0, kept in the log */
	CHECK(ta_session_observe(t, 77, 0) == NULL);   /* known already */
	CHECK(ta_session_observe(t, TA_LOGIN_UNSET, 0) == NULL);
	ta_login_event_init(&ev);
	ev.msg_type = TA_LOGIN_MSG_RECORD;
	ev.record_type = 1006; /* AUDIT_LOGIN */
	ev.ses = 77;
	ev.auid = 0;
	ev.pid = 4321;
	ev.result = TA_LOGIN_RES_SUCCESS;
	ev.time_sec = 1700000000;
	CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_STARTED);
	s = ta_session_lookup(t, 77);
	CHECK(s && !s->observed && s->login_pid == 4321 && s->start_sec == 1700000000);
	ta_session_table_free(t);

	/* A flood of self-made sessions takes at most half the table, never auditd's share. */
	CHECK_EQ_INT(ta_session_table_new(BOOT, 8, &t), 0);
	for (uint32_t i = 0; i < 3; i++) {
		ev.ses = 100 + i;
		CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_STARTED);
	}
	for (uint32_t i = 0; i < 100; i++)
		ta_session_observe(t, 1000 + i, 5000);
	CHECK(ta_session_table_count(t) <= 4 + 3);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(ta_session_lookup(t, 100 + i) != NULL);
	ev.ses = 200;
	CHECK_EQ_INT(ta_session_apply(t, &ev, &ch), TA_SESSION_STARTED);
	ta_session_table_free(t);
}

/* One login record: type, pid, exe, account, at second sec. */
static int rec(struct ta_session_table *t, int type, uint32_t ses, uint32_t pid, const char *exe,
	       const char *acct, int64_t sec, struct ta_login_session **ch)
{
	struct ta_login_event ev;

	ta_login_event_init(&ev);
	ev.msg_type = TA_LOGIN_MSG_RECORD;
	ev.record_type = type;
	ev.ses = ses;
	ev.auid = 1001;
	ev.pid = pid;
	ev.result = TA_LOGIN_RES_SUCCESS;
	ev.time_sec = sec;
	snprintf(ev.exe, sizeof(ev.exe), "%s", exe);
	snprintf(ev.acct, sizeof(ev.acct), "%s", acct);
	return ta_session_apply(t, &ev, ch);
}

/*
 * su and sudo open sessions inside a login, never one: after alice's logout a
 * process she left behind runs sudo (the session was closed and forgotten),
 * or her session is known only from its terminal. Before, the sudo record
 * started the session anew as root's, by sudo, and its end closed the live
 * session.
 */
static void nested_tools_never_own(void)
{
	struct ta_session_table *t;
	struct ta_login_session *ch, *s;

	CHECK_EQ_INT(ta_session_table_new(BOOT, 0, &t), 0);
	CHECK_EQ_INT(rec(t, AUDIT_LOGIN, 30, 900, "", "", 1700000000, &ch), TA_SESSION_STARTED);
	CHECK_EQ_INT(rec(t, AUDIT_USER_START, 30, 900, "/usr/sbin/sshd", "alice", 1700000000, &ch),
		     TA_SESSION_UPDATED);
	CHECK_EQ_INT(rec(t, AUDIT_USER_END, 30, 900, "/usr/sbin/sshd", "alice", 1700000100, &ch),
		     TA_SESSION_ENDED);
	CHECK_EQ_INT(ta_session_prune_closed(t), 1);
	CHECK_EQ_INT(ta_session_prune_closed(t), 0);
	CHECK_EQ_INT(rec(t, AUDIT_USER_START, 30, 950, "/usr/bin/sudo", "root", 1700000200, &ch),
		     TA_SESSION_NO_CHANGE);
	CHECK(ta_session_lookup(t, 30) == NULL);
	CHECK_EQ_INT(rec(t, AUDIT_USER_LOGIN, 30, 951, "/usr/bin/su", "root", 1700000200, &ch),
		     TA_SESSION_NO_CHANGE);
	CHECK(ta_session_lookup(t, 30) == NULL);

	s = ta_session_observe(t, 31, 1001);
	CHECK(s != NULL);
	CHECK_EQ_INT(rec(t, AUDIT_USER_START, 31, 960, "/usr/bin/sudo", "root", 1700000300, &ch),
		     TA_SESSION_NO_CHANGE);
	s = ta_session_lookup(t, 31);
	CHECK(s && s->observed && s->nested_opens == 1 && strcmp(s->login_program, "sudo") != 0);
	CHECK_EQ_INT(rec(t, AUDIT_USER_END, 31, 960, "/usr/bin/sudo", "root", 1700000301, &ch),
		     TA_SESSION_NO_CHANGE);
	s = ta_session_lookup(t, 31);
	CHECK(s && s->state == TA_SESSION_OPEN && s->nested_opens == 0);
	/* a login service's record still names it */
	CHECK_EQ_INT(rec(t, AUDIT_USER_START, 31, 970, "/usr/sbin/sshd", "alice", 1700000302, &ch),
		     TA_SESSION_STARTED);
	ta_session_table_free(t);
}

/*
 * Any process without a login uid starts a session with each write of
 * /proc/self/loginuid (a kernel LOGIN record naming no program), and none of
 * them ends: such a flood filled the table and the next real login got
 * ENOSPC. Now the sessions no login service vouches for make room, an eighth
 * of the table at a time, and the vouched-for ones stay.
 */
static void unverified_flood(void)
{
	struct ta_session_table *t;
	struct ta_login_session *ch;
	int refused = 0;

	CHECK_EQ_INT(ta_session_table_new(BOOT, 64, &t), 0);
	for (uint32_t i = 0; i < 8; i++) {
		CHECK_EQ_INT(rec(t, AUDIT_LOGIN, 100 + i, 1000 + i, "", "", 1700000000, &ch),
			     TA_SESSION_STARTED);
		CHECK_EQ_INT(rec(t, AUDIT_USER_START, 100 + i, 1000 + i, "/usr/sbin/sshd", "alice",
				 1700000000, &ch), TA_SESSION_UPDATED);
	}
	for (uint32_t i = 0; i < 1000; i++)
		refused += rec(t, AUDIT_LOGIN, 1000 + i, 5000 + i, "", "", 1700000001 + i / 10, &ch) ==
			   -ENOSPC;
	CHECK(refused < 1000);
	CHECK(ta_session_table_evicted(t) > 0);
	CHECK(ta_session_table_count(t) <= 64);
	for (uint32_t i = 0; i < 8; i++)
		CHECK(ta_session_lookup(t, 100 + i) != NULL);
	/* the next real login is not refused */
	CHECK_EQ_INT(rec(t, AUDIT_LOGIN, 5000, 9000, "", "", 1700000200, &ch), TA_SESSION_STARTED);
	CHECK_EQ_INT(rec(t, AUDIT_USER_START, 5000, 9000, "/usr/sbin/sshd", "bob", 1700000200, &ch),
		     TA_SESSION_UPDATED);
	CHECK(ta_session_lookup(t, 5000) != NULL);
	ta_session_table_free(t);
}

/* A login uid is vouched for only by a login service (issue 12). */
static void test_login_service(void)
{
	struct ta_login_session s;
	char json[2048];

	CHECK(ta_login_service("sshd"));
	CHECK(ta_login_service("sshd-session"));
	CHECK(ta_login_service("login"));
	CHECK(ta_login_service("cron"));
	CHECK(!ta_login_service(""));
	CHECK(!ta_login_service("bash"));
	CHECK(!ta_login_service("python3"));
	CHECK(!ta_login_service(NULL));
	/* The kernel's LOGIN record alone (echo 1004 > /proc/self/loginuid) names no program. */
	memset(&s, 0, sizeof(s));
	s.ses = 9;
	s.auid = 1004;
	s.state = TA_SESSION_OPEN;
	CHECK(ta_session_json(&s, TA_SESSION_JSON_START, json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"login_verified\":false") != NULL);
	snprintf(s.login_program, sizeof(s.login_program), "sshd");
	CHECK(ta_session_json(&s, TA_SESSION_JSON_START, json, sizeof(json)) > 0);
	CHECK(strstr(json, "\"login_verified\":true") != NULL);
}

int main(int argc, char **argv)
{
	test_login_service();
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	apply_corpus();
	limits_and_odd_values();
	observed_then_login();
	nested_tools_never_own();
	unverified_flood();
	boot_id();
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * make_log: writes a small log with the store API for the CLI tests, as the
 * daemon would (agent_start, session records, terminal batches, exec, loss),
 * in three segments. Session 7 (auid 4242, "alice" from 10.1.2.3 via sshd)
 * types "echo hi\r", sees hostile escape sequences, types a password
 * (redacted, 9 bytes), runs a command and resizes; session 8 (auid 1000) has
 * no login records; session 9 (auid 4242) is in the last segment only.
 *
 *   make_log DIR
 *   make_log DIR shared
 *   make_log DIR plain|shared ORIGIN   (the log's origin; default test/ttyaudit)
 *   make_log DIR retention             (then deletes every segment but the last, as the
 *                                      store's retention does; DIR may hold a log already)
 *   make_log DIR hostile-tty           (session 12 on two terminals, one named with an
 *                                      escape; session 13 prints "lit\u{202e}" and a real U+202E)
 *   make_log DIR hostile-view          (what a recorded user can do to the views: session 20
 *                                      sets a window size of 65535x65535; session 21 is on
 *                                      pts5 (30x100) and pts6 (50x200), which clears its screen;
 *                                      session 22's terminal is named pts"\n]3; session 23 has
 *                                      input injected by TIOCSTI, output written by another
 *                                      session, suspect output, and typed input that reads
 *                                      "[injected by TIOCSTI] rm"; session 24 prints 64 dots and
 *                                      a marked input line, then 40 wide characters, then what
 *                                      show --screen's header looks like)
 *   make_log DIR long-input            (session 30 types 16 MiB without Enter: 'a' to 'z'
 *                                      repeated, in 4 KiB key events, then "\r")
 *   make_log DIR hostile-nul           (a forged log's values holding an escaped NUL, which
 *                                      a C string would end there: session 40's login name
 *                                      root\u0000evil, its host, program, a terminal, a command,
 *                                      a loss reason, file paths, the start record's words;
 *                                      session 41's login name is root)
 *   make_log DIR hostile-long          (values longer than any fixed buffer: session 50's
 *                                      login name is 3 000 'U's, its host 300 'h's and
 *                                      ".example"; it runs /opt/<400 'd's>/tool with an
 *                                      argument of 5 000 'A's in /home/<400 'c's>, and
 *                                      opens /srv/<1 500 'p's>; then writes a file named as
 *                                      if the line went on ("x failed (Permission denied)")
 *                                      and renames /tmp/a -> /tmp/b to /etc/cron.d/x; session 51's
 *                                      user, host and second terminal hold spaces and what a
 *                                      row, a cell or a mark would show)
 *
 * Prints the expected streams of session 7 as JSON on stdout. With "shared",
 * writes a shared terminal instead (docs/shared-terminals.md), as ttyauditd
 * records it: alice (auid 4242, ses 10) owns a tmux pane pts6; bob (auid 1001,
 * ses 11, on pts7) attaches, types "echo bob\r" (exact) and "q" (timing) into
 * the pane, and detaches; alice types "ls\r" into it herself; "zz" has no
 * typist (none). attach, detach and attribution records are keyed by the
 * typist's session, as the daemon's store sink keys them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logfmt/tty_batch.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"

#define BOOT32 0x5e1c0a42u
#define T0 1767268800000000000ull /* 2026-01-01T12:00:00Z */

static struct ta_store *st;

static void die(const char *what, int err)
{
	fprintf(stderr, "make_log: %s: %d %s\n", what, err, st ? ta_store_message(st) : ta_store_open_error());
	exit(1);
}

static void json(uint16_t type, uint64_t t, uint32_t ses, const char *obj)
{
	int err = ta_store_append(st, type, t, ta_session_key(BOOT32, ses), obj, strlen(obj), NULL);
	if (err)
		die("append json", err);
}

static void tty_id(struct ta_tty_id *id, unsigned minor)
{
	memset(id, 0, sizeof(*id));
	id->major = 136;
	id->minor = minor;
	id->index = (int)minor;
	snprintf(id->name, sizeof(id->name), "pts%u", minor);
}

/* oflag: the terminal's output modes (TA_OF_UNKNOWN: as a version 1 log). */
static void entry_of(struct ta_batch_builder *b, uint8_t kind, uint64_t t, const void *d, size_t n,
		     uint16_t flags, uint32_t orig, uint32_t oflag)
{
	struct ta_tty_entry e = { .kind = kind, .source = 1, .flags = flags, .len = (uint32_t)n,
				  .orig_len = orig ? orig : (uint32_t)n, .pid = 4321, .uid = 4242,
				  .oflag = oflag };
	snprintf(e.comm, sizeof(e.comm), "bash");
	if (ta_batch_add(b, &e, t, d))
		die("batch add", -1);
}

/* Most entries: output processing off, what was written is what was shown. */
static void entry(struct ta_batch_builder *b, uint8_t kind, uint64_t t, const void *d, size_t n,
		  uint16_t flags, uint32_t orig)
{
	entry_of(b, kind, t, d, n, flags, orig, TA_OF_KNOWN);
}

static void flush(struct ta_batch_builder *b, uint32_t ses)
{
	size_t len;
	const void *p = ta_batch_payload(b, &len);
	int err = ta_store_append(st, TA_REC_TTY_DATA, b->hdr.start_ns, ta_session_key(BOOT32, ses),
				  p, len, NULL);
	if (err)
		die("append batch", err);
}

static const char *rfc(uint64_t ns, char *buf, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char d[32];

	gmtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, cap, "%s.%09uZ", d, (unsigned)(ns % 1000000000ull));
	return buf;
}

/* extra: members after client ("" or ",\"key\":value"). */
static void attribution(uint64_t at, uint32_t key_ses, const char *who, const char *conf,
			uint64_t start, uint64_t end, unsigned events, unsigned bytes, const char *client,
			const char *extra)
{
	char obj[2048], a[48], b[48];

	snprintf(obj, sizeof(obj),
		 "{\"type\":\"attribution\",%s,\"confidence\":\"%s\",\"pane\":\"pts6\",\"pane_dev\":\"136:6\","
		 "\"pane_owner_auid\":4242,\"pane_owner_ses\":10,\"server\":\"/run/shared-test/sock\","
		 "\"server_pid\":4000,\"start\":\"%s\",\"end\":\"%s\",\"events\":%u,\"bytes\":%u,\"client\":%s%s}",
		 who, conf, rfc(start, a, sizeof(a)), rfc(end, b, sizeof(b)), events, bytes, client, extra);
	json(TA_REC_ATTRIBUTION, at, key_ses, obj);
}

/* A client's attach to the test's server from ptsN; argv: its "argv" or "argv_unknown" member. */
static void attach(uint64_t at, uint32_t auid, uint32_t ses, uint32_t pid, int pts, const char *argv)
{
	char obj[2048], a[48];

	snprintf(obj, sizeof(obj),
		 "{\"type\":\"attach\",\"auid\":%u,\"ses\":%u,\"uid\":%u,\"pid\":%u,\"comm\":\"tmux: client\","
		 "\"tty\":\"pts%d\",\"tty_dev\":\"136:%d\",%s,"
		 "\"server\":\"/run/shared-test/sock\",\"server_pid\":4000,\"server_comm\":\"tmux: server\","
		 "\"attached_at\":\"%s\",\"evidence\":\"comm_hint\"}",
		 auid, ses, auid, pid, pts, pts, argv, rfc(at, a, sizeof(a)));
	json(TA_REC_ATTACH, at, ses, obj);
}

static void shared_terminal(void)
{
	struct ta_batch_builder b;
	struct ta_tty_id id;
	uint64_t t = T0 + 10000000000ull, t1 = t + 1000000000ull, t2 = t + 3000000000ull,
		 t3 = t + 5000000000ull, t4 = t + 7000000000ull;
	char obj[2048], a[48], a2[48];
	static const char bob_client[] = "{\"auid\":1001,\"ses\":11,\"uid\":1001,\"pid\":5000,"
		"\"comm\":\"tmux: client\",\"tty\":\"pts7\",\"tty_dev\":\"136:7\",\"attached\":true}";
	static const char alice_client[] = "{\"auid\":4242,\"ses\":10,\"uid\":4242,\"pid\":4100,"
		"\"comm\":\"tmux: client\",\"tty\":\"pts5\",\"tty_dev\":\"136:5\",\"attached\":true}";

	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":1}");
	json(TA_REC_SESSION_START, t, 10,
	     "{\"type\":\"session_start\",\"ses\":10,\"auid\":4242,\"user\":\"alice\",\"login_program\":\"sshd\","
	     "\"host\":\"a.example\",\"addr\":\"10.0.0.1\",\"result\":\"success\"}");
	json(TA_REC_SESSION_START, t + 100000000, 11,
	     "{\"type\":\"session_start\",\"ses\":11,\"auid\":1001,\"user\":\"bob\",\"login_program\":\"sshd\","
	     "\"host\":\"b.example\",\"addr\":\"10.0.0.2\",\"result\":\"success\"}");
	attach(t + 500000000, 1001, 11, 5000, 7,
	       "\"argv\":[\"tmux\",\"-S\",\"/run/shared-test/sock\",\"attach\"]");

	ta_batch_init(&b);
	/* The pane (alice's session): what the server wrote into it, in microseconds. */
	tty_id(&id, 6);
	ta_batch_begin(&b, &id, 10, 4242, t);
	entry(&b, TA_ENTRY_OUTPUT, t + 1000, "$ ", 2, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t1, "l", 1, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_INPUT, t1 + 80000000, "s", 1, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_INPUT, t1 + 160000000, "\r", 1, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_OUTPUT, t1 + 170000000, "ls\r\nfile\r\n$ ", 12, 0, 0);
	for (int i = 0; i < 9; i++)
		entry(&b, TA_ENTRY_INPUT, t2 + (uint64_t)i * 80000000 + 123456, &"echo bob\r"[i], 1, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_OUTPUT, t2 + 800000000, "echo bob\r\nbob\r\n$ ", 17, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t3, "q", 1, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_INPUT, t4, "zz", 2, TA_F_ECHO, 0);
	flush(&b, 10);
	/* bob's own terminal: the keys he typed into his tmux client. */
	tty_id(&id, 7);
	ta_batch_begin(&b, &id, 11, 1001, t2);
	entry(&b, TA_ENTRY_INPUT, t2, "echo bob\r", 9, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_OUTPUT, t2 + 800000000, "\x1b[Hbob\r\n", 8, 0, 0);
	flush(&b, 11);
	ta_batch_free(&b);

	/* The runs, each after it ended (the tracker closes a run after 500 ms without input). */
	attribution(t1 + 700000000, 10, "\"auid\":4242,\"ses\":10", "exact", t1, t1 + 160000000, 3, 3,
		    alice_client, "");
	attribution(t2 + 1300000000, 11, "\"auid\":1001,\"ses\":11", "exact", t2 + 123456,
		    t2 + 8 * 80000000 + 123456, 9, 9, bob_client, "");
	attribution(t3 + 600000000, 11, "\"auid\":1001,\"ses\":11", "timing", t3, t3, 1, 1, bob_client, "");
	attribution(t4 + 600000000, UINT32_MAX, "\"auid\":null,\"ses\":null", "none", t4, t4, 1, 2, "null", "");
	snprintf(obj, sizeof(obj),
		 "{\"type\":\"detach\",\"auid\":1001,\"ses\":11,\"uid\":1001,\"pid\":5000,\"comm\":\"tmux: client\","
		 "\"tty\":\"pts7\",\"tty_dev\":\"136:7\",\"server\":\"/run/shared-test/sock\",\"server_pid\":4000,"
		 "\"server_comm\":\"tmux: server\",\"attached_at\":\"%s\",\"detached_at\":\"%s\",\"reason\":\"exit\","
		 "\"exit_code\":0}", rfc(t + 500000000, a, sizeof(a)), rfc(t3 + 900000000, a2, sizeof(a2)));
	json(TA_REC_DETACH, t3 + 900000000, 11, obj);
	json(TA_REC_SESSION_END, t4 + 900000000, 11,
	     "{\"type\":\"session_end\",\"ses\":11,\"auid\":1001,\"user\":\"bob\"}");
}

/*
 * What the tracker could not vouch for (docs/shared-terminals.md): carol's
 * client (session 20) attached after the argv cache had evicted its exec's,
 * and a run of hers in alice's pane attributed with 70 attached clients not
 * looked at.
 */
static void shared_partial(void)
{
	struct ta_batch_builder b;
	struct ta_tty_id id;
	uint64_t t = T0 + 10000000000ull, t1 = t + 2000000000ull;

	json(TA_REC_SESSION_START, t, 20,
	     "{\"type\":\"session_start\",\"ses\":20,\"auid\":1002,\"user\":\"carol\",\"login_program\":\"sshd\","
	     "\"host\":\"c.example\",\"addr\":\"10.0.0.3\",\"result\":\"success\"}");
	attach(t + 500000000, 1002, 20, 5100, 8, "\"argv_unknown\":\"evicted\"");
	ta_batch_init(&b);
	tty_id(&id, 8);
	ta_batch_begin(&b, &id, 20, 1002, t1);
	entry(&b, TA_ENTRY_INPUT, t1, "id\r", 3, TA_F_ECHO, 0);
	flush(&b, 20);
	ta_batch_free(&b);
	attribution(t1 + 600000000, 20, "\"auid\":1002,\"ses\":20", "ambiguous", t1, t1, 3, 3, "null",
		    ",\"candidates_skipped\":70");
}

/*
 * Session 12 (auid 4242) on two terminals, the second named with an OSC title
 * sequence: the kernel names terminals, but a log (a fleet host's) can say
 * anything, and show prints the name on every line of such a session.
 */
static void hostile_tty_name(void)
{
	struct ta_batch_builder b;
	struct ta_tty_id id;
	uint64_t t = T0 + 2000000;

	/* A forged start record: status prints its words. */
	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"1\\u001b]0;v\\u0007\",\"backend\":"
	     "\"trace\\u009b2J\",\"integrity\":\"\\u202ekernel\",\"programs\":\"full\\u001b[1m\","
	     "\"programs_limitations\":\"x\\u001b[2K\",\"pid\":1}");
	ta_batch_init(&b);
	tty_id(&id, 3);
	ta_batch_begin(&b, &id, 12, 4242, t);
	entry(&b, TA_ENTRY_OUTPUT, t, "first\r\n", 7, 0, 0);
	flush(&b, 12);
	tty_id(&id, 4);
	snprintf(id.name, sizeof(id.name), "pt\x1b]0;T\x07s4");
	ta_batch_begin(&b, &id, 12, 4242, t + 1000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 1000000, "second\r\n", 8, 0, 0);
	flush(&b, 12);
	/* Session 13 prints a typed-looking escape, then the real bidi override. */
	tty_id(&id, 5);
	ta_batch_begin(&b, &id, 13, 4242, t + 2000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 2000000, "lit\\u{202e}\r\nreal\xe2\x80\xae\r\n", 22, 0, 0);
	flush(&b, 13);
	ta_batch_free(&b);
}

/* What a recorded user can do to the investigator's views (hostile_view's sessions). */
static void hostile_view(void)
{
	struct ta_batch_builder b;
	struct ta_tty_id id;
	uint64_t t = T0 + 2000000;
	uint16_t huge[4] = { 65535, 65535, 0, 0 }, usual[4] = { 30, 100, 0, 0 };

	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":1}");
	ta_batch_init(&b);
	/* Session 20: stty rows 65535 cols 65535, a usual size, then the huge one again. */
	tty_id(&id, 3);
	ta_batch_begin(&b, &id, 20, 4242, t);
	entry(&b, TA_ENTRY_WINSIZE, t, huge, sizeof(huge), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 1000, "huge\r\n", 6, 0, 0);
	entry(&b, TA_ENTRY_WINSIZE, t + 2000, usual, sizeof(usual), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 3000, "usual\r\n", 7, 0, 0);
	entry(&b, TA_ENTRY_WINSIZE, t + 4000, huge, sizeof(huge), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 5000, "huge again\r\n", 12, 0, 0);
	flush(&b, 20);
	/* Session 21 on two terminals (script(1), an ssh chain): their screens are not one. */
	uint16_t ws5[4] = { 30, 100, 0, 0 }, ws6[4] = { 50, 200, 0, 0 };
	tty_id(&id, 5);
	ta_batch_begin(&b, &id, 21, 4242, t + 10000);
	entry(&b, TA_ENTRY_WINSIZE, t + 10000, ws5, sizeof(ws5), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 30000, "on pts5\r\n", 9, 0, 0);
	flush(&b, 21);
	tty_id(&id, 6);
	ta_batch_begin(&b, &id, 21, 4242, t + 20000);
	entry(&b, TA_ENTRY_WINSIZE, t + 20000, ws6, sizeof(ws6), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 40000, "\x1b[2Jon pts6\r\n", 13, 0, 0);
	flush(&b, 21);
	/* Session 22: a terminal name (a forged or fleet log's) that would end a typescript's header. */
	tty_id(&id, 7);
	snprintf(id.name, sizeof(id.name), "pts\"\n]3");
	ta_batch_begin(&b, &id, 22, 4242, t + 50000);
	entry(&b, TA_ENTRY_OUTPUT, t + 50000, "named\r\n", 7, 0, 0);
	flush(&b, 22);
	/* Session 23: what was not typed or shown by the session's own, or is not vouched for. */
	tty_id(&id, 8);
	ta_batch_begin(&b, &id, 23, 4242, t + 60000);
	entry(&b, TA_ENTRY_INPUT, t + 60000, "id\r", 3, TA_F_ECHO | TA_F_INJECTED, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 70000, "wall: reboot\r\n", 14, TA_F_OTHER_SESSION, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 80000, "odd\r\n", 5, TA_F_SUSPECT, 0);
	/* Typed, not injected: the words of the old inline mark. */
	entry(&b, TA_ENTRY_INPUT, t + 90000, "[injected by TIOCSTI] rm\r", 25, 0, 0);
	flush(&b, 23);
	/*
	 * Session 24: output as wide as an 80-column row after show's mark, then what a
	 * marked input line looks like: the terminal wraps it to the start of a row. And a
	 * line of 40 wide characters (80 columns): cut by columns, not bytes.
	 */
	static const char wrap[] = "................................................................"
				   "12:00:00.002 i| sudo cat /etc/shadow\r\n";
	char wide[40 * 3 + 3];
	for (int i = 0; i < 40; i++)
		memcpy(wide + 3 * i, "\xe5\xad\x97", 3); /* U+5B57, two columns */
	memcpy(wide + 120, "\r\n", 3);
	tty_id(&id, 9);
	ta_batch_begin(&b, &id, 24, 4242, t + 100000);
	entry(&b, TA_ENTRY_OUTPUT, t + 100000, wrap, sizeof(wrap) - 1, 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 110000, wide, 122, 0, 0);
	/* What show --screen's header looks like, printed at the start of a row. */
	static const char fake[] = "# screen of session 5e1c0a42-99 at 2026-01-01 09:00:00.000: "
				   "24 rows x 80 cols\r\n";
	entry(&b, TA_ENTRY_OUTPUT, t + 120000, fake, sizeof(fake) - 1, 0, 0);
	flush(&b, 24);
	ta_batch_free(&b);
}

/*
 * Values a forged (or fleet host's) log may hold: "root\u0000evil" is another
 * name than "root" (jq shows all of it), and every view must show and match
 * it whole. Session 41 is root's.
 */
static void hostile_nul(void)
{
	struct ta_batch_builder b;
	struct ta_tty_id id;
	uint64_t t = T0 + 2000000;

	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\\u0000forged\",\"backend\":"
	     "\"tracepoint\\u0000x\",\"integrity\":\"kernel\\u0000 forged\",\"programs\":\"full\",\"pid\":1}");
	/* start_time cut at its NUL would read as a time half a year earlier. */
	json(TA_REC_SESSION_START, t, 40,
	     "{\"type\":\"session_start\",\"ses\":40,\"auid\":4242,\"user\":\"root\\u0000evil\","
	     "\"login_program\":\"sshd\\u0000x\",\"host\":\"good.example\\u0000evil.example\","
	     "\"addr\":\"10.9.9.9\",\"terminal\":\"ssh\",\"result\":\"success\","
	     "\"start_time\":\"2025-06-01T00:00:00Z\\u0000\"}");
	ta_batch_init(&b);
	tty_id(&id, 3);
	ta_batch_begin(&b, &id, 40, 4242, t + 1000);
	entry(&b, TA_ENTRY_OUTPUT, t + 1000, "hi\r\n", 4, 0, 0);
	flush(&b, 40);
	json(TA_REC_EXEC, t + 2000, 40,
	     "{\"v\":1,\"type\":\"exec\",\"pid\":4400,\"uid\":0,\"auid\":4242,\"ses\":40,"
	     "\"tty\":\"pts3\\u0000x\",\"filename\":\"/usr/bin/id\\u0000x\",\"argv\":[\"id\\u0000x\",\"-u\"],"
	     "\"argv_truncated\":false,\"exe\":\"/usr/bin/id\"}");
	json(TA_REC_LOSS, t + 3000, 40,
	     "{\"type\":\"gap\",\"reason\":\"ring_full\\u0000forged\",\"ses\":40,\"auid\":4242,"
	     "\"events\":1,\"bytes\":2}");
	/* Neither names /etc/shadow: an op or a path is what it is whole. */
	json(TA_REC_FOOTPRINT, t + 4000, 40,
	     "{\"type\":\"footprint\",\"pid\":4400,\"uid\":0,\"auid\":4242,\"ses\":40,\"comm\":\"cat\","
	     "\"op\":\"open\",\"ret\":3,\"path\":\"/etc/shadow\\u0000x\",\"flags\":\"rdonly\"}");
	json(TA_REC_FOOTPRINT, t + 5000, 40,
	     "{\"type\":\"footprint\",\"pid\":4400,\"uid\":0,\"auid\":4242,\"ses\":40,\"comm\":\"cat\","
	     "\"op\":\"open\\u0000x\",\"ret\":3,\"path\":\"/etc/passwd\",\"flags\":\"rdonly\"}");
	json(TA_REC_SESSION_START, t + 10000, 41,
	     "{\"type\":\"session_start\",\"ses\":41,\"auid\":0,\"user\":\"root\",\"login_program\":\"sshd\","
	     "\"host\":\"admin.example\",\"addr\":\"10.9.9.1\",\"terminal\":\"ssh\",\"result\":\"success\"}");
	tty_id(&id, 4);
	ta_batch_begin(&b, &id, 41, 0, t + 11000);
	entry(&b, TA_ENTRY_OUTPUT, t + 11000, "root\r\n", 6, 0, 0);
	flush(&b, 41);
	ta_batch_free(&b);
}

/* n copies of c at p: the end of them. */
static char *run_of(char *p, char c, size_t n)
{
	memset(p, c, n);
	return p + n;
}

/* Values of a forged (or fleet host's) log no fixed buffer holds: shown and matched whole. */
static void hostile_long(void)
{
	char *js = malloc(16384), *p;
	uint64_t t = T0 + 3000000;

	if (!js)
		die("malloc", -12);
	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":1}");
	p = js + sprintf(js, "{\"type\":\"session_start\",\"ses\":50,\"auid\":4242,\"user\":\"");
	p = run_of(p, 'U', 3000);
	p += sprintf(p, "\",\"login_program\":\"sshd\",\"host\":\"");
	p = run_of(p, 'h', 300);
	sprintf(p, ".example\",\"addr\":\"10.9.9.50\",\"terminal\":\"ssh\",\"result\":\"success\"}");
	json(TA_REC_SESSION_START, t, 50, js);
	p = js + sprintf(js, "{\"v\":1,\"type\":\"exec\",\"pid\":4500,\"uid\":0,\"auid\":4242,\"ses\":50,"
			 "\"tty\":\"pts3\",\"filename\":\"/opt/");
	p = run_of(p, 'd', 400);
	p += sprintf(p, "/tool\",\"argv\":[\"tool\",\"");
	p = run_of(p, 'A', 5000);
	p += sprintf(p, "\"],\"argv_truncated\":false,\"exe\":\"/opt/");
	p = run_of(p, 'd', 400);
	p += sprintf(p, "/tool\",\"cwd\":\"/home/");
	p = run_of(p, 'c', 400);
	sprintf(p, "\"}");
	json(TA_REC_EXEC, t + 1000, 50, js);
	p = js + sprintf(js, "{\"type\":\"footprint\",\"pid\":4500,\"uid\":0,\"auid\":4242,\"ses\":50,"
			 "\"comm\":\"tool\",\"op\":\"open\",\"ret\":3,\"path\":\"/srv/");
	p = run_of(p, 'p', 1500);
	sprintf(p, "\",\"flags\":\"rdonly\"}");
	json(TA_REC_FOOTPRINT, t + 2000, 50, js);
	json(TA_REC_FOOTPRINT, t + 3000, 50,
	     "{\"type\":\"footprint\",\"pid\":4500,\"uid\":0,\"auid\":4242,\"ses\":50,\"comm\":\"tool\","
	     "\"op\":\"open\",\"ret\":3,\"path\":\"/etc/sudoers.d/x failed (Permission denied)\","
	     "\"flags\":\"wronly\"}");
	json(TA_REC_FOOTPRINT, t + 4000, 50,
	     "{\"type\":\"footprint\",\"pid\":4500,\"uid\":0,\"auid\":4242,\"ses\":50,\"comm\":\"tool\","
	     "\"op\":\"rename\",\"ret\":0,\"path\":\"/tmp/a -> /tmp/b\",\"path2\":\"/etc/cron.d/x\"}");
	/*
	 * Session 51: names that read as more of a row or a header (a user of "mallory",
	 * 150 spaces and what a row of root's shows; a host ending in a VIA cell) and a
	 * second terminal named as if a marked line went on.
	 */
	p = js + sprintf(js, "{\"type\":\"session_start\",\"ses\":51,\"auid\":4243,\"user\":\"mallory");
	p = run_of(p, ' ', 150);
	sprintf(p, "5e1c0a42-99          root(0)\",\"login_program\":\"sshd\",\"host\":"
		"\"ok.example     sshd       \",\"addr\":\"10.9.9.51\",\"terminal\":\"ssh\","
		"\"result\":\"success\"}");
	json(TA_REC_SESSION_START, t + 5000, 51, js);
	{
		struct ta_batch_builder b;
		struct ta_tty_id id;

		ta_batch_init(&b);
		tty_id(&id, 5);
		ta_batch_begin(&b, &id, 51, 4243, t + 6000);
		entry(&b, TA_ENTRY_OUTPUT, t + 6000, "one\r\n", 5, 0, 0);
		flush(&b, 51);
		tty_id(&id, 6);
		snprintf(id.name, sizeof(id.name), "p i| sudo id #");
		ta_batch_begin(&b, &id, 51, 4243, t + 7000);
		entry(&b, TA_ENTRY_OUTPUT, t + 7000, "two\r\n", 5, 0, 0);
		flush(&b, 51);
		ta_batch_free(&b);
	}
	free(js);
}

/* Session 30: one line of 16 MiB typed without Enter (a paste, a stuck key), then Enter. */
static void long_input(void)
{
	struct ta_batch_builder b;
	struct ta_tty_id id;
	uint64_t t = T0 + 2000000;
	char keys[4096];

	for (size_t i = 0; i < sizeof(keys); i++)
		keys[i] = (char)('a' + i % 26);
	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":1}");
	ta_batch_init(&b);
	tty_id(&id, 3);
	for (int batch = 0; batch < 64; batch++) {
		ta_batch_begin(&b, &id, 30, 4242, t);
		for (int k = 0; k < 64; k++, t += 1000)
			entry(&b, TA_ENTRY_INPUT, t, keys, sizeof(keys), 0, 0);
		flush(&b, 30);
	}
	ta_batch_begin(&b, &id, 30, 4242, t);
	entry(&b, TA_ENTRY_INPUT, t, "\r", 1, 0, 0);
	flush(&b, 30);
	/*
	 * Session 31: 32 MiB of output whose only window size comes at its end:
	 * a player's header has to read the whole session for it. The agent
	 * restarted in the middle, and an event of no session was lost: log-wide
	 * gaps inside the session.
	 */
	char out[4096];
	uint16_t ws[4] = { 40, 120, 0, 0 };
	tty_id(&id, 4);
	t += 1000000;
	for (int batch = 0, line = 0; batch < 128; batch++) {
		ta_batch_begin(&b, &id, 31, 4242, t);
		for (int k = 0; k < 64; k++, t += 1000) {
			for (size_t o = 0; o < sizeof(out); o += 32) {
				char l[33]; /* 32 bytes a line */
				snprintf(l, sizeof(l), "line %07d, the bulk output.\r\n", line++);
				memcpy(out + o, l, 32);
			}
			entry(&b, TA_ENTRY_OUTPUT, t, out, sizeof(out), 0, 0);
		}
		if (batch == 127)
			entry(&b, TA_ENTRY_WINSIZE, t, ws, sizeof(ws), 0, 0);
		flush(&b, 31);
		if (batch == 63)
			json(TA_REC_AGENT_START, t, UINT32_MAX, "{\"type\":\"agent_start\",\"version\":"
			     "\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":2}");
		if (batch == 95)
			json(TA_REC_LOSS, t, UINT32_MAX,
			     "{\"type\":\"gap\",\"reason\":\"ring_full\",\"events\":1,\"bytes\":7}");
	}
	/*
	 * Session 32: script(1) in an ssh session, the batches of its two
	 * terminals overlapping (something is always pending), and a loop of
	 * execs between them (800 a batch, 102 400 in all): the views must hold
	 * neither to the end.
	 */
	char exec_json[256];
	t += 1000000;
	for (int pair = 0; pair < 128; pair++, t += 1000000) {
		for (int term = 0; term < 2; term++) {
			uint64_t start = t + (uint64_t)term * 500000;
			memset(out, term ? '6' : '5', 2048);
			out[2046] = '\r';
			out[2047] = '\n';
			tty_id(&id, 5 + (unsigned)term);
			ta_batch_begin(&b, &id, 32, 4242, start);
			for (int k = 0; k < 64; k++)
				entry(&b, TA_ENTRY_OUTPUT, start + (uint64_t)k * 10000, out, 2048, 0, 0);
			flush(&b, 32);
		}
		for (int x = 0; x < 800; x++) {
			snprintf(exec_json, sizeof(exec_json),
				 "{\"v\":1,\"type\":\"exec\",\"pid\":%d,\"uid\":4242,\"auid\":4242,\"ses\":32,"
				 "\"tty\":\"pts5\",\"filename\":\"/bin/true\",\"argv\":[\"true\",\"%d\"],"
				 "\"argv_truncated\":false,\"exe\":\"/usr/bin/true\"}", 10000 + x, pair * 800 + x);
			json(TA_REC_EXEC, t + 500000 + (uint64_t)x * 600, 32, exec_json);
		}
	}
	/*
	 * Session 33: output, an exec whose argv is long enough to be stored
	 * compressed (the test damages its payload), then more output.
	 */
	char big_exec[2048];
	tty_id(&id, 7);
	ta_batch_begin(&b, &id, 33, 4242, t);
	entry(&b, TA_ENTRY_OUTPUT, t, "before the exec\r\n", 17, 0, 0);
	flush(&b, 33);
	snprintf(big_exec, sizeof(big_exec), "{\"v\":1,\"type\":\"exec\",\"pid\":9,\"uid\":4242,"
		 "\"auid\":4242,\"ses\":33,\"tty\":\"pts7\",\"filename\":\"/bin/echo\",\"argv\":"
		 "[\"echo\",\"%01500d\"],\"argv_truncated\":false,\"exe\":\"/usr/bin/echo\"}", 7);
	json(TA_REC_EXEC, t + 1000, 33, big_exec);
	ta_batch_begin(&b, &id, 33, 4242, t + 2000);
	entry(&b, TA_ENTRY_OUTPUT, t + 2000, "after the exec\r\n", 16, 0, 0);
	flush(&b, 33);
	ta_batch_free(&b);
}

int main(int argc, char **argv)
{
	/* ORIGIN: the fleet test ships several of these logs, one origin per host. */
	int shared = argc >= 3 && !strcmp(argv[2], "shared");
	int hostile_tty = argc == 3 && !strcmp(argv[2], "hostile-tty");
	int hview = argc == 3 && !strcmp(argv[2], "hostile-view");
	int long_in = argc == 3 && !strcmp(argv[2], "long-input");
	int hnul = argc == 3 && !strcmp(argv[2], "hostile-nul");
	int hlong = argc == 3 && !strcmp(argv[2], "hostile-long");
	int retention = argc == 3 && !strcmp(argv[2], "retention");
	int spartial = argc == 3 && !strcmp(argv[2], "shared-partial");
	if (argc < 2 || argc > 4 ||
	    (argc >= 3 && !shared && !hostile_tty && !hview && !long_in && !hnul && !hlong && !retention &&
	     !spartial && strcmp(argv[2], "plain"))) {
		fprintf(stderr, "usage: make_log DIR [shared|plain [ORIGIN]|hostile-tty|hostile-view|"
			"hostile-nul|hostile-long|long-input|retention|shared-partial]\n");
		return 2;
	}
	struct ta_store_opts o = { .dir = argv[1], .no_append_only = 1,
				   .origin = argc == 4 ? argv[3] : "test/ttyaudit",
				   .retain_max_bytes = retention ? 1 : 0 };
	int err = ta_store_open(&st, &o);
	if (err)
		die("open", err);
	if (hostile_tty || hview || long_in || hnul || hlong || spartial) {
		if (spartial)
			shared_partial();
		else if (hnul)
			hostile_nul();
		else if (hlong)
			hostile_long();
		else if (long_in)
			long_input();
		else if (hview)
			hostile_view();
		else
			hostile_tty_name();
		if ((err = ta_store_close(st)))
			die("close", err);
		return 0;
	}
	if (shared) {
		shared_terminal();
		if ((err = ta_store_close(st)))
			die("close", err);
		printf("{\"pane_session\":\"5e1c0a42-10\",\"typist_session\":\"5e1c0a42-11\"}\n");
		return 0;
	}
	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":1}");
	json(TA_REC_SESSION_START, T0 + 1000000, 7,
	     "{\"type\":\"session_start\",\"boot_id\":\"5e1c0a42-0000-4000-8000-000000000000\","
	     "\"ses\":7,\"auid\":4242,\"user\":\"alice\",\"login_program\":\"sshd\",\"exe\":\"/usr/sbin/sshd\","
	     "\"host\":\"client.example\",\"addr\":\"10.1.2.3\",\"terminal\":\"ssh\",\"result\":\"success\","
	     "\"start_time\":\"2026-01-01T12:00:00.001Z\"}");

	struct ta_batch_builder b;
	struct ta_tty_id id;
	ta_batch_init(&b);
	tty_id(&id, 3);
	uint64_t t = T0 + 2000000;
	ta_batch_begin(&b, &id, 7, 4242, t);
	uint16_t ws[4] = { 24, 80, 0, 0 };
	entry(&b, TA_ENTRY_WINSIZE, t, ws, sizeof(ws), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 1000, "$ ", 2, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t + 500000000, "echo hi\r", 8, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 500100000, "echo hi\r\n", 9, 0, 0);
	flush(&b, 7);
	ta_store_rotate(st);

	/* Session 8 interleaves; no login records. */
	tty_id(&id, 4);
	ta_batch_begin(&b, &id, 8, 1000, t + 600000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 600000000, "other session\r\n", 15, 0, 0);
	flush(&b, 8);

	/* Hostile output: OSC title, OSC 52 clipboard, cursor up + erase, DCS, 8-bit CSI,
	 * UTF-8 C1, bidi override. Split across two entries mid-UTF-8. */
	static const char hostile1[] = "hi\r\n\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07"
				       "\x1b[1A\x1b[2K\x1bP+q544e\x1b\\\x9b" "31m\xc2\x9b" "0m\xe2\x80";
	static const char hostile2[] = "\xae" "txt.exe\r\n";
	tty_id(&id, 3);
	ta_batch_begin(&b, &id, 7, 4242, t + 700000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 700000000, hostile1, sizeof(hostile1) - 1, 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 700000100, hostile2, sizeof(hostile2) - 1, 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 800000000, "Password: ", 10, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t + 900000000, NULL, 0, TA_F_REDACTED | TA_F_ICANON, 9);
	entry(&b, TA_ENTRY_OUTPUT, t + 950000000, "\r\n", 2, 0, 0);
	flush(&b, 7);
	json(TA_REC_EXEC, t + 960000000, 7,
	     "{\"v\":1,\"type\":\"exec\",\"pid\":4400,\"uid\":0,\"auid\":4242,\"ses\":7,\"tty\":\"pts3\","
	     "\"filename\":\"/usr/bin/sudo\",\"argv\":[\"sudo\",\"cat\",\"/etc/shadow\"],\"argv_truncated\":false,\"exe\":\"/usr/bin/sudo\",\"exe_truncated\":true}");
	json(TA_REC_LOSS, t + 970000000, 7,
	     "{\"type\":\"gap\",\"reason\":\"ring_full\",\"ses\":7,\"auid\":4242,\"events\":3,\"bytes\":1234}");
	ta_store_rotate(st);

	ta_batch_begin(&b, &id, 7, 4242, t + 1000000000);
	uint16_t ws2[4] = { 40, 100, 0, 0 };
	entry(&b, TA_ENTRY_WINSIZE, t + 1000000000, ws2, sizeof(ws2), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 1100000000, "bye \xe2\x9c\x93\r\n", 9, 0, 0);
	flush(&b, 7);
	json(TA_REC_SESSION_END, t + 1200000000, 7,
	     "{\"type\":\"session_end\",\"ses\":7,\"auid\":4242,\"user\":\"alice\",\"end_time\":\"2026-01-01T12:00:01.202Z\"}");
	tty_id(&id, 5);
	ta_batch_begin(&b, &id, 9, 4242, t + 2000000000);
	/* A program's "\n" that the terminal showed as "\r\n" (ONLCR). */
	entry_of(&b, TA_ENTRY_OUTPUT, t + 2000000000, "third session\n", 14, 0, 0,
		 TA_OF_KNOWN | TA_OF_OPOST | TA_OF_ONLCR);
	entry_of(&b, TA_ENTRY_OUTPUT, t + 2000000100, "\tx\n", 3, 0, 0, TA_OF_UNKNOWN);
	/* readline sets the same size at every prompt; a secret typed key by key. */
	uint16_t ws3[4] = { 30, 90, 0, 0 };
	for (int i = 0; i < 3; i++)
		entry(&b, TA_ENTRY_WINSIZE, t + 2000000200 + (uint64_t)i, ws3, sizeof(ws3), 0, 0);
	for (int i = 0; i < 4; i++)
		entry(&b, TA_ENTRY_INPUT, t + 2000001000 + (uint64_t)i * 1000, NULL, 0,
		      TA_F_REDACTED | TA_F_ICANON, 1);
	entry(&b, TA_ENTRY_INPUT, t + 2100000000, "exit\n", 5, TA_F_ECHO, 0);
	flush(&b, 9);
	/* Session 9 lost a batch to a full disk; 1 of its events (10 bytes) was session 8's
	 * output to its terminal, lost in session 8's batch too: status counts it once. */
	json(TA_REC_LOSS, t + 2100000001, 9,
	     "{\"type\":\"gap\",\"reason\":\"disk_full\",\"ses\":9,\"tty\":\"pts5\","
	     "\"since\":\"2026-01-01T12:00:02.000Z\",\"until\":\"2026-01-01T12:00:02.100Z\","
	     "\"events\":4,\"bytes\":100,\"copied_events\":1,\"copied_bytes\":10}");
	/* An event of no session lost on the same full disk: status says it is no session's. */
	json(TA_REC_LOSS, t + 2100000002, UINT32_MAX,
	     "{\"type\":\"gap\",\"reason\":\"disk_full\",\"events\":1,\"bytes\":0}");
	ta_batch_free(&b);
	if (retention && (err = ta_store_retention(st, T0)) < 0)
		die("retention", err);
	err = ta_store_close(st);
	if (err)
		die("close", err);
	printf("{\"session\":\"5e1c0a42-7\"}\n");
	return 0;
}

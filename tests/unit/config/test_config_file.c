// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyauditd.conf: the parser, its errors with line numbers, precedence, reload. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "base/exitcodes.h"
#include "config/config_file.h"

static struct ta_daemon_opts o;
static struct ta_store_opts st;
static char err[512];

static int parse(const char *text)
{
	ta_daemon_opts_defaults(&o);
	memset(&st, 0, sizeof(st));
	return ta_config_text_parse(&o, &st, "ttyauditd.conf", text, strlen(text), err,
				    sizeof(err));
}

/* A bad text must fail with exactly this message (file, line, key, reason). */
static void check_error(const char *text, const char *want, int line)
{
	char prefix[64];

	CHECK_EQ_INT(parse(text), -EINVAL);
	snprintf(prefix, sizeof(prefix), "ttyauditd.conf:%d: ", line);
	if (strncmp(err, prefix, strlen(prefix)) != 0) {
		fprintf(stderr, "want prefix '%s' in '%s'\n", prefix, err);
		CHECK(0);
	}
	CHECK_EQ_STR(err + (strncmp(err, prefix, strlen(prefix)) ? 0 : strlen(prefix)), want);
}

static void test_good_file(void)
{
	const char *text =
		"# ttyauditd.conf\n"
		"\n"
		"log_dir = /srv/audit/tty\n"
		"   backend=tracepoint   \n"
		"\tring_size\t=\t64M\t# a trailing comment\n"
		"record_noecho = yes\n"
		"include_auid = 1000-1999, 5000-\n"
		"include_auid = 0\n"
		"exclude_uid = 33,34\n"
		"exclude_auid = 4294967295\n"
		"include_uid = 0-10\n"
		"checkpoint_interval = 5m\n"
		"checkpoint_records = 50000\n"
		"commit_interval_ms = 50\n"
		"commit_max_records = 1024\n"
		"segment_max_bytes = 128MiB\n"
		"segment_max_age = 1d\n"
		"retain_max_bytes = 10G\n"
		"retain_max_age = 2w\n"
		"compression_level = -3\n"
		"key_file = /etc/ttyaudit/signing.key\n"
		"jsonl = /var/log/ttyaudit/events.jsonl\r\n"
		"login_socket = /run/ta/login.sock\n"
		"audit_log = /srv/audit/audit.log\n"
		"rules_file = /srv/audit/rules.conf\n"
		"alerts_jsonl = /srv/audit/alerts.jsonl\n"
		"# the end, no newline after the last line\n"
		"   # indented comment";

	CHECK_EQ_INT(parse(text), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(o.log_dir, "/srv/audit/tty");
	CHECK_EQ_INT(o.capture.backend, TA_BACKEND_TRACEPOINT);
	CHECK_EQ_INT(o.capture.ring_bytes, 64u << 20);
	CHECK(!o.capture.redact_noecho);
	CHECK_EQ_INT(o.capture.n_rules, 7);
	CHECK_EQ_INT(o.capture.rules[0].field, TA_RULE_AUID);
	CHECK_EQ_INT(o.capture.rules[0].action, TA_RULE_INCLUDE);
	CHECK_EQ_INT(o.capture.rules[0].lo, 1000);
	CHECK_EQ_INT(o.capture.rules[0].hi, 1999);
	CHECK_EQ_INT(o.capture.rules[1].lo, 5000);
	CHECK_EQ_INT(o.capture.rules[1].hi, 0xfffffffe);
	CHECK_EQ_INT(o.capture.rules[2].lo, 0);
	CHECK_EQ_INT(o.capture.rules[2].hi, 0);
	CHECK_EQ_INT(o.capture.rules[3].field, TA_RULE_UID);
	CHECK_EQ_INT(o.capture.rules[3].action, TA_RULE_EXCLUDE);
	CHECK_EQ_INT(o.capture.rules[3].lo, 33);
	CHECK_EQ_INT(o.capture.rules[4].lo, 34);
	CHECK_EQ_INT(o.capture.rules[5].field, TA_RULE_AUID);
	CHECK_EQ_INT(o.capture.rules[5].action, TA_RULE_EXCLUDE);
	CHECK_EQ_INT(o.capture.rules[5].lo, 4294967295u);
	CHECK_EQ_INT(o.capture.rules[6].field, TA_RULE_UID);
	CHECK_EQ_INT(o.capture.rules[6].action, TA_RULE_INCLUDE);
	CHECK_EQ_INT(o.capture.rules[6].hi, 10);
	CHECK_EQ_INT(st.checkpoint_interval_ms, 300000);
	CHECK_EQ_INT(st.checkpoint_every_records, 50000);
	CHECK_EQ_INT(st.commit_interval_ms, 50);
	CHECK_EQ_INT(st.commit_max_records, 1024);
	CHECK_EQ_INT(st.segment_max_bytes, 128ull << 20);
	CHECK_EQ_INT(st.segment_max_age_s, 86400);
	CHECK_EQ_INT(st.retain_max_bytes, 10ull << 30);
	CHECK_EQ_INT(st.retain_max_age_s, 14 * 86400);
	CHECK_EQ_INT(st.compression_level, -3);
	CHECK_EQ_STR(o.key_file, "/etc/ttyaudit/signing.key");
	CHECK_EQ_STR(o.jsonl_path, "/var/log/ttyaudit/events.jsonl");
	CHECK_EQ_STR(o.login_socket, "/run/ta/login.sock");
	CHECK_EQ_STR(o.audit_log, "/srv/audit/audit.log");
	CHECK_EQ_STR(o.rules_file, "/srv/audit/rules.conf");
	CHECK_EQ_STR(o.alerts_jsonl, "/srv/audit/alerts.jsonl");
	/* Not set by the file: left to the store's own defaults (0 = default). */
	CHECK(st.dir == NULL && st.key_file == NULL);
}

static void test_values(void)
{
	/* Empty text and comments only: defaults. */
	CHECK_EQ_INT(parse(""), 0);
	CHECK_EQ_STR(o.log_dir, TA_DEFAULT_LOG_DIR);
	CHECK_EQ_INT(o.capture.ring_bytes, TA_DEFAULT_RING_BYTES);
	CHECK(o.capture.redact_noecho);
	CHECK_EQ_INT(parse("#only\n\n   \n\t# c\n"), 0);
	CHECK_EQ_INT(o.capture.n_rules, 0);

	/* Sizes with K/M/G/T and B/iB, plain bytes. */
	CHECK_EQ_INT(parse("ring_size = 4K\nsegment_max_bytes = 65536\nretain_max_bytes = 1T\n"), 0);
	CHECK_EQ_INT(o.capture.ring_bytes, 4096);
	CHECK_EQ_INT(st.segment_max_bytes, 65536);
	CHECK_EQ_INT(st.retain_max_bytes, 1ull << 40);
	CHECK_EQ_INT(parse("ring_size = 2G\nretain_max_bytes = 0\nsegment_max_bytes = 1gB\n"), 0);
	CHECK_EQ_INT(o.capture.ring_bytes, 2u << 30);
	CHECK_EQ_INT(st.retain_max_bytes, 0);
	CHECK_EQ_INT(st.segment_max_bytes, 1ull << 30);
	CHECK_EQ_INT(parse("ring_size = 16777216\n"), 0);
	CHECK_EQ_INT(o.capture.ring_bytes, 16u << 20);

	/* Durations. */
	CHECK_EQ_INT(parse("checkpoint_interval = 90\nsegment_max_age = 12h\nretain_max_age = 0\n"),
		     0);
	CHECK_EQ_INT(st.checkpoint_interval_ms, 90000);
	CHECK_EQ_INT(st.segment_max_age_s, 12 * 3600);
	CHECK_EQ_INT(st.retain_max_age_s, 0);
	CHECK_EQ_INT(parse("checkpoint_interval = 30s\nsegment_max_age = 45min\n"), 0);
	CHECK_EQ_INT(st.checkpoint_interval_ms, 30000);
	CHECK_EQ_INT(st.segment_max_age_s, 45 * 60);
	CHECK_EQ_INT(parse("checkpoint_interval = 500ms\n"), 0);
	CHECK_EQ_INT(st.checkpoint_interval_ms, 500);
	CHECK_EQ_INT(parse("checkpoint_interval = 2d\n"), -EINVAL);
	CHECK_EQ_INT(parse("checkpoint_interval = 5ns\n"), -EINVAL);
	CHECK_EQ_INT(parse("commit_interval_ms = 200ms\n"), 0);
	CHECK_EQ_INT(st.commit_interval_ms, 200);

	/* Booleans. */
	CHECK_EQ_INT(parse("record_noecho = off\n"), 0);
	CHECK(o.capture.redact_noecho);
	CHECK_EQ_INT(parse("record_noecho = TRUE\n"), 0);
	CHECK(!o.capture.redact_noecho);

	/* The footprint: on by default, off and all by name. */
	CHECK_EQ_INT(o.capture.footprint, TA_FOOTPRINT_ON);
	CHECK_EQ_INT(parse("footprint = all\n"), 0);
	CHECK_EQ_INT(o.capture.footprint, TA_FOOTPRINT_ALL);
	CHECK_EQ_INT(parse("footprint = off\n"), 0);
	CHECK_EQ_INT(o.capture.footprint, TA_FOOTPRINT_OFF);
	check_error("footprint = yes\n", "footprint: 'yes' is not off, on or all", 1);

	/* '#' inside a value (no space before it) is part of the value; jsonl may be '-'. */
	CHECK_EQ_INT(parse("log_dir = /srv/a#b # comment\njsonl = -\n"), 0);
	CHECK_EQ_STR(o.log_dir, "/srv/a#b");
	CHECK_EQ_STR(o.jsonl_path, "-");

	/* Backends. */
	CHECK_EQ_INT(parse("backend = auto\n"), 0);
	CHECK_EQ_INT(o.capture.backend, TA_BACKEND_AUTO);
	CHECK_EQ_INT(parse("backend = fentry\n"), 0);
	CHECK_EQ_INT(o.capture.backend, TA_BACKEND_FENTRY);

	/* Exactly 16 rules fit. */
	CHECK_EQ_INT(parse("exclude_uid = 1,2,3,4,5,6,7,8\nexclude_auid = 1,2,3,4,5,6,7,8\n"), 0);
	CHECK_EQ_INT(o.capture.n_rules, 16);
}

static void test_errors(void)
{
	check_error("log_dir = /a\n\n# c\nring_size = 1000\n",
		    "ring_size: '1000' is not a power of two between 4K and 2G", 4);
	check_error("ring_size = 4G\n", "ring_size: '4G' is not a power of two between 4K and 2G",
		    1);
	check_error("ring_size = 2K\n", "ring_size: '2K' is not a power of two between 4K and 2G",
		    1);
	check_error("\n\nfrobnicate = 1\n", "unknown key 'frobnicate'", 3);
	check_error("Ring_Size = 64M\n", "unknown key 'Ring_Size'", 1);
	check_error("ring_size = 64M\nlog_dir = /x\nring_size = 32M\n",
		    "ring_size: set again (first set on line 1)", 3);
	check_error("backend = tracepoint\nbackend = tracepoint\n",
		    "backend: set again (first set on line 1)", 2);
	check_error("# c\nring_size 64M\n", "expected 'key = value', got 'ring_size 64M'", 2);
	check_error("= 5\n", "a line starts with '=' (no key)", 1);
	check_error("log_dir =\n", "log_dir: no value", 1);
	check_error("log_dir = # only a comment\n", "log_dir: no value", 1);
	check_error("log_dir = var/log\n", "log_dir: 'var/log' is not an absolute path", 1);
	check_error("key_file = key\n", "key_file: 'key' is not an absolute path", 1);
	check_error("\nrules_file = rules.conf\n", "rules_file: 'rules.conf' is not an absolute path", 2);
	check_error("login_socket = /run/a/very/long/path/that/does/not/fit/into/sun_path/of/a/unix/"
		    "socket/address/at/all/no/matter/how/you/try/x.sock\n",
		    "login_socket: path is longer than 107 bytes", 1);
	check_error("backend = ebpf\n",
		    "backend: unknown backend 'ebpf' (auto, fentry, kprobe, tracepoint)", 1);
	check_error("record_noecho = maybe\n",
		    "record_noecho: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)", 1);
	check_error("include_uid = 1000\ninclude_uid = 1000-x\n",
		    "include_uid: '1000-x' is not an id or range (N, N-M, N-)", 2);
	check_error("exclude_auid = 10-5\n",
		    "exclude_auid: '10-5' is not an id or range (N, N-M, N-)", 1);
	check_error("include_auid = 1,,2\n", "include_auid: empty item in the list '1,,2'", 1);
	check_error("include_auid = -5\n", "include_auid: '-5' is not an id or range (N, N-M, N-)",
		    1);
	check_error("exclude_uid = 1,2,3,4,5,6,7,8,9\nexclude_auid = 1,2,3,4,5,6,7,8\n",
		    "exclude_auid: too many include/exclude rules (at most 16 in all)", 2);
	check_error("checkpoint_interval = 5 minutes\n",
		    "checkpoint_interval: '5 minutes' is not a duration (Nms, N, Ns, Nm, Nh, Nd)", 1);
	check_error("checkpoint_interval = 0\n",
		    "checkpoint_interval: '0' is out of range (100ms to 1d)", 1);
	check_error("checkpoint_interval = 99ms\n",
		    "checkpoint_interval: '99ms' is out of range (100ms to 1d)", 1);
	check_error("checkpoint_records = 0\n",
		    "checkpoint_records: '0' is out of range (1 to 4294967295)", 1);
	check_error("checkpoint_records = 99999999999\n",
		    "checkpoint_records: '99999999999' is out of range (1 to 4294967295)", 1);
	check_error("commit_interval_ms = 1s\n",
		    "commit_interval_ms: '1s' is not a number of milliseconds", 1);
	check_error("commit_interval_ms = 60001\n",
		    "commit_interval_ms: '60001' is out of range (1 to 60000 ms)", 1);
	check_error("commit_max_records = 0x10\n", "commit_max_records: '0x10' is not a number", 1);
	check_error("segment_max_bytes = 4K\n",
		    "segment_max_bytes: '4K' is not a size between 64K and 1T", 1);
	check_error("segment_max_bytes = 10X\n",
		    "segment_max_bytes: '10X' is not a size between 64K and 1T", 1);
	check_error("retain_max_bytes = 99999999999T\n",
		    "retain_max_bytes: '99999999999T' is not a size (N, NK, NM, NG, NT; 0 = unlimited)",
		    1);
	check_error("segment_max_age = 0\n",
		    "segment_max_age: '0' is out of range (1s to 136 years)", 1);
	check_error("retain_max_age = 3y\n",
		    "retain_max_age: '3y' is not a duration (N, Ns, Nm, Nh, Nd, Nw; 0 = unlimited)",
		    1);
	check_error("compression_level = 20\n",
		    "compression_level: '20' is not a zstd level between -7 and 19", 1);
	/*
	 * Retention shorter than one segment: every sealed segment deleted, the
	 * history with them ("30" is seconds, "20" bytes: a unit forgotten).
	 */
	check_error("retain_max_age = 30\n",
		    "retain_max_age: 30 s is shorter than one segment (segment_max_age, 86400 s): "
		    "every sealed segment would be deleted; give a unit (30d) or 0 for no limit", 1);
	check_error("backend = auto\nretain_max_bytes = 20\nsegment_max_bytes = 1M\n",
		    "retain_max_bytes: 20 bytes is less than one segment (segment_max_bytes, "
		    "1048576): every sealed segment would be deleted; give a unit (20G) or 0 for "
		    "no limit", 2);
	CHECK_EQ_INT(parse("segment_max_age = 10s\nretain_max_age = 30\n"), 0);
	CHECK_EQ_INT(st.retain_max_age_s, 30);
	CHECK_EQ_INT(parse("segment_max_bytes = 64K\nretain_max_bytes = 64K\n"), 0);
	CHECK_EQ_INT(st.retain_max_bytes, 64 << 10);
	check_error("compression_level = fast\n",
		    "compression_level: 'fast' is not a zstd level between -7 and 19", 1);
	{
		static const char nul[] = "ring_size = 64M\nlog_dir = /a\0b\n";
		ta_daemon_opts_defaults(&o);
		CHECK_EQ_INT(ta_config_text_parse(&o, &st, "ttyauditd.conf", nul, sizeof(nul) - 1, err,
						  sizeof(err)),
			     -EINVAL);
		CHECK_EQ_STR(err, "ttyauditd.conf:2: the line holds a NUL byte");
	}
	{
		char *big = malloc(5000);
		memset(big, 'x', 4999);
		big[4999] = '\0';
		memcpy(big, "\nlog_dir = /", 12);
		check_error(big, "line longer than 4096 bytes", 2);
		free(big);
	}
	/* A failed parse leaves the settings as they were. */
	ta_daemon_opts_defaults(&o);
	memset(&st, 0, sizeof(st));
	{
		static const char t[] = "ring_size = 64M\ncompression_level = 9\nbogus = 1\n";
		CHECK_EQ_INT(ta_config_text_parse(&o, &st, "f", t, sizeof(t) - 1, err, sizeof(err)),
			     -EINVAL);
		CHECK_EQ_INT(o.capture.ring_bytes, TA_DEFAULT_RING_BYTES);
		CHECK_EQ_INT(st.compression_level, 0);
	}
}

static char dir[] = "/tmp/ta-config-test.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_files(void)
{
	char path[256], missing[256];

	snprintf(path, sizeof(path), "%s/ttyauditd.conf", dir);
	snprintf(missing, sizeof(missing), "%s/none.conf", dir);
	write_file(path, "ring_size = 8M\nbackend = kprobe\nfoo = bar\n", 0644);
	ta_daemon_opts_defaults(&o);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, path, TA_CONFIG_CHECK_PERMS, err, sizeof(err)),
		     -EINVAL);
	{
		char want[512];
		snprintf(want, sizeof(want), "%s:3: unknown key 'foo'", path);
		CHECK_EQ_STR(err, want);
	}
	/* Missing: an error, unless optional. */
	CHECK_EQ_INT(ta_config_file_load(&o, &st, missing, 0, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "none.conf: cannot open: No such file or directory") != NULL);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, missing, TA_CONFIG_OPTIONAL, err, sizeof(err)),
		     0);
	/* Others may write it: refused with TA_CONFIG_CHECK_PERMS. */
	write_file(path, "ring_size = 8M\n", 0666);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, path, TA_CONFIG_CHECK_PERMS, err, sizeof(err)),
		     -EPERM);
	CHECK(strstr(err, "writable by group or others (mode 0666)") != NULL);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, path, 0, err, sizeof(err)), 0);
	CHECK_EQ_INT(o.capture.ring_bytes, 8u << 20);
	/* A directory is not a configuration file. */
	CHECK_EQ_INT(ta_config_file_load(&o, &st, dir, 0, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);
}

/*
 * A root-owned file in a directory others may write: refused, as the key's and
 * the log's paths are; another user could put any root file (or an empty one)
 * under its name between two loads. The same file in a safe directory is read.
 */
static void test_untrusted_dir(void)
{
	char open_dir[256], path[300];

	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	snprintf(path, sizeof(path), "%s/ttyauditd.conf", open_dir);
	CHECK_EQ_INT(mkdir(open_dir, 0700), 0);
	write_file(path, "ring_size = 8M\n", 0644);
	ta_daemon_opts_defaults(&o);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, path, TA_CONFIG_CHECK_PERMS, err, sizeof(err)), 0);
	CHECK_EQ_INT(chmod(open_dir, 0777), 0);
	ta_daemon_opts_defaults(&o);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, path, TA_CONFIG_CHECK_PERMS, err, sizeof(err)),
		     -EPERM);
	if (!strstr(err, "/open (on the path") || !strstr(err, "is writable by others"))
		fprintf(stderr, "error was: %s\n", err);
	CHECK(strstr(err, "/open (on the path") != NULL);
	CHECK(strstr(err, "is writable by others") != NULL);
	CHECK_EQ_INT(o.capture.ring_bytes, TA_DEFAULT_RING_BYTES);
	unlink(path);
	rmdir(open_dir);
}

static void on_alarm(int sig) { (void)sig; }

/*
 * A FIFO named as the configuration (or put in its place before a SIGHUP):
 * refused at once, never waited on for a writer. The alarm interrupts an
 * open() that blocks, so the old code fails here (-EINTR) instead of hanging.
 */
static void test_fifo(void)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	char path[256];

	snprintf(path, sizeof(path), "%s/fifo.conf", dir);
	CHECK_EQ_INT(mkfifo(path, 0600), 0);
	CHECK_EQ_INT(sigaction(SIGALRM, &sa, &old), 0); /* no SA_RESTART */
	alarm(2);
	ta_daemon_opts_defaults(&o);
	CHECK_EQ_INT(ta_config_file_load(&o, &st, path, TA_CONFIG_CHECK_PERMS, err, sizeof(err)),
		     -EINVAL);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	CHECK(strstr(err, "fifo.conf: not a regular file") != NULL);
	unlink(path);
}

static void test_build_and_reload(void)
{
	char path[256], cfgarg[300], err2[512];
	struct ta_daemon_opts cur, next;
	struct ta_store_opts cur_st, next_st;
	struct ta_config_diff diff;
	char used[4096];
	int code;
	FILE *devnull = fopen("/dev/null", "w");

	snprintf(path, sizeof(path), "%s/ttyauditd.conf", dir);
	snprintf(cfgarg, sizeof(cfgarg), "--config=%s", path);
	write_file(path,
		   "ring_size = 8M\nbackend = tracepoint\nlog_dir = /srv/file\n"
		   "exclude_uid = 33\ncommit_interval_ms = 100\n",
		   0644);
	/* defaults < file < command line; rules from both are kept. */
	{
		char *argv[] = { "ttyauditd", "--config", path, "--ring-size", "32M", "-f",
				 "--exclude-auid", "5", NULL };
		CHECK_EQ_INT(ta_config_build(&cur, &cur_st, 8, argv, used, sizeof(used), err,
					     sizeof(err), &code, devnull),
			     TA_OPTS_RUN);
		CHECK_EQ_STR(err, "");
		CHECK_EQ_INT(code, TA_EXIT_OK);
		CHECK_EQ_STR(used, path);
		CHECK_EQ_INT(cur.capture.ring_bytes, 32u << 20);  /* command line wins */
		CHECK_EQ_INT(cur.capture.backend, TA_BACKEND_TRACEPOINT);  /* file */
		CHECK_EQ_STR(cur.log_dir, "/srv/file");
		CHECK(cur.foreground);
		CHECK_EQ_INT(cur.capture.n_rules, 2);
		CHECK_EQ_INT(cur.capture.rules[0].field, TA_RULE_UID);
		CHECK_EQ_INT(cur.capture.rules[1].field, TA_RULE_AUID);
		CHECK_EQ_INT(cur_st.commit_interval_ms, 100);
	}
	/* A bad file: exit code 3 and the file's line. */
	write_file(path, "ring_size = 8M\nring_size = 1000\n", 0644);
	{
		char *argv[] = { "ttyauditd", cfgarg, NULL };
		char want[512];
		CHECK_EQ_INT(ta_config_build(&next, &next_st, 2, argv, NULL, 0, err2, sizeof(err2),
					     &code, devnull),
			     -EINVAL);
		CHECK_EQ_INT(code, TA_EXIT_CONFIG);
		snprintf(want, sizeof(want), "%s:2: ring_size: set again (first set on line 1)", path);
		CHECK_EQ_STR(err2, want);
	}
	/* A bad command line is reported first, as a usage error; --version needs no file. */
	{
		char *argv[] = { "ttyauditd", cfgarg, "--ring-size", "3", NULL };
		CHECK_EQ_INT(ta_config_build(&next, &next_st, 4, argv, NULL, 0, err2, sizeof(err2),
					     &code, devnull),
			     -EINVAL);
		CHECK_EQ_INT(code, TA_EXIT_USAGE);
		CHECK(strstr(err2, "--ring-size") != NULL);
	}
	{
		char *argv[] = { "ttyauditd", cfgarg, "--version", NULL };
		CHECK_EQ_INT(ta_config_build(&next, &next_st, 3, argv, NULL, 0, err2, sizeof(err2),
					     &code, devnull),
			     TA_OPTS_EXIT);
		CHECK_EQ_INT(code, TA_EXIT_OK);
	}
	{
		char *argv[] = { "ttyauditd", "--config", NULL };
		CHECK_EQ_INT(ta_config_build(&next, &next_st, 2, argv, NULL, 0, err2, sizeof(err2),
					     &code, devnull),
			     -EINVAL);
		CHECK_EQ_INT(code, TA_EXIT_USAGE);
		CHECK_EQ_STR(err2, "option '--config' needs a value");
	}
	{
		char missing[300];
		char *argv[] = { "ttyauditd", "--config", missing, NULL };
		snprintf(missing, sizeof(missing), "%s/absent.conf", dir);
		CHECK_EQ_INT(ta_config_build(&next, &next_st, 3, argv, NULL, 0, err2, sizeof(err2),
					     &code, devnull),
			     -ENOENT);
		CHECK_EQ_INT(code, TA_EXIT_CONFIG);
	}

	/* Reload: start from the first file, then change it. */
	write_file(path,
		   "ring_size = 8M\nbackend = tracepoint\nlog_dir = /srv/file\n"
		   "exclude_uid = 33\ncommit_interval_ms = 100\n",
		   0644);
	{
		char *argv[] = { "ttyauditd", cfgarg, "-f", NULL };
		CHECK_EQ_INT(ta_config_build(&cur, &cur_st, 3, argv, NULL, 0, err, sizeof(err), &code,
					     devnull),
			     TA_OPTS_RUN);
		cur.capture.self_tgid = 4242;  /* set by the daemon, not a setting */

		/* Unchanged file: nothing to do. */
		CHECK_EQ_INT(ta_config_reload(&cur, &cur_st, 3, argv, &next, &next_st, &diff, err,
					      sizeof(err)),
			     0);
		CHECK(!diff.capture_live);
		CHECK_EQ_STR(diff.applied, "");
		CHECK_EQ_STR(diff.restart, "");

		write_file(path,
			   "ring_size = 64M\nbackend = tracepoint\nlog_dir = /srv/other\n"
			   "exclude_uid = 33, 34\ninclude_auid = 1000-\nrecord_noecho = yes\n"
			   "commit_interval_ms = 100\nretain_max_age = 30d\n",
			   0644);
		CHECK_EQ_INT(ta_config_reload(&cur, &cur_st, 3, argv, &next, &next_st, &diff, err,
					      sizeof(err)),
			     0);
		CHECK(diff.capture_live);
		CHECK_EQ_STR(diff.applied, "record_noecho, exclude_uid, include_auid");
		CHECK_EQ_STR(diff.restart, "log_dir, ring_size, retain_max_age");
		/* next: new filters and redaction, old ring, dir and store settings. */
		CHECK_EQ_INT(next.capture.n_rules, 3);
		CHECK(!next.capture.redact_noecho);
		CHECK_EQ_INT(next.capture.ring_bytes, 8u << 20);
		CHECK_EQ_STR(next.log_dir, "/srv/file");
		CHECK_EQ_INT(next_st.retain_max_age_s, 0);
		CHECK_EQ_INT(next.capture.self_tgid, 4242);
		CHECK(next.foreground);

		/* A broken file on reload: an error, next untouched. */
		write_file(path, "ring_size = 64M\nwhat\n", 0644);
		memset(&next, 0x5a, sizeof(next));
		CHECK_EQ_INT(ta_config_reload(&cur, &cur_st, 3, argv, &next, &next_st, &diff, err,
					      sizeof(err)),
			     -EINVAL);
		CHECK(strstr(err, ":2: expected 'key = value', got 'what'") != NULL);
		CHECK_EQ_INT(((unsigned char *)&next)[0], 0x5a);
	}
	fclose(devnull);
}

/* The shipped file parses as is, and with each "#key = value" line enabled. */
static void test_shipped(const char *path)
{
	char *text = NULL, *enabled, *p;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	CHECK(f != NULL);
	if (!f)
		return;
	text = calloc(1, 1 << 16);
	len = fread(text, 1, (1 << 16) - 1, f);
	fclose(f);
	ta_daemon_opts_defaults(&o);
	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(ta_config_text_parse(&o, &st, path, text, len, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_STR(o.key_file, "/var/lib/ttyaudit/signing.key");
	enabled = calloc(1, 1 << 16);
	p = enabled;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		/* "#key = value" (no space after '#') is a commented-out setting */
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strchr(line, '='))
			line++;
		p += sprintf(p, "%s\n", line);
	}
	ta_daemon_opts_defaults(&o);
	memset(&st, 0, sizeof(st));
	CHECK_EQ_INT(ta_config_text_parse(&o, &st, path, enabled, strlen(enabled), err, sizeof(err)),
		     0);
	CHECK_EQ_STR(err, "");
	/* The commented values are the documented defaults. */
	CHECK_EQ_INT(o.capture.ring_bytes, TA_DEFAULT_RING_BYTES);
	CHECK(o.capture.redact_noecho);
	CHECK_EQ_STR(o.log_dir, TA_DEFAULT_LOG_DIR);
	CHECK_EQ_INT(st.commit_interval_ms, 200);
	CHECK_EQ_INT(st.segment_max_bytes, 64ull << 20);
	CHECK_EQ_INT(st.compression_level, 3);
	free(text);
	free(enabled);
}

int main(int argc, char **argv)
{
	char cmd[300];

	if (argc > 1)
		test_shipped(argv[1]);

	test_good_file();
	test_values();
	test_errors();
	CHECK(mkdtemp(dir) != NULL);
	test_files();
	test_fifo();
	test_untrusted_dir();
	test_build_and_reload();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ_INT(system(cmd), 0);
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>

#include "check.h"
#include "config/options.h"

static int parse(struct ta_daemon_opts *o, char *err, int argc, char **argv)
{
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	ta_daemon_opts_defaults(o);
	rc = ta_daemon_opts_parse(o, argc, argv, err, 256, devnull);
	fclose(devnull);
	return rc;
}

int main(void)
{
	struct ta_daemon_opts o;
	char err[256];
	uint32_t v, lo, hi;

	ta_daemon_opts_defaults(&o);
	CHECK_EQ_STR(o.log_dir, "/var/log/ttyaudit");
	CHECK(o.capture.redact_noecho);
	CHECK_EQ_INT(o.capture.backend, TA_BACKEND_AUTO);

	{
		char *argv[] = { "ttyauditd", "-f", "--log-dir", "/tmp/x", "--backend", "kprobe",
				 "--ring-size", "64M", "--record-noecho", "--exclude-auid", "1000-1999",
				 "--include-uid", "0", "--include-auid", "5000-", NULL };
		CHECK_EQ_INT(parse(&o, err, 15, argv), TA_OPTS_RUN);
		CHECK(o.foreground);
		CHECK_EQ_STR(o.log_dir, "/tmp/x");
		CHECK_EQ_INT(o.capture.backend, TA_BACKEND_KPROBE);
		CHECK_EQ_INT(o.capture.ring_bytes, 64u << 20);
		CHECK(!o.capture.redact_noecho);
		CHECK_EQ_INT(o.capture.n_rules, 3);
		CHECK_EQ_INT(o.capture.rules[0].field, TA_RULE_AUID);
		CHECK_EQ_INT(o.capture.rules[0].action, TA_RULE_EXCLUDE);
		CHECK_EQ_INT(o.capture.rules[0].lo, 1000);
		CHECK_EQ_INT(o.capture.rules[0].hi, 1999);
		CHECK_EQ_INT(o.capture.rules[1].field, TA_RULE_UID);
		CHECK_EQ_INT(o.capture.rules[2].hi, 0xfffffffe);
	}
	{
		/* The error names the option, whether its value is the next word or after '='. */
		char *argv[] = { "ttyauditd", "--include-uid", "abc", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv), -EINVAL);
		CHECK(strstr(err, "--include-uid") != NULL);
		char *argv2[] = { "ttyauditd", "--exclude-auid=x1", NULL };
		CHECK_EQ_INT(parse(&o, err, 2, argv2), -EINVAL);
		CHECK(strstr(err, "--exclude-auid") != NULL);
	}
	{
		char *argv[] = { "ttyauditd", "--footprint", "all", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv), TA_OPTS_RUN);
		CHECK_EQ_INT(o.capture.footprint, TA_FOOTPRINT_ALL);
		char *argv2[] = { "ttyauditd", "--footprint", "most", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv2), -EINVAL);
		CHECK(strstr(err, "--footprint: 'most' is not off, on or all") != NULL);
	}
	{
		/* The kprobe backend's return-probe pool: 4096 by default, 0 the kernel's. */
		char *argv[] = { "ttyauditd", "--kretprobe-pool", "0", NULL };
		CHECK_EQ_INT(parse(&o, err, 1, argv), TA_OPTS_RUN);
		CHECK_EQ_INT(o.capture.kretprobe_pool, 4096);
		CHECK_EQ_INT(parse(&o, err, 3, argv), TA_OPTS_RUN);
		CHECK_EQ_INT(o.capture.kretprobe_pool, 0);
		char *argv2[] = { "ttyauditd", "--kretprobe-pool", "4097", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv2), -EINVAL);
		CHECK(strstr(err, "--kretprobe-pool: '4097' is not a number from 0 to 4096") != NULL);
		char *argv3[] = { "ttyauditd", "--kretprobe-pool", "12x", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv3), -EINVAL);
	}
	{
		char *argv[] = { "ttyauditd", "--ring-size", "1000", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv), -EINVAL);
		CHECK(strstr(err, "power of two") != NULL);
	}
	{
		char *argv[] = { "ttyauditd", "--backend", NULL };
		CHECK_EQ_INT(parse(&o, err, 2, argv), -EINVAL);
		CHECK(strstr(err, "needs a value") != NULL);
	}
	{
		char *argv[] = { "ttyauditd", "--nope", NULL };
		CHECK_EQ_INT(parse(&o, err, 2, argv), -EINVAL);
		CHECK(strstr(err, "unknown option '--nope'") != NULL);
	}
	{
		char *argv[] = { "ttyauditd", "--help", NULL };
		CHECK_EQ_INT(parse(&o, err, 2, argv), TA_OPTS_EXIT);
	}
	{
		char *argv[] = { "ttyauditd", "--log-dir", "", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv), -EINVAL);
	}
	{
		char *argv[] = { "ttyauditd", "--exclude-uid", "5-2", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv), -EINVAL);
	}
	{
		char *argv[] = { "ttyauditd", "--rules-file", "/etc/r.conf", "--alerts-jsonl",
				 "/var/a.jsonl", NULL };
		CHECK_EQ_INT(parse(&o, err, 5, argv), TA_OPTS_RUN);
		CHECK_EQ_STR(o.rules_file, "/etc/r.conf");
		CHECK_EQ_STR(o.alerts_jsonl, "/var/a.jsonl");
	}
	{
		char *argv[] = { "ttyauditd", "--rules-file", "", NULL };
		CHECK_EQ_INT(parse(&o, err, 3, argv), -EINVAL);
		CHECK(strstr(err, "--rules-file: path is empty") != NULL);
	}
	CHECK_EQ_INT(ta_parse_size("4K", &v), 0);
	CHECK_EQ_INT(v, 4096);
	CHECK_EQ_INT(ta_parse_size("16MiB", &v), 0);
	CHECK_EQ_INT(v, 16u << 20);
	CHECK_EQ_INT(ta_parse_size("5G", &v), -EINVAL);
	CHECK_EQ_INT(ta_parse_size("12X", &v), -EINVAL);
	CHECK_EQ_INT(ta_parse_size("", &v), -EINVAL);
	CHECK_EQ_INT(ta_parse_size("99999999999", &v), -EINVAL);
	CHECK_EQ_INT(ta_parse_id_range("7", &lo, &hi), 0);
	CHECK(lo == 7 && hi == 7);
	CHECK_EQ_INT(ta_parse_id_range("-1", &lo, &hi), -EINVAL);
	CHECK_EQ_INT(ta_parse_id_range("1-2-3", &lo, &hi), -EINVAL);
	return check_result();
}

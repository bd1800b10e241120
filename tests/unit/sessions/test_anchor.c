// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Audit-trail anchors: the message the writer sends, read back by the
 * reader from an audit log file as auditd writes it; malformed anchors are
 * counted and skipped; base64 rejects non-canonical input.
 */
#include <errno.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "corpus_util.h"
#include "sessions/anchor.h"

#define GS "\x1d"

static void format(void)
{
	uint8_t root[32];
	char msg[1024], big[300];

	memset(root, 0xab, sizeof(root));
	CHECK(ta_anchor_format(msg, sizeof(msg), "host1.example/ttyaudit", 42, root, 32) > 0);
	CHECK_EQ_STR(msg, "op=ttyaudit-checkpoint origin=\"host1.example/ttyaudit\" size=42 "
			  "root=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=");
	/* an origin with a space or a quote is hex-encoded */
	CHECK(ta_anchor_format(msg, sizeof(msg), "a b\"", 1, root, 1) > 0);
	CHECK_EQ_STR(msg, "op=ttyaudit-checkpoint origin=61206222 size=1 root=qw==");
	CHECK_EQ_INT(ta_anchor_format(msg, sizeof(msg), "", 1, root, 32), -EINVAL);
	CHECK_EQ_INT(ta_anchor_format(msg, sizeof(msg), "o", 1, root, 0), -EINVAL);
	CHECK_EQ_INT(ta_anchor_format(msg, sizeof(msg), "o", 1, root, 65), -EINVAL);
	CHECK_EQ_INT(ta_anchor_format(msg, 20, "o", 1, root, 32), -ENOSPC);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ_INT(ta_anchor_format(msg, sizeof(msg), big, 1, root, 32), -EINVAL);
}

/* One TRUSTED_APP line as auditd 3.0.9 logs a libaudit user message. */
static void line(FILE *f, unsigned serial, const char *body, const char *res)
{
	fprintf(f, "type=TRUSTED_APP msg=audit(1700000000.%03u:%u): pid=4321 uid=0 "
		   "auid=4294967295 ses=4294967295 subj=unconfined msg='%s exe=\"/usr/sbin/ttyauditd\" "
		   "hostname=? addr=? terminal=? res=%s'" GS "UID=\"root\" AUID=\"unset\"\n",
		serial % 1000, serial, body, res);
}

static void reader(void)
{
	char *d = make_temp_dir("ta-anchor");
	char path[4200], msg[1024];
	uint8_t root1[32], root2[32];
	struct ta_anchor *a = NULL;
	size_t bad = 99;
	FILE *f;
	int n;

	for (int i = 0; i < 32; i++) {
		root1[i] = (uint8_t)i;
		root2[i] = (uint8_t)(255 - i);
	}
	snprintf(path, sizeof(path), "%s/audit.log", d);
	f = fopen(path, "w");
	fputs("type=DAEMON_START msg=audit(1700000000.000:1): op=start ver=3.0.9 format=enriched "
	      "kernel=6.1.0 auid=4294967295 pid=1 uid=0 ses=4294967295 res=success" GS
	      "AUID=\"unset\" UID=\"root\"\n", f);
	ta_anchor_format(msg, sizeof(msg), "host1.example/ttyaudit", 42, root1, 32);
	line(f, 10, msg, "success");
	/* another trusted app's record is not ours */
	line(f, 11, "op=something-else origin=\"x\" size=1 root=qw==", "success");
	ta_anchor_format(msg, sizeof(msg), "odd origin \"quoted\"", 18446744073709551615ull,
			 root2, 32);
	line(f, 12, msg, "success");
	/* malformed anchors: counted, skipped */
	line(f, 13, "op=ttyaudit-checkpoint origin=\"x\" size=12 root=!!!!", "success");
	line(f, 14, "op=ttyaudit-checkpoint origin=\"x\" root=qw==", "success");
	line(f, 15, "op=ttyaudit-checkpoint origin=\"x\" size=18446744073709551616 root=qw==",
	     "success");
	line(f, 16, "op=ttyaudit-checkpoint origin=ABC size=1 root=qw==", "success");
	line(f, 17, "op=ttyaudit-checkpoint origin=\"\" size=1 root=qw==", "success");
	line(f, 18, "op=ttyaudit-checkpoint origin=\"x\" size=-1 root=qw==", "success");
	line(f, 19, "op=ttyaudit-checkpoint size=1 root=qw==", "success");
	/* a failed write is still returned, with success = 0 */
	ta_anchor_format(msg, sizeof(msg), "h", 7, root1, 4);
	line(f, 20, msg, "failed");
	fputs("type=TRUSTED_APP msg=audit(1700000000.021:21): pid=1 uid=0 auid=0 ses=1 msg='op=ttyaudit-checkpoint origin=\"x\" size=1 root=qw==\n", f);
	fputs("not an audit line at all\n", f);
	fclose(f);

	n = ta_anchor_read_file(path, &a, &bad);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_INT(bad, 7);
	if (n == 4) {
		CHECK_EQ_STR(a[0].origin, "host1.example/ttyaudit");
		CHECK_EQ_INT(a[0].size, 42);
		CHECK_EQ_INT(a[0].root_len, 32);
		CHECK_MEM(a[0].root, root1, 32);
		CHECK_EQ_INT(a[0].serial, 10);
		CHECK_EQ_INT(a[0].time_sec, 1700000000);
		CHECK_EQ_INT(a[0].time_msec, 10);
		CHECK_EQ_INT(a[0].pid, 4321);
		CHECK_EQ_INT(a[0].uid, 0);
		CHECK_EQ_INT(a[0].auid, 0xffffffffu);
		CHECK_EQ_STR(a[0].exe, "/usr/sbin/ttyauditd");
		CHECK(a[0].success);
		CHECK_EQ_STR(a[1].origin, "odd origin \"quoted\"");
		CHECK_EQ_INT(a[1].size, 18446744073709551615ull);
		CHECK_MEM(a[1].root, root2, 32);
		CHECK_EQ_INT(a[2].size, 7);
		CHECK_EQ_INT(a[2].root_len, 4);
		CHECK(!a[2].success);
		CHECK_EQ_INT(a[3].serial, 21);
	}
	free(a);

	/* a file with none */
	f = fopen(path, "w");
	fputs("type=DAEMON_START msg=audit(1700000000.000:1): op=start res=success\n", f);
	fclose(f);
	CHECK_EQ_INT(ta_anchor_read_file(path, &a, NULL), 0);
	CHECK(a == NULL);
	/* an empty trail (just rotated) holds none; a file with no audit record is no trail */
	f = fopen(path, "w");
	fclose(f);
	CHECK_EQ_INT(ta_anchor_read_file(path, &a, NULL), 0);
	f = fopen(path, "w");
	fputs("root:x:0:0:root:/root:/bin/bash\nnot an audit line at all\n", f);
	fclose(f);
	CHECK_EQ_INT(ta_anchor_read_file(path, &a, NULL), -ENOMSG);
	CHECK(a == NULL);
	unlink(path);
	CHECK_EQ_INT(ta_anchor_read_file(path, &a, NULL), -ENOENT);
	remove_temp_dir(d);
}

int main(void)
{
	format();
	reader();
	return check_result();
}

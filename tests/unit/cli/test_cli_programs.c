// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The CLI on a generated log: ttyaudit verify (OK, --json, a tampered copy
 * exits 7 with one line naming the place), prove (record, session,
 * consistency) and verify-proof (valid, forged, wrong usage). argv[1] is the
 * ttyaudit binary.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "test_log_dir.h"
#include "base/exitcodes.h"

static const char *bin;
static char out[65536];

/* Runs ttyaudit with the NULL-terminated arguments; stdout into out; returns the exit code. */
static int run(const char *first, ...)
{
	const char *argv[32] = { bin, first };
	int n = 2;
	va_list ap;
	va_start(ap, first);
	const char *a;
	while (n < 31 && (a = va_arg(ap, const char *)))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	int p[2];
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0;
	ssize_t r;
	while ((r = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = 0;
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_cli TTYAUDIT\n");
		return 2;
	}
	bin = argv[1];
	char *base = test_mkdtemp("cli");
	char *dir = test_path(base, "log"), *key = test_path(base, "key");
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.segment_max_bytes = 100 * 1024;
	o.checkpoint_every_records = 600;
	CHECK_EQ_INT(test_write_log(&o, 2500), 0);
	char *vkey = test_path(base, "pub.vkey");
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "cp '%s/ttyaudit.vkey' '%s'", dir, vkey);
	CHECK_EQ_INT(system(cmd), 0);

	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", vkey, NULL), TA_EXIT_OK);
	CHECK(!strncmp(out, "OK: records 0..", 15));
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", vkey, "--json", NULL), TA_EXIT_OK);
	CHECK(strstr(out, "\"ok\":true") != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", "/nonexistent/ttyaudit", NULL), TA_EXIT_STORAGE);
	CHECK_EQ_INT(run("verify", "--bogus", NULL), TA_EXIT_USAGE);

	/* --key pasted (its name has '/') or in a file; neither: a usage error */
	char pasted[512] = "";
	FILE *vf = fopen(vkey, "r");
	if (vf) {
		if (fgets(pasted, sizeof(pasted), vf))
			pasted[strcspn(pasted, "\n")] = 0;
		fclose(vf);
	}
	CHECK(strchr(pasted, '/') != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", pasted, "-q", NULL), TA_EXIT_OK);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", "vm/ttyaudit+0000+AAAA", NULL),
		     TA_EXIT_USAGE);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", "/nonexistent/key.vkey", NULL),
		     TA_EXIT_USAGE);

	/* the log's key signing another origin: refused unless that origin is asked for */
	char *evil = test_path(base, "evil");
	struct ta_store_opts eo;
	test_opts(&eo, evil, key);
	eo.origin = "evil.example/other-log";
	CHECK_EQ_INT(test_write_log(&eo, 50), 0);
	CHECK_EQ_INT(run("verify", "--log-dir", evil, "--key", vkey, NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "origin is not this log's") != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", evil, "--key", vkey, "--origin",
			 "evil.example/other-log", "-q", NULL), TA_EXIT_OK);
	char *ep = test_path(base, "evil.proof");
	CHECK_EQ_INT(run("prove", "--log-dir", evil, "--record", "3", "-o", ep, NULL), TA_EXIT_VERIFY);
	CHECK_EQ_INT(run("prove", "--log-dir", evil, "--record", "3", "--origin", "evil.example/other-log",
			 "-o", ep, NULL), TA_EXIT_OK);
	CHECK_EQ_INT(run("verify-proof", ep, "--key", pasted, NULL), TA_EXIT_VERIFY);
	CHECK_EQ_INT(run("verify-proof", ep, "--key", pasted, "--origin", "evil.example/other-log",
			 "-q", NULL), TA_EXIT_OK);

	/* proofs */
	char *p1 = test_path(base, "p1"), *p2 = test_path(base, "p2"), *p3 = test_path(base, "p3");
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--record", "42", "--record", "2000", "-o", p1, NULL),
		     TA_EXIT_OK);
	CHECK_EQ_INT(run("verify-proof", p1, "--key", vkey, NULL), TA_EXIT_OK);
	CHECK(strstr(out, "record 42 type 0x0100") != NULL);
	CHECK(strstr(out, "OK: 2 records proven") != NULL);
	CHECK(strstr(out, "(in the log; not that they are all of the session's)\n") != NULL);
	CHECK_EQ_INT(run("verify-proof", p1, NULL), TA_EXIT_USAGE);
	/* the session key as query prints it (BOOT-SES), 16 hex digits and 0x hex */
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--session", "00000000-4", "-o", p2, NULL), TA_EXIT_OK);
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--session", "0000000000000004", "-o", p2, NULL), TA_EXIT_OK);
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--session", "0x4", "-o", p2, NULL), TA_EXIT_OK);
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--session", "alice", NULL), TA_EXIT_USAGE);
	CHECK_EQ_INT(run("verify-proof", p2, "--key", vkey, "-q", NULL), TA_EXIT_OK);
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--consistency", "100", "2600", "-o", p3, NULL),
		     TA_EXIT_NOTFOUND); /* no checkpoint of that size */
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--record", "99999", NULL), TA_EXIT_NOTFOUND);

	/* consistency to the latest checkpoint (its size from verify --json) */
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--json", NULL), TA_EXIT_OK);
	const char *lc = strstr(out, "\"latest_checkpoint\":");
	char newsz[32] = "0";
	if (lc)
		snprintf(newsz, sizeof(newsz), "%llu", strtoull(lc + 20, NULL, 10));
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--consistency", "100", newsz, "-o", p3, NULL),
		     TA_EXIT_OK);
	CHECK_EQ_INT(run("verify-proof", p3, "--key", vkey, NULL), TA_EXIT_OK);
	CHECK(strstr(out, "is a prefix of the signed tree") != NULL);

	/* a forged proof: one record byte changed */
	snprintf(cmd, sizeof(cmd), "sed -i 's/^record 42 \\(.\\{20\\}\\)./record 42 \\1A/' '%s'", p1);
	CHECK_EQ_INT(system(cmd), 0);
	int rc = run("verify-proof", p1, "--key", vkey, NULL);
	if (rc == TA_EXIT_OK) { /* the character was already an 'A' */
		snprintf(cmd, sizeof(cmd), "sed -i 's/^record 42 \\(.\\{20\\}\\)./record 42 \\1B/' '%s'", p1);
		CHECK_EQ_INT(system(cmd), 0);
		rc = run("verify-proof", p1, "--key", vkey, NULL);
	}
	CHECK_EQ_INT(rc, TA_EXIT_VERIFY);
	CHECK(!strncmp(out, "FAILED: ", 8));

	/* a tampered copy of the log: exit 7, one line naming file, offset, record */
	char *bad = test_path(base, "bad");
	CHECK_EQ_INT(test_cp(dir, bad), 0);
	test_unlock_dir(bad);
	char *seg = test_path(bad, "seg-0000000000000001.log");
	int fd = open(seg, O_RDWR);
	uint8_t byte;
	CHECK_EQ_INT(pread(fd, &byte, 1, 5000), 1);
	byte ^= 0x40;
	CHECK_EQ_INT(pwrite(fd, &byte, 1, 5000), 1);
	close(fd);
	CHECK_EQ_INT(run("verify", "--log-dir", bad, "--key", vkey, NULL), TA_EXIT_VERIFY);
	fprintf(stderr, "tampered: %s", out);
	CHECK(!strncmp(out, "FAILED: seg-0000000000000001.log offset ", 40));
	CHECK(strchr(out, '\n') == out + strlen(out) - 1);
	CHECK(strstr(out, " record ") != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", bad, "--key", vkey, "--json", NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "\"ok\":false") && strstr(out, "\"file\":\"seg-0000000000000001.log\""));

	free(seg);
	free(bad);
	free(p1);
	free(p2);
	free(p3);
	free(vkey);
	test_rmtree(dir);
	test_rmtree(base);
	free(dir);
	free(key);
	return check_result();
}

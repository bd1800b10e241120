// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit witness-submit against local witnesses (witness_server, on the
 * witness library, on 127.0.0.1 with a free port): the first checkpoint and
 * its successors are cosigned and kept; a lost size hint is recovered through
 * the 409 reply; 422 (a witness holding another tree), 403 (another log key),
 * 404 (another origin) and a witness ahead of the log are alarms (exit 7, a
 * line in alarms.log); `checkpoint --cosigned`, `verify --witness` and
 * `verify-proof --witness` count the cosignatures. Servers are killed on
 * every exit path.
 * Usage: test_witness_submit TTYAUDIT WITNESS_SERVER
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "base/exitcodes.h"
#include "store/cosig.h"
#include "store/witness.h"
#include "store_test_util.h"

#define ORIGIN "test.example/ttyaudit"

static const char *bin, *server;
static pid_t servers[8];
static int nservers;
static char *base;
static char out[65536];

static void kill_servers(void)
{
	for (int i = 0; i < nservers; i++)
		if (servers[i] > 0) {
			kill(servers[i], SIGTERM);
			waitpid(servers[i], NULL, 0);
			servers[i] = 0;
		}
}

static void on_signal(int sig)
{
	kill_servers();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Starts a witness; returns its URL (malloc'd) or NULL. */
static char *start_witness(const char *state, const char *wkey, const char *name,
			   const char *origin, const char *log_vkey)
{
	int p[2];
	if (pipe(p))
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(server, server, state, wkey, name, origin, log_vkey, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	servers[nservers++] = pid;
	char buf[32] = "";
	FILE *f = fdopen(p[0], "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	char *url = malloc(64);
	snprintf(url, 64, "http://127.0.0.1:%d", atoi(buf));
	return url;
}

/* Runs ttyaudit with the arguments (NULL-terminated); stdout+stderr in out. */
static int run(const char *first, ...)
{
	char cmd[8192];
	int o = snprintf(cmd, sizeof(cmd), "'%s' '%s'", bin, first);
	va_list ap;
	va_start(ap, first);
	for (const char *a; (a = va_arg(ap, const char *));)
		o += snprintf(cmd + o, sizeof(cmd) - (size_t)o, " '%s'", a);
	va_end(ap);
	snprintf(cmd + o, sizeof(cmd) - (size_t)o, " 2>&1");
	FILE *p = popen(cmd, "r");
	size_t len = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[len] = 0;
	int st = p ? pclose(p) : -1;
	fprintf(stderr, "$ %s\n%s", cmd, out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *make_witness_key(const char *file, const char *name, const char *vkfile)
{
	struct ta_signer *s = NULL;
	char *vk = test_path(base, vkfile);
	if (ta_cosigner_load_or_create(file, name, &s))
		return NULL;
	FILE *f = fopen(vk, "w");
	if (!f) {
		ta_signer_free(s);
		return NULL;
	}
	fprintf(f, "%s\n", ta_signer_vkey(s));
	fclose(f);
	ta_signer_free(s);
	return vk;
}

static int count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[2048];
	int n = 0;
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_witness_submit TTYAUDIT WITNESS_SERVER\n");
		return 2;
	}
	bin = argv[1];
	server = argv[2];
	atexit(kill_servers);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	alarm(150);
	base = test_mkdtemp("wsubmit");
	char *dir = test_path(base, "log"), *key = test_path(base, "log.key");
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.checkpoint_every_records = 100;
	CHECK_EQ_INT(test_write_log(&o, 450), 0);
	char *vkey = test_path(base, "log.vkey");
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp '%s/ttyaudit.vkey' '%s'", dir, vkey);
	CHECK_EQ_INT(system(cmd), 0);

	/* witnesses: w1 trusts the log; w2 trusts another key; w3 knows another origin */
	char *sd = test_path(base, "submit"), *ws1 = test_path(base, "w1state");
	char *ws2 = test_path(base, "w2state"), *ws3 = test_path(base, "w3state");
	CHECK(!mkdir(ws1, 0700) && !mkdir(ws2, 0700) && !mkdir(ws3, 0700));
	char *w1k = test_path(base, "w1.key"), *w2k = test_path(base, "w2.key");
	char *w3k = test_path(base, "w3.key");
	char *w1v = make_witness_key(w1k, "witness.example/w1", "w1.vkey");
	char *w2v = make_witness_key(w2k, "witness.example/w2", "w2.vkey");
	char *w3v = make_witness_key(w3k, "witness.example/w3", "w3.vkey");
	struct ta_signer *other = NULL;
	char *okey = test_path(base, "other.key"), *ovk = test_path(base, "other.vkey");
	CHECK_EQ_INT(ta_signer_load_or_create(okey, ORIGIN, &other), 0);
	if (!w1v || !w2v || !w3v || !other) {
		test_rmtree(base);
		return check_result();
	}
	FILE *f = fopen(ovk, "w");
	if (f) {
		fprintf(f, "%s\n", ta_signer_vkey(other));
		fclose(f);
	}
	ta_signer_free(other);
	char *u1 = start_witness(ws1, w1k, "witness.example/w1", ORIGIN, vkey);
	char *u2 = start_witness(ws2, w2k, "witness.example/w2", ORIGIN, ovk);
	char *u3 = start_witness(ws3, w3k, "witness.example/w3", "other.example/log", vkey);
	CHECK(u1 && u2 && u3);
	if (!u1 || !u2 || !u3) {
		test_rmtree(base);
		return check_result();
	}

	/* the first checkpoint (old size 0), then nothing to do but resend */
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--key", vkey, "--witness", u1,
			 "--witness-key", w1v, "--state-dir", sd, NULL), 0);
	CHECK(strstr(out, "cosigned the checkpoint of") != NULL);
	CHECK_EQ_INT(run("checkpoint", "--log-dir", dir, "--cosigned", "--state-dir", sd, NULL), 0);
	CHECK(strstr(out, "\xe2\x80\x94 witness.example/w1 ") != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", vkey, "--witness", w1v, "--witness-dir",
			 sd, NULL), 0);
	CHECK(strstr(out, "carries 1 of the 1 required cosignatures") != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", vkey, "--witness", w1v, "--witness", w2v,
			 "--witness-dir", sd, NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "1 valid cosignatures of the 2 required") != NULL);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--key", vkey, "--witness", w1v, "--witness", w2v,
			 "--witness-quorum", "1", "--witness-dir", sd, "-q", NULL), 0);
	CHECK_EQ_INT(run("verify", "--log-dir", dir, "--witness", vkey, NULL), TA_EXIT_USAGE);

	/* a proof against the cosigned checkpoint, with the cosigned note beside it */
	char *cos = test_path(base, "cosigned.note"), *pf = test_path(base, "p.proof");
	snprintf(cmd, sizeof(cmd), "'%s' checkpoint --log-dir '%s' --cosigned --state-dir '%s' > '%s'",
		 bin, dir, sd, cos);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(run("prove", "--log-dir", dir, "--record", "7", "-o", pf, NULL), 0);
	CHECK_EQ_INT(run("verify-proof", pf, "--key", vkey, "--checkpoint", cos, "--witness", w1v, NULL), 0);
	CHECK_EQ_INT(run("verify-proof", pf, "--key", vkey, "--witness", w1v, NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "0 valid cosignatures of the 1 required") != NULL);

	/* more records: the next checkpoint goes with a consistency proof */
	CHECK_EQ_INT(test_write_log(&o, 300), 0);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u1, "--witness-key", w1v,
			 "--state-dir", sd, NULL), 0);
	uint64_t *sizes = NULL;
	size_t ns = 0;
	int sfd = open(sd, O_RDONLY | O_DIRECTORY);
	CHECK_EQ_INT(ta_cosig_store_list(sfd, &sizes, &ns), 0);
	CHECK_EQ_INT(ns, 2);
	uint64_t latest = ns ? sizes[ns - 1] : 0;
	free(sizes);
	CHECK(latest > 450);

	/* the size hint lost: the witness's 409 tells it, the resend is cosigned */
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/witness-*.size", sd);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(test_write_log(&o, 120), 0);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u1, "--witness-key", w1v,
			 "--state-dir", sd, NULL), 0);
	CHECK(strstr(out, "cosigned the checkpoint of") != NULL);
	char *alarms = test_path(base, "submit/alarms.log");
	CHECK_EQ_INT(count_lines(alarms, " "), 0);

	/* the witness holds another tree of the size it cosigned: 422 */
	int wfd = open(ws1, O_RDONLY | O_DIRECTORY);
	struct ta_witness_store st = ta_witness_dir_store(&wfd);
	uint64_t wsize = 0;
	uint8_t wroot[TA_HASH_LEN];
	CHECK_EQ_INT(st.get(st.ctx, ORIGIN, &wsize, wroot), 0);
	wroot[0] ^= 1;
	CHECK_EQ_INT(st.cas(st.ctx, ORIGIN, wsize, wsize, wroot), 0);
	CHECK_EQ_INT(test_write_log(&o, 150), 0);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u1, "--witness-key", w1v,
			 "--state-dir", sd, NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "ALARM") && strstr(out, "422"));
	CHECK_EQ_INT(count_lines(alarms, " 422 "), 1);
	wroot[0] ^= 1;
	CHECK_EQ_INT(st.cas(st.ctx, ORIGIN, wsize, wsize, wroot), 0);
	close(wfd);

	/* a witness that does not trust the log's key (403), or knows no such origin (404) */
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u2, "--witness-key", w2v,
			 "--state-dir", sd, NULL), TA_EXIT_VERIFY);
	CHECK_EQ_INT(count_lines(alarms, " 403 "), 1);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u3, "--witness-key", w3v,
			 "--state-dir", sd, NULL), TA_EXIT_VERIFY);
	CHECK_EQ_INT(count_lines(alarms, " 404 "), 1);
	/* the wrong witness key for a URL: its cosignature is no use */
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u1, "--witness-key", w2v,
			 "--state-dir", sd, NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "no valid cosignature") != NULL);
	/* a witness ahead of the log (a rollback): alarm before sending */
	char *hint = NULL;
	snprintf(cmd, sizeof(cmd), "for f in '%s'/witness-*.size; do echo 99999999 > \"$f\"; done", sd);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u1, "--witness-key", w1v,
			 "--state-dir", sd, NULL), TA_EXIT_VERIFY);
	CHECK(strstr(out, "rolled back or forked") != NULL);
	free(hint);
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/witness-*.size", sd);
	CHECK_EQ_INT(system(cmd), 0);
	/* an unreachable witness is a failure, not an alarm */
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", "http://127.0.0.1:1",
			 "--witness-key", w1v, "--state-dir", sd, "--timeout", "2", NULL), TA_EXIT_FAILURE);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", u1, NULL), TA_EXIT_USAGE);
	CHECK_EQ_INT(run("witness-submit", "--log-dir", dir, "--witness", "https://x", "--witness-key",
			 w1v, "--state-dir", sd, NULL), TA_EXIT_FAILURE);

	close(sfd);
	kill_servers();
	test_rmtree(base);
	return check_result();
}

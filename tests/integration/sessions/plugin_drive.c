// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drives the real audisp-ttyaudit binary as auditd would (its parent, with
 * a socketpair on its stdin), with a login_server listener in this process:
 *  - ttyauditd away: the plugin keeps reading, queues, drops and counts,
 *    and sends "dropped N" when the listener returns;
 *  - SIGTERM from a process other than its parent is ignored; SIGHUP
 *    re-reads config=FILE and moves to the new socket; SIGTERM from the
 *    parent ends it cleanly;
 *  - the adversarial corpora on stdin, in random chunks: it never crashes,
 *    forwards exactly the sane records, and exits 0 at end of input.
 * usage: plugin_drive PLUGIN CORPUS_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "base/fs.h"
#include "sessions/login_server.h"

struct plug {
	pid_t pid;
	int in;
};

static const char *plugin_bin;
static char tmpdir[4096];
static const char *plugin_err; /* the plugin's stderr into this file (start), else the test's */

static void start(struct plug *p, const char *a1, const char *a2)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	p->pid = fork();
	if (p->pid == 0) {
		char *argv[] = { (char *)plugin_bin, (char *)a1, (char *)a2, NULL };

		dup2(sv[0], 0);
		close(sv[0]);
		close(sv[1]);
		if (plugin_err) {
			int fd = open(plugin_err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			if (fd >= 0)
				dup2(fd, 2);
		}
		execv(plugin_bin, argv);
		_exit(127);
	}
	close(sv[0]);
	p->in = sv[1];
}

static void send_text(struct plug *p, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(p->in, s, n);

		if (w <= 0) {
			perror("write to plugin");
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void send_record(struct plug *p, unsigned serial)
{
	char line[512];
	int n = snprintf(line, sizeof(line),
		"type=USER_START msg=audit(1700000000.%03u:%u): pid=100 uid=0 auid=1001 ses=5 "
		"msg='op=PAM:session_open grantors=pam_unix acct=\"alice\" exe=\"/usr/sbin/sshd\" "
		"hostname=? addr=? terminal=ssh res=success'\x1d" "UID=\"root\" AUID=\"alice\"\n",
		serial % 1000, serial);

	send_text(p, line, (size_t)n);
}

static int alive(struct plug *p)
{
	int st;

	return waitpid(p->pid, &st, WNOHANG) == 0;
}

/* Wait up to ms for the plugin to exit; returns its wait status or -1. */
static int wait_exit(struct plug *p, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		int st;

		if (waitpid(p->pid, &st, WNOHANG) == p->pid)
			return st;
		usleep(10000);
	}
	return -1;
}

static void kill_plugin(struct plug *p)
{
	kill(p->pid, SIGKILL);
	waitpid(p->pid, NULL, 0);
	close(p->in);
}

static struct ta_login_conn *accept_within(struct ta_login_server *s, int ms)
{
	struct ta_login_conn *c;

	for (int i = 0; i < ms / 10; i++) {
		if (ta_login_server_accept(s, &c) == 0)
			return c;
		usleep(10000);
	}
	return NULL;
}

/* Read up to n events within ms. */
static size_t read_within(struct ta_login_conn *c, struct ta_login_event *ev, size_t n, int ms,
			  int *err)
{
	size_t got = 0;

	*err = 0;
	for (int i = 0; i < ms / 5 && got < n; i++) {
		int rc;

		while (got < n && (rc = ta_login_conn_read(c, &ev[got])) == 1)
			got++;
		if (rc < 0) {
			*err = rc;
			break;
		}
		if (got < n)
			usleep(5000);
	}
	return got;
}

static void path_in_tmp(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void drops(void)
{
	struct plug p;
	struct ta_login_server *srv = NULL;
	struct ta_login_conn *c;
	struct ta_login_event ev[32];
	char sock[4200], arg[4300];
	int err;
	size_t n;

	path_in_tmp(sock, sizeof(sock), "a/login.sock");
	snprintf(arg, sizeof(arg), "socket=%s", sock);
	start(&p, arg, "queue=8");
	for (unsigned i = 1; i <= 20; i++)
		send_record(&p, i);
	usleep(500000);
	CHECK(alive(&p));
	CHECK_EQ_INT(ta_login_server_open(sock, &srv, NULL, 0), 0);
	if (!srv) {
		kill_plugin(&p);
		return;
	}
	c = accept_within(srv, 8000);
	CHECK(c != NULL);
	if (c) {
		n = read_within(c, ev, 9, 3000, &err);
		CHECK_EQ_INT(n, 9);
		for (size_t i = 0; i < n && i < 8; i++) {
			CHECK_EQ_INT(ev[i].msg_type, TA_LOGIN_MSG_RECORD);
			CHECK_EQ_INT(ev[i].serial, i + 1);
		}
		if (n == 9) {
			CHECK_EQ_INT(ev[8].msg_type, TA_LOGIN_MSG_DROPPED);
			CHECK_EQ_INT(ev[8].dropped, 12);
			CHECK_EQ_INT(ev[8].dropped_total, 12);
		}
		/* and records flow again */
		for (unsigned i = 21; i <= 23; i++)
			send_record(&p, i);
		n = read_within(c, ev, 3, 3000, &err);
		CHECK_EQ_INT(n, 3);
		CHECK(n == 3 && ev[0].serial == 21 && ev[2].serial == 23);
		ta_login_conn_close(c);
	}
	/* the listener goes away again: the plugin notices and keeps going */
	ta_login_server_close(srv);
	for (unsigned i = 24; i <= 30; i++)
		send_record(&p, i);
	usleep(300000);
	CHECK(alive(&p));
	kill(p.pid, SIGTERM);
	CHECK(wait_exit(&p, 5000) >= 0);
	close(p.in);
}

static void write_conf(const char *path, const char *sock)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "# test\nsocket = %s\nqueue = 64\n", sock);
	fclose(f);
	chmod(path, 0600);
}

static void signals(void)
{
	struct plug p;
	struct ta_login_server *s1 = NULL, *s2 = NULL;
	struct ta_login_conn *c1, *c2;
	struct ta_login_event ev[4];
	char conf[4200], sock1[4200], sock2[4200], arg[4300];
	int err, st;
	pid_t k;

	path_in_tmp(conf, sizeof(conf), "plugin.conf");
	path_in_tmp(sock1, sizeof(sock1), "b/one.sock");
	path_in_tmp(sock2, sizeof(sock2), "b/two.sock");
	write_conf(conf, sock1);
	CHECK_EQ_INT(ta_login_server_open(sock1, &s1, NULL, 0), 0);
	snprintf(arg, sizeof(arg), "config=%s", conf);
	start(&p, arg, NULL);
	c1 = s1 ? accept_within(s1, 5000) : NULL;
	CHECK(c1 != NULL);
	send_record(&p, 100);
	if (c1) {
		CHECK_EQ_INT(read_within(c1, ev, 1, 3000, &err), 1);
		CHECK_EQ_INT(ev[0].serial, 100);
	}

	/* SIGTERM from a stranger (not the parent): ignored */
	k = fork();
	if (k == 0) {
		kill(p.pid, SIGTERM);
		_exit(0);
	}
	waitpid(k, NULL, 0);
	usleep(300000);
	CHECK(alive(&p));
	send_record(&p, 101);
	if (c1) {
		CHECK_EQ_INT(read_within(c1, ev, 1, 3000, &err), 1);
		CHECK_EQ_INT(ev[0].serial, 101);
	}

	/* SIGHUP: the config file now names another socket */
	write_conf(conf, sock2);
	CHECK_EQ_INT(ta_login_server_open(sock2, &s2, NULL, 0), 0);
	kill(p.pid, SIGHUP);
	c2 = s2 ? accept_within(s2, 5000) : NULL;
	CHECK(c2 != NULL);
	send_record(&p, 102);
	if (c2) {
		CHECK_EQ_INT(read_within(c2, ev, 1, 3000, &err), 1);
		CHECK_EQ_INT(ev[0].serial, 102);
	}
	if (c1) {
		/* the old connection was closed, with nothing more on it */
		CHECK_EQ_INT(read_within(c1, ev, 1, 1000, &err), 0);
		CHECK_EQ_INT(err, -EPIPE);
		ta_login_conn_close(c1);
	}
	/* a broken config on SIGHUP keeps the running settings */
	{
		FILE *f = fopen(conf, "w");

		fputs("socket = not-absolute\n", f);
		fclose(f);
	}
	kill(p.pid, SIGHUP);
	usleep(200000);
	CHECK(alive(&p));
	send_record(&p, 103);
	if (c2) {
		CHECK_EQ_INT(read_within(c2, ev, 1, 3000, &err), 1);
		CHECK_EQ_INT(ev[0].serial, 103);
	}

	/* SIGTERM from the parent: a clean exit */
	kill(p.pid, SIGTERM);
	st = wait_exit(&p, 5000);
	CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (st < 0)
		kill_plugin(&p);
	else
		close(p.in);
	if (c2)
		ta_login_conn_close(c2);
	ta_login_server_close(s1);
	ta_login_server_close(s2);
}

static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4200], *b;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ta_read_file_at(AT_FDCWD, path, &b, len)) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	return b;
}

/*
 * auditd_conf: the plugin's view of which records are this host's. The corpus
 * holds one record of node=web01: ours when this host is web01, another
 * machine's (dropped) when this host's records carry no node= at all.
 */
static void adversarial(const char *corpus, const char *auditd_conf, size_t want)
{
	static const char *const files[] = { "adversarial_invalid.log", "login_records.log",
					     "adversarial_odd.log", "adversarial_invalid.log" };
	struct plug p;
	struct ta_login_server *srv = NULL;
	struct ta_login_conn *c;
	struct ta_login_event *ev = calloc(200, sizeof(*ev));
	char sock[4200], arg[4300];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t n = 0;
	int err = 0, st;

	char conf[4200], conf_arg[4300];
	FILE *cf;

	path_in_tmp(sock, sizeof(sock), "c/login.sock");
	path_in_tmp(conf, sizeof(conf), "auditd.conf");
	cf = fopen(conf, "w");
	CHECK(cf != NULL);
	if (cf) {
		fputs(auditd_conf, cf);
		fclose(cf);
	}
	CHECK_EQ_INT(ta_login_server_open(sock, &srv, NULL, 0), 0);
	snprintf(arg, sizeof(arg), "socket=%s", sock);
	snprintf(conf_arg, sizeof(conf_arg), "auditd_conf=%s", conf);
	char errf[4200];
	path_in_tmp(errf, sizeof(errf), "plugin.err");
	plugin_err = errf;
	start(&p, arg, conf_arg);
	plugin_err = NULL;
	c = srv ? accept_within(srv, 5000) : NULL;
	CHECK(c != NULL);
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		size_t len, off = 0;
		char *data = slurp(corpus, files[f], &len);

		while (off < len) {
			size_t k;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			k = 1 + (size_t)(rng % 4096);
			if (k > len - off)
				k = len - off;
			send_text(&p, data + off, k);
			off += k;
		}
		free(data);
	}
	if (c)
		n = read_within(c, ev, 200, 5000, &err);
	/* end of input: the plugin finishes and leaves */
	shutdown(p.in, SHUT_WR);
	st = wait_exit(&p, 5000);
	CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (st < 0)
		kill_plugin(&p);
	else
		close(p.in);
	if (c) {
		int err2;

		n += read_within(c, ev + n, 200 - n, 1000, &err2);
		if (err == 0)
			err = err2;
	}
	/*
	 * Exactly the 23 real and 15 odd-but-valid records (less web01's), and what it
	 * could not read counted in DROPPED messages: as many as its exit line says it
	 * rejected (malformed, too long, records with bad fields). The records only, below.
	 */
	CHECK(err == 0 || err == -EPIPE);
	uint64_t lost = 0, drops = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (ev[i].msg_type == TA_LOGIN_MSG_DROPPED) {
			lost += ev[i].dropped;
			drops++;
			continue;
		}
		ev[k++] = ev[i];
	}
	n = k;
	unsigned long long lines = 0, rejected = 0, too_long = 0, foreign = 0, records_rejected = 0;
	size_t elen = 0;
	char *elog = slurp(tmpdir, "plugin.err", &elen), *exit_line = elog ? strstr(elog, "exiting (") : NULL;
	CHECK(exit_line && sscanf(strstr(exit_line, "): ") + 3, "%llu lines, %llu rejected, %llu too long, "
				  "%llu of other machines, %llu records rejected", &lines, &rejected,
				  &too_long, &foreign, &records_rejected) == 5);
	CHECK(rejected + too_long + records_rejected > 0);
	CHECK_EQ_INT(lost, rejected + too_long + records_rejected);
	CHECK(drops >= 1);
	CHECK(elog && strstr(elog, "audit records could not be read") != NULL);
	free(elog);
	CHECK_EQ_INT(n, want);
	for (size_t i = 0; i < n; i++) {
		CHECK_EQ_INT(ev[i].msg_type, TA_LOGIN_MSG_RECORD);
		for (const unsigned char *s = (const unsigned char *)ev[i].acct; *s; s++)
			CHECK(*s >= 0x20 && *s != 0x7f);
	}
	if (n == want) {
		CHECK_EQ_INT(ev[0].serial, 9);        /* first real record */
		CHECK_EQ_STR(ev[10].acct, "(invalid user)");
		CHECK_EQ_INT(ev[want - 15].serial, 101); /* first odd record */
	}
	for (size_t i = 0; i < n; i++)
		CHECK(want == 38 || ev[i].serial != 40); /* web01's USER_START */
	if (c)
		ta_login_conn_close(c);
	ta_login_server_close(srv);
	free(ev);
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");

	if (argc != 3) {
		fprintf(stderr, "usage: %s PLUGIN CORPUS_DIR\n", argv[0]);
		return 2;
	}
	plugin_bin = argv[1];
	snprintf(tmpdir, sizeof(tmpdir), "%s/ta-plugin-drive.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	drops();
	signals();
	adversarial(argv[2], "name_format = user\nname = web01\n", 38);
	adversarial(argv[2], "# auditd's default: name_format = none\n", 37);
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return check_result();
}

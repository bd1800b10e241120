// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared-terminal tracker on synthetic event sequences shaped like what
 * the capture sees from tmux and screen: socket binds and connects, client
 * terminals receiving keys from sshd, the server writing them into panes.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/json_read.h"
#include "shared_tty/shared.h"
#include "ttyaudit/log_records.h"

#define MS (1000ull * 1000)
#define SECOND_NS (1000 * MS)
#define REALTIME_BASE 1700000000000000000ull
#define TA_TEST_ARGV_GONE 1024 /* evicted argvs the tracker remembers */

/* ---- collected records ---- */

struct rec {
	char type[16];
	char json[4096];
	struct ta_jobj o;
};
static struct rec recs[512];
static int nrecs;

static int collect(void *ctx, const struct ta_record *rec)
{
	struct rec *r;
	uint64_t ses = UINT32_MAX;

	(void)ctx;
	CHECK(nrecs < 512);
	if (nrecs >= 512 || rec->len >= sizeof(r->json))
		return -1;
	r = &recs[nrecs++];
	snprintf(r->type, sizeof(r->type), "%s", ta_record_name(rec));
	memcpy(r->json, rec->json, rec->len);
	r->json[rec->len] = '\0';
	/* Every record is one valid JSON object. */
	CHECK_EQ_INT(ta_jobj_parse(&r->o, r->json, rec->len), 0);
	/* The session it is filed under is its person's ("ses" member, null: none). */
	ta_jobj_u64(&r->o, "ses", &ses);
	CHECK_EQ_INT(rec->ses, ses);
	/*
	 * A pane's attributions are paid by a session's share of the writer's
	 * queue, as its input is: free, a writer ending runs byte by byte would
	 * fill the queue every session shares.
	 */
	if (rec->type == TA_REC_ATTRIBUTION)
		CHECK(rec->charged && rec->charge_ses != 0);
	return 0;
}

static void reset(void)
{
	nrecs = 0;
}

static int count(const char *type)
{
	int n = 0;

	for (int i = 0; i < nrecs; i++)
		n += !strcmp(recs[i].type, type);
	return n;
}

/* The k-th record of a type (0-based), or NULL. */
static struct rec *nth(const char *type, int k)
{
	for (int i = 0; i < nrecs; i++)
		if (!strcmp(recs[i].type, type) && k-- == 0)
			return &recs[i];
	return NULL;
}

static uint64_t u64(struct rec *r, const char *key)
{
	uint64_t v = UINT64_MAX;

	if (r)
		ta_jobj_u64(&r->o, key, &v);
	return v;
}

static const char *str(struct rec *r, const char *key)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];

	if (!r || ta_jobj_str(&r->o, key, b, 256) < 0)
		return "(missing)";
	return b;
}

/* A member of a nested object ("client", "command_client"). */
static uint64_t sub_u64(struct rec *r, const char *obj, const char *key)
{
	const struct ta_jval *v = r ? ta_jobj_get(&r->o, obj) : NULL;
	struct ta_jobj o;
	uint64_t x = UINT64_MAX;

	if (!v || v->type != TA_J_OBJ || ta_jobj_parse(&o, v->p, v->n))
		return UINT64_MAX;
	ta_jobj_u64(&o, key, &x);
	return x;
}

static const char *sub_str(struct rec *r, const char *obj, const char *key)
{
	static char b[256];
	const struct ta_jval *v = r ? ta_jobj_get(&r->o, obj) : NULL;
	struct ta_jobj o;

	if (!v || v->type != TA_J_OBJ || ta_jobj_parse(&o, v->p, v->n) ||
	    ta_jobj_str(&o, key, b, sizeof(b)) < 0)
		return "(missing)";
	return b;
}

static bool is_null(struct rec *r, const char *key)
{
	const struct ta_jval *v = r ? ta_jobj_get(&r->o, key) : NULL;

	return v && v->type == TA_J_NULL;
}

/* ---- a small world: people, terminals, processes ---- */

struct proc {
	uint32_t pid, ppid, uid, auid, ses;
	const char *comm;
	int tty; /* pts number, -1: none */
};

static struct ta_tty_id pts(int n)
{
	struct ta_tty_id t;

	memset(&t, 0, sizeof(t));
	if (n < 0)
		return t;
	t.major = 136;
	t.minor = (uint32_t)n;
	t.index = n;
	t.driver_type = TA_TTY_DRIVER_PTY;
	t.driver_subtype = TA_PTY_TYPE_SLAVE;
	snprintf(t.name, sizeof(t.name), "pts%d", n);
	return t;
}

static struct ta_task_id task(const struct proc *p)
{
	struct ta_task_id k;

	memset(&k, 0, sizeof(k));
	k.pid = k.tgid = p->pid;
	k.ppid = p->ppid;
	k.uid = k.gid = p->uid;
	k.auid = p->auid;
	k.ses = p->ses;
	snprintf(k.comm, sizeof(k.comm), "%s", p->comm);
	return k;
}

static struct ta_shared_tracker *T;
static uint64_t now; /* boot ns */

static void feed(struct ta_event *ev)
{
	ev->ts_boot_ns = now;
	ta_shared_observe(T, ev, REALTIME_BASE + now, collect, NULL);
}

static void flush_at(uint64_t ns)
{
	ta_shared_flush(T, ns == TA_SHARED_FLUSH_ALL ? ns : REALTIME_BASE + ns, collect, NULL);
}

/*
 * A connect or bind of path (len bytes: an abstract name starts with NUL)
 * with its result; kernel: named by the kernel's socket, its inode ino (0:
 * none).
 */
static void sock_ev(const struct proc *p, uint32_t op, const char *path, uint32_t len, int64_t ret,
		    bool kernel, uint64_t ino)
{
	struct ta_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TA_EV_UNIX_SOCKET;
	ev.task = task(p);
	ev.tty = pts(p->tty);
	ev.unix_op = op;
	ev.path = path;
	ev.path_len = len;
	ev.unix_ret = ret;
	ev.unix_kernel = kernel;
	ev.unix_ino = ino;
	ev.unix_dev = ino ? 0x800001 : 0;
	feed(&ev);
}

/* A connect or bind with its result and, for one that succeeded, the socket's inode (0: unknown). */
static void sock_id(const struct proc *p, uint32_t op, const char *path, int64_t ret, uint64_t ino)
{
	sock_ev(p, op, path, (uint32_t)strlen(path), ret, ret == 0 && ino, ino);
}

/* One that succeeded, its socket's inode unknown: the name decides. */
static void sock(const struct proc *p, uint32_t op, const char *path)
{
	sock_id(p, op, path, 0, 0);
}

static void bind_(const struct proc *p, const char *path)
{
	sock(p, TA_UNIX_BIND, path);
}

static void connect_(const struct proc *p, const char *path)
{
	sock(p, TA_UNIX_CONNECT, path);
}

static void exit_(const struct proc *p, int code)
{
	struct ta_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TA_EV_EXIT;
	ev.task = task(p);
	ev.tty = pts(p->tty);
	ev.exit_code = code;
	feed(&ev);
}

static void exec_(const struct proc *p, const char *argv, size_t argv_len)
{
	struct ta_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TA_EV_EXEC;
	ev.task = task(p);
	ev.tty = pts(p->tty);
	ev.filename = p->comm;
	ev.argv = (const uint8_t *)argv;
	ev.argv_len = (uint32_t)argv_len;
	feed(&ev);
}

/* writer writes data into the master of pts n, whose session leader is owner. */
static void input(const struct proc *writer, int n, const struct proc *owner, const void *data,
		  size_t len)
{
	struct ta_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TA_EV_TTY_INPUT;
	ev.flags = TA_F_FROM_MASTER;
	ev.task = task(writer);
	ev.tty = pts(n);
	ev.owner_auid = owner->auid;
	ev.owner_ses = owner->ses;
	ev.owner_pid = owner->pid;
	ev.data = data;
	ev.len = (uint32_t)len;
	ev.total_len = len;
	feed(&ev);
}

/* The only attribution so far: its confidence, typist's auid, bytes and events. */
static void expect_one_run(const char *conf, uint64_t auid, uint64_t bytes, uint64_t events)
{
	struct rec *r;

	CHECK_EQ_INT(count("attribution"), 1);
	r = nth("attribution", 0);
	if (!r)
		return;
	CHECK_EQ_STR(str(r, "confidence"), conf);
	CHECK_EQ_INT(u64(r, "auid"), auid);
	CHECK_EQ_INT(u64(r, "bytes"), bytes);
	CHECK_EQ_INT(u64(r, "events"), events);
}

/* alice (1001, ses 10) on pts0 by sshd 500; bob (1002, ses 20) on pts1 by sshd 600. */
static const struct proc sshd_a = { 500, 499, 1001, 1001, 10, "sshd", -1 };
static const struct proc shell_a = { 501, 500, 1001, 1001, 10, "bash", 0 };
static const struct proc sshd_b = { 600, 599, 1002, 1002, 20, "sshd", -1 };
static const struct proc shell_b = { 601, 600, 1002, 1002, 20, "bash", 1 };
/* alice's tmux server and the shell in its pane pts2 */
static const struct proc server = { 700, 1, 1001, 1001, 10, "tmux: server", -1 };
static const struct proc pane_sh = { 701, 700, 1001, 1001, 10, "bash", 2 };
static const struct proc client_a = { 710, 501, 1001, 1001, 10, "tmux: client", 0 };
static const struct proc client_b = { 720, 601, 1002, 1002, 20, "tmux: client", 1 };
#define SOCK "/tmp/team/shared"

/* A key typed at a client's terminal, forwarded by the server 1 ms later. */
static void key_via(const struct proc *sshd, int client_pts, const struct proc *login,
		    const struct proc *srv, int pane, const struct proc *pane_owner, const char *typed,
		    const char *to_pane)
{
	input(sshd, client_pts, login, typed, strlen(typed));
	now += 1 * MS;
	if (to_pane)
		input(srv, pane, pane_owner, to_pane, strlen(to_pane));
	now += 30 * MS;
}

static void key_a(const char *s)
{
	key_via(&sshd_a, 0, &shell_a, &server, 2, &pane_sh, s, s);
}

static void key_b(const char *s)
{
	key_via(&sshd_b, 1, &shell_b, &server, 2, &pane_sh, s, s);
}

/* A new tracker (limits: NULL for the defaults), no records, the clock at 1 s. */
static void fresh(const struct ta_shared_limits *lim)
{
	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new_limits(&T, lim), 0);
	now = 1000 * MS;
}

/* Server up, pane shell started, alice and bob attached. */
static void setup_shared(void)
{
	fresh(NULL);
	bind_(&server, SOCK);
	exec_(&pane_sh, "-bash", sizeof("-bash") - 1);
	now += 10 * MS;
	exec_(&client_a, "tmux\0-S\0" SOCK "\0attach", sizeof("tmux\0-S\0" SOCK "\0attach") - 1);
	connect_(&client_a, SOCK);
	now += 10 * MS;
	exec_(&client_b, "tmux\0-S\0" SOCK "\0attach", sizeof("tmux\0-S\0" SOCK "\0attach") - 1);
	connect_(&client_b, SOCK);
	now += 10 * MS;
}

static void test_attach_detach(void)
{
	struct rec *r;

	setup_shared();
	CHECK_EQ_INT(count("attach"), 2);
	r = nth("attach", 1);
	CHECK_EQ_INT(u64(r, "pid"), 720);
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(u64(r, "ses"), 20);
	CHECK_EQ_INT(u64(r, "uid"), 1002);
	CHECK_EQ_STR(str(r, "tty"), "pts1");
	CHECK_EQ_STR(str(r, "tty_dev"), "136:1");
	CHECK_EQ_STR(str(r, "server"), SOCK);
	CHECK_EQ_INT(u64(r, "server_pid"), 700);
	CHECK_EQ_STR(str(r, "server_comm"), "tmux: server");
	CHECK(strstr(r->json, "\"argv\":[\"tmux\",\"-S\",\"" SOCK "\",\"attach\"]") != NULL);
	/* The store keys a record by its first "ses": the client's. */
	CHECK(strstr(r->json, "\"ses\":20") == strstr(r->json, "\"ses\":"));

	/* the same client connecting again is not a second attach */
	connect_(&client_b, SOCK);
	CHECK_EQ_INT(count("attach"), 2);

	now += 100 * MS;
	exit_(&client_b, 0);
	CHECK_EQ_INT(count("detach"), 1);
	r = nth("detach", 0);
	CHECK_EQ_INT(u64(r, "pid"), 720);
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(u64(r, "ses"), 20);
	CHECK_EQ_STR(str(r, "tty"), "pts1");
	CHECK_EQ_STR(str(r, "server"), SOCK);
	CHECK_EQ_STR(str(r, "reason"), "exit");
	CHECK_EQ_INT(u64(r, "exit_code"), 0);
	CHECK(strcmp(str(r, "attached_at"), str(r, "detached_at")) < 0);

	/*
	 * alice's login shell ends while her client ignores the SIGHUP (a pty is
	 * not hung up): the client reads on, attached, and her keys are hers.
	 * It was detached ("tty_session_end") and her keys named nobody.
	 */
	input(&sshd_a, 0, &shell_a, "x", 1); /* learn pts0's session leader */
	exit_(&shell_a, 0);
	CHECK_EQ_INT(count("detach"), 1);
	{
		/* the terminal has no session leader now: a no-login owner */
		static const struct proc no_leader = { 0, 0, 0, UINT32_MAX, 0x80001234u, "", 0 };

		now += 500 * MS;
		input(&sshd_a, 0, &no_leader, "q", 1);
		now += 1 * MS;
		input(&server, 2, &pane_sh, "q", 1);
	}
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1001);
	CHECK_EQ_INT(sub_u64(r, "client", "pid"), 710);
	exit_(&client_a, 0);
	CHECK_EQ_INT(count("detach"), 2);
	CHECK_EQ_STR(str(nth("detach", 1), "reason"), "exit");

	/* a client without a login uid is gone with its terminal's session (its exit may not be seen) */
	{
		static const struct proc shell_n = { 1501, 1500, 0, UINT32_MAX, 0x80005678u, "bash", 7 };
		static const struct proc client_n = { 1510, 1501, 0, UINT32_MAX, 0x80005678u,
						      "tmux: client", 7 };

		connect_(&client_n, SOCK);
		CHECK_EQ_INT(count("attach"), 3);
		input(&sshd_a, 7, &shell_n, "x", 1);
		exit_(&shell_n, 0);
		CHECK_EQ_INT(count("detach"), 3);
		r = nth("detach", 2);
		CHECK_EQ_INT(u64(r, "pid"), 1510);
		CHECK_EQ_STR(str(r, "reason"), "tty_session_end");
	}
	ta_shared_tracker_free(T);
	T = NULL;
}

/*
 * Another user's process named like a tmux server binds the path of a live
 * server of alice's (bind(-1, path): reported, though it fails): nothing of
 * alice's server is taken, its clients stay attached to it. Root may.
 */
static void test_bind_over_live_server(void)
{
	static const struct proc fake = { 730, 601, 1002, 1002, 20, "tmux: server", -1 };
	static const struct proc root_srv = { 740, 1, 0, 0, 30, "tmux: server", -1 };

	setup_shared();
	bind_(&fake, SOCK);
	CHECK_EQ_INT(count("detach"), 0);
	for (const char *p = "ls\r"; *p; p++) {
		char k[2] = { *p, 0 };
		key_a(k);
	}
	flush_at(now + 1000 * MS);
	CHECK_EQ_INT(count("attribution"), 1);
	struct rec *r = nth("attribution", 0);
	if (r) {
		CHECK_EQ_INT(u64(r, "server_pid"), 700);
		CHECK_EQ_INT(sub_u64(r, "client", "pid"), 710);
	}
	bind_(&root_srv, SOCK);
	CHECK_EQ_INT(count("detach"), 2);
	ta_shared_tracker_free(T);
	T = NULL;
}

/*
 * mallory (1003, ses 30, pts5) tries alice's server and is refused (EACCES),
 * then reaches a socket of her own under the same name (a user namespace
 * with its own directory mounted over the path: another inode), and types
 * along with alice. Either used to make her a candidate typist, and every
 * pane write she typed too was ambiguous. A connect to the server's own
 * socket does attach.
 */
static void test_failed_connect(void)
{
	static const struct proc sshd_m = { 800, 799, 1003, 1003, 30, "sshd", -1 };
	static const struct proc shell_m = { 801, 800, 1003, 1003, 30, "bash", 5 };
	static const struct proc try_m = { 830, 801, 1003, 1003, 30, "python3", 5 };
	static const struct proc spoof_m = { 831, 801, 1003, 1003, 30, "python3", 5 };
	static const struct proc ok_m = { 832, 801, 1003, 1003, 30, "python3", 5 };
	static const char *argv = "tmux\0-S\0" SOCK "\0attach";
	size_t argv_len = sizeof("tmux\0-S\0" SOCK "\0attach") - 1;

	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	now = 1000 * MS;
	sock_id(&server, TA_UNIX_BIND, SOCK, 0, 555);
	exec_(&pane_sh, "-bash", sizeof("-bash") - 1);
	now += 10 * MS;
	exec_(&client_a, argv, argv_len);
	sock_id(&client_a, TA_UNIX_CONNECT, SOCK, 0, 555);
	now += 10 * MS;
	CHECK_EQ_INT(count("attach"), 1);

	sock_id(&try_m, TA_UNIX_CONNECT, SOCK, -13, 0);
	sock_id(&spoof_m, TA_UNIX_CONNECT, SOCK, 0, 999);
	CHECK_EQ_INT(count("attach"), 1);
	for (const char *p = "ls\r"; *p; p++) {
		char k[2] = { *p, 0 };
		input(&sshd_m, 5, &shell_m, k, 1);
		key_a(k);
	}
	flush_at(now + 1000 * MS);
	CHECK_EQ_INT(count("attribution"), 1);
	struct rec *r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1001);
	CHECK_EQ_INT(sub_u64(r, "client", "pid"), 710);

	/* A bind at the same name with another inode is another server, not a replacement. */
	sock_id(&spoof_m, TA_UNIX_BIND, SOCK, 0, 999);
	CHECK_EQ_INT(count("detach"), 0);
	sock_id(&ok_m, TA_UNIX_CONNECT, SOCK, 0, 555);
	CHECK_EQ_INT(count("attach"), 2);
	r = nth("attach", 1);
	CHECK_EQ_INT(u64(r, "pid"), 832);
	CHECK_EQ_INT(u64(r, "server_pid"), 700);
	/* whose server, and which socket (a look-alike has another inode) */
	CHECK_EQ_INT(u64(r, "server_uid"), 1001);
	CHECK_EQ_STR(str(r, "server_inode"), "8:1:555");

	/*
	 * tmux's first client finds no server (ENOENT), starts one, and talks to
	 * it over a socket pair: its failed connect attaches when the bind
	 * follows. A refused one (EACCES) never does.
	 */
	static const struct proc srv2 = { 900, 1, 1001, 1001, 10, "tmux: server", -1 };
	static const struct proc first = { 910, 501, 1001, 1001, 10, "tmux: client", 0 };
	sock_id(&first, TA_UNIX_CONNECT, "/tmp/team/new", -2, 0);
	sock_id(&try_m, TA_UNIX_CONNECT, "/tmp/team/new", -13, 0);
	now += 50 * MS;
	/* mallory's flood of such connects (a seccomp filter answers ENOENT) pushes out only hers */
	for (int i = 0; i < 64; i++)
		sock_id(&try_m, TA_UNIX_CONNECT, "/tmp/team/new", -2, 0);
	sock_id(&srv2, TA_UNIX_BIND, "/tmp/team/new", 0, 777);
	CHECK_EQ_INT(count("attach"), 3);
	r = nth("attach", 2);
	CHECK_EQ_INT(u64(r, "pid"), 910);
	CHECK_EQ_INT(u64(r, "server_pid"), 900);
	/* the same server binding its path again (tmux on SIGUSR1): one server, its new inode */
	sock_id(&srv2, TA_UNIX_BIND, "/tmp/team/new", 0, 778);
	CHECK_EQ_INT(count("detach"), 0);
	sock_id(&ok_m, TA_UNIX_CONNECT, "/tmp/team/new", 0, 778);
	CHECK_EQ_INT(count("attach"), 4);
	CHECK_EQ_INT(u64(nth("attach", 3), "server_pid"), 900);
	ta_shared_tracker_free(T);
	T = NULL;
}

/*
 * mallory binds a look-alike at alice's socket's name in a mount namespace
 * of her own and closes it as soon as she has connected: the kernel names
 * the socket she reached by its bound name, but its file is gone when the
 * capture reads it (no inode). By the name alone she was a client of
 * alice's server, a candidate typist of its panes. An abstract name, which
 * never has a file, is still known by its name.
 */
static void test_released_peer(void)
{
	static const struct proc decoy_m = { 840, 801, 1003, 1003, 30, "python3", 5 };
	static const struct proc abs_srv = { 850, 1, 1001, 1001, 10, "tmux: server", -1 };
	static const char abs_name[] = "\0tmux-abs";

	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	now = 1000 * MS;
	sock_id(&server, TA_UNIX_BIND, SOCK, 0, 555);
	sock_id(&client_a, TA_UNIX_CONNECT, SOCK, 0, 555);
	CHECK_EQ_INT(count("attach"), 1);
	now += 10 * MS;
	/* the kernel's socket, without its file */
	sock_ev(&decoy_m, TA_UNIX_CONNECT, SOCK, sizeof(SOCK) - 1, 0, true, 0);
	CHECK_EQ_INT(count("attach"), 1);
	/* the same from an abstract server: known by its name, as before */
	sock_ev(&abs_srv, TA_UNIX_BIND, abs_name, sizeof(abs_name) - 1, 0, true, 0);
	now += 10 * MS;
	sock_ev(&decoy_m, TA_UNIX_CONNECT, abs_name, sizeof(abs_name) - 1, 0, true, 0);
	CHECK_EQ_INT(count("attach"), 2);
	ta_shared_tracker_free(T);
	T = NULL;
}

static void test_interleaved(void)
{
	struct rec *r;

	setup_shared();
	for (const char *p = "echo a\r"; *p; p++) {
		char k[2] = { *p, 0 };
		key_a(k);
	}
	for (const char *p = "echo b\r"; *p; p++) {
		char k[2] = { *p, 0 };
		key_b(k);
	}
	key_a("x");
	flush_at(now + 1000 * MS);
	CHECK_EQ_INT(count("attribution"), 3);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1001);
	CHECK_EQ_INT(u64(r, "ses"), 10);
	CHECK_EQ_INT(u64(r, "bytes"), 7);
	CHECK_EQ_INT(u64(r, "events"), 7);
	CHECK_EQ_STR(str(r, "pane"), "pts2");
	CHECK_EQ_INT(u64(r, "pane_owner_auid"), 1001);
	CHECK_EQ_STR(str(r, "server"), SOCK);
	CHECK_EQ_INT(u64(r, "server_pid"), 700);
	CHECK_EQ_INT(sub_u64(r, "client", "pid"), 710);
	CHECK_EQ_STR(sub_str(r, "client", "tty"), "pts0");
	r = nth("attribution", 1);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(u64(r, "ses"), 20);
	CHECK_EQ_INT(u64(r, "bytes"), 7);
	CHECK_EQ_INT(sub_u64(r, "client", "pid"), 720);
	CHECK_EQ_STR(sub_str(r, "client", "tty"), "pts1");
	r = nth("attribution", 2);
	CHECK_EQ_INT(u64(r, "auid"), 1001);
	CHECK_EQ_INT(u64(r, "bytes"), 1);

	/* key by key, alternating: every key its own run, each to its typist */
	reset();
	key_a("1");
	key_b("2");
	key_a("3");
	key_b("4");
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 4);
	for (int i = 0; i < 4; i++) {
		r = nth("attribution", i);
		CHECK_EQ_STR(str(r, "confidence"), "exact");
		CHECK_EQ_INT(u64(r, "auid"), i % 2 ? 1002 : 1001);
	}

	/* both type the same key within the window: first ambiguous, then the other's */
	reset();
	input(&sshd_a, 0, &shell_a, "z", 1);
	now += 2 * MS;
	input(&sshd_b, 1, &shell_b, "z", 1);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "z", 1);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "z", 1);
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 2);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "ambiguous");
	CHECK(is_null(r, "auid") && is_null(r, "ses") && is_null(r, "client"));
	CHECK(strstr(r->json, "\"candidates\":[{") != NULL);
	CHECK(strstr(r->json, "\"pid\":710") && strstr(r->json, "\"pid\":720"));
	r = nth("attribution", 1);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);

	/* both typed different keys in the window; the pane got neither verbatim */
	reset();
	now += 500 * MS;
	input(&sshd_a, 0, &shell_a, "\033[A", 3);
	input(&sshd_b, 1, &shell_b, "\033[B", 3);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "\033OB", 3);
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "ambiguous");
}

static void test_prefix_keys(void)
{
	struct rec *r;

	setup_shared();
	/* C-b " splits the window: consumed by tmux, nothing reaches the pane */
	key_via(&sshd_b, 1, &shell_b, &server, 2, &pane_sh, "\002\"", NULL);
	key_b("q");
	/* C-b C-b sends one C-b to the pane */
	key_via(&sshd_b, 1, &shell_b, &server, 2, &pane_sh, "\002\002", "\002");
	flush_at(TA_SHARED_FLUSH_ALL);
	expect_one_run("exact", 1002, 2, 2);

	/* an arrow key rewritten for the pane's cursor mode: bytes differ, one typist */
	reset();
	now += 1000 * MS;
	key_via(&sshd_b, 1, &shell_b, &server, 2, &pane_sh, "\033[A", "\033OA");
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "timing");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(sub_u64(r, "client", "pid"), 720);

	/* input older than the window is not the source */
	reset();
	now += 1000 * MS;
	input(&sshd_b, 1, &shell_b, "k", 1);
	now += 300 * MS;
	input(&server, 2, &pane_sh, "k", 1);
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "none");
}

static void test_paste_none(void)
{
	static const struct proc cmd_b = { 730, 601, 1002, 1002, 20, "tmux: client", 1 };
	struct rec *r;

	setup_shared();
	now += 2000 * MS; /* well after the attaches (see command_client) */
	/* paste-buffer from a key binding or the server itself: no client input */
	input(&server, 2, &pane_sh, "pasted text\n", 12);
	now += 2000 * MS;
	flush_at(now);
	CHECK_EQ_INT(count("attribution"), 1);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "none");
	CHECK(is_null(r, "auid") && is_null(r, "ses") && is_null(r, "client"));
	CHECK(ta_jobj_get(&r->o, "command_client") == NULL);
	CHECK_EQ_INT(u64(r, "bytes"), 12);

	/* bob runs `tmux -S ... send-keys` from his shell: a command client, then pane input */
	reset();
	exec_(&cmd_b, "tmux\0-S\0" SOCK "\0send-keys\0rm -rf x\0Enter", sizeof("tmux\0-S\0" SOCK "\0send-keys\0rm -rf x\0Enter") - 1);
	connect_(&cmd_b, SOCK);
	now += 3 * MS;
	input(&server, 2, &pane_sh, "rm -rf x\r", 9);
	now += 1 * MS;
	exit_(&cmd_b, 0);
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attach"), 1);
	CHECK(strstr(nth("attach", 0)->json, "\"send-keys\"") != NULL);
	CHECK_EQ_INT(count("detach"), 1);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "none");
	CHECK_EQ_INT(sub_u64(r, "command_client", "pid"), 730);
	CHECK_EQ_INT(sub_u64(r, "command_client", "auid"), 1002);
}

/*
 * The pane receives a key before its typist's own input is recorded: the
 * process that wrote it into the client's terminal was preempted after the
 * kernel took it and before its call's exit, while the client and the server
 * relayed it (seen on a loaded host with screen behind ssh).
 */
static void test_late_typist(void)
{
	struct rec *r;

	setup_shared();
	input(&server, 2, &pane_sh, "q", 1);
	now += 16000; /* 16 us */
	input(&sshd_b, 1, &shell_b, "q", 1);
	now += 30 * MS;
	key_b("w");
	flush_at(TA_SHARED_FLUSH_ALL);
	expect_one_run("exact", 1002, 2, 2);

	/* input that is nobody's waits its 20 ms, then says so, in the pane's order */
	reset();
	now += 1000 * MS;
	input(&server, 2, &pane_sh, "p", 1);
	now += 25 * MS;
	key_a("x");
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 2);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "none");
	CHECK_EQ_INT(u64(r, "bytes"), 1);
	r = nth("attribution", 1);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1001);

	/* the pane's next input does not wait behind it: the held one goes first */
	reset();
	now += 1000 * MS;
	input(&server, 2, &pane_sh, "m", 1);
	now += 1 * MS;
	key_a("n");
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 2);
	CHECK_EQ_STR(str(nth("attribution", 0), "confidence"), "none");
	CHECK_EQ_STR(str(nth("attribution", 1), "confidence"), "exact");

	/*
	 * The same bytes reaching another login's terminal after the pane got
	 * them are the pane's input passed on downstream (an ssh in the pane),
	 * not their cause: nobody typed them.
	 */
	{
		static const struct proc sshd_c = { 800, 799, 1003, 1003, 30, "sshd", -1 };
		static const struct proc shell_c = { 801, 800, 1003, 1003, 30, "bash", 5 };

		reset();
		now += 1000 * MS;
		input(&server, 2, &pane_sh, "\033[?1;2c", 7);
		now += 1 * MS;
		input(&sshd_c, 5, &shell_c, "\033[?1;2c", 7);
		flush_at(TA_SHARED_FLUSH_ALL);
		CHECK_EQ_INT(count("attribution"), 1);
		r = nth("attribution", 0);
		CHECK_EQ_STR(str(r, "confidence"), "none");
		CHECK(is_null(r, "auid"));
	}

	/* a flush by the wall clock settles it after the wait, not before */
	reset();
	now += 1000 * MS;
	input(&server, 2, &pane_sh, "k", 1);
	flush_at(now + 5 * MS);
	now += 6 * MS;
	input(&sshd_b, 1, &shell_b, "k", 1);
	now += 1000 * MS;
	input(&server, 2, &pane_sh, "j", 1);
	flush_at(now + 5 * MS);
	CHECK_EQ_INT(count("attribution"), 1);
	flush_at(now + 600 * MS);
	CHECK_EQ_INT(count("attribution"), 2);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_STR(str(nth("attribution", 1), "confidence"), "none");
}

static void test_runs_and_flush(void)
{
	struct rec *r;

	setup_shared();
	key_b("a");
	flush_at(now + 100 * MS); /* not idle long enough */
	CHECK_EQ_INT(count("attribution"), 0);
	key_b("b");
	flush_at(now + 600 * MS);
	CHECK_EQ_INT(count("attribution"), 1);
	r = nth("attribution", 0);
	CHECK_EQ_INT(u64(r, "bytes"), 2);
	CHECK(strcmp(str(r, "start"), str(r, "end")) < 0);
	/* a pause longer than the gap starts a new run */
	key_b("c");
	now += 800 * MS;
	key_b("d");
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 3);

	/* no-echo input in the pane (a password): no bytes to compare, timing only */
	reset();
	input(&sshd_b, 1, &shell_b, "hunter2\r", 8);
	now += 1 * MS;
	{
		struct ta_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.kind = TA_EV_TTY_INPUT;
		ev.flags = TA_F_FROM_MASTER | TA_F_REDACTED | TA_F_ICANON;
		ev.task = task(&server);
		ev.tty = pts(2);
		ev.owner_auid = 1001;
		ev.owner_ses = 10;
		ev.owner_pid = 701;
		ev.total_len = 8;
		feed(&ev);
	}
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "timing");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(u64(r, "bytes"), 8);
}

static void test_nested(void)
{
	/* alice, in her pane pts2 of the outer server, ssh's to this host again (pts3,
	 * ses 11) and attaches there to a second tmux server whose pane is pts4. */
	static const struct proc ssh_in_pane = { 740, 701, 1001, 1001, 10, "ssh", 2 };
	static const struct proc sshd2 = { 800, 799, 1001, 1001, 11, "sshd", -1 };
	static const struct proc shell2 = { 801, 800, 1001, 1001, 11, "bash", 3 };
	static const struct proc server2 = { 900, 1, 1001, 1001, 11, "tmux: server", -1 };
	static const struct proc pane2 = { 901, 900, 1001, 1001, 11, "bash", 4 };
	static const struct proc client2 = { 910, 801, 1001, 1001, 11, "tmux: client", 3 };
	static const struct proc ls_in_pane = { 750, 701, 1001, 1001, 10, "tmux: client", 2 };
	struct rec *r;

	setup_shared();
	(void)ssh_in_pane;
	bind_(&server2, "/tmp/tmux-1001/default");
	exec_(&pane2, "-bash", sizeof("-bash") - 1);
	connect_(&client2, "/tmp/tmux-1001/default");
	CHECK_EQ_INT(count("attach"), 3);
	r = nth("attach", 2);
	CHECK_EQ_INT(u64(r, "ses"), 11);
	CHECK_EQ_STR(str(r, "server"), "/tmp/tmux-1001/default");

	/* `tmux ls` run inside the outer pane: a command from within, not an attach */
	connect_(&ls_in_pane, SOCK);
	exit_(&ls_in_pane, 0);
	CHECK_EQ_INT(count("attach"), 3);
	CHECK_EQ_INT(count("detach"), 0);

	/* alice types 'k': pts0 -> outer pane pts2 -> (ssh) -> pts3 -> inner pane pts4 */
	now += 500 * MS;
	input(&sshd_a, 0, &shell_a, "k", 1);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "k", 1);
	now += 1 * MS;
	input(&sshd2, 3, &shell2, "k", 1);
	now += 1 * MS;
	input(&server2, 4, &pane2, "k", 1);
	/* bob types 'j' into the outer pane, which alice's ssh carries inward */
	now += 300 * MS;
	input(&sshd_b, 1, &shell_b, "j", 1);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "j", 1);
	now += 1 * MS;
	input(&sshd2, 3, &shell2, "j", 1);
	now += 1 * MS;
	input(&server2, 4, &pane2, "j", 1);
	flush_at(TA_SHARED_FLUSH_ALL);
	/* outer: one run each; inner: one run of both keys, all from the inner client */
	CHECK_EQ_INT(count("attribution"), 3);
	for (int i = 0; i < 3; i++) {
		r = nth("attribution", i);
		CHECK_EQ_STR(str(r, "confidence"), "exact");
		if (!strcmp(str(r, "pane"), "pts2")) {
			/* outer pane: the outer clients */
			CHECK(sub_u64(r, "client", "pid") == 710 || sub_u64(r, "client", "pid") == 720);
			CHECK_EQ_STR(str(r, "server"), SOCK);
		} else {
			CHECK_EQ_STR(str(r, "pane"), "pts4");
			/* inner pane: the login that runs the inner client */
			CHECK_EQ_INT(sub_u64(r, "client", "pid"), 910);
			CHECK_EQ_INT(u64(r, "ses"), 11);
			CHECK_EQ_STR(str(r, "server"), "/tmp/tmux-1001/default");
			CHECK_EQ_INT(u64(r, "events"), 2);
		}
	}
	/* which outer client: alice's key to alice, bob's to bob */
	int seen_a = 0, seen_b = 0;
	for (int i = 0; i < 3; i++) {
		r = nth("attribution", i);
		if (strcmp(str(r, "pane"), "pts2"))
			continue;
		seen_a += u64(r, "auid") == 1001 && sub_u64(r, "client", "pid") == 710;
		seen_b += u64(r, "auid") == 1002 && sub_u64(r, "client", "pid") == 720;
	}
	CHECK_EQ_INT(seen_a, 1);
	CHECK_EQ_INT(seen_b, 1);

	/* the inner server exits: its client is detached with it */
	exit_(&server2, 0);
	CHECK_EQ_INT(count("detach"), 1);
	CHECK_EQ_STR(str(nth("detach", 0), "reason"), "server_exit");
	CHECK_EQ_INT(u64(nth("detach", 0), "pid"), 910);
}

/*
 * A client whose keys come from a pty it opened (not its controlling
 * terminal): that pty has no login uid, so the fallback for unseen clients
 * must not name its nobody as the typist with "exact"; the run says none.
 */
static void test_unowned_terminal(void)
{
	/* mallory (bob's login, auid 1002) opened pts5: no session leader, a no-login ses */
	static const struct proc nobody = { 1200, 1, 1002, UINT32_MAX, 0x81595d70u, "python3", 5 };
	static const struct proc mallory = { 1199, 601, 1002, 1002, 20, "python3", 1 };
	struct rec *r;

	setup_shared();
	now += 500 * MS;
	input(&mallory, 5, &nobody, "id\r", 3);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "id\r", 3);
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 1);
	r = nth("attribution", 0);
	if (r)
		CHECK_EQ_STR(str(r, "confidence"), "none");
}

/*
 * What an attached client's terminal typed is no one else's to claim: a
 * process of mallory's named tmux, writing a pty of its own (no bind, no
 * client), copied bob's keys as he typed them. Named bob's, "exact", in its
 * pane (his record, in his session), they were used up, and the pane of
 * alice's server they reached named nobody.
 */
static void test_copied_keys(void)
{
	static const struct proc fake = { 1400, 1399, 1003, 1003, 30, "tmux: server", -1 };
	static const struct proc fake_sh = { 1401, 1400, 1003, 1003, 30, "bash", 6 };
	struct rec *r;

	setup_shared();
	now += 500 * MS;
	input(&sshd_b, 1, &shell_b, "s", 1);
	now += 200 * 1000;
	input(&fake, 6, &fake_sh, "s", 1);
	/* alice's server, loaded, forwards the key 30 ms after it came (inside the window) */
	now += 30 * MS;
	input(&server, 2, &pane_sh, "s", 1);
	/* bob, logged in but attached to nothing of mallory's, types in his own shell */
	now += 500 * MS;
	input(&sshd_b, 1, &shell_b, "t", 1);
	now += 1 * MS;
	input(&fake, 6, &fake_sh, "t", 1);
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 3);
	for (int i = 0; i < count("attribution"); i++) {
		r = nth("attribution", i);
		if (!strcmp(str(r, "pane"), "pts6")) {
			CHECK_EQ_STR(str(r, "confidence"), "none");
			CHECK(is_null(r, "auid"));
		} else {
			CHECK_EQ_STR(str(r, "pane"), "pts2");
			CHECK_EQ_STR(str(r, "confidence"), "exact");
			CHECK_EQ_INT(u64(r, "auid"), 1002);
			CHECK_EQ_INT(sub_u64(r, "client", "pid"), 720);
		}
	}
}

/*
 * bob's client forks after its connect and leaves (a detach, "exit"); the
 * child keeps the connection and types, with a key the server consumes in
 * the same read (a focus report): the pane's bytes are among his terminal's,
 * not all of them. His login reached the server, so his terminal is named;
 * it was "none" (the fallback wanted the bytes alone).
 */
static void test_client_forked(void)
{
	static const struct proc child_b = { 721, 720, 1002, 1002, 20, "tmux: client", 1 };
	struct rec *r;

	setup_shared();
	exit_(&client_b, 0);
	CHECK_EQ_INT(count("detach"), 1);
	(void)child_b;
	now += 500 * MS;
	key_via(&sshd_b, 1, &shell_b, &server, 2, &pane_sh, "x\x1b[I", "x");
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 1);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(u64(r, "ses"), 20);
	CHECK(r && strstr(r->json, "\"attached\":false") != NULL);
}

/*
 * A server remembers the last 16 logins that reached it. bob's client forked
 * and left (as above), then 16 other logins reached the server and left,
 * mallory's last: bob's login is forgotten. When bob and mallory type the
 * same key and the pane gets it, the fallback used to find mallory's terminal
 * alone and name her 'exact'. Now a server that forgot a login vouches for
 * no terminal alone (ambiguous, mallory a candidate), and the table_full
 * notice counts the forgotten logins.
 */
static void test_forgotten_logins(void)
{
	static const struct proc sshd_m = { 800, 799, 1003, 1003, 30, "sshd", -1 };
	static const struct proc shell_m = { 801, 800, 1003, 1003, 30, "bash", 5 };
	static const struct proc client_m = { 810, 801, 1003, 1003, 30, "tmux: client", 5 };
	struct ta_shared_stats st;
	struct rec *r;

	setup_shared();
	exit_(&client_b, 0);
	for (uint32_t i = 0; i < 15; i++) {
		struct proc p = { 2000 + i, 1, 2000 + i, 2000 + i, 100 + i, "tmux: client", -1 };

		connect_(&p, SOCK);
		exit_(&p, 0);
		now += 1 * MS;
	}
	connect_(&client_m, SOCK);
	exit_(&client_m, 0);
	now += 500 * MS;
	input(&sshd_b, 1, &shell_b, "k", 1);
	input(&sshd_m, 5, &shell_m, "k", 1);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "k", 1);
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_INT(count("attribution"), 1);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "ambiguous");
	CHECK(r && strstr(r->json, "\"auid\":1003") != NULL);
	ta_shared_get_stats(T, &st);
	CHECK(st.evicted_logins >= 2); /* alice's and bob's */
	CHECK_EQ_INT(count("notice"), 1);
	CHECK(nth("notice", 0) && u64(nth("notice", 0), "evicted_logins") >= 2);
}

static void test_sudo_attach(void)
{
	/* carol (1003, ses 30) runs `sudo -u alice tmux attach`: uid is alice's, the person carol */
	static const struct proc sshd_c = { 1200, 1199, 1003, 1003, 30, "sshd", -1 };
	static const struct proc shell_c = { 1201, 1200, 1003, 1003, 30, "bash", 5 };
	static const struct proc client_c = { 1210, 1209, 1001, 1003, 30, "tmux: client", 5 };
	struct rec *r;

	setup_shared();
	connect_(&client_c, SOCK);
	r = nth("attach", 2);
	CHECK_EQ_INT(u64(r, "uid"), 1001);
	CHECK_EQ_INT(u64(r, "auid"), 1003);
	CHECK_EQ_INT(u64(r, "ses"), 30);
	key_via(&sshd_c, 5, &shell_c, &server, 2, &pane_sh, "w", "w");
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1003);
	CHECK_EQ_INT(u64(r, "ses"), 30);
	CHECK_EQ_INT(sub_u64(r, "client", "uid"), 1001);
}

static void test_renamed(void)
{
	/* A tmux binary copied under other names: server "x", clients "y". */
	static const struct proc srv_x = { 700, 1, 1001, 1001, 10, "x", -1 };
	static const struct proc cli_y = { 720, 601, 1002, 1002, 20, "y", 1 };
	static const struct proc agent = { 1300, 1, 1001, 1001, 10, "ssh-agent", -1 };
	static const struct proc ssh_add = { 1310, 501, 1001, 1001, 10, "ssh-add", 0 };
	struct rec *r;

	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	now = 1000 * MS;

	/* a socket that is not a terminal server: no attach, ever */
	bind_(&agent, "/tmp/ssh-abc/agent.1");
	connect_(&ssh_add, "/tmp/ssh-abc/agent.1");
	exit_(&ssh_add, 0);
	CHECK_EQ_INT(count("attach") + count("detach"), 0);

	/*
	 * the renamed client's connect is seen before the server's bind (the
	 * kernel names the socket it reached: the bind's, by inode)
	 */
	sock_id(&cli_y, TA_UNIX_CONNECT, SOCK, 0, 555);
	now += 5 * MS;
	sock_id(&srv_x, TA_UNIX_BIND, SOCK, 0, 555);
	CHECK_EQ_INT(count("attach"), 0); /* nothing proves yet that it serves terminals */
	/* bob types; the server writes the pane: now it is a terminal server */
	key_via(&sshd_b, 1, &shell_b, &srv_x, 2, &pane_sh, "r", "r");
	CHECK_EQ_INT(count("attach"), 1);
	r = nth("attach", 0);
	CHECK_EQ_INT(u64(r, "pid"), 720);
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_STR(str(r, "evidence"), "server_writes_panes");
	CHECK_EQ_STR(str(r, "server_comm"), "x");
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);

	/*
	 * A client never seen connecting, of a login that reached the server (here
	 * by a process without a terminal, which can hand its connection over):
	 * found by its terminal's input
	 */
	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	bind_(&server, SOCK);
	{
		static const struct proc helper_b = { 630, 1, 1002, 1002, 20, "python3", -1 };

		connect_(&helper_b, SOCK);
	}
	CHECK_EQ_INT(count("attach"), 0);
	now += 100 * MS;
	key_b("u");
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_INT(u64(r, "ses"), 20);
	CHECK(strstr(r->json, "\"attached\":false") != NULL);
	CHECK_EQ_STR(sub_str(r, "client", "tty"), "pts1");

	/* A login never seen reaching it (its connect lost: a gap says so) is named by nothing */
	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	bind_(&server, SOCK);
	now += 100 * MS;
	key_b("u");
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_STR(str(nth("attribution", 0), "confidence"), "none");

	/* a server known only by the pane writes (bind not seen, started by a service) */
	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	connect_(&client_b, "/tmp/tmux-0/default");
	/* a connect to a path nobody bound is no attach, whatever the client's name */
	CHECK_EQ_INT(count("attach"), 0);
	{
		static const struct proc svc_server = { 700, 1, 0, UINT32_MAX, UINT32_MAX,
							"tmux: server", -1 };

		key_via(&sshd_b, 1, &shell_b, &svc_server, 2, &pane_sh, "v", "v");
	}
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK(strstr(r->json, "\"attached\":false") != NULL);
	CHECK(is_null(r, "server"));
	CHECK_EQ_INT(u64(r, "server_pid"), 700);

	/* tmux and screen clients also connect to nscd: that is no server */
	reset();
	connect_(&client_b, "/var/run/nscd/socket");
	connect_(&shell_a, "/var/run/nscd/socket");
	now += 10 * SECOND_NS;
	CHECK_EQ_INT(count("attach"), 0);
	/* only bytes a terminal received alone are attributed to it without a connect */
	input(&sshd_b, 1, &shell_b, "xv", 2);
	now += 1 * MS;
	input(&server, 2, &pane_sh, "v", 1);
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK_EQ_STR(str(nth("attribution", 0), "confidence"), "none");
}

static void test_screen(void)
{
	/* GNU screen multiuser: the SCREEN server reads bob's terminal itself; the
	 * attaching client (setuid root: uid 0) connects and waits until detached. */
	/* alice's `screen -S shared` (999, on pts0) forks the backend, which binds while
	 * it still has pts0: alice is its first client, without any connect. */
	static const struct proc scr_front = { 999, 501, 1001, 1001, 10, "screen", 0 };
	static const struct proc scr_bind = { 1000, 999, 1001, 1001, 10, "screen", 0 };
	static const struct proc scr = { 1000, 1, 1001, 1001, 10, "screen", -1 };
	static const struct proc scr_pane = { 1001, 1000, 1001, 1001, 10, "bash", 6 };
	static const struct proc scr_b = { 1020, 601, 0, 1002, 20, "screen", 1 };
	struct rec *r;

	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new(&T), 0);
	now = 1000 * MS;
	exec_(&scr_front, "screen\0-S\0shared", sizeof("screen\0-S\0shared") - 1);
	connect_(&scr_bind, "/run/screen/S-alice/1000.shared"); /* probing its own name */
	bind_(&scr_bind, "/run/screen/S-alice/1000.shared");
	CHECK_EQ_INT(count("attach"), 1);
	r = nth("attach", 0);
	CHECK_EQ_INT(u64(r, "pid"), 999);
	CHECK_EQ_STR(str(r, "tty"), "pts0");
	CHECK_EQ_STR(str(r, "comm"), "screen");
	CHECK_EQ_INT(u64(r, "ses"), 10);
	connect_(&scr_b, "/run/screen/S-alice/1000.shared");
	connect_(&scr_b, "/run/screen/S-alice/1000.shared");
	CHECK_EQ_INT(count("attach"), 2);
	r = nth("attach", 1);
	CHECK_EQ_INT(u64(r, "uid"), 0);
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	key_via(&sshd_b, 1, &shell_b, &scr, 6, &scr_pane, "id\r", "id\r");
	flush_at(TA_SHARED_FLUSH_ALL);
	r = nth("attribution", 0);
	CHECK_EQ_STR(str(r, "confidence"), "exact");
	CHECK_EQ_INT(u64(r, "auid"), 1002);
	CHECK_EQ_STR(str(r, "pane"), "pts6");
	exit_(&scr_b, 0);
	CHECK_EQ_INT(count("detach"), 1);
	CHECK_EQ_INT(u64(nth("detach", 0), "pid"), 1020);
	exit_(&scr_front, 0);
	CHECK_EQ_INT(count("detach"), 2);
	(void)scr;
}

static void test_bounds(void)
{
	struct ta_shared_limits lim = { .servers = 2, .clients = 2, .ttys = 2, .panes = 1 };
	struct ta_shared_stats st;
	char path[64];

	reset();
	ta_shared_tracker_free(T);
	CHECK_EQ_INT(ta_shared_tracker_new_limits(&T, &lim), 0);
	now = 1000 * MS;
	/* three hinted servers with a client each, in turn */
	for (int i = 0; i < 3; i++) {
		struct proc c = { 2000 + (uint32_t)i, 601, 1002, 1002, 20, "tmux: client", 1 };
		struct proc s = { 3000 + (uint32_t)i, 1, 1001, 1001, 10, "tmux: server", -1 };

		snprintf(path, sizeof(path), "/tmp/s%d", i);
		bind_(&s, path);
		connect_(&c, path);
		input(&s, 10 + i, &pane_sh, "p", 1);
		now += 10 * MS;
	}
	ta_shared_get_stats(T, &st);
	CHECK(st.evicted_servers >= 1);
	CHECK(st.evicted_panes >= 1);
	/* the evicted attachments end with a detach saying so */
	CHECK(count("detach") >= 1);
	CHECK_EQ_STR(str(nth("detach", 0), "reason"), "evicted");
	/* many terminals typing at once */
	for (int i = 0; i < 5; i++) {
		struct proc sh = { 4000 + (uint32_t)i, 1, 1002, 1002, 20, "bash", 20 + i };

		input(&sshd_b, 20 + i, &sh, "t", 1);
	}
	flush_at(TA_SHARED_FLUSH_ALL);
	ta_shared_get_stats(T, &st);
	CHECK(st.evicted_ttys >= 3);
	CHECK(count("notice") == 1);
	CHECK(u64(nth("notice", 0), "evicted_ttys") >= 3);
	/* reported once */
	flush_at(TA_SHARED_FLUSH_ALL);
	CHECK(count("notice") == 1);
	CHECK(nth("notice", 0) && strstr(nth("notice", 0)->json, "\"subsystem\":\"shared\""));
}

/*
 * A full server table evicts a socket bound but never seen serving a terminal
 * first. It may be a renamed multiplexer that has not written a pane yet: once
 * forgotten, its pane writes make it no server. That eviction was not counted,
 * and no notice said anything was lost.
 */
static void test_evicted_unserved(void)
{
	struct ta_shared_limits lim = { .servers = 2 };
	static const struct proc mux = { 800, 1, 1001, 1001, 10, "mux", -1 };
	static const struct proc agent = { 810, 1, 1001, 1001, 10, "agent", -1 };
	static const struct proc bus = { 820, 1, 1002, 1002, 20, "bus", -1 };
	struct ta_shared_stats st;

	fresh(&lim);
	bind_(&mux, "/tmp/m");
	now += 10 * MS;
	bind_(&agent, "/tmp/a");
	now += 10 * MS;
	bind_(&bus, "/tmp/b"); /* the table is full: mux's socket goes */
	ta_shared_get_stats(T, &st);
	CHECK_EQ_INT(st.evicted_servers, 1);
	/* in the log: the notice every other table's eviction writes */
	flush_at(now);
	CHECK_EQ_INT(count("notice"), 1);
	CHECK(strstr(nth("notice", 0) ? nth("notice", 0)->json : "",
		     "\"reason\":\"table_full\",\"evicted_servers\":1,\"evicted_clients\":0") != NULL);
	ta_shared_tracker_free(T);
	T = NULL;
}

/*
 * A pane write looks at most TA_SH_LOOK attached terminals. mallory attaches
 * that many to the server before bob does: bob's terminal is not looked at.
 * Both type "ls\r" and the pane receives it once: it was 'exact', mallory's,
 * with nothing saying bob was never considered; and bob's keys alone were
 * 'exact' through the fallback for terminals not seen attached. Now both are
 * 'ambiguous' and say how many clients were not looked at.
 */
static void test_candidates_skipped(void)
{
	static const struct proc sshd_m = { 900, 899, 1003, 1003, 30, "sshd", -1 };
	static const struct proc shell_m = { 901, 900, 1003, 1003, 30, "bash", 100 };
	static const char *const first_cand[2] = { "\"candidates\":[{\"auid\":1003",
						    "\"candidates\":[{\"auid\":1002" };
	struct ta_shared_stats st;

	fresh(NULL);
	bind_(&server, SOCK);
	exec_(&pane_sh, "-bash", sizeof("-bash") - 1);
	for (int i = 0; i < 64; i++) {
		struct proc c = { 5000 + (uint32_t)i, 901, 1003, 1003, 30, "tmux: client", 100 + i };

		connect_(&c, SOCK);
	}
	connect_(&client_b, SOCK);
	CHECK_EQ_INT(count("attach"), 65);
	now += 100 * MS;

	/* both type it; then bob alone, matched only by the fallback for unattached terminals */
	input(&sshd_m, 100, &shell_m, "ls\r", 3);
	key_b("ls\r");
	now += 600 * MS;
	key_b("id\r");
	flush_at(TA_SHARED_FLUSH_ALL);

	CHECK_EQ_INT(count("attribution"), 2);
	for (int k = 0; k < 2; k++) {
		struct rec *r = nth("attribution", k);

		CHECK_EQ_STR(str(r, "confidence"), "ambiguous");
		CHECK(is_null(r, "auid"));
		CHECK_EQ_INT(u64(r, "candidates_skipped"), 1);
		CHECK(strstr(r ? r->json : "", first_cand[k]) != NULL);
	}
	ta_shared_get_stats(T, &st);
	CHECK_EQ_INT(st.partial, 2);
	CHECK_EQ_INT(st.exact, 0);
	ta_shared_tracker_free(T);
	T = NULL;
}

/*
 * The argv cache holds 256 execs. Execs of programs that have exited no
 * longer push out a live process's argv; when 256 live processes hold it, the
 * attach of one whose argv was evicted says so ("argv_unknown"), and an
 * eviction remembered too long to be told of that way reaches the table_full
 * notice. Before, any 256 execs flushed it and the attach had no argv, with
 * nothing saying why.
 */
static void test_argv_evicted(void)
{
	static const char av[] = "tmux\0-S\0" SOCK "\0attach";
	struct ta_shared_stats st;
	struct rec *r;

	setup_shared();
	/* a build: 300 programs run and exit between bob's exec and his connect */
	exit_(&client_b, 0);
	exec_(&client_b, av, sizeof(av) - 1);
	for (uint32_t i = 0; i < 300; i++) {
		struct proc cc = { 10000 + i, 601, 1002, 1002, 20, "cc", 1 };

		exec_(&cc, "cc", 2);
		exit_(&cc, 0);
	}
	connect_(&client_b, SOCK);
	r = nth("attach", 2);
	CHECK_EQ_INT(u64(r, "pid"), 720);
	CHECK(strstr(r ? r->json : "", "\"argv\":[\"tmux\",\"-S\"") != NULL);
	CHECK(!strstr(r ? r->json : "", "argv_unknown"));

	/* 256 live processes exec after bob's second client: its argv is evicted */
	exit_(&client_b, 0);
	exec_(&client_b, av, sizeof(av) - 1);
	for (uint32_t i = 0; i < 256; i++) {
		struct proc sl = { 20000 + i, 601, 1002, 1002, 20, "sleep", 1 };

		exec_(&sl, "sleep", 5);
	}
	connect_(&client_b, SOCK);
	r = nth("attach", 3);
	CHECK_EQ_INT(u64(r, "pid"), 720);
	CHECK(ta_jobj_get(r ? &r->o : NULL, "argv") == NULL);
	CHECK_EQ_STR(str(r, "argv_unknown"), "evicted");
	ta_shared_get_stats(T, &st);
	CHECK_EQ_INT(st.argv_evicted, 1);
	CHECK_EQ_INT(st.evicted_argvs, 0);
	/* the detach says the same */
	exit_(&client_b, 0);
	r = nth("detach", count("detach") - 1);
	CHECK_EQ_STR(str(r, "argv_unknown"), "evicted");

	/*
	 * More evicted live processes than can be remembered: counted in the
	 * notice. 1034 more evictions after the 3 above (the pane's shell,
	 * alice's client, bob's, which his exit cleared) forget 12.
	 */
	for (uint32_t i = 0; i < TA_TEST_ARGV_GONE + 10; i++) {
		struct proc sl = { 30000 + i, 601, 1002, 1002, 20, "sleep", 1 };

		exec_(&sl, "sleep", 5);
	}
	flush_at(now);
	ta_shared_get_stats(T, &st);
	CHECK_EQ_INT(st.evicted_argvs, 12);
	CHECK_EQ_INT(count("notice"), 1);
	CHECK_EQ_INT(u64(nth("notice", 0), "evicted_argvs"), 12);
	ta_shared_tracker_free(T);
	T = NULL;
}

int main(void)
{
	test_attach_detach();
	test_bind_over_live_server();
	test_failed_connect();
	test_released_peer();
	test_interleaved();
	test_prefix_keys();
	test_paste_none();
	test_late_typist();
	test_runs_and_flush();
	test_nested();
	test_sudo_attach();
	test_unowned_terminal();
	test_copied_keys();
	test_client_forked();
	test_forgotten_logins();
	test_renamed();
	test_screen();
	test_bounds();
	test_evicted_unserved();
	test_candidates_skipped();
	test_argv_evicted();
	ta_shared_tracker_free(T);
	return check_result();
}

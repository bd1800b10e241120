// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shared terminals: servers (socket paths), attached clients, and which
 * client's terminal input became each run of pane input. How it decides, and
 * where it can be wrong: docs/shared-terminals.md.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared_tty/tracker_internal.h"

static uint64_t tty_key(const struct ta_tty_id *tty)
{
	return ((uint64_t)tty->major << 32) | tty->minor;
}

static bool has_tty(const struct ta_tty_id *tty)
{
	return tty->major || tty->minor;
}

/* A hint only: it lets a connect count before the server is seen working. */
static bool comm_hint(const char *comm)
{
	return !strncasecmp(comm, "tmux", 4) || !strncasecmp(comm, "screen", 6);
}

static void who_from_task(struct ta_sh_who *w, const struct ta_task_id *task,
			  const struct ta_tty_id *tty)
{
	memset(w, 0, sizeof(*w));
	w->pid = task->tgid;
	w->uid = task->uid;
	w->auid = task->auid;
	w->ses = task->ses;
	memcpy(w->comm, task->comm, sizeof(w->comm));
	w->comm[sizeof(w->comm) - 1] = '\0';
	w->tty = *tty;
	w->tty.name[sizeof(w->tty.name) - 1] = '\0';
	w->attached = true;
}

int ta_shared_tracker_new_limits(struct ta_shared_tracker **out,
				 const struct ta_shared_limits *limits)
{
	struct ta_shared_tracker *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	if (limits)
		t->lim = *limits;
	if (!t->lim.servers)
		t->lim.servers = 64;
	if (!t->lim.clients)
		t->lim.clients = 256;
	if (!t->lim.ttys)
		t->lim.ttys = 256;
	if (!t->lim.panes)
		t->lim.panes = 512;
	t->servers = calloc(t->lim.servers, sizeof(*t->servers));
	t->clients = calloc(t->lim.clients, sizeof(*t->clients));
	t->rings = calloc(t->lim.ttys, sizeof(*t->rings));
	t->panes = calloc(t->lim.panes, sizeof(*t->panes));
	if (!t->servers || !t->clients || !t->rings || !t->panes) {
		ta_shared_tracker_free(t);
		return -ENOMEM;
	}
	ta_json_init(&t->json);
	*out = t;
	return 0;
}

int ta_shared_tracker_new(struct ta_shared_tracker **out)
{
	return ta_shared_tracker_new_limits(out, NULL);
}

void ta_shared_tracker_free(struct ta_shared_tracker *t)
{
	if (!t)
		return;
	free(t->servers);
	free(t->clients);
	free(t->rings);
	free(t->panes);
	ta_json_free(&t->json);
	free(t);
}

void ta_shared_get_stats(const struct ta_shared_tracker *t, struct ta_shared_stats *out)
{
	*out = t->stats;
}

/* ---- recent input of terminals ---- */

static struct ta_sh_ring *ring_find(struct ta_shared_tracker *t, uint64_t key)
{
	for (uint32_t i = 0; i < t->lim.ttys; i++)
		if (t->rings[i].used && t->rings[i].key == key)
			return &t->rings[i];
	return NULL;
}

static struct ta_sh_ring *ring_get(struct ta_shared_tracker *t, const struct ta_tty_id *tty,
				   uint64_t now_ns)
{
	uint64_t key = tty_key(tty);
	struct ta_sh_ring *r = ring_find(t, key), *lru = NULL;

	if (r)
		return r;
	for (uint32_t i = 0; i < t->lim.ttys; i++) {
		if (!t->rings[i].used) {
			r = &t->rings[i];
			break;
		}
		if (!lru || t->rings[i].last_ns < lru->last_ns)
			lru = &t->rings[i];
	}
	if (!r) {
		r = lru;
		/* Input older than the window can no longer match: no loss to report. */
		if (now_ns - r->last_ns < TA_SHARED_WINDOW_NS) {
			t->stats.evicted_ttys++;
			t->unreported_ttys++;
		}
	}
	memset(r, 0, offsetof(struct ta_sh_ring, buf));
	r->used = true;
	r->key = key;
	r->tty = *tty;
	r->tty.name[sizeof(r->tty.name) - 1] = '\0';
	return r;
}

static void ring_append(struct ta_sh_ring *r, const uint8_t *data, uint32_t len, uint64_t ns)
{
	uint32_t slot = r->seg_next;

	if (len > TA_SH_RING) {
		r->head += len - TA_SH_RING;
		data += len - TA_SH_RING;
		len = TA_SH_RING;
	}
	r->seg_start[slot] = r->head;
	r->seg_ns[slot] = ns;
	r->seg_next = (slot + 1) % TA_SH_SEGS;
	if (r->nseg < TA_SH_SEGS)
		r->nseg++;
	for (uint32_t i = 0; i < len; i++)
		r->buf[(r->head + i) % TA_SH_RING] = data[i];
	r->head += len;
	r->last_ns = ns;
}

/* First byte (absolute) of the input received at or after lo_ns, not yet consumed. */
static uint64_t ring_window(const struct ta_sh_ring *r, uint64_t lo_ns)
{
	uint64_t start = r->head, oldest = r->head > TA_SH_RING ? r->head - TA_SH_RING : 0;

	for (uint32_t k = 0; k < r->nseg; k++) {
		uint32_t idx = (r->seg_next + TA_SH_SEGS - 1 - k) % TA_SH_SEGS;

		if (r->seg_ns[idx] < lo_ns)
			break;
		start = r->seg_start[idx];
	}
	if (start < oldest)
		start = oldest;
	if (start < r->consumed)
		start = r->consumed;
	return start;
}

/*
 * First byte (absolute) of the input received after hi_ns: what a terminal
 * typed after the pane received its input can match it byte for byte (its
 * recording came late, TA_SH_HOLD_NS), but is no evidence by timing alone.
 */
static uint64_t ring_end(const struct ta_sh_ring *r, uint64_t hi_ns)
{
	uint64_t end = r->head;

	for (uint32_t k = 0; k < r->nseg; k++) {
		uint32_t idx = (r->seg_next + TA_SH_SEGS - 1 - k) % TA_SH_SEGS;

		if (r->seg_ns[idx] <= hi_ns)
			break;
		end = r->seg_start[idx];
	}
	return end;
}

/* Earliest occurrence of needle in the ring's bytes [from, head); -1 if none. */
static int64_t ring_search(struct ta_shared_tracker *t, const struct ta_sh_ring *r, uint64_t from,
			   const uint8_t *needle, uint32_t n)
{
	uint64_t have = r->head - from;
	const uint8_t *hit;

	if (!n || n > have)
		return -1;
	for (uint64_t i = 0; i < have; i++)
		t->scratch[i] = r->buf[(from + i) % TA_SH_RING];
	hit = memmem(t->scratch, have, needle, n);
	return hit ? (int64_t)(from + (uint64_t)(hit - t->scratch)) : -1;
}

/* ---- servers, panes, clients ---- */

/*
 * Two sockets known by inode are the same only if the inodes are: a name is
 * not enough (a user namespace can mount its own directory over the path
 * and bind a socket of its own there). Unknown on either side (an abstract
 * name, a bind not seen), the name decides.
 */
static bool same_socket(uint64_t ino_a, uint32_t dev_a, uint64_t ino_b, uint32_t dev_b)
{
	return !ino_a || !ino_b || (ino_a == ino_b && dev_a == dev_b);
}

/* No socket file has this inode: see connect_ino. */
#define TA_SH_INO_RELEASED UINT64_MAX

/*
 * The inode a connect that succeeded is matched by. The kernel names the
 * socket it reached by its bound name and file; a filesystem name without a
 * file means that socket was released before the capture read it: a server
 * that closes at once, maybe a look-alike bound in a mount namespace of the
 * caller's (test_released_peer). Its name alone would make the caller a
 * client of any server of that name: it matches only a server whose inode is
 * unknown too (TA_SH_INO_RELEASED matches no inode).
 */
static uint64_t connect_ino(const struct ta_event *ev)
{
	if (ev->unix_kernel && !ev->unix_ino && ev->path_len && ev->path[0])
		return TA_SH_INO_RELEASED;
	return ev->unix_ino;
}

/* The server bound at path, the socket ino/dev where known (0: any). */
static int server_by_addr(struct ta_shared_tracker *t, const char *path, uint32_t len, uint64_t ino,
			  uint32_t dev)
{
	for (uint32_t i = 0; i < t->lim.servers; i++) {
		struct ta_sh_server *s = &t->servers[i];

		if (s->used && s->has_path && s->path_len == len && !memcmp(s->path, path, len) &&
		    same_socket(s->ino, s->dev, ino, dev))
			return (int)i;
	}
	return -1;
}

static int server_by_pid(struct ta_shared_tracker *t, uint32_t pid)
{
	int any = -1;

	if (!pid)
		return -1;
	for (uint32_t i = 0; i < t->lim.servers; i++) {
		struct ta_sh_server *s = &t->servers[i];

		if (s->used && s->pid == pid) {
			if (s->has_path)
				return (int)i;
			any = (int)i;
		}
	}
	return any;
}

static bool server_knows_login(const struct ta_sh_server *sv, uint32_t auid, uint32_t ses)
{
	for (uint32_t i = 0; i < sv->nlogins; i++)
		if (sv->login_auid[i] == auid && sv->login_ses[i] == ses)
			return true;
	return false;
}

/* A login was seen reaching server s (a connect that succeeded, by any of its processes). */
static void server_note_login(struct ta_shared_tracker *t, int s, uint32_t auid, uint32_t ses)
{
	struct ta_sh_server *sv = &t->servers[s];

	if (auid == UINT32_MAX || ses == UINT32_MAX || server_knows_login(sv, auid, ses))
		return;
	/*
	 * Full: the oldest goes (a login holds one slot, however many connects it
	 * makes), counted: the fallback below then no longer vouches for one
	 * terminal alone, as the forgotten login's may have typed the same.
	 */
	if (sv->nlogins == TA_SH_LOGINS) {
		sv->logins_forgotten++;
		t->stats.evicted_logins++;
		t->unreported_logins++;
	}
	sv->login_auid[sv->logins_next] = auid;
	sv->login_ses[sv->logins_next] = ses;
	sv->logins_next = (sv->logins_next + 1) % TA_SH_LOGINS;
	if (sv->nlogins < TA_SH_LOGINS)
		sv->nlogins++;
}

static void held_settle(struct ta_shared_tracker *t, struct ta_sh_pane *p, bool final);

static void close_run(struct ta_shared_tracker *t, struct ta_sh_pane *p)
{
	if (!p->run.open)
		return;
	ta_sh_emit_run(t, p);
	p->run.open = false;
}

static void drop_client(struct ta_shared_tracker *t, struct ta_sh_client *c, const char *reason,
			const int32_t *exit_code, uint64_t at_rt)
{
	if (c->announced)
		ta_sh_emit_detach(t, c, reason, exit_code, at_rt);
	c->used = false;
}

static void drop_server(struct ta_shared_tracker *t, int s, const char *reason, uint64_t at_rt)
{
	for (uint32_t i = 0; i < t->lim.clients; i++)
		if (t->clients[i].used && t->clients[i].srv == s)
			drop_client(t, &t->clients[i], reason, NULL, at_rt);
	for (uint32_t i = 0; i < t->lim.panes; i++) {
		struct ta_sh_pane *p = &t->panes[i];

		if (p->used && p->srv == s) {
			held_settle(t, p, true);
			close_run(t, p);
			p->used = false;
		}
	}
	t->servers[s].used = false;
}

static int clients_of(struct ta_shared_tracker *t, int s)
{
	int n = 0;

	for (uint32_t i = 0; i < t->lim.clients; i++)
		n += t->clients[i].used && t->clients[i].srv == s;
	return n;
}

static int server_new(struct ta_shared_tracker *t, uint64_t now_ns, uint64_t now_rt)
{
	int victim = -1;

	for (uint32_t i = 0; i < t->lim.servers; i++) {
		if (!t->servers[i].used) {
			victim = (int)i;
			goto take;
		}
	}
	/* Full: first a candidate that never did anything, then the least recently active. */
	for (uint32_t i = 0; i < t->lim.servers; i++) {
		struct ta_sh_server *s = &t->servers[i];

		if (!s->confirmed && !s->hint && !clients_of(t, (int)i) &&
		    (victim < 0 || s->last_ns < t->servers[victim].last_ns))
			victim = (int)i;
	}
	if (victim < 0)
		for (uint32_t i = 0; i < t->lim.servers; i++)
			if (victim < 0 || t->servers[i].last_ns < t->servers[victim].last_ns)
				victim = (int)i;
	/*
	 * Counted either way: a socket bound and not yet seen serving a terminal
	 * can be a renamed multiplexer that has not written a pane yet, and once
	 * forgotten its pane writes make it no server at all.
	 */
	t->stats.evicted_servers++;
	t->unreported_servers++;
	drop_server(t, victim, "evicted", now_rt);
take:
	memset(&t->servers[victim], 0, sizeof(t->servers[victim]));
	t->servers[victim].used = true;
	t->servers[victim].last_ns = now_ns;
	t->servers[victim].uid = t->servers[victim].auid = t->servers[victim].ses = UINT32_MAX;
	return victim;
}

static struct ta_sh_pane *pane_find(struct ta_shared_tracker *t, uint64_t key)
{
	for (uint32_t i = 0; i < t->lim.panes; i++)
		if (t->panes[i].used && t->panes[i].key == key)
			return &t->panes[i];
	return NULL;
}

static struct ta_sh_pane *pane_get(struct ta_shared_tracker *t, const struct ta_tty_id *tty, int s,
				   uint64_t now_ns)
{
	struct ta_sh_pane *p = pane_find(t, tty_key(tty)), *lru = NULL;

	if (p) {
		if (p->srv != s) {
			/* Another server writes this terminal now (nested, or pty reused). */
			close_run(t, p);
			p->srv = s;
		}
		return p;
	}
	for (uint32_t i = 0; i < t->lim.panes; i++) {
		if (!t->panes[i].used) {
			p = &t->panes[i];
			break;
		}
		if (!lru || t->panes[i].last_ns < lru->last_ns)
			lru = &t->panes[i];
	}
	if (!p) {
		p = lru;
		held_settle(t, p, true);
		close_run(t, p);
		t->stats.evicted_panes++;
		t->unreported_panes++;
	}
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->key = tty_key(tty);
	p->tty = *tty;
	p->tty.name[sizeof(p->tty.name) - 1] = '\0';
	p->srv = s;
	p->owner_auid = p->owner_ses = UINT32_MAX;
	p->last_ns = now_ns;
	return p;
}

/* A client on a terminal the same server writes is a command run inside a pane. */
static bool client_inner(struct ta_shared_tracker *t, const struct ta_sh_client *c)
{
	struct ta_sh_pane *p = pane_find(t, tty_key(&c->who.tty));

	return p && p->srv >= 0 && t->servers[p->srv].pid &&
	       t->servers[p->srv].pid == t->servers[c->srv].pid;
}

static void maybe_announce(struct ta_shared_tracker *t, struct ta_sh_client *c)
{
	struct ta_sh_server *s = &t->servers[c->srv];

	if (c->announced || !(s->confirmed || s->hint) || client_inner(t, c))
		return;
	c->announced = true;
	ta_sh_emit_attach(t, c);
}

static void announce_clients(struct ta_shared_tracker *t, int s)
{
	for (uint32_t i = 0; i < t->lim.clients; i++)
		if (t->clients[i].used && t->clients[i].srv == s)
			maybe_announce(t, &t->clients[i]);
}

/* A process holds one entry: its latest exec's. */
static const struct ta_sh_argv *argv_find(struct ta_shared_tracker *t, uint32_t pid)
{
	for (uint32_t i = 0; i < TA_SH_ARGV_CACHE; i++)
		if (t->argvs[i].pid == pid && t->argvs[i].len)
			return &t->argvs[i];
	return NULL;
}

static bool argv_gone(const struct ta_shared_tracker *t, uint32_t pid)
{
	for (uint32_t i = 0; pid && t->argv_gone_n && i < TA_SH_ARGV_GONE; i++)
		if (t->argv_gone[i] == pid)
			return true;
	return false;
}

/*
 * The cache evicted a live process's argv: remembered, so that its attach can
 * say why it has none. A pid this overwrites can no longer be told of in its
 * attach: counted for the table_full notice instead.
 */
static void argv_gone_add(struct ta_shared_tracker *t, uint32_t pid)
{
	uint32_t *g = &t->argv_gone[t->argv_gone_next];

	if (*g) {
		t->stats.evicted_argvs++;
		t->unreported_argvs++;
	} else {
		t->argv_gone_n++;
	}
	*g = pid;
	t->argv_gone_next = (t->argv_gone_next + 1) % TA_SH_ARGV_GONE;
}

static void client_add(struct ta_shared_tracker *t, int s, const struct ta_sh_who *who,
		       uint64_t ns, uint64_t rt)
{
	struct ta_sh_client *c = NULL, *old = NULL;
	const struct ta_sh_argv *a;

	for (uint32_t i = 0; i < t->lim.clients; i++) {
		struct ta_sh_client *x = &t->clients[i];

		if (x->used && x->srv == s && x->who.pid == who->pid &&
		    tty_key(&x->who.tty) == tty_key(&who->tty))
			return; /* the same client connecting again (screen does) */
	}
	for (uint32_t i = 0; i < t->lim.clients; i++) {
		if (!t->clients[i].used) {
			c = &t->clients[i];
			break;
		}
		if (!old || t->clients[i].connect_ns < old->connect_ns)
			old = &t->clients[i];
	}
	if (!c) {
		c = old;
		t->stats.evicted_clients++;
		t->unreported_clients++;
		drop_client(t, c, "evicted", NULL, rt);
	}
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->srv = s;
	c->who = *who;
	server_note_login(t, s, who->auid, who->ses);
	c->connect_ns = ns;
	c->connect_rt = rt;
	if ((a = argv_find(t, who->pid))) {
		memcpy(c->argv, a->argv, a->len);
		c->argv_len = a->len;
	} else if (argv_gone(t, who->pid)) {
		c->argv_evicted = true;
		t->stats.argv_evicted++;
	}
	maybe_announce(t, c);
}

/* ---- events ---- */

static void on_exec(struct ta_shared_tracker *t, const struct ta_event *ev)
{
	struct ta_sh_argv *a = NULL, *free_slot = NULL, *oldest = NULL;
	uint32_t n = ev->argv_len < TA_SH_ARGV ? ev->argv_len : TA_SH_ARGV;
	int s;

	/*
	 * Its own entry, else one an exited process left: a ring overwriting in
	 * turn let any run of execs (a build) push out the argv of a live
	 * process before it connected.
	 */
	for (uint32_t i = 0; i < TA_SH_ARGV_CACHE && !a; i++) {
		struct ta_sh_argv *x = &t->argvs[i];

		if (x->pid == ev->task.tgid)
			a = x;
		else if (!x->len && !free_slot)
			free_slot = x;
		else if (x->len && (!oldest || x->seq < oldest->seq))
			oldest = x;
	}
	if (!a)
		a = free_slot;
	if (!a) {
		a = oldest;
		argv_gone_add(t, a->pid);
	}
	a->pid = ev->task.tgid;
	a->seq = ++t->exec_seq;
	a->len = ev->argv ? n : 0;
	if (a->len)
		memcpy(a->argv, ev->argv, n);

	/* A child of a server with its own terminal: that terminal is a pane. */
	if (has_tty(&ev->tty) && (s = server_by_pid(t, ev->task.ppid)) >= 0) {
		struct ta_sh_pane *p = pane_get(t, &ev->tty, s, ev->ts_boot_ns);

		if (p->owner_auid == UINT32_MAX)
			p->owner_auid = ev->task.auid;
		if (p->owner_ses == UINT32_MAX)
			p->owner_ses = ev->task.ses;
	}
}

static void on_bind(struct ta_shared_tracker *t, const struct ta_event *ev, uint64_t rt)
{
	uint32_t pid = ev->task.tgid;
	int s = server_by_addr(t, ev->path, ev->path_len, ev->unix_ino, ev->unix_dev), other;

	/* The same server binding its path again (tmux on SIGUSR1, screen): a new inode, one server. */
	if (s < 0 && (other = server_by_addr(t, ev->path, ev->path_len, 0, 0)) >= 0 &&
	    t->servers[other].pid == pid) {
		s = other;
		t->servers[s].ino = ev->unix_ino;
		t->servers[s].dev = ev->unix_dev;
	}
	if (s < 0) {
		s = server_new(t, ev->ts_boot_ns, rt);
		memcpy(t->servers[s].path, ev->path, ev->path_len);
		t->servers[s].path_len = ev->path_len;
		t->servers[s].has_path = true;
		t->servers[s].ino = ev->unix_ino;
		t->servers[s].dev = ev->unix_dev;
	} else if (t->servers[s].pid && t->servers[s].pid != pid) {
		/*
		 * The same name, and no inodes to tell the sockets apart. While a server of
		 * another user lives at the path, a bind by someone else than root
		 * cannot succeed there (the path exists, and its directory or /tmp's
		 * sticky bit keeps others from removing it): taken, it let any user
		 * take over a tmux server's clients in the log (bind(-1, its path),
		 * when binds were reported at their entry).
		 */
		if (ev->task.uid != t->servers[s].uid && ev->task.uid != 0 &&
		    t->servers[s].uid != UINT32_MAX)
			return;
		/* A new server at the same path: the old one's clients are gone with it. */
		drop_server(t, s, "server_replaced", rt);
		on_bind(t, ev, rt);
		return;
	}
	struct ta_sh_server *sv = &t->servers[s];

	sv->pid = pid;
	sv->uid = ev->task.uid;
	sv->auid = ev->task.auid;
	sv->ses = ev->task.ses;
	memcpy(sv->comm, ev->task.comm, sizeof(sv->comm));
	sv->comm[sizeof(sv->comm) - 1] = '\0';
	sv->hint |= comm_hint(sv->comm);
	sv->last_ns = ev->ts_boot_ns;

	/* The same process seen earlier only as a pane writer: one server. */
	while ((other = server_by_pid(t, pid)) >= 0 && other != s && !t->servers[other].has_path) {
		sv->confirmed |= t->servers[other].confirmed;
		sv->hint |= t->servers[other].hint;
		for (uint32_t i = 0; i < t->lim.panes; i++)
			if (t->panes[i].used && t->panes[i].srv == other)
				t->panes[i].srv = s;
		for (uint32_t i = 0; i < t->lim.clients; i++)
			if (t->clients[i].used && t->clients[i].srv == other)
				t->clients[i].srv = s;
		for (uint32_t i = 0; i < t->servers[other].nlogins; i++)
			server_note_login(t, s, t->servers[other].login_auid[i],
					  t->servers[other].login_ses[i]);
		/* What the other entry forgot, this one does not know either. */
		sv->logins_forgotten += t->servers[other].logins_forgotten;
		t->servers[other].used = false;
	}

	/* Clients that connected before the bind (tmux tries before it starts its server). */
	for (uint32_t i = 0; i < TA_SH_PENDING; i++) {
		struct ta_sh_pending *p = &t->pending[i];

		/*
		 * A connect the kernel says reached this socket (its inode), or one
		 * that found nothing there by the server's own login: tmux's first
		 * client starts its server itself. Anyone else can make a connect
		 * fail with any path (a seccomp filter answers ENOENT), and would
		 * become the next server's client.
		 */
		if (p->used && p->path_len == ev->path_len && !memcmp(p->path, ev->path, p->path_len) &&
		    (p->ino ? same_socket(p->ino, p->dev, ev->unix_ino, ev->unix_dev)
			    : p->who.uid == ev->task.uid && p->who.auid == ev->task.auid) &&
		    ev->ts_boot_ns - p->ns < TA_SH_PENDING_NS) {
			p->used = false;
			if (p->who.pid != pid)
				client_add(t, s, &p->who, p->ns, p->rt);
		}
	}
	/*
	 * A server that binds while it still has a controlling terminal (screen's
	 * backend, forked by the process that stays in front of the user) serves
	 * that terminal: its parent there is the first client, without a connect.
	 */
	if (has_tty(&ev->tty) && ev->task.ppid > 1) {
		struct ta_sh_who who;

		who_from_task(&who, &ev->task, &ev->tty);
		who.pid = ev->task.ppid;
		memset(who.comm, 0, sizeof(who.comm));
		const struct ta_sh_argv *a = argv_find(t, who.pid);
		if (a) {
			/* comm of the parent: its argv[0]'s last component */
			const char *a0 = (const char *)a->argv, *slash;
			size_t n = strnlen(a0, a->len);

			slash = memrchr(a0, '/', n);
			if (slash) {
				n -= (size_t)(slash + 1 - a0);
				a0 = slash + 1;
			}
			memcpy(who.comm, a0, n < TA_COMM_LEN - 1 ? n : TA_COMM_LEN - 1);
		}
		client_add(t, s, &who, ev->ts_boot_ns, rt);
	}
	announce_clients(t, s);
}

/*
 * Where a connect to a path not known as a server waits: a free or expired
 * slot; one uid holds at most TA_SH_PENDING_PER_UID, its own oldest making
 * room, so that a user's flood of connects cannot push out another user's
 * (tmux's first client, waiting for its server's bind).
 */
static struct ta_sh_pending *pending_slot(struct ta_shared_tracker *t, uint32_t uid, uint64_t ns)
{
	struct ta_sh_pending *own_oldest = NULL, *free_slot = NULL;
	uint32_t own = 0;

	for (uint32_t i = 0; i < TA_SH_PENDING; i++) {
		struct ta_sh_pending *p = &t->pending[i];

		if (!p->used || ns - p->ns >= TA_SH_PENDING_NS) {
			free_slot = free_slot ? free_slot : p;
			continue;
		}
		if (p->who.uid == uid) {
			own++;
			if (!own_oldest || p->ns < own_oldest->ns)
				own_oldest = p;
		}
	}
	if (own >= TA_SH_PENDING_PER_UID)
		return own_oldest;
	if (free_slot)
		return free_slot;
	struct ta_sh_pending *p = &t->pending[t->pending_next];
	t->pending_next = (t->pending_next + 1) % TA_SH_PENDING;
	return p;
}

static void on_connect(struct ta_shared_tracker *t, const struct ta_event *ev, uint64_t rt)
{
	struct ta_sh_who who;
	int s;

	/*
	 * Only a process with a terminal can bring a person's keystrokes; one
	 * without can still hand its connection to one that has (SCM_RIGHTS,
	 * or a fork): its login has reached the server.
	 */
	if (!has_tty(&ev->tty)) {
		if (!ev->unix_ret &&
		    (s = server_by_addr(t, ev->path, ev->path_len, connect_ino(ev), ev->unix_dev)) >= 0)
			server_note_login(t, s, ev->task.auid, ev->task.ses);
		return;
	}
	who_from_task(&who, &ev->task, &ev->tty);
	/*
	 * A path nobody was seen binding is not taken for a server, whatever the
	 * client's name: tmux and screen clients also connect to nscd, syslog,
	 * agents. Kept a few seconds in case the bind follows (tmux tries to
	 * connect before it starts its server).
	 */
	s = ev->unix_ret ? -1
			 : server_by_addr(t, ev->path, ev->path_len, connect_ino(ev), ev->unix_dev);
	if (s < 0) {
		struct ta_sh_pending *p = pending_slot(t, who.uid, ev->ts_boot_ns);

		memset(p, 0, sizeof(*p));
		p->used = true;
		p->who = who;
		memcpy(p->path, ev->path, ev->path_len);
		p->path_len = ev->path_len;
		p->ino = ev->unix_ino;
		p->dev = ev->unix_dev;
		p->ns = ev->ts_boot_ns;
		p->rt = rt;
		return;
	}
	t->servers[s].last_ns = ev->ts_boot_ns;
	/* The server probing its own socket (screen does) is no client. */
	if (who.pid != t->servers[s].pid)
		client_add(t, s, &who, ev->ts_boot_ns, rt);
}

static void on_proc_exit(struct ta_shared_tracker *t, const struct ta_event *ev, uint64_t rt)
{
	uint32_t pid = ev->task.tgid;
	int s;

	for (uint32_t i = 0; i < t->lim.clients; i++) {
		struct ta_sh_client *c = &t->clients[i];
		struct ta_sh_ring *r;

		if (!c->used)
			continue;
		if (c->who.pid == pid)
			drop_client(t, c, "exit", &ev->exit_code, rt);
		/*
		 * Its terminal's session leader ended. A pty is not hung up then: a
		 * client that ignores the SIGHUP reads it on, attached, and a
		 * client with a login uid has its exit recorded whatever its
		 * terminal, so it stays until then (dropped here, its keys named
		 * nobody: the terminal has no owner left). One without a login
		 * uid loses the terminal it was recorded by, and its exit may
		 * never be seen.
		 */
		else if (c->who.auid == UINT32_MAX && (r = ring_find(t, tty_key(&c->who.tty))) &&
			 r->owner_pid == pid)
			drop_client(t, c, "tty_session_end", NULL, rt);
	}
	while ((s = server_by_pid(t, pid)) >= 0)
		drop_server(t, s, "server_exit", rt);
	for (uint32_t i = 0; i < TA_SH_PENDING; i++)
		if (t->pending[i].used && t->pending[i].who.pid == pid)
			t->pending[i].used = false;
	for (uint32_t i = 0; i < TA_SH_ARGV_CACHE; i++)
		if (t->argvs[i].pid == pid)
			t->argvs[i].len = 0;
	/* Every exit comes here: the remembered evictions are looked through only if there are any. */
	for (uint32_t i = 0; t->argv_gone_n && i < TA_SH_ARGV_GONE; i++)
		if (t->argv_gone[i] == pid) {
			t->argv_gone[i] = 0;
			t->argv_gone_n--;
		}
}

struct cand {
	struct ta_sh_client *c;
	struct ta_sh_ring *r;
	uint64_t from;        /* window start */
	uint64_t end;         /* window end: input after the pane's (ring_end) */
	int64_t at;           /* match start, -1 if the bytes are not there */
};

static bool same_who(const struct ta_sh_who *a, const struct ta_sh_who *b)
{
	return a->pid == b->pid && tty_key(&a->tty) == tty_key(&b->tty) && a->ses == b->ses &&
	       a->auid == b->auid;
}

static bool run_continues(const struct ta_sh_run *r, const struct ta_sh_run *n, uint64_t ns)
{
	if (!r->open || r->conf != n->conf ||
	    (ns > r->last_ns && ns - r->last_ns > TA_SHARED_RUN_GAP_NS) ||
	    r->srv_pid != n->srv_pid || r->has_client != n->has_client || r->has_cmd != n->has_cmd)
		return false;
	if (r->has_client && !same_who(&r->client, &n->client))
		return false;
	if (r->has_cmd && !same_who(&r->cmd, &n->cmd))
		return false;
	if (r->ncands != n->ncands || !r->skipped != !n->skipped)
		return false;
	for (int i = 0; i < r->ncands; i++)
		if (!same_who(&r->cands[i], &n->cands[i]))
			return false;
	return true;
}

static void who_from_ring(struct ta_sh_who *w, const struct ta_sh_ring *r)
{
	memset(w, 0, sizeof(*w));
	w->pid = r->owner_pid;
	w->uid = UINT32_MAX;
	w->auid = r->owner_auid;
	w->ses = r->owner_ses;
	w->tty = r->tty;
	w->attached = false;
}

/* Keep a pane's input until its typist's input comes (held_settle). */
static void hold(struct ta_shared_tracker *t, struct ta_sh_pane *p, const struct ta_event *ev,
		 uint64_t rt)
{
	struct ta_sh_held *h = &p->held;

	if (ev == &h->ev)
		return; /* still waiting */
	memset(&h->ev, 0, sizeof(h->ev));
	h->ev.kind = ev->kind;
	h->ev.flags = ev->flags;
	h->ev.ts_boot_ns = ev->ts_boot_ns;
	h->ev.task = ev->task;
	h->ev.tty = ev->tty;
	h->ev.len = ev->len;
	h->ev.total_len = ev->total_len;
	memcpy(h->bytes, ev->data, ev->len);
	h->ev.data = h->bytes;
	h->rt = rt;
	h->used = true;
	if (!t->nheld || ev->ts_boot_ns < t->held_oldest_ns)
		t->held_oldest_ns = ev->ts_boot_ns;
	t->nheld++;
}

/*
 * Which attached client's terminal input became this pane input. false: it
 * waits (may_hold, and no client's input holds its bytes yet: hold).
 */
static bool attribute(struct ta_shared_tracker *t, int s, struct ta_sh_pane *p,
		      const struct ta_event *ev, uint64_t rt, bool may_hold)
{
	struct cand cands[TA_SH_LOOK];
	int n = 0, nmatch = 0, nwin = 0, best = -1, win = -1;
	uint32_t skipped = 0;
	uint64_t ns = ev->ts_boot_ns, lo = ns > TA_SHARED_WINDOW_NS ? ns - TA_SHARED_WINDOW_NS : 0;
	bool bytes = !(ev->flags & TA_F_REDACTED) && ev->len && ev->data;
	uint32_t wpid = t->servers[s].pid;
	struct ta_sh_run nr;

	memset(&nr, 0, sizeof(nr));
	for (uint32_t i = 0; i < t->lim.clients; i++) {
		struct ta_sh_client *c = &t->clients[i];
		uint32_t cpid;
		int dup = -1;

		if (!c->used)
			continue;
		cpid = t->servers[c->srv].pid;
		/* Clients of this server, or of a socket whose server is not known yet. */
		if ((cpid && cpid != wpid) || client_inner(t, c) ||
		    tty_key(&c->who.tty) == p->key)
			continue;
		for (int k = 0; k < n; k++)
			if (tty_key(&cands[k].c->who.tty) == tty_key(&c->who.tty))
				dup = k;
		if (dup >= 0) {
			/* Two clients on one terminal: the later connect speaks for it. */
			if (c->connect_ns > cands[dup].c->connect_ns)
				cands[dup].c = c;
			continue;
		}
		/*
		 * Counted, not looked at: the typist may be among them (one terminal
		 * with several clients counts each), so no answer is exact or
		 * timing then, and the record says how many.
		 */
		if (n == TA_SH_LOOK) {
			skipped++;
			continue;
		}
		cands[n].c = c;
		cands[n].r = ring_find(t, tty_key(&c->who.tty));
		cands[n].from = cands[n].r ? ring_window(cands[n].r, lo) : 0;
		cands[n].end = cands[n].r ? ring_end(cands[n].r, ns) : 0;
		cands[n].at = -1;
		n++;
	}
	for (int k = 0; k < n; k++) {
		struct ta_sh_ring *r = cands[k].r;

		if (!r || cands[k].from >= r->head)
			continue;
		if (cands[k].from < cands[k].end) {
			nwin++;
			win = k;
		}
		if (bytes)
			cands[k].at = ring_search(t, r, cands[k].from, ev->data, ev->len);
		if (cands[k].at >= 0) {
			nmatch++;
			if (best < 0 || cands[k].at - (int64_t)cands[k].from <
					       cands[best].at - (int64_t)cands[best].from)
				best = k;
		}
	}
	/* Nothing matches yet: its typist's input may be recorded after it (TA_SH_HOLD_NS). */
	if (may_hold && bytes && nmatch == 0 && ev->len <= TA_SH_HOLD_BYTES) {
		hold(t, p, ev, rt);
		return false;
	}

	nr.skipped = skipped;
	if (nmatch == 1 && !skipped) {
		nr.conf = TA_SH_EXACT;
		nr.has_client = true;
		nr.client = cands[best].c->who;
		cands[best].r->consumed = (uint64_t)cands[best].at + ev->len;
	} else if (nmatch > 0 || nwin > 1 || (nwin == 1 && skipped)) {
		nr.conf = TA_SH_AMBIGUOUS;
		for (int k = 0; k < n && nr.ncands < TA_SH_CANDS; k++)
			if (nmatch > 0 ? cands[k].at >= 0
				       : cands[k].r && cands[k].from < cands[k].end)
				nr.cands[nr.ncands++] = cands[k].c->who;
		/* One of them sent it: the earliest match, as the server reads in order. */
		if (best >= 0)
			cands[best].r->consumed = (uint64_t)cands[best].at + ev->len;
	} else if (nwin == 1) {
		nr.conf = TA_SH_TIMING;
		nr.has_client = true;
		nr.client = cands[win].c->who;
		cands[win].r->consumed = cands[win].end;
	} else {
		/*
		 * No attached client typed: a terminal that did (a client not seen
		 * connecting)? Only one of a login seen reaching this server (its
		 * client forked and left, or was handed a connection made without a
		 * terminal): any login's was taken, and a process named tmux writing
		 * a pty of its own could copy another user's keys as they were typed
		 * and have them named that user's, 'exact', typed into its pane
		 * (and used up, so that they named nobody in the pane they reached).
		 * A server outside any login whose bind was not seen (started by a
		 * service) has no connects to know its clients by: there, a login's
		 * terminal that received exactly these bytes alone.
		 */
		const struct ta_sh_server *sv = &t->servers[s];
		bool unknown = !sv->has_path && sv->auid == UINT32_MAX;
		struct ta_sh_ring *only = NULL;
		int found = 0;
		int64_t at = -1;

		for (uint32_t i = 0; bytes && i < t->lim.ttys; i++) {
			struct ta_sh_ring *r = &t->rings[i];
			struct ta_sh_pane *rp;
			uint64_t from;
			int64_t a;

			/*
			 * Only a login's terminal (one whose owner has a login uid: a
			 * pty anyone can open and type into names nobody, and "exact"
			 * would vouch for that nobody), and only if these bytes are
			 * all it received.
			 */
			if (!r->used || r->key == p->key || r->last_ns < lo || r->owner_ses == UINT32_MAX ||
			    r->owner_auid == UINT32_MAX ||
			    (!unknown && !server_knows_login(sv, r->owner_auid, r->owner_ses)))
				continue;
			if ((rp = pane_find(t, r->key)) && rp->srv >= 0 &&
			    t->servers[rp->srv].pid == wpid)
				continue;
			/*
			 * Only what it received up to the pane's input: the same bytes
			 * after it are the pane's own input passed on downstream (the
			 * outer tmux's answer to the inner one's query, through the ssh
			 * in its pane), not their cause.
			 */
			/*
			 * A login known to the server: its bytes among what it typed, as
			 * for an attached client (keys the server consumes, prefix keys
			 * or a focus report, came along). Else only these bytes alone.
			 */
			from = ring_window(r, lo);
			if (ring_end(r, ns) != r->head || (unknown && r->head - from != ev->len) ||
			    (a = ring_search(t, r, from, ev->data, ev->len)) < 0)
				continue;
			found++;
			only = r;
			at = a;
		}
		if (found == 1 && (skipped || sv->logins_forgotten)) {
			/*
			 * A client not looked at, or a login the server no longer
			 * remembers, may have typed the same bytes.
			 */
			nr.conf = TA_SH_AMBIGUOUS;
			who_from_ring(&nr.cands[nr.ncands++], only);
			only->consumed = (uint64_t)at + ev->len;
		} else if (found == 1) {
			nr.conf = TA_SH_EXACT;
			nr.has_client = true;
			who_from_ring(&nr.client, only);
			only->consumed = (uint64_t)at + ev->len;
		} else {
			struct ta_sh_client *cmd = NULL;

			nr.conf = TA_SH_NONE;
			/* send-keys, paste-buffer: a command client that connected just before. */
			for (uint32_t i = 0; i < t->lim.clients; i++) {
				struct ta_sh_client *c = &t->clients[i];
				uint32_t cpid;

				if (!c->used || c->connect_ns > ns || ns - c->connect_ns > TA_SHARED_COMMAND_NS)
					continue;
				cpid = t->servers[c->srv].pid;
				if (cpid && cpid != wpid)
					continue;
				if (!cmd || c->connect_ns > cmd->connect_ns)
					cmd = c;
			}
			if (cmd) {
				nr.has_cmd = true;
				nr.cmd = cmd->who;
			}
		}
	}

	/* Extend the pane's run, or close it and start another. */
	nr.srv_pid = wpid;
	if (!run_continues(&p->run, &nr, ns)) {
		close_run(t, p);
		const struct ta_sh_server *sv = &t->servers[s];

		nr.open = true;
		nr.start_rt = rt;
		nr.pay_ses = p->owner_ses;
		nr.pay_auid = p->owner_auid;
		nr.srv_has_path = sv->has_path;
		if (sv->has_path) {
			memcpy(nr.srv_path, sv->path, sv->path_len);
			nr.srv_path_len = sv->path_len;
		} else if (nr.has_client && nr.client.attached) {
			/* The server is known by its writes only: name the socket its client used. */
			for (uint32_t i = 0; i < t->lim.clients; i++) {
				struct ta_sh_client *c = &t->clients[i];
				const struct ta_sh_server *cs;

				if (!c->used || !same_who(&c->who, &nr.client))
					continue;
				cs = &t->servers[c->srv];
				if (cs->has_path) {
					nr.srv_has_path = true;
					memcpy(nr.srv_path, cs->path, cs->path_len);
					nr.srv_path_len = cs->path_len;
				}
				break;
			}
		}
		p->run = nr;
	}
	if (nr.skipped > p->run.skipped)
		p->run.skipped = nr.skipped;
	p->run.end_rt = rt;
	p->run.last_ns = ns;
	p->run.events++;
	p->run.bytes += ev->total_len && (ev->flags & TA_F_REDACTED) ? ev->total_len : ev->len;
	return true;
}

/* A pane's held input attributed now (final), or if its typist's input has come. */
static void held_settle(struct ta_shared_tracker *t, struct ta_sh_pane *p, bool final)
{
	if (!p->held.used)
		return;
	if (p->srv >= 0 && (uint32_t)p->srv < t->lim.servers &&
	    !attribute(t, p->srv, p, &p->held.ev, p->held.rt, !final))
		return;
	p->held.used = false;
	t->nheld--;
}

enum held_pass {
	HELD_RETRY,  /* a terminal received input: match what waits, or let it wait on */
	HELD_DUE_NS, /* attribute what waited TA_SH_HOLD_NS by event time (now) */
	HELD_DUE_RT, /* the same by the wall clock (now: a flush) */
	HELD_ALL,    /* before anything changes who the clients are */
};

/*
 * Over the panes with held input (of server srv; -1: of any, and then the
 * oldest that still waits is known again).
 */
static void held_pass(struct ta_shared_tracker *t, enum held_pass w, uint64_t now, int srv)
{
	uint64_t oldest = UINT64_MAX;

	for (uint32_t i = 0; t->nheld && i < t->lim.panes; i++) {
		struct ta_sh_pane *p = &t->panes[i];
		uint64_t at;

		if (!p->used || !p->held.used || (srv >= 0 && p->srv != srv))
			continue;
		at = w == HELD_DUE_RT ? p->held.rt : p->held.ev.ts_boot_ns;
		if ((w != HELD_DUE_NS && w != HELD_DUE_RT) || (now >= at && now - at >= TA_SH_HOLD_NS))
			held_settle(t, p, w != HELD_RETRY);
		if (p->held.used && p->held.ev.ts_boot_ns < oldest)
			oldest = p->held.ev.ts_boot_ns;
	}
	if (srv < 0 && t->nheld)
		t->held_oldest_ns = oldest;
}

/*
 * A terminal received input: retry what waits in the panes of the servers it
 * is a client of, and only those (a flood of pane writes nobody typed must
 * not make every keystroke on the host search every pane).
 */
static void held_retry_for(struct ta_shared_tracker *t, uint64_t key)
{
	for (uint32_t i = 0; t->nheld && i < t->lim.clients; i++) {
		const struct ta_sh_client *c = &t->clients[i];

		if (c->used && tty_key(&c->who.tty) == key)
			held_pass(t, HELD_RETRY, 0, c->srv);
	}
}

static void on_input(struct ta_shared_tracker *t, const struct ta_event *ev, uint64_t rt)
{
	struct ta_sh_ring *r;
	int s = -1;

	if (!has_tty(&ev->tty))
		return;
	if (ev->flags & TA_F_FROM_MASTER) {
		s = server_by_pid(t, ev->task.tgid);
		if (s < 0 && comm_hint(ev->task.comm)) {
			s = server_new(t, ev->ts_boot_ns, rt);
			t->servers[s].pid = ev->task.tgid;
			t->servers[s].uid = ev->task.uid;
			t->servers[s].auid = ev->task.auid;
			t->servers[s].ses = ev->task.ses;
			t->servers[s].hint = true;
			memcpy(t->servers[s].comm, ev->task.comm, sizeof(t->servers[s].comm));
			t->servers[s].comm[TA_COMM_LEN - 1] = '\0';
		}
	}
	if (s >= 0) {
		struct ta_sh_server *sv = &t->servers[s];
		struct ta_sh_pane *p = pane_find(t, tty_key(&ev->tty));

		/* The pane's input in the order it came: what waits goes first. */
		if (p)
			held_settle(t, p, true);
		p = pane_get(t, &ev->tty, s, ev->ts_boot_ns);

		sv->last_ns = ev->ts_boot_ns;
		p->last_ns = ev->ts_boot_ns;
		p->owner_auid = ev->owner_auid;
		p->owner_ses = ev->owner_ses;
		p->owner_pid = ev->owner_pid;
		if (!sv->confirmed) {
			sv->confirmed = true;
			announce_clients(t, s);
		}
		attribute(t, s, p, ev, rt, true);
	}
	r = ring_get(t, &ev->tty, ev->ts_boot_ns);
	r->owner_auid = ev->owner_auid;
	r->owner_ses = ev->owner_ses;
	r->owner_pid = ev->owner_pid;
	/* Withheld (no-echo) bytes are not kept: they can only be matched by timing. */
	if (!(ev->flags & TA_F_REDACTED) && ev->data && ev->len) {
		ring_append(r, ev->data, ev->len, ev->ts_boot_ns);
		if (s < 0 && t->nheld)
			held_retry_for(t, r->key);
	}
}

void ta_shared_set_attach_hook(struct ta_shared_tracker *t, ta_shared_attach_fn fn, void *ctx)
{
	t->attach_fn = fn;
	t->attach_ctx = ctx;
}

void ta_shared_observe(struct ta_shared_tracker *t, const struct ta_event *ev,
		       uint64_t realtime_ns, ta_shared_emit_fn emit, void *ctx)
{
	t->emit = emit;
	t->ctx = ctx;
	/*
	 * Held pane input never waits across a connect, a bind or an exit: they
	 * change who typed. Otherwise the panes are walked only once the oldest
	 * is due: this runs for every record the drain takes.
	 */
	if (t->nheld && (ev->kind == TA_EV_EXIT || ev->kind == TA_EV_UNIX_SOCKET))
		held_pass(t, HELD_ALL, 0, -1);
	else if (t->nheld && ev->ts_boot_ns >= t->held_oldest_ns + TA_SH_HOLD_NS)
		held_pass(t, HELD_DUE_NS, ev->ts_boot_ns, -1);
	switch (ev->kind) {
	case TA_EV_TTY_INPUT:
		on_input(t, ev, realtime_ns);
		break;
	case TA_EV_EXEC:
		on_exec(t, ev);
		break;
	case TA_EV_EXIT:
		on_proc_exit(t, ev, realtime_ns);
		break;
	case TA_EV_UNIX_SOCKET:
		if (!ev->path || !ev->path_len || ev->path_len > TA_UNIX_PATH_MAX)
			break;
		/*
		 * Only a call that succeeded names a server or attaches a client: a
		 * failed connect by anyone, to any server, made its process a
		 * client whose typing could match a pane's (an ambiguous
		 * attribution at will). A connect that found no server there
		 * (ENOENT, ECONNREFUSED) is kept a few seconds for a bind that
		 * may follow (on_connect): tmux's first client starts the server
		 * after that and talks to it over a socket pair, never connecting.
		 */
		if (ev->unix_ret && (ev->unix_op == TA_UNIX_BIND ||
				     (ev->unix_ret != -ENOENT && ev->unix_ret != -ECONNREFUSED)))
			break;
		if (ev->unix_op == TA_UNIX_BIND)
			on_bind(t, ev, realtime_ns);
		else if (ev->unix_op == TA_UNIX_CONNECT)
			on_connect(t, ev, realtime_ns);
		break;
	default:
		break;
	}
}

void ta_shared_flush(struct ta_shared_tracker *t, uint64_t realtime_ns, ta_shared_emit_fn emit,
		     void *ctx)
{
	t->emit = emit;
	t->ctx = ctx;
	if (t->nheld)
		held_pass(t, realtime_ns == TA_SHARED_FLUSH_ALL ? HELD_ALL : HELD_DUE_RT, realtime_ns,
			  -1);
	for (uint32_t i = 0; i < t->lim.panes; i++) {
		struct ta_sh_pane *p = &t->panes[i];

		if (!p->used || !p->run.open)
			continue;
		if (realtime_ns == TA_SHARED_FLUSH_ALL ||
		    (realtime_ns > p->run.end_rt && realtime_ns - p->run.end_rt >= TA_SHARED_RUN_GAP_NS))
			close_run(t, p);
	}
	ta_sh_emit_notice(t);
}

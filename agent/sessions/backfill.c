// SPDX-License-Identifier: GPL-2.0-or-later
/* Back-filling open sessions at startup (see backfill.h). */
#include "sessions/backfill.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/trusted_path.h"
#include "sessions/login_parse.h"

#define MAX_ROTATIONS 99

int ta_tty_name_from_dev(uint32_t major, uint32_t minor, char *out, size_t cap)
{
	int n;

	if (major >= 136 && major <= 143)
		n = snprintf(out, cap, "pts/%" PRIu32, (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64)
		n = snprintf(out, cap, "tty%" PRIu32, minor);
	else if (major == 4)
		n = snprintf(out, cap, "ttyS%" PRIu32, minor - 64);
	else if (major == 5 && minor == 1)
		n = snprintf(out, cap, "console");
	else if (major == 5 && minor == 0)
		n = snprintf(out, cap, "tty");
	else if (major == 188)
		n = snprintf(out, cap, "ttyUSB%" PRIu32, minor);
	else if (major == 166)
		n = snprintf(out, cap, "ttyACM%" PRIu32, minor);
	else
		n = snprintf(out, cap, "tty(%" PRIu32 ":%" PRIu32 ")", major, minor);
	return n < 0 || (size_t)n >= cap ? -ERANGE : 0;
}

/* Small whole-file read; returns bytes or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap - 1 &&
	       (n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

static int read_u32_file(const char *path, uint32_t *out)
{
	char buf[32], *end;
	unsigned long long v;
	ssize_t n = read_small(path, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 ? (int)n : -ENODATA;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v > 0xffffffffull)
		return -EBADMSG;
	*out = (uint32_t)v;
	return 0;
}

static int64_t read_btime(const char *proc_root)
{
	char path[4096], buf[8192], *p;

	snprintf(path, sizeof(path), "%s/stat", proc_root);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "\nbtime ");
	if (!p)
		return 0;
	return strtoll(p + 7, NULL, 10);
}

/* ---- the audit logs ---- */

struct log_ctx {
	struct ta_session_table *scratch;
	int64_t since;
};

static void on_log_event(const struct ta_login_event *ev, void *arg)
{
	struct log_ctx *c = arg;
	struct ta_login_session *s;

	if (ev->time_sec < c->since)
		return;
	ta_session_apply(c->scratch, ev, &s);
}

/*
 * audit.log.N .. audit.log.1, audit.log: the existing ones, oldest first, that
 * only root can have written. A log that others may write, or whose directory
 * they may, is not read (counted in st): its USER_START of any name for the
 * ses of a live process made that session a verified login.
 */
static char **log_files(const char *base, size_t *n, struct ta_backfill_stats *st)
{
	char **v = calloc(MAX_ROTATIONS + 2, sizeof(*v));
	struct stat sb;
	size_t k = 0;

	if (!v)
		return NULL;
	for (int i = MAX_ROTATIONS; i >= 0; i--) {
		char path[4096];

		if (i)
			snprintf(path, sizeof(path), "%s.%d", base, i);
		else
			snprintf(path, sizeof(path), "%s", base);
		char why[sizeof(st->untrusted_why)];
		if (stat(path, &sb) || !S_ISREG(sb.st_mode) || access(path, R_OK))
			continue;
		if (ta_path_trusted(path, 0022, why, sizeof(why))) {
			if (!st->log_untrusted++)
				snprintf(st->untrusted_why, sizeof(st->untrusted_why), "%s", why);
			continue;
		}
		v[k++] = strdup(path);
	}
	*n = k;
	return v;
}

/* One file, fed to the plugin's parser (its line gate, node rule and extraction). */
static int feed_file(struct ta_login_parser *p, const char *path)
{
	char buf[65536];
	ssize_t n;
	int fd = ta_open_named_regular(path, NULL);

	if (fd < 0)
		return fd;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return (int)n;
		}
		ta_login_parser_feed(p, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

/*
 * The files, oldest first, as one stream through the parser the plugin uses:
 * the same gate on every line (auparse reading the files itself took a host
 * name's 0x1d for auditd's enrichment separator, login_parse.c), and other
 * machines' records left out by the same node rule.
 */
static int replay_logs(const char *base, struct ta_session_table *scratch, int64_t since,
		       const struct ta_audit_node *node, struct ta_backfill_stats *st)
{
	struct log_ctx c = { scratch, since };
	struct ta_login_parser *p;
	char **files;
	size_t n = 0;
	int rc = 0;

	files = log_files(base, &n, st);
	if (!files)
		return -ENOMEM;
	st->log_files = n;
	if (n == 0) {
		free(files);
		return st->log_untrusted ? -EPERM : access(base, F_OK) == 0 ? -EACCES : -ENOENT;
	}
	rc = ta_login_parser_new(on_log_event, &c, &p);
	if (rc == 0) {
		if (node)
			ta_login_parser_set_node(p, node);
		for (size_t i = 0; i < n; i++) {
			int err = feed_file(p, files[i]);

			/* One rotated away since it was listed is not an error. */
			if (err < 0 && err != -ENOENT && rc == 0)
				rc = err;
		}
		ta_login_parser_flush(p);
		ta_login_parser_free(p);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

/* ---- /proc ---- */

struct proc_ses {
	uint32_t ses, auid;
	uint64_t start_ticks;   /* earliest process start, clock ticks after boot */
	uint32_t leader_tty_nr; /* controlling tty of the earliest process with one */
	uint64_t leader_ticks;
	uint32_t n_ttys;
	uint32_t tty_nrs[TA_SESSION_MAX_TTYS];
};

struct proc_scan {
	struct proc_ses *v;
	size_t n, cap;
};

static struct proc_ses *scan_get(struct proc_scan *ps, uint32_t ses)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->v[i].ses == ses)
			return &ps->v[i];
	if (ps->n == ps->cap) {
		size_t nc = ps->cap ? ps->cap * 2 : 32;
		struct proc_ses *nv = realloc(ps->v, nc * sizeof(*nv));

		if (!nv)
			return NULL;
		ps->v = nv;
		ps->cap = nc;
	}
	memset(&ps->v[ps->n], 0, sizeof(ps->v[0]));
	ps->v[ps->n].ses = ses;
	ps->v[ps->n].auid = TA_LOGIN_UNSET;
	ps->v[ps->n].start_ticks = UINT64_MAX;
	ps->v[ps->n].leader_ticks = UINT64_MAX;
	return &ps->v[ps->n++];
}

/* tty_nr and starttime from /proc/PID/stat; comm may hold ')' and spaces. */
static int parse_stat(const char *buf, uint32_t *tty_nr, uint64_t *start)
{
	const char *p = strrchr(buf, ')');
	unsigned long long v[20];

	if (!p || p[1] != ' ')
		return -EBADMSG;
	p += 2;
	/* skip state */
	while (*p && *p != ' ')
		p++;
	for (int i = 0; i < 19; i++) {
		char *end;

		if (*p != ' ')
			return -EBADMSG;
		p++;
		v[i] = strtoull(p, &end, 10);
		if (end == p && *p != '-')
			return -EBADMSG;
		if (*p == '-') /* fields like priority may be negative */
			v[i] = (unsigned long long)strtoll(p, &end, 10);
		p = end;
	}
	/* fields 4.. : ppid pgrp session tty_nr(7) ... starttime(22) */
	*tty_nr = (uint32_t)v[7 - 4];
	*start = v[22 - 4];
	return 0;
}

static int scan_proc(const char *proc_root, struct proc_scan *ps)
{
	DIR *d = opendir(proc_root);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[4096], buf[1024];
		uint32_t ses, auid, tty_nr;
		uint64_t start;
		struct proc_ses *p;
		const char *c = e->d_name;

		if (*c < '1' || *c > '9' || strspn(c, "0123456789") != strlen(c))
			continue;
		snprintf(path, sizeof(path), "%s/%s/sessionid", proc_root, c);
		if (read_u32_file(path, &ses) < 0 || ses == TA_LOGIN_UNSET)
			continue;
		snprintf(path, sizeof(path), "%s/%s/loginuid", proc_root, c);
		if (read_u32_file(path, &auid) < 0)
			auid = TA_LOGIN_UNSET;
		snprintf(path, sizeof(path), "%s/%s/stat", proc_root, c);
		if (read_small(path, buf, sizeof(buf)) <= 0 || parse_stat(buf, &tty_nr, &start) < 0)
			continue; /* the process went away */
		p = scan_get(ps, ses);
		if (!p) {
			closedir(d);
			return -ENOMEM;
		}
		if (start < p->start_ticks) {
			p->start_ticks = start;
			if (auid != TA_LOGIN_UNSET)
				p->auid = auid;
		} else if (p->auid == TA_LOGIN_UNSET) {
			p->auid = auid;
		}
		if (tty_nr) {
			bool seen = false;

			if (start < p->leader_ticks) {
				p->leader_ticks = start;
				p->leader_tty_nr = tty_nr;
			}
			for (uint32_t i = 0; i < p->n_ttys; i++)
				seen |= p->tty_nrs[i] == tty_nr;
			if (!seen && p->n_ttys < TA_SESSION_MAX_TTYS)
				p->tty_nrs[p->n_ttys++] = tty_nr;
		}
	}
	closedir(d);
	return 0;
}

static void tty_of(uint32_t nr, char *out, size_t cap)
{
	uint32_t major = (nr >> 8) & 0xfff, minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);

	if (ta_tty_name_from_dev(major, minor, out, cap) < 0)
		out[0] = '\0';
}

static void note_proc_ttys(struct ta_session_table *t, const struct proc_ses *p)
{
	for (uint32_t i = 0; i < p->n_ttys; i++) {
		char name[TA_SESSION_TTY_LEN];

		tty_of(p->tty_nrs[i], name, sizeof(name));
		if (name[0])
			ta_session_note_tty(t, p->ses, name);
	}
}

struct copy_ctx {
	struct ta_session_table *t;
	struct proc_scan *ps;
	bool have_proc, keep_dead;
	struct ta_backfill_stats *st;
	size_t inserted;
};

static int copy_open(struct ta_login_session *s, void *arg)
{
	struct copy_ctx *c = arg;
	struct proc_ses *p = NULL;

	if (s->state != TA_SESSION_OPEN)
		return 0;
	for (size_t i = 0; c->have_proc && i < c->ps->n; i++)
		if (c->ps->v[i].ses == s->ses)
			p = &c->ps->v[i];
	if (c->have_proc && !p && !c->keep_dead) {
		c->st->stale++;
		return 0;
	}
	if (ta_session_insert(c->t, s) == 0) {
		c->st->from_log++;
		c->inserted++;
		if (p)
			note_proc_ttys(c->t, p);
	}
	return 0;
}

int ta_backfill(struct ta_session_table *t, const struct ta_backfill_opts *o,
		struct ta_backfill_stats *st)
{
	static const struct ta_backfill_opts defaults;
	const char *log = o && o->audit_log ? o->audit_log : TA_AUDIT_LOG_DEFAULT;
	const char *proc = o && o->proc_root ? o->proc_root : "/proc";
	struct ta_backfill_stats dummy;
	struct ta_session_table *scratch = NULL;
	struct proc_scan ps = { 0 };
	struct copy_ctx cc;
	int64_t boot;
	long hz = sysconf(_SC_CLK_TCK);
	int rc;

	if (!o)
		o = &defaults;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	boot = o->boot_time ? o->boot_time : (*proc ? read_btime(proc) : 0);
	if (hz <= 0)
		hz = 100;

	if (*proc) {
		rc = scan_proc(proc, &ps);
		if (rc < 0)
			st->proc_error = rc;
	} else {
		st->proc_error = -ENOENT;
	}

	if (*log) {
		rc = ta_session_table_new(ta_session_table_boot_id(t), 0, &scratch);
		if (rc == 0)
			rc = replay_logs(log, scratch, boot, o->node, st);
		if (rc < 0)
			st->log_error = rc;
	} else {
		st->log_error = -ENOENT;
	}

	memset(&cc, 0, sizeof(cc));
	cc.t = t;
	cc.ps = &ps;
	cc.have_proc = st->proc_error == 0;
	cc.keep_dead = o->keep_dead;
	cc.st = st;
	if (scratch && st->log_error == 0)
		ta_session_foreach(scratch, copy_open, &cc);
	ta_session_table_free(scratch);

	/* Sessions only /proc knows. */
	for (size_t i = 0; cc.have_proc && i < ps.n; i++) {
		struct proc_ses *p = &ps.v[i];
		struct ta_login_session s;
		char name[TA_SESSION_TTY_LEN];
		struct passwd pw, *res = NULL;
		char pwbuf[4096];

		if (ta_session_lookup(t, p->ses))
			continue;
		memset(&s, 0, sizeof(s));
		strcpy(s.boot_id, ta_session_table_boot_id(t));
		s.ses = p->ses;
		s.auid = p->auid;
		s.state = TA_SESSION_OPEN;
		if (p->auid != TA_LOGIN_UNSET &&
		    getpwuid_r(p->auid, &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res &&
		    res->pw_name)
			snprintf(s.user, sizeof(s.user), "%s", res->pw_name);
		if (p->leader_tty_nr) {
			tty_of(p->leader_tty_nr, name, sizeof(name));
			if (name[0])
				snprintf(s.terminal, sizeof(s.terminal), "/dev/%s", name);
		}
		if (boot > 0 && p->start_ticks != UINT64_MAX) {
			s.start_sec = boot + (int64_t)(p->start_ticks / (uint64_t)hz);
			s.start_msec = (uint32_t)((p->start_ticks % (uint64_t)hz) * 1000 / (uint64_t)hz);
		}
		if (ta_session_insert(t, &s) == 0) {
			note_proc_ttys(t, p);
			st->from_proc++;
			cc.inserted++;
		}
	}
	free(ps.v);
	if (st->log_error && st->proc_error)
		return st->log_error;
	return (int)cc.inserted;
}

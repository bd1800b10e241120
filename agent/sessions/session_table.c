// SPDX-License-Identifier: GPL-2.0-or-later
/* The session table (see session_table.h). */
#include "sessions/session_table.h"

#include <errno.h>
#include <fcntl.h>
#include <libaudit.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/str_hash.h"

#define N_BUCKETS 1024

struct ta_session_table {
	char boot_id[TA_BOOT_ID_LEN];
	struct ta_login_session *buckets[N_BUCKETS];
	size_t count, max;
	size_t closed;          /* entries closed, not yet pruned */
	int64_t latest_sec;     /* the latest record's audit time */
	uint64_t evicted;       /* open sessions forgotten for room (evict_unverified) */
};

static size_t evict_unverified(struct ta_session_table *t);

int ta_boot_id_read(const char *path, char out[TA_BOOT_ID_LEN])
{
	char buf[64];
	ssize_t n;
	int fd = open(path ? path : "/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (n != TA_BOOT_ID_LEN - 1)
		return -EBADMSG;
	for (ssize_t i = 0; i < n; i++) {
		char c = buf[i];
		int dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -EBADMSG;
	}
	memcpy(out, buf, (size_t)n);
	out[n] = '\0';
	return 0;
}

int ta_session_table_new(const char *boot_id, size_t max_sessions,
			 struct ta_session_table **out)
{
	struct ta_session_table *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	if (boot_id) {
		if (strlen(boot_id) >= TA_BOOT_ID_LEN || !*boot_id) {
			free(t);
			return -EINVAL;
		}
		strcpy(t->boot_id, boot_id);
	} else if ((rc = ta_boot_id_read(NULL, t->boot_id)) < 0) {
		free(t);
		return rc;
	}
	t->max = max_sessions ? max_sessions : TA_SESSION_TABLE_DEFAULT_MAX;
	*out = t;
	return 0;
}

void ta_session_table_free(struct ta_session_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < N_BUCKETS; i++) {
		struct ta_login_session *s = t->buckets[i];

		while (s) {
			struct ta_login_session *n = s->next;

			free(s);
			s = n;
		}
	}
	free(t);
}

const char *ta_session_table_boot_id(const struct ta_session_table *t)
{
	return t->boot_id;
}

size_t ta_session_table_count(const struct ta_session_table *t)
{
	return t->count;
}

static size_t bucket_of(const char *boot_id, uint32_t ses)
{
	uint32_t h = ta_str_hash(boot_id);

	h ^= ses * 2654435761u;
	return h % N_BUCKETS;
}

struct ta_login_session *ta_session_lookup_boot(struct ta_session_table *t,
					  const char *boot_id, uint32_t ses)
{
	for (struct ta_login_session *s = t->buckets[bucket_of(boot_id, ses)]; s; s = s->next)
		if (s->ses == ses && strcmp(s->boot_id, boot_id) == 0)
			return s;
	return NULL;
}

struct ta_login_session *ta_session_lookup(struct ta_session_table *t, uint32_t ses)
{
	return ta_session_lookup_boot(t, t->boot_id, ses);
}

static struct ta_login_session *add(struct ta_session_table *t, const char *boot_id, uint32_t ses)
{
	struct ta_login_session *s;
	size_t b;

	if (t->count >= t->max && ta_session_prune_closed(t) == 0 && evict_unverified(t) == 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	strcpy(s->boot_id, boot_id);
	s->ses = ses;
	s->auid = TA_LOGIN_UNSET;
	s->state = TA_SESSION_OPEN;
	b = bucket_of(boot_id, ses);
	s->next = t->buckets[b];
	t->buckets[b] = s;
	t->count++;
	return s;
}

int ta_session_insert(struct ta_session_table *t, const struct ta_login_session *src)
{
	struct ta_login_session *s;

	if (!src->boot_id[0] || src->ses == TA_LOGIN_UNSET)
		return -EINVAL;
	if (ta_session_lookup_boot(t, src->boot_id, src->ses))
		return -EEXIST;
	s = add(t, src->boot_id, src->ses);
	if (!s)
		return -ENOSPC;
	{
		struct ta_login_session *next = s->next;

		*s = *src;
		s->next = next;
	}
	s->backfilled = true;
	if (s->state != TA_SESSION_CLOSED)
		s->state = TA_SESSION_OPEN;
	else
		t->closed++;
	if (s->n_ttys > TA_SESSION_MAX_TTYS)
		s->n_ttys = TA_SESSION_MAX_TTYS;
	return 0;
}

/* Unlink and free the entry *pp points to. */
static void unlink_entry(struct ta_session_table *t, struct ta_login_session **pp)
{
	struct ta_login_session *s = *pp;

	*pp = s->next;
	if (s->state == TA_SESSION_CLOSED)
		t->closed--;
	free(s);
	t->count--;
}

/* Remove up to limit entries for which drop holds; returns how many went. */
static size_t remove_where(struct ta_session_table *t,
			   bool (*drop)(const struct ta_session_table *t,
					const struct ta_login_session *s),
			   size_t limit)
{
	size_t n = 0;

	for (size_t i = 0; i < N_BUCKETS && n < limit; i++) {
		struct ta_login_session **pp = &t->buckets[i];

		while (*pp && n < limit) {
			if (drop(t, *pp)) {
				unlink_entry(t, pp);
				n++;
			} else {
				pp = &(*pp)->next;
			}
		}
	}
	return n;
}

int ta_session_remove(struct ta_session_table *t, const char *boot_id, uint32_t ses)
{
	struct ta_login_session **pp = &t->buckets[bucket_of(boot_id, ses)];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->ses == ses && strcmp((*pp)->boot_id, boot_id) == 0) {
			unlink_entry(t, pp);
			return 0;
		}
	}
	return -ENOENT;
}

static bool is_closed(const struct ta_session_table *t, const struct ta_login_session *s)
{
	(void)t;
	return s->state == TA_SESSION_CLOSED;
}

/* Walks the table only when something closed: it runs after every login record. */
size_t ta_session_prune_closed(struct ta_session_table *t)
{
	return t->closed ? remove_where(t, is_closed, SIZE_MAX) : 0;
}

uint64_t ta_session_table_evicted(const struct ta_session_table *t)
{
	return t->evicted;
}

int ta_session_foreach(struct ta_session_table *t,
		       int (*fn)(struct ta_login_session *s, void *arg), void *arg)
{
	for (size_t i = 0; i < N_BUCKETS; i++) {
		struct ta_login_session *s = t->buckets[i];

		while (s) {
			struct ta_login_session *n = s->next; /* fn may remove s */
			int rc = fn(s, arg);

			if (rc)
				return rc;
			s = n;
		}
	}
	return 0;
}

void ta_session_program_name(const char *exe, char *out, size_t cap)
{
	const char *base = strrchr(exe, '/');
	size_t n;

	base = base ? base + 1 : exe;
	n = strnlen(base, cap - 1);
	memcpy(out, base, n);
	out[n] = '\0';
}

int ta_session_note_tty(struct ta_session_table *t, uint32_t ses, const char *tty_name)
{
	struct ta_login_session *s;

	if (!tty_name || !*tty_name || strlen(tty_name) >= TA_SESSION_TTY_LEN)
		return -EINVAL;
	s = ta_session_lookup(t, ses);
	if (!s)
		return -ENOENT;
	for (uint32_t i = 0; i < s->n_ttys; i++)
		if (strcmp(s->ttys[i], tty_name) == 0)
			return 0;
	if (s->n_ttys >= TA_SESSION_MAX_TTYS) {
		s->ttys_dropped++;
		return -ENOSPC;
	}
	strcpy(s->ttys[s->n_ttys++], tty_name);
	return 0;
}

/* "" and "?" are auditd's "nothing here". */
static bool known(const char *v)
{
	return v[0] && strcmp(v, "?") != 0 && strcmp(v, "(none)") != 0;
}

/* Set a field if the record knows it and (unless overwrite) it is empty. */
static bool fill(char *dst, size_t cap, const char *src, bool overwrite)
{
	size_t n;

	if (!known(src) || (!overwrite && known(dst)) || strcmp(dst, src) == 0)
		return false;
	n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/* Name of auid from the password database, once, at login. */
static void resolve_user(struct ta_login_session *s)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (known(s->user) || s->auid == TA_LOGIN_UNSET)
		return;
	if (getpwuid_r(s->auid, &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_name)
		fill(s->user, sizeof(s->user), res->pw_name, true);
}

static bool take_details(struct ta_login_session *s, const struct ta_login_event *ev,
			 bool overwrite_terminal)
{
	bool ch = false;

	if (ev->auid != TA_LOGIN_UNSET && s->auid != ev->auid) {
		s->auid = ev->auid;
		ch = true;
	}
	ch |= fill(s->user, sizeof(s->user), ev->acct, false);
	ch |= fill(s->host, sizeof(s->host), ev->hostname, false);
	ch |= fill(s->addr, sizeof(s->addr), ev->addr, false);
	ch |= fill(s->terminal, sizeof(s->terminal), ev->terminal, overwrite_terminal);
	if (fill(s->exe, sizeof(s->exe), ev->exe, false)) {
		ta_session_program_name(s->exe, s->login_program, sizeof(s->login_program));
		ch = true;
	}
	if (ev->result != TA_LOGIN_RES_UNKNOWN && s->result != TA_LOGIN_RES_FAILED &&
	    s->result != ev->result) {
		s->result = ev->result;
		ch = true;
	}
	return ch;
}

bool ta_login_service(const char *prog)
{
	static const char *const services[] = {
		"sshd", "sshd-session", "login", "cron", "crond", "atd", "systemd",
		"gdm-session-worker", "lightdm", "sddm-helper", "xrdp-sesman", "dropbear",
		"in.telnetd", "in.rlogind", NULL,
	};

	for (int i = 0; prog && services[i]; i++)
		if (strcmp(prog, services[i]) == 0)
			return true;
	return false;
}

/*
 * An open session no login service vouches for, begun over a second before
 * the latest record (a real login's service names itself right after the
 * kernel's LOGIN record): a bare LOGIN record, or terminal activity alone.
 * Any process without a login uid makes one with each write of
 * /proc/self/loginuid, and none of them ever ends.
 */
static bool is_unverified(const struct ta_session_table *t, const struct ta_login_session *s)
{
	return s->state == TA_SESSION_OPEN && !s->backfilled &&
	       !ta_login_service(s->login_program) && s->start_sec < t->latest_sec - 1;
}

/*
 * Room in a full table: an eighth of it, taken from the sessions no login
 * service vouches for, so that a flood of them never refuses a real login
 * (ENOSPC) and the walk is paid once per max/8 new sessions.
 */
static size_t evict_unverified(struct ta_session_table *t)
{
	size_t n = remove_where(t, is_unverified, t->max / 8 ? t->max / 8 : 1);

	t->evicted += n;
	return n;
}

static const char *const nested_tools[] = { "su", "sudo", "runuser", "doas", "pkexec", NULL };

static bool is_nested_tool(const char *exe)
{
	char prog[TA_SESSION_PROG_LEN];

	ta_session_program_name(exe, prog, sizeof(prog));
	for (int i = 0; nested_tools[i]; i++)
		if (strcmp(prog, nested_tools[i]) == 0)
			return true;
	return false;
}

/* Is this record from the process that owns the session's login? */
static bool from_owner(const struct ta_login_session *s, const struct ta_login_event *ev)
{
	if (s->login_pid)
		return s->login_pid == ev->pid;
	return !is_nested_tool(ev->exe);
}

static struct ta_login_session *start(struct ta_session_table *t, const struct ta_login_event *ev,
				uint32_t ses)
{
	struct ta_login_session *s = add(t, t->boot_id, ses);

	if (!s)
		return NULL;
	s->login_pid = ev->pid;
	s->start_sec = ev->time_sec;
	s->start_msec = ev->time_msec;
	s->start_serial = ev->serial;
	return s;
}

static bool is_observed(const struct ta_session_table *t, const struct ta_login_session *s)
{
	(void)t;
	return s->observed;
}

/* Drop the entries known only from terminal activity; they come back when seen again. */
static void prune_observed(struct ta_session_table *t)
{
	remove_where(t, is_observed, SIZE_MAX);
}

struct ta_login_session *ta_session_observe(struct ta_session_table *t, uint32_t ses, uint32_t auid)
{
	struct ta_login_session *s;

	if (ses == TA_LOGIN_UNSET || ta_session_lookup(t, ses))
		return NULL;
	/*
	 * Half the table at most: a process without a login uid can make new
	 * audit sessions at will (each write of loginuid starts one), and must
	 * not crowd out the sessions auditd describes.
	 */
	if (t->count >= t->max / 2)
		prune_observed(t);
	if (t->count >= t->max / 2)
		return NULL;
	s = add(t, t->boot_id, ses);
	if (!s)
		return NULL;
	s->auid = auid;
	s->state = TA_SESSION_OPEN;
	s->observed = true;
	resolve_user(s);
	return s;
}

/* A new entry, or one known only from terminal activity that auditd now names. */
static struct ta_login_session *start_or_promote(struct ta_session_table *t, struct ta_login_session *s,
					   const struct ta_login_event *ev, uint32_t ses)
{
	if (!s)
		return start(t, ev, ses);
	s->observed = false;
	s->login_pid = ev->pid;
	s->start_sec = ev->time_sec;
	s->start_msec = ev->time_msec;
	s->start_serial = ev->serial;
	return s;
}

static void end(struct ta_session_table *t, struct ta_login_session *s,
		const struct ta_login_event *ev)
{
	s->state = TA_SESSION_CLOSED;
	t->closed++;
	s->end_sec = ev->time_sec;
	s->end_msec = ev->time_msec;
	s->end_serial = ev->serial;
}

int ta_session_apply(struct ta_session_table *t, const struct ta_login_event *ev,
		     struct ta_login_session **changed)
{
	struct ta_login_session *s;
	uint32_t ses = ev->ses;

	*changed = NULL;
	if (ev->msg_type == TA_LOGIN_MSG_DROPPED)
		return TA_SESSION_DROPPED;
	if (ev->msg_type != TA_LOGIN_MSG_RECORD)
		return TA_SESSION_NO_CHANGE;
	if (ev->flags & TA_LOGIN_F_FAILED_LOGIN)
		return TA_SESSION_LOGIN_FAILED;
	if (ses == TA_LOGIN_UNSET)
		return TA_SESSION_NO_CHANGE;
	if (ev->time_sec > t->latest_sec)
		t->latest_sec = ev->time_sec;
	s = ta_session_lookup(t, ses);
	if (s && s->state == TA_SESSION_CLOSED)
		return TA_SESSION_NO_CHANGE; /* ses numbers do not repeat in a boot */

	switch (ev->record_type) {
	case AUDIT_LOGIN:
		if (s && !s->observed)
			return TA_SESSION_NO_CHANGE;
		if (ev->result == TA_LOGIN_RES_FAILED)
			return TA_SESSION_NO_CHANGE; /* loginuid was not set */
		if (!(s = start_or_promote(t, s, ev, ses)))
			return -ENOSPC;
		s->auid = ev->auid;
		fill(s->user, sizeof(s->user), ev->acct, true);
		resolve_user(s);
		*changed = s;
		return TA_SESSION_STARTED;

	case AUDIT_USER_START:
	case AUDIT_USER_LOGIN:
		if (!s || s->observed) {
			if (ev->result == TA_LOGIN_RES_FAILED)
				return TA_SESSION_NO_CHANGE;
			/*
			 * su, sudo... open sessions inside a login, never one. In a
			 * session not known (closed and forgotten, its login records
			 * missed) or known only from its terminal, they must not start
			 * it under their account and program, nor own its end: a sudo in
			 * a process left behind after logout made the session root's.
			 */
			if (is_nested_tool(ev->exe)) {
				if (s && ev->record_type == AUDIT_USER_START)
					s->nested_opens++;
				return TA_SESSION_NO_CHANGE;
			}
			if (!(s = start_or_promote(t, s, ev, ses)))
				return -ENOSPC;
			take_details(s, ev, ev->record_type == AUDIT_USER_LOGIN);
			resolve_user(s);
			*changed = s;
			return TA_SESSION_STARTED;
		}
		if (!from_owner(s, ev)) {
			if (ev->record_type == AUDIT_USER_START)
				s->nested_opens++;
			return TA_SESSION_NO_CHANGE;
		}
		if (!s->login_pid)
			s->login_pid = ev->pid;
		{
			bool ch = take_details(s, ev, ev->record_type == AUDIT_USER_LOGIN);

			resolve_user(s);
			*changed = s;
			if (ev->record_type == AUDIT_USER_START &&
			    ev->result == TA_LOGIN_RES_FAILED) {
				s->result = TA_LOGIN_RES_FAILED;
				end(t, s, ev);
				return TA_SESSION_ENDED;
			}
			if (!ch) {
				*changed = NULL;
				return TA_SESSION_NO_CHANGE;
			}
			return TA_SESSION_UPDATED;
		}

	case AUDIT_USER_END:
	case AUDIT_USER_LOGOUT:
		if (!s)
			return TA_SESSION_NO_CHANGE;
		if (!from_owner(s, ev)) {
			if (ev->record_type == AUDIT_USER_END && s->nested_opens)
				s->nested_opens--;
			return TA_SESSION_NO_CHANGE;
		}
		end(t, s, ev);
		*changed = s;
		return TA_SESSION_ENDED;

	default:
		return TA_SESSION_NO_CHANGE;
	}
}

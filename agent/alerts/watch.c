// SPDX-License-Identifier: GPL-2.0-or-later
#include "alerts/watch.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libaudit.h>

void ta_audit_watches_init(struct ta_audit_watches *w, int audit_fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = audit_fd;
}

static int build(struct audit_rule_data **r, const char *path, bool dir, unsigned perms,
		 pid_t exclude_pid)
{
	char pair[64];
	int p = 0;

	*r = audit_rule_create_data();
	if (!*r)
		return -ENOMEM;
	if (audit_add_watch_dir(dir ? AUDIT_DIR : AUDIT_WATCH, r, path))
		return -EINVAL;
	if (perms & TA_WATCH_READ)
		p |= AUDIT_PERM_READ;
	if (perms & TA_WATCH_WRITE)
		p |= AUDIT_PERM_WRITE;
	if (perms & TA_WATCH_ATTR)
		p |= AUDIT_PERM_ATTR;
	if (audit_update_watch_perms(*r, p))
		return -EINVAL;
	/* libaudit cuts the pair at its operator in place: writable copies */
	snprintf(pair, sizeof(pair), "pid!=%d", (int)exclude_pid);
	if (audit_rule_fieldpair_data(r, pair, AUDIT_FILTER_EXIT))
		return -EINVAL;
	snprintf(pair, sizeof(pair), "key=%s", TA_LOGIN_WATCH_KEY);
	if (audit_rule_fieldpair_data(r, pair, AUDIT_FILTER_EXIT))
		return -EINVAL;
	return 0;
}

/*
 * Whether a listed rule is one of ours on path: only the fields we set
 * (dir/path, perm, pid, key), the key ours and the path the same. The
 * pid differs from run to run, so it is not compared.
 */
static bool stale_rule(const struct audit_rule_data *r, size_t len, const char *path)
{
	size_t off = 0, plen = strlen(path);
	bool key = false, same = false;

	if (len < sizeof(*r) || r->field_count > AUDIT_MAX_FIELDS || r->buflen > len - sizeof(*r))
		return false;
	for (uint32_t i = 0; i < r->field_count; i++) {
		uint32_t f = r->fields[i], v = r->values[i];

		switch (f) {
		case AUDIT_WATCH:
		case AUDIT_DIR:
		case AUDIT_FILTERKEY:
			if (v > r->buflen - off)
				return false;
			if (f == AUDIT_FILTERKEY)
				key = v == strlen(TA_LOGIN_WATCH_KEY) &&
				      !memcmp(r->buf + off, TA_LOGIN_WATCH_KEY, v);
			else
				same = v == plen && !memcmp(r->buf + off, path, plen);
			off += v;
			break;
		case AUDIT_PERM:
		case AUDIT_PID:
			break;
		default:
			return false;
		}
	}
	return key && same;
}

/* Rules of ours on path left by a daemon that was killed (its pid!= no longer fits). */
static void delete_stale(int fd, const char *path)
{
	struct audit_rule_data *found[TA_WATCH_MAX];
	size_t n = 0;

	if (audit_request_rules_list_data(fd) <= 0)
		return;
	for (int rounds = 0; rounds < 100000; rounds++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct audit_reply rep;

		if (poll(&pfd, 1, 1000) <= 0 ||
		    audit_get_reply(fd, &rep, GET_REPLY_NONBLOCKING, 0) <= 0)
			break;
		if (rep.type == NLMSG_DONE || (rep.type == NLMSG_ERROR && rep.error->error))
			break;
		if (rep.type != AUDIT_LIST_RULES || n >= TA_WATCH_MAX ||
		    !stale_rule(rep.ruledata, (size_t)rep.len, path))
			continue;
		found[n] = malloc((size_t)rep.len);
		if (found[n])
			memcpy(found[n++], rep.ruledata, (size_t)rep.len);
	}
	for (size_t i = 0; i < n; i++) {
		audit_delete_rule_data(fd, found[i], AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
		free(found[i]);
	}
}

int ta_audit_watch_add(struct ta_audit_watches *w, const char *path, bool dir, unsigned perms,
		       pid_t exclude_pid)
{
	struct audit_rule_data *r = NULL;
	int rc;

	if (w->fd < 0)
		return -ENOTCONN;
	if (w->n >= TA_WATCH_MAX)
		return -ENOSPC;
	rc = build(&r, path, dir, perms, exclude_pid);
	if (rc) {
		audit_rule_free_data(r);
		return rc;
	}
	delete_stale(w->fd, path);
	errno = 0;
	rc = audit_add_rule_data(w->fd, r, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
	if (rc < 0) {
		rc = rc < -1 ? rc : errno ? -errno : -EIO;
		audit_rule_free_data(r);
		return rc;
	}
	w->rules[w->n] = r;
	snprintf(w->paths[w->n], sizeof(w->paths[0]), "%s", path);
	w->n++;
	return 0;
}

int ta_audit_watches_remove(struct ta_audit_watches *w)
{
	int failed = 0;

	for (size_t i = 0; i < w->n; i++) {
		if (audit_delete_rule_data(w->fd, w->rules[i], AUDIT_FILTER_EXIT, AUDIT_ALWAYS) < 0)
			failed++;
		audit_rule_free_data(w->rules[i]);
		w->rules[i] = NULL;
	}
	w->n = 0;
	return failed;
}

/*
 * s in double quotes, '"' and '\\' escaped, into out (cap bytes, NUL-terminated):
 * the accessor names the path and can name its program, and a name such as
 * `x by /usr/sbin/sshd (succeeded, exit 0)` must not read as the subject's
 * own words.
 */
static void quoted(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	if (cap < 3) {
		if (cap)
			out[0] = '\0';
		return;
	}
	out[n++] = '"';
	for (; *s && n + 3 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
}

void ta_watch_hit(const struct ta_login_event *ev, struct ta_alert_hit *hit, char *buf,
		  size_t cap)
{
	char path[2 * sizeof(ev->path) + 3], exe[2 * sizeof(ev->exe) + 3];
	const char *sc = audit_syscall_to_name((int)ev->syscall, audit_detect_machine());
	int n;

	memset(hit, 0, sizeof(*hit));
	hit->realtime_ns = (uint64_t)ev->time_sec * 1000000000ull +
			   (uint64_t)ev->time_msec * 1000000ull;
	hit->ses = ev->ses;
	hit->auid = ev->auid;
	hit->uid = ev->uid;
	hit->pid = ev->pid;
	/* auditd says "(none)" for no terminal */
	if (strcmp(ev->terminal, "(none)"))
		snprintf(hit->tty, sizeof(hit->tty), "%.*s", (int)sizeof(hit->tty) - 1, ev->terminal);
	snprintf(hit->comm, sizeof(hit->comm), "%.*s", (int)sizeof(hit->comm) - 1, ev->comm);
	quoted(path, sizeof(path), ev->path);
	quoted(exe, sizeof(exe), ev->exe[0] ? ev->exe : "?");
	n = snprintf(buf, cap, "%s %s by %s (%s, exit %d)", sc ? sc : "syscall", path, exe,
		     ev->result == TA_LOGIN_RES_SUCCESS ? "succeeded" :
		     ev->result == TA_LOGIN_RES_FAILED ? "failed" : "result unknown", ev->exit);
	hit->subject = buf;
	hit->subject_len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
	hit->subject_cut = (ev->flags & TA_LOGIN_F_TRUNC_OP) != 0;
}

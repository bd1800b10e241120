// SPDX-License-Identifier: GPL-2.0-or-later
#include "alerts/watch.h"

#include <errno.h>
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
	/* a rule of an earlier run that was killed before it could remove it */
	audit_delete_rule_data(w->fd, r, AUDIT_FILTER_EXIT, AUDIT_ALWAYS);
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

void ta_watch_hit(const struct ta_login_event *ev, struct ta_alert_hit *hit, char *buf,
		  size_t cap)
{
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
	n = snprintf(buf, cap, "%s %s by %s (%s, exit %d)", sc ? sc : "syscall", ev->path,
		     ev->exe[0] ? ev->exe : "?",
		     ev->result == TA_LOGIN_RES_SUCCESS ? "succeeded" :
		     ev->result == TA_LOGIN_RES_FAILED ? "failed" : "result unknown", ev->exit);
	hit->subject = buf;
	hit->subject_len = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
	hit->subject_cut = (ev->flags & TA_LOGIN_F_TRUNC_OP) != 0;
}

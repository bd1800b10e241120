/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Watch the watchers: audit watch rules (auditctl -w PATH -p PERMS -k
 * ttyaudit-watch) on ttyauditd's own files, installed at start and removed
 * at stop, through libaudit. The daemon's own accesses are left out
 * (pid!=PID), so every event is someone else's read, write, attribute
 * change, rename or delete; audisp-ttyaudit hands those back to the daemon
 * (TA_LOGIN_MSG_WATCH) and each becomes an alert. Needs CAP_AUDIT_CONTROL.
 */
#ifndef TA_ALERTS_WATCH_H
#define TA_ALERTS_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sessions/login_event.h"
#include "alerts/alerts.h"

#define TA_WATCH_MAX 8

enum ta_watch_perm {
	TA_WATCH_READ = 1,
	TA_WATCH_WRITE = 2,
	TA_WATCH_ATTR = 4,
};

struct audit_rule_data;

struct ta_audit_watches {
	int fd;                                   /* audit netlink socket (not owned) */
	size_t n;
	struct audit_rule_data *rules[TA_WATCH_MAX];
	char paths[TA_WATCH_MAX][256];            /* for messages */
};

void ta_audit_watches_init(struct ta_audit_watches *w, int audit_fd);
/*
 * Installs one watch: a directory (recursive) or a file, for perms
 * (TA_WATCH_*), not triggered by exclude_pid. Rules of ours on the same
 * path left by a daemon that was killed (other pid) are deleted first. 0, or -errno (-EPERM without
 * CAP_AUDIT_CONTROL, -ENOSPC when TA_WATCH_MAX are installed).
 */
int ta_audit_watch_add(struct ta_audit_watches *w, const char *path, bool dir, unsigned perms,
		       pid_t exclude_pid);
/* Removes every watch installed; returns how many could not be removed. */
int ta_audit_watches_remove(struct ta_audit_watches *w);

/*
 * A watch event as an alert (on = watch): who, which program, what file,
 * which syscall. subject is written into buf (cap bytes).
 */
void ta_watch_hit(const struct ta_login_event *ev, struct ta_alert_hit *hit, char *buf,
		  size_t cap);

#endif

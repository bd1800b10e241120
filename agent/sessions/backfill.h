/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sessions that were already open when ttyauditd started.
 *
 * From the audit logs: every record of the current boot (time >= boot time)
 * in the log file and its rotations (audit.log.N ... audit.log.1, audit.log,
 * oldest first) is replayed through the session table logic; sessions left
 * open are candidates. From /proc: every process with a session id gives
 * (ses, loginuid, controlling tty, start time). A candidate from the logs is
 * kept only if some live process still has its ses (unless require_live is
 * false); a ses found only in /proc becomes a session with the details /proc
 * has (user name resolved now from loginuid). All are marked backfilled.
 * Sessions already in the table are left alone.
 */
#ifndef TA_SESSIONS_BACKFILL_H
#define TA_SESSIONS_BACKFILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessions/audit_node.h"
#include "sessions/session_table.h"

#define TA_AUDIT_LOG_DEFAULT "/var/log/audit/audit.log"

struct ta_backfill_opts {
	const char *audit_log;  /* NULL: TA_AUDIT_LOG_DEFAULT; "" to skip the logs */
	const char *proc_root;  /* NULL: "/proc"; "" to skip /proc */
	int64_t boot_time;      /* 0: btime from <proc_root>/stat */
	bool keep_dead;         /* keep log sessions with no live process */
	const struct ta_audit_node *node; /* other machines' records skipped; NULL: none is */
};

struct ta_backfill_stats {
	size_t log_files;       /* audit log files read */
	size_t log_untrusted;   /* audit log files not read: others may write them (or above them) */
	char untrusted_why[256]; /* the first of those, why (ta_path_trusted) */
	size_t from_log;        /* sessions inserted from the logs */
	size_t from_proc;       /* sessions inserted from /proc only */
	size_t stale;           /* open in the logs but no live process: skipped */
	int log_error;          /* 0 or -errno (e.g. -ENOENT: no audit log) */
	int proc_error;         /* 0 or -errno */
};

/*
 * Returns the number of sessions inserted (>= 0), or -errno when neither
 * source could be read (st says which failed and why).
 */
int ta_backfill(struct ta_session_table *t, const struct ta_backfill_opts *o,
		struct ta_backfill_stats *st);

/* "pts/3", "tty1", "ttyS0", "console"... from a device number. -ERANGE if cap small. */
int ta_tty_name_from_dev(uint32_t major, uint32_t minor, char *out, size_t cap);

#endif

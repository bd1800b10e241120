/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * DIR/ttyauditd.status: what the running daemon is doing, rewritten atomically
 * once a second (JSON; read by `ttyaudit status` and the crash tests). Not
 * part of the tamper-evident log: it is a window, never evidence.
 */
#ifndef TA_DAEMON_STATUS_H
#define TA_DAEMON_STATUS_H

#include <stdint.h>

struct ta_recorder_stats;
struct ta_sink_queue_stats;
struct ta_store;

struct ta_status_info {
	int dirfd;                   /* the log directory (ta_store_dirfd, duplicated) */
	const char *backend;
	const char *integrity;       /* ta_backend_integrity() */
	uint32_t ring_bytes;
	uint64_t started_ns;
	const struct ta_recorder_stats *stats;
	const struct ta_store *store;   /* may be NULL */
	const struct ta_sink_queue_stats *queue; /* the writer's queue; may be NULL */
};

/*
 * 0 or -errno; the previous status file stays if writing fails. Written
 * beside it and renamed over it, relative to the directory, never by path.
 */
int ta_status_write(const struct ta_status_info *info);
/* Remove the status file at a clean stop. */
void ta_status_remove(int dirfd);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipper's position (docs/fleet.md), one "key value" line each:
 * next, checkpoint, acked, backlog.
 */
#ifndef TA_SHIP_STATE_H
#define TA_SHIP_STATE_H

#include <stdint.h>

#define TA_SHIP_DEFAULT_STATE "/var/lib/ttyaudit-ship/ship.state"

struct ta_ship_state {
	uint64_t next;        /* next record index to publish */
	uint64_t checkpoint;  /* largest checkpoint size published */
	uint64_t acked;       /* largest checkpoint size the collector cosigned */
	uint64_t log_size;    /* records in the log when last read (for the backlog) */
};

/*
 * Loads the state file (absent: all zero). Read by root too (ttyaudit status)
 * in a directory the shipper's user owns: only a regular file of at most
 * TA_SHIP_STATE_MAX bytes, never through a symbolic link (base/fs.h,
 * ta_read_regular_at). -errno, or -EBADMSG if malformed.
 */
#define TA_SHIP_STATE_MAX 4096
int ta_ship_state_load(const char *path, struct ta_ship_state *st);
/* What a load's error means, in words. */
const char *ta_ship_state_strerror(int e);
/* Replaces it durably (write, fsync, rename): a new FILE.tmp, never through a link. */
int ta_ship_state_save(const char *path, const struct ta_ship_state *st);

/*
 * The state file as the shipper keeps it: saved when the state changed, at
 * once when forced, else at most once per TA_SHIP_STATE_SAVE_MS. Each save
 * creates, fsyncs and renames a file; saved every round (three a second per
 * host while a checkpoint waits for its cosignature) it was half of the
 * shipper's CPU. A state saved late is behind, never ahead: a restart
 * publishes again what JetStream deduplicates and asks the collector again;
 * `ttyaudit status` shows it up to that late. now_ms: a monotonic clock.
 */
#define TA_SHIP_STATE_SAVE_MS 1000
struct ta_ship_state_file {
	const char *path;
	struct ta_ship_state saved; /* its content, */
	uint64_t saved_ms;          /* written then */
};
/* 0 when saved or not due, or -errno of the save. */
int ta_ship_state_sync(struct ta_ship_state_file *f, const struct ta_ship_state *st, int force,
		       uint64_t now_ms);
/* How long, at most wait_ms, before a change of st is due to be saved. */
unsigned ta_ship_state_due_ms(const struct ta_ship_state_file *f, const struct ta_ship_state *st,
			      unsigned wait_ms, uint64_t now_ms);

#endif

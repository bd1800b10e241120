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

/* Loads the state file (absent: all zero). -errno, or -EBADMSG if malformed. */
int ta_ship_state_load(const char *path, struct ta_ship_state *st);
/* Replaces it durably (write, fsync, rename). */
int ta_ship_state_save(const char *path, const struct ta_ship_state *st);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wakes the shipper when the recorder writes a checkpoint (docs/fleet.md,
 * "The shipper"): an inotify watch on the log directory, read-only. An event
 * is only a hint to start a round at once; the round reads and checks the
 * log as a polled one does (nothing named by an event is opened). Without
 * inotify (limits, a filesystem without it) the shipper polls as before.
 */
#ifndef TA_SHIP_WATCH_H
#define TA_SHIP_WATCH_H

struct ta_ship_watch {
	int fd; /* the inotify instance, -1: polling only */
};

/* Watches dir. 0, or -errno (w->fd is then -1 and waits are plain sleeps). */
int ta_ship_watch_open(struct ta_ship_watch *w, const char *dir);

/*
 * Waits up to timeout_ms; returns 1 as soon as a checkpoint file of the
 * directory was written (or the watch overflowed or was lost: a round is
 * due), 0 when the time ran out (other files' writes do not end the wait:
 * the records they add go with the next checkpoint or the next poll),
 * -EINTR on a signal.
 */
int ta_ship_watch_wait(struct ta_ship_watch *w, unsigned timeout_ms);

void ta_ship_watch_close(struct ta_ship_watch *w);

#endif

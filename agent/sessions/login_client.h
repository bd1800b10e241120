/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plugin's end of the login socket: a non-blocking connection to
 * ttyauditd with a bounded queue in front of it. Nothing here ever blocks:
 * when ttyauditd is away the queue fills, then records are dropped and
 * counted; connection attempts back off from 100 ms to 5 s.
 */
#ifndef TA_SESSIONS_LOGIN_CLIENT_H
#define TA_SESSIONS_LOGIN_CLIENT_H

#include <poll.h>
#include <stdint.h>
#include <sys/un.h>

#include "sessions/login_queue.h"

#define TA_LOGIN_BACKOFF_MIN_MS 100
#define TA_LOGIN_BACKOFF_MAX_MS 5000

struct ta_login_client {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;                /* -1 while not connected */
	struct ta_login_queue q;
	size_t front_off;      /* bytes of the front message already sent */
	uint64_t backoff_ms;
	uint64_t next_try_ms;  /* monotonic ms of the next connection attempt */
	uint64_t connects, disconnects, sent, refused_peers;
	int last_error;        /* -errno of the last failed attempt, 0 if none */
};

/* Returns 0, -ENAMETOOLONG, -EINVAL (capacity) or -ENOMEM. */
int ta_login_client_init(struct ta_login_client *c, const char *path, size_t capacity);
void ta_login_client_free(struct ta_login_client *c);
/* New socket path (SIGHUP): reconnects at once if it changed. */
int ta_login_client_set_path(struct ta_login_client *c, const char *path, uint64_t now_ms);
/* Resize the queue; queued messages are kept while they fit, others dropped. */
int ta_login_client_set_capacity(struct ta_login_client *c, size_t capacity, time_t now);

/* Queue a record (0 or -ENOBUFS if dropped). Does not send: call service. */
int ta_login_client_submit(struct ta_login_client *c, const struct ta_login_event *ev,
			   time_t now);
/*
 * Connect when due, then send what the socket takes. Returns 1 while
 * connected, 0 while not.
 */
int ta_login_client_service(struct ta_login_client *c, uint64_t now_ms);
/* Events to poll for on c->fd (0 when not connected). */
short ta_login_client_poll_events(const struct ta_login_client *c);
/* After poll: notice a hangup, drain anything the peer sent. */
void ta_login_client_handle(struct ta_login_client *c, short revents, uint64_t now_ms);
/* Milliseconds until the next connection attempt; -1 if connected. */
int ta_login_client_timeout_ms(const struct ta_login_client *c, uint64_t now_ms);
void ta_login_client_disconnect(struct ta_login_client *c, uint64_t now_ms);

uint64_t ta_monotonic_ms(void);

#endif

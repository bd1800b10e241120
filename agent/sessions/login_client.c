// SPDX-License-Identifier: GPL-2.0-or-later
/* Plugin side of the login socket (see login_client.h). */
#include "sessions/login_client.h"

#include "base/clock.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

uint64_t ta_monotonic_ms(void)
{
	return ta_now_ns(CLOCK_MONOTONIC) / 1000000u;
}

int ta_login_client_init(struct ta_login_client *c, const char *path, size_t capacity)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!path || !*path || strlen(path) >= sizeof(c->path))
		return -ENAMETOOLONG;
	strcpy(c->path, path);
	rc = ta_login_queue_init(&c->q, capacity);
	if (rc < 0)
		return rc;
	c->backoff_ms = TA_LOGIN_BACKOFF_MIN_MS;
	return 0;
}

void ta_login_client_free(struct ta_login_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	ta_login_queue_free(&c->q);
}

void ta_login_client_disconnect(struct ta_login_client *c, uint64_t now_ms)
{
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		c->disconnects++;
	}
	/* A message cut in half is sent whole on the next connection. */
	c->front_off = 0;
	c->next_try_ms = now_ms + c->backoff_ms;
	c->backoff_ms *= 2;
	if (c->backoff_ms > TA_LOGIN_BACKOFF_MAX_MS)
		c->backoff_ms = TA_LOGIN_BACKOFF_MAX_MS;
}

int ta_login_client_set_path(struct ta_login_client *c, const char *path, uint64_t now_ms)
{
	if (!path || !*path || strlen(path) >= sizeof(c->path))
		return -ENAMETOOLONG;
	if (strcmp(path, c->path) == 0)
		return 0;
	strcpy(c->path, path);
	ta_login_client_disconnect(c, now_ms);
	c->backoff_ms = TA_LOGIN_BACKOFF_MIN_MS;
	c->next_try_ms = now_ms;
	return 0;
}

int ta_login_client_set_capacity(struct ta_login_client *c, size_t capacity, time_t now)
{
	struct ta_login_queue nq;
	int rc;

	if (capacity == c->q.capacity)
		return 0;
	rc = ta_login_queue_init(&nq, capacity);
	if (rc < 0)
		return rc;
	nq.next_seq = c->q.next_seq;
	nq.dropped_pending = c->q.dropped_pending;
	nq.dropped_total = c->q.dropped_total;
	nq.dropped_reported = c->q.dropped_reported;
	nq.first_drop_sec = c->q.first_drop_sec;
	nq.last_drop_sec = c->q.last_drop_sec;
	nq.queued_total = c->q.queued_total;
	/* Keep the front message first: it may be half sent. */
	while (c->q.count > 0) {
		size_t len;
		const void *m = ta_login_queue_front(&c->q, &len);

		if (nq.count < nq.capacity) {
			size_t tail = (nq.head + nq.count) % nq.capacity;

			memcpy(nq.slots + tail * TA_LOGIN_WIRE_MAX, m, len);
			nq.lens[tail] = (uint32_t)len;
			nq.count++;
		} else {
			ta_login_queue_count_lost(&nq, 1, now);
		}
		ta_login_queue_pop(&c->q);
	}
	ta_login_queue_free(&c->q);
	c->q = nq;
	return 0;
}

int ta_login_client_submit(struct ta_login_client *c, const struct ta_login_event *ev,
			   time_t now)
{
	return ta_login_queue_push(&c->q, ev, now);
}

static int try_connect(struct ta_login_client *c, uint64_t now_ms)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	int fd;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		c->last_error = -errno;
		ta_login_client_disconnect(c, now_ms);
		return c->last_error;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, c->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* EAGAIN: the listener's backlog is full; try again later. */
		c->last_error = -errno;
		close(fd);
		ta_login_client_disconnect(c, now_ms);
		return c->last_error;
	}
	/* Only hand login records to root (or to ourselves, for tests as a user). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		c->last_error = -EPERM;
		c->refused_peers++;
		close(fd);
		ta_login_client_disconnect(c, now_ms);
		return -EPERM;
	}
	c->fd = fd;
	c->front_off = 0;
	c->connects++;
	c->last_error = 0;
	c->backoff_ms = TA_LOGIN_BACKOFF_MIN_MS;
	return 0;
}

/* Send until the socket is full or the queue empty. */
static void send_queued(struct ta_login_client *c, uint64_t now_ms)
{
	for (;;) {
		size_t len;
		const unsigned char *m = ta_login_queue_front(&c->q, &len);
		ssize_t n;

		if (!m) {
			if (ta_login_queue_report_drops(&c->q))
				continue;
			return;
		}
		n = send(c->fd, m + c->front_off, len - c->front_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			c->last_error = -errno;
			ta_login_client_disconnect(c, now_ms);
			return;
		}
		c->front_off += (size_t)n;
		if (c->front_off == len) {
			ta_login_queue_pop(&c->q);
			c->front_off = 0;
			c->sent++;
		}
	}
}

int ta_login_client_service(struct ta_login_client *c, uint64_t now_ms)
{
	if (c->fd < 0) {
		if (now_ms < c->next_try_ms)
			return 0;
		if (try_connect(c, now_ms) < 0)
			return 0;
	}
	send_queued(c, now_ms);
	return c->fd >= 0;
}

short ta_login_client_poll_events(const struct ta_login_client *c)
{
	if (c->fd < 0)
		return 0;
	return (short)(POLLIN | (c->q.count || c->q.dropped_pending ? POLLOUT : 0));
}

void ta_login_client_handle(struct ta_login_client *c, short revents, uint64_t now_ms)
{
	if (c->fd < 0)
		return;
	if (revents & POLLIN) {
		char buf[256];
		ssize_t n;

		/* ttyauditd says nothing; a readable socket means it went away. */
		while ((n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != EINTR)) {
			ta_login_client_disconnect(c, now_ms);
			c->next_try_ms = now_ms + TA_LOGIN_BACKOFF_MIN_MS;
			return;
		}
	}
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		ta_login_client_disconnect(c, now_ms);
		c->next_try_ms = now_ms + TA_LOGIN_BACKOFF_MIN_MS;
	}
}

int ta_login_client_timeout_ms(const struct ta_login_client *c, uint64_t now_ms)
{
	if (c->fd >= 0)
		return -1;
	if (c->next_try_ms <= now_ms)
		return 0;
	return (int)(c->next_try_ms - now_ms);
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include "ship/watch.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "store/log_dir.h"

int ta_ship_watch_open(struct ta_ship_watch *w, const char *dir)
{
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return -errno;
	/* A checkpoint is appended to seg-<seq>.ckpt (IN_MODIFY); a rotation creates the next. */
	if (inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
		int e = -errno;
		close(w->fd);
		w->fd = -1;
		return e;
	}
	return 0;
}

static int is_ckpt(const struct inotify_event *ev)
{
	size_t n = strnlen(ev->name, ev->len), k = sizeof(TA_CKPT_SUFFIX) - 1;
	return n > k && !memcmp(ev->name + n - k, TA_CKPT_SUFFIX, k);
}

/* 1 if the queued events include a checkpoint file's (or the watch is no longer sound). */
static int drain(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int due = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			return due;
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			const struct inotify_event *ev = (const void *)(buf + off);
			if (ev->mask & (IN_Q_OVERFLOW | IN_IGNORED) || (ev->len && is_ckpt(ev)))
				due = 1;
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int ta_ship_watch_wait(struct ta_ship_watch *w, unsigned timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	for (;;) {
		long long left = end - now_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = w->fd, .events = POLLIN };
		int r = poll(&p, w->fd >= 0 ? 1 : 0, (int)left);
		if (r < 0)
			return errno == EINTR ? -EINTR : 0;
		if (r == 0)
			return 0;
		if (p.revents & ~POLLIN) { /* not a sound watch any more: poll from now on */
			ta_ship_watch_close(w);
			return 1;
		}
		if (drain(w->fd))
			return 1;
	}
}

void ta_ship_watch_close(struct ta_ship_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Daemon side of the login socket (see login_server.h). */
#include "sessions/login_server.h"
#include "base/trusted_path.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct ta_login_server {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct ta_login_conn {
	int fd;
	pid_t peer_pid;
	size_t len;
	unsigned char buf[TA_LOGIN_WIRE_MAX];
};

/*
 * The directory holding the socket: created 0700, or, if it was there
 * already, only root (or we) may change it. An existing directory is never
 * tightened: it may be shared (the system's temporary directory once became
 * 0700 that way); one that others can write is refused instead.
 */
static int prepare_dir(const char *sock_path, char *why, size_t why_len)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	int dfd, rc = 0;

	strcpy(dir, sock_path);
	slash = strrchr(dir, '/');
	if (!slash)
		return 0; /* relative name in the cwd: the caller chose it */
	if (slash == dir) {
		snprintf(why, why_len, "a socket directly in / is refused");
		return -EINVAL;
	}
	*slash = '\0';
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST) {
		rc = -errno;
		snprintf(why, why_len, "cannot create %s: %s", dir, strerror(-rc));
		return rc;
	}
	/* A directory, not a symlink to one (which ta_path_trusted would allow if root's). */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		rc = errno == ELOOP ? -ENOTDIR : -errno;
		snprintf(why, why_len, "%s is not a directory we can open: %s", dir, strerror(-rc));
		return rc;
	}
	close(dfd);
	return ta_path_trusted(dir, 0022, why, why_len);
}

int ta_login_server_open(const char *path, struct ta_login_server **out, char *why,
			 size_t why_len)
{
	struct ta_login_server *s;
	struct sockaddr_un sa;
	struct stat st;
	char scratch[16];
	int rc;

	if (!why) {
		why = scratch;
		why_len = sizeof(scratch);
	}
	why[0] = '\0';
	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	rc = prepare_dir(path, why, why_len);
	if (rc < 0)
		return rc;
	/* A socket left by an earlier run is replaced; anything else is not ours. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	strcpy(s->path, path);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		rc = -errno;
		free(s);
		return rc;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	/* Bind with a umask that leaves no window where others may connect. */
	mode_t old = umask(0177);
	rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(s->fd, 16) < 0) {
		rc = -errno;
		close(s->fd);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ta_login_server_close(struct ta_login_server *s)
{
	struct stat st;

	if (!s)
		return;
	if (lstat(s->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(s->path);
	close(s->fd);
	free(s);
}

int ta_login_server_fd(const struct ta_login_server *s)
{
	return s->fd;
}

const char *ta_login_server_path(const struct ta_login_server *s)
{
	return s->path;
}

int ta_login_server_accept(struct ta_login_server *s, struct ta_login_conn **out)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct ta_login_conn *c;
	int fd;

	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    cl != sizeof(cred) || (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return -EACCES;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->peer_pid = cred.pid;
	*out = c;
	return 0;
}

int ta_login_conn_fd(const struct ta_login_conn *c)
{
	return c->fd;
}

pid_t ta_login_conn_peer_pid(const struct ta_login_conn *c)
{
	return c->peer_pid;
}

int ta_login_conn_read(struct ta_login_conn *c, struct ta_login_event *ev)
{
	for (;;) {
		ssize_t n;
		int rc = ta_login_wire_decode(c->buf, c->len, ev);

		if (rc > 0) {
			memmove(c->buf, c->buf + rc, c->len - (size_t)rc);
			c->len -= (size_t)rc;
			return 1;
		}
		if (rc < 0)
			return rc;
		/* Read no further than the message at hand needs (<= buf). */
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (n == 0)
			return c->len ? -EBADMSG : -EPIPE;
		c->len += (size_t)n;
	}
}

void ta_login_conn_close(struct ta_login_conn *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ttyauditd's end of the login socket. The daemon puts the listening fd and
 * each connection's fd in its epoll set (all are non-blocking, close-on-exec)
 * and calls the functions below when they are readable.
 *
 * Access: the socket's directory is created 0700 (an existing one must be a
 * directory owned by the daemon's user and is set to 0700), the socket is
 * 0600, and accept rejects a peer whose SO_PEERCRED uid is neither 0 nor the
 * daemon's own euid (so, for a root daemon: root only).
 */
#ifndef TA_SESSIONS_LOGIN_SERVER_H
#define TA_SESSIONS_LOGIN_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sessions/login_event.h"

#define TA_LOGIN_SOCKET_DEFAULT "/run/ttyaudit/login.sock"

struct ta_login_server;
struct ta_login_conn;

/*
 * Create the directory if missing, replace a stale socket (never another
 * kind of file), bind, chmod 0600, listen. Returns 0 or -errno
 * (-ENAMETOOLONG, -EEXIST if path is not a socket, -EPERM if the directory
 * was there already and someone but root could change it: never tightened,
 * refused), with one sentence in why when it is not NULL.
 */
int ta_login_server_open(const char *path, struct ta_login_server **out, char *why,
			 size_t why_len);
/* Closes the listener (not the connections) and unlinks the socket. */
void ta_login_server_close(struct ta_login_server *s);
int ta_login_server_fd(const struct ta_login_server *s);
const char *ta_login_server_path(const struct ta_login_server *s);

/*
 * Accept one pending connection. Returns 0 and *out, -EAGAIN when none is
 * pending, -EACCES when the peer was not allowed (it is closed; call again),
 * or another -errno.
 */
int ta_login_server_accept(struct ta_login_server *s, struct ta_login_conn **out);

int ta_login_conn_fd(const struct ta_login_conn *c);
pid_t ta_login_conn_peer_pid(const struct ta_login_conn *c);
/*
 * Next event from the connection. Returns 1 with *ev filled, 0 when no
 * complete message is available (would block), -EPIPE when the peer closed
 * the connection (a partial message left behind gives -EBADMSG instead),
 * -EBADMSG / -EPROTO / -EPROTONOSUPPORT for an invalid message, or another
 * -errno. After a negative return, close the connection.
 * Call until it returns 0 (edge-triggered epoll friendly).
 */
int ta_login_conn_read(struct ta_login_conn *c, struct ta_login_event *ev);
void ta_login_conn_close(struct ta_login_conn *c);

#endif

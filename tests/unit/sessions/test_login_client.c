// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The bounded queue, the plugin's client and the daemon's server together:
 * delivery, drop counting while the server is away, the "dropped N"
 * notice when it returns, socket permissions, and rejection of bad peers
 * and bad messages.
 */
#include <errno.h>
#include <libaudit.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/check.h"
#include "corpus_util.h"
#include "sessions/login_client.h"
#include "sessions/login_server.h"

static struct ta_login_event rec(uint64_t serial)
{
	struct ta_login_event ev;

	ta_login_event_init(&ev);
	ev.record_type = AUDIT_USER_START;
	ev.serial = serial;
	ev.time_sec = 1700000000;
	ev.pid = 100;
	ev.ses = 3;
	snprintf(ev.acct, sizeof(ev.acct), "user%llu", (unsigned long long)serial);
	return ev;
}

static void queue_drops(void)
{
	struct ta_login_queue q;
	struct ta_login_event ev;
	const void *m;
	size_t len;

	CHECK_EQ_INT(ta_login_queue_init(&q, 1), -EINVAL);
	CHECK_EQ_INT(ta_login_queue_init(&q, 4), 0);
	for (int i = 0; i < 4; i++) {
		ev = rec((uint64_t)i);
		CHECK_EQ_INT(ta_login_queue_push(&q, &ev, 1000), 0);
	}
	ev = rec(4);
	CHECK_EQ_INT(ta_login_queue_push(&q, &ev, 1001), -ENOBUFS);
	ev = rec(5);
	CHECK_EQ_INT(ta_login_queue_push(&q, &ev, 1002), -ENOBUFS);
	CHECK_EQ_INT(q.dropped_total, 2);
	CHECK_EQ_INT(q.dropped_pending, 2);
	CHECK_EQ_INT(ta_login_queue_count(&q), 4);
	ta_login_queue_pop(&q);
	/* one free slot: not enough for the notice and the record */
	ev = rec(6);
	CHECK_EQ_INT(ta_login_queue_push(&q, &ev, 1003), -ENOBUFS);
	CHECK_EQ_INT(q.dropped_pending, 3);
	ta_login_queue_pop(&q);
	ev = rec(7);
	CHECK_EQ_INT(ta_login_queue_push(&q, &ev, 1004), 0);
	CHECK_EQ_INT(q.dropped_pending, 0);
	CHECK_EQ_INT(q.dropped_reported, 3);
	CHECK_EQ_INT(ta_login_queue_count(&q), 4);
	/* order: 2, 3, DROPPED(3), 7; seq numbers consecutive */
	{
		uint64_t want_serial[] = { 2, 3, 0, 7 };
		uint32_t seq0 = 0;

		for (int i = 0; i < 4; i++) {
			struct ta_login_event d;

			m = ta_login_queue_front(&q, &len);
			CHECK(m != NULL);
			if (!m)
				break;
			CHECK_EQ_INT(ta_login_wire_decode(m, len, &d), (int)len);
			if (i == 0)
				seq0 = d.seq;
			CHECK_EQ_INT(d.seq, seq0 + (uint32_t)i);
			if (i == 2) {
				CHECK_EQ_INT(d.msg_type, TA_LOGIN_MSG_DROPPED);
				CHECK_EQ_INT(d.dropped, 3);
				CHECK_EQ_INT(d.dropped_total, 3);
				CHECK_EQ_INT(d.first_drop_sec, 1001);
				CHECK_EQ_INT(d.last_drop_sec, 1003);
			} else {
				CHECK_EQ_INT(d.msg_type, TA_LOGIN_MSG_RECORD);
				CHECK_EQ_INT(d.serial, want_serial[i]);
			}
			ta_login_queue_pop(&q);
		}
	}
	CHECK(ta_login_queue_front(&q, &len) == NULL);
	/* drained queue: the notice goes out even without a next record */
	for (int i = 0; i < 6; i++) {
		ev = rec(10 + (uint64_t)i);
		ta_login_queue_push(&q, &ev, 2000);
	}
	CHECK_EQ_INT(q.dropped_pending, 2);
	while (ta_login_queue_count(&q))
		ta_login_queue_pop(&q);
	CHECK_EQ_INT(ta_login_queue_report_drops(&q), 1);
	CHECK_EQ_INT(ta_login_queue_count(&q), 1);
	CHECK_EQ_INT(q.dropped_total, 5);
	ta_login_queue_free(&q);
}

/* Read events until n arrive or nothing more comes. */
static size_t read_events(struct ta_login_conn *c, struct ta_login_event *out, size_t n)
{
	size_t got = 0;

	for (int tries = 0; got < n && tries < 200; tries++) {
		int rc = ta_login_conn_read(c, &out[got]);

		if (rc == 1) {
			got++;
			continue;
		}
		if (rc < 0)
			break;
		usleep(2000);
	}
	return got;
}

static struct ta_login_conn *accept_one(struct ta_login_server *s)
{
	struct ta_login_conn *c = NULL;

	for (int i = 0; i < 200; i++) {
		if (ta_login_server_accept(s, &c) == 0)
			return c;
		usleep(2000);
	}
	return NULL;
}

static void client_server(const char *dir)
{
	char path[600], sub[512];
	struct ta_login_server *srv = NULL;
	struct ta_login_client cl;
	struct ta_login_conn *conn;
	struct ta_login_event got[32], ev;
	struct stat st;
	uint64_t now = 1000000;

	snprintf(sub, sizeof(sub), "%s/run", dir);
	snprintf(path, sizeof(path), "%s/login.sock", sub);
	CHECK_EQ_INT(ta_login_server_open(path, &srv, NULL, 0), 0);
	if (!srv)
		return;
	CHECK(stat(sub, &st) == 0 && (st.st_mode & 07777) == 0700);
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0600);

	CHECK_EQ_INT(ta_login_client_init(&cl, path, 8), 0);
	CHECK_EQ_INT(ta_login_client_service(&cl, now), 1);
	conn = accept_one(srv);
	CHECK(conn != NULL);
	if (!conn)
		return;
	for (int i = 0; i < 3; i++) {
		ev = rec(100 + (uint64_t)i);
		CHECK_EQ_INT(ta_login_client_submit(&cl, &ev, 5000), 0);
	}
	ta_login_client_service(&cl, now);
	CHECK_EQ_INT(read_events(conn, got, 3), 3);
	CHECK_EQ_INT(got[0].serial, 100);
	CHECK_EQ_STR(got[2].acct, "user102");
	CHECK_EQ_INT(got[2].seq, got[0].seq + 2);
	CHECK_EQ_INT(ta_login_conn_read(conn, &ev), 0);

	/* the daemon goes away */
	ta_login_conn_close(conn);
	ta_login_server_close(srv);
	srv = NULL;
	usleep(10000);
	ta_login_client_handle(&cl, POLLIN, now);
	CHECK(cl.fd < 0);
	for (int i = 0; i < 12; i++) {
		ev = rec(200 + (uint64_t)i);
		ta_login_client_submit(&cl, &ev, 6000);
	}
	CHECK_EQ_INT(ta_login_queue_count(&cl.q), 8);
	CHECK_EQ_INT(cl.q.dropped_total, 4);
	/* attempts while it is away fail and back off */
	now += 10000;
	CHECK_EQ_INT(ta_login_client_service(&cl, now), 0);
	CHECK(ta_login_client_timeout_ms(&cl, now) > 0);

	/* it returns: the queue, then the notice of the 4 lost */
	CHECK_EQ_INT(ta_login_server_open(path, &srv, NULL, 0), 0);
	if (!srv)
		return;
	now += 10000;
	CHECK_EQ_INT(ta_login_client_service(&cl, now), 1);
	conn = accept_one(srv);
	CHECK(conn != NULL);
	if (!conn)
		return;
	ta_login_client_service(&cl, now);
	CHECK_EQ_INT(read_events(conn, got, 9), 9);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ_INT(got[i].msg_type, TA_LOGIN_MSG_RECORD);
		CHECK_EQ_INT(got[i].serial, 200 + (uint64_t)i);
	}
	CHECK_EQ_INT(got[8].msg_type, TA_LOGIN_MSG_DROPPED);
	CHECK_EQ_INT(got[8].dropped, 4);
	CHECK_EQ_INT(got[8].dropped_total, 4);
	CHECK_EQ_INT(got[8].first_drop_sec, 6000);
	/* and it carries on */
	ev = rec(300);
	ta_login_client_submit(&cl, &ev, 7000);
	ta_login_client_service(&cl, now);
	CHECK_EQ_INT(read_events(conn, got, 1), 1);
	CHECK_EQ_INT(got[0].serial, 300);
	ta_login_conn_close(conn);
	ta_login_client_free(&cl);

	/* junk on the socket is refused, the connection is then closed by us */
	{
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		CHECK(write(fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
		conn = accept_one(srv);
		CHECK(conn != NULL);
		if (conn) {
			int rc = 0;

			for (int i = 0; i < 100 && rc == 0; i++) {
				rc = ta_login_conn_read(conn, &ev);
				if (rc == 0)
					usleep(2000);
			}
			CHECK_EQ_INT(rc, -EBADMSG);
			ta_login_conn_close(conn);
		}
		/* a peer that hangs up halfway through a message */
		close(fd);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		{
			unsigned char buf[TA_LOGIN_WIRE_MAX];
			struct ta_login_event e2 = rec(1);
			int n = ta_login_wire_encode(&e2, 0, buf, sizeof(buf));

			CHECK(write(fd, buf, (size_t)n / 2) == n / 2);
		}
		close(fd);
		conn = accept_one(srv);
		if (conn) {
			int rc = 0;

			for (int i = 0; i < 100 && rc == 0; i++) {
				rc = ta_login_conn_read(conn, &ev);
				if (rc == 0)
					usleep(2000);
			}
			CHECK_EQ_INT(rc, -EBADMSG);
			ta_login_conn_close(conn);
		}
	}

	/* only root (or the daemon's own user) may connect */
	if (geteuid() == 0) {
		pid_t pid;
		int status;

		/* let the unprivileged child reach the socket path */
		chmod(dir, 0755);
		chmod(sub, 0755);
		chmod(path, 0666);
		pid = fork();
		if (pid == 0) {
			int fd = socket(AF_UNIX, SOCK_STREAM, 0);
			struct sockaddr_un sa = { .sun_family = AF_UNIX };

			strcpy(sa.sun_path, path);
			if (setgid(65534) || setuid(65534))
				_exit(3);
			_exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 4);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		{
			struct ta_login_conn *c2 = NULL;
			int rc = -EAGAIN;

			for (int i = 0; i < 100 && rc == -EAGAIN; i++) {
				rc = ta_login_server_accept(srv, &c2);
				if (rc == -EAGAIN)
					usleep(2000);
			}
			CHECK_EQ_INT(rc, -EACCES);
		}
		chmod(sub, 0700);
		chmod(dir, 0700);
	} else {
		fprintf(stderr, "not root: the other-uid peer check is exercised in the "
			"integration suite\n");
	}
	ta_login_server_close(srv);
	CHECK(access(path, F_OK) != 0); /* unlinked */

	/* a file that is not a socket is never replaced */
	{
		FILE *f = fopen(path, "w");

		CHECK(f != NULL);
		if (f)
			fclose(f);
		CHECK_EQ_INT(ta_login_server_open(path, &srv, NULL, 0), -EEXIST);
		unlink(path);
	}
	/* paths too long for sun_path */
	{
		char longp[300];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		CHECK_EQ_INT(ta_login_server_open(longp, &srv, NULL, 0), -ENAMETOOLONG);
		CHECK_EQ_INT(ta_login_client_init(&cl, longp, 8), -ENAMETOOLONG);
	}
}

int main(void)
{
	char *dir;

	queue_drops();
	dir = make_temp_dir("ta-login-test");
	client_server(dir);
	remove_temp_dir(dir);
	return check_result();
}

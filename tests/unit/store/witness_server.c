// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test helper: a tiny c2sp.org/tlog-witness HTTP server on the witness
 * library. Listens on 127.0.0.1 on a free port, prints the port and then its
 * cosignature/v1 verifier key on stdout, a line each, serves POST
 * /add-checkpoint one connection at a time until killed (and dies with its
 * parent).
 * Usage: witness_server STATE_DIR WITNESS_KEY NAME ORIGIN LOG_VKEY
 * (WITNESS_KEY is created as a cosignature/v1 key named NAME if absent).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store/witness.h"

static void respond(int fd, int status, const char *ctype, const char *body, size_t len)
{
	char head[256];
	const char *why = status == 200 ? "OK" : status == 400 ? "Bad Request" :
			  status == 403 ? "Forbidden" : status == 404 ? "Not Found" :
			  status == 409 ? "Conflict" : status == 422 ? "Unprocessable Entity" : "Error";
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, why, ctype, len);
	if (write(fd, head, (size_t)n) != n || write(fd, body, len) != (ssize_t)len)
		perror("witness_server: write");
}

static void serve(const struct ta_witness *w, int fd)
{
	static char buf[1 << 20];
	size_t got = 0;
	char *hend = NULL;
	long clen = -1;
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		if (!hend && (hend = strstr(buf, "\r\n\r\n"))) {
			char *cl = strcasestr(buf, "\r\nContent-Length:");
			clen = cl && cl < hend ? strtol(cl + 17, NULL, 10) : 0;
		}
		if (hend && got >= (size_t)(hend + 4 - buf) + (size_t)clen)
			break;
	}
	if (!hend || clen < 0 || got < (size_t)(hend + 4 - buf) + (size_t)clen) {
		respond(fd, 400, "text/plain", "bad request\n", 12);
		return;
	}
	if (strncmp(buf, "POST /add-checkpoint HTTP/1.1\r\n", 31)) {
		respond(fd, 404, "text/plain", "not found\n", 10);
		return;
	}
	struct ta_witness_reply r;
	ta_witness_add_checkpoint(w, hend + 4, (size_t)clen, (uint64_t)time(NULL), &r);
	respond(fd, r.status, r.content_type, r.body, r.body_len);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: witness_server STATE_DIR WITNESS_KEY NAME ORIGIN LOG_VKEY\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	struct ta_signer *key;
	struct ta_verifier *lv;
	if (ta_cosigner_load_or_create(argv[2], argv[3], &key) ||
	    ta_verifier_load(argv[5], TA_ALG_ED25519, &lv)) {
		fprintf(stderr, "witness_server: bad keys\n");
		return 1;
	}
	int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (dfd < 0) {
		perror(argv[1]);
		return 1;
	}
	const struct ta_verifier *keys[1] = { lv };
	struct ta_witness_log log = { argv[4], keys, 1 };
	struct ta_witness w = { key, &log, 1, ta_witness_dir_store(&dfd) };

	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 16) ||
	    getsockname(ls, (struct sockaddr *)&a, &al)) {
		perror("witness_server: listen");
		return 1;
	}
	printf("%u\n%s\n", ntohs(a.sin_port), ta_signer_vkey(key));
	fflush(stdout);
	for (;;) {
		int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("witness_server: accept");
			return 1;
		}
		serve(&w, c);
		close(c);
	}
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* One HTTP/1.1 POST over a plain TCP socket. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/http_client.h"

#define REPLY_MAX (1 << 20)

static int split_url(const char *url, char *host, size_t hcap, char *port, size_t pcap,
		     const char **prefix)
{
	if (strncmp(url, "http://", 7))
		return -EPROTONOSUPPORT;
	const char *h = url + 7, *end = h + strcspn(h, "/"), *colon;
	*prefix = end;
	if (*h == '[') { /* [IPv6]:port */
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return -EINVAL;
		snprintf(host, hcap, "%.*s", (int)(rb - h - 1), h + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		snprintf(host, hcap, "%.*s", (int)((colon ? colon : end) - h), h);
	}
	snprintf(port, pcap, "%.*s", colon ? (int)(end - colon - 1) : 2, colon ? colon + 1 : "80");
	return host[0] && port[0] ? 0 : -EINVAL;
}

/*
 * Waits until fd is ready for events, or the deadline (CLOCK_MONOTONIC ns)
 * passes: -ETIMEDOUT. Each wait gets what is left, so a peer that sends one
 * byte at a time cannot stretch the exchange past the deadline.
 */
static int wait_ready(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = ta_now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return -ETIMEDOUT;
		uint64_t left_ms = (deadline - now + 999999) / 1000000;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left_ms > INT_MAX ? INT_MAX : (int)left_ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* A non-blocking connect, bounded by the deadline; 0 or -errno. */
static int connect_by(int fd, const struct addrinfo *a, uint64_t deadline)
{
	if (!connect(fd, a->ai_addr, a->ai_addrlen))
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	int e = wait_ready(fd, POLLOUT, deadline), so = 0;
	socklen_t sl = sizeof(so);
	if (!e && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl))
		e = -errno;
	return e ? e : -so;
}

/* A name lookup in flight: the resolver's thread writes into it until it is done. */
struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	char host[256], port[16];
	struct lookup *next;
};

/* Lookups given up at their deadline: the resolver's threads may still write into them. */
static struct lookup *abandoned;

/*
 * The name lookup, bounded by the deadline too: a resolver that does not
 * answer would hold the exchange for its own timeouts times its tries and
 * servers. A lookup still running at the deadline is abandoned and its
 * request kept (on the abandoned list), as the resolver's thread may still
 * write into it.
 */
static int resolve_by(const char *host, const char *port, uint64_t deadline, struct addrinfo **out)
{
	struct lookup *l = calloc(1, sizeof(*l));
	struct gaicb *list[1];

	if (!l)
		return -ENOMEM;
	snprintf(l->host, sizeof(l->host), "%s", host);
	snprintf(l->port, sizeof(l->port), "%s", port);
	l->hints.ai_socktype = SOCK_STREAM;
	l->cb.ar_name = l->host;
	l->cb.ar_service = l->port;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) {
		free(l);
		return -EHOSTUNREACH;
	}
	for (;;) {
		int e = gai_error(&l->cb);
		uint64_t now = ta_now_ns(CLOCK_MONOTONIC);

		if (e != EAI_INPROGRESS) {
			*out = l->cb.ar_result;
			free(l);
			return e ? -EHOSTUNREACH : 0;
		}
		if (now >= deadline) {
			e = gai_cancel(&l->cb);
			if (e == EAI_ALLDONE) /* done meanwhile: taken, but too late */
				freeaddrinfo(l->cb.ar_result);
			if (e == EAI_ALLDONE || e == EAI_CANCELED) {
				free(l);
			} else {
				l->next = abandoned;
				abandoned = l;
			}
			return -ETIMEDOUT;
		}
		struct timespec left = { (time_t)((deadline - now) / 1000000000u),
					 (long)((deadline - now) % 1000000000u) };
		gai_suspend((const struct gaicb *const *)list, 1, &left);
	}
}

/* Connects to the first of the addresses that answers before the deadline; frees them. */
static int dial(struct addrinfo *ai, uint64_t deadline)
{
	struct addrinfo *a;
	int fd = -1, err = -ECONNREFUSED;
	for (a = ai; a && fd < 0 && err != -ETIMEDOUT; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    a->ai_protocol);
		if (fd < 0)
			continue;
		if ((err = connect_by(fd, a, deadline))) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : err;
}

static int send_all(int fd, const char *p, size_t len, uint64_t deadline)
{
	while (len) {
		int e = wait_ready(fd, POLLOUT, deadline);
		if (e)
			return e;
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The chunk at b[in..len) (NUL-terminated at len): its size in *n, its data
 * at *data. Returns the offset past it (past its size line for the last
 * chunk: trailers are not read), 0 while not all of it is read, -1 if it is
 * malformed.
 */
static long chunk_at(const char *b, size_t len, size_t in, unsigned long *n, size_t *data)
{
	char *end;
	const char *crlf = memmem(b + in, len - in, "\r\n", 2);
	if (!crlf)
		return 0;
	*n = strtoul(b + in, &end, 16);
	if (!isxdigit((unsigned char)b[in]) || end > crlf)
		return -1;
	*data = (size_t)(crlf - b) + 2;
	if (!*n)
		return (long)*data;
	/* A size is a claim: the chunk and its CRLF must lie inside what was read. */
	if (*n > len - *data || len - *data - *n < 2)
		return 0;
	return memcmp(b + *data + *n, "\r\n", 2) ? -1 : (long)(*data + *n + 2);
}

/* Decodes a chunked body in place; returns its length or -1. */
static long unchunk(char *b, size_t len)
{
	size_t in = 0, out = 0, data;
	unsigned long n;
	for (long next; (next = chunk_at(b, len, in, &n, &data)) > 0; in = (size_t)next) {
		if (!n)
			return (long)out;
		memmove(b + out, b + data, n);
		out += n;
	}
	return -1;
}

/* How the reply's body is delimited, from its header. */
struct framing {
	size_t head;	/* the header's length, its blank line included */
	long clen;	/* Content-Length, -1 without */
	int chunked;
};

/* Reads the header of buf[0..len); -EAGAIN while it is not all read. */
static int framing_of(const char *buf, size_t len, struct framing *f)
{
	const char *hend = memmem(buf, len, "\r\n\r\n", 4);
	if (!hend)
		return -EAGAIN;
	f->head = (size_t)(hend - buf) + 4;
	f->clen = -1;
	f->chunked = 0;
	for (const char *l = memmem(buf, f->head, "\r\n", 2); l && l < hend;
	     l = memmem(l + 2, (size_t)(hend - l), "\r\n", 2)) {
		const char *h = l + 2;
		if (!strncasecmp(h, "Content-Length:", 15))
			f->clen = strtol(h + 15, NULL, 10);
		else if (!strncasecmp(h, "Transfer-Encoding:", 18) &&
			 memmem(h, (size_t)(hend - h), "chunked", 7))
			f->chunked = 1;
	}
	return 0;
}

/*
 * Whether buf[0..len) holds a whole reply: its header and Content-Length
 * bytes, or its last chunk. A witness may keep the connection open after it
 * (keep-alive), so the end of the body, not the end of the connection, ends
 * the read. Without either, the reply ends at the close.
 */
static int reply_complete(const char *buf, size_t len)
{
	struct framing f;
	if (framing_of(buf, len, &f))
		return 0;
	if (f.chunked) {
		unsigned long n = 1;
		size_t in = f.head, data;
		long next = 0;
		while (n && (next = chunk_at(buf, len, in, &n, &data)) > 0)
			in = (size_t)next;
		return !n || next < 0; /* a malformed chunk: nothing more to wait for */
	}
	return f.clen >= 0 && len - f.head >= (size_t)f.clen;
}

static int parse_reply(char *buf, size_t len, struct cli_http_reply *r)
{
	struct framing f;
	int minor;
	buf[len] = 0;
	if (framing_of(buf, len, &f) ||
	    sscanf(buf, "HTTP/1.%d %3d", &minor, &r->status) != 2 || r->status < 100)
		return -EBADMSG;
	buf[f.head - 4] = 0;
	char *body = buf + f.head;
	size_t blen = len - f.head;
	for (char *l = strstr(buf, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		char *h = l + 2;
		if (!strncasecmp(h, "Content-Type:", 13))
			snprintf(r->content_type, sizeof(r->content_type), "%.*s",
				 (int)strcspn(h + 13 + strspn(h + 13, " "), "\r"), h + 13 + strspn(h + 13, " "));
	}
	if (f.chunked) {
		long n = unchunk(body, blen);
		if (n < 0)
			return -EBADMSG;
		blen = (size_t)n;
	} else if (f.clen >= 0) {
		if ((size_t)f.clen > blen)
			return -EBADMSG;
		blen = (size_t)f.clen;
	}
	r->body = malloc(blen + 1);
	if (!r->body)
		return -ENOMEM;
	memcpy(r->body, body, blen);
	r->body[blen] = 0;
	r->len = blen;
	return 0;
}

/* Reads the reply into buf (REPLY_MAX + 1 bytes) until it is whole or the peer closes. */
static int recv_reply(int fd, char *buf, size_t *got, uint64_t deadline)
{
	buf[0] = 0;
	while (!reply_complete(buf, *got)) {
		int e = wait_ready(fd, POLLIN, deadline);
		if (e)
			return e;
		ssize_t n = recv(fd, buf + *got, REPLY_MAX - *got, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		if ((*got += (size_t)n) == REPLY_MAX)
			return -EFBIG;
		buf[*got] = 0; /* chunk sizes are read with strtoul */
	}
	return 0;
}

int cli_http_post(const char *url, const char *path, const char *body, size_t len, int timeout_ms,
		  struct cli_http_reply *r, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *prefix;
	/* --timeout bounds the whole exchange, not each wait of it. */
	uint64_t deadline = ta_now_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000;
	memset(r, 0, sizeof(*r));
	int e = split_url(url, host, sizeof(host), port, sizeof(port), &prefix);
	if (e) {
		snprintf(err, errlen, "%s: not an http://host[:port][/prefix] URL", url);
		return e;
	}
	struct addrinfo *ai;
	if ((e = resolve_by(host, port, deadline, &ai))) {
		if (e == -ETIMEDOUT)
			snprintf(err, errlen, "cannot resolve %s: no answer within %g s (check "
				 "the name servers, or raise --timeout)", host, timeout_ms / 1000.0);
		else
			snprintf(err, errlen, "cannot resolve %s (check the URL's host name)", host);
		return e;
	}
	int fd = dial(ai, deadline);
	if (fd < 0) {
		snprintf(err, errlen, "cannot connect to %s port %s: %s", host, port, strerror(-fd));
		return fd;
	}
	char head[1024];
	int hl = snprintf(head, sizeof(head),
			  "POST %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ttyaudit\r\n"
			  "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
			  "Connection: close\r\n\r\n", prefix, path, host, len);
	char *buf = NULL;
	size_t got = 0;
	if (hl < 0 || (size_t)hl >= sizeof(head))
		e = -ENAMETOOLONG;
	else if (!(e = send_all(fd, head, (size_t)hl, deadline)))
		e = send_all(fd, body, len, deadline);
	if (!e && !(buf = malloc(REPLY_MAX + 1)))
		e = -ENOMEM;
	if (!e)
		e = recv_reply(fd, buf, &got, deadline);
	close(fd);
	if (!e && (e = parse_reply(buf, got, r)) == -EBADMSG)
		snprintf(err, errlen, "%s: malformed HTTP reply", url);
	else if (e == -ETIMEDOUT)
		snprintf(err, errlen, "%s: no complete reply within %g s", url, timeout_ms / 1000.0);
	else if (e)
		snprintf(err, errlen, "%s: %s", url, strerror(-e));
	free(buf);
	return e;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* One HTTP/1.1 POST over a plain TCP socket. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

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

static int dial(const char *host, const char *port, int timeout_ms)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	if (getaddrinfo(host, port, &hints, &ai))
		return -EHOSTUNREACH;
	int fd = -1, err = -ECONNREFUSED;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	for (a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		/* SO_SNDTIMEO bounds connect() too. */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, a->ai_addr, a->ai_addrlen)) {
			err = -errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd >= 0 ? fd : err;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Decodes a chunked body in place; returns its length or -1. */
static long unchunk(char *b, size_t len)
{
	size_t in = 0, out = 0;
	for (;;) {
		char *end;
		unsigned long n = strtoul(b + in, &end, 16);
		char *crlf = strstr(end, "\r\n");
		/* A size is a claim: the chunk and its CRLF must lie inside what was read. */
		if (end == b + in || !crlf || (size_t)(crlf - b) + 2 > len)
			return -1;
		in = (size_t)(crlf - b) + 2;
		if (!n)
			return (long)out;
		if (n > len - in || len - in - n < 2)
			return -1;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
	}
}

static int parse_reply(char *buf, size_t len, struct cli_http_reply *r)
{
	buf[len] = 0;
	char *hend = strstr(buf, "\r\n\r\n");
	int minor;
	if (!hend || sscanf(buf, "HTTP/1.%d %3d", &minor, &r->status) != 2 || r->status < 100)
		return -EBADMSG;
	*hend = 0;
	char *body = hend + 4;
	size_t blen = len - (size_t)(body - buf);
	long clen = -1;
	int chunked = 0;
	for (char *l = strstr(buf, "\r\n"); l && l < hend; l = strstr(l + 2, "\r\n")) {
		char *h = l + 2;
		if (!strncasecmp(h, "Content-Length:", 15))
			clen = strtol(h + 15, NULL, 10);
		else if (!strncasecmp(h, "Transfer-Encoding:", 18) && strstr(h, "chunked"))
			chunked = 1;
		else if (!strncasecmp(h, "Content-Type:", 13))
			snprintf(r->content_type, sizeof(r->content_type), "%.*s",
				 (int)strcspn(h + 13 + strspn(h + 13, " "), "\r"), h + 13 + strspn(h + 13, " "));
	}
	if (chunked) {
		long n = unchunk(body, blen);
		if (n < 0)
			return -EBADMSG;
		blen = (size_t)n;
	} else if (clen >= 0) {
		if ((size_t)clen > blen)
			return -EBADMSG;
		blen = (size_t)clen;
	}
	r->body = malloc(blen + 1);
	if (!r->body)
		return -ENOMEM;
	memcpy(r->body, body, blen);
	r->body[blen] = 0;
	r->len = blen;
	return 0;
}

int cli_http_post(const char *url, const char *path, const char *body, size_t len, int timeout_ms,
		  struct cli_http_reply *r, char *err, size_t errlen)
{
	char host[256], port[16];
	const char *prefix;
	memset(r, 0, sizeof(*r));
	int e = split_url(url, host, sizeof(host), port, sizeof(port), &prefix);
	if (e) {
		snprintf(err, errlen, "%s: not an http://host[:port][/prefix] URL", url);
		return e;
	}
	int fd = dial(host, port, timeout_ms);
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
	else if (!(e = send_all(fd, head, (size_t)hl)))
		e = send_all(fd, body, len);
	if (!e && !(buf = malloc(REPLY_MAX + 1)))
		e = -ENOMEM;
	while (!e) {
		ssize_t n = recv(fd, buf + got, REPLY_MAX - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = errno == EAGAIN ? -ETIMEDOUT : -errno;
		else if (n == 0)
			break;
		else if ((got += (size_t)n) == REPLY_MAX)
			e = -EFBIG;
	}
	close(fd);
	if (!e && (e = parse_reply(buf, got, r)) == -EBADMSG)
		snprintf(err, errlen, "%s: malformed HTTP reply", url);
	else if (e)
		snprintf(err, errlen, "%s: %s", url, strerror(-e));
	free(buf);
	return e;
}

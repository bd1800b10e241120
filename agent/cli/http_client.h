/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal HTTP/1.1 client for the witness protocol: one POST per
 * connection, plain TCP (http:// only; put a TLS proxy in front for https).
 */
#ifndef TA_CLI_HTTP_CLIENT_H
#define TA_CLI_HTTP_CLIENT_H

#include <stddef.h>

struct cli_http_reply {
	int status;
	char content_type[64];
	char *body;            /* malloc'd, NUL-terminated */
	size_t len;
};

/*
 * POSTs body to url (http://host[:port][/prefix]) followed by path. Returns 0
 * with the reply (free r->body), or -errno with err explaining (bad URL,
 * unreachable, timeout after timeout_ms, malformed reply).
 */
int cli_http_post(const char *url, const char *path, const char *body, size_t len, int timeout_ms,
		  struct cli_http_reply *r, char *err, size_t errlen);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli/query_footprint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/json_read.h"
#include "logfmt/footprint.h"

int ta_qfp_active(const struct ta_qfp *f)
{
	return f->file || f->connect || f->privileged || f->alerts;
}

int ta_qfp_set_connect(struct ta_qfp *f, const char *arg, char *err, size_t err_len)
{
	char host[256];
	const char *colon;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *a;
	size_t hl;
	int rc;

	f->port = 0;
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');

		if (!close || (close[1] && close[1] != ':')) {
			snprintf(err, err_len, "'%s': an IPv6 address in brackets, then :PORT", arg);
			return -EINVAL;
		}
		hl = (size_t)(close - arg - 1);
		colon = close[1] ? close + 1 : NULL;
		arg++;
	} else {
		colon = strchr(arg, ':');
		/* More than one colon and no brackets: an IPv6 address without a port. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		hl = colon ? (size_t)(colon - arg) : strlen(arg);
	}
	if (!hl || hl >= sizeof(host)) {
		snprintf(err, err_len, "no host in '%s'", arg);
		return -EINVAL;
	}
	memcpy(host, arg, hl);
	host[hl] = '\0';
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);

		if (!colon[1] || *end || p < 1 || p > 65535) {
			snprintf(err, err_len, "'%s' is not a port (1-65535)", colon + 1);
			return -EINVAL;
		}
		f->port = (uint32_t)p;
	}
	/* The log holds numeric addresses: a name stands for the addresses it has now. */
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc) {
		snprintf(err, err_len, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -EINVAL;
	}
	f->naddrs = 0;
	for (a = res; a && f->naddrs < TA_QFP_ADDRS; a = a->ai_next) {
		const void *src = a->ai_family == AF_INET ?
			(const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr :
			(const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		char *dst = f->addrs[f->naddrs];
		int dup = 0;

		if (!inet_ntop(a->ai_family, src, dst, sizeof(f->addrs[0])))
			continue;
		for (int i = 0; i < f->naddrs; i++)
			dup |= !strcmp(f->addrs[i], dst);
		f->naddrs += !dup;
	}
	freeaddrinfo(res);
	f->connect = 1;
	return 0;
}

/*
 * A path as recorded against --file: the same text; or --file is a bare
 * name and the path ends in it; or the path was relative (to the process's
 * working directory) and --file ends in "/" and that path.
 */
static int path_match(const char *want, const char *have)
{
	size_t wl = strlen(want), hl = strlen(have);

	if (!hl)
		return 0;
	if (!strcmp(want, have))
		return 1;
	if (!strchr(want, '/'))
		return hl > wl && have[hl - wl - 1] == '/' && !strcmp(have + hl - wl, want);
	return have[0] != '/' && wl > hl && want[wl - hl - 1] == '/' && !strcmp(want + wl - hl, have);
}

struct scan {
	const struct ta_qfp *f;
	int file, connect, privileged, alerts;
};

static int done(const struct scan *s)
{
	return (!s->f->file || s->file) && (!s->f->connect || s->connect) &&
	       (!s->f->privileged || s->privileged) && (!s->f->alerts || s->alerts);
}

static int scan_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		      const uint8_t *d)
{
	struct scan *s = ctx;
	struct ta_jobj o;
	char op[32], text[4096];
	uint16_t code;
	uint64_t port;

	(void)tr;
	if (e->kind == TA_TEV_ALERT) {
		s->alerts = 1;
		return done(s);
	}
	/*
	 * Compared as C strings: whole values only (ta_jobj_cstr), so that a path
	 * "/etc/shadow\u0000x" is not /etc/shadow, nor an op "open\u0000x" open.
	 */
	if (e->kind != TA_TEV_FOOTPRINT || !e->len || ta_jobj_parse(&o, (const char *)d, e->len) ||
	    ta_jobj_cstr(&o, "op", op, sizeof(op)) <= 0)
		return 0;
	code = ta_fp_op_parse(op);
	if (ta_fp_op_is_privilege(code)) {
		s->privileged = 1;
	} else if (ta_fp_op_is_network(code)) {
		if (s->f->connect && ta_jobj_cstr(&o, "addr", text, sizeof(text)) > 0 &&
		    (!s->f->port || (!ta_jobj_u64(&o, "port", &port) && port == s->f->port)))
			for (int i = 0; i < s->f->naddrs; i++)
				s->connect |= !strcmp(s->f->addrs[i], text);
	} else if (s->f->file) {
		if (ta_jobj_cstr(&o, "path", text, sizeof(text)) > 0)
			s->file |= path_match(s->f->file, text);
		if (ta_jobj_cstr(&o, "path2", text, sizeof(text)) > 0)
			s->file |= path_match(s->f->file, text);
		/*
		 * A relative name joined to its directory is matched above as the
		 * absolute path; as the process gave it, only exactly (its own
		 * directory is no longer implied).
		 */
		if (ta_jobj_cstr(&o, "path_given", text, sizeof(text)) > 0)
			s->file |= !strcmp(s->f->file, text);
		if (ta_jobj_cstr(&o, "path2_given", text, sizeof(text)) > 0)
			s->file |= !strcmp(s->f->file, text);
	}
	return done(s);
}

int ta_qfp_match(const struct ta_qfp *f, const struct ta_transcript *tr)
{
	struct scan s = { .f = f };

	ta_transcript_each(tr, scan_event, &s);
	return done(&s);
}

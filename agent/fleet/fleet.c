// SPDX-License-Identifier: GPL-2.0-or-later
/* Subjects and NATS connections shared by the shipper and the collector. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "fleet/fleet.h"
#include "store/merkle.h"

int ta_fleet_origin_hash(const char *origin, char out[TA_FLEET_HASH_HEX + 1])
{
	struct ta_hasher *h;
	uint8_t d[TA_HASH_LEN];
	int e = ta_hasher_new(&h);
	if (e)
		return e;
	ta_sha256(h, origin, strlen(origin), d);
	ta_hasher_free(h);
	for (int i = 0; i < TA_FLEET_HASH_HEX / 2; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	return 0;
}

static const char *const kinds[] = { "records", "checkpoints", "ack", "alerts" };

int ta_fleet_subject(const char *origin, enum ta_fleet_kind kind, char out[TA_FLEET_SUBJECT_MAX])
{
	char h[TA_FLEET_HASH_HEX + 1];
	int e = ta_fleet_origin_hash(origin, h);
	if (e)
		return e;
	snprintf(out, TA_FLEET_SUBJECT_MAX, TA_FLEET_PREFIX ".%s.%s", h, kinds[kind]);
	return 0;
}

int ta_fleet_subject_parse(const char *subject, char h[TA_FLEET_HASH_HEX + 1],
			   enum ta_fleet_kind *kind)
{
	size_t pl = strlen(TA_FLEET_PREFIX);
	if (strncmp(subject, TA_FLEET_PREFIX ".", pl + 1))
		return -EINVAL;
	const char *p = subject + pl + 1;
	for (int i = 0; i < TA_FLEET_HASH_HEX; i++)
		if (!strchr("0123456789abcdef", p[i]) || !p[i])
			return -EINVAL;
	if (p[TA_FLEET_HASH_HEX] != '.')
		return -EINVAL;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(p + TA_FLEET_HASH_HEX + 1, kinds[k])) {
			memcpy(h, p, TA_FLEET_HASH_HEX);
			h[TA_FLEET_HASH_HEX] = '\0';
			*kind = (enum ta_fleet_kind)k;
			return 0;
		}
	return -EINVAL;
}

int ta_fleet_inbox_prefix(const char *origin, char out[TA_FLEET_SUBJECT_MAX])
{
	char h[TA_FLEET_HASH_HEX + 1];
	int e = ta_fleet_origin_hash(origin, h);
	if (e)
		return e;
	snprintf(out, TA_FLEET_SUBJECT_MAX, TA_FLEET_INBOX ".%s", h);
	return 0;
}

int ta_fleet_reply_is_hosts(const char *reply, const char h[TA_FLEET_HASH_HEX + 1])
{
	size_t pl = strlen(TA_FLEET_INBOX), n = reply ? strlen(reply) : 0;
	if (n <= pl + TA_FLEET_HASH_HEX + 2 || n > 255 || strncmp(reply, TA_FLEET_INBOX ".", pl + 1) ||
	    memcmp(reply + pl + 1, h, TA_FLEET_HASH_HEX) || reply[pl + 1 + TA_FLEET_HASH_HEX] != '.')
		return 0;
	/* Tokens of letters, digits, '-' and '_': no wildcard, no empty token. */
	const char *t = reply + pl + TA_FLEET_HASH_HEX + 2;
	for (const char *c = t; *c; c++)
		if (*c == '.' ? c == t || c[-1] == '.' || !c[1]
			      : !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", *c))
			return 0;
	return 1;
}

/* Appends what fits of n bytes of p to out (cap bytes with the NUL); *o is its length. */
static void put_some(char *out, size_t cap, size_t *o, const char *p, size_t n)
{
	size_t room = cap > *o + 1 ? cap - *o - 1 : 0;

	if (n > room)
		n = room;
	memcpy(out + *o, p, n);
	*o += n;
}

size_t ta_fleet_url_redact(const char *urls, char *out, size_t cap)
{
	size_t hidden = 0, o = 0;
	const char *u = urls;

	while (u && *u) {
		size_t n = strcspn(u, ",");
		const char *host = strstr(u, "://");
		host = host && host < u + n ? host + 3 : u;
		/* The authority ends at the path, query, fragment or the next URL; userinfo at '@'. */
		const char *at = memchr(host, '@', strcspn(host, ",/?#"));
		hidden += at != NULL;
		if (cap) {
			put_some(out, cap, &o, u, at ? (size_t)(host - u) : n);
			if (at) {
				put_some(out, cap, &o, "***", 3);
				put_some(out, cap, &o, at, n - (size_t)(at - u));
			}
			if (u[n] == ',')
				put_some(out, cap, &o, ",", 1);
		}
		u += n + (u[n] == ',');
	}
	if (cap)
		out[o] = '\0';
	return hidden;
}

int ta_fleet_url_has_secret(const char *urls)
{
	return ta_fleet_url_redact(urls, NULL, 0) > 0;
}

natsStatus ta_fleet_connect(const struct ta_fleet_nats_opts *o, natsConnection **nc,
			    char *err, size_t errlen)
{
	natsOptions *no = NULL;
	/* A list is split here: the client's own splitting of "a,b" did not connect. */
	char *urls = strdup(o->url), *save = NULL;
	const char *servers[16];
	int n = 0;
	for (char *t = urls ? strtok_r(urls, ",", &save) : NULL; t && n < 16; t = strtok_r(NULL, ",", &save))
		servers[n++] = t;
	natsStatus s = n ? natsOptions_Create(&no) : NATS_INVALID_ARG;
	if (s == NATS_OK)
		s = natsOptions_SetServers(no, servers, n);
	if (s == NATS_OK && o->name)
		s = natsOptions_SetName(no, o->name);
	if (s == NATS_OK && o->inbox_prefix)
		s = natsOptions_SetCustomInboxPrefix(no, o->inbox_prefix);
	if (s == NATS_OK && o->user)
		s = natsOptions_SetUserInfo(no, o->user, o->password ? o->password : "");
	if (s == NATS_OK && o->ca_file) {
		s = natsOptions_SetSecure(no, true);
		if (s == NATS_OK)
			s = natsOptions_LoadCATrustedCertificates(no, o->ca_file);
	}
	if (s == NATS_OK && o->cert_file)
		s = natsOptions_LoadCertificatesChain(no, o->cert_file, o->key_file);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(no, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(no, 250);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(no, true, NULL, NULL);
	if (s == NATS_OK)
		s = natsConnection_Connect(nc, no);
	if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
		char shown[512]; /* never the password of a URL in the journal */

		ta_fleet_url_redact(o->url, shown, sizeof(shown));
		snprintf(err, errlen, "%s: %s", shown, ta_fleet_nats_why(s));
	}
	natsOptions_Destroy(no);
	free(urls);
	return s == NATS_NOT_YET_CONNECTED ? NATS_OK : s;
}

int ta_fleet_nats_option(struct ta_fleet_nats_opts *o, int c, const char *arg, char *err,
			 size_t errlen)
{
	switch (c) {
	case TA_FLEET_OPT_NATS: o->url = arg; return 1;
	case TA_FLEET_OPT_USER: o->user = arg; return 1;
	case TA_FLEET_OPT_CA: o->ca_file = arg; return 1;
	case TA_FLEET_OPT_CERT: o->cert_file = arg; return 1;
	case TA_FLEET_OPT_CERTKEY: o->key_file = arg; return 1;
	case TA_FLEET_OPT_PWFILE: {
		size_t len;
		char *buf;
		int e = ta_read_file_at(AT_FDCWD, arg, &buf, &len);
		if (e) {
			snprintf(err, errlen, "%s: %s", arg, strerror(-e));
			return e;
		}
		buf[strcspn(buf, "\r\n")] = '\0'; /* the first line */
		free(o->password);
		o->password = buf;
		return 1;
	}
	default: return 0;
	}
}

void ta_fleet_nats_opts_free(struct ta_fleet_nats_opts *o)
{
	free(o->password);
	o->password = NULL;
}

const char *ta_fleet_nats_why(natsStatus s)
{
	natsStatus last = NATS_OK;
	const char *text = nats_GetLastError(&last);

	/* The thread's last error may be an older one: only this status's counts. */
	return text && *text && last == s ? text : natsStatus_GetText(s);
}

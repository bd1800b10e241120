/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the shipper and the collector agree on (docs/fleet.md): the JetStream
 * stream and subjects, message ids and headers, and how both connect to NATS.
 *
 * One subject per host: ttyaudit.<h>.records and ttyaudit.<h>.checkpoints,
 * where <h> is the first 16 hex digits of SHA-256(origin). A hash and not the
 * origin itself because origins may hold '.', '*', '>' and spaces, which NATS
 * subjects cannot. The collector answers ttyaudit.<h>.ack requests with the
 * latest checkpoint of that host it committed and cosigned. The shipper
 * publishes the host's alerts on ttyaudit.<h>.alerts as it reads them.
 */
#ifndef TA_FLEET_H
#define TA_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#define TA_FLEET_STREAM "TTYAUDIT"
#define TA_FLEET_PREFIX "ttyaudit"
#define TA_FLEET_HASH_HEX 16
#define TA_FLEET_SUBJECT_MAX 64
/* Headers: the record index or checkpoint size, for messages and evidence. */
#define TA_FLEET_HDR_INDEX "Ttyaudit-Index"
#define TA_FLEET_HDR_OLD "Ttyaudit-Old"

/*
 * ALERTS: the host's alert records as they are read from its log, on core
 * NATS (not in the stream: the records subject carries them durably).
 */
enum ta_fleet_kind { TA_FLEET_RECORDS, TA_FLEET_CHECKPOINTS, TA_FLEET_ACK, TA_FLEET_ALERTS };
/* Header of an alert message: the host's origin (the subject has only its hash). */
#define TA_FLEET_HDR_ORIGIN "Ttyaudit-Origin"

/* out: 16 hex digits and a NUL. */
int ta_fleet_origin_hash(const char *origin, char out[TA_FLEET_HASH_HEX + 1]);
/* "ttyaudit.<h>.records" etc. */
int ta_fleet_subject(const char *origin, enum ta_fleet_kind kind, char out[TA_FLEET_SUBJECT_MAX]);
/* The <h> of a ttyaudit.<h>.<kind> subject, and its kind; -EINVAL if not one. */
int ta_fleet_subject_parse(const char *subject, char h[TA_FLEET_HASH_HEX + 1],
			   enum ta_fleet_kind *kind);

/*
 * A host's reply subjects are _INBOX.<h>.<token>: its NATS user may then
 * subscribe to its own replies only, and the collector answers no other
 * address (a request names its reply subject, and the collector publishes
 * there with its own rights: another host's subjects must not be one).
 */
#define TA_FLEET_INBOX "_INBOX"
/* "_INBOX.<h>", the shipper's inbox prefix. */
int ta_fleet_inbox_prefix(const char *origin, char out[TA_FLEET_SUBJECT_MAX]);
/* 1 if reply is _INBOX.<h>.<tokens> of plain subject characters, else 0. */
int ta_fleet_reply_is_hosts(const char *reply, const char h[TA_FLEET_HASH_HEX + 1]);

struct ta_fleet_nats_opts {
	const char *url;        /* comma-separated server URLs */
	const char *user;
	char *password;
	const char *ca_file;    /* TLS: trust this CA (the URL may say tls://) */
	const char *cert_file, *key_file; /* TLS client certificate, optional */
	const char *name;       /* connection name the servers show */
	const char *inbox_prefix; /* reply subjects (ta_fleet_inbox_prefix), or NULL: _INBOX */
};
/* The NATS options both programs take (getopt_long values, table rows, usage lines). */
enum { TA_FLEET_OPT_NATS = 0x200, TA_FLEET_OPT_USER, TA_FLEET_OPT_PWFILE, TA_FLEET_OPT_CA,
       TA_FLEET_OPT_CERT, TA_FLEET_OPT_CERTKEY };
#define TA_FLEET_NATS_LONGOPTS \
	{ "nats", required_argument, NULL, TA_FLEET_OPT_NATS }, \
	{ "user", required_argument, NULL, TA_FLEET_OPT_USER }, \
	{ "password-file", required_argument, NULL, TA_FLEET_OPT_PWFILE }, \
	{ "ca", required_argument, NULL, TA_FLEET_OPT_CA }, \
	{ "cert", required_argument, NULL, TA_FLEET_OPT_CERT }, \
	{ "cert-key", required_argument, NULL, TA_FLEET_OPT_CERTKEY }
/*
 * 1 if a URL of the --nats list carries credentials (nats://user:password@host,
 * or a token, nats://token@host), else 0: any user of the host reads them in
 * the process list; --user and --password-file keep them out of it.
 */
int ta_fleet_url_has_secret(const char *urls);
/*
 * The --nats list as it may be shown (messages, the journal): each URL's
 * userinfo as "***"; returns how many were hidden. cap 0: only counts.
 */
size_t ta_fleet_url_redact(const char *urls, char *out, size_t cap);
#define TA_FLEET_NATS_USAGE \
	"  --nats URL[,URL]     NATS servers (nats:// or tls://)\n" \
	"  --user USER --password-file FILE   NATS credentials\n" \
	"  --ca FILE [--cert FILE --cert-key FILE]  TLS trust and client certificate\n"
/*
 * Takes option c if it is one of those: 1, or 0 if not; -errno if the password
 * file cannot be read (err says why). The password is malloc'd into o.
 */
int ta_fleet_nats_option(struct ta_fleet_nats_opts *o, int c, const char *arg, char *err,
			 size_t errlen);
void ta_fleet_nats_opts_free(struct ta_fleet_nats_opts *o);

/*
 * Connects with endless reconnects (the log is the spool: a host keeps
 * working while NATS is away). On failure returns a NATS status and err says why.
 */
natsStatus ta_fleet_connect(const struct ta_fleet_nats_opts *o, natsConnection **nc,
			    char *err, size_t errlen);

/*
 * Why a NATS call failed with s: the library's own text for this failure (a
 * JetStream status such as "409 Exceeded MaxWaiting", a TLS error), or the
 * status's name when the library left none for it.
 */
const char *ta_fleet_nats_why(natsStatus s);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit witness-submit: sends the log's latest checkpoint to witnesses
 * (c2sp.org/tlog-witness add-checkpoint) and keeps their cosignatures;
 * ttyaudit checkpoint: prints the latest checkpoint, plain or cosigned.
 * Run unprivileged (the recorder has no network access): it reads the log,
 * writes only its own state directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "cli/cli_util.h"
#include "cli/cli_witness.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "store/ckptset.h"
#include "store/cosig.h"
#include "store/store.h"
#include "store/witness.h"
#include "view/neutralise.h"

#define MAX_WITNESSES 32
#define QUOTE_MAX 120 /* bytes of a refusal's text in its alarm */

static void submit_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit witness-submit --witness URL --witness-key VKEY\n"
		"                               [--witness URL --witness-key VKEY]...\n"
		"                               [--log-dir DIR] [--key VKEY] [--state-dir DIR]\n"
		"                               [--timeout SECS] [-q]\n"
		"\n"
		"Sends the log's latest checkpoint with a consistency proof to each witness\n"
		"(c2sp.org/tlog-witness add-checkpoint at URL/add-checkpoint, http:// only)\n"
		"and keeps the cosignatures in the state directory. A witness that holds\n"
		"another size (409) gets the proof from its size. A refusal (400, 403, 404,\n"
		"422) or a witness ahead of the log is an alarm: one line on stderr and in\n"
		"STATE-DIR/alarms.log, exit %d. A witness that cannot be reached or does not\n"
		"reply in full within --timeout is exit 1; the others are still asked. Run it\n"
		"from a timer as an unprivileged user that can read the log.\n"
		"\n"
		"  --witness URL       the witness's submission prefix (repeatable)\n"
		"  --witness-key VKEY  its cosignature/v1 key, or a file holding it (one per\n"
		"                      --witness, in order)\n"
		"  --log-dir DIR       log directory (default %s)\n"
		"  --key VKEY          the log's verifier key (default: the directory's)\n"
		"  --state-dir DIR     where cosignatures are kept (default %s)\n"
		"  --timeout SECS      per witness: connecting, sending and the whole reply\n"
		"                      (default 10)\n"
		"  -q, --quiet         print nothing when every witness cosigned\n",
		TA_EXIT_VERIFY, TA_STORE_DEFAULT_DIR, TA_WITNESS_DEFAULT_DIR);
}

struct submit {
	const char *dir, *state;
	int sfd;
	const struct ta_ckpt_entry *latest;
	int timeout_ms, quiet;
};

static void alarm_line(struct submit *s, const char *url, int status, const char *what)
{
	char when[40], line[1024];
	cli_fmt_rfc3339(cli_now_ns(), when, sizeof(when));
	int n = snprintf(line, sizeof(line), "%s %s %d %s %" PRIu64 ": %s\n", when,
			 s->latest->cp.origin, status, url, s->latest->cp.size, what);
	if (n < 0 || n >= (int)sizeof(line)) { /* cut short, it still ends its line */
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	ta_err("witness-submit", "ALARM: witness %s: %d %s", url, status, what);
	int fd = openat(s->sfd, "alarms.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) < 0 || fsync(fd))
		ta_err("witness-submit", "cannot record the alarm in %s/alarms.log: %s", s->state,
		       strerror(errno));
	if (fd >= 0)
		close(fd);
}

static uint64_t read_hint(int sfd, const struct ta_verifier *w)
{
	char name[64], *buf;
	size_t len;
	uint64_t v = 0;
	snprintf(name, sizeof(name), "witness-%08x.size", ta_verifier_keyid(w));
	if (!ta_read_file_at(sfd, name, &buf, &len)) {
		v = strtoull(buf, NULL, 10);
		free(buf);
	}
	return v;
}

static void write_hint(int sfd, const struct ta_verifier *w, uint64_t size)
{
	char name[64], tmp[80], text[32];
	snprintf(name, sizeof(name), "witness-%08x.size", ta_verifier_keyid(w));
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int n = snprintf(text, sizeof(text), "%" PRIu64 "\n", size);
	int fd = openat(sfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) || renameat(sfd, tmp, sfd, name))
		ta_warn("witness-submit", "cannot record the witness's size: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* "old N", the proof from N to the checkpoint, an empty line, the checkpoint. */
static int build_request(struct submit *s, uint64_t old, char **out, size_t *len)
{
	char err[512];
	int e = ta_witness_request_build(s->dir, NULL, &s->latest->cp, s->latest->note,
					 s->latest->note_len, old, out, len, err, sizeof(err));
	if (e)
		ta_err("witness-submit", "cannot prove consistency from %" PRIu64 ": %s", old, err);
	return e;
}

/* Keeps each valid cosignature line of the reply; returns how many. */
static int keep_cosignatures(struct submit *s, const struct ta_verifier *w, const char *body,
			     size_t len)
{
	const struct ta_ckpt_entry *e = s->latest;
	int kept = 0;
	for (const char *p = body, *end = body + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		char *both = malloc(e->note_len + ll + 1);
		size_t valid = 0, bad;
		if (both && nl) {
			memcpy(both, e->note, e->note_len);
			memcpy(both + e->note_len, p, ll);
			if (!ta_cosig_count(&w, 1, both, e->note_len + ll, &valid, &bad) && valid &&
			    !ta_cosig_store_add(s->sfd, e->cp.size, e->note, e->note_len, p, ll))
				kept++;
		}
		free(both);
		p += ll;
	}
	return kept;
}

/*
 * The first line of a refusal's text (QUOTE_MAX bytes at most), escaped
 * (view/neutralise.h) before it goes anywhere: the witness chose it, and
 * alarms.log is read with cat or tail -f, where a CR or an escape sequence
 * would act on the operator's terminal or redraw the alarm line itself.
 */
static void quote_refusal(const struct cli_http_reply *r, char *out, size_t cap)
{
	const char *nl = memchr(r->body, '\n', r->len);
	size_t n = nl ? (size_t)(nl - r->body) : r->len;
	struct ta_buf b;
	if (n && r->body[n - 1] == '\r') /* a CRLF line end */
		n--;
	ta_buf_init(&b);
	ta_neutralise(r->body, n < QUOTE_MAX ? n : QUOTE_MAX, TA_NEUT_LINE, &b);
	if (b.len && !b.oom)
		snprintf(out, cap, " (%.*s)", (int)b.len, (const char *)b.p);
	else
		out[0] = 0;
	ta_buf_free(&b);
}

/* One witness: TA_EXIT_OK, TA_EXIT_VERIFY (an alarm) or TA_EXIT_FAILURE. */
static int submit_one(struct submit *s, const char *url, const struct ta_verifier *w)
{
	uint64_t old = read_hint(s->sfd, w);
	for (int attempt = 0; attempt < 3; attempt++) {
		if (old > s->latest->cp.size) {
			char what[256];
			snprintf(what, sizeof(what), "the witness cosigned size %" PRIu64 ", beyond the "
				 "log's latest checkpoint: the log was rolled back or forked", old);
			alarm_line(s, url, 409, what);
			return TA_EXIT_VERIFY;
		}
		char *req, err[512];
		size_t len;
		if (build_request(s, old, &req, &len))
			return TA_EXIT_FAILURE;
		struct cli_http_reply r;
		int e = cli_http_post(url, "/add-checkpoint", req, len, s->timeout_ms, &r, err, sizeof(err));
		free(req);
		if (e) {
			ta_err("witness-submit", "%s", err);
			return TA_EXIT_FAILURE;
		}
		int rc = TA_EXIT_OK;
		if (r.status == 200) {
			if (keep_cosignatures(s, w, r.body, r.len) > 0) {
				write_hint(s->sfd, w, s->latest->cp.size);
				if (!s->quiet)
					printf("%s: cosigned the checkpoint of %" PRIu64 " records\n", url,
					       s->latest->cp.size);
			} else {
				alarm_line(s, url, 200, "the reply holds no valid cosignature by the "
					   "witness key");
				rc = TA_EXIT_VERIFY;
			}
		} else if (r.status == 409 && !strncmp(r.content_type, "text/x.tlog.size", 16)) {
			char *end;
			errno = 0;
			uint64_t have = strtoull(r.body, &end, 10);
			if (errno || end == r.body || *end != '\n' || have == old) {
				alarm_line(s, url, 409, "conflict without a usable size (a fork?)");
				rc = TA_EXIT_VERIFY;
			} else {
				old = have; /* resend from the witness's size */
				free(r.body);
				continue;
			}
		} else if (r.status == 400 || r.status == 403 || r.status == 404 || r.status == 409 ||
			   r.status == 422) {
			/* an escaped byte is at most 4 characters (\xNN) */
			char quote[4 * QUOTE_MAX + 4], what[64 + sizeof(quote)];
			quote_refusal(&r, quote, sizeof(quote));
			snprintf(what, sizeof(what), "%s%s", r.status == 403 ? "the witness does not "
				 "trust the log's key" : r.status == 404 ? "the witness does not know the "
				 "origin" : r.status == 422 ? "the witness refused the consistency proof" :
				 "the witness refused the request", quote);
			alarm_line(s, url, r.status, what);
			rc = TA_EXIT_VERIFY;
		} else {
			ta_err("witness-submit", "%s: HTTP status %d", url, r.status);
			rc = TA_EXIT_FAILURE;
		}
		free(r.body);
		return rc;
	}
	ta_err("witness-submit", "%s: the witness's size kept changing", url);
	return TA_EXIT_FAILURE;
}

static int open_state(const char *state, int create)
{
	if (create && mkdir(state, 0755) && errno != EEXIST)
		return -errno;
	int fd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int ta_cmd_witness_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "witness", required_argument, NULL, 'w' },
		{ "witness-key", required_argument, NULL, 'W' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *keyarg = NULL, *urls[MAX_WITNESSES], *wkeys[MAX_WITNESSES];
	size_t nu = 0, nk = 0;
	struct submit s = { .dir = TA_STORE_DEFAULT_DIR, .state = TA_WITNESS_DEFAULT_DIR,
			    .sfd = -1, .timeout_ms = 10000 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:k:w:W:s:t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': s.dir = optarg; break;
		case 'k': keyarg = optarg; break;
		case 'w':
			if (nu == MAX_WITNESSES)
				goto usage;
			urls[nu++] = optarg;
			break;
		case 'W':
			if (nk == MAX_WITNESSES)
				goto usage;
			wkeys[nk++] = optarg;
			break;
		case 's': s.state = optarg; break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 3600)
				goto usage;
			s.timeout_ms = (int)v * 1000;
			break;
		}
		case 'q': s.quiet = 1; break;
		case 'h': submit_usage(stdout); return TA_EXIT_OK;
		default: goto usage;
		}
	}
	if (optind != argc || !nu || nu != nk)
		goto usage;
	struct ta_verifier *key = NULL, *w[MAX_WITNESSES] = { 0 };
	int rc = cli_log_open(s.dir);
	if (!rc)
		rc = cli_log_key("witness-submit", keyarg, s.dir, &key);
	if (rc)
		return rc;
	if ((rc = cli_witness_keys("witness-submit", wkeys, nk, w))) {
		ta_verifier_free(key);
		return rc;
	}
	struct ta_ckpt_set set = { 0 };
	char msg[400];
	int dfd = open(s.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
	if (dfd < 0) {
		rc = cli_log_error(s.dir, -errno);
		goto out;
	}
	e = ta_ckpt_set_load(dfd, key, &set, msg, sizeof(msg));
	close(dfd);
	if (e) {
		ta_err("witness-submit", "%s", e == -EBADMSG ? msg : strerror(-e));
		rc = e == -EBADMSG ? TA_EXIT_VERIFY : cli_log_error(s.dir, e);
		goto out;
	}
	ta_ckpt_set_sort(&set);
	if (!set.n) {
		ta_err("witness-submit", "%s: the log has no checkpoint yet", s.dir);
		rc = TA_EXIT_NOTFOUND;
		goto out;
	}
	s.latest = &set.v[set.n - 1];
	if ((s.sfd = open_state(s.state, 1)) < 0) {
		ta_err("witness-submit", "cannot use the state directory %s: %s", s.state,
		       strerror(-s.sfd));
		rc = TA_EXIT_STORAGE;
		goto out;
	}
	for (size_t i = 0; i < nu; i++) {
		int r = submit_one(&s, urls[i], w[i]);
		/* An alarm outranks a failure: it is what the operator must see. */
		if (r == TA_EXIT_VERIFY || (r && rc != TA_EXIT_VERIFY))
			rc = r;
	}
	close(s.sfd);
out:
	ta_ckpt_set_free(&set);
	ta_verifier_free(key);
	cli_keys_free(w, nk);
	return rc;
usage:
	submit_usage(stderr);
	return TA_EXIT_USAGE;
}

static void ckpt_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit checkpoint [--log-dir DIR] [--key VKEY] [--cosigned]\n"
		"                           [--state-dir DIR]\n"
		"\n"
		"Prints the log's latest signed checkpoint note, to keep elsewhere and pass to\n"
		"'ttyaudit verify --checkpoint' later. With --cosigned: the latest checkpoint\n"
		"that witnesses cosigned ('ttyaudit witness-submit'), cosignatures included.\n"
		"Exits %d if there is none.\n"
		"\n"
		"  --log-dir DIR    log directory (default %s)\n"
		"  --key VKEY       the log's verifier key (default: the directory's)\n"
		"  --state-dir DIR  witness-submit's directory (default %s)\n",
		TA_EXIT_NOTFOUND, TA_STORE_DEFAULT_DIR, TA_WITNESS_DEFAULT_DIR);
}

int ta_cmd_checkpoint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "cosigned", no_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *keyarg = NULL, *state = TA_WITNESS_DEFAULT_DIR;
	int cosigned = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:k:cs:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'k': keyarg = optarg; break;
		case 'c': cosigned = 1; break;
		case 's': state = optarg; break;
		case 'h': ckpt_usage(stdout); return TA_EXIT_OK;
		default: ckpt_usage(stderr); return TA_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		ckpt_usage(stderr);
		return TA_EXIT_USAGE;
	}
	struct ta_verifier *key = NULL;
	/* --cosigned --key reads the witness state alone. */
	int rc = cosigned && keyarg ? TA_EXIT_OK : cli_log_open(dir);
	if (!rc)
		rc = cli_log_key("checkpoint", keyarg, dir, &key);
	if (rc)
		return rc;
	struct ta_ckpt_set set = { 0 };
	char msg[400];
	int e, fd = open(cosigned ? state : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		ta_err("checkpoint", "%s: %s", cosigned ? state : dir, strerror(-e));
		ta_verifier_free(key);
		return e == -EACCES ? TA_EXIT_NOPERM : e == -ENOENT && cosigned ? TA_EXIT_NOTFOUND :
		       TA_EXIT_STORAGE;
	}
	if (!cosigned) {
		e = ta_ckpt_set_load(fd, key, &set, msg, sizeof(msg));
	} else {
		/* The newest cosigned note that is this log's. */
		uint64_t *sizes;
		size_t n;
		e = ta_cosig_store_list(fd, &sizes, &n);
		for (size_t i = n; !e && i-- > 0 && !set.n;) {
			char name[64];
			snprintf(name, sizeof(name), TA_COSIGNED_FMT, (unsigned long long)sizes[i]);
			e = ta_ckpt_set_add_file(&set, key, name, fd, msg, sizeof(msg));
		}
		free(sizes);
	}
	close(fd);
	if (e) {
		ta_err("checkpoint", "%s", e == -EBADMSG ? msg : strerror(-e));
		rc = e == -EBADMSG ? TA_EXIT_VERIFY : TA_EXIT_STORAGE;
	} else if (!set.n) {
		ta_err("checkpoint", "no %scheckpoint yet", cosigned ? "cosigned " : "");
		rc = TA_EXIT_NOTFOUND;
	} else {
		ta_ckpt_set_sort(&set);
		const struct ta_ckpt_entry *l = &set.v[set.n - 1];
		if (fwrite(l->note, 1, l->note_len, stdout) != l->note_len || fflush(stdout))
			rc = TA_EXIT_FAILURE;
	}
	ta_ckpt_set_free(&set);
	ta_verifier_free(key);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit-ship: ships the local log to NATS JetStream (docs/fleet.md). An
 * unprivileged process of its own: reads the log, never writes it; the
 * recorder keeps no network access.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/decimal.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "ship/ship.h"
#include "ship/watch.h"
#include "store/store.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void usage(FILE *o)
{
	fprintf(o,
		"Usage: ttyaudit-ship --nats URL --witness-key VKEY|FILE [OPTIONS]\n"
		"Publishes the local log's records and checkpoints to NATS JetStream; a record\n"
		"counts as shipped once the collector cosigns a checkpoint that covers it.\n\n"
		"  --log-dir DIR        the log (default " TA_STORE_DEFAULT_DIR ")\n"
		"  --key VKEY|FILE      the log's verifier key (default DIR/ttyaudit.vkey)\n"
		"  --origin ORIGIN      the log's checkpoint origin (default: the key's name)\n"
		"  --state FILE         the shipper's position (default " TA_SHIP_DEFAULT_STATE ")\n"
		TA_FLEET_NATS_USAGE
		"  --witness-key VKEY|FILE  the collector's cosignature/v1 key\n"
		"  --poll-ms N          look for new records this often (500; 10..3600000); a\n"
		"                       checkpoint the recorder writes wakes the shipper at once\n"
		"  --resend-ms N        republish a checkpoint not cosigned after N ms (10000;\n"
		"                       100..3600000)\n"
		"  --until-acked        exit 0 once all the log's checkpoints are cosigned\n"
		"  --no-alerts          do not publish alert records on ttyaudit.<h>.alerts\n");
}

/*
 * A number of milliseconds between lo and hi, decimal digits only: strtoul read
 * "-1" as 4294967295 (--poll-ms: a wait poll() took as for ever), "1e3" as 1
 * (a busy loop) and "abc" as 0. 0 or -EINVAL.
 */
static int parse_ms(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	const char *end;
	uint64_t v;

	if (ta_parse_dec_u64(s, &end, &v) || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	enum { O_KEY = 256, O_ORIGIN, O_STATE,
	       O_WKEY, O_POLL, O_RESEND, O_UNTIL, O_DIR, O_NO_ALERTS };
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, O_DIR }, { "key", required_argument, NULL, O_KEY },
		{ "origin", required_argument, NULL, O_ORIGIN }, { "state", required_argument, NULL, O_STATE },
		TA_FLEET_NATS_LONGOPTS,
		{ "witness-key", required_argument, NULL, O_WKEY }, { "poll-ms", required_argument, NULL, O_POLL },
		{ "resend-ms", required_argument, NULL, O_RESEND },
		{ "no-alerts", no_argument, NULL, O_NO_ALERTS },
		{ "until-acked", no_argument, NULL, O_UNTIL }, { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *key = NULL, *origin = NULL, *wkey = NULL;
	struct ta_fleet_nats_opts no = { .name = "ttyaudit-ship" };
	struct ta_ship s = { .dir = TA_STORE_DEFAULT_DIR, .state.path = TA_SHIP_DEFAULT_STATE,
			     .resend_ms = 10000, .ack_timeout_ms = 2000,
			     .pub_timeout_ms = 5000 };
	uint32_t poll_ms = 500;
	int until = 0, c;
	ta_log_init("ttyaudit-ship", TA_LOG_INFO);
	char err[512];
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int n_opt = ta_fleet_nats_option(&no, c, optarg, err, sizeof(err));
		if (n_opt < 0) {
			ta_err("ship", "%s", err);
			return TA_EXIT_CONFIG;
		}
		if (n_opt)
			continue;
		switch (c) {
		case O_DIR: s.dir = optarg; break;
		case O_KEY: key = optarg; break;
		case O_ORIGIN: origin = optarg; break;
		case O_STATE: s.state.path = optarg; break;
		case O_WKEY: wkey = optarg; break;
		case O_POLL:
		case O_RESEND:
			if (parse_ms(optarg, c == O_POLL ? 10 : 100, 3600000,
				     c == O_POLL ? &poll_ms : &s.resend_ms)) {
				ta_err("ship", "--%s: '%s' is not a number of milliseconds from %d to "
				       "3600000", c == O_POLL ? "poll-ms" : "resend-ms", optarg,
				       c == O_POLL ? 10 : 100);
				return TA_EXIT_USAGE;
			}
			break;
		case O_UNTIL: until = 1; break;
		case O_NO_ALERTS: s.alerts_off = 1; break;
		case 'h': usage(stdout); return TA_EXIT_OK;
		default: usage(stderr); return TA_EXIT_USAGE;
		}
	}
	if (!no.url || !wkey || optind != argc) {
		usage(stderr);
		return TA_EXIT_USAGE;
	}
	/* Said, not refused: the password is in the process list already. */
	if (ta_fleet_url_has_secret(no.url))
		ta_warn("ship", "the --nats URL carries a password or token, which every user of this "
			"host can read in the process list: give --user and --password-file instead "
			"(a systemd credential: docs/fleet.md)");
	char vpath[4096];
	if (!key) {
		snprintf(vpath, sizeof(vpath), "%s/ttyaudit.vkey", s.dir);
		key = vpath;
	}
	int e = ta_verifier_load(key, TA_ALG_ED25519, &s.log_key);
	if (e) {
		ta_err("ship", "log key %s: %s", key, ta_verifier_load_strerror(e));
		return TA_EXIT_CONFIG;
	}
	if ((e = ta_verifier_load(wkey, TA_ALG_COSIG_V1, &s.witness_key))) {
		ta_err("ship", "witness key %s: %s", wkey, ta_verifier_load_strerror(e));
		return TA_EXIT_CONFIG;
	}
	snprintf(s.origin, sizeof(s.origin), "%s", origin ? origin : ta_verifier_name(s.log_key));
	if ((e = ta_ship_state_load(s.state.path, &s.st))) {
		ta_err("ship", "state file %s: %s (remove it to ship the whole log again)",
		       s.state.path, ta_ship_state_strerror(e));
		return TA_EXIT_STORAGE;
	}
	s.state.saved = s.st;
	s.pub_high = s.st.next;
	s.ckpt_high = s.st.checkpoint;
	ta_fleet_subject(s.origin, TA_FLEET_RECORDS, s.subj_records);
	ta_fleet_subject(s.origin, TA_FLEET_CHECKPOINTS, s.subj_ckpt);
	ta_fleet_subject(s.origin, TA_FLEET_ACK, s.subj_ack);
	ta_fleet_subject(s.origin, TA_FLEET_ALERTS, s.subj_alerts);
	/* Replies to this host's own inbox (fleet.h): the collector answers no other. */
	char inbox[TA_FLEET_SUBJECT_MAX];
	if (ta_fleet_inbox_prefix(s.origin, inbox)) {
		ta_err("ship", "cannot make the reply inbox of origin %s: out of memory; start "
		       "again when memory is free", s.origin);
		return TA_EXIT_FAILURE;
	}
	no.inbox_prefix = inbox;
	if (ta_ship_window_init(&s.win) || ta_ship_proof_init(&s.proof) || ta_hasher_new(&s.hasher)) {
		ta_err("ship", "%s", strerror(ENOMEM));
		return TA_EXIT_FAILURE;
	}
	/* Asynchronous publishing: acknowledgements come to the window (ship/window.h). */
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.PublishAsync.AckHandler = ta_ship_window_on_ack;
	jo.PublishAsync.AckHandlerClosure = &s.win;
	jo.PublishAsync.MaxPending = 2 * TA_SHIP_WINDOW; /* the window itself bounds them */
	natsStatus ns = ta_fleet_connect(&no, &s.nc, err, sizeof(err));
	if (ns == NATS_OK)
		ns = natsConnection_JetStream(&s.js, s.nc, &jo);
	if (ns != NATS_OK) {
		ta_err("ship", "NATS: %s", err);
		return TA_EXIT_CONFIG;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	ta_info("ship", "shipping %s (origin %s) to %s from record %llu", s.dir, s.origin,
		s.subj_records, (unsigned long long)s.st.next);
	/* Woken by the recorder's checkpoints: the poll alone made each wait up to poll-ms longer. */
	struct ta_ship_watch watch;
	if ((e = ta_ship_watch_open(&watch, s.dir)))
		ta_warn("ship", "cannot watch %s (%s): looking for checkpoints every %u ms only "
			"(raise fs.inotify.max_user_instances, or lower --poll-ms)", s.dir,
			strerror(-e), poll_ms);
	unsigned backoff = 0;
	int rc = TA_EXIT_OK, failing = 0;
	while (!stop) {
		e = ta_ship_round(&s);
		if (e == -ESTALE) { /* a state that is not this log's: no retry fixes it */
			ta_err("ship", "%s", s.err);
			rc = TA_EXIT_STORAGE;
			break;
		}
		if (e < 0) {
			/* Every failure is retried: the log keeps what was not shipped. */
			if (!failing || e != -EAGAIN)
				ta_warn("ship", "%s; retrying", s.err);
			failing = 1;
			backoff = backoff ? (backoff * 2 > 10000 ? 10000 : backoff * 2) : 250;
			/* Alerts do not wait for JetStream or the collector: they go on meanwhile. */
			for (unsigned waited = 0; waited < backoff && !stop; waited += (unsigned)poll_ms) {
				poll(NULL, 0, (int)(poll_ms < backoff ? poll_ms : backoff));
				ta_ship_alerts(&s);
			}
			continue;
		}
		if (s.err[0])
			ta_warn("ship", "%s", s.err);
		if (failing)
			ta_info("ship", "shipping again from record %llu", (unsigned long long)s.st.next);
		failing = 0;
		backoff = 0;
		if (until && s.st.checkpoint && s.st.acked == s.st.checkpoint && s.st.next == s.st.log_size)
			break;
		if (e == 0)
			ta_ship_watch_wait(&watch, ta_ship_wait_ms(&s, poll_ms));
	}
	ta_ship_watch_close(&watch);
	if (ta_ship_state_flush(&s))
		ta_warn("ship", "%s", s.err);
	ta_info("ship", "published %llu messages (%llu duplicates, %llu of them never published "
		"before by this shipper) and %llu alerts, next record %llu, "
		"cosigned up to %llu; consistency proofs %llu kept, %llu from the log; "
		"checkpoints with their records %llu; asked the collector %llu times (%llu took 0.5 s "
		"or more, the longest %llu ms); rewinds %llu",
		(unsigned long long)s.published, (unsigned long long)s.win.duplicates,
		(unsigned long long)s.dup_new,
		(unsigned long long)s.alerts_published,
		(unsigned long long)s.st.next, (unsigned long long)s.st.acked,
		(unsigned long long)s.proof.built, (unsigned long long)s.proof.fallbacks,
		(unsigned long long)s.ckpt_with_records, (unsigned long long)s.asks,
		(unsigned long long)s.asks_slow, (unsigned long long)s.ask_max_ms,
		(unsigned long long)s.rewinds);
	ta_ckpt_set_free(&s.known);
	jsCtx_Destroy(s.js);
	natsConnection_Destroy(s.nc);
	ta_ship_window_destroy(&s.win);
	ta_ship_proof_free(&s.proof);
	ta_hasher_free(s.hasher);
	ta_fleet_batch_enc_free(&s.enc);
	ta_verifier_free(s.log_key);
	ta_verifier_free(s.witness_key);
	ta_fleet_nats_opts_free(&no);
	return rc;
}

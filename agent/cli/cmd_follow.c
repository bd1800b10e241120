// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit follow: print new records as the agent writes them (inotify, no busy loop). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/cli_wrap.h"
#include "cli/commands.h"
#include "base/clock.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "base/json_read.h"
#include "store/walk.h"
#include "logfmt/tty_batch.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"
#include "view/neutralise.h"
#include "view/transcript.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit follow [OPTIONS]\n"
		"\n"
		"Prints records as ttyauditd writes them: terminal output (o|), input (i|),\n"
		"commands and other events (#|), one prefixed line each, neutralised like show.\n"
		"Waits on inotify; stop with Ctrl-C.\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  -u, --user USER    only sessions of this login user (name or audit uid)\n"
		"  -s, --session ID   only this session\n"
		"  --from-start       print the records already in the log first\n"
		"  --timeout SECS     stop after SECS seconds (for scripts)\n"
		"  --utc              times in UTC\n"
		"  --width N          rows of at most N columns (as for show; default: the\n"
		"                     terminal's width on a terminal, else lines whole)\n"
		"\n"
		"Exit: 0, 2 usage, 4 not allowed to read the log, 8 damage met (said once on\n"
		"stderr where it is; intact records before and after it are printed).\n",
		TA_STORE_DEFAULT_DIR);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct follow {
	int have_user, have_session, ses_only, utc;
	unsigned columns;         /* rows cut at (cli_wrap.h), 0: lines whole */
	uint32_t uid;
	uint64_t session;
	struct ta_buf o, tmp;
	struct ta_transcript tr;  /* events gathered by one drain */
	uint64_t *keys;           /* the session of each gathered event */
	size_t keycap;
	uint64_t damaged;          /* damage met (exit 8) */
	char last_damage[512];     /* said once, not on every re-read */
};

static void line_prefix(struct follow *f, uint64_t t, uint64_t key, char kind)
{
	char id[32], tm[16];
	time_t sec = (time_t)(t / 1000000000ull);
	struct tm tmv;

	ta_sess_id(key, id, sizeof(id));
	if (f->utc)
		gmtime_r(&sec, &tmv);
	else
		localtime_r(&sec, &tmv);
	strftime(tm, sizeof(tm), "%H:%M:%S", &tmv);
	ta_buf_printf(&f->o, "%s.%03u %-18s %c| ", tm, (unsigned)(t / 1000000 % 1000), id, kind);
}

static int wanted(struct follow *f, const struct ta_log_record *rec)
{
	if (f->have_session &&
	    (f->ses_only ? (uint32_t)rec->session != (uint32_t)f->session : rec->session != f->session))
		return 0;
	if (f->have_user) {
		uint32_t auid = TA_ID_NONE;
		if (rec->type == TA_REC_TTY_DATA) {
			struct ta_batch_iter it;
			if (!ta_batch_iter_init(&it, rec->payload, rec->len))
				auid = it.hdr.auid;
		} else {
			struct ta_jobj o;
			uint64_t v;
			if (!ta_jobj_parse(&o, (const char *)rec->payload, rec->len) &&
			    !ta_jobj_u64(&o, "auid", &v))
				auid = (uint32_t)v;
		}
		if (auid != f->uid)
			return 0;
	}
	return 1;
}

/* Gathers a wanted record's events (printed, in time order, by print_gathered). */
static int gather_record(struct follow *f, const struct ta_log_record *rec)
{
	size_t n0 = f->tr.n;

	if (!wanted(f, rec))
		return 0;
	f->tr.key = rec->session;
	ta_transcript_add_record(&f->tr, rec);
	if (f->tr.n > f->keycap) {
		size_t cap = f->keycap ? f->keycap : 256;
		while (cap < f->tr.n)
			cap *= 2;
		uint64_t *nk = realloc(f->keys, cap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		f->keys = nk;
		f->keycap = cap;
	}
	for (size_t i = n0; i < f->tr.n; i++)
		f->keys[i] = rec->session;
	return 0;
}

struct ord {
	uint64_t t;
	size_t i;
};

static int ord_cmp(const void *a, const void *b)
{
	const struct ord *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i; /* ties keep log order */
}

static void print_event(struct follow *f, const struct ta_tev *e, uint64_t key)
{
	const uint8_t *d = ta_tev_data(&f->tr, e);
	char kind = e->kind == TA_TEV_OUTPUT ? 'o' : e->kind == TA_TEV_INPUT ? 'i' : '#';

	ta_buf_reset(&f->tmp);
	if (kind == '#')
		ta_tev_describe(&f->tr, e, &f->tmp);
	/* As show marks them: data not typed or shown by the session's own, or not vouched for. */
	if (kind != '#' && (e->flags & TA_F_OTHER_SESSION)) {
		line_prefix(f, e->time_ns, key, '#');
		ta_tev_other_session(e, &f->o);
		ta_buf_putc(&f->o, '\n');
	}
	if (kind != '#' && (e->flags & TA_F_SUSPECT)) {
		line_prefix(f, e->time_ns, key, '#');
		ta_tev_suspect(e, &f->o);
		ta_buf_putc(&f->o, '\n');
	}
	if (kind == 'i' && (e->flags & TA_F_INJECTED)) {
		line_prefix(f, e->time_ns, key, '#');
		ta_buf_puts(&f->o, TA_TEV_INJECTED_LINE "\n");
	}
	if (kind == 'i' && (e->flags & TA_F_REDACTED)) {
		line_prefix(f, e->time_ns, key, kind);
		ta_buf_printf(&f->o, "[redacted: %u bytes typed with echo off]\n", e->orig_len);
		return;
	}
	struct ta_buf text;
	ta_buf_init(&text);
	if (kind == '#')
		ta_neutralise(f->tmp.p, f->tmp.len, TA_NEUT_LINE, &text);
	else
		ta_neutralise(d, e->len, kind == 'i' ? TA_NEUT_LINE : TA_NEUT_TEXT, &text);
	const uint8_t *p = text.p, *end = p + text.len;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line_prefix(f, e->time_ns, key, kind);
		ta_buf_put(&f->o, p, n);
		ta_buf_putc(&f->o, '\n');
		p += n + (nl ? 1 : 0);
	}
	ta_buf_free(&text);
}

/*
 * Prints what was gathered in time order: records of one drain come from one
 * write of the daemon (terminal batches and commands appended together), so
 * sorting them puts a command between the keystrokes around it.
 */
static void print_gathered(struct follow *f)
{
	struct ord *o = f->tr.n ? malloc(f->tr.n * sizeof(*o)) : NULL;

	for (size_t i = 0; o && i < f->tr.n; i++)
		o[i] = (struct ord){ f->tr.ev[i].time_ns, i };
	if (o)
		qsort(o, f->tr.n, sizeof(*o), ord_cmp);
	for (size_t k = 0; k < f->tr.n; k++) {
		size_t i = o ? o[k].i : k;
		print_event(f, &f->tr.ev[i], f->keys[i]);
	}
	free(o);
	f->tr.n = 0;
	ta_buf_reset(&f->tr.arena);
	cli_wrap_flush(&f->o, stdout, f->columns, CLI_WRAP_FINAL);
	fflush(stdout);
}

/* Reads records from *next on; returns 0 or -errno. */
static int drain(struct follow *f, const char *dir, uint64_t *next, int print)
{
	struct ta_walk w;
	struct ta_log_record rec;
	int n, err = ta_walk_open(&w, dir, 0);

	if (err == -ENODATA)
		return 0; /* no log yet: follow waits for the writer's first segment */
	if (err)
		return err;
	if (*next && ta_walk_seek(&w, *next)) {
		ta_walk_close(&w);
		return 0; /* nothing new yet */
	}
	while (!stop && (n = ta_walk_next(&w, &rec)) != TA_WALK_END) {
		if (n < 0) {
			err = n;
			break;
		}
		if (n == TA_WALK_DAMAGE) {
			char line[512];
			ta_walk_describe(&w, line, sizeof(line));
			if (strcmp(line, f->last_damage)) {
				ta_err(NULL, "%s", line);
				snprintf(f->last_damage, sizeof(f->last_damage), "%s", line);
				f->damaged++;
			}
			continue;
		}
		*next = rec.index + 1;
		if (print && (err = gather_record(f, &rec)))
			break;
		/* A long backlog (--from-start) is printed in parts. */
		if (f->tr.n >= 65536)
			print_gathered(f);
	}
	ta_walk_close(&w);
	print_gathered(f);
	return err;
}

static void follow_free(struct follow *f)
{
	ta_transcript_free(&f->tr);
	free(f->keys);
	f->keys = NULL;
	ta_buf_free(&f->o);
	ta_buf_free(&f->tmp);
}

int ta_cmd_follow(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "session", required_argument, NULL, 's' },
		{ "from-start", no_argument, NULL, 'F' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "utc", no_argument, NULL, 'Z' },
		{ "width", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *session_arg = NULL;
	struct follow f;
	int c, from_start = 0, err;
	double timeout = 0;
	long width = -1;

	memset(&f, 0, sizeof(f));
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:u:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'u':
			f.have_user = 1;
			if (cli_user_option("--user", optarg, &f.uid))
				return TA_EXIT_USAGE;
			break;
		case 's':
			f.have_session = 1;
			session_arg = optarg;
			if (cli_session_option("--session", optarg, &f.session, &f.ses_only))
				return TA_EXIT_USAGE;
			break;
		case 'F': from_start = 1; break;
		case 'T':
			if (cli_parse_seconds(optarg, CLI_SECONDS_MAX, &timeout))
				return cli_usage_error("follow", "--timeout '%s' is not a number of seconds "
						       "(like 10 or 0.5)", optarg);
			break;
		case 'Z': f.utc = 1; break;
		case 'W':
			if (cli_wrap_parse(optarg, &width))
				return cli_usage_error("follow", "--width: '%s' is not a number of columns "
						       "(0 to 65535; 0: lines whole)", optarg);
			break;
		case 'h': usage(stdout); return TA_EXIT_OK;
		default: return cli_usage_error("follow", NULL);
		}
	}
	if (optind < argc)
		return cli_usage_error("follow", "takes no arguments, only options; '%s' is not one",
				       argv[optind]);
	if (session_arg) {
		/* A session to follow has started: one the log does not hold is a mistake, not a wait. */
		struct cli_table ct;
		size_t ord;
		int rc = cli_table_open(&ct, dir, NULL, CLI_INDEX_AUTO, 1);
		if (rc != TA_EXIT_OK)
			return rc;
		rc = cli_find_session(&ct, session_arg, &ord);
		cli_table_close(&ct);
		if (rc != TA_EXIT_OK)
			return rc;
	}
	f.columns = cli_wrap_columns(width);
	ta_buf_init(&f.o);
	ta_buf_init(&f.tmp);
	ta_buf_init(&f.tr.arena);
	if (ta_sesstab_init(&f.tr.names, 0))
		return TA_EXIT_FAILURE;
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino < 0 || inotify_add_watch(ino, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		err = -errno;
		if (ino >= 0)
			close(ino);
		follow_free(&f);
		return cli_log_error(dir, err);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	uint64_t next = 0;
	if ((err = drain(&f, dir, &next, from_start))) {
		close(ino);
		follow_free(&f);
		return cli_log_error(dir, err);
	}
	uint64_t t0 = ta_now_ns(CLOCK_MONOTONIC);
	while (!stop) {
		int ms = -1;
		if (timeout > 0) {
			double left = timeout - (double)(ta_now_ns(CLOCK_MONOTONIC) - t0) / 1e9;
			if (left <= 0)
				break;
			ms = (int)(left * 1000) + 1;
		}
		struct pollfd pfd = { .fd = ino, .events = POLLIN };
		int r = poll(&pfd, 1, ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		char buf[4096];
		while (read(ino, buf, sizeof(buf)) > 0)
			;
		/* Let a burst of writes settle: one read of the log per 20 ms at most. */
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		while (read(ino, buf, sizeof(buf)) > 0)
			;
		if ((err = drain(&f, dir, &next, 1)) && err != -ENOENT)
			break;
	}
	close(ino);
	follow_free(&f);
	return f.damaged ? TA_EXIT_CORRUPT : TA_EXIT_OK;
}

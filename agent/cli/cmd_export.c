// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyaudit export: a session for players and tools (asciicast v2, JSON Lines,
 * a typescript and its timing). The events are streamed (session_view_each):
 * for a player's header a first pass reads up to the first output (how the
 * screen starts), a second writes; nothing holds the session's terminal data,
 * so a session of any size exports in bounded memory.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_json.h"
#include "cli/commands.h"
#include "cli/session_view.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "logfmt/tty_batch.h"
#include "store/store.h"
#include "ttyaudit/event.h"
#ifdef TA_HAVE_FLEET
#include "cli/fleet_source.h"
#endif
#include "view/asciicast.h"
#include "view/neutralise.h"
#include "view/shown.h"

static void export_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit export [OPTIONS] SESSION --format asciicast|json|typescript\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  -f, --format F     asciicast: asciicast v2 for asciinema (terminal bytes decoded\n"
		"                       as UTF-8; invalid bytes become U+FFFD, counted on stderr)\n"
		"                     json: JSON Lines for a SIEM: a session line, then one event\n"
		"                       per line (text and exact base64 data)\n"
		"                     typescript: a typescript for scriptreplay; the timing\n"
		"                       goes to --timing FILE\n"
		"  -o, --output FILE  write there (default: standard output)\n"
		"  --timing FILE      typescript timing file (required for typescript)\n"
		"  --tty NAME         only this terminal of the session (asciicast and typescript:\n"
		"                     required for a session that used several)\n"
		"  --markers          asciicast: add \"m\" markers for commands and gaps\n"
		"  --with-proof       also write an inclusion proof of the session's records\n"
		"                     against the latest checkpoint to OUTPUT.proof (needs -o);\n"
		"                     --fleet: the latest the collector cosigned, with its\n"
		"                     cosignature (verify-proof --witness checks it)\n"
		"  --index FILE, --no-index   as for query\n"
		"  --fleet DSN --origin HOST  the session of that host from the fleet's PostgreSQL\n"
		"                     (as show --fleet)\n"
		"\n"
		"Exported data is not neutralised: it is the recorded bytes, for players.\n"
		"Exit: 0, 1 write error or no proof, 2 usage, 4 no permission, 6 (--fleet) database\n"
		"unreachable, 8 damaged, 9 no session.\n",
		TA_STORE_DEFAULT_DIR);
}

/* A recorded window size the cast holds fitted (ta_cast_begin): the size as recorded. */
static void size_marker(struct ta_cast_writer *w, double t, unsigned rows, unsigned cols)
{
	unsigned r = rows, c = cols;
	char m[160];

	ta_screen_fit(&r, &c);
	snprintf(m, sizeof(m), "window size %ux%u (rows x cols) as recorded, played as %ux%u (at most "
		 "%u rows or columns, %u cells)", rows, cols, r, c, TA_SCREEN_MAX_SIDE, TA_SCREEN_MAX_CELLS);
	ta_cast_marker(w, t, m);
}

/* Data another session's process wrote into the terminal: show's #| line as a marker. */
static void other_session_marker(struct ta_cast_writer *w, double t, const struct ta_tev *e)
{
	struct ta_buf m;

	if (!(e->flags & TA_F_OTHER_SESSION))
		return;
	ta_buf_init(&m);
	ta_tev_other_session(e, &m);
	ta_buf_putc(&m, '\0');
	if (!m.oom)
		ta_cast_marker(w, t, (const char *)m.p);
	ta_buf_free(&m);
}

struct cast_export {
	struct ta_cast_writer w;
	struct ta_shown sh;
	uint64_t t0;
	int markers;
	uint64_t red_bytes;    /* input typed with echo off, not yet said */
	double red_t;
};

/* A secret typed key by key is one marker, at its first key. */
static void cast_redaction_said(struct cast_export *x)
{
	if (x->markers) {
		char m[96];
		snprintf(m, sizeof(m), "redacted: %" PRIu64 " bytes typed with echo off", x->red_bytes);
		ta_cast_marker(&x->w, x->red_t, m);
	}
	x->red_bytes = 0;
}

static int cast_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		      const uint8_t *d)
{
	struct cast_export *x = ctx;
	struct ta_cast_writer *w = &x->w;
	int markers = x->markers;

	if (x->red_bytes && !(e->kind == TA_TEV_INPUT && (e->flags & TA_F_REDACTED)))
		cast_redaction_said(x);
	double t = e->time_ns > x->t0 ? (double)(e->time_ns - x->t0) / 1e9 : 0;
	switch (e->kind) {
	case TA_TEV_OUTPUT: {
		size_t n;
		const uint8_t *out = ta_shown_output(&x->sh, e, d, &n);
		if (markers)
			other_session_marker(w, t, e);
		if (markers && (e->flags & TA_F_SUSPECT))
			ta_cast_marker(w, t, "suspect: output may not be what the terminal showed");
		ta_cast_data(w, t, 'o', out, n);
		break;
	}
	case TA_TEV_INPUT:
		if (e->flags & TA_F_REDACTED) {
			if (!x->red_bytes)
				x->red_t = t;
			x->red_bytes += e->orig_len;
			break;
		}
		if (markers)
			other_session_marker(w, t, e);
		if (markers && (e->flags & TA_F_INJECTED))
			ta_cast_marker(w, t, "injected by TIOCSTI (not typed)");
		if (markers && (e->flags & TA_F_SUSPECT))
			ta_cast_marker(w, t, "suspect: input may not be what the terminal received");
		ta_cast_data(w, t, 'i', d, e->len);
		break;
	case TA_TEV_WINSIZE:
		if (ta_shown_resize(&x->sh, e) && ta_cast_resize(w, t, e->cols, e->rows) && markers)
			size_marker(w, t, e->rows, e->cols);
		break;
	default:
		if (markers) {
			/* Neutralised like show's #| lines: a file name can hold escapes. */
			struct ta_buf desc, n;
			ta_buf_init(&desc);
			ta_buf_init(&n);
			ta_tev_describe(tr, e, &desc);
			ta_neutralise(desc.p, desc.len, TA_NEUT_LINE, &n);
			ta_buf_putc(&n, '\0');
			if (!desc.oom && !n.oom)
				ta_cast_marker(w, t, (const char *)n.p);
			ta_buf_free(&desc);
			ta_buf_free(&n);
		}
	}
	return ferror(w->f) ? -EIO : 0; /* a full disk ends the pass */
}

static int export_asciicast(FILE *f, struct session_view *v, const struct view_start *start,
			    int markers, uint64_t *replaced)
{
	struct cast_export x = { .markers = markers };
	char ub[64];
	unsigned cols, rows;
	struct ta_buf title;
	size_t un;

	x.t0 = view_start_time(start, ta_sess_begin(v->s));
	view_start_size(start, &cols, &rows);
	/* The name as show's header gives it: whole and visible, a NUL in it as \x00. */
	const char *user = cli_user_name(v->ct.t, v->s, ub, sizeof(ub), &un);
	ta_buf_init(&title);
	ta_buf_printf(&title, "ttyaudit session %s, user ", v->id);
	ta_neutralise(user, un, TA_NEUT_LINE, &title);
	ta_buf_putc(&title, '\0');
	int fitted = ta_cast_begin(&x.w, f, cols, rows, x.t0 / 1000000000ull,
				   title.oom ? "ttyaudit session" : (const char *)title.p, NULL);
	ta_buf_free(&title);
	if (fitted && markers)
		size_marker(&x.w, 0, rows, cols);
	ta_shown_init(&x.sh, (uint16_t)rows, (uint16_t)cols);
	int rc = session_view_each(v, cast_event, &x);
	if (x.red_bytes)
		cast_redaction_said(&x);
	ta_shown_free(&x.sh);
	*replaced = x.w.replaced;
	if (ta_cast_end(&x.w) && rc == TA_EXIT_OK)
		rc = TA_EXIT_FAILURE;
	return rc;
}

/* util-linux script's time stamp: "2026-11-30 12:00:00+00:00". */
static void script_time(uint64_t ns, char *buf, size_t cap)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tmv;
	long off;

	localtime_r(&t, &tmv);
	off = tmv.tm_gmtoff;
	size_t n = strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tmv);
	snprintf(buf + n, cap - n, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 3600,
		 labs(off) % 3600 / 60);
}

/*
 * A value of the typescript's header: a terminal's name comes from a log (a
 * fleet host's can say anything), and a quote or a newline in it would end
 * the header early, the rest read as output (scriptreplay's timing shifted).
 */
static void script_word(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		char c = s[i];
		int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '/' || c == '_' || c == '.' || c == ':' || c == '-';
		out[k++] = keep ? c : '?';
	}
	out[k] = '\0';
}

struct typescript_export {
	FILE *f, *tf;
	struct ta_shown sh;
	uint64_t prev;
};

static int typescript_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
			    const uint8_t *d)
{
	struct typescript_export *x = ctx;
	size_t n;

	(void)tr;
	if (e->kind != TA_TEV_OUTPUT || !e->len)
		return 0;
	const uint8_t *out = ta_shown_output(&x->sh, e, d, &n);
	double dt = e->time_ns > x->prev ? (double)(e->time_ns - x->prev) / 1e9 : 0;
	if (e->time_ns > x->prev)
		x->prev = e->time_ns;
	fprintf(x->tf, "%.6f %zu\n", dt, n);
	fwrite(out, 1, n, x->f);
	return ferror(x->f) || ferror(x->tf) ? -EIO : 0; /* a full disk ends the pass */
}

/*
 * A typescript and its timing as util-linux script writes them. The header
 * names no command and the trailer no exit code: the log knows neither.
 */
static int export_typescript(FILE *f, const char *timing, struct session_view *v,
			     const struct view_start *start)
{
	struct typescript_export x = { .f = f, .tf = fopen(timing, "we") };
	unsigned cols, rows;
	char tm[64], word[64];

	if (!x.tf) {
		ta_err(NULL, "cannot write %s: %s", timing, strerror(errno));
		return TA_EXIT_FAILURE;
	}
	view_start_size(start, &cols, &rows);
	x.prev = view_start_time(start, ta_sess_begin(v->s));
	script_time(x.prev, tm, sizeof(tm));
	/* The terminal exported (session_view_one_tty): the one of its events. */
	size_t tn = start->tty_len;
	const char *tty = start->tty;
	if (!tn) {
		tn = 1;
		tty = v->s->n_ttys == 1 ? ta_sesstab_strn(v->ct.t, v->s->ttys[0], &tn) : "?";
	}
	script_word(tty, tn, word, sizeof(word));
	fprintf(f, "Script started on %s [TTY=\"%s\" COLUMNS=\"%u\" LINES=\"%u\"]\n", tm, word,
		cols, rows);
	ta_shown_init(&x.sh, (uint16_t)rows, (uint16_t)cols);
	int rc = session_view_each(v, typescript_event, &x);
	ta_shown_free(&x.sh);
	if (rc == TA_EXIT_OK && (v->s->flags & TA_SESS_ENDED)) {
		script_time(ta_sess_finish(v->s), tm, sizeof(tm));
		fprintf(f, "\nScript done on %s\n", tm);
	}
	int timing_failed = ferror(x.tf);
	if (fclose(x.tf) || timing_failed) {
		ta_err(NULL, "cannot write %s: %s", timing, strerror(timing_failed ? EIO : errno));
		rc = TA_EXIT_FAILURE;
	}
	return rc;
}

/* The session's inclusion proof to OUTPUT.proof: from the local log, or the fleet's database. */
static int write_proof(const struct view_source *src, const struct session_view *v,
		       const char *out_path)
{
	uint64_t after = 0;
	struct ta_proof_request req = { .kind = TA_PROOF_INCLUSION, .by_session = 1,
					.session = v->s->key, .after_out = &after };
	char *text = NULL, err[512] = "", path[4096];
	size_t len = 0;
	int rc = TA_EXIT_OK;
#ifdef TA_HAVE_FLEET
	if (src->fleet)
		rc = cli_fleet_session_proof(src->fleet, v->origin, v->s->key, &text, &len, err, sizeof(err));
	else
#endif
	if (ta_proof_build(src->dir, &req, &text, &len, err, sizeof(err)) < 0)
		rc = TA_EXIT_FAILURE;
	if (rc) {
		ta_err(NULL, "--with-proof: cannot build the inclusion proof: %s",
		       err[0] ? err : "out of memory");
		return rc;
	}
	snprintf(path, sizeof(path), "%s.proof", out_path);
	FILE *f = fopen(path, "we");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		ta_err(NULL, "cannot write %s: %s", path, strerror(errno));
		free(text);
		return TA_EXIT_FAILURE;
	}
	ta_info(NULL, "inclusion proof written to %s (check it with 'ttyaudit verify-proof')", path);
	if (after) {
		/* Exported but unproven records must not pass for proven ones. */
		uint64_t proven = 0;
		const char *ts = strstr(text, "\ntree-size ");
		for (const char *p = text; (p = strstr(p, "\nrecord ")); p++)
			proven++;
		ta_warn(NULL, "%llu of %llu exported records are after the latest checkpoint (size %llu) "
			"and not in the proof (export again after the next checkpoint to prove them)",
			(unsigned long long)after,
			(unsigned long long)(after + proven),
			ts ? (unsigned long long)strtoull(ts + 11, NULL, 10) : 0ull);
	}
	free(text);
	return TA_EXIT_OK;
}

int ta_cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "timing", required_argument, NULL, 'T' },
		{ "markers", no_argument, NULL, 'M' },
		{ "with-proof", no_argument, NULL, 'P' },
		{ "tty", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		VIEW_SOURCE_OPTIONS,
		{ 0 },
	};
	struct view_source src = { .dir = TA_STORE_DEFAULT_DIR };
	const char *format = NULL, *output = NULL, *timing = NULL, *tty_filter = NULL;
	int c, markers = 0, proof = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'T': timing = optarg; break;
		case 'M': markers = 1; break;
		case 'P': proof = 1; break;
		case 't': tty_filter = optarg; break;
		case 'h': export_usage(stdout); return TA_EXIT_OK;
		default:
			if (view_source_option(&src, c, optarg))
				break;
			return cli_usage_error("export", NULL);
		}
	}
	if ((rc = view_source_session("export", argc, argv)) != TA_EXIT_OK)
		return rc;
	if (!format)
		return cli_usage_error("export", "needs --format: asciicast, json or typescript");
	if (strcmp(format, "asciicast") && strcmp(format, "json") && strcmp(format, "typescript"))
		return cli_usage_error("export", "--format '%s' is not a format: asciicast, json or typescript",
				       format);
	if (!strcmp(format, "typescript") && !timing)
		return cli_usage_error("export", "--format typescript needs --timing FILE (the timing for scriptreplay)");
	if (proof && !output)
		return cli_usage_error("export", "--with-proof needs --output FILE (the proof goes to FILE.proof)");
	/* A typescript is the recorded bytes as they were: a terminal would obey them. */
	if (!strcmp(format, "typescript") && !output && isatty(STDOUT_FILENO))
		return cli_usage_error("export", "a typescript holds the recorded bytes unmodified: "
				       "give --output FILE (or use replay to play them here)");
	if ((rc = view_source_check("export", &src)) != TA_EXIT_OK)
		return rc;
	struct session_view v;
	rc = view_source_find(&v, &src, argv[optind]);
	if (rc != TA_EXIT_OK)
		return rc;
	/* A player draws one terminal; JSON names the terminal of each event, so may hold several. */
	if (strcmp(format, "json")) {
		char what[32];
		snprintf(what, sizeof(what), "--format %s", format);
		rc = session_view_one_tty(&v, "export", what, tty_filter);
	} else if (tty_filter) {
		session_view_keep_tty(&v, tty_filter);
	}
	/* A player's header says how the screen starts: a first pass, up to the first output. */
	struct view_start start;
	if (rc == TA_EXIT_OK && strcmp(format, "json"))
		rc = session_view_start(&v, &start);
	if (rc != TA_EXIT_OK) {
		session_view_close(&v);
		return rc;
	}
	FILE *f = output ? fopen(output, "we") : stdout;
	if (!f) {
		ta_err(NULL, "cannot write %s: %s", output, strerror(errno));
		session_view_close(&v);
		return TA_EXIT_FAILURE;
	}
	if (!strcmp(format, "asciicast")) {
		uint64_t replaced = 0;
		rc = export_asciicast(f, &v, &start, markers, &replaced);
		if (replaced)
			ta_warn(NULL, "asciicast: %" PRIu64 " bytes were not UTF-8 and became U+FFFD "
				"(use --format json or typescript for exact bytes)", replaced);
	} else if (!strcmp(format, "json")) {
		rc = cli_json_lines(f, &v);
	} else {
		rc = export_typescript(f, timing, &v, &start);
	}
	/* A log that could not be read said so; a write that failed is said here. */
	int write_failed = ferror(f);
	if ((output ? fclose(f) : fflush(f)) || write_failed) {
		ta_err(NULL, "writing the export to %s failed (a full disk, a closed pipe?): what was "
		       "written is incomplete; export again", output ? output : "standard output");
		rc = TA_EXIT_FAILURE;
	}
	if (rc == TA_EXIT_OK && proof)
		rc = write_proof(&src, &v, output);
	if (rc == TA_EXIT_OK)
		rc = session_view_damage_exit(&v);
	session_view_close(&v);
	return rc;
}

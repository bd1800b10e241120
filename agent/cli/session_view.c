// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding and loading one session (session_view.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/session_view.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "view/neutralise.h"

const char *cli_who(void *ctx, uint32_t auid, uint64_t key, char *buf, size_t cap, size_t *len)
{
	const struct ta_sesstab *t = ctx;
	long i = t && (uint32_t)key != TA_ID_NONE ? ta_sesstab_find(t, key) : -1;
	struct ta_sess tmp;

	if (i >= 0 && (t->s[i].user || auid == TA_ID_NONE || t->s[i].auid == auid))
		return cli_user_name(t, &t->s[i], buf, cap, len);
	if (auid == TA_ID_NONE) {
		*len = 1;
		return "?";
	}
	memset(&tmp, 0, sizeof(tmp));
	tmp.auid = auid;
	return cli_user_name(t, &tmp, buf, cap, len);
}

int cli_shared_clients(const struct ta_sesstab *t, const struct ta_sess *s, uint64_t **out, size_t *n)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (size_t c = 0; c < t->nclients; c++) {
		const struct ta_shared_client *sc = &t->clients[c];
		if (sc->client_key == s->key || (sc->client_key >> 32) != (s->key >> 32) || !sc->server)
			continue;
		size_t sn, ln;
		const char *srv = ta_sesstab_strn(t, sc->server, &sn);
		int ours = 0;
		for (size_t l = 0; l < t->nlinks && !ours; l++) {
			const char *ls = ta_sesstab_strn(t, t->links[l].server, &ln);
			ours = t->links[l].pane_key == s->key && t->links[l].server && ln == sn &&
			       !memcmp(ls, srv, sn);
		}
		if (!ours)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(*out, cap * sizeof(*nv));
			if (!nv) {
				free(*out);
				*out = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*out = nv;
		}
		(*out)[(*n)++] = sc->index;
	}
	return 0;
}

int session_view_pick(struct session_view *v, const char *arg)
{
	size_t ord;
	int rc = cli_find_session(&v->ct, arg, &ord);

	if (rc != TA_EXIT_OK)
		return rc;
	v->s = &v->ct.t->s[ord];
	if (!ta_sess_sane(v->ct.t, v->s))
		return -EINVAL;
	ta_sess_id(v->s->key, v->id, sizeof(v->id));
	if (cli_shared_clients(v->ct.t, v->s, &v->clients, &v->nclients))
		return TA_EXIT_FAILURE;
	return TA_EXIT_OK;
}

static int find(struct session_view *v, const char *dir, const char *index_opt, int no_index,
		const char *arg)
{
	int rc;

	memset(v, 0, sizeof(*v));
	v->dir = dir;
	rc = cli_table_open(&v->ct, dir, index_opt, no_index ? CLI_INDEX_NONE : CLI_INDEX_AUTO, 1);
	if (rc != TA_EXIT_OK)
		return rc;
	rc = session_view_pick(v, arg);
	if (rc == -EINVAL) {
		cli_table_close(&v->ct);
		if (no_index) {
			ta_err(NULL, "the session table read from the log is not consistent");
			return TA_EXIT_FAILURE;
		}
		/* The index is a cache: the log itself still answers. */
		ta_warn(NULL, "the index is damaged (run 'ttyaudit reindex'); reading the log itself");
		return find(v, dir, index_opt, 1, arg);
	}
	if (rc != TA_EXIT_OK) {
		free(v->clients);
		v->clients = NULL;
		cli_table_close(&v->ct);
	}
	return rc;
}

int cli_session_gap_indexes(const struct ta_sesstab *t, const struct ta_sess *s, uint64_t **out,
			    size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!s->global_gaps)
		return 0;
	for (size_t g = 0; g < t->ngaps; g++) {
		const struct ta_global_gap *gp = &t->gaps[g];
		/* The same rule as ta_sesstab_finish's count; damage is marked by the reader. */
		if (gp->kind == 5 || gp->index <= s->first_index || gp->index >= s->last_index)
			continue;
		if (!*out && !(*out = malloc(t->ngaps * sizeof(**out))))
			return -ENOMEM;
		(*out)[(*n)++] = gp->index;
	}
	return 0;
}

/* The global gaps into a loaded transcript, by index (unreadable ones: the reader marks damage). */
static int add_global_gaps(struct session_view *v)
{
	struct ta_log_reader *r = NULL;
	uint64_t *gaps;
	size_t ngaps;
	int err = cli_session_gap_indexes(v->ct.t, v->s, &gaps, &ngaps);

	for (size_t g = 0; g < ngaps && !err; g++) {
		struct ta_log_record rec;
		if (!r && (err = ta_log_reader_open(&r, v->dir)))
			break;
		if (ta_log_reader_seek(r, gaps[g]) || ta_log_reader_next(r, &rec) != 1)
			continue;
		err = ta_transcript_add_record(&v->tr, &rec);
	}
	if (r)
		ta_log_reader_close(r);
	free(gaps);
	if (!err)
		ta_transcript_sort(&v->tr);
	return err;
}

/*
 * Whether the index lists the session's records as the log holds them: each
 * once, in order, within its span. A list that repeats one (a forged index
 * showing a gap twice in place of a command) is not followed.
 */
static int refs_in_order(const struct ta_sesstab *t, const struct ta_sess *s)
{
	const struct ta_ref *r = t->refs + s->refs_off;

	for (uint32_t i = 0; i < s->refs_n; i++)
		if (r[i].index < s->first_index || r[i].index > s->last_index ||
		    (i && r[i].index <= r[i - 1].index))
			return 0;
	return 1;
}

static int load(struct session_view *v)
{
	const char *dir = v->dir;
	const struct ta_sesstab *t = v->ct.t;
	int err, rc, listed = t->keep_refs && v->s->refs_n;

	if (listed && !refs_in_order(t, v->s)) {
		ta_warn(NULL, "the index lists the records of session %s out of order; reading the log",
			v->id);
		listed = 0;
	}
	if (listed) {
		err = ta_transcript_load(&v->tr, dir, v->s->key, v->s->first_index, v->s->last_index,
					 t->refs + v->s->refs_off, v->s->refs_n);
		if (!err && v->tr.index_mismatch) {
			/* The index pointed at records that are not this session's: read the log. */
			ta_warn(NULL, "the index is out of date for session %s; reading the log", v->id);
			ta_transcript_free(&v->tr);
			err = ta_transcript_load(&v->tr, dir, v->s->key, v->s->first_index, UINT64_MAX,
						 NULL, 0);
		} else if (!err && v->s->global_gaps) {
			err = add_global_gaps(v);
		}
	} else {
		err = ta_transcript_load(&v->tr, dir, v->s->key, v->s->first_index, v->s->last_index,
					 NULL, 0);
	}
	if (!err && v->nclients) {
		err = ta_transcript_add_clients(&v->tr, dir, v->clients, v->nclients);
		ta_transcript_sort(&v->tr);
	}
	v->tr.who = cli_who;
	v->tr.who_ctx = (void *)t;
	v->loaded = !err;
	if (err) {
		rc = cli_log_error(dir, err);
		ta_transcript_free(&v->tr);
		free(v->clients);
		v->clients = NULL;
		cli_table_close(&v->ct);
		return rc;
	}
	return TA_EXIT_OK;
}

/* Passes events on to fn: only the kept terminal's terminal events; fn's own error is kept. */
struct each_pass {
	const char *keep;
	ta_tev_fn fn;
	void *ctx;
	int fn_err;
};

static int is_terminal_event(const struct ta_tev *e)
{
	return e->kind == TA_TEV_OUTPUT || e->kind == TA_TEV_INPUT || e->kind == TA_TEV_WINSIZE;
}

static int each_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		      const uint8_t *d)
{
	struct each_pass *p = ctx;

	if (p->keep && is_terminal_event(e) && !session_view_tty_is(ta_tev_tty(tr, e), p->keep))
		return 0;
	return p->fn_err = p->fn(p->ctx, tr, e, d);
}

int session_view_each(struct session_view *v, ta_tev_fn fn, void *ctx)
{
	const struct ta_sesstab *t = v->ct.t;
	struct each_pass p = { .keep = v->keeping ? v->keep : NULL, .fn = fn, .ctx = ctx };
	int err = -EAGAIN, rc;

	/* A damaged log is read as load does, so the damage is marked where it is. */
	if (!v->loaded && t->keep_refs && v->s->refs_n && !v->ct.damage &&
	    !(v->s->flags & TA_SESS_DAMAGE) && refs_in_order(t, v->s)) {
		uint64_t *gaps;
		size_t ngaps;
		if ((err = cli_session_gap_indexes(v->ct.t, v->s, &gaps, &ngaps)))
			return cli_log_error(v->dir, err);
		ta_transcript_free(&v->tr); /* an earlier pass's */
		/* Names are resolved by describe while streaming. */
		v->tr.who = cli_who;
		v->tr.who_ctx = (void *)t;
		err = ta_transcript_stream(&v->tr, v->dir, v->s->key, t->refs + v->s->refs_off,
					   v->s->refs_n, v->clients, v->nclients, gaps, ngaps, each_event, &p);
		free(gaps);
		if (err == -EAGAIN)
			ta_transcript_free(&v->tr);
	}
	if (err == -EAGAIN) {
		if (!v->loaded && (rc = load(v)) != TA_EXIT_OK)
			return rc;
		err = ta_transcript_each(&v->tr, each_event, &p);
	}
	if (!err || (err == SESSION_VIEW_STOP && p.fn_err == err))
		return TA_EXIT_OK;
	if (err == p.fn_err)
		return TA_EXIT_FAILURE; /* fn's: the caller says what */
	return cli_log_error(v->dir, err);
}

void session_view_close(struct session_view *v)
{
	ta_transcript_free(&v->tr);
	free(v->clients);
	v->clients = NULL;
	cli_table_close(&v->ct);
}

int session_view_damage_exit(const struct session_view *v)
{
	int len = 0;
	const char *line = ta_transcript_damage(&v->tr, &len);

	if (!v->tr.damage && !v->tr.bad_payloads && !(v->s->flags & TA_SESS_DAMAGE))
		return TA_EXIT_OK;
	/* Flagged by the table (damage next to the session's records): its first place. */
	if (!line && v->ct.damage_line[0]) {
		line = v->ct.damage_line;
		len = (int)strlen(line);
	}
	if (line)
		ta_err(NULL, "the log is damaged in session %s; the intact part was shown. %.*s", v->id,
		       len, line);
	else
		ta_err(NULL, "the log is damaged in session %s; the intact part was shown "
		       "(ttyaudit verify says where)", v->id);
	return TA_EXIT_CORRUPT;
}

static void squash(const char *in, char *out, size_t cap)
{
	size_t j = 0;

	if (!strncmp(in, "/dev/", 5))
		in += 5;
	for (; *in && j + 1 < cap; in++)
		if (*in != '/')
			out[j++] = *in;
	out[j] = '\0';
}

int session_view_tty_is(const char *have, const char *name)
{
	char a[64], b[64];

	squash(have, a, sizeof(a));
	squash(name, b, sizeof(b));
	return !strcmp(a, b);
}

void session_view_keep_tty(struct session_view *v, const char *name)
{
	char want[64], have[64];
	size_t k = 0;

	squash(name, want, sizeof(want));
	snprintf(v->keep, sizeof(v->keep), "%s", want);
	v->keeping = 1;
	if (!v->loaded)
		return; /* session_view_each filters */
	for (size_t i = 0; i < v->tr.n; i++) {
		const struct ta_tev *e = &v->tr.ev[i];
		if (is_terminal_event(e)) {
			squash(ta_tev_tty(&v->tr, e), have, sizeof(have));
			if (strcmp(have, want))
				continue;
		}
		v->tr.ev[k++] = *e;
	}
	v->tr.n = k;
}

int session_view_one_tty(struct session_view *v, const char *cmd, const char *what, const char *name)
{
	struct ta_buf names;
	int rc;

	for (uint32_t i = 0; name && i < v->s->n_ttys; i++) {
		const char *have = ta_sesstab_cstr(v->ct.t, v->s->ttys[i]); /* NULL: holds a NUL */
		if (have && session_view_tty_is(have, name)) {
			session_view_keep_tty(v, name);
			return TA_EXIT_OK;
		}
	}
	if (!name && v->s->n_ttys < 2)
		return TA_EXIT_OK;
	ta_buf_init(&names);
	for (uint32_t i = 0; i < v->s->n_ttys; i++) {
		size_t n;
		const char *tty = ta_sesstab_strn(v->ct.t, v->s->ttys[i], &n);
		if (i)
			ta_buf_puts(&names, ", ");
		ta_neutralise(tty, n, TA_NEUT_LINE, &names); /* whole: a NUL shown, not an end */
	}
	ta_buf_putc(&names, '\0');
	if (name)
		rc = cli_usage_error(cmd, "--tty %s: session %s used no such terminal; it used %s", name,
				     v->id, names.oom ? "?" : (char *)names.p);
	else
		rc = cli_usage_error(cmd, "%s%ssession %s used %u terminals (%s); choose one with --tty NAME",
				     what ? what : "", what ? ": " : "", v->id, v->s->n_ttys,
				     names.oom ? "?" : (char *)names.p);
	ta_buf_free(&names);
	return rc;
}

void view_start_init(struct view_start *s)
{
	memset(s, 0, sizeof(*s));
}

int view_start_feed(struct view_start *s, const struct ta_transcript *tr, const struct ta_tev *e)
{
	if (!s->any) {
		s->any = 1;
		s->first_ns = e->time_ns;
	}
	if (!is_terminal_event(e))
		return 0;
	if (!s->tty_len) {
		const char *name = ta_tev_tty(tr, e);
		s->tty_len = strnlen(name, sizeof(s->tty) - 1);
		memcpy(s->tty, name, s->tty_len);
		s->tty[s->tty_len] = '\0';
	}
	if (e->kind == TA_TEV_WINSIZE && e->rows && e->cols) {
		if (!s->first_rows) {
			s->first_rows = e->rows;
			s->first_cols = e->cols;
		}
		if (!s->output) {
			s->rows = e->rows;
			s->cols = e->cols;
		}
	}
	if (e->kind != TA_TEV_WINSIZE && !s->term) {
		s->term = 1;
		s->term_ns = e->time_ns;
	}
	if (e->kind == TA_TEV_OUTPUT)
		s->output = 1;
	return s->output && s->first_rows;
}

void view_start_size(const struct view_start *s, unsigned *cols, unsigned *rows)
{
	*cols = s->rows ? s->cols : s->first_cols;
	*rows = s->rows ? s->rows : s->first_rows;
	if (!*cols || !*rows) {
		*cols = 80;
		*rows = 24;
	}
}

uint64_t view_start_time(const struct view_start *s, uint64_t fallback)
{
	return s->term ? s->term_ns : s->any ? s->first_ns : fallback;
}

static int start_pass(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		      const uint8_t *d)
{
	(void)d;
	return view_start_feed(ctx, tr, e) ? SESSION_VIEW_STOP : 0;
}

int session_view_start(struct session_view *v, struct view_start *s)
{
	view_start_init(s);
	return session_view_each(v, start_pass, s);
}

int view_source_option(struct view_source *src, int c, const char *arg)
{
	switch (c) {
	case 'd': src->dir = arg; break;
	case 'X': src->index_opt = arg; break;
	case 'N': src->no_index = 1; break;
	case 'W': src->fleet = arg; return 1;
	case 'G': src->origin = arg; return 1;
	default: return 0;
	}
	src->local = 1; /* a local log's options */
	return 1;
}

int view_source_session(const char *cmd, int argc, char **argv)
{
	if (optind == argc)
		return cli_usage_error(cmd, "needs a SESSION (an id that 'ttyaudit query' lists)");
	if (optind + 1 != argc)
		return cli_usage_error(cmd, "takes one SESSION; '%s' is one too many", argv[optind + 1]);
	return TA_EXIT_OK;
}

int view_source_check(const char *cmd, const struct view_source *src)
{
	if (src->origin && !src->fleet)
		return cli_usage_error(cmd, "--origin names a host of the fleet: give --fleet DSN too");
	if (!src->fleet)
		return TA_EXIT_OK;
	if (src->local)
		return cli_usage_error(cmd, "--fleet reads the fleet's database: not with --log-dir, "
				       "--index or --no-index");
	if (!src->origin)
		return cli_usage_error(cmd, "--fleet needs --origin HOST (session ids are per host; "
				       "'ttyaudit query --fleet' lists them with their host)");
#ifndef TA_HAVE_FLEET
	return cli_usage_error(cmd, "--fleet: this ttyaudit was built without the fleet tier (libpq)");
#else
	return TA_EXIT_OK;
#endif
}

int view_source_find(struct session_view *v, const struct view_source *src, const char *arg)
{
#ifdef TA_HAVE_FLEET
	if (src->fleet)
		return session_view_open_fleet(v, src->fleet, src->origin, arg);
#endif
	return find(v, src->dir, src->index_opt, src->no_index, arg);
}


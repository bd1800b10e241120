// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit query: list sessions (or their commands) matching filters. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_json.h"
#include "cli/cli_util.h"
#include "cli/cli_wrap.h"
#include "cli/commands.h"
#ifdef TA_HAVE_FLEET
#include "cli/fleet_index.h"
#include "cli/fleet_source.h"
#endif
#include "cli/session_view.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "store/store.h"
#include "cli/query_footprint.h"
#include "view/grep.h"
#include "view/neutralise.h"
#include "view/transcript.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit query [OPTIONS]\n"
		"\n"
		"Lists recorded sessions, oldest first. Filters combine (all must match).\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  -u, --user USER    login user (audit uid), by name or number; sudo/su keep it\n"
		"  --uid UID          an effective uid seen on the session's output or commands\n"
		"  -s, --session ID   a session (BOOT-SES as listed, or an audit session id)\n"
		"  --host TEXT        login host or address contains TEXT\n"
		"  --no-login         terminals used outside any login session (docker exec,\n"
		"                     ptys of daemons): one session per terminal and leader\n"
		"  --tty NAME         used terminal (pts3, pts/3, ttyS0, ...)\n"
		"  --since TIME       sessions active at or after TIME\n"
		"  --until TIME       sessions active at or before TIME\n"
		"                     TIME: 2026-03-01, '2026-03-01 12:00', RFC 3339, 2h, 30m,\n"
		"                     3d, 1w (ago), today, yesterday, now, @UNIXTIME\n"
		"  -g, --grep REGEX   sessions whose input, output or commands match (POSIX ERE)\n"
		"  -i, --ignore-case  for --grep\n"
		"  --file PATH        sessions that wrote, created, renamed, deleted or changed\n"
		"                     the mode/owner of PATH (a bare name: any directory)\n"
		"  --connect HOST[:PORT]  sessions that connected to or accepted a connection\n"
		"                     from HOST (a name: its addresses now; [V6]:PORT)\n"
		"  --privileged       sessions with a privilege change (setuid, setgid, capset,\n"
		"                     a set-user-ID program such as sudo, su, pkexec)\n"
		"  --alerts           sessions that raised an alert (show lists them)\n"
		"  -c, --commands     list the executed commands of the matching sessions\n"
		"  -n, --limit N      at most N rows\n"
		"  -r, --reverse      newest first\n"
		"  --json             JSON Lines: one object per session (or command)\n"
		"  --width N          rows of at most N columns, '+ ' before the rest of a row;\n"
		"                     default: the terminal's width on a terminal, else whole\n"
		"  --index FILE       index file to use and update (default DIR/index/sessions.idx,\n"
		"                     else a per-user cache)\n"
		"  --no-index         read the whole log, ignore and do not write an index\n"
		"  --fleet DSN        every enrolled host, from the fleet's PostgreSQL (the\n"
		"                     collector's; a ttyaudit_investigator role): rows in start\n"
		"                     order led by the host; CKPT: covered by a cosigned checkpoint;\n"
		"                     --grep and --commands read the sessions' stored records\n"
		"  --origin TEXT      with --fleet: hosts whose log origin contains TEXT\n"
		"\n"
		"Exit: 0 rows printed or none matched, 2 usage, 4 not allowed to read the log,\n"
		"6 no log (--fleet: database unreachable), 8 the log is damaged (the intact part\n"
		"was listed).\n",
		TA_STORE_DEFAULT_DIR);
}

struct query {
	int have_user, have_uid, have_session, ses_only, icase, commands, json, reverse, no_login;
	uint32_t user_uid;
	const char *user_name;
	uint32_t uid;
	uint64_t session;
	const char *host, *tty, *grep;
	uint64_t since, until;
	long limit;
	struct ta_grep g;
	unsigned long grep_cut; /* sessions not listed whose search was cut (grep.h) */
	uint64_t ckpt_size;
	struct ta_qfp fp;
	unsigned columns; /* rows cut at (cli_wrap.h; never JSON), 0: whole */
};

static int tty_match(const char *have, const char *want)
{
	/* "pts/3" and "pts3" name the same terminal. */
	char a[64], b[64];
	size_t i = 0, j = 0;

	for (; *have && i < sizeof(a) - 1; have++)
		if (*have != '/')
			a[i++] = *have;
	a[i] = '\0';
	if (!strncmp(want, "/dev/", 5))
		want += 5;
	for (; *want && j < sizeof(b) - 1; want++)
		if (*want != '/')
			b[j++] = *want;
	b[j] = '\0';
	return !strcmp(a, b);
}

/* Whether the session's recorded login name is name, whole: "root\u0000x" is not "root". */
static int user_is(const struct ta_sesstab *t, const struct ta_sess *s, const char *name)
{
	const char *u = s->user ? ta_sesstab_cstr(t, s->user) : NULL;

	return u && !strcmp(u, name);
}

/* Whether a terminal of the table (a NUL in it: none) is want. */
static int tty_is(const struct ta_sesstab *t, uint32_t off, const char *want)
{
	const char *have = ta_sesstab_cstr(t, off);

	return have && tty_match(have, want);
}

static int match_meta(const struct query *q, const struct ta_sesstab *t, const struct ta_sess *s)
{
	if (q->have_user) {
		int ok = s->auid == q->user_uid && q->user_uid != TA_ID_NONE;
		if (!ok && q->user_name && user_is(t, s, q->user_name))
			ok = 1;
		if (!ok)
			return 0;
	}
	if (q->no_login && !ta_ses_is_no_login(s->ses))
		return 0;
	if (q->have_uid) {
		int ok = 0;
		for (uint32_t i = 0; i < s->n_uids; i++)
			ok |= s->uids[i] == q->uid;
		if (!ok && !(s->flags & TA_SESS_MORE_UIDS))
			return 0;
	}
	if (q->have_session) {
		if (q->ses_only ? s->ses != (uint32_t)q->session : s->key != q->session)
			return 0;
	}
	if (q->host) {
		/* In the whole value: text after a NUL in it is searched too. */
		size_t hn, an, wn = strlen(q->host);
		const char *h = ta_sesstab_strn(t, s->host, &hn), *a = ta_sesstab_strn(t, s->addr, &an);
		if (!memmem(h, hn, q->host, wn) && !memmem(a, an, q->host, wn))
			return 0;
	}
	if (q->tty) {
		int ok = 0;
		for (uint32_t i = 0; i < s->n_ttys; i++)
			ok |= tty_is(t, s->ttys[i], q->tty);
		if (!ok && s->terminal)
			ok = tty_is(t, s->terminal, q->tty);
		if (!ok)
			return 0;
	}
	if (q->since && ta_sess_finish(s) < q->since)
		return 0;
	if (q->until && ta_sess_begin(s) > q->until)
		return 0;
	return 1;
}

struct grep_state {
	struct query *q;
	struct ta_grep_stream in, out;
	struct ta_buf desc;
	int hit;  /* 1, 0, or -ENOMEM */
	int cut;  /* a command's search was cut */
};

/* One event of a session in order (ta_tev_fn): 1 stops at the first match, -ENOMEM too. */
static int grep_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		      const uint8_t *d)
{
	struct grep_state *g = ctx;

	if (e->kind == TA_TEV_OUTPUT || e->kind == TA_TEV_INPUT) {
		g->hit = ta_grep_stream_feed(e->kind == TA_TEV_OUTPUT ? &g->out : &g->in, d, e->len);
	} else if (e->kind == TA_TEV_EXEC) {
		ta_buf_reset(&g->desc);
		ta_tev_describe(tr, e, &g->desc);
		g->hit = g->desc.oom ? -ENOMEM : ta_grep_match(&g->q->g, g->desc.p, g->desc.len, &g->cut);
	}
	return g->hit;
}

static void grep_init(struct grep_state *g, struct query *q)
{
	memset(g, 0, sizeof(*g));
	g->q = q;
	ta_grep_stream_init(&g->in, &q->g);
	ta_grep_stream_init(&g->out, &q->g);
	ta_buf_init(&g->desc);
}

/* 1 match, 0 none (counted in grep_cut when cut), -ENOMEM: the search failed. */
static int grep_finish(struct grep_state *g)
{
	if (!g->hit && !(g->hit = ta_grep_stream_finish(&g->out)))
		g->hit = ta_grep_stream_finish(&g->in);
	if (!g->hit && (g->cut || g->out.cut || g->in.cut))
		g->q->grep_cut++;
	ta_grep_stream_free(&g->in);
	ta_grep_stream_free(&g->out);
	ta_buf_free(&g->desc);
	return g->hit;
}

/* Whether the session's input stream, output stream or a command matches. */
static int grep_session(struct query *q, const struct ta_transcript *tr)
{
	struct grep_state g;

	grep_init(&g, q);
	ta_transcript_each(tr, grep_event, &g);
	return grep_finish(&g);
}

/* Says that a match longer than the views' bound may have been missed (grep.h). */
static void grep_cut_note(const struct query *q)
{
	if (q->grep_cut)
		ta_warn("query", "--grep: %lu session%s not listed held a line longer than %u KiB "
			"(a stream, for a pattern that can span lines), searched in windows: a match "
			"longer than %u KiB in it is not found", q->grep_cut, q->grep_cut == 1 ? "" : "s",
			2 * TA_VIEW_LINE_MAX >> 10, TA_VIEW_LINE_MAX >> 10);
}

/* A search that ran out of memory is an error, never "no match": one line, exit 1. */
static int grep_failed(const struct ta_sess *s)
{
	char id[32];

	ta_sess_id(s->key, id, sizeof(id));
	ta_err("query", "--grep: out of memory searching session %s", id);
	return TA_EXIT_FAILURE;
}

/*
 * --grep without keeping the session: its records are decoded and searched in
 * order (ta_transcript_stream). 1 match, 0 none, -EAGAIN: load it instead, -ENOMEM.
 */
static int grep_stream(struct query *q, const char *dir, const struct ta_sesstab *t,
		       const struct ta_sess *s, uint64_t *damage)
{
	struct ta_transcript tr;
	struct grep_state g;
	uint64_t *clients = NULL;
	size_t nclients = 0;

	if (!t->keep_refs || !s->refs_n || (s->flags & TA_SESS_DAMAGE))
		return -EAGAIN;
	grep_init(&g, q);
	memset(&tr, 0, sizeof(tr));
	int err = ta_transcript_stream(&tr, dir, s->key, t->refs + s->refs_off, s->refs_n, clients,
				       nclients, NULL, 0, grep_event, &g);
	*damage = tr.damage + tr.bad_payloads;
	ta_transcript_free(&tr);
	int hit = grep_finish(&g);
	if (err < 0)
		return err;
	return hit;
}

static int load_transcript(const char *dir, const struct ta_sesstab *t, const struct ta_sess *s,
			   struct ta_transcript *tr)
{
	if (t->keep_refs && s->refs_n)
		return ta_transcript_load(tr, dir, s->key, s->first_index, s->last_index,
					  t->refs + s->refs_off, s->refs_n);
	return ta_transcript_load(tr, dir, s->key, s->first_index, s->last_index, NULL, 0);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether the person of a shared-terminal link is the --user of the query. */
static int typist_is(const struct query *q, const struct ta_sesstab *t, const struct ta_shared_link *l)
{
	if (l->typist_auid == TA_ID_NONE)
		return 0;
	if (q->user_uid != TA_ID_NONE && l->typist_auid == q->user_uid)
		return 1;
	if (q->user_name) {
		long i = ta_sesstab_find(t, l->typist_key);
		if (i >= 0 && user_is(t, &t->s[i], q->user_name))
			return 1;
	}
	return 0;
}

/* --user: the ordinals, sorted, of others' sessions whose panes the user typed into. */
static size_t shared_panes(const struct query *q, const struct ta_sesstab *t, uint32_t **out)
{
	size_t n = 0;
	*out = NULL;
	if (!q->have_user || !t->nlinks || !(*out = malloc(t->nlinks * sizeof(**out))))
		return 0;
	for (size_t l = 0; l < t->nlinks; l++) {
		const struct ta_shared_link *lk = &t->links[l];
		if (lk->pane_key == lk->typist_key || !typist_is(q, t, lk))
			continue;
		long o2 = ta_sesstab_find(t, lk->pane_key);
		if (o2 >= 0)
			(*out)[n++] = (uint32_t)o2;
	}
	qsort(*out, n, sizeof(**out), cmp_u32);
	return n;
}

/* cli_link_match_fn: the typist of a link is the --user of the query. */
static int link_typist_is(const void *ctx, const struct ta_sesstab *t, const struct ta_shared_link *l)
{
	return typist_is(ctx, t, l);
}

static void print_row(struct ta_buf *o, const struct ta_sesstab *t, const struct ta_sess *s,
		      uint64_t ckpt, const struct query *shared_q)
{
	char id[32], ub[64], start[32], dur[32], bin[16], bout[16], lost[48];
	size_t n;

	ta_sess_id(s->key, id, sizeof(id));
	cli_fmt_time(ta_sess_begin(s), start, sizeof(start), 0);
	cli_fmt_duration(ta_sess_finish(s) - ta_sess_begin(s), dur, sizeof(dur));
	cli_fmt_bytes(s->bytes_in, bin, sizeof(bin));
	cli_fmt_bytes(s->bytes_out, bout, sizeof(bout));
	/* LOST: what the gaps say was lost, "bytes/events" (as show's header and GAP lines). */
	cli_fmt_bytes(ta_sess_lost_bytes(s), lost, sizeof(lost));
	snprintf(lost + strlen(lost), sizeof(lost) - strlen(lost), "/%" PRIu64, ta_sess_lost_events(s));
	/*
	 * Names whole, by length (a NUL in one is shown \x00), neutralised and quoted
	 * when they hold a space (cli_put_name), in cells padded by display columns.
	 */
	ta_buf_printf(o, "%-20s ", id);
	size_t at = o->len;
	const char *un = cli_user_name(t, s, ub, sizeof(ub), &n);
	char num[16];
	snprintf(num, sizeof(num), "%u", s->auid);
	cli_put_name(o, un, n);
	if (s->auid != TA_ID_NONE && (n != strlen(num) || memcmp(un, num, n)))
		ta_buf_printf(o, "(%u)", s->auid);
	cli_pad(o, at, 16);
	ta_buf_putc(o, ' ');
	if (s->flags & TA_SESS_LOGIN) {
		const char *from = "local", *prog = "-";
		n = strlen(from);
		if (s->host || s->addr)
			from = ta_sesstab_strn(t, s->host ? s->host : s->addr, &n);
		at = o->len;
		cli_put_name(o, from, n);
		cli_pad(o, at, 18);
		ta_buf_putc(o, ' ');
		n = strlen(prog);
		if (s->prog)
			prog = ta_sesstab_strn(t, s->prog, &n);
		at = o->len;
		cli_put_name(o, prog, n);
		/* A login uid no login service set: the user name is only a claim. */
		if (s->flags & TA_SESS_UNVERIFIED)
			ta_buf_puts(o, "?unverified");
		cli_pad(o, at, 10);
		ta_buf_putc(o, ' ');
	} else {
		/* No login record: the login uid is a claim nobody vouched for. */
		ta_buf_printf(o, "%-29s ", ta_ses_is_no_login(s->ses) ? "(no login session)"
					   : ta_sess_unverified(s) ? "(no login record)?unverified"
								   : "(login details n/a)");
	}
	ta_buf_printf(o, "%-19s %-8s%s ", start, dur, (s->flags & TA_SESS_ENDED) ? " " : "+");
	at = o->len;
	for (uint32_t i = 0; i < s->n_ttys; i++) {
		const char *tty = ta_sesstab_strn(t, s->ttys[i], &n);
		if (i)
			ta_buf_putc(o, ',');
		cli_put_name(o, tty, n);
	}
	if (s->flags & TA_SESS_MORE_TTYS)
		ta_buf_puts(o, ",...");
	if (o->len == at)
		ta_buf_putc(o, '-');
	cli_pad(o, at, 10);
	ta_buf_printf(o, " %7s %7s %4" PRIu64 "%s %-12s %s\n", bin, bout, s->gaps + s->global_gaps,
		      (s->flags & TA_SESS_DAMAGE) ? "!" : " ", lost, s->last_index < ckpt ? "yes" : "no");
	if (shared_q) {
		/* Listed for --user because that person typed into one of its panes. */
		uint32_t auid = TA_ID_NONE;
		uint64_t key = 0;
		for (size_t l = 0; l < t->nlinks && auid == TA_ID_NONE; l++)
			if (t->links[l].pane_key == s->key && t->links[l].pane_key != t->links[l].typist_key &&
			    typist_is(shared_q, t, &t->links[l])) {
				auid = t->links[l].typist_auid;
				key = t->links[l].typist_key;
			}
		o->len--; /* before the newline */
		ta_buf_puts(o, "  typed in by ");
		const char *who = cli_who((void *)t, auid, key, ub, sizeof(ub), &n);
		cli_put_name(o, who, n);
		ta_buf_puts(o, " (shared)\n");
	}
}

/*
 * Whether s (the session of ordinal ord; s may be a copy read from the index)
 * is listed: its own metadata matches, or (--user) it is a shared pane the
 * user typed into.
 */
static int session_matches(const struct query *q, const struct ta_sesstab *t, const struct ta_sess *s,
			   uint32_t ord, const uint32_t *shared, size_t nshared, int *via_link)
{
	*via_link = 0;
	if (match_meta(q, t, s))
		return 1;
	if (!nshared || !bsearch(&ord, shared, nshared, sizeof(*shared), cmp_u32))
		return 0;
	struct query q2 = *q;
	q2.have_user = 0;
	if (!match_meta(&q2, t, s))
		return 0;
	*via_link = 1;
	return 1;
}

/* A fleet host leading a text row. */
static void host_cell(struct ta_buf *o, const char *origin)
{
	size_t at = o->len;

	cli_put_name(o, origin, strlen(origin));
	cli_pad(o, at, 24);
	ta_buf_putc(o, ' ');
}

/* One session's row or JSON object; origin (a fleet host) leads it when given. */
static void emit_session(struct ta_buf *o, const struct query *q, const struct ta_sesstab *t,
			 const struct ta_sess *s, int via_link, const char *origin)
{
	if (q->json) {
		struct ta_json j;
		ta_json_adopt(&j, o);
		ta_json_obj_begin(&j);
		cli_sess_json_members(&j, t, s, q->ckpt_size, origin);
		if (via_link) /* what the --user typed into this session's panes */
			cli_typed_in_json_members(&j, t, s, link_typist_is, q);
		ta_json_obj_end(&j);
		ta_json_release(&j, o);
		ta_buf_putc(o, '\n');
		return;
	}
	if (origin)
		host_cell(o, origin);
	print_row(o, t, s, q->ckpt_size, via_link ? q : NULL);
}

/* The executed commands of a session; origin (a fleet host) leads each when given. */
static void print_commands(struct ta_buf *o, struct query *q, const struct ta_sesstab *t,
			   const struct ta_sess *s, const struct ta_transcript *tr, const char *origin)
{
	char id[32], ub[64], tm[48];
	struct ta_buf d;

	ta_buf_init(&d);
	ta_sess_id(s->key, id, sizeof(id));
	for (size_t i = 0; i < tr->n; i++) {
		const struct ta_tev *e = &tr->ev[i];
		if (e->kind != TA_TEV_EXEC)
			continue;
		if (q->json) {
			cli_command_json(o, t, s, tr, e, origin);
			continue;
		}
		cli_fmt_time(e->time_ns, tm, sizeof(tm), 0);
		ta_buf_reset(&d);
		ta_tev_describe(tr, e, &d);
		if (origin)
			host_cell(o, origin);
		ta_buf_printf(o, "%s  %-20s ", tm, id);
		size_t un;
		const char *user = cli_user_name(t, s, ub, sizeof(ub), &un);
		cli_put_name(o, user, un);
		ta_buf_puts(o, "  ");
		ta_neutralise(d.p, d.len, TA_NEUT_LINE, o);
		ta_buf_putc(o, '\n');
	}
	ta_buf_free(&d);
}

#ifdef TA_HAVE_FLEET
/* A listed session of the fleet: its row, and where it sorts. */
struct fleet_row {
	uint64_t start;
	size_t host, off, len;
};

static int fleet_row_cmp(const void *a, const void *b)
{
	const struct fleet_row *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * query --fleet: the same filters and rows over every enrolled host (or those
 * whose origin contains --origin), each host's sessions from the records the
 * collector verified; rows of all hosts in start order, each led by its host.
 */
static int query_fleet(struct query *q, const char *dsn, const char *origin_pat)
{
	char err[512], dline[512] = "";
	struct cli_fleet *f = NULL;
	char **origins = NULL;
	size_t n_origins = 0, n_rows = 0, cap_rows = 0;
	struct fleet_row *rows = NULL;
	struct ta_buf text;
	uint64_t damage = 0;
	int name_seen = 0;
	ta_buf_init(&text);
	int rc = cli_fleet_open(&f, dsn, err, sizeof(err));
	/* --grep, --commands and the footprint filters read the sessions' records. */
	int reads_records = q->grep || q->commands || ta_qfp_active(&q->fp);
	/* Filters the session index narrows: only the sessions they may match are read. */
	struct cli_fleet_filter flt = {
		.have_user = q->have_user, .auid = q->user_uid, .user = q->user_name,
		.since = q->since, .until = q->until, .host = q->host, .tty = q->tty,
		.have_session = q->have_session, .ses_only = q->ses_only, .session = q->session,
		/* Sessions whose records are read (below): only theirs, not their spans'. */
		.keep_refs = reads_records,
	};
	struct cli_fleet_host *ix = NULL;
	size_t n_enrolled = 0;
	int narrowed = cli_fleet_filter_narrows(&flt);
	if (!rc && narrowed)
		rc = cli_fleet_index_read(f, &flt, origin_pat, &ix, &n_origins, &n_enrolled, err,
					  sizeof(err));
	else if (!rc)
		rc = cli_fleet_origins(f, origin_pat, &origins, &n_origins, err, sizeof(err));
	if (!rc && !(narrowed ? n_enrolled : n_origins)) {
		snprintf(err, sizeof(err), "--origin: no enrolled host's origin contains '%s'",
			 origin_pat ? origin_pat : "");
		rc = origin_pat ? TA_EXIT_USAGE : TA_EXIT_OK;
		if (!origin_pat)
			err[0] = '\0';
	}
	for (size_t h = 0; !rc && h < n_origins; h++) {
		struct ta_sesstab t;
		const char *origin = narrowed ? ix[h].origin : origins[h];
		const struct cli_fleet_host *hx = narrowed && !ix[h].full ? &ix[h] : NULL;
		if (hx) {
			t = ix[h].t;
			ix[h].have_table = 0;
			q->ckpt_size = hx->cosigned;
		} else {
			rc = cli_fleet_table(f, origin, &t, &q->ckpt_size, &damage, dline, sizeof(dline),
					     err, sizeof(err));
		}
		if (rc)
			break;
		for (size_t i = 0; q->user_name && !name_seen && i < t.n; i++)
			name_seen = user_is(&t, &t.s[i], q->user_name);
		uint32_t *shared = NULL;
		size_t nshared = shared_panes(q, &t, &shared);
		for (size_t k = 0; k < t.n; k++) {
			const struct ta_sess *s = &t.s[k];
			int via_link;
			/* Read from the index for another session's row: its own may lack records. */
			if (hx && !cli_fleet_host_may_match(hx, s->key))
				continue;
			if (!session_matches(q, &t, s, (uint32_t)k, shared, nshared, &via_link))
				continue;
			struct ta_transcript tr;
			if (reads_records) {
				rc = cli_fleet_transcript(f, origin, &t, s, NULL, 0, &tr, err, sizeof(err));
				if (rc)
					break;
				/* Its damage is the table's, counted already (cli_fleet_table). */
				int hit = q->grep ? grep_session(q, &tr) : 1;
				if (hit < 0) {
					ta_transcript_free(&tr);
					rc = TA_EXIT_FAILURE;
					char id[32];
					ta_sess_id(s->key, id, sizeof(id));
					snprintf(err, sizeof(err), "--grep: out of memory searching "
						 "session %s", id);
					break;
				}
				if (!hit || (ta_qfp_active(&q->fp) && !ta_qfp_match(&q->fp, &tr))) {
					ta_transcript_free(&tr);
					continue;
				}
			}
			if (n_rows == cap_rows) {
				size_t nc = cap_rows ? cap_rows * 2 : 64;
				struct fleet_row *nr = realloc(rows, nc * sizeof(*nr));
				if (!nr) {
					rc = TA_EXIT_FAILURE;
					snprintf(err, sizeof(err), "out of memory");
					if (reads_records)
						ta_transcript_free(&tr);
					break;
				}
				rows = nr;
				cap_rows = nc;
			}
			struct fleet_row *r = &rows[n_rows++];
			r->start = ta_sess_begin(s);
			r->host = h;
			r->off = text.len;
			if (q->commands)
				print_commands(&text, q, &t, s, &tr, origin);
			else
				emit_session(&text, q, &t, s, via_link, origin);
			r->len = text.len - r->off;
			if (reads_records)
				ta_transcript_free(&tr);
		}
		free(shared);
		ta_sesstab_free(&t);
		if (text.oom && !rc) {
			rc = TA_EXIT_FAILURE;
			snprintf(err, sizeof(err), "out of memory");
		}
	}
	if (!rc && q->user_name && !name_seen) {
		snprintf(err, sizeof(err), "--user: no session of the fleet has the login name '%s' "
			 "(names are the ones recorded at login; a number is a login uid)", q->user_name);
		rc = TA_EXIT_USAGE;
	}
	if (!rc) {
		if (n_rows > 1) /* rows is NULL while empty: qsort(NULL, 0) is undefined */
			qsort(rows, n_rows, sizeof(*rows), fleet_row_cmp);
		struct ta_buf o;
		ta_buf_init(&o);
		if (!q->json && !q->commands)
			ta_buf_printf(&o, "%-24s %-20s %-16s %-18s %-10s %-19s %-9s %-10s %7s %7s %4s  "
				      "%-12s %s\n", "HOST", "SESSION", "USER(AUID)", "FROM", "VIA", "START",
				      "DURATION", "TTYS", "IN", "OUT", "GAPS", "LOST(B/EV)", "CKPT");
		for (size_t k = 0; k < n_rows && (q->limit < 0 || (long)k < q->limit); k++) {
			const struct fleet_row *r = &rows[q->reverse ? n_rows - 1 - k : k];
			/* A row may be empty (--commands of a session without any): text.p NULL. */
			if (r->len)
				ta_buf_put(&o, text.p + r->off, r->len);
			if (o.len > (1u << 16))
				cli_wrap_flush(&o, stdout, q->columns, CLI_WRAP_FINAL | CLI_WRAP_UNMARKED);
		}
		cli_wrap_flush(&o, stdout, q->columns, CLI_WRAP_FINAL | CLI_WRAP_UNMARKED);
		ta_buf_free(&o);
		if (damage) {
			ta_err(NULL, "the fleet's copy is damaged (%" PRIu64 " place%s); the intact part "
			       "was shown. First: %s", damage, damage == 1 ? "" : "s", dline);
			rc = TA_EXIT_CORRUPT;
		}
	} else if (err[0]) {
		ta_err(NULL, "%s", err);
	}
	cli_fleet_hosts_free(ix, narrowed ? n_origins : 0);
	free(rows);
	free(origins);
	ta_buf_free(&text);
	cli_fleet_close(f);
	grep_cut_note(q);
	if (fflush(stdout) && !rc)
		rc = TA_EXIT_FAILURE;
	return rc;
}
#endif

int ta_cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "uid", required_argument, NULL, 'U' },
		{ "session", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "no-login", no_argument, NULL, 'L' },
		{ "tty", required_argument, NULL, 't' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'T' },
		{ "grep", required_argument, NULL, 'g' },
		{ "ignore-case", no_argument, NULL, 'i' },
		{ "commands", no_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'F' },
		{ "connect", required_argument, NULL, 'C' },
		{ "privileged", no_argument, NULL, 'P' },
		{ "alerts", no_argument, NULL, 'A' },
		{ "limit", required_argument, NULL, 'n' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "width", required_argument, NULL, 'w' },
		{ "index", required_argument, NULL, 'X' },
		{ "no-index", no_argument, NULL, 'N' },
		{ "fleet", required_argument, NULL, 'W' },
		{ "origin", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = TA_STORE_DEFAULT_DIR, *index_opt = NULL, *fleet = NULL, *origin = NULL;
	int local_only = 0;
	struct query q = { .limit = -1 };
	int c, mode = CLI_INDEX_AUTO, rc;
	long width = -1;
	uint64_t now = cli_now_ns();
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:u:s:g:icn:rh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; local_only = 1; break;
		case 'W': fleet = optarg; break;
		case 'O': origin = optarg; break;
		case 'u':
			/*
			 * A number is a login uid; a name is the login name recorded in
			 * the log. Never this host's passwd: the log may come from
			 * another host, where the same name had another uid.
			 */
			q.have_user = 1;
			q.user_name = NULL;
			q.user_uid = TA_ID_NONE;
			if (cli_parse_login_uid(optarg, &q.user_uid))
				q.user_name = optarg;
			break;
		case 'U':
			q.have_uid = 1;
			if (cli_user_option("--uid", optarg, &q.uid))
				return TA_EXIT_USAGE;
			break;
		case 's':
			q.have_session = 1;
			if (cli_session_option("--session", optarg, &q.session, &q.ses_only))
				return TA_EXIT_USAGE;
			break;
		case 'H': q.host = optarg; break;
		case 'L': q.no_login = 1; break;
		case 't': q.tty = optarg; break;
		case 'S':
		case 'T':
			if (cli_parse_time(optarg, now, c == 'S' ? &q.since : &q.until)) {
				ta_err(NULL, "--%s: cannot read the time '%s'; accepted: " CLI_TIME_FORMS,
				       c == 'S' ? "since" : "until", optarg);
				return TA_EXIT_USAGE;
			}
			break;
		case 'g': q.grep = optarg; break;
		case 'i': q.icase = 1; break;
		case 'c': q.commands = 1; break;
		case 'F':
			if (!*optarg) {
				ta_err(NULL, "--file: empty path");
				return TA_EXIT_USAGE;
			}
			q.fp.file = optarg;
			break;
		case 'C': {
			char msg[300];

			if (ta_qfp_set_connect(&q.fp, optarg, msg, sizeof(msg))) {
				ta_err(NULL, "--connect: %s", msg);
				return TA_EXIT_USAGE;
			}
			break;
		}
		case 'P': q.fp.privileged = 1; break;
		case 'A': q.fp.alerts = 1; break;
		case 'n':
			q.limit = strtol(optarg, &end, 10);
			if (*end || q.limit < 0) {
				ta_err(NULL, "--limit: not a number: '%s'", optarg);
				return TA_EXIT_USAGE;
			}
			break;
		case 'r': q.reverse = 1; break;
		case 'j': q.json = 1; break;
		case 'w':
			if (cli_wrap_parse(optarg, &width))
				return cli_usage_error("query", "--width: '%s' is not a number of columns "
						       "(0 to 65535; 0: rows whole)", optarg);
			break;
		case 'X': index_opt = optarg; local_only = 1; break;
		case 'N': mode = CLI_INDEX_NONE; local_only = 1; break;
		case 'h': usage(stdout); return TA_EXIT_OK;
		default: return cli_usage_error("query", NULL);
		}
	}
	q.columns = q.json ? 0 : cli_wrap_columns(width);
	if (optind < argc) {
		ta_err(NULL, "query: unexpected argument '%s'", argv[optind]);
		return TA_EXIT_USAGE;
	}
	if (q.since && q.until && q.since > q.until) {
		char a[32], b[32];
		cli_fmt_time(q.since, a, sizeof(a), 0);
		cli_fmt_time(q.until, b, sizeof(b), 0);
		ta_err(NULL, "--since (%s) is later than --until (%s): no session can match; give the "
		       "earlier time to --since", a, b);
		return TA_EXIT_USAGE;
	}
	if (origin && !fleet) {
		ta_err(NULL, "--origin chooses hosts of the fleet: give --fleet DSN too");
		return TA_EXIT_USAGE;
	}
	if (fleet) {
		if (local_only) {
			ta_err(NULL, "--fleet reads the fleet's database: not with --log-dir, --index or "
			       "--no-index");
			return TA_EXIT_USAGE;
		}
#ifdef TA_HAVE_FLEET
		if (q.grep) {
			char msg[256];
			if (ta_grep_compile(&q.g, q.grep, q.icase, msg, sizeof(msg))) {
				ta_err(NULL, "--grep: %s", msg);
				return TA_EXIT_USAGE;
			}
		}
		rc = query_fleet(&q, fleet, origin);
		if (q.grep)
			ta_grep_free(&q.g);
		return rc;
#else
		ta_err(NULL, "--fleet: this ttyaudit was built without the fleet tier (libpq)");
		return TA_EXIT_USAGE;
#endif
	}
	if (q.grep) {
		char msg[256];
		if (ta_grep_compile(&q.g, q.grep, q.icase, msg, sizeof(msg))) {
			ta_err(NULL, "--grep: %s", msg);
			return TA_EXIT_USAGE;
		}
	}

	struct cli_table ct;
	rc = cli_table_open(&ct, dir, index_opt, mode, 1);
	if (rc != TA_EXIT_OK) {
		if (q.grep)
			ta_grep_free(&q.g);
		return rc;
	}
	char why[256];
	ta_store_latest_checkpoint(dir, &q.ckpt_size, why, sizeof(why));

	const struct ta_sesstab *t = ct.t;
	const uint32_t *cand = NULL;
	size_t ncand = t->n;
	int by_auid = 0;
	if (q.have_user && q.user_uid == TA_ID_NONE) {
		/* A name is only ever the login name recorded in the log: say when none has it. */
		size_t i = 0;
		while (i < t->n && !user_is(t, &t->s[i], q.user_name))
			i++;
		if (i == t->n) {
			ta_err(NULL, "--user: no session in the log has the login name '%s' (names are "
			       "the ones recorded at login, whatever this host's passwd says; a number "
			       "is a login uid)", q.user_name);
			cli_table_close(&ct);
			if (q.grep)
				ta_grep_free(&q.g);
			return TA_EXIT_USAGE;
		}
	}
	if (ct.have_index && q.have_user && q.user_uid != TA_ID_NONE) {
		ncand = ta_index_by_auid(&ct.ix, q.user_uid, &cand);
		by_auid = 1;
	}
	/* --user: also the panes of others' sessions the user typed into (shared terminals). */
	uint32_t *shared = NULL, *merged = NULL;
	size_t nshared = shared_panes(&q, t, &shared);
	if (nshared && by_auid) {
		/* Both lists in start order (ordinals): merge them. */
		merged = malloc((ncand + nshared) * sizeof(*merged));
		size_t a = 0, b = 0, m = 0;
		while (merged && (a < ncand || b < nshared)) {
			uint32_t x = b >= nshared || (a < ncand && cand[a] <= shared[b]) ? cand[a++] : shared[b++];
			if (!m || merged[m - 1] != x)
				merged[m++] = x;
		}
		if (merged) {
			cand = merged;
			ncand = m;
		}
	}

	struct ta_buf o;
	ta_buf_init(&o);
	if (!q.json && !q.commands)
		ta_buf_printf(&o, "%-20s %-16s %-18s %-10s %-19s %-9s %-10s %7s %7s %4s  %-12s %s\n",
			      "SESSION", "USER(AUID)", "FROM", "VIA", "START", "DURATION", "TTYS", "IN",
			      "OUT", "GAPS", "LOST(B/EV)", "CKPT");
	long shown = 0;
	uint64_t more_damage = 0;
	char more_line[512] = "";
	for (size_t k = 0; k < ncand; k++) {
		if (q.limit >= 0 && shown >= q.limit)
			break;
		size_t idx = q.reverse ? ncand - 1 - k : k;
		uint32_t ord = (uint32_t)(by_auid ? cand[idx] : idx);
		const struct ta_sess *s = &t->s[ord];
		struct ta_sess row;
		/* A copy read from the index file: cheaper than faulting in its page. */
		if (by_auid && !ta_index_read_sessions(&ct.ix, &ord, 1, &row))
			s = &row;
		if (!ta_sess_sane(t, s)) {
			ta_warn(NULL, "the index is damaged; run 'ttyaudit reindex'");
			continue;
		}
		int via_link = 0;
		if (!session_matches(&q, t, s, ord, shared, nshared, &via_link))
			continue;
		struct ta_transcript tr;
		int loaded = 0, streamed = 0;
		if (q.grep && !q.commands && !ct.damage) {
			uint64_t dmg = 0;
			int hit = grep_stream(&q, dir, t, s, &dmg);
			if (hit == 0)
				continue;
			if (hit == -ENOMEM) {
				rc = grep_failed(s);
				ta_buf_free(&o);
				cli_table_close(&ct);
				return rc;
			}
			streamed = hit == 1;
		}
		if ((q.grep && !streamed) || q.commands || ta_qfp_active(&q.fp)) {
			int err = load_transcript(dir, t, s, &tr);
			if (err) {
				rc = cli_log_error(dir, err);
				ta_buf_free(&o);
				cli_table_close(&ct);
				return rc;
			}
			loaded = 1;
			if (tr.damage && !more_damage) {
				int len = 0;
				const char *line = ta_transcript_damage(&tr, &len);
				snprintf(more_line, sizeof(more_line), "%.*s", line ? len : 0, line ? line : "");
			}
			more_damage += ct.damage ? 0 : tr.damage;
			int hit = q.grep ? grep_session(&q, &tr) : 1;
			if (hit < 0) {
				ta_transcript_free(&tr);
				rc = grep_failed(s);
				ta_buf_free(&o);
				cli_table_close(&ct);
				return rc;
			}
			if (!hit || (ta_qfp_active(&q.fp) && !ta_qfp_match(&q.fp, &tr))) {
				ta_transcript_free(&tr);
				continue;
			}
		}
		shown++;
		if (q.commands)
			print_commands(&o, &q, t, s, &tr, NULL);
		else
			emit_session(&o, &q, t, s, via_link, NULL);
		if (loaded)
			ta_transcript_free(&tr);
		if (o.len > (1u << 16))
			cli_wrap_flush(&o, stdout, q.columns, CLI_WRAP_FINAL | CLI_WRAP_UNMARKED);
	}
	cli_wrap_flush(&o, stdout, q.columns, CLI_WRAP_FINAL | CLI_WRAP_UNMARKED);
	ta_buf_free(&o);
	free(shared);
	free(merged);
	grep_cut_note(&q);
	if (q.grep)
		ta_grep_free(&q.g);
	rc = cli_damage_exit(&ct, more_damage, more_line);
	cli_table_close(&ct);
	if (fflush(stdout))
		return TA_EXIT_FAILURE;
	return rc;
}

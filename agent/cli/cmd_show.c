// SPDX-License-Identifier: GPL-2.0-or-later
/* ttyaudit show and ttyaudit export: one session as text, asciicast, JSON Lines, typescript. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "cli/cli_json.h"
#include "cli/cli_wrap.h"
#include "cli/commands.h"
#include "cli/session_view.h"
#include "cli/show_screen.h"
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

/* ------------------------------------------------------------------ show */

static void show_usage(FILE *out)
{
	fprintf(out,
		"Usage: ttyaudit show [OPTIONS] SESSION\n"
		"\n"
		"Prints a session's transcript: output and input interleaved in time order,\n"
		"each line marked  o|  (shown on the terminal),  i|  (typed) or  #|  (commands,\n"
		"window sizes, logins, gaps, damage). Control sequences are shown as visible\n"
		"escapes (\\e[2J, \\e]52;..., \\x9b, \\u{202e}); nothing acts on your terminal.\n"
		"\n"
		"  --log-dir DIR      log directory (default %s)\n"
		"  --input-only       only what was typed, one line per Enter\n"
		"  --output-only      only what was shown, as one stream\n"
		"  --raw-order        keystrokes and their echo each where they happened (default:\n"
		"                     one i| line per Enter, the echo of the keys not repeated)\n"
		"  --raw              the bytes exactly as recorded, escape sequences included\n"
		"                     (output stream, or input with --input-only); see stderr\n"
		"  --tty NAME         only this terminal of the session (pts3, pts/3)\n"
		"  --utc              times in UTC (default: local time)\n"
		"  --width N          rows of at most N columns, each starting with its line's\n"
		"                     mark ('+' for '|' where a line goes on); default: the\n"
		"                     terminal's width on a terminal, else lines whole; 0: whole\n"
		"  --json             JSON Lines, one event per line (as export --format json)\n"
		"  --screen           the terminal's screen (drawn by libvterm) at the end, or:\n"
		"  --at TIME          with --screen: at TIME: HH:MM:SS[.mmm] as show prints it\n"
		"                     (the session's day), +SECS after its start, or a time as\n"
		"                     for query --since\n"
		"  --index FILE, --no-index   as for query\n"
		"  --fleet DSN        from the fleet's PostgreSQL (the collector's copy), with:\n"
		"  --origin HOST      the host (its log origin, or the one enrolled origin\n"
		"                     containing HOST); --json's checkpointed: cosigned\n"
		"\n"
		"Exit: 0, 2 usage, 4 not allowed to read the log, 6 (--fleet) database\n"
		"unreachable, 8 damaged (intact part shown), 9 no such session.\n",
		TA_STORE_DEFAULT_DIR);
}

#define TYPED_LINES 4

struct show_state {
	struct ta_buf *o;
	FILE *f;
	unsigned columns;    /* rows cut at (cli_wrap.h), 0: lines whole */
	int utc;
	int at_bol;          /* at the beginning of a line */
	int dir;             /* kind of the line being written: 'o', 'i', '#', 0 */
	int multi;           /* the session used several terminals: name them */
	uint32_t tty;        /* terminal of the line being written */
	const struct ta_attr *who; /* attribution of the input line being written */
	int injected;        /* the input line being written was pushed by TIOCSTI */
	uint64_t last_ms;    /* localtime is slow: format each millisecond once */
	char stamp[16];      /* "HH:MM:SS.mmm " of last_ms */
	const struct ta_transcript *tr;
	struct ta_neut nout, nin;
	const struct ta_tev *cur; /* the output event being written */
	int bol_first;       /* its first line start is the event's start */
	struct ta_buf tmp;
	/*
	 * Typed lines being folded (fold on), one per terminal (script(1) and
	 * ssh chains type into two at once): keystrokes up to Enter, with their
	 * echo taken out of that terminal's output while it repeats them exactly.
	 */
	int fold;
	struct typed_line {
		int open;
		uint64_t t;
		uint32_t tty;
		const struct ta_attr *who;
		struct ta_buf typed;  /* raw keys, Enter excluded */
		struct ta_buf text;   /* the line so far, neutralised */
		struct ta_neut neut;
		uint64_t redacted;    /* bytes of a secret still to mark (one marker per run) */
		size_t echoed;        /* bytes of typed seen echoed */
		int enter;            /* 1: the line ended with Enter; 2: its newline was echoed */
	} lines[TYPED_LINES];
	uint64_t in_redacted;      /* --input-only: a secret still to mark */
	size_t red_off, red_end;   /* --raw-order: the last marker in o (red_end 0: none) */
	uint64_t red_bytes;
	uint16_t ws_rows, ws_cols; /* the window size last shown */
	/* modes */
	const char *tty_filter;
	int raw, in_only, out_only;
	struct ta_neut n;    /* the one stream of --input-only/--output-only */
	int err;
	const struct session_view *v;
	int started;         /* header written */
};

static void show_header(struct ta_buf *o, const struct session_view *v, int utc);
static void show_suspect(struct show_state *st, const struct ta_tev *e);

/* Before the first event: the header (the session is known by then). */
static void show_start(struct show_state *st)
{
	if (st->started)
		return;
	st->started = 1;
	st->multi = st->v->s->n_ttys > 1 && !st->tty_filter;
	if (!st->raw && !st->in_only && !st->out_only)
		show_header(st->o, st->v, st->utc);
}

static void prefix(struct show_state *st, uint64_t t, char kind, uint32_t tty, const struct ta_attr *who)
{
	uint64_t ms = t / 1000000;

	if (!st->at_bol)
		ta_buf_putc(st->o, '\n');
	if (ms != st->last_ms || !st->stamp[0]) {
		char hms[16];
		time_t sec = (time_t)(t / 1000000000ull);
		struct tm tmv;
		if (st->utc)
			gmtime_r(&sec, &tmv);
		else
			localtime_r(&sec, &tmv);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tmv);
		snprintf(st->stamp, sizeof(st->stamp), "%.8s.%03u ", hms, (unsigned)(ms % 1000));
		st->last_ms = ms;
	}
	if (!st->multi && !who) {
		/* The usual case, once per line: "HH:MM:SS.mmm o| ". */
		if (ta_buf_reserve(st->o, 16))
			return;
		uint8_t *w = st->o->p + st->o->len;
		memcpy(w, st->stamp, 13);
		w[13] = (uint8_t)kind;
		w[14] = '|';
		w[15] = ' ';
		st->o->len += 16;
		st->at_bol = 0;
		st->dir = kind;
		st->tty = tty;
		st->who = who;
		return;
	}
	ta_buf_put(st->o, st->stamp, 13);
	if (st->multi) {
		size_t n;
		const char *name = ta_sesstab_strn(&st->tr->names, tty, &n);
		bool plain = true;

		/* The kernel names terminals, but a log (a fleet host's) can say anything. */
		for (size_t i = 0; i < n && plain; i++)
			plain = name[i] > 0x20 && name[i] < 0x7f && name[i] != '\\';
		if (plain) {
			ta_buf_printf(st->o, "%-6.*s ", n ? (int)n : 1, n ? name : "-");
		} else {
			/* Quoted when it holds a space: a terminal "p i| sudo id #" is no mark. */
			size_t at = st->o->len;
			cli_put_name(st->o, name, n);
			cli_pad(st->o, at, 6);
			ta_buf_putc(st->o, ' ');
		}
	}
	ta_buf_putc(st->o, kind);
	if (who) {
		/* Who typed this run into the shared pane (docs/shared-terminals.md). */
		char nb[64];
		struct ta_buf tmp;
		ta_buf_init(&tmp);
		if (who->auid != TA_ID_NONE && st->tr->who) {
			size_t nl;
			const char *name = st->tr->who(st->tr->who_ctx, who->auid, who->typist_key, nb,
						       sizeof(nb), &nl);
			ta_buf_put(&tmp, name, nl);
		}
		if (who->auid == TA_ID_NONE || who->conf != TA_CONF_EXACT) {
			if (tmp.len)
				ta_buf_puts(&tmp, ", ");
			ta_buf_puts(&tmp, ta_conf_name(who->conf));
		}
		ta_buf_putc(st->o, '[');
		ta_neutralise(tmp.p, tmp.len, TA_NEUT_LINE, st->o);
		ta_buf_putc(st->o, ']');
		ta_buf_free(&tmp);
	}
	ta_buf_puts(st->o, "| ");
	st->at_bol = 0;
	st->dir = kind;
	st->tty = tty;
	st->who = who;
}

/* At each output line start (the neutraliser's bol hook): the line's marker. */
static void output_line_start(void *ctx, struct ta_buf *o)
{
	struct show_state *st = ctx;

	(void)o;
	if (!st->bol_first)
		st->at_bol = 1; /* a newline of this event ended the line */
	st->bol_first = 0;
	prefix(st, st->cur->time_ns, 'o', st->cur->tty, NULL);
}

/* One pass: neutralised into the output, each line marked as it starts. */
static void show_output(struct show_state *st, const struct ta_tev *e, const uint8_t *d, size_t n)
{
	int need;
	size_t before;

	show_suspect(st, e);
	need = st->at_bol || st->dir != 'o' || st->tty != e->tty;
	before = st->o->len;

	if (!n)
		return;
	st->cur = e;
	st->bol_first = need;
	st->nout.at_bol = need;
	ta_neut_feed(&st->nout, d, n, st->o);
	if (st->o->len != before)
		st->at_bol = st->nout.at_bol;
	st->nout.at_bol = false;
}

/*
 * Bytes the recorder cannot vouch for (syscall capture: the buffer or the
 * descriptor changed during the call) get a line of their own before them.
 */
static void show_suspect(struct show_state *st, const struct ta_tev *e)
{
	if (e->flags & TA_F_OTHER_SESSION) {
		prefix(st, e->time_ns, '#', e->tty, NULL);
		ta_tev_other_session(e, st->o);
		ta_buf_putc(st->o, '\n');
		st->at_bol = 1;
	}
	if (!(e->flags & TA_F_SUSPECT))
		return;
	prefix(st, e->time_ns, '#', e->tty, NULL);
	ta_tev_suspect(e, st->o);
	ta_buf_putc(st->o, '\n');
	st->at_bol = 1;
}

static void redaction_marker(struct ta_buf *o, uint64_t bytes)
{
	ta_buf_printf(o, "[redacted: %" PRIu64 " bytes typed with echo off]", bytes);
}

/* Unfolded (--raw-order): each input event where it happened. */
static void show_input_raw(struct show_state *st, const struct ta_tev *e, const uint8_t *d)
{
	const struct ta_attr *who = ta_transcript_attr_for(st->tr, e);
	int injected = !!(e->flags & TA_F_INJECTED);

	show_suspect(st, e);
	/* Input pushed by ioctl(TIOCSTI) was not typed: its own run, said on a line before it. */
	if (st->at_bol || st->dir != 'i' || st->tty != e->tty || st->who != who ||
	    st->injected != injected) {
		if (injected) {
			prefix(st, e->time_ns, '#', e->tty, NULL);
			ta_buf_puts(st->o, TA_TEV_INJECTED_LINE "\n");
			st->at_bol = 1;
		}
		prefix(st, e->time_ns, 'i', e->tty, who);
	}
	st->injected = injected;
	if (e->flags & TA_F_REDACTED) {
		uint64_t bytes = e->orig_len;
		/* Right after a marker on the same line: the same secret, one marker. */
		if (st->red_end && st->red_end == st->o->len) {
			st->o->len = st->red_off;
			bytes += st->red_bytes;
		}
		st->red_off = st->o->len;
		redaction_marker(st->o, bytes);
		st->red_end = st->o->len;
		st->red_bytes = bytes;
		return;
	}
	ta_neut_feed(&st->nin, d, e->len, st->o);
	/* A typed Enter ends the input line. */
	if (e->len && (d[e->len - 1] == '\r' || d[e->len - 1] == '\n')) {
		ta_buf_putc(st->o, '\n');
		st->at_bol = 1;
	}
}

/* Writes a folded line: "HH:MM:SS.mmm i| keys\r", one marker per secret. */
static void line_flush(struct show_state *st, struct typed_line *l)
{
	if (!l->open)
		return;
	if (l->redacted)
		redaction_marker(&l->text, l->redacted);
	ta_neut_flush(&l->neut, &l->text);
	prefix(st, l->t, 'i', l->tty, l->who);
	ta_buf_put(st->o, l->text.p, l->text.len);
	ta_buf_putc(st->o, '\n');
	st->at_bol = 1;
	l->open = 0;
	l->redacted = 0;
	l->enter = 0;
	l->echoed = 0;
	ta_buf_reset(&l->typed);
	ta_buf_reset(&l->text);
}

/* Every open line, oldest first (before anything that is not typing or its echo). */
static void lines_flush(struct show_state *st)
{
	for (;;) {
		struct typed_line *first = NULL;
		for (int i = 0; i < TYPED_LINES; i++)
			if (st->lines[i].open && (!first || st->lines[i].t < first->t))
				first = &st->lines[i];
		if (!first)
			return;
		line_flush(st, first);
	}
}

static struct typed_line *line_of(struct show_state *st, uint32_t tty)
{
	for (int i = 0; i < TYPED_LINES; i++)
		if (st->lines[i].open && st->lines[i].tty == tty)
			return &st->lines[i];
	return NULL;
}

/* Two attributions that show the same (typist and confidence) do not split a line. */
static int same_who(const struct ta_attr *a, const struct ta_attr *b)
{
	if (!a || !b)
		return a == b;
	return a->auid == b->auid && a->typist_key == b->typist_key && a->conf == b->conf;
}

/* The open line of e's terminal, or a new one (the oldest is written out if all are in use). */
static struct typed_line *line_open(struct show_state *st, const struct ta_tev *e,
				    const struct ta_attr *who)
{
	struct typed_line *l = line_of(st, e->tty);

	if (l && (!same_who(l->who, who) || l->enter))
		line_flush(st, l);
	if (l && l->open)
		return l;
	l = NULL;
	for (int i = 0; i < TYPED_LINES && !l; i++)
		if (!st->lines[i].open)
			l = &st->lines[i];
	if (!l) {
		l = &st->lines[0];
		for (int i = 1; i < TYPED_LINES; i++)
			if (st->lines[i].t < l->t)
				l = &st->lines[i];
		line_flush(st, l);
	}
	l->open = 1;
	l->t = e->time_ns;
	l->tty = e->tty;
	l->who = who;
	return l;
}

/* Folded: keystrokes join the line until Enter; a secret's events become one marker. */
static void show_input_folded(struct show_state *st, const struct ta_tev *e, const uint8_t *d)
{
	const struct ta_attr *who = ta_transcript_attr_for(st->tr, e);
	struct typed_line *l = line_open(st, e, who);
	size_t i = 0;

	if (e->flags & TA_F_REDACTED) {
		l->redacted += e->orig_len;
		return;
	}
	if (l->redacted) {
		redaction_marker(&l->text, l->redacted);
		l->redacted = 0;
	}
	while (i < e->len) {
		size_t j = i;
		while (j < e->len && d[j] != '\r' && d[j] != '\n')
			j++;
		ta_buf_put(&l->typed, d + i, j - i);
		if (j == e->len) {
			ta_neut_feed(&l->neut, d + i, j - i, &l->text);
			break;
		}
		/* Enter: the line is complete; its echo may still follow. */
		ta_neut_feed(&l->neut, d + i, j + 1 - i, &l->text);
		l->enter = 1;
		i = j + 1;
		if (i < e->len)
			l = line_open(st, e, who); /* keys typed ahead start the next line */
	}
	/*
	 * A line typed without Enter is written out at TA_VIEW_LINE_MAX and goes on
	 * as a new i| line: it grew with the keys (and their copy kept for the
	 * echo) without bound. Not inside a character: it would show as \xNN.
	 */
	if (!l->enter && l->text.len >= TA_VIEW_LINE_MAX && !l->neut.npend)
		line_flush(st, l);
}

/*
 * Output while a typed line of its terminal is open: the part that repeats
 * the keys exactly is their echo and is not shown again; after Enter, so is
 * the newline and readline's bracketed-paste reset around it ("\n",
 * "\e[?2004l\r"). The line stays open until other output (shown from where
 * it differs) or another event comes.
 */
static void show_output_folded(struct show_state *st, const struct ta_tev *e, const uint8_t *d)
{
	static const char bp_off[] = "\033[?2004l";
	struct typed_line *l = line_of(st, e->tty);
	size_t i = 0, n = e->len;

	if (l && l->typed.len) {
		const uint8_t *k = l->typed.p;
		while (i < n && l->echoed < l->typed.len && d[i] == k[l->echoed]) {
			i++;
			l->echoed++;
		}
		while (l->echoed == l->typed.len && l->enter && i < n) {
			if (n - i >= sizeof(bp_off) - 1 && !memcmp(d + i, bp_off, sizeof(bp_off) - 1))
				i += sizeof(bp_off) - 1;
			else if (d[i] == '\r')
				i++;
			else if (d[i] == '\n' && l->enter == 1) {
				i++;
				l->enter = 2; /* the newline of Enter, once */
			} else {
				break;
			}
		}
		if (i == n)
			return;
	}
	/*
	 * This terminal's line comes first. Another terminal's stays open for its
	 * own echo (script(1) echoes a key on both): lines of different terminals
	 * may be a keystroke out of time order; --raw-order keeps it exact.
	 */
	if (l)
		line_flush(st, l);
	show_output(st, e, d + i, n - i);
}

static void show_meta(struct show_state *st, const struct ta_transcript *tr, const struct ta_tev *e)
{
	/* The pane's own attributions are shown as markers on its input. */
	if (e->kind == TA_TEV_ATTRIB && tr->nattrs) {
		for (size_t i = 0; i < tr->nattrs; i++)
			if (tr->attrs[i].index == e->index)
				return;
	}
	if (e->kind == TA_TEV_WINSIZE) {
		/* readline sets the same size again at every prompt: show changes only. */
		if (e->rows == st->ws_rows && e->cols == st->ws_cols)
			return;
		st->ws_rows = e->rows;
		st->ws_cols = e->cols;
	}
	lines_flush(st);
	ta_buf_reset(&st->tmp);
	ta_tev_describe(tr, e, &st->tmp);
	prefix(st, e->time_ns, '#', e->tty, NULL);
	if (e->kind == TA_TEV_DAMAGE || e->kind == TA_TEV_GAP)
		ta_buf_puts(st->o, e->kind == TA_TEV_DAMAGE ? "!! " : "GAP: ");
	ta_neutralise(st->tmp.p, st->tmp.len, TA_NEUT_LINE, st->o);
	ta_buf_putc(st->o, '\n');
	st->at_bol = 1;
}

static int is_tty_event(const struct ta_tev *e)
{
	return e->kind == TA_TEV_OUTPUT || e->kind == TA_TEV_INPUT || e->kind == TA_TEV_WINSIZE;
}

/* One event of the session, in order (ta_tev_fn). */
static int show_event(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		      const uint8_t *d)
{
	struct show_state *st = ctx;

	st->tr = tr;
	show_start(st);
	if (st->tty_filter && is_tty_event(e) && !session_view_tty_is(ta_tev_tty(tr, e), st->tty_filter))
		return 0;
	if (st->raw) {
		if (e->kind == (st->in_only ? TA_TEV_INPUT : TA_TEV_OUTPUT))
			ta_buf_put(st->o, d, e->len);
	} else if (st->in_only || st->out_only) {
		if (e->kind != (st->in_only ? TA_TEV_INPUT : TA_TEV_OUTPUT))
			return 0;
		if (e->flags & TA_F_REDACTED) {
			st->in_redacted += e->orig_len; /* one marker per secret */
			return 0;
		}
		if (st->in_redacted) {
			ta_neut_flush(&st->n, st->o);
			redaction_marker(st->o, st->in_redacted);
			st->in_redacted = 0;
		}
		if (!st->in_only) {
			ta_neut_feed(&st->n, d, e->len, st->o);
		} else {
			/* One line per typed Enter (\r), which stays visible. */
			size_t i = 0;
			while (i < e->len) {
				size_t j = i;
				while (j < e->len && d[j] != '\r' && d[j] != '\n')
					j++;
				ta_neut_feed(&st->n, d + i, j - i + (j < e->len), st->o);
				if (j < e->len && d[j] == '\r') {
					ta_neut_flush(&st->n, st->o);
					ta_buf_putc(st->o, '\n');
				}
				i = j + 1;
			}
		}
	} else if ((e->kind == TA_TEV_OUTPUT || e->kind == TA_TEV_INPUT) &&
		   (e->flags & (TA_F_SUSPECT | TA_F_INJECTED | TA_F_OTHER_SESSION))) {
		/* What was not typed here, or cannot be vouched for, is never folded into typing. */
		lines_flush(st);
		if (e->kind == TA_TEV_OUTPUT)
			show_output(st, e, d, e->len);
		else
			show_input_raw(st, e, d);
	} else if (e->kind == TA_TEV_OUTPUT) {
		if (st->fold)
			show_output_folded(st, e, d);
		else
			show_output(st, e, d, e->len);
	} else if (e->kind == TA_TEV_INPUT) {
		if (st->fold)
			show_input_folded(st, e, d);
		else
			show_input_raw(st, e, d);
	} else {
		show_meta(st, tr, e);
	}
	if (st->o->len > (1u << 20)) {
		st->red_end = 0;
		if (cli_wrap_flush(st->o, st->f, st->columns, 0)) {
			st->err = -EIO;
			return -EIO;
		}
	}
	return 0;
}

static void show_header(struct ta_buf *o, const struct session_view *v, int utc)
{
	const struct ta_sesstab *t = v->ct.t;
	const struct ta_sess *s = v->s;
	char ub[64], a[32], b[32], dur[32];
	struct ta_buf line;
	size_t n, an;

	/*
	 * Values whole, by length (a NUL in one shown \x00), each neutralised and quoted
	 * when it holds a space (cli_put_name): a user named "x  [login uid ...]" or a
	 * host ending in "  via sshd" reads as one value, not as more of the header.
	 */
	ta_buf_init(&line);
	ta_buf_printf(&line, "session %s  user ", v->id);
	const char *user = cli_user_name(t, s, ub, sizeof(ub), &n);
	cli_put_name(&line, user, n);
	if (s->auid != TA_ID_NONE)
		ta_buf_printf(&line, " (auid %u)", s->auid);
	if (s->ses != TA_ID_NONE)
		ta_buf_printf(&line, "  ses %u", s->ses);
	if (s->flags & TA_SESS_UNVERIFIED)
		ta_buf_puts(&line, "  [login uid UNVERIFIED: set by no login service]");
	else if (ta_sess_unverified(s))
		ta_buf_puts(&line, "  [login uid UNVERIFIED: no login record]");
	if (s->flags & TA_SESS_LOGIN) {
		const char *host = ta_sesstab_strn(t, s->host, &n), *addr = ta_sesstab_strn(t, s->addr, &an);
		if (s->host) {
			ta_buf_puts(&line, "  from ");
			cli_put_name(&line, host, n);
		}
		if (s->addr && (!s->host || n != an || memcmp(host, addr, n))) {
			ta_buf_puts(&line, " (");
			cli_put_name(&line, addr, an);
			ta_buf_putc(&line, ')');
		}
		if (s->prog) {
			const char *prog = ta_sesstab_strn(t, s->prog, &n);
			ta_buf_puts(&line, "  via ");
			cli_put_name(&line, prog, n);
		}
	} else {
		ta_buf_puts(&line, ta_ses_is_no_login(s->ses) ? "  (no login session)"
							     : "  (login details unavailable)");
	}
	for (uint32_t i = 0; i < s->n_ttys; i++) {
		const char *tty = ta_sesstab_strn(t, s->ttys[i], &n);
		ta_buf_puts(&line, i ? "," : "  tty ");
		cli_put_name(&line, tty, n);
	}
	ta_buf_puts(o, "# ");
	ta_buf_put(o, line.p, line.len);
	ta_buf_putc(o, '\n');
	cli_fmt_time(ta_sess_begin(s), a, sizeof(a), utc);
	cli_fmt_time(ta_sess_finish(s), b, sizeof(b), utc);
	cli_fmt_duration(ta_sess_finish(s) - ta_sess_begin(s), dur, sizeof(dur));
	ta_buf_printf(o, "# %s .. %s%s (%s)%s  in %" PRIu64 " B  out %" PRIu64 " B  commands %" PRIu64
		      "  gaps %" PRIu64 " (lost %" PRIu64 " events, %" PRIu64 " B)\n", a, b,
		      utc ? " UTC" : "", dur, (s->flags & TA_SESS_ENDED) ? "" : " (no logout seen)",
		      s->bytes_in, s->bytes_out, s->execs, s->gaps + s->global_gaps,
		      ta_sess_lost_events(s), ta_sess_lost_bytes(s));
	ta_buf_free(&line);
}

/* "12:00:03.250" (as show prints it) on the day the session started, local or UTC. */
static int parse_clock(const char *s, uint64_t begin_ns, int utc, uint64_t *out)
{
	unsigned h, m, sec, ms = 0;
	int n = 0, k = 0;

	if (sscanf(s, "%2u:%2u:%2u%n.%3u%n", &h, &m, &sec, &n, &ms, &k) < 3 || (s[k ? k : n] != '\0') ||
	    h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	if (k) {
		size_t digits = (size_t)k - (size_t)n - 1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	time_t t = (time_t)(begin_ns / 1000000000ull);
	struct tm tmv;
	if (utc)
		gmtime_r(&t, &tmv);
	else
		localtime_r(&t, &tmv);
	tmv.tm_hour = (int)h;
	tmv.tm_min = (int)m;
	tmv.tm_sec = (int)sec;
	tmv.tm_isdst = -1;
	t = utc ? timegm(&tmv) : mktime(&tmv);
	if (t < 0)
		return -EINVAL;
	*out = (uint64_t)t * 1000000000ull + ms * 1000000ull + 999999; /* the whole millisecond */
	if (*out + 43200ull * 1000000000ull < begin_ns)
		*out += 86400ull * 1000000000ull; /* after midnight of a session that began the day before */
	return 0;
}

static int parse_at(const char *s, uint64_t begin_ns, int utc, uint64_t *out)
{
	if (s[0] == '+') {
		double secs;
		if (cli_parse_seconds(s + 1, 1e9, &secs))
			return -EINVAL;
		*out = begin_ns + (uint64_t)(secs * 1e9);
		return 0;
	}
	if (!parse_clock(s, begin_ns, utc, out))
		return 0;
	return cli_parse_time(s, cli_now_ns(), out);
}

/* The events to fn: streamed from a local log, from the loaded transcript for the fleet. */
static int view_stream(struct session_view *v, const struct view_source *src, const char *arg,
		       ta_tev_fn fn, void *ctx)
{
	int rc = view_source_find(v, src, arg);

	return rc != TA_EXIT_OK ? rc : session_view_each(v, fn, ctx);
}

/* show --screen [--at TIME] */
static int show_screen_cmd(const struct view_source *src, const char *arg, const char *tty_filter,
			   const char *at, int utc, unsigned columns)
{
	struct session_view v;
	uint64_t at_ns = UINT64_MAX;
	int rc;

	if (!show_screen_available())
		return show_screen(stdout, NULL, 0, utc, 0);
	rc = view_source_find(&v, src, arg);
	if (rc != TA_EXIT_OK)
		return rc;
	if ((rc = session_view_one_tty(&v, "show", "--screen", tty_filter)) != TA_EXIT_OK) {
		session_view_close(&v);
		return rc;
	}
	if (at && parse_at(at, ta_sess_begin(v.s), utc, &at_ns)) {
		session_view_close(&v);
		return cli_usage_error("show", "--at: cannot read the time '%s'; accepted: HH:MM:SS[.mmm] "
				       "as show prints it, +SECS after the session's start, or "
				       CLI_TIME_FORMS, at);
	}
	rc = show_screen(stdout, &v, at_ns, utc, columns);
	if (rc == TA_EXIT_OK)
		rc = session_view_damage_exit(&v);
	session_view_close(&v);
	return rc;
}

int ta_cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input-only", no_argument, NULL, 'I' },
		{ "output-only", no_argument, NULL, 'O' },
		{ "raw", no_argument, NULL, 'R' },
		{ "raw-order", no_argument, NULL, 'K' },
		{ "screen", no_argument, NULL, 'S' },
		{ "at", required_argument, NULL, 'A' },
		{ "utc", no_argument, NULL, 'Z' },
		{ "tty", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "width", required_argument, NULL, 0x100 },
		{ "help", no_argument, NULL, 'h' },
		VIEW_SOURCE_OPTIONS,
		{ 0 },
	};
	struct view_source src = { .dir = TA_STORE_DEFAULT_DIR };
	const char *tty_filter = NULL;
	int c, in_only = 0, out_only = 0, raw = 0, utc = 0, json = 0, rc, raw_order = 0;
	int screen = 0;
	long width = -1;
	const char *at = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'K': raw_order = 1; break;
		case 'S': screen = 1; break;
		case 'A': at = optarg; break;
		case 'I': in_only = 1; break;
		case 'O': out_only = 1; break;
		case 'R': raw = 1; break;
		case 'Z': utc = 1; break;
		case 't': tty_filter = optarg; break;
		case 'j': json = 1; break;
		case 0x100:
			if (cli_wrap_parse(optarg, &width))
				return cli_usage_error("show", "--width: '%s' is not a number of columns "
						       "(0 to 65535; 0: lines whole)", optarg);
			break;
		case 'h': show_usage(stdout); return TA_EXIT_OK;
		default:
			if (view_source_option(&src, c, optarg))
				break;
			return cli_usage_error("show", NULL);
		}
	}
	if ((rc = view_source_session("show", argc, argv)) != TA_EXIT_OK)
		return rc;
	if (in_only && out_only)
		return cli_usage_error("show", "--input-only and --output-only exclude each other");
	if (at && !screen)
		return cli_usage_error("show", "--at TIME goes with --screen");
	if (screen && (in_only || out_only || raw || raw_order || json))
		return cli_usage_error("show", "--screen draws a screen: not with --input-only, "
				       "--output-only, --raw, --raw-order or --json");
	if ((rc = view_source_check("show", &src)) != TA_EXIT_OK)
		return rc;
	struct session_view v;
	if (screen)
		return show_screen_cmd(&src, argv[optind], tty_filter, at, utc, cli_wrap_columns(width));
	if (json) {
		rc = view_source_find(&v, &src, argv[optind]);
		if (rc != TA_EXIT_OK)
			return rc;
		if (tty_filter)
			session_view_keep_tty(&v, tty_filter);
		rc = cli_json_lines(stdout, &v);
		goto done;
	}
	struct ta_buf o;
	ta_buf_init(&o);
	/* Unmarked streams (--raw, one direction) have no marks to forge: whole. */
	struct show_state st = { .o = &o, .f = stdout, .utc = utc, .at_bol = 1, .tty_filter = tty_filter,
				 .columns = raw || in_only || out_only ? 0 : cli_wrap_columns(width),
				 .raw = raw, .in_only = in_only, .out_only = out_only, .v = &v,
				 .fold = !raw_order };
	for (int i = 0; i < TYPED_LINES; i++) {
		ta_buf_init(&st.lines[i].typed);
		ta_buf_init(&st.lines[i].text);
		ta_neut_init(&st.lines[i].neut, TA_NEUT_LINE);
	}
	ta_neut_init(&st.nout, TA_NEUT_TEXT);
	st.nout.bol = output_line_start;
	st.nout.bol_ctx = &st;
	ta_neut_init(&st.nin, TA_NEUT_LINE);
	ta_neut_init(&st.n, TA_NEUT_TEXT);
	ta_buf_init(&st.tmp);
	if (raw)
		ta_warn(NULL, "--raw: writing the recorded %s bytes unmodified; escape sequences in them "
			"act on the terminal that displays them", in_only ? "input" : "output");
	rc = view_stream(&v, &src, argv[optind], show_event, &st);
	if (rc != TA_EXIT_OK && !st.started) {
		ta_buf_free(&o);
		ta_buf_free(&st.tmp);
		for (int i = 0; i < TYPED_LINES; i++) {
			ta_buf_free(&st.lines[i].typed);
			ta_buf_free(&st.lines[i].text);
		}
		if (v.s || v.tr.names.pool)
			session_view_close(&v);
		return rc;
	}
	show_start(&st);
	if (!raw && (in_only || out_only)) {
		ta_neut_flush(&st.n, &o);
		if (st.in_redacted)
			redaction_marker(&o, st.in_redacted);
	} else if (!raw) {
		st.nout.at_bol = false; /* what is pending ends the last line, unmarked */
		ta_neut_flush(&st.nout, &o);
		lines_flush(&st);
		if (!st.at_bol)
			ta_buf_putc(&o, '\n');
	}
	ta_buf_free(&st.tmp);
	for (int i = 0; i < TYPED_LINES; i++) {
		ta_buf_free(&st.lines[i].typed);
		ta_buf_free(&st.lines[i].text);
	}
	if (cli_wrap_flush(&o, stdout, st.columns, CLI_WRAP_FINAL) || st.err)
		rc = TA_EXIT_FAILURE;
	ta_buf_free(&o);
done:
	if (fflush(stdout))
		rc = TA_EXIT_FAILURE;
	if (rc == TA_EXIT_OK)
		rc = session_view_damage_exit(&v);
	session_view_close(&v);
	return rc;
}

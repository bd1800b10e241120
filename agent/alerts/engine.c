// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule engine: capture events in, hits out. Input and output are
 * reassembled into lines per terminal first, so a pattern split across
 * chunks or keystrokes still matches, and one chunk never matches half a
 * line. Work per byte is constant and per line bounded by
 * TA_ALERT_LINE_MAX and the rules' count.
 */
#include "alerts/line.h"
#include "alerts/rules_internal.h"
#include "logfmt/footprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sessions remembered for once-per-session rules; cleared when full. */
#define SEEN_SESSIONS 4096

/*
 * A typed line that a shell continues on the next one (`… |`, `… \`, an open
 * quote): what the shell will run is the lines joined, matched when the last
 * one ends; the rules that fired on a part do not fire again on the whole.
 */
struct join_buf {
	char buf[TA_ALERT_LINE_MAX + 1];
	uint32_t len;
	bool pending, cut, uncertain;
	uint64_t fired[(TA_ALERT_RULES_MAX + 63) / 64];
};

struct term {
	uint32_t major, minor;
	char name[TA_TTY_NAME_LEN];
	uint64_t last_used;   /* 0: free slot */
	struct ta_line in, out;
	struct join_buf join;
};

/* A line's text as matched, with what the alert says of it. */
struct line_text {
	const char *s;
	size_t len;
	bool cut, uncertain;
};

/* Matches of a line pattern that unless is tried on; more count as not excused. */
#define UNLESS_MATCHES_MAX 64

struct ta_alert_engine {
	struct ta_alert_rules *rules;
	ta_alert_fn fn;
	void *ctx;
	struct term terms[TA_ALERT_TERMINALS];
	uint64_t use_clock;
	uint32_t seen[SEEN_SESSIONS];   /* ses + 1; 0 free */
	uint32_t n_seen;
	struct ta_alert_stats stats;
	/*
	 * Built-in alerts (audit watches) are rate-limited like a rule, so a
	 * flood cannot drown the log; accesses that failed are a rule of their
	 * own: anyone can make them (listing the log directory), and they must
	 * not spend the tokens of the accesses that succeeded, which only its
	 * readers can make.
	 */
	struct ta_alert_rule watch, watch_failed;
	/* a typed line too long to keep whole that no rule matched: said, not silent */
	struct ta_alert_rule line_cut;
	struct ta_alert_buckets buckets;   /* per (rule, person) */
	/* scratch: a line's text, a joined line's, one match of a line pattern */
	char text[TA_ALERT_LINE_MAX + 16], joined[TA_ALERT_LINE_MAX + 16];
	char dequoted[TA_ALERT_LINE_MAX + 16];
	char match[TA_ALERT_LINE_MAX + 16];
};

int ta_alert_engine_new(struct ta_alert_engine **out, ta_alert_fn fn, void *ctx)
{
	struct ta_alert_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->fn = fn;
	e->ctx = ctx;
	snprintf(e->watch.name, sizeof(e->watch.name), "ttyaudit-watch");
	e->watch.severity = "high";
	e->watch.on = TA_ALERT_ON_WATCH;
	e->watch.burst = 100;
	e->watch.period_s = 60;
	e->watch.slot = TA_ALERT_SLOT_WATCH;
	e->watch_failed = e->watch;
	e->watch_failed.slot = TA_ALERT_SLOT_WATCH_FAILED;
	snprintf(e->line_cut.name, sizeof(e->line_cut.name), "ttyaudit-line-cut");
	snprintf(e->line_cut.description, sizeof(e->line_cut.description),
		 "typed line not matched whole: longer than %d bytes (its middle was not matched), "
		 "or unfinished on one of more than %d terminals with typing in progress",
		 TA_ALERT_LINE_MAX, TA_ALERT_TERMINALS);
	e->line_cut.severity = "low";
	e->line_cut.on = TA_ALERT_ON_INPUT;
	e->line_cut.burst = TA_ALERT_DEFAULT_BURST;
	e->line_cut.period_s = TA_ALERT_DEFAULT_PERIOD_S;
	e->line_cut.slot = TA_ALERT_SLOT_LINE_CUT;
	ta_alert_buckets_init(&e->buckets);
	*out = e;
	return 0;
}

void ta_alert_engine_set_rules(struct ta_alert_engine *e, struct ta_alert_rules *rs)
{
	ta_alert_rules_free(e->rules);
	e->rules = rs;
	ta_alert_buckets_forget_rules(&e->buckets);
}

void ta_alert_engine_free(struct ta_alert_engine *e)
{
	if (!e)
		return;
	ta_alert_rules_free(e->rules);
	free(e);
}

size_t ta_alert_engine_rule_count(const struct ta_alert_engine *e)
{
	return ta_alert_rules_count(e->rules);
}

void ta_alert_engine_stats(const struct ta_alert_engine *e, struct ta_alert_stats *out)
{
	*out = e->stats;
	out->shared_bucket = e->buckets.overflowed;
}

static bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi;
}

static bool is_no_login(uint32_t ses)
{
	return ses != UINT32_MAX && (ses & TA_SES_NO_LOGIN);
}

/* Session facts every kind of rule may add. */
static bool session_matches(const struct ta_alert_rule *r, uint32_t ses, uint32_t auid)
{
	if (r->has_auid && !in_range(auid, r->auid_lo, r->auid_hi))
		return false;
	if (r->no_login != T_ANY && is_no_login(ses) != (r->no_login == T_YES))
		return false;
	return true;
}

/*
 * Whose rate limit a hit spends: its session's person; but input into a
 * terminal no login owns (a pty opened O_NOCTTY: each a session of its own)
 * is its writer's, as the kernel's ring share counts it, and so is a half
 * line such a terminal loses to room another write needed (ev: that write). Else one user with
 * a few hundred such ptys was a few hundred people, filled the table of
 * buckets, and pushed everyone else's first hits into the shared one.
 */
static uint64_t charged_person(const struct ta_alert_hit *h, const struct ta_event *ev)
{
	uint64_t who = ta_alert_person(h->ses, h->auid);

	if (ev && who >> 32 && !(ta_alert_person(ev->task.ses, ev->task.auid) >> 32))
		who = ta_alert_person(ev->task.ses, ev->task.auid);
	return who;
}

/*
 * Through the rate limit of the rule and the hit's person, or counted there.
 * ev: the event the hit is of (NULL: none, a watch or a summary).
 */
static void deliver(struct ta_alert_engine *e, struct ta_alert_rule *r, struct ta_alert_hit *h,
		    const struct ta_event *ev)
{
	uint64_t who = charged_person(h, ev);
	struct ta_alert_bucket *b = ta_alert_bucket_for(&e->buckets, r, who, h->realtime_ns);

	h->rule = r->name;
	h->severity = r->severity;
	h->description = r->description;
	h->on = r->on;
	if (!ta_alert_bucket_take(b, r, h->realtime_ns)) {
		ta_alert_bucket_suppress(b, h);
		e->stats.suppressed++;
		return;
	}
	h->suppressed = b->suppressed;
	b->suppressed = 0;
	e->stats.hits++;
	e->fn(e->ctx, h);
}

static void hit_from_event(struct ta_alert_hit *h, const struct ta_event *ev, uint64_t now,
			   uint32_t ses, uint32_t auid)
{
	memset(h, 0, sizeof(*h));
	h->realtime_ns = now;
	h->ses = ses;
	h->auid = auid;
	h->uid = ev->task.uid;
	h->pid = ev->task.tgid;
	memcpy(h->tty, ev->tty.name, sizeof(h->tty));
	h->tty[sizeof(h->tty) - 1] = '\0';
	memcpy(h->comm, ev->task.comm, sizeof(h->comm));
	h->comm[sizeof(h->comm) - 1] = '\0';
}

static bool regex_hit(const regex_t *re, const char *s)
{
	return regexec(re, s, 0, NULL, 0) == 0;
}

static void on_exec(struct ta_alert_engine *e, const struct ta_event *ev, uint64_t now)
{
	char argv[TA_ARGV_MAX + 1];
	size_t n = ev->argv_len < TA_ARGV_MAX ? ev->argv_len : TA_ARGV_MAX;
	const char *path = ev->filename ? ev->filename : "";
	char exe[TA_CWD_MAX + 1];
	size_t exe_len = ev->exe && ev->exe_len <= TA_CWD_MAX ? ev->exe_len : 0;
	bool other = ev->task.auid != UINT32_MAX && ev->task.uid != ev->task.auid;
	bool cut = (ev->flags & TA_F_TRUNCATED) != 0;
	struct ta_alert_hit h;

	/* As a string for regexec (the decoder refused a NUL in it). */
	memcpy(exe, ev->exe ? ev->exe : "", exe_len);
	exe[exe_len] = '\0';

	/* argv as one line: NULs between arguments become spaces */
	memcpy(argv, ev->argv, n);
	while (n && argv[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (argv[i] == '\0')
			argv[i] = ' ';
	argv[n] = '\0';
	for (size_t i = 0; i < e->rules->n; i++) {
		struct ta_alert_rule *r = &e->rules->r[i];

		if (r->on != TA_ALERT_ON_EXEC || !session_matches(r, ev->task.ses, ev->task.auid))
			continue;
		/*
		 * path and exe hold for the name given to execve or for the file
		 * the kernel ran: the given name is the caller's to choose (a
		 * symlink to sudo, fexecve's /dev/fd/N), the file is not; and the
		 * given name still names a script, whose file is its interpreter.
		 */
		if (r->exe[0] && strcmp(r->exe, path) && strcmp(r->exe, exe))
			continue;
		if (r->has_uid && !in_range(ev->task.uid, r->uid_lo, r->uid_hi))
			continue;
		if (r->other_user != T_ANY && other != (r->other_user == T_YES))
			continue;
		if (r->has_path && !regex_hit(&r->path_re, path) &&
		    !(exe[0] && regex_hit(&r->path_re, exe)))
			continue;
		/*
		 * argv longer than the kernel side keeps: what the pattern looks for
		 * may be in the part not kept (`systemctl` and 300 `--quiet` before
		 * `stop ttyauditd`). A rule with argv_cut = yes (it names the program
		 * too) fires on what is seen, the subject marked cut; by default not,
		 * as `find … -exec rm {} +` would fire log-removed every day.
		 */
		if (r->has_argv && !regex_hit(&r->argv_re, argv) && !(cut && r->argv_cut == T_YES))
			continue;
		if (r->has_unless && regex_hit(&r->unless_re, argv))
			continue;
		hit_from_event(&h, ev, now, ev->task.ses, ev->task.auid);
		h.subject = argv;
		h.subject_len = n;
		h.subject_cut = cut;
		h.exe = exe[0] ? exe : NULL;
		h.exe_cut = exe[0] && ev->exe_truncated;
		deliver(e, r, &h, ev);
	}
}

/*
 * Whether a line rule fires on text: unless is tried on each substring the
 * line pattern matched, not on the whole line, so a comment or an argument
 * elsewhere on the line (`… /dev/tcp/203.0.113.9/4444 # /dev/tcp/localhost/`)
 * cannot excuse a match; the rule fires if any match is not excused.
 */
static bool line_fires(struct ta_alert_engine *e, const struct ta_alert_rule *r, const char *text)
{
	size_t off = 0, len = strlen(text);
	int flags = 0;
	regmatch_t m;

	/* Most lines lack what the pattern requires: no regexec for them. */
	if (!ta_re_required_in(&r->line_req, text, len))
		return false;
	if (!r->has_unless)
		return regex_hit(&r->line_re, text);
	for (int k = 0; k < UNLESS_MATCHES_MAX; k++) {
		size_t from, to;

		if (off > len || regexec(&r->line_re, text + off, 1, &m, flags))
			return false;
		from = off + (size_t)m.rm_so;
		to = off + (size_t)m.rm_eo;
		memcpy(e->match, text + from, to - from);
		e->match[to - from] = '\0';
		if (!regex_hit(&r->unless_re, e->match))
			return true;
		off = to > from ? to : from + 1;
		flags = REG_NOTBOL;
	}
	return true;   /* more matches than are tried: not all were excused */
}

/* The rules of a kind that fire on a line, except those in skip; fired ones set in fired. */
/*
 * A typed line as the shell reads its words: quotes and backslashes removed
 * (`/dev/tc''p`, `c\\url`, `"sh"` are /dev/tcp, curl and sh to bash). NULL
 * when nothing was removed. Quoted text keeps its operators here (`echo 'a |
 * sh'` reads as a pipe): a rule may fire where the shell only printed; it
 * never stays silent where the shell ran the command.
 */
static const char *dequote(struct ta_alert_engine *e, const char *s, size_t n)
{
	size_t o = 0;
	bool esc = false;

	for (size_t i = 0; i < n && o + 1 < sizeof(e->dequoted); i++) {
		char c = s[i];

		if (!esc && c == '\\') {
			esc = true;
			continue;
		}
		if (!esc && (c == '\'' || c == '"'))
			continue;
		esc = false;
		e->dequoted[o++] = c;
	}
	e->dequoted[o] = '\0';
	return o == n ? NULL : e->dequoted;
}

static int match_line(struct ta_alert_engine *e, uint8_t kind, const struct line_text *lt,
		      const struct ta_event *ev, uint64_t now, uint32_t ses, uint32_t auid,
		      const uint64_t *skip, uint64_t *fired)
{
	const char *words = kind == TA_ALERT_ON_INPUT ? dequote(e, lt->s, lt->len) : NULL;
	struct ta_alert_hit h;
	int n = 0;

	for (size_t i = 0; i < e->rules->n; i++) {
		struct ta_alert_rule *r = &e->rules->r[i];

		if (r->on != kind || !session_matches(r, ses, auid))
			continue;
		if (skip && (skip[i / 64] >> (i % 64) & 1))
			continue;
		if (!line_fires(e, r, lt->s) && !(words && line_fires(e, r, words)))
			continue;
		hit_from_event(&h, ev, now, ses, auid);
		h.subject = lt->s;
		h.subject_len = lt->len;
		h.subject_cut = lt->cut;
		h.subject_uncertain = lt->uncertain;
		deliver(e, r, &h, ev);
		if (fired)
			fired[i / 64] |= 1ull << (i % 64);
		n++;
	}
	return n;
}

static void on_output_line(struct ta_alert_engine *e, struct ta_line *l, const struct ta_event *ev,
			   uint64_t now)
{
	struct line_text lt = { .s = e->text, .cut = l->cut };

	lt.len = ta_line_text(l, false, e->text, sizeof(e->text));
	match_line(e, TA_ALERT_ON_OUTPUT, &lt, ev, now, ev->task.ses, ev->task.auid, NULL, NULL);
	if (l->cut)
		e->stats.lines_cut++;
	ta_line_clear(l);
}

/* The pending lines and this one, as the shell reads them; the tail kept if too long. */
static void join_text(struct ta_alert_engine *e, const struct join_buf *j,
		      const struct line_text *lt, struct line_text *out)
{
	size_t cap = TA_ALERT_LINE_MAX, keep = j->len + lt->len > cap ?
		(lt->len >= cap ? 0 : cap - lt->len) : j->len;
	size_t n = lt->len > cap ? cap : lt->len;

	memcpy(e->joined, j->buf + j->len - keep, keep);
	memcpy(e->joined + keep, lt->s, n);
	e->joined[keep + n] = '\0';
	out->s = e->joined;
	out->len = keep + n;
	out->cut = lt->cut || j->cut || keep < j->len || n < lt->len;
	out->uncertain = lt->uncertain || j->uncertain;
}

/* After a line (or joined lines): whether the shell reads on, and what it has so far. */
static void join_keep(struct join_buf *j, const struct line_text *lt)
{
	enum ta_line_cont c = ta_line_continuation(lt->s, lt->len);
	size_t n = lt->len;

	if (c == TA_LINE_DONE) {
		memset(j, 0, sizeof(*j));
		return;
	}
	if (c == TA_LINE_BACKSLASH)
		n--;                                 /* the shell removes \ and the newline */
	if (n > TA_ALERT_LINE_MAX - 1)
		n = TA_ALERT_LINE_MAX - 1;
	memmove(j->buf, lt->s + lt->len - (c == TA_LINE_BACKSLASH) - n, n);
	j->len = (uint32_t)n;
	if (c != TA_LINE_BACKSLASH)
		j->buf[j->len++] = c == TA_LINE_QUOTE ? '\n' : ' ';
	j->cut = lt->cut;
	j->uncertain = lt->uncertain;
	j->pending = true;
}

/* A cut typed line no rule matched: an alert of its own, so padding is never silent. */
static void raise_line_cut(struct ta_alert_engine *e, const struct line_text *lt,
			   const struct ta_event *ev, uint64_t now, uint32_t ses, uint32_t auid)
{
	struct ta_alert_hit h;

	hit_from_event(&h, ev, now, ses, auid);
	h.subject = lt->s;
	h.subject_len = lt->len;
	h.subject_cut = true;
	h.subject_uncertain = lt->uncertain;
	deliver(e, &e->line_cut, &h, ev);
}

/*
 * A typed line at Enter: matched as typed and, when the previous line was
 * continued, joined to it; whether the shell continues it is kept.
 */
static void on_input_line(struct ta_alert_engine *e, struct term *t, const struct ta_event *ev,
			  uint64_t now)
{
	uint32_t ses = ev->owner_ses, auid = ev->owner_auid;
	struct line_text lt = { .s = e->text, .cut = t->in.cut, .uncertain = t->in.uncertain };
	struct join_buf *j = &t->join;
	uint64_t fired[sizeof(j->fired) / sizeof(j->fired[0])] = { 0 };
	struct line_text whole = lt;
	int n;

	lt.len = ta_line_text(&t->in, true, e->text, sizeof(e->text));
	whole = lt;
	n = match_line(e, TA_ALERT_ON_INPUT, &lt, ev, now, ses, auid, NULL, fired);
	if (j->pending) {
		join_text(e, j, &lt, &whole);
		for (size_t i = 0; i < sizeof(fired) / sizeof(fired[0]); i++)
			fired[i] |= j->fired[i];
		n += match_line(e, TA_ALERT_ON_INPUT, &whole, ev, now, ses, auid, fired, fired);
		e->stats.lines_joined++;
	}
	if (lt.cut && !n)
		raise_line_cut(e, &lt, ev, now, ses, auid);
	e->stats.lines_cut += lt.cut;
	e->stats.lines_uncertain += lt.uncertain;
	join_keep(j, &whole);
	memcpy(j->fired, fired, sizeof(fired));
	if (!j->pending)
		memset(j->fired, 0, sizeof(j->fired));
	ta_line_clear(&t->in);
}

static bool typing(const struct term *t)
{
	return t->in.len || t->join.pending || t->in.esc || t->in.paste || t->in.literal;
}

/*
 * A terminal dropped with typing in progress: its half line is on the record
 * as a ttyaudit-line-cut alert of its owner's, never silently gone (`curl …
 * | s`, one byte into 128 other ptys, then `h` Enter ran `| sh`).
 */
static void raise_dropped_line(struct ta_alert_engine *e, struct term *t,
			       const struct ta_event *ev, uint64_t now)
{
	struct line_text lt = { .s = e->text };
	struct ta_alert_hit h;

	if (!e->rules || !e->rules->any[TA_ALERT_ON_INPUT])
		return;
	lt.len = ta_line_text(&t->in, true, e->text, sizeof(e->text));
	if (t->join.pending)
		join_text(e, &t->join, &lt, &lt);
	memset(&h, 0, sizeof(h));
	h.realtime_ns = now;
	h.ses = t->in.ses;
	h.auid = t->in.auid;
	h.uid = h.pid = UINT32_MAX;   /* the line's, not one process's */
	memcpy(h.tty, t->name, sizeof(h.tty));
	h.subject = lt.s;
	h.subject_len = lt.len;
	h.subject_cut = true;
	h.subject_uncertain = true;
	e->stats.lines_dropped++;
	deliver(e, &e->line_cut, &h, ev);
}

/*
 * The terminal's slot. Out of slots, the one not seen for longest among
 * those with no typing in progress goes; only when every one has some does
 * a half line go, and then on the record.
 */
static struct term *term_for(struct ta_alert_engine *e, const struct ta_event *ev, uint64_t now)
{
	const struct ta_tty_id *tty = &ev->tty;
	struct term *victim = NULL, *idle = NULL;

	for (int i = 0; i < TA_ALERT_TERMINALS; i++) {
		struct term *t = &e->terms[i];

		if (t->last_used && t->major == tty->major && t->minor == tty->minor) {
			t->last_used = ++e->use_clock;
			return t;
		}
		if (!victim || t->last_used < victim->last_used)
			victim = t;
		if (!typing(t) && (!idle || t->last_used < idle->last_used))
			idle = t;
	}
	if (idle)
		victim = idle;
	else
		raise_dropped_line(e, victim, ev, now);
	memset(victim, 0, sizeof(*victim));
	victim->major = tty->major;
	victim->minor = tty->minor;
	memcpy(victim->name, tty->name, sizeof(victim->name));
	victim->name[sizeof(victim->name) - 1] = '\0';
	victim->last_used = ++e->use_clock;
	return victim;
}

/*
 * A line is one person's: what another session left unfinished on this
 * terminal (a pty number is reused; a user can type half a line and close
 * it) is not prefixed to the next one's, where it would make a rule name
 * them for words they never typed, or an unless clause hide what they did.
 */
static void own_line(struct term *t, struct ta_line *l, bool input, uint32_t ses, uint32_t auid)
{
	if (l->ses == ses && l->auid == auid)
		return;
	ta_line_reset(l);
	l->ses = ses;
	l->auid = auid;
	if (input)
		memset(&t->join, 0, sizeof(t->join));
}

static void on_tty(struct ta_alert_engine *e, const struct ta_event *ev, uint64_t now)
{
	bool input = ev->kind == TA_EV_TTY_INPUT;
	uint8_t kind = input ? TA_ALERT_ON_INPUT : TA_ALERT_ON_OUTPUT;
	struct term *t;

	if (!e->rules->any[kind] || !ev->len || (ev->flags & TA_F_REDACTED))
		return;
	t = term_for(e, ev, now);
	if (!input) {
		own_line(t, &t->out, false, ev->task.ses, ev->task.auid);
		for (uint32_t i = 0; i < ev->len; i++)
			if (ta_line_output(&t->out, ev->data[i]))
				on_output_line(e, &t->out, ev, now);
		return;
	}
	own_line(t, &t->in, true, ev->owner_ses, ev->owner_auid);
	for (uint32_t i = 0; i < ev->len; i++) {
		if (ta_line_input(&t->in, ev->data[i]))
			on_input_line(e, t, ev, now);
		if (t->in.abandoned) {
			/* ^C as a key (not text after ^V or in a paste): the whole command goes */
			memset(&t->join, 0, sizeof(t->join));
			t->in.abandoned = false;
		}
	}
}

/* True the first time a session is seen (until the table fills and starts over). */
static bool first_sight(struct ta_alert_engine *e, uint32_t ses)
{
	uint32_t key = ses + 1, i = (ses * 2654435761u) % SEEN_SESSIONS;

	if (!key)
		return false;  /* ses unset: not a session */
	for (;; i = (i + 1) % SEEN_SESSIONS) {
		if (e->seen[i] == key)
			return false;
		if (!e->seen[i])
			break;
	}
	if (e->n_seen >= SEEN_SESSIONS / 2) {
		memset(e->seen, 0, sizeof(e->seen));
		e->n_seen = 0;
		i = (ses * 2654435761u) % SEEN_SESSIONS;
	}
	e->seen[i] = key;
	e->n_seen++;
	return true;
}

static void on_session(struct ta_alert_engine *e, const struct ta_event *ev, uint64_t now)
{
	uint32_t ses = ev->kind == TA_EV_TTY_INPUT ? ev->owner_ses : ev->task.ses;
	uint32_t auid = ev->kind == TA_EV_TTY_INPUT ? ev->owner_auid : ev->task.auid;
	struct ta_alert_hit h;

	if (!first_sight(e, ses))
		return;
	for (size_t i = 0; i < e->rules->n; i++) {
		struct ta_alert_rule *r = &e->rules->r[i];

		if (r->on != TA_ALERT_ON_SESSION || !session_matches(r, ses, auid))
			continue;
		hit_from_event(&h, ev, now, ses, auid);
		h.subject = ev->tty.name;
		h.subject_len = strnlen(ev->tty.name, sizeof(ev->tty.name));
		deliver(e, r, &h, ev);
	}
}

/* Footprint: op name, path (or the second path of a rename), peer, the uid it ended with. */
static void on_footprint(struct ta_alert_engine *e, const struct ta_event *ev, uint64_t now)
{
	const struct ta_fp_event *f = ev->fp;
	char given[TA_FP_PATH_MAX], given2[TA_FP_PATH_MAX], peer[64], subject[3 * TA_FP_PATH_MAX];
	const char *path = ev->fp_path, *path2 = ev->fp_path2;
	const char *op = ta_fp_op_name(f->op);
	uint32_t uid = ta_fp_op_is_privilege(f->op) ? f->euid : ev->task.uid;
	bool other = ev->task.auid != UINT32_MAX && uid != ev->task.auid;
	size_t subject_len;
	struct ta_alert_hit h;

	/* As strings for regexec: a NUL cannot be in a path the kernel took. */
	memcpy(given, ev->fp_given ? ev->fp_given : "", ev->fp_given_len);
	given[ev->fp_given_len] = '\0';
	memcpy(given2, ev->fp_given2 ? ev->fp_given2 : "", ev->fp_given2_len);
	given2[ev->fp_given2_len] = '\0';
	peer[0] = '\0';
	if (ta_fp_op_is_network(f->op))
		ta_fp_peer_str(f->family, f->addr, f->port, peer, sizeof(peer));
	subject_len = ta_fp_describe(f, path, ev->fp_path_len, path2, ev->fp_path2_len, subject,
				     sizeof(subject));
	for (size_t i = 0; i < e->rules->n; i++) {
		struct ta_alert_rule *r = &e->rules->r[i];

		if (r->on != TA_ALERT_ON_FOOTPRINT || !session_matches(r, ev->task.ses, ev->task.auid))
			continue;
		if (r->has_op && !regex_hit(&r->op_re, op))
			continue;
		/* The absolute path, or the name as given (a rule may be written for either). */
		if (r->has_path && !regex_hit(&r->path_re, path) &&
		    !(path2[0] && regex_hit(&r->path_re, path2)) &&
		    !(given[0] && regex_hit(&r->path_re, given)) &&
		    !(given2[0] && regex_hit(&r->path_re, given2)))
			continue;
		if (r->has_peer && (!peer[0] || !regex_hit(&r->peer_re, peer)))
			continue;
		if (r->has_uid && !in_range(uid, r->uid_lo, r->uid_hi))
			continue;
		if (r->other_user != T_ANY && other != (r->other_user == T_YES))
			continue;
		if (r->has_unless && regex_hit(&r->unless_re, subject))
			continue;
		hit_from_event(&h, ev, now, ev->task.ses, ev->task.auid);
		h.subject = subject;
		h.subject_len = subject_len;
		h.subject_cut = ev->fp_path_cut || ev->fp_path2_cut;
		deliver(e, r, &h, ev);
	}
}

void ta_alert_engine_feed(struct ta_alert_engine *e, const struct ta_event *ev,
			  uint64_t realtime_ns)
{
	if (!e->rules || !e->rules->n)
		return;
	if (e->rules->any[TA_ALERT_ON_SESSION] && ev->tty.name[0])
		on_session(e, ev, realtime_ns);
	switch (ev->kind) {
	case TA_EV_EXEC:
		if (e->rules->any[TA_ALERT_ON_EXEC])
			on_exec(e, ev, realtime_ns);
		break;
	case TA_EV_TTY_INPUT:
	case TA_EV_TTY_OUTPUT:
		on_tty(e, ev, realtime_ns);
		break;
	case TA_EV_FOOTPRINT:
		if (e->rules->any[TA_ALERT_ON_FOOTPRINT] && ev->fp)
			on_footprint(e, ev, realtime_ns);
		break;
	default:
		break;
	}
}

void ta_alert_engine_attach(struct ta_alert_engine *e, const struct ta_shared_attach *a)
{
	bool other = a->auid != UINT32_MAX && a->server_auid != UINT32_MAX &&
		     a->auid != a->server_auid;
	char subject[TA_UNIX_PATH_MAX + 64];
	struct ta_alert_hit h;
	int n;

	if (!e->rules || !e->rules->any[TA_ALERT_ON_ATTACH])
		return;
	/* the server's socket (abstract names start with NUL: shown as @) and its owner */
	n = snprintf(subject, sizeof(subject), "%s%.*s (server auid %d)",
		     a->path_len && a->path[0] == '\0' ? "@" : "",
		     a->path_len ? (int)strnlen(a->path + (a->path[0] == '\0'),
						  a->path_len - (a->path[0] == '\0')) : 0,
		     a->path_len ? a->path + (a->path[0] == '\0') : "", (int)a->server_auid);
	for (size_t i = 0; i < e->rules->n; i++) {
		struct ta_alert_rule *r = &e->rules->r[i];

		if (r->on != TA_ALERT_ON_ATTACH || !session_matches(r, a->ses, a->auid))
			continue;
		if (r->other_user != T_ANY && other != (r->other_user == T_YES))
			continue;
		memset(&h, 0, sizeof(h));
		h.realtime_ns = a->realtime_ns;
		h.ses = a->ses;
		h.auid = a->auid;
		h.uid = a->uid;
		h.pid = a->pid;
		memcpy(h.tty, a->tty.name, sizeof(h.tty));
		h.tty[sizeof(h.tty) - 1] = '\0';
		memcpy(h.comm, a->comm, sizeof(h.comm));
		h.comm[sizeof(h.comm) - 1] = '\0';
		h.subject = subject;
		h.subject_len = n < 0 ? 0 : (size_t)n >= sizeof(subject) ? sizeof(subject) - 1 :
			(size_t)n;
		deliver(e, r, &h, NULL);
	}
}

/* Once the bucket has a token again: how many of the person's hits it suppressed. */
static void lift(struct ta_alert_engine *e, struct ta_alert_rule *r, struct ta_alert_bucket *b,
		 uint64_t now)
{
	struct ta_alert_hit h;

	if (!b->suppressed || !ta_alert_bucket_take(b, r, now))
		return;
	ta_alert_bucket_summary(b, r, now, &h);
	e->fn(e->ctx, &h);
}

static struct ta_alert_rule *rule_of_slot(struct ta_alert_engine *e, uint16_t slot)
{
	if (slot == TA_ALERT_SLOT_WATCH)
		return &e->watch;
	if (slot == TA_ALERT_SLOT_WATCH_FAILED)
		return &e->watch_failed;
	if (slot == TA_ALERT_SLOT_LINE_CUT)
		return &e->line_cut;
	return e->rules && slot < e->rules->n ? &e->rules->r[slot] : NULL;
}

void ta_alert_engine_tick(struct ta_alert_engine *e, uint64_t now)
{
	for (int i = 0; i < TA_ALERT_BUCKETS; i++) {
		struct ta_alert_bucket_slot *s = &e->buckets.slot[i];
		struct ta_alert_rule *r = s->used ? rule_of_slot(e, s->rule) : NULL;

		if (r)
			lift(e, r, &s->b, now);
	}
	lift(e, &e->watch, &e->watch.overflow, now);
	lift(e, &e->watch_failed, &e->watch_failed.overflow, now);
	lift(e, &e->line_cut, &e->line_cut.overflow, now);
	if (!e->rules)
		return;
	for (size_t i = 0; i < e->rules->n; i++)
		lift(e, &e->rules->r[i], &e->rules->r[i].overflow, now);
}

void ta_alert_engine_raise(struct ta_alert_engine *e, struct ta_alert_hit *hit, bool failed)
{
	deliver(e, failed ? &e->watch_failed : &e->watch, hit, NULL);
}

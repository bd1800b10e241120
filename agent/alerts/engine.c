// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule engine: capture events in, hits out. Input and output are
 * reassembled into lines per terminal first, so a pattern split across
 * chunks or keystrokes still matches, and one chunk never matches half a
 * line. Work per byte is constant and per line bounded by
 * TA_ALERT_LINE_MAX and the rules' count.
 */
#include "alerts/rules_internal.h"
#include "logfmt/footprint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sessions remembered for once-per-session rules; cleared when full. */
#define SEEN_SESSIONS 4096

/* A line being assembled, and where an escape sequence stands in it. */
struct line_buf {
	char buf[TA_ALERT_LINE_MAX + 1];
	uint32_t len;
	bool cut;
	uint8_t esc;    /* 0 none, 1 after ESC, 2 inside CSI/SS3/OSC */
	uint32_t ses, auid;  /* whose line it is (the first bytes' session and login uid) */
};

struct term {
	uint32_t major, minor;
	uint64_t last_used;   /* 0: free slot */
	struct line_buf in, out;
};

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
	struct ta_alert_buckets buckets;   /* per (rule, person) */
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

/* Through the rate limit of the rule and the hit's person, or counted there. */
static void deliver(struct ta_alert_engine *e, struct ta_alert_rule *r, struct ta_alert_hit *h)
{
	uint64_t who = ta_alert_person(h->ses, h->auid);
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
		if (r->has_argv && !regex_hit(&r->argv_re, argv))
			continue;
		if (r->has_unless && regex_hit(&r->unless_re, argv))
			continue;
		hit_from_event(&h, ev, now, ev->task.ses, ev->task.auid);
		h.subject = argv;
		h.subject_len = n;
		h.subject_cut = (ev->flags & TA_F_TRUNCATED) != 0;
		h.exe = exe[0] ? exe : NULL;
		deliver(e, r, &h);
	}
}

static void on_line(struct ta_alert_engine *e, uint8_t kind, struct line_buf *lb,
		    const struct ta_event *ev, uint64_t now, uint32_t ses, uint32_t auid)
{
	struct ta_alert_hit h;

	lb->buf[lb->len] = '\0';
	for (size_t i = 0; i < e->rules->n; i++) {
		struct ta_alert_rule *r = &e->rules->r[i];

		if (r->on != kind || !session_matches(r, ses, auid))
			continue;
		if (!regex_hit(&r->line_re, lb->buf))
			continue;
		if (r->has_unless && regex_hit(&r->unless_re, lb->buf))
			continue;
		hit_from_event(&h, ev, now, ses, auid);
		h.subject = lb->buf;
		h.subject_len = lb->len;
		h.subject_cut = lb->cut;
		deliver(e, r, &h);
	}
	if (lb->cut)
		e->stats.lines_cut++;
	lb->len = 0;
	lb->cut = false;
}

static struct term *term_for(struct ta_alert_engine *e, const struct ta_tty_id *tty)
{
	struct term *victim = &e->terms[0];

	for (int i = 0; i < TA_ALERT_TERMINALS; i++) {
		struct term *t = &e->terms[i];

		if (t->last_used && t->major == tty->major && t->minor == tty->minor) {
			t->last_used = ++e->use_clock;
			return t;
		}
		if (t->last_used < victim->last_used)
			victim = t;
	}
	/* A terminal not seen for longest loses its partial lines. */
	memset(victim, 0, sizeof(*victim));
	victim->major = tty->major;
	victim->minor = tty->minor;
	victim->last_used = ++e->use_clock;
	return victim;
}

/*
 * Editing as a terminal user does it: backspace, ^U, ^W, and escape
 * sequences (arrows, colours) left out. Returns true at the end of a line.
 */
static bool line_add(struct line_buf *lb, uint8_t c, bool input)
{
	if (lb->esc == 1) {
		/* ESC [ (CSI), ESC O (SS3), ESC ] (OSC) go on; anything else ends here */
		lb->esc = (c == '[' || c == 'O' || c == ']') ? 2 : 0;
		return false;
	}
	if (lb->esc == 2) {
		if ((c >= 0x40 && c <= 0x7e) || c == 0x07)
			lb->esc = 0;
		return false;
	}
	switch (c) {
	case '\n':
		return true;
	case '\r':
		/* typed: Enter; written: only the carriage, the line ends at \n */
		return input;
	case 0x1b:
		lb->esc = 1;
		return false;
	case 0x7f:
	case 0x08:
		if (lb->len)
			lb->len--;
		return false;
	case 0x15: /* ^U */
	case 0x03: /* ^C: the line is abandoned */
		lb->len = 0;
		lb->cut = false;
		return false;
	case 0x17: /* ^W */
		while (lb->len && lb->buf[lb->len - 1] == ' ')
			lb->len--;
		while (lb->len && lb->buf[lb->len - 1] != ' ')
			lb->len--;
		return false;
	case '\t':
		break;
	default:
		if (c < 0x20)
			return false;
	}
	if (lb->len < TA_ALERT_LINE_MAX)
		lb->buf[lb->len++] = (char)c;
	else
		lb->cut = true;
	return false;
}

static void on_tty(struct ta_alert_engine *e, const struct ta_event *ev, uint64_t now)
{
	bool input = ev->kind == TA_EV_TTY_INPUT;
	uint8_t kind = input ? TA_ALERT_ON_INPUT : TA_ALERT_ON_OUTPUT;
	uint32_t ses = input ? ev->owner_ses : ev->task.ses;
	uint32_t auid = input ? ev->owner_auid : ev->task.auid;
	struct term *t;
	struct line_buf *lb;

	if (!e->rules->any[kind] || !ev->len || (ev->flags & TA_F_REDACTED))
		return;
	t = term_for(e, &ev->tty);
	lb = input ? &t->in : &t->out;
	/*
	 * A line is one person's: what another session left unfinished on this
	 * terminal (a pty number is reused; a user can type half a line and
	 * close it) is not prefixed to the next one's, where it would make a
	 * rule name them for words they never typed, or an unless clause hide
	 * what they did.
	 */
	if (lb->ses != ses || lb->auid != auid) {
		lb->len = 0;
		lb->cut = false;
		lb->esc = 0;
		lb->ses = ses;
		lb->auid = auid;
	}
	for (uint32_t i = 0; i < ev->len; i++)
		if (line_add(lb, ev->data[i], input))
			on_line(e, kind, lb, ev, now, ses, auid);
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
		deliver(e, r, &h);
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
		deliver(e, r, &h);
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
		deliver(e, r, &h);
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
	if (!e->rules)
		return;
	for (size_t i = 0; i < e->rules->n; i++)
		lift(e, &e->rules->r[i], &e->rules->r[i].overflow, now);
}

void ta_alert_engine_raise(struct ta_alert_engine *e, struct ta_alert_hit *hit, bool failed)
{
	deliver(e, failed ? &e->watch_failed : &e->watch, hit);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* A session's timeline from the log (transcript.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/json_read.h"
#include "index/sesstab.h"
#include "logfmt/footprint.h"
#include "logfmt/record_types.h"
#include "store/walk.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/log_records.h"
#include "ttyaudit/record.h"
#include "view/neutralise.h"
#include "view/transcript.h"

static struct ta_tev *new_ev(struct ta_transcript *tr)
{
	if (tr->n == tr->cap) {
		size_t ncap = tr->cap ? tr->cap * 2 : 256;
		struct ta_tev *ne = realloc(tr->ev, ncap * sizeof(*ne));
		if (!ne)
			return NULL;
		tr->ev = ne;
		tr->cap = ncap;
	}
	struct ta_tev *e = &tr->ev[tr->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

static int put_data(struct ta_transcript *tr, struct ta_tev *e, const void *data, size_t len)
{
	if (len > UINT32_MAX)
		len = UINT32_MAX;
	e->data = tr->arena.len;
	e->len = (uint32_t)len;
	ta_buf_put(&tr->arena, data, len);
	return tr->arena.oom ? -ENOMEM : 0;
}


/* A window-size entry. */
static void tev_winsize(struct ta_tev *e, const struct ta_batch_item *it)
{
	e->kind = TA_TEV_WINSIZE;
	e->rows = it->rows;
	e->cols = it->cols;
}

/* The fields every terminal entry gives its event, whichever way it is read. */
static void tev_from_entry(struct ta_tev *e, const struct ta_batch_item *it, uint64_t index,
			   uint32_t seq, uint32_t ttyoff)
{
	const struct ta_tty_entry *te = &it->entry;

	e->time_ns = it->time_ns;
	e->index = index;
	e->seq = seq;
	e->source = te->source;
	e->flags = te->flags;
	e->orig_len = te->orig_len;
	e->oflag = te->oflag;
	e->pid = te->pid;
	e->uid = te->uid;
	e->tty = ttyoff;
	memcpy(e->comm, te->comm, sizeof(e->comm));
	e->comm[sizeof(e->comm) - 1] = '\0';
}

static int add_tty(struct ta_transcript *tr, const struct ta_log_record *rec)
{
	struct ta_batch_iter it;
	struct ta_batch_item te;
	char tty[TA_TTY_NAME_LEN + 1];
	uint32_t seq = 0, ttyoff;
	int n;

	if (ta_batch_iter_init(&it, rec->payload, rec->len)) {
		tr->bad_payloads++;
		struct ta_tev *e = new_ev(tr);
		if (!e)
			return -ENOMEM;
		e->kind = TA_TEV_DAMAGE;
		e->time_ns = rec->time_ns;
		e->index = rec->index;
		char msg[128];
		snprintf(msg, sizeof(msg), "record %" PRIu64 ": terminal data does not decode", rec->index);
		return put_data(tr, e, msg, strlen(msg));
	}
	ta_batch_tty_name(&it, tty);
	ttyoff = ta_sesstab_intern(&tr->names, tty, strlen(tty));
	while ((n = ta_batch_next(&it, &te)) == 1) {
		struct ta_tev *e = new_ev(tr);
		if (!e)
			return -ENOMEM;
		tev_from_entry(e, &te, rec->index, seq++, ttyoff);
		switch (te.kind) {
		case TA_ENTRY_OUTPUT:
			e->kind = TA_TEV_OUTPUT;
			break;
		case TA_ENTRY_INPUT:
			e->kind = TA_TEV_INPUT;
			break;
		case TA_ENTRY_WINSIZE:
			tev_winsize(e, &te);
			continue;
		default:
			tr->n--; /* unknown kind: skipped (newer writer) */
			continue;
		}
		if (put_data(tr, e, te.data, te.len))
			return -ENOMEM;
	}
	if (n < 0) {
		tr->bad_payloads++;
		struct ta_tev *e = new_ev(tr);
		if (!e)
			return -ENOMEM;
		e->kind = TA_TEV_DAMAGE;
		e->time_ns = rec->time_ns;
		e->index = rec->index;
		e->seq = seq;
		char msg[128];
		snprintf(msg, sizeof(msg), "record %" PRIu64 ": terminal data ends malformed", rec->index);
		return put_data(tr, e, msg, strlen(msg));
	}
	return 0;
}

/*
 * A gap whose record is not a loss record (store gap, restart, torn tail,
 * stop): the reader's description with the fields a loss record has (reason,
 * since, until, events, bytes; 0 time or UINT64_MAX count: unknown, null) and
 * the line show prints (text). Marked TA_TEV_F_DESCRIBED: not a stored record.
 */
static int add_gap_desc(struct ta_transcript *tr, const struct ta_log_record *rec,
			const char *reason, uint64_t since_ns, uint64_t until_ns, uint64_t events,
			uint64_t bytes, const char *text)
{
	struct ta_json j;
	struct ta_tev *e;
	int err;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "reason");
	ta_json_str(&j, reason);
	const struct { const char *k; uint64_t t; } times[] = { { "since", since_ns }, { "until", until_ns } };
	for (size_t i = 0; i < 2; i++) {
		ta_json_key(&j, times[i].k);
		if (times[i].t)
			ta_json_time(&j, times[i].t);
		else
			ta_json_null(&j);
	}
	const struct { const char *k; uint64_t v; } counts[] = { { "events", events }, { "bytes", bytes } };
	for (size_t i = 0; i < 2; i++) {
		ta_json_key(&j, counts[i].k);
		if (counts[i].v != UINT64_MAX)
			ta_json_u64(&j, counts[i].v);
		else
			ta_json_null(&j);
	}
	ta_json_key(&j, "text");
	ta_json_str(&j, text);
	ta_json_obj_end(&j);
	if (j.oom || !(e = new_ev(tr))) {
		ta_json_free(&j);
		return -ENOMEM;
	}
	e->kind = TA_TEV_GAP;
	e->flags = TA_TEV_F_DESCRIBED;
	e->time_ns = rec->time_ns;
	e->index = rec->index;
	err = put_data(tr, e, j.buf, j.len);
	ta_json_free(&j);
	return err;
}

/* The session whose pane an attribution record describes (0 if it names none). */
static uint64_t attr_pane_key(const struct ta_log_record *rec, struct ta_jobj *o)
{
	uint64_t owner;

	if (rec->type != TA_REC_ATTRIBUTION || ta_jobj_parse(o, (const char *)rec->payload, rec->len) ||
	    ta_jobj_u64(o, "pane_owner_ses", &owner) || owner >= TA_ID_NONE)
		return 0;
	return (rec->session & 0xffffffff00000000ull) | owner;
}

static uint64_t jtime(const struct ta_jobj *o, const char *key)
{
	char buf[64];
	uint64_t ns;

	if (ta_jobj_cstr(o, key, buf, sizeof(buf)) > 0 && !ta_parse_rfc3339(buf, &ns))
		return ns;
	return 0;
}

/*
 * Attribution records: the pane's session keeps them to mark its input (and
 * as events); the typist's session shows them as events.
 */
static int add_attribution(struct ta_transcript *tr, const struct ta_log_record *rec)
{
	struct ta_jobj o;
	uint64_t pane_key = attr_pane_key(rec, &o), v;
	char buf[256];

	if (!pane_key && rec->session == tr->key) {
		/* Ours, but it does not decode: kept as an event. */
	} else if (pane_key != tr->key && rec->session != tr->key) {
		return 0;
	}
	if (rec->session == tr->key)
		tr->records++;
	if (pane_key == tr->key) {
		if (tr->nattrs == tr->attrcap) {
			size_t ncap = tr->attrcap ? tr->attrcap * 2 : 16;
			struct ta_attr *na = realloc(tr->attrs, ncap * sizeof(*na));
			if (!na)
				return -ENOMEM;
			tr->attrs = na;
			tr->attrcap = ncap;
		}
		struct ta_attr *a = &tr->attrs[tr->nattrs++];
		memset(a, 0, sizeof(*a));
		a->index = rec->index;
		a->typist_key = rec->session;
		a->start_ns = jtime(&o, "start");
		a->end_ns = jtime(&o, "end");
		if (!a->start_ns)
			a->start_ns = rec->time_ns;
		if (a->end_ns < a->start_ns)
			a->end_ns = a->start_ns;
		a->auid = !ta_jobj_u64(&o, "auid", &v) && v < TA_ID_NONE ? (uint32_t)v : TA_ID_NONE;
		a->ses = !ta_jobj_u64(&o, "ses", &v) && v < TA_ID_NONE ? (uint32_t)v : TA_ID_NONE;
		a->conf = ta_jobj_cstr(&o, "confidence", buf, sizeof(buf)) > 0 ? (uint8_t)ta_conf_parse(buf)
										: TA_CONF_NONE;
		a->pane = ta_sesstab_intern_member(&tr->names, &o, "pane");
		const struct ta_jval *c = ta_jobj_get(&o, "client");
		struct ta_jobj co;
		if (c && c->type == TA_J_OBJ && !ta_jobj_parse(&co, c->p, c->n)) {
			a->client_tty = ta_sesstab_intern_member(&tr->names, &co, "tty");
			if (!ta_jobj_u64(&co, "pid", &v) && v < UINT32_MAX)
				a->client_pid = (uint32_t)v;
		}
	}
	struct ta_tev *e = new_ev(tr);
	if (!e)
		return -ENOMEM;
	e->kind = TA_TEV_ATTRIB;
	e->time_ns = rec->time_ns;
	e->index = rec->index;
	return put_data(tr, e, rec->payload, rec->len);
}

/* Whether a record that does not carry the session's key still belongs to it. */
static int foreign_ok(const struct ta_transcript *tr, const struct ta_log_record *rec)
{
	struct ta_jobj o;

	if ((uint32_t)rec->session == TA_ID_NONE && rec->type == TA_REC_LOSS)
		return 1; /* a global loss record the index filed here */
	if (rec->type == TA_REC_GAP)
		return 1;
	return rec->type == TA_REC_ATTRIBUTION && attr_pane_key(rec, &o) == tr->key;
}

int ta_transcript_add_record(struct ta_transcript *tr, const void *vrec)
{
	const struct ta_log_record *rec = vrec;
	uint8_t kind;
	char msg[256];

	switch (rec->type) {
	case TA_REC_TTY_DATA:
		if (rec->session != tr->key)
			return 0;
		tr->records++;
		return add_tty(tr, rec);
	case TA_REC_GAP: {
		struct ta_rec_gap g;
		if (rec->len < sizeof(g))
			return add_gap_desc(tr, rec, "store_gap", 0, rec->time_ns, UINT64_MAX, UINT64_MAX,
					    "store gap record (malformed)");
		memcpy(&g, rec->payload, sizeof(g));
		snprintf(msg, sizeof(msg), "the store dropped %" PRIu64 " records (%" PRIu64
			 " bytes)%s", g.dropped_records, g.dropped_bytes,
			 g.reason == TA_GAP_DISK_FULL ? ": disk full" : "");
		/*
		 * Records of every session, as stored: not the session's terminal
		 * events and bytes (its own disk_full gap says those), so null.
		 */
		return add_gap_desc(tr, rec, g.reason == TA_GAP_DISK_FULL ? "store_disk_full" : "store_gap",
				    g.since_ns, g.until_ns ? g.until_ns : rec->time_ns, UINT64_MAX,
				    UINT64_MAX, msg);
	}
	case TA_REC_RECOVERY:
		return add_gap_desc(tr, rec, "torn_tail", 0, rec->time_ns, UINT64_MAX, UINT64_MAX,
				    "the agent stopped without finishing a write (torn tail recovered)");
	case TA_REC_AGENT_START: {
		struct ta_jobj o;
		char since[64] = "";
		uint64_t since_ns = 0;

		/* After an unclean stop the record says since when nothing was recorded. */
		if (!ta_jobj_parse(&o, (const char *)rec->payload, rec->len) &&
		    ta_jobj_cstr(&o, "lost_since", since, sizeof(since)) > 0 &&
		    !ta_parse_rfc3339(since, &since_ns) && since_ns <= rec->time_ns) {
			snprintf(msg, sizeof(msg), "the agent restarted after an unclean stop (killed "
				 "or crashed): nothing was recorded from %s until this start (%.3f s)",
				 since, (double)(rec->time_ns - since_ns) / 1e9);
			/* How much the terminals wrote meanwhile nobody counted: null, not 0. */
			return add_gap_desc(tr, rec, "restart_unclean", since_ns, rec->time_ns,
					    UINT64_MAX, UINT64_MAX, msg);
		}
		return add_gap_desc(tr, rec, "restart", 0, rec->time_ns, UINT64_MAX, UINT64_MAX,
				    "the agent (re)started: anything between its stop and this start "
				    "was not recorded");
	}
	case TA_REC_AGENT_STOP:
		return add_gap_desc(tr, rec, "agent_stop", rec->time_ns, 0, UINT64_MAX, UINT64_MAX,
				    "the agent stopped");
	case TA_REC_LOSS:
		kind = TA_TEV_GAP;
		break;
	case TA_REC_EXEC:
		kind = TA_TEV_EXEC;
		break;
	case TA_REC_SESSION_START:
		kind = TA_TEV_LOGIN;
		break;
	case TA_REC_SESSION_END:
		kind = TA_TEV_LOGOUT;
		break;
	case TA_REC_UNCAPTURED:
	case TA_REC_LOGIN_FAILED:
	case TA_REC_LOGIN_EVENT:
		kind = TA_TEV_NOTE;
		break;
	case TA_REC_ATTACH:
		kind = TA_TEV_ATTACH;
		break;
	case TA_REC_DETACH:
		kind = TA_TEV_DETACH;
		break;
	case TA_REC_ATTRIBUTION:
		return add_attribution(tr, rec);
	case TA_REC_FOOTPRINT:
		kind = TA_TEV_FOOTPRINT;
		break;
	case TA_REC_ALERT:
		kind = TA_TEV_ALERT;
		break;
	default:
		return 0;
	}
	/* Session-less loss (no "ses") concerns everyone active. */
	if (rec->session != tr->key && !(rec->type == TA_REC_LOSS &&
					 (uint32_t)rec->session == TA_ID_NONE))
		return 0;
	if (rec->session == tr->key)
		tr->records++;
	struct ta_tev *e = new_ev(tr);
	if (!e)
		return -ENOMEM;
	e->kind = kind;
	e->time_ns = rec->time_ns;
	e->index = rec->index;
	return put_data(tr, e, rec->payload, rec->len);
}

static int cmp_tev(const void *a, const void *b)
{
	const struct ta_tev *x = a, *y = b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ta_transcript_sort(struct ta_transcript *tr)
{
	/* Usually already in order: check before sorting. */
	for (size_t i = 1; i < tr->n; i++) {
		if (cmp_tev(&tr->ev[i - 1], &tr->ev[i]) > 0) {
			qsort(tr->ev, tr->n, sizeof(*tr->ev), cmp_tev);
			return;
		}
	}
}

int ta_transcript_add_damage(struct ta_transcript *tr, uint64_t index, uint64_t time_ns,
			     const char *line)
{
	struct ta_tev *e = new_ev(tr);

	if (!e)
		return -ENOMEM;
	tr->damage++;
	e->kind = TA_TEV_DAMAGE;
	e->time_ns = time_ns;
	e->index = index;
	return put_data(tr, e, line, strlen(line));
}

const char *ta_transcript_damage(const struct ta_transcript *tr, int *len)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->ev[i].kind == TA_TEV_DAMAGE) {
			*len = (int)tr->ev[i].len;
			return (const char *)ta_tev_data(tr, &tr->ev[i]);
		}
	/* Streamed: the events are not kept, the first one's line is. */
	*len = (int)strlen(tr->damage_line);
	return tr->damage_line[0] ? tr->damage_line : NULL;
}

static int add_damage(struct ta_transcript *tr, struct ta_walk *w, uint64_t time_ns)
{
	char line[512];

	ta_walk_describe(w, line, sizeof(line));
	return ta_transcript_add_damage(tr, w->last.index, time_ns, line);
}

int ta_transcript_init(struct ta_transcript *tr, uint64_t key)
{
	memset(tr, 0, sizeof(*tr));
	tr->key = key;
	ta_buf_init(&tr->arena);
	return ta_sesstab_init(&tr->names, 0);
}

int ta_transcript_load(struct ta_transcript *tr, const char *dir, uint64_t key, uint64_t first,
		       uint64_t last, const struct ta_ref *refs, size_t nrefs)
{
	struct ta_walk w;
	struct ta_log_record rec;
	uint64_t last_time = 0;
	int err, n;

	if ((err = ta_transcript_init(tr, key)))
		return err;
	if ((err = ta_walk_open(&w, dir, 0)))
		return err;
	if (refs && nrefs) {
		uint64_t pos = UINT64_MAX; /* index the reader returns next */
		for (size_t i = 0; i < nrefs; i++) {
			uint64_t want = refs[i].index;
			if (pos == UINT64_MAX || want < pos || want - pos > 256) {
				if (ta_walk_seek(&w, want)) {
					tr->index_mismatch++;
					pos = UINT64_MAX;
					continue;
				}
				pos = want;
			}
			int got = 0;
			while ((n = ta_walk_next(&w, &rec)) != TA_WALK_END) {
				if (n < 0) {
					ta_walk_close(&w);
					return n;
				}
				if (n == TA_WALK_DAMAGE) {
					if ((err = add_damage(tr, &w, last_time)))
						goto out;
					pos = UINT64_MAX;
					break;
				}
				pos = rec.index + 1;
				last_time = rec.time_ns;
				if (rec.index < want)
					continue;
				if (rec.index == want)
					got = 1;
				break;
			}
			if (!got || (rec.session != key && !foreign_ok(tr, &rec))) {
				tr->index_mismatch++;
				continue;
			}
			if ((err = ta_transcript_add_record(tr, &rec)))
				goto out;
		}
	} else {
		if (first && ta_walk_seek(&w, first)) {
			/* Not there any more (retention) or damaged: read from the start. */
			ta_walk_close(&w);
			if ((err = ta_walk_open(&w, dir, 0)))
				return err;
		}
		while ((n = ta_walk_next(&w, &rec)) != TA_WALK_END) {
			if (n < 0) {
				err = n;
				goto out;
			}
			if (n == TA_WALK_DAMAGE) {
				if ((err = add_damage(tr, &w, last_time)))
					goto out;
				continue;
			}
			if (rec.index > last)
				break;
			last_time = rec.time_ns;
			if (rec.index < first)
				continue;
			if ((err = ta_transcript_add_record(tr, &rec)))
				goto out;
		}
	}
	ta_transcript_sort(tr);
	err = 0;
out:
	ta_walk_close(&w);
	return err;
}

void ta_transcript_free(struct ta_transcript *tr)
{
	free(tr->ev);
	free(tr->attrs);
	ta_buf_free(&tr->arena);
	ta_sesstab_free(&tr->names);
	memset(tr, 0, sizeof(*tr));
}

/* "pts/3" and "pts3" name the same terminal. */
static int same_tty(const char *a, const char *b)
{
	if (!strncmp(a, "/dev/", 5))
		a += 5;
	if (!strncmp(b, "/dev/", 5))
		b += 5;
	for (;;) {
		while (*a == '/')
			a++;
		while (*b == '/')
			b++;
		if (*a != *b)
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

const struct ta_attr *ta_transcript_attr_for(const struct ta_transcript *tr, const struct ta_tev *e)
{
	if (!tr->nattrs || e->kind != TA_TEV_INPUT)
		return NULL;
	/* Entry times are stored in microseconds: up to 999 ns before the run's start. */
	for (size_t i = 0; i < tr->nattrs; i++) {
		const struct ta_attr *a = &tr->attrs[i];
		if (e->time_ns + 999 < a->start_ns || e->time_ns > a->end_ns)
			continue;
		/* A pane named with a NUL in it is no terminal's name. */
		const char *pane = a->pane ? ta_sesstab_cstr(&tr->names, a->pane) : NULL;
		if (a->pane && (!pane || !same_tty(pane, ta_tev_tty(tr, e))))
			continue;
		return a;
	}
	return NULL;
}

int ta_transcript_add_client(struct ta_transcript *tr, const void *vrec)
{
	const struct ta_log_record *rec = vrec;
	struct ta_tev *e;

	if (rec->type != TA_REC_ATTACH && rec->type != TA_REC_DETACH)
		return 0;
	if (rec->session == tr->key)
		return 0; /* already there as the session's own record */
	if (!(e = new_ev(tr)))
		return -ENOMEM;
	e->kind = rec->type == TA_REC_ATTACH ? TA_TEV_ATTACH : TA_TEV_DETACH;
	e->time_ns = rec->time_ns;
	e->index = rec->index;
	return put_data(tr, e, rec->payload, rec->len);
}

int ta_transcript_add_clients(struct ta_transcript *tr, const char *dir, const uint64_t *index,
			      size_t n)
{
	struct ta_walk w;
	struct ta_log_record rec;
	int err;

	if (!n)
		return 0;
	if ((err = ta_walk_open(&w, dir, 0)))
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		if (ta_walk_seek(&w, index[i]) || ta_walk_next(&w, &rec) != TA_WALK_RECORD ||
		    rec.index != index[i])
			continue; /* gone (retention) or damaged: the session's view does not need it */
		err = ta_transcript_add_client(tr, &rec);
	}
	ta_walk_close(&w);
	return err;
}

static int emit(struct ta_transcript *tr, const struct ta_tev *e, const uint8_t *d, ta_tev_fn fn,
		void *ctx)
{
	if (e->kind == TA_TEV_DAMAGE && !tr->damage_line[0])
		snprintf(tr->damage_line, sizeof(tr->damage_line), "%.*s", (int)e->len, (const char *)d);
	return fn(ctx, tr, e, d);
}

int ta_transcript_each(const struct ta_transcript *tr, ta_tev_fn fn, void *ctx)
{
	int err;

	for (size_t i = 0; i < tr->n; i++)
		if ((err = emit((struct ta_transcript *)tr, &tr->ev[i], ta_tev_data(tr, &tr->ev[i]), fn, ctx)))
			return err;
	return 0;
}

/* (time, index) of a ref as a lower bound of its events' order keys. */
struct bound {
	uint64_t t, index;
};

static int before(const struct ta_tev *e, struct bound b)
{
	return e->time_ns < b.t || (e->time_ns == b.t && e->index < b.index);
}

static int cmp_attr_index(const void *a, const void *b)
{
	const struct ta_attr *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Puts the events appended from index from on (a record other than terminal
 * data gives one) into the sorted pending ones, each by a binary search: a
 * sort of everything pending for each exec of a loop would cost its square.
 */
static void place_pending(struct ta_transcript *tr, size_t ph, size_t from)
{
	for (size_t i = from; i < tr->n; i++) {
		struct ta_tev e = tr->ev[i];
		size_t lo = ph, hi = i;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (cmp_tev(&tr->ev[mid], &e) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < i) {
			memmove(&tr->ev[lo + 1], &tr->ev[lo], (i - lo) * sizeof(e));
			tr->ev[lo] = e;
		}
	}
}

/*
 * Drops the events already passed on (tr->ev before ph) and their data: the
 * pending ones move to the front, their data to a new arena. Two terminals
 * whose batches overlap (script(1) in an ssh session) may never leave
 * nothing pending, and the arena would grow with the session.
 */
static int compact_pending(struct ta_transcript *tr, size_t ph)
{
	struct ta_buf live;

	ta_buf_init(&live);
	for (size_t i = ph; i < tr->n; i++) {
		struct ta_tev *e = &tr->ev[i];
		if (!e->len || e->data == UINT64_MAX)
			continue;
		uint64_t at = live.len;
		ta_buf_put(&live, tr->arena.p + e->data, e->len);
		e->data = at;
	}
	if (live.oom) {
		ta_buf_free(&live);
		return -ENOMEM;
	}
	memmove(tr->ev, tr->ev + ph, (tr->n - ph) * sizeof(*tr->ev));
	tr->n -= ph;
	ta_buf_free(&tr->arena);
	tr->arena = live;
	return 0;
}

/* Decodes one terminal-data record of the session into tr->ev (data pointing at d: see below). */
int ta_transcript_stream(struct ta_transcript *tr, const char *dir, uint64_t key,
			 const struct ta_ref *refs, size_t nrefs, const uint64_t *clients,
			 size_t nclients, const uint64_t *gaps, size_t ngaps, ta_tev_fn fn, void *ctx)
{
	struct ta_walk w;
	struct ta_log_record rec;
	uint64_t *later = NULL, *fetch = NULL;
	struct bound *suffix = NULL;
	size_t nlater = 0, nfetch = 0, ph = 0, compact_at = 1u << 20;
	struct ta_tev *cur = NULL;
	size_t curcap = 0;
	int err, n;
	const char *(*who)(void *, uint32_t, uint64_t, char *, size_t, size_t *) = tr->who;
	void *who_ctx = tr->who_ctx;

	memset(tr, 0, sizeof(*tr));
	tr->key = key;
	tr->who = who; /* describe may name people while streaming */
	tr->who_ctx = who_ctx;
	ta_buf_init(&tr->arena);
	if ((err = ta_sesstab_init(&tr->names, 0)))
		return err;
	if (!nrefs)
		return -EAGAIN;
	later = malloc(nrefs * sizeof(*later));
	fetch = malloc(nrefs * sizeof(*fetch));
	suffix = malloc((nrefs + 1) * sizeof(*suffix));
	if (!later || !fetch || !suffix) {
		err = -ENOMEM;
		goto out_nowalk;
	}
	/*
	 * 1. Every record, stored bytes only: check the refs, read the attributions
	 * (input is matched against them when it goes out); the rest is read in
	 * step 2, in log order, so that no kind of record is held for the whole
	 * session (a loop of execs is as long as its output).
	 */
	if ((err = ta_walk_open(&w, dir, TA_READER_RAW)))
		goto out_nowalk;
	uint64_t pos = UINT64_MAX;
	for (size_t i = 0; i < nrefs; i++) {
		uint64_t want = refs[i].index;
		if (i && want <= refs[i - 1].index) {
			err = -EAGAIN;
			goto out;
		}
		if (pos != want && ta_walk_seek(&w, want)) {
			err = -EAGAIN;
			goto out;
		}
		if (ta_walk_next(&w, &rec) != TA_WALK_RECORD || rec.index != want) {
			err = -EAGAIN;
			goto out;
		}
		pos = want + 1;
		if (rec.type != TA_REC_ATTRIBUTION) {
			/* Whose it is the header says (foreign_ok reads only attributions' payloads). */
			if (rec.session != key && (rec.type == TA_REC_TTY_DATA || !foreign_ok(tr, &rec))) {
				err = -EAGAIN;
				goto out;
			}
			later[nlater++] = i;
			continue;
		}
		if (rec.flags & TA_LOG_REC_COMPRESSED) {
			fetch[nfetch++] = want; /* compressed: read it decoded below */
			continue;
		}
		if (rec.session != key && !foreign_ok(tr, &rec)) {
			err = -EAGAIN;
			goto out;
		}
		if ((err = ta_transcript_add_record(tr, &rec)))
			goto out;
	}
	ta_walk_close(&w);
	if ((err = ta_walk_open(&w, dir, 0)))
		goto out_nowalk;
	for (size_t i = 0; i < nfetch; i++) {
		if (ta_walk_seek(&w, fetch[i]) || ta_walk_next(&w, &rec) != TA_WALK_RECORD ||
		    rec.index != fetch[i] || (rec.session != key && !foreign_ok(tr, &rec))) {
			err = -EAGAIN;
			goto out;
		}
		if ((err = ta_transcript_add_record(tr, &rec)))
			goto out;
	}
	for (size_t i = 0; i < nclients; i++) {
		if (ta_walk_seek(&w, clients[i]) || ta_walk_next(&w, &rec) != TA_WALK_RECORD ||
		    rec.index != clients[i])
			continue;
		if ((err = ta_transcript_add_client(tr, &rec)))
			goto out;
	}
	for (size_t i = 0; i < ngaps; i++) {
		/* Log-wide: no session's key to check. Unreadable: load marks the damage. */
		if (ta_walk_seek(&w, gaps[i]) || ta_walk_next(&w, &rec) != TA_WALK_RECORD ||
		    rec.index != gaps[i]) {
			err = -EAGAIN;
			goto out;
		}
		if ((err = ta_transcript_add_record(tr, &rec)))
			goto out;
	}
	/* Compressed attributions were read after the others: in log order again, as load has them. */
	if (tr->nattrs > 1)
		qsort(tr->attrs, tr->nattrs, sizeof(*tr->attrs), cmp_attr_index);
	if (tr->n > 1) /* tr->ev is NULL while empty: qsort(NULL, 0) is undefined */
		qsort(tr->ev, tr->n, sizeof(*tr->ev), cmp_tev);
	/* 2. The other records in log order; an event goes out once no later record can precede it. */
	suffix[nlater] = (struct bound){ UINT64_MAX, UINT64_MAX };
	for (size_t k = nlater; k-- > 0;) {
		struct bound b = { refs[later[k]].time_ns, refs[later[k]].index };
		suffix[k] = (b.t < suffix[k + 1].t || (b.t == suffix[k + 1].t && b.index < suffix[k + 1].index))
				    ? b : suffix[k + 1];
	}
	pos = UINT64_MAX;
	for (size_t k = 0; k <= nlater; k++) {
		size_t ncur = 0;
		int sorted = 1, have = 0;
		if (k < nlater) {
			uint64_t want = refs[later[k]].index;
			if (pos != want && ta_walk_seek(&w, want)) {
				err = -EIO;
				goto out;
			}
			n = ta_walk_next(&w, &rec);
			if (n == TA_WALK_DAMAGE) {
				/*
				 * Stored bytes step 1 took that do not decode (a compressed
				 * payload): marked where the record was, as load marks
				 * damage, and the rest of the session goes on.
				 */
				size_t before_n = tr->n;
				if ((err = add_damage(tr, &w, refs[later[k]].time_ns)))
					goto out;
				place_pending(tr, ph, before_n);
				pos = UINT64_MAX;
			} else if (n != TA_WALK_RECORD || rec.index != want ||
				   (rec.session != key && (rec.type == TA_REC_TTY_DATA || !foreign_ok(tr, &rec)))) {
				err = n < 0 ? n : -EIO; /* changed since step 1 */
				goto out;
			} else {
				pos = want + 1;
				have = 1;
			}
		}
		if (have && rec.type != TA_REC_TTY_DATA) {
			/* Its events join the pending ones (data in the arena), kept in order. */
			size_t before_n = tr->n;
			if ((err = ta_transcript_add_record(tr, &rec)))
				goto out;
			place_pending(tr, ph, before_n);
		} else if (have) {
			tr->records++;
			/* Decode into cur, data pointing into the record (valid until the next read). */
			struct ta_batch_iter it;
			struct ta_batch_item te;
			char name[TA_TTY_NAME_LEN + 1];
			uint32_t seq = 0, ttyoff = 0;
			int bad = ta_batch_iter_init(&it, rec.payload, rec.len) ? 1 : 0;
			if (!bad) {
				ta_batch_tty_name(&it, name);
				ttyoff = ta_sesstab_intern(&tr->names, name, strlen(name));
			}
			while (!bad && (n = ta_batch_next(&it, &te)) != 0) {
				if (n < 0) {
					bad = 2;
					break;
				}
				if (te.kind != TA_ENTRY_OUTPUT && te.kind != TA_ENTRY_INPUT &&
				    te.kind != TA_ENTRY_WINSIZE) {
					seq++;
					continue;
				}
				if (ncur == curcap) {
					size_t ncap = curcap ? curcap * 2 : 64;
					struct ta_tev *nc = realloc(cur, ncap * sizeof(*nc));
					if (!nc) {
						err = -ENOMEM;
						goto out;
					}
					cur = nc;
					curcap = ncap;
				}
				struct ta_tev *e = &cur[ncur++];
				memset(e, 0, sizeof(*e));
				tev_from_entry(e, &te, rec.index, seq++, ttyoff);
				if (te.kind == TA_ENTRY_WINSIZE) {
					tev_winsize(e, &te);
					/* no data, as load keeps none for window sizes */
					e->data = UINT64_MAX;
				} else {
					e->kind = te.kind == TA_ENTRY_OUTPUT ? TA_TEV_OUTPUT : TA_TEV_INPUT;
					e->len = te.len;
					e->data = (uint64_t)(uintptr_t)te.data;
				}
				if (ncur > 1 && cmp_tev(&cur[ncur - 2], e) > 0)
					sorted = 0;
			}
			if (bad) {
				/* As load does: a damage event, its text in the arena. */
				char msg[128];
				tr->bad_payloads++;
				snprintf(msg, sizeof(msg), bad == 1 ? "record %" PRIu64 ": terminal data does not decode"
						    : "record %" PRIu64 ": terminal data ends malformed", rec.index);
				struct ta_tev *e = new_ev(tr);
				if (!e) {
					err = -ENOMEM;
					goto out;
				}
				e->kind = TA_TEV_DAMAGE;
				e->time_ns = rec.time_ns;
				e->index = rec.index;
				e->seq = bad == 1 ? 0 : seq;
				if ((err = put_data(tr, e, msg, strlen(msg))))
					goto out;
				/* keep tr->ev sorted from ph on */
				if (tr->n - ph > 1)
					qsort(tr->ev + ph, tr->n - ph, sizeof(*tr->ev), cmp_tev);
			}
			if (!sorted && ncur > 1)
				qsort(cur, ncur, sizeof(*cur), cmp_tev);
		}
		/* Merge pending (tr->ev from ph, data in the arena) with cur; emit what precedes the bound. */
		struct bound b = suffix[k + 1 <= nlater ? k + 1 : nlater];
		if (k == nlater)
			b = (struct bound){ UINT64_MAX, UINT64_MAX };
		size_t i = ph, j = 0;
		for (;;) {
			const struct ta_tev *p = i < tr->n ? &tr->ev[i] : NULL;
			const struct ta_tev *c = j < ncur ? &cur[j] : NULL;
			const struct ta_tev *e;
			const uint8_t *d;
			if (p && (!c || cmp_tev(p, c) <= 0)) {
				e = p;
			} else if (c) {
				e = c;
			} else {
				break;
			}
			if (k < nlater && !before(e, b))
				break;
			if (e == p) {
				d = ta_tev_data(tr, p);
				i++;
			} else {
				d = c->data == UINT64_MAX ? NULL : (const uint8_t *)(uintptr_t)c->data;
				j++;
			}
			if ((err = emit(tr, e, d, fn, ctx)))
				goto out;
		}
		ph = i;
		if (j < ncur) {
			/* Kept for later: their data into the arena, the events merged into pending. */
			size_t nl = ncur - j;
			for (size_t q = j; q < ncur; q++) {
				const uint8_t *d = cur[q].data == UINT64_MAX ? NULL : (const uint8_t *)(uintptr_t)cur[q].data;
				cur[q].data = tr->arena.len;
				if (d)
					ta_buf_put(&tr->arena, d, cur[q].len);
			}
			if (tr->arena.oom) {
				err = -ENOMEM;
				goto out;
			}
			if (tr->n + nl > tr->cap) {
				size_t ncap = tr->cap * 2 > tr->n + nl ? tr->cap * 2 : tr->n + nl + 64;
				struct ta_tev *nv = realloc(tr->ev, ncap * sizeof(*nv));
				if (!nv) {
					err = -ENOMEM;
					goto out;
				}
				tr->ev = nv;
				tr->cap = ncap;
			}
			/*
			 * From the back, in place: only the pending events later than a
			 * leftover move (a copy of everything pending for each record
			 * cost the square of a terminal held open while others write).
			 * On a tie the pending one stays first.
			 */
			size_t pa = tr->n, c2 = ncur, to = tr->n + nl;
			while (c2 > j) {
				if (pa > ph && cmp_tev(&tr->ev[pa - 1], &cur[c2 - 1]) > 0)
					tr->ev[--to] = tr->ev[--pa];
				else
					tr->ev[--to] = cur[--c2];
			}
			tr->n += nl;
		} else if (ph == tr->n) {
			tr->n = 0;
			ph = 0;
			ta_buf_reset(&tr->arena); /* attributions keep their strings in names */
		}
		/* What was passed on is dropped once it is at least what is pending (amortised). */
		if (tr->arena.len > compact_at || (ph > 4096 && ph >= tr->n - ph)) {
			if ((err = compact_pending(tr, ph)))
				goto out;
			ph = 0;
			compact_at = 2 * tr->arena.len + (1u << 20);
		}
	}
	tr->n = 0;
	err = 0;
out:
	ta_walk_close(&w);
out_nowalk:
	free(later);
	free(fetch);
	free(suffix);
	free(cur);
	return err;
}

void ta_tev_other_session(const struct ta_tev *e, struct ta_buf *out)
{
	/* Written into this terminal by another session's process (a passed fd, wall). */
	ta_buf_printf(out, "WRITTEN BY ANOTHER SESSION: pid %u, uid %u, comm ", e->pid, e->uid);
	ta_neutralise(e->comm, strnlen(e->comm, sizeof(e->comm)), TA_NEUT_LINE, out);
}

void ta_tev_suspect(const struct ta_tev *e, struct ta_buf *out)
{
	/* Syscall capture: the buffer or the descriptor changed during the call. */
	ta_buf_printf(out, "SUSPECT: the next %u bytes may not be what the terminal %s "
		      "(buffer or descriptor changed during the call)", e->len,
		      e->kind == TA_TEV_OUTPUT ? "showed" : "received");
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* A session's timeline from the log (transcript.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/json_read.h"
#include "index/walk.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/log_records.h"
#include "ttyaudit/record.h"
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

static int add_tty(struct ta_transcript *tr, const struct ta_log_record *rec)
{
	struct ta_batch_iter it;
	struct ta_tty_entry te;
	const uint8_t *data;
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
	memcpy(tty, it.hdr.tty.name, TA_TTY_NAME_LEN);
	tty[TA_TTY_NAME_LEN] = '\0';
	ttyoff = ta_sesstab_intern(&tr->names, tty);
	while ((n = ta_batch_iter_next(&it, &te, &data)) == 1) {
		struct ta_tev *e = new_ev(tr);
		if (!e)
			return -ENOMEM;
		e->time_ns = it.hdr.start_ns + (uint64_t)te.delta_us * 1000;
		e->index = rec->index;
		e->seq = seq++;
		e->source = te.source;
		e->flags = te.flags;
		e->orig_len = te.orig_len;
		e->pid = te.pid;
		e->uid = te.uid;
		e->tty = ttyoff;
		memcpy(e->comm, te.comm, sizeof(e->comm));
		e->comm[sizeof(e->comm) - 1] = '\0';
		switch (te.kind) {
		case TA_ENTRY_OUTPUT:
			e->kind = TA_TEV_OUTPUT;
			break;
		case TA_ENTRY_INPUT:
			e->kind = TA_TEV_INPUT;
			break;
		case TA_ENTRY_WINSIZE:
			e->kind = TA_TEV_WINSIZE;
			if (te.len >= 8) {
				uint16_t ws[4];
				memcpy(ws, data, sizeof(ws));
				e->rows = ws[0];
				e->cols = ws[1];
				if (!tr->rows && ws[0] && ws[1]) {
					tr->rows = ws[0];
					tr->cols = ws[1];
				}
			}
			continue;
		default:
			tr->n--; /* unknown kind: skipped (newer writer) */
			continue;
		}
		if (put_data(tr, e, data, te.len))
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

static int add_text(struct ta_transcript *tr, uint8_t kind, const struct ta_log_record *rec,
		    const char *text)
{
	struct ta_tev *e = new_ev(tr);

	if (!e)
		return -ENOMEM;
	e->kind = kind;
	e->time_ns = rec->time_ns;
	e->index = rec->index;
	return put_data(tr, e, text, strlen(text));
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
			return add_text(tr, TA_TEV_GAP, rec, "store gap record (malformed)");
		memcpy(&g, rec->payload, sizeof(g));
		snprintf(msg, sizeof(msg), "the store dropped %" PRIu64 " records (%" PRIu64
			 " bytes)%s", g.dropped_records, g.dropped_bytes,
			 g.reason == TA_GAP_DISK_FULL ? ": disk full" : "");
		return add_text(tr, TA_TEV_GAP, rec, msg);
	}
	case TA_REC_RECOVERY:
		return add_text(tr, TA_TEV_GAP, rec,
				"the agent stopped without finishing a write (torn tail recovered)");
	case TA_REC_AGENT_START:
		return add_text(tr, TA_TEV_GAP, rec,
				"the agent (re)started: anything between its stop and this start was not recorded");
	case TA_REC_AGENT_STOP:
		return add_text(tr, TA_TEV_GAP, rec, "the agent stopped");
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
	case TA_REC_ATTACH:
	case TA_REC_DETACH:
		kind = TA_TEV_NOTE;
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

static int add_damage(struct ta_transcript *tr, struct ta_walk *w, uint64_t time_ns)
{
	char line[512];
	struct ta_tev *e = new_ev(tr);

	if (!e)
		return -ENOMEM;
	tr->damage++;
	ta_walk_describe(w, line, sizeof(line));
	e->kind = TA_TEV_DAMAGE;
	e->time_ns = time_ns;
	e->index = w->last.index;
	return put_data(tr, e, line, strlen(line));
}

int ta_transcript_load(struct ta_transcript *tr, const char *dir, uint64_t key, uint64_t first,
		       uint64_t last, const struct ta_ref *refs, size_t nrefs)
{
	struct ta_walk w;
	struct ta_log_record rec;
	uint64_t last_time = 0;
	int err, n;

	memset(tr, 0, sizeof(*tr));
	tr->key = key;
	ta_buf_init(&tr->arena);
	if ((err = ta_sesstab_init(&tr->names, 0)))
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
			if (!got || rec.session != key) {
				if (got && (uint32_t)rec.session == TA_ID_NONE && rec.type == TA_REC_LOSS) {
					/* a global loss record the index filed here */
				} else if (got && rec.type == TA_REC_GAP) {
				} else {
					tr->index_mismatch++;
					continue;
				}
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
	ta_buf_free(&tr->arena);
	ta_sesstab_free(&tr->names);
	memset(tr, 0, sizeof(*tr));
}

static void put_word(struct ta_buf *out, const char *w)
{
	int plain = *w != '\0';

	for (const char *p = w; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("-_./=:,+@%", *p)))
			plain = 0;
	if (plain) {
		ta_buf_puts(out, w);
		return;
	}
	ta_buf_putc(out, '\'');
	for (const char *p = w; *p; p++) {
		if (*p == '\'')
			ta_buf_puts(out, "'\\''");
		else
			ta_buf_putc(out, *p);
	}
	ta_buf_putc(out, '\'');
}

static void kv(struct ta_buf *out, const struct ta_jobj *o, const char *key, const char *label)
{
	char v[256];
	uint64_t u;

	if (ta_jobj_str(o, key, v, sizeof(v)) > 0)
		ta_buf_printf(out, " %s %s", label, v);
	else if (!ta_jobj_u64(o, key, &u))
		ta_buf_printf(out, " %s %" PRIu64, label, u);
}

void ta_tev_describe(const struct ta_transcript *tr, const struct ta_tev *e, struct ta_buf *out)
{
	const char *d = (const char *)ta_tev_data(tr, e);
	struct ta_jobj o;
	char s[4096];
	int json = (e->kind == TA_TEV_EXEC || e->kind == TA_TEV_LOGIN || e->kind == TA_TEV_LOGOUT ||
		    e->kind == TA_TEV_NOTE || e->kind == TA_TEV_GAP) &&
		   e->len && d[0] == '{' && !ta_jobj_parse(&o, d, e->len);

	switch (e->kind) {
	case TA_TEV_WINSIZE:
		ta_buf_printf(out, "window size %ux%u (rows x cols)", e->rows, e->cols);
		return;
	case TA_TEV_DAMAGE:
		ta_buf_put(out, d, e->len);
		return;
	case TA_TEV_EXEC:
		if (!json) {
			ta_buf_puts(out, "exec (record does not decode)");
			return;
		}
		ta_buf_puts(out, "exec");
		{
			const struct ta_jval *argv = ta_jobj_get(&o, "argv");
			struct ta_jarr_iter it;
			struct ta_jval el;
			if (!ta_jarr_begin(argv, &it))
				while (ta_jarr_next(&it, &el) == 1) {
					if (ta_jval_str(&el, s, sizeof(s)) < 0)
						continue;
					ta_buf_putc(out, ' ');
					put_word(out, s);
				}
			int trunc = 0;
			if (!ta_jval_bool(ta_jobj_get(&o, "argv_truncated"), &trunc) && trunc)
				ta_buf_puts(out, " [argv truncated]");
			ta_buf_puts(out, "  [");
			if (ta_jobj_str(&o, "filename", s, sizeof(s)) > 0)
				ta_buf_puts(out, s);
		}
		kv(out, &o, "pid", "pid");
		kv(out, &o, "uid", "uid");
		kv(out, &o, "cwd", "cwd");
		ta_buf_puts(out, "]");
		return;
	case TA_TEV_GAP:
		if (!json) {
			ta_buf_put(out, d, e->len);
			return;
		}
		{
			char reason[64] = "";
			uint64_t ev = 0, by = 0;
			ta_jobj_str(&o, "type", s, sizeof(s));
			ta_jobj_str(&o, "reason", reason, sizeof(reason));
			ta_jobj_u64(&o, "events", &ev);
			ta_jobj_u64(&o, "bytes", &by);
			ta_buf_printf(out, "%s%s%" PRIu64 " events, %" PRIu64 " bytes lost (%s)",
				      strcmp(s, "gap") ? s : "", strcmp(s, "gap") ? ": " : "", ev, by,
				      reason[0] ? reason : "unknown");
		}
		return;
	case TA_TEV_LOGIN:
	case TA_TEV_LOGOUT:
		if (!json) {
			ta_buf_puts(out, e->kind == TA_TEV_LOGIN ? "login (record does not decode)" :
								 "logout (record does not decode)");
			return;
		}
		ta_buf_puts(out, e->kind == TA_TEV_LOGIN ? "login" : "logout");
		kv(out, &o, "user", "user");
		kv(out, &o, "auid", "auid");
		kv(out, &o, "host", "from");
		kv(out, &o, "addr", "addr");
		kv(out, &o, "login_program", "via");
		kv(out, &o, "terminal", "terminal");
		kv(out, &o, "result", "result");
		return;
	case TA_TEV_NOTE:
		if (!json) {
			ta_buf_puts(out, "record (does not decode)");
			return;
		}
		if (ta_jobj_str(&o, "type", s, sizeof(s)) <= 0)
			snprintf(s, sizeof(s), "record");
		ta_buf_puts(out, s);
		kv(out, &o, "bytes", "bytes");
		kv(out, &o, "syscall", "syscall");
		kv(out, &o, "acct", "account");
		kv(out, &o, "host", "from");
		kv(out, &o, "addr", "addr");
		kv(out, &o, "result", "result");
		kv(out, &o, "pid", "pid");
		return;
	default:
		return;
	}
}

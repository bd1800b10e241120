// SPDX-License-Identifier: GPL-2.0-or-later
/* The CLI's JSON objects, one function a kind, through the one writer (cli_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_json.h"
#include "cli/cli_util.h"
#include "cli/session_view.h"
#include "base/exitcodes.h"
#include "base/json_read.h"
#include "store/store.h"
#include "logfmt/record_types.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/event.h"
#include "ttyaudit/log_records.h"

void cli_json_text(struct ta_json *j, const char *s)
{
	ta_json_text_value(j, s, strlen(s));
}

/* A string of the session table, whole (a NUL in it is \u0000), or null when the session has none. */
static void json_tab_str(struct ta_json *j, const struct ta_sesstab *t, uint32_t off)
{
	size_t n;
	const char *s = ta_sesstab_strn(t, off, &n);

	if (off)
		ta_json_text_value(j, s, n);
	else
		ta_json_null(j);
}

void cli_sess_json_members(struct ta_json *j, const struct ta_sesstab *t, const struct ta_sess *s,
			   uint64_t ckpt_size, const char *origin)
{
	char id[32], key[20];

	if (origin) {
		ta_json_key(j, "origin");
		ta_json_text_value(j, origin, strlen(origin));
	}
	ta_sess_id(s->key, id, sizeof(id));
	ta_json_key(j, "session");
	ta_json_text_value(j, id, strlen(id));
	snprintf(key, sizeof(key), "%016" PRIx64, s->key);
	ta_json_key(j, "key");
	ta_json_str(j, key);
	ta_json_key(j, "ses");
	ta_json_id(j, s->ses);
	ta_json_key(j, "auid");
	ta_json_id(j, s->auid);
	ta_json_key(j, "user"); /* the name the log recorded, never one looked up here */
	json_tab_str(j, t, s->user);
	ta_json_key(j, "login_session");
	ta_json_bool(j, !ta_ses_is_no_login(s->ses));
	ta_json_key(j, "login_details");
	ta_json_bool(j, s->flags & TA_SESS_LOGIN);
	ta_json_key(j, "login_verified");
	ta_json_bool(j, (s->flags & TA_SESS_LOGIN) && !(s->flags & TA_SESS_UNVERIFIED));
	ta_json_key(j, "host");
	json_tab_str(j, t, s->host);
	ta_json_key(j, "addr");
	json_tab_str(j, t, s->addr);
	ta_json_key(j, "login_program");
	json_tab_str(j, t, s->prog);
	ta_json_key(j, "terminal");
	json_tab_str(j, t, s->terminal);
	ta_json_key(j, "boot_id");
	json_tab_str(j, t, s->boot_id);
	ta_json_key(j, "start");
	ta_json_time(j, ta_sess_begin(s));
	ta_json_key(j, "end");
	ta_json_time(j, ta_sess_finish(s));
	ta_json_key(j, "ended");
	ta_json_bool(j, s->flags & TA_SESS_ENDED);
	ta_json_key(j, "duration_s");
	ta_json_fixed(j, (double)(ta_sess_finish(s) - ta_sess_begin(s)) / 1e9, 3);
	ta_json_key(j, "ttys");
	ta_json_arr_begin(j);
	for (uint32_t i = 0; i < s->n_ttys; i++)
		json_tab_str(j, t, s->ttys[i]);
	ta_json_arr_end(j);
	ta_json_key(j, "uids");
	ta_json_arr_begin(j);
	for (uint32_t i = 0; i < s->n_uids; i++)
		ta_json_u64(j, s->uids[i]);
	ta_json_arr_end(j);
	ta_json_key(j, "bytes_in");
	ta_json_u64(j, s->bytes_in);
	ta_json_key(j, "bytes_out");
	ta_json_u64(j, s->bytes_out);
	ta_json_key(j, "redacted_bytes");
	ta_json_u64(j, s->redacted_bytes);
	ta_json_key(j, "commands");
	ta_json_u64(j, s->execs);
	ta_json_key(j, "records");
	ta_json_u64(j, s->records);
	ta_json_key(j, "gaps");
	ta_json_u64(j, s->gaps + s->global_gaps);
	/* What those gaps say was lost: the sum of show's GAP lines (events, terminal bytes). */
	ta_json_key(j, "lost_events");
	ta_json_u64(j, ta_sess_lost_events(s));
	ta_json_key(j, "lost_bytes");
	ta_json_u64(j, ta_sess_lost_bytes(s));
	ta_json_key(j, "damaged");
	ta_json_bool(j, s->flags & TA_SESS_DAMAGE);
	ta_json_key(j, "first_index");
	ta_json_u64(j, s->first_index);
	ta_json_key(j, "last_index");
	ta_json_u64(j, s->last_index);
	ta_json_key(j, "checkpointed");
	ta_json_bool(j, s->last_index < ckpt_size);
	if (s->rows) {
		ta_json_key(j, "rows");
		ta_json_u64(j, s->rows);
		ta_json_key(j, "cols");
		ta_json_u64(j, s->cols);
	}
}

void cli_sess_json(struct ta_buf *b, const struct ta_sesstab *t, const struct ta_sess *s,
		   uint64_t ckpt_size, const char *origin)
{
	struct ta_json j;

	ta_json_adopt(&j, b);
	ta_json_obj_begin(&j);
	cli_sess_json_members(&j, t, s, ckpt_size, origin);
	ta_json_obj_end(&j);
	ta_json_release(&j, b);
}

void cli_typed_in_json_members(struct ta_json *j, const struct ta_sesstab *t, const struct ta_sess *s,
			       cli_link_match_fn match, const void *ctx)
{
	uint64_t runs = 0, bytes = 0, events = 0, key = 0;
	uint32_t mask = 0, auid = TA_ID_NONE;
	char id[32], ub[64];
	size_t un;

	ta_json_key(j, "shared");
	ta_json_bool(j, true);
	ta_json_key(j, "typed_in_by");
	ta_json_obj_begin(j);
	ta_json_key(j, "sessions");
	ta_json_arr_begin(j);
	for (size_t l = 0; l < t->nlinks; l++) {
		const struct ta_shared_link *lk = &t->links[l];
		if (lk->pane_key != s->key || lk->pane_key == lk->typist_key || !match(ctx, t, lk))
			continue;
		ta_sess_id(lk->typist_key, id, sizeof(id));
		ta_json_str(j, id);
		runs += lk->runs;
		bytes += lk->bytes;
		events += lk->events;
		mask |= lk->conf_mask;
		auid = lk->typist_auid;
		key = lk->typist_key;
	}
	ta_json_arr_end(j);
	ta_json_key(j, "auid");
	ta_json_u64(j, auid);
	ta_json_key(j, "user");
	const char *user = cli_who((void *)t, auid, key, ub, sizeof(ub), &un);
	ta_json_text_value(j, user, un);
	ta_json_key(j, "runs");
	ta_json_u64(j, runs);
	ta_json_key(j, "events");
	ta_json_u64(j, events);
	ta_json_key(j, "bytes");
	ta_json_u64(j, bytes);
	ta_json_key(j, "confidence");
	ta_json_arr_begin(j);
	for (int c = TA_CONF_EXACT; c <= TA_CONF_NONE; c++)
		if (mask & (1u << c))
			ta_json_str(j, ta_conf_name(c));
	ta_json_arr_end(j);
	ta_json_obj_end(j);
}

void cli_command_json(struct ta_buf *b, const struct ta_sesstab *t, const struct ta_sess *s,
		      const struct ta_transcript *tr, const struct ta_tev *e, const char *origin)
{
	const char *js = (const char *)ta_tev_data(tr, e);
	char id[32];
	struct ta_jobj jo;
	struct ta_json j;

	ta_sess_id(s->key, id, sizeof(id));
	ta_json_adopt(&j, b);
	ta_json_obj_begin(&j);
	if (origin) {
		ta_json_key(&j, "origin");
		cli_json_text(&j, origin);
	}
	ta_json_key(&j, "session");
	ta_json_str(&j, id);
	ta_json_key(&j, "time");
	ta_json_time(&j, e->time_ns);
	ta_json_key(&j, "user");
	json_tab_str(&j, t, s->user);
	ta_json_key(&j, "auid");
	ta_json_u64(&j, s->auid);
	ta_json_key(&j, "record");
	if (!ta_jobj_parse(&jo, js, e->len))
		ta_json_raw_read(&j, js, e->len); /* valid JSON: the record itself */
	else
		ta_json_null(&j);
	ta_json_obj_end(&j);
	ta_json_release(&j, b);
	ta_buf_putc(b, '\n');
}

/*
 * An event's "type": terminal events and events that are one record carry
 * the names of the one table (logfmt/record_types); the others are the
 * timeline's own.
 */
static const char *tev_type(const struct ta_tev *e)
{
	uint16_t rec;

	switch (e->kind) {
	case TA_TEV_OUTPUT: return ta_event_kind_name(TA_EV_TTY_OUTPUT);
	case TA_TEV_INPUT: return ta_event_kind_name(TA_EV_TTY_INPUT);
	case TA_TEV_WINSIZE: return ta_event_kind_name(TA_EV_WINSIZE);
	case TA_TEV_NOTE: return "note";
	case TA_TEV_DAMAGE: return "damage";
	case TA_TEV_EXEC: rec = TA_REC_EXEC; break;
	case TA_TEV_GAP: rec = TA_REC_LOSS; break;
	case TA_TEV_LOGIN: rec = TA_REC_SESSION_START; break;
	case TA_TEV_LOGOUT: rec = TA_REC_SESSION_END; break;
	case TA_TEV_ATTACH: rec = TA_REC_ATTACH; break;
	case TA_TEV_DETACH: rec = TA_REC_DETACH; break;
	case TA_TEV_ATTRIB: rec = TA_REC_ATTRIBUTION; break;
	case TA_TEV_FOOTPRINT: rec = TA_REC_FOOTPRINT; break;
	case TA_TEV_ALERT: rec = TA_REC_ALERT; break;
	default: return "unknown";
	}
	return ta_rec_type_name(rec);
}

/* A member's value as it stands in a record read from the log (validated JSON); absent: null. */
static void put_jval(struct ta_json *j, const struct ta_jval *v)
{
	if (v && (v->type == TA_J_STR || v->type == TA_J_NUM || v->type == TA_J_NULL))
		ta_json_raw_read(j, v->p, v->n);
	else
		ta_json_null(j);
}

/*
 * Every gap event has the same fields (docs/log-format.md): reason, since,
 * until, events, bytes; null where the gap cannot say (a restart does not
 * know what the terminals wrote meanwhile).
 */
static void gap_members(struct ta_json *j, const struct ta_jobj *jo)
{
	static const char *const keys[] = { "reason", "since", "until", "events", "bytes" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ta_json_key(j, keys[i]);
		put_jval(j, ta_jobj_get(jo, keys[i]));
	}
}

/* Who typed an input event of a shared pane (docs/shared-terminals.md). */
static void typed_by_member(struct ta_json *j, const struct session_view *v, const struct ta_attr *a)
{
	const struct ta_transcript *tr = &v->tr;
	char id[32], nb[64];
	size_t nn;

	ta_json_key(j, "typed_by");
	ta_json_obj_begin(j);
	ta_json_key(j, "auid");
	ta_json_id(j, a->auid);
	ta_json_key(j, "ses");
	ta_json_id(j, a->auid == TA_ID_NONE ? TA_ID_NONE : a->ses);
	ta_json_key(j, "session");
	if (a->auid == TA_ID_NONE) {
		ta_json_null(j);
	} else {
		ta_sess_id(a->typist_key, id, sizeof(id));
		ta_json_str(j, id);
	}
	ta_json_key(j, "user");
	if (a->auid == TA_ID_NONE) {
		ta_json_null(j);
	} else {
		const char *user = cli_who((void *)v->ct.t, a->auid, a->typist_key, nb, sizeof(nb), &nn);
		ta_json_text_value(j, user, nn);
	}
	ta_json_key(j, "confidence");
	ta_json_str(j, ta_conf_name(a->conf));
	ta_json_key(j, "client_tty");
	json_tab_str(j, &tr->names, a->client_tty);
	ta_json_key(j, "client_pid");
	if (a->client_pid)
		ta_json_u64(j, a->client_pid);
	else
		ta_json_null(j);
	ta_json_key(j, "attribution_index");
	ta_json_u64(j, a->index);
	ta_json_obj_end(j);
}

/* The members of terminal output, input and window-size events. */
static void terminal_members(struct ta_json *j, const struct session_view *v, const struct ta_tev *e,
			     const uint8_t *d)
{
	const struct ta_transcript *tr = &v->tr;

	ta_json_key(j, "tty");
	cli_json_text(j, ta_tev_tty(tr, e));
	ta_json_key(j, "pid");
	ta_json_u64(j, e->pid);
	ta_json_key(j, "uid");
	ta_json_u64(j, e->uid);
	ta_json_key(j, "comm");
	cli_json_text(j, e->comm);
	if (e->kind == TA_TEV_WINSIZE) {
		ta_json_key(j, "rows");
		ta_json_u64(j, e->rows);
		ta_json_key(j, "cols");
		ta_json_u64(j, e->cols);
		return;
	}
	if (e->kind == TA_TEV_INPUT) {
		const struct ta_attr *a = ta_transcript_attr_for(tr, e);
		if (a)
			typed_by_member(j, v, a);
	}
	ta_json_key(j, "echo");
	ta_json_bool(j, e->flags & TA_F_ECHO);
	ta_json_key(j, "len");
	ta_json_u64(j, e->len);
	if (e->kind == TA_TEV_OUTPUT) {
		/* The output modes, to show the bytes as the terminal did (null: not recorded). */
		ta_json_key(j, "oflag");
		if (!(e->oflag & TA_OF_KNOWN)) {
			ta_json_null(j);
		} else {
			ta_json_arr_begin(j);
			for (unsigned b = 0; ta_oflag_name(b); b++)
				if (e->oflag & (1u << b))
					ta_json_str(j, ta_oflag_name(b));
			ta_json_arr_end(j);
		}
	}
	static const struct {
		uint32_t flag;
		const char *key;
	} marks[] = {
		{ TA_F_INJECTED, "injected" },
		{ TA_F_SUSPECT, "suspect" },
		{ TA_F_OTHER_SESSION, "other_session" },
		{ TA_F_REDACTED, "redacted" },
	};
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (e->flags & marks[i].flag) {
			ta_json_key(j, marks[i].key);
			ta_json_bool(j, true);
		}
	if (e->flags & TA_F_REDACTED) {
		ta_json_key(j, "orig_len");
		ta_json_u64(j, e->orig_len);
		return;
	}
	ta_json_key(j, "text");
	ta_json_text_value(j, d, e->len);
	/* Exact bytes too: text replaced what was not UTF-8. */
	ta_json_key(j, "data");
	ta_json_base64(j, d, e->len);
}

/* The members of the other events: a stored record as it is, a gap's fields, or a line. */
static void record_members(struct ta_json *j, const struct ta_tev *e, const uint8_t *d)
{
	int is_json = e->len && d[0] == '{';
	struct ta_jobj jo;

	if (is_json)
		is_json = !ta_jobj_parse(&jo, (const char *)d, e->len);
	if (is_json && e->kind == TA_TEV_GAP) {
		gap_members(j, &jo);
		if (e->flags & TA_TEV_F_DESCRIBED) {
			/* The reader's description, not a stored record: only its line. */
			ta_json_key(j, "text");
			put_jval(j, ta_jobj_get(&jo, "text"));
			return;
		}
	}
	if (is_json) {
		ta_json_key(j, "record");
		ta_json_raw_read(j, (const char *)d, e->len);
	} else {
		ta_json_key(j, "text");
		ta_json_text_value(j, d, e->len);
	}
}

void cli_event_json(struct ta_buf *b, const struct session_view *v, const struct ta_tev *e,
		    const uint8_t *d)
{
	char ns[24];
	struct ta_json j;

	ta_json_adopt(&j, b);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "session");
	ta_json_str(&j, v->id);
	ta_json_key(&j, "time");
	ta_json_time(&j, e->time_ns);
	/* As a string: nanoseconds since 1970 exceed 2^53, where JSON readers round. */
	snprintf(ns, sizeof(ns), "%" PRIu64, e->time_ns);
	ta_json_key(&j, "time_ns");
	ta_json_str(&j, ns);
	ta_json_key(&j, "index");
	ta_json_u64(&j, e->index);
	ta_json_key(&j, "type");
	ta_json_str(&j, tev_type(e));
	if (v->s->auid != TA_ID_NONE) {
		ta_json_key(&j, "auid");
		ta_json_u64(&j, v->s->auid);
	}
	switch (e->kind) {
	case TA_TEV_OUTPUT:
	case TA_TEV_INPUT:
	case TA_TEV_WINSIZE:
		terminal_members(&j, v, e, d);
		break;
	default:
		record_members(&j, e, d);
	}
	ta_json_obj_end(&j);
	ta_json_release(&j, b);
	ta_buf_putc(b, '\n');
}

struct json_lines {
	struct ta_buf o;
	FILE *f;
	const struct session_view *v;
};

static int json_line(void *ctx, const struct ta_transcript *tr, const struct ta_tev *e,
		     const uint8_t *d)
{
	struct json_lines *jl = ctx;

	(void)tr; /* the view's own: cli_event_json reads names and attributions there */
	cli_event_json(&jl->o, jl->v, e, d);
	if (jl->o.oom)
		return -ENOMEM;
	return jl->o.len > (1u << 20) ? cli_flush(&jl->o, jl->f) : 0;
}

int cli_json_lines(FILE *f, struct session_view *v)
{
	struct json_lines jl = { .f = f, .v = v };
	uint64_t ckpt_size = 0;
	char why[256];
	int rc;

	ta_buf_init(&jl.o);
	/* "checkpointed" as query --json says it: the latest checkpoint covers the session. */
	if (v->fleet)
		ckpt_size = v->cosigned; /* fleet: covered by a checkpoint the collector cosigned */
	else
		ta_store_latest_checkpoint(v->dir, &ckpt_size, why, sizeof(why));
	cli_sess_json(&jl.o, v->ct.t, v->s, ckpt_size, NULL);
	/* The first line describes the session. */
	ta_buf_putc(&jl.o, '\n');
	rc = session_view_each(v, json_line, &jl);
	if (cli_flush(&jl.o, f) && rc == TA_EXIT_OK)
		rc = TA_EXIT_FAILURE;
	ta_buf_free(&jl.o);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whether two finished session tables say the same (sesstab.h): verify's
 * check of an index file against the log it claims to describe. The index
 * is written by whoever could write there, and queries print what it says.
 */
#include <stdio.h>
#include <string.h>

#include "index/sesstab.h"

static int same_str(const struct ta_sesstab *a, uint32_t oa, const struct ta_sesstab *b, uint32_t ob)
{
	size_t na, nb;
	const char *sa = ta_sesstab_strn(a, oa, &na), *sb = ta_sesstab_strn(b, ob, &nb);

	return na == nb && !memcmp(sa, sb, na);
}

/* The numbers of a session, its strings and where its records are. */
static const char *sess_differs(const struct ta_sesstab *a, const struct ta_sess *x,
				const struct ta_sesstab *b, const struct ta_sess *y)
{
#define NUM(f) if (x->f != y->f) return #f
	NUM(key); NUM(ses); NUM(auid); NUM(start_ns); NUM(end_ns); NUM(login_ns); NUM(logout_ns);
	NUM(bytes_in); NUM(bytes_out); NUM(redacted_bytes); NUM(records); NUM(execs); NUM(gaps);
	NUM(damage); NUM(first_index); NUM(last_index); NUM(refs_n); NUM(flags); NUM(n_uids);
	NUM(n_ttys); NUM(rows); NUM(cols); NUM(global_gaps); NUM(lost_events); NUM(lost_bytes);
	NUM(global_lost_events); NUM(global_lost_bytes);
#undef NUM
	if (memcmp(x->uids, y->uids, sizeof(x->uids)))
		return "uids";
	for (int k = 0; k < TA_SESS_TTYS; k++)
		if (!same_str(a, x->ttys[k], b, y->ttys[k]))
			return "ttys";
#define STR(f) if (!same_str(a, x->f, b, y->f)) return #f
	STR(user); STR(host); STR(addr); STR(prog); STR(terminal); STR(boot_id);
#undef STR
	if (a->keep_refs != b->keep_refs)
		return "refs";
	if (!a->keep_refs)
		return NULL;
	if (x->refs_off + x->refs_n > a->nrefs || y->refs_off + y->refs_n > b->nrefs)
		return "refs";
	for (uint32_t k = 0; k < x->refs_n; k++) {
		const struct ta_ref *p = &a->refs[x->refs_off + k], *q = &b->refs[y->refs_off + k];
		if (p->index != q->index || p->seg_seq != q->seg_seq || p->offset != q->offset ||
		    p->time_ns != q->time_ns)
			return "refs";
	}
	return NULL;
}

static const char *links_differ(const struct ta_sesstab *a, const struct ta_sesstab *b)
{
	if (a->nlinks != b->nlinks)
		return "shared-terminal links";
	for (size_t i = 0; i < a->nlinks; i++) {
		const struct ta_shared_link *x = &a->links[i], *y = &b->links[i];
		if (x->pane_key != y->pane_key || x->typist_key != y->typist_key ||
		    x->typist_auid != y->typist_auid || x->conf_mask != y->conf_mask ||
		    x->runs != y->runs || x->events != y->events || x->bytes != y->bytes ||
		    x->first_ns != y->first_ns || x->last_ns != y->last_ns ||
		    !same_str(a, x->pane, b, y->pane) || !same_str(a, x->server, b, y->server))
			return "shared-terminal links";
	}
	if (a->nclients != b->nclients)
		return "attach records";
	for (size_t i = 0; i < a->nclients; i++) {
		const struct ta_shared_client *x = &a->clients[i], *y = &b->clients[i];
		if (x->client_key != y->client_key || x->index != y->index ||
		    x->seg_seq != y->seg_seq || x->offset != y->offset || x->time_ns != y->time_ns ||
		    x->type != y->type || !same_str(a, x->server, b, y->server))
			return "attach records";
	}
	return NULL;
}

int ta_sesstab_same(const struct ta_sesstab *a, const struct ta_sesstab *b, char *why, size_t cap)
{
	const char *what = NULL;
	char id[40] = "";

	if (a->records != b->records || a->end_index != b->end_index)
		what = "records";
	else if (a->agent_starts != b->agent_starts)
		what = "agent starts";
	else if (a->n != b->n)
		what = "sessions";
	for (size_t i = 0; !what && i < a->n; i++) {
		what = sess_differs(a, &a->s[i], b, &b->s[i]);
		if (what)
			ta_sess_id(a->s[i].key, id, sizeof(id));
	}
	if (!what && a->ngaps != b->ngaps)
		what = "log-wide gaps";
	for (size_t i = 0; !what && i < a->ngaps; i++) {
		const struct ta_global_gap *x = &a->gaps[i], *y = &b->gaps[i];
		if (x->since_ns != y->since_ns || x->until_ns != y->until_ns || x->index != y->index ||
		    x->kind != y->kind || x->end_index != y->end_index || x->events != y->events ||
		    x->bytes != y->bytes)
			what = "log-wide gaps";
	}
	if (!what)
		what = links_differ(a, b);
	if (!what)
		return 1;
	if (id[0])
		snprintf(why, cap, "session %s: %s", id, what);
	else
		snprintf(why, cap, "%s", what);
	return 0;
}

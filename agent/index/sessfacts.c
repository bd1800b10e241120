// SPDX-License-Identifier: GPL-2.0-or-later
/* The facts of a session table for the fleet's session index (sessfacts.h). */
#include <string.h>

#include "base/utf8.h"
#include "index/sessfacts.h"
#include "ttyaudit/log_records.h"
#include "ttyaudit/record.h"

/*
 * A text the index cannot hold as it is: the recorded bytes need not be UTF-8
 * (a host writes what it likes), and a UTF8 database refuses such a text,
 * failing the collector's whole batch each time it comes back; nor a NUL
 * (JSON's \u0000), which a text cannot hold and a C string would end there,
 * giving "root" for "root\u0000x". Replaced by nothing would make the
 * index's facts less than the host's (a --user of those bytes found nowhere):
 * the key is marked as not decoded instead, and query --fleet reads its host
 * in full, as the host's own table does. Nor a text longer than
 * TA_SF_TEXT_MAX: PostgreSQL's indexes hold a key of at most about 2 700
 * bytes (a third of a page, after compression), and a longer login name, as
 * a host may write, failed the batch the same way, with the message's
 * redeliveries holding a place in every host's window.
 */
static int text(const struct ta_sesstab *t, uint64_t key, enum ta_sessfact_kind kind, uint32_t off,
		ta_sessfact_fn fn, void *ctx)
{
	size_t n;

	if (!off)
		return 0;
	const char *s = ta_sesstab_strn(t, off, &n);
	if (n > TA_SF_TEXT_MAX || !ta_utf8_valid(s, n) || memchr(s, '\0', n))
		return fn(ctx, key, TA_SF_UNDECODABLE, 0, NULL);
	return fn(ctx, key, kind, 0, s);
}

int ta_sessfacts_emit(const struct ta_sesstab *t, ta_sessfact_fn fn, void *ctx)
{
	int e = 0;
	for (size_t i = 0; !e && i < t->n; i++) {
		const struct ta_sess *s = &t->s[i];
		if (s->auid != TA_ID_NONE)
			e = fn(ctx, s->key, TA_SF_AUID, s->auid, NULL);
		/* Times as query compares them, in nanoseconds, floored to microseconds. */
		if (!e)
			e = fn(ctx, s->key, TA_SF_BEGIN, ta_sess_begin(s) / 1000, NULL);
		if (!e)
			e = fn(ctx, s->key, TA_SF_END, ta_sess_finish(s) / 1000, NULL);
		if (!e)
			e = text(t, s->key, TA_SF_USER, s->user, fn, ctx);
		if (!e)
			e = text(t, s->key, TA_SF_HOST, s->host, fn, ctx);
		if (!e)
			e = text(t, s->key, TA_SF_HOST, s->addr, fn, ctx);
		if (!e)
			e = text(t, s->key, TA_SF_TTY, s->terminal, fn, ctx);
		for (uint32_t k = 0; !e && k < s->n_ttys; k++)
			e = text(t, s->key, TA_SF_TTY, s->ttys[k], fn, ctx);
	}
	/* Both ends of a shared pane: each row needs the other's records. */
	for (size_t i = 0; !e && i < t->nlinks; i++) {
		const struct ta_shared_link *l = &t->links[i];
		if (l->pane_key == l->typist_key)
			continue;
		e = fn(ctx, l->pane_key, TA_SF_RELATED, l->typist_key, NULL);
		if (!e)
			e = fn(ctx, l->typist_key, TA_SF_RELATED, l->pane_key, NULL);
	}
	return e;
}

int ta_sesstab_rec_global(const struct ta_log_record *rec)
{
	/* The log-wide cases of sesstab.c's add_record and add_json. */
	switch (rec->type) {
	case TA_REC_GAP:
	case TA_REC_RECOVERY:
	case TA_REC_AGENT_START:
		return 1;
	case TA_REC_LOSS:
		return (uint32_t)rec->session == TA_ID_NONE;
	default:
		return 0;
	}
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding and loading one session (session_view.h). */
#include <string.h>

#include "cli/session_view.h"
#include "common/exitcodes.h"
#include "common/log.h"

int session_view_open(struct session_view *v, const char *dir, const char *index_opt, int no_index,
		      const char *arg)
{
	size_t ord;
	int rc, err;

	memset(v, 0, sizeof(*v));
	rc = cli_table_open(&v->ct, dir, index_opt, no_index ? CLI_INDEX_NONE : CLI_INDEX_AUTO, 1);
	if (rc != TA_EXIT_OK)
		return rc;
	rc = cli_find_session(v->ct.t, arg, &ord);
	if (rc != TA_EXIT_OK) {
		cli_table_close(&v->ct);
		return rc;
	}
	v->s = &v->ct.t->s[ord];
	if (!ta_sess_sane(v->ct.t, v->s)) {
		ta_err(NULL, "the index is damaged; run 'ttyaudit reindex' or use --no-index");
		cli_table_close(&v->ct);
		return TA_EXIT_FAILURE;
	}
	ta_sess_id(v->s->key, v->id, sizeof(v->id));
	const struct ta_sesstab *t = v->ct.t;
	if (t->keep_refs && v->s->refs_n) {
		err = ta_transcript_load(&v->tr, dir, v->s->key, v->s->first_index, v->s->last_index,
					 t->refs + v->s->refs_off, v->s->refs_n);
		if (!err && v->tr.index_mismatch) {
			/* The index pointed at records that are not this session's: read the log. */
			ta_warn(NULL, "the index is out of date for session %s; reading the log", v->id);
			ta_transcript_free(&v->tr);
			err = ta_transcript_load(&v->tr, dir, v->s->key, v->s->first_index, UINT64_MAX,
						 NULL, 0);
		}
	} else {
		err = ta_transcript_load(&v->tr, dir, v->s->key, v->s->first_index, v->s->last_index,
					 NULL, 0);
	}
	if (err) {
		rc = cli_log_error(dir, err);
		cli_table_close(&v->ct);
		return rc;
	}
	return TA_EXIT_OK;
}

void session_view_close(struct session_view *v)
{
	ta_transcript_free(&v->tr);
	cli_table_close(&v->ct);
}

int session_view_damage_exit(const struct session_view *v)
{
	const char *line = NULL;
	int len = 0;

	for (size_t i = 0; i < v->tr.n && !line; i++)
		if (v->tr.ev[i].kind == TA_TEV_DAMAGE) {
			line = (const char *)ta_tev_data(&v->tr, &v->tr.ev[i]);
			len = (int)v->tr.ev[i].len;
		}
	if (!v->tr.damage && !v->tr.bad_payloads && !(v->s->flags & TA_SESS_DAMAGE))
		return TA_EXIT_OK;
	ta_err(NULL, "the log is damaged in session %s; the intact part was shown%s%.*s", v->id,
	       line ? ". " : "", line ? len : 0, line ? line : "");
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

void session_view_keep_tty(struct session_view *v, const char *name)
{
	char want[64], have[64];
	size_t k = 0;

	squash(name, want, sizeof(want));
	for (size_t i = 0; i < v->tr.n; i++) {
		const struct ta_tev *e = &v->tr.ev[i];
		if (e->kind == TA_TEV_OUTPUT || e->kind == TA_TEV_INPUT || e->kind == TA_TEV_WINSIZE) {
			squash(ta_tev_tty(&v->tr, e), have, sizeof(have));
			if (strcmp(have, want))
				continue;
		}
		v->tr.ev[k++] = *e;
	}
	v->tr.n = k;
}

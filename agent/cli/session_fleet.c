// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One session of a fleet host (session_view.h, fleet_source.h), from the
 * records the collector stored: the same session table and transcript as from the host's own log,
 * so show and export render it with the same code.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/fleet_index.h"
#include "cli/fleet_source.h"
#include "cli/session_view.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "store/store.h"
#include "view/transcript.h"

/* The enrolled origin equal to pattern, else the only one containing it. */
static int pick_origin(struct cli_fleet *f, const char *pattern, char *out, size_t cap, char *err,
		       size_t errlen)
{
	char **o = NULL;
	size_t n = 0, hit = SIZE_MAX;
	int rc = cli_fleet_origins(f, pattern, &o, &n, err, errlen);

	if (rc)
		return rc;
	for (size_t i = 0; i < n && hit == SIZE_MAX; i++)
		if (!strcmp(o[i], pattern))
			hit = i;
	if (hit == SIZE_MAX && n == 1)
		hit = 0;
	if (hit != SIZE_MAX) {
		snprintf(out, cap, "%s", o[hit]);
	} else if (!n) {
		snprintf(err, errlen, "--origin: no enrolled host's origin contains '%s'", pattern);
		rc = TA_EXIT_USAGE;
	} else {
		snprintf(err, errlen, "--origin: %zu enrolled hosts' origins contain '%s' (%s, %s%s); "
			 "give one exactly", n, pattern, o[0], o[1], n > 2 ? ", ..." : "");
		rc = TA_EXIT_USAGE;
	}
	free(o);
	return rc;
}

struct fleet_load {
	struct ta_transcript *tr;
	const char *origin;
	uint64_t last_time;
};

static int add_rec(void *ctx, const struct ta_log_record *rec)
{
	struct fleet_load *fl = ctx;

	fl->last_time = rec->time_ns;
	return ta_transcript_add_record(fl->tr, rec) ? TA_EXIT_FAILURE : 0;
}

/* Marked where it is, as the log reader marks a damaged local log. */
static int add_damage(void *ctx, uint64_t from, uint64_t resume, const char *why)
{
	struct fleet_load *fl = ctx;
	char line[512];

	(void)resume;
	snprintf(line, sizeof(line), "%s: record %" PRIu64 ": %s", fl->origin, from, why);
	return ta_transcript_add_damage(fl->tr, from, fl->last_time, line) ? TA_EXIT_FAILURE : 0;
}

static int add_client(void *ctx, const struct ta_log_record *rec)
{
	struct fleet_load *fl = ctx;

	return ta_transcript_add_client(fl->tr, rec) ? TA_EXIT_FAILURE : 0;
}

/* A client record gone or damaged: the session's view does not need it (as locally). */
static int skip_damage(void *ctx, uint64_t from, uint64_t resume, const char *why)
{
	(void)ctx;
	(void)from;
	(void)resume;
	(void)why;
	return 0;
}

/*
 * Reading by the session's refs: each record must be the next the table
 * named, its own (refs, in index order) or a log-wide gap inside it; any
 * other answer (one missing, one that does not decode, one not named) stops
 * the read, and the span is read instead, which marks damage where it is.
 */
#define REFS_DIFFER 1000 /* not an exit code: the callbacks' "read the span" */

struct refs_read {
	struct fleet_load load;
	const struct ta_ref *refs;
	size_t nrefs, ref;
	const uint64_t *gaps;
	size_t ngaps, gap;
};

static int refs_rec(void *ctx, const struct ta_log_record *rec)
{
	struct refs_read *rr = ctx;

	if (rr->ref < rr->nrefs && rec->index == rr->refs[rr->ref].index)
		rr->ref++;
	else if (rr->gap < rr->ngaps && rec->index == rr->gaps[rr->gap])
		rr->gap++;
	else
		return REFS_DIFFER;
	return add_rec(&rr->load, rec);
}

static int refs_damage(void *ctx, uint64_t from, uint64_t resume, const char *why)
{
	(void)ctx;
	(void)from;
	(void)resume;
	(void)why;
	return REFS_DIFFER;
}

/* 0 done, REFS_DIFFER (tr to read again), or an exit code. */
static int transcript_by_refs(struct cli_fleet *f, const char *origin, const struct ta_sesstab *t,
			      const struct ta_sess *s, struct ta_transcript *tr, char *err,
			      size_t errlen)
{
	struct refs_read rr = { .load = { .tr = tr, .origin = origin },
				.refs = t->refs + s->refs_off, .nrefs = s->refs_n };
	uint64_t *gaps = NULL;
	size_t ngaps = 0;
	int rc;

	if (cli_session_gap_indexes(t, s, &gaps, &ngaps)) {
		snprintf(err, errlen, "out of memory");
		return TA_EXIT_FAILURE;
	}
	rr.gaps = gaps;
	rr.ngaps = ngaps;
	rc = cli_fleet_session_records(f, origin, s->key, s->first_index, s->last_index, gaps, ngaps,
				       refs_rec, refs_damage, &rr, err, errlen);
	free(gaps);
	if (!rc && (rr.ref != rr.nrefs || rr.gap != rr.ngaps))
		rc = REFS_DIFFER;
	return rc;
}

int cli_fleet_transcript(struct cli_fleet *f, const char *origin, const struct ta_sesstab *t,
			 const struct ta_sess *s, const uint64_t *clients, size_t nclients,
			 struct ta_transcript *tr, char *err, size_t errlen)
{
	struct fleet_load fl = { .tr = tr, .origin = origin };
	/* Refs are sorted by index per session (ta_sesstab_finish), as the rows come. */
	int by_refs = t && t->keep_refs && s->refs_n && !(s->flags & TA_SESS_DAMAGE);
	int rc = REFS_DIFFER;

	if (ta_transcript_init(tr, s->key))
		goto oom;
	if (by_refs && (rc = transcript_by_refs(f, origin, t, s, tr, err, errlen)) == REFS_DIFFER) {
		ta_transcript_free(tr);
		if (ta_transcript_init(tr, s->key))
			goto oom;
	}
	/* Every record of the session's span, as a local log read without its index. */
	if (rc == REFS_DIFFER)
		rc = cli_fleet_records(f, origin, s->first_index, s->last_index, add_rec, add_damage,
				       &fl, err, errlen);
	for (size_t i = 0; !rc && i < nclients; i++)
		rc = cli_fleet_records(f, origin, clients[i], clients[i], add_client, skip_damage, &fl,
				       err, errlen);
	ta_transcript_sort(tr);
	if (rc)
		ta_transcript_free(tr);
	return rc;
oom:
	snprintf(err, errlen, "out of memory");
	return TA_EXIT_FAILURE;
}

/*
 * The session's table through the collector's session index (fleet_index.h):
 * its records, those of the sessions sharing a pane with it and the host's
 * log-wide ones, not every record of the host. 1 done, 0 the index cannot
 * say (an id it cannot narrow by, a host with a hole or records that do not
 * decode, a session it does not know, a shared pane): read the host in full.
 */
static int table_by_index(struct cli_fleet *f, struct session_view *v, const char *arg)
{
	struct cli_fleet_filter flt = { .have_session = 1, .keep_refs = 1 };
	struct cli_fleet_host *hosts = NULL;
	size_t n = 0, enrolled = 0;
	char err[512];
	int done = 0;

	if (ta_sess_id_parse(arg, &flt.session, &flt.ses_only) ||
	    cli_fleet_index_read(f, &flt, v->origin, &hosts, &n, &enrolled, err, sizeof(err)))
		return 0;
	for (size_t i = 0; i < n && !done; i++) {
		int known = 0; /* the session, or (a bare audit session id) one of that id */
		for (size_t k = 0; flt.ses_only && k < hosts[i].n_match; k++)
			known |= (uint32_t)hosts[i].match[k] == (uint32_t)flt.session;
		if (!flt.ses_only)
			known = cli_fleet_host_may_match(&hosts[i], flt.session);
		/*
		 * A shared pane's view shows every client that attached to its
		 * server (cli_shared_clients), typing or not; the index relates
		 * only typists: such a session's host is read in full.
		 */
		for (size_t l = 0; known && hosts[i].have_table && l < hosts[i].t.nlinks; l++)
			if (hosts[i].t.links[l].server)
				known = 0;
		if (!strcmp(hosts[i].origin, v->origin) && !hosts[i].full && hosts[i].have_table && known) {
			v->ct.own = hosts[i].t;
			hosts[i].have_table = 0;
			v->cosigned = hosts[i].cosigned;
			done = 1;
		}
	}
	cli_fleet_hosts_free(hosts, n);
	return done;
}

static int load(struct cli_fleet *f, struct session_view *v, const char *arg, char *err, size_t errlen)
{
	int rc = 0;

	if (!table_by_index(f, v, arg))
		rc = cli_fleet_table(f, v->origin, &v->ct.own, &v->cosigned, &v->ct.damage,
				     v->ct.damage_line, sizeof(v->ct.damage_line), err, errlen);
	if (rc)
		return rc;
	v->ct.have_own = 1;
	v->ct.t = &v->ct.own;
	v->ct.source = "fleet";
	rc = session_view_pick(v, arg);
	if (rc == -EINVAL) {
		snprintf(err, errlen, "the session table read from the fleet's records is not consistent");
		return TA_EXIT_FAILURE;
	}
	if (rc)
		return rc;
	rc = cli_fleet_transcript(f, v->origin, v->ct.t, v->s, v->clients, v->nclients, &v->tr, err,
				  errlen);
	v->loaded = 1; /* session_view_each passes tr's events */
	v->tr.who = cli_who;
	v->tr.who_ctx = (void *)v->ct.t;
	return rc;
}

int session_view_open_fleet(struct session_view *v, const char *dsn, const char *origin,
			    const char *arg)
{
	struct cli_fleet *f = NULL;
	char err[512] = "";
	int rc;

	memset(v, 0, sizeof(*v));
	v->fleet = 1;
	rc = cli_fleet_open(&f, dsn, err, sizeof(err));
	if (!rc)
		rc = pick_origin(f, origin, v->origin, sizeof(v->origin), err, sizeof(err));
	if (!rc)
		rc = load(f, v, arg, err, sizeof(err));
	cli_fleet_close(f);
	if (rc) {
		if (err[0])
			ta_err(NULL, "%s", err);
		session_view_close(v);
	}
	return rc;
}

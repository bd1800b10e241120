// SPDX-License-Identifier: GPL-2.0-or-later
/* Building the session table from log records (sesstab.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/json_read.h"
#include "base/str_hash.h"
#include "base/clock.h"
#include "index/sesstab.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/log_records.h"
#include "ttyaudit/record.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/*
 * Keys, strings and links come from the log, which a hostile host (or user)
 * writes: every hash is salted with the table's random seed, so no one can
 * choose values that all land in one run of the open-addressing tables.
 */
static uint64_t hash_str(const struct ta_sesstab *t, const char *s, size_t n)
{
	return ta_str_hash_salted(s, n, t->seed);
}

int ta_sesstab_init(struct ta_sesstab *t, int keep_refs)
{
	memset(t, 0, sizeof(*t));
	t->keep_refs = keep_refs;
	/* Without entropy yet (early boot), the clock: unknown to a writer in advance. */
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = ta_now_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)t;
	t->pool_cap = 4096;
	t->pool = malloc(t->pool_cap);
	if (!t->pool)
		return -ENOMEM;
	t->pool[0] = '\0';
	t->pool_len = 1;
	return 0;
}

void ta_sesstab_free(struct ta_sesstab *t)
{
	free(t->s);
	free(t->hash);
	free(t->pool);
	free(t->phash);
	free(t->refs);
	free(t->ref_sess);
	free(t->gaps);
	free(t->links);
	free(t->lhash);
	free(t->clients);
	memset(t, 0, sizeof(*t));
}

static int rehash(struct ta_sesstab *t, size_t ncap)
{
	uint32_t *h = calloc(ncap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t j = mix64(t->s[i].key ^ t->seed) & (ncap - 1);
		while (h[j])
			j = (j + 1) & (ncap - 1);
		h[j] = (uint32_t)i + 1;
	}
	free(t->hash);
	t->hash = h;
	t->hcap = ncap;
	return 0;
}

long ta_sesstab_find(const struct ta_sesstab *t, uint64_t key)
{
	if (t->hcap) {
		size_t j = mix64(key ^ t->seed) & (t->hcap - 1);
		while (t->hash[j]) {
			if (t->s[t->hash[j] - 1].key == key)
				return (long)t->hash[j] - 1;
			j = (j + 1) & (t->hcap - 1);
		}
		return -1;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->s[i].key == key)
			return (long)i;
	return -1;
}

static struct ta_sess *get_sess(struct ta_sesstab *t, uint64_t key, const struct ta_log_record *rec)
{
	long i = ta_sesstab_find(t, key);

	if (i >= 0)
		return &t->s[i];
	if (t->n >= UINT32_MAX - 1)
		return NULL;
	if (t->n == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		struct ta_sess *ns = realloc(t->s, ncap * sizeof(*ns));
		if (!ns)
			return NULL;
		t->s = ns;
		t->cap = ncap;
	}
	if ((t->n + 1) * 2 > t->hcap && rehash(t, t->hcap ? t->hcap * 2 : 128))
		return NULL;
	struct ta_sess *s = &t->s[t->n];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->ses = (uint32_t)key;
	s->auid = TA_ID_NONE;
	s->start_ns = rec->time_ns;
	s->end_ns = rec->time_ns;
	s->first_index = rec->index;
	s->last_index = rec->index;
	size_t j = mix64(key ^ t->seed) & (t->hcap - 1);
	while (t->hash[j])
		j = (j + 1) & (t->hcap - 1);
	t->hash[j] = (uint32_t)t->n + 1;
	t->n++;
	return s;
}

/* An entry: its length (4 bytes), then the bytes and a NUL; its offset is the bytes'. */
#define POOL_LEN_BYTES 4

const char *ta_sesstab_strn(const struct ta_sesstab *t, uint32_t off, size_t *len)
{
	uint32_t l;

	*len = 0;
	/* Offsets and lengths of an index file are claims: checked, "" if they name no entry. */
	if (off <= POOL_LEN_BYTES || off >= t->pool_len)
		return "";
	memcpy(&l, t->pool + off - POOL_LEN_BYTES, sizeof(l));
	if (l >= t->pool_len - off || t->pool[off + l])
		return "";
	*len = l;
	return t->pool + off;
}

const char *ta_sesstab_cstr(const struct ta_sesstab *t, uint32_t off)
{
	size_t n;
	const char *s = ta_sesstab_strn(t, off, &n);

	return memchr(s, '\0', n) ? NULL : s;
}

static int pool_eq(const struct ta_sesstab *t, uint32_t off, const char *s, size_t n)
{
	size_t have;
	const char *p = ta_sesstab_strn(t, off, &have);

	return have == n && !memcmp(p, s, n);
}

uint32_t ta_sesstab_intern(struct ta_sesstab *t, const char *str, size_t l)
{
	if (!l)
		return 0;
	if ((t->pcount + 1) * 2 > t->phcap) {
		size_t ncap = t->phcap ? t->phcap * 2 : 256;
		uint32_t *h = calloc(ncap, sizeof(*h));
		if (!h)
			return 0;
		for (size_t i = 0; i < t->phcap; i++) {
			if (!t->phash[i])
				continue;
			size_t n;
			const char *p = ta_sesstab_strn(t, t->phash[i], &n);
			size_t j = hash_str(t, p, n) & (ncap - 1);
			while (h[j])
				j = (j + 1) & (ncap - 1);
			h[j] = t->phash[i];
		}
		free(t->phash);
		t->phash = h;
		t->phcap = ncap;
	}
	size_t j = hash_str(t, str, l) & (t->phcap - 1);
	while (t->phash[j]) {
		if (pool_eq(t, t->phash[j], str, l))
			return t->phash[j];
		j = (j + 1) & (t->phcap - 1);
	}
	size_t need = POOL_LEN_BYTES + l + 1;
	if (l > UINT32_MAX || t->pool_len + need > UINT32_MAX)
		return 0;
	if (t->pool_len + need > t->pool_cap) {
		size_t ncap = t->pool_cap * 2;
		while (ncap < t->pool_len + need)
			ncap *= 2;
		char *np = realloc(t->pool, ncap);
		if (!np)
			return 0;
		t->pool = np;
		t->pool_cap = ncap;
	}
	uint32_t l32 = (uint32_t)l, off = (uint32_t)(t->pool_len + POOL_LEN_BYTES);
	memcpy(t->pool + t->pool_len, &l32, sizeof(l32));
	memcpy(t->pool + off, str, l);
	t->pool[off + l] = '\0';
	t->pool_len += need;
	t->phash[j] = off;
	t->pcount++;
	return off;
}

static void add_uid(struct ta_sess *s, uint32_t uid)
{
	for (uint32_t i = 0; i < s->n_uids; i++)
		if (s->uids[i] == uid)
			return;
	if (s->n_uids < TA_SESS_UIDS)
		s->uids[s->n_uids++] = uid;
	else
		s->flags |= TA_SESS_MORE_UIDS;
}

/* The terminal at pool offset off (0: none, or no memory to keep its name) among s's. */
static void add_tty_at(struct ta_sess *s, uint32_t off)
{
	if (!off)
		return;
	for (uint32_t i = 0; i < s->n_ttys; i++)
		if (s->ttys[i] == off)
			return;
	if (s->n_ttys < TA_SESS_TTYS)
		s->ttys[s->n_ttys++] = off;
	else
		s->flags |= TA_SESS_MORE_TTYS;
}

static void add_tty(struct ta_sesstab *t, struct ta_sess *s, const char *name, size_t len)
{
	if (len)
		add_tty_at(s, ta_sesstab_intern(t, name, len));
}

static int add_gap(struct ta_sesstab *t, uint64_t since, uint64_t until, uint64_t index, uint32_t kind)
{
	if (t->ngaps == t->gapcap) {
		size_t ncap = t->gapcap ? t->gapcap * 2 : 16;
		struct ta_global_gap *ng = realloc(t->gaps, ncap * sizeof(*ng));
		if (!ng)
			return -ENOMEM;
		t->gaps = ng;
		t->gapcap = ncap;
	}
	t->gaps[t->ngaps++] = (struct ta_global_gap){ since, until, index, kind, 0, index + 1, 0, 0 };
	return 0;
}

/* lower: no event of the record is earlier (terminal data: its batch's start may be). */
static int add_ref_at(struct ta_sesstab *t, struct ta_sess *s, const struct ta_log_record *rec,
		      uint64_t lower)
{
	if (!t->keep_refs)
		return 0;
	if (t->nrefs == t->refcap) {
		size_t ncap = t->refcap ? t->refcap * 2 : 1024;
		struct ta_ref *nr = realloc(t->refs, ncap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		t->refs = nr;
		uint32_t *ns = realloc(t->ref_sess, ncap * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		t->ref_sess = ns;
		t->refcap = ncap;
	}
	t->refs[t->nrefs] = (struct ta_ref){ rec->index, rec->segment_seq, rec->offset, lower };
	t->ref_sess[t->nrefs] = (uint32_t)(s - t->s);
	t->nrefs++;
	return 0;
}

static int add_ref(struct ta_sesstab *t, struct ta_sess *s, const struct ta_log_record *rec)
{
	return add_ref_at(t, s, rec, rec->time_ns);
}

/*
 * Whole: a NUL in it is kept (and shown), not an end, and a value of any length
 * as long as it is (cut to a buffer, a host's 3 000-byte login name showed as
 * its first 255 bytes, unmarked, and --user of the name it recorded found
 * nothing). Its decoded length is at most its raw one.
 */
uint32_t ta_sesstab_intern_member(struct ta_sesstab *t, const struct ta_jobj *o, const char *key)
{
	const struct ta_jval *v = ta_jobj_get(o, key);
	char small[256], *buf = small;

	if (!v || v->type != TA_J_STR)
		return 0;
	if (v->n >= sizeof(small) && !(buf = malloc(v->n + 1)))
		return 0;
	long n = ta_jval_str(v, buf, v->n + 1);
	uint32_t off = n > 0 ? ta_sesstab_intern(t, buf, (size_t)n) : 0;
	if (buf != small)
		free(buf);
	return off;
}

static void take_str(struct ta_sesstab *t, const struct ta_jobj *o, const char *key, uint32_t *dst)
{
	uint32_t off = ta_sesstab_intern_member(t, o, key);

	if (off)
		*dst = off;
}

static uint64_t json_time(const struct ta_jobj *o, const char *key)
{
	char buf[64];
	uint64_t ns;

	if (ta_jobj_cstr(o, key, buf, sizeof(buf)) > 0 && !ta_parse_rfc3339(buf, &ns))
		return ns;
	return 0;
}

static void touch(struct ta_sess *s, const struct ta_log_record *rec)
{
	if (rec->time_ns < s->start_ns)
		s->start_ns = rec->time_ns;
	if (rec->time_ns > s->end_ns)
		s->end_ns = rec->time_ns;
	s->last_index = rec->index;
	s->records++;
}

static int add_tty_data(struct ta_sesstab *t, const struct ta_log_record *rec)
{
	struct ta_batch_iter it;
	struct ta_batch_item e;
	struct ta_sess *s;
	char tty[TA_TTY_NAME_LEN + 1];
	int n;

	if (ta_batch_iter_init(&it, rec->payload, rec->len)) {
		t->bad_payloads++;
		return 0;
	}
	if (!(s = get_sess(t, rec->session, rec)))
		return -ENOMEM;
	touch(s, rec);
	if (s->auid == TA_ID_NONE)
		s->auid = it.hdr.auid;
	ta_batch_tty_name(&it, tty);
	add_tty(t, s, tty, strlen(tty));
	uint64_t last = rec->time_ns;
	while ((n = ta_batch_next(&it, &e)) == 1) {
		if (e.time_ns > last)
			last = e.time_ns;
		switch (e.kind) {
		case TA_ENTRY_INPUT:
			s->bytes_in += e.len;
			if (e.entry.flags & TA_F_REDACTED)
				s->redacted_bytes += e.entry.orig_len;
			break;
		case TA_ENTRY_OUTPUT:
			s->bytes_out += e.len;
			add_uid(s, e.entry.uid);
			break;
		case TA_ENTRY_WINSIZE:
			if (!s->rows) {
				s->rows = e.rows;
				s->cols = e.cols;
			}
			break;
		}
	}
	if (n < 0)
		t->bad_payloads++;
	if (last > s->end_ns)
		s->end_ns = last;
	return add_ref_at(t, s, rec, it.hdr.start_ns < rec->time_ns ? it.hdr.start_ns : rec->time_ns);
}

int ta_conf_parse(const char *s)
{
	if (!strcmp(s, "exact"))
		return TA_CONF_EXACT;
	if (!strcmp(s, "timing"))
		return TA_CONF_TIMING;
	if (!strcmp(s, "ambiguous"))
		return TA_CONF_AMBIGUOUS;
	return TA_CONF_NONE;
}

const char *ta_conf_name(int conf)
{
	static const char *const names[] = { "exact", "timing", "ambiguous", "none" };

	return conf >= 0 && conf <= TA_CONF_NONE ? names[conf] : "none";
}

static int add_client(struct ta_sesstab *t, const struct ta_log_record *rec, const struct ta_jobj *o)
{
	uint32_t srv = ta_sesstab_intern_member(t, o, "server");

	if (!srv)
		return 0;
	if (t->nclients == t->clientcap) {
		size_t ncap = t->clientcap ? t->clientcap * 2 : 16;
		struct ta_shared_client *nc = realloc(t->clients, ncap * sizeof(*nc));
		if (!nc)
			return -ENOMEM;
		t->clients = nc;
		t->clientcap = ncap;
	}
	t->clients[t->nclients++] = (struct ta_shared_client){
		.client_key = rec->session, .index = rec->index, .seg_seq = rec->segment_seq,
		.offset = rec->offset, .time_ns = rec->time_ns,
		.server = srv, .type = rec->type,
	};
	return 0;
}

static uint64_t link_hash(const struct ta_sesstab *t, uint64_t pane, uint64_t typist, uint32_t auid)
{
	return mix64(mix64(pane ^ t->seed) ^ typist) ^ mix64(auid ^ ~t->seed);
}

static void link_hash_put(struct ta_sesstab *t, size_t i)
{
	const struct ta_shared_link *l = &t->links[i];
	size_t j = link_hash(t, l->pane_key, l->typist_key, l->typist_auid) & (t->lhcap - 1);

	while (t->lhash[j])
		j = (j + 1) & (t->lhcap - 1);
	t->lhash[j] = (uint32_t)i + 1;
}

/*
 * The link of (pane, typist, auid), or NULL; makes room for one more. By
 * hash: a log of many typists searched every link for each attribution.
 * Rebuilt when the links were not put here (a table copied from an index).
 */
static int find_link(struct ta_sesstab *t, uint64_t pane, uint64_t typist, uint32_t auid,
		     struct ta_shared_link **out)
{
	*out = NULL;
	if ((t->nlinks + 1) * 2 > t->lhcap || t->lhashed != t->nlinks) {
		size_t ncap = t->lhcap ? t->lhcap : 64;
		while ((t->nlinks + 1) * 2 > ncap)
			ncap *= 2;
		uint32_t *h = calloc(ncap, sizeof(*h));
		if (!h)
			return -ENOMEM;
		free(t->lhash);
		t->lhash = h;
		t->lhcap = ncap;
		for (size_t i = 0; i < t->nlinks; i++)
			link_hash_put(t, i);
		t->lhashed = t->nlinks;
	}
	for (size_t j = link_hash(t, pane, typist, auid) & (t->lhcap - 1); t->lhash[j];
	     j = (j + 1) & (t->lhcap - 1)) {
		struct ta_shared_link *l = &t->links[t->lhash[j] - 1];
		if (l->pane_key == pane && l->typist_key == typist && l->typist_auid == auid) {
			*out = l;
			return 0;
		}
	}
	return 0;
}

/*
 * An attribution record is keyed by the typist's session; it also belongs to
 * the pane owner's session, whose input it describes: a ref there (so show
 * finds it) and a link (so query --user finds the pane from the typist).
 */
static int add_attribution(struct ta_sesstab *t, const struct ta_log_record *rec,
			   const struct ta_jobj *o)
{
	uint64_t v, owner;
	char buf[1024];
	int err;

	if (ta_jobj_u64(o, "pane_owner_ses", &owner) || owner >= TA_ID_NONE)
		return 0;
	uint64_t pane_key = (rec->session & 0xffffffff00000000ull) | owner;
	if (pane_key != rec->session) {
		struct ta_sess *p = get_sess(t, pane_key, rec);
		if (!p)
			return -ENOMEM;
		if (rec->index > p->last_index)
			p->last_index = rec->index;
		if ((err = add_ref(t, p, rec)))
			return err;
		if (p->auid == TA_ID_NONE && !ta_jobj_u64(o, "pane_owner_auid", &v) && v < TA_ID_NONE)
			p->auid = (uint32_t)v;
	}
	/* A link also when the owner typed: it names the pane's server for show. */
	uint32_t auid = TA_ID_NONE;
	if (!ta_jobj_u64(o, "auid", &v) && v < TA_ID_NONE)
		auid = (uint32_t)v;
	int conf = ta_jobj_cstr(o, "confidence", buf, sizeof(buf)) > 0 ? ta_conf_parse(buf) : TA_CONF_NONE;
	struct ta_shared_link *l = NULL;
	if ((err = find_link(t, pane_key, rec->session, auid, &l)))
		return err;
	if (!l) {
		if (t->nlinks == t->linkcap) {
			size_t ncap = t->linkcap ? t->linkcap * 2 : 16;
			struct ta_shared_link *nl = realloc(t->links, ncap * sizeof(*nl));
			if (!nl)
				return -ENOMEM;
			t->links = nl;
			t->linkcap = ncap;
		}
		l = &t->links[t->nlinks++];
		memset(l, 0, sizeof(*l));
		l->pane_key = pane_key;
		l->typist_key = rec->session;
		l->typist_auid = auid;
		link_hash_put(t, t->nlinks - 1);
		t->lhashed = t->nlinks;
		l->first_ns = UINT64_MAX;
	}
	uint64_t st = json_time(o, "start"), en = json_time(o, "end");
	if (!st)
		st = rec->time_ns;
	if (!en)
		en = st;
	l->runs++;
	l->conf_mask |= 1u << conf;
	if (!ta_jobj_u64(o, "events", &v))
		l->events += v;
	if (!ta_jobj_u64(o, "bytes", &v))
		l->bytes += v;
	if (st < l->first_ns)
		l->first_ns = st;
	if (en > l->last_ns)
		l->last_ns = en;
	if (!l->pane)
		l->pane = ta_sesstab_intern_member(t, o, "pane");
	if (!l->server)
		l->server = ta_sesstab_intern_member(t, o, "server");
	return 0;
}

static int add_json(struct ta_sesstab *t, const struct ta_log_record *rec)
{
	struct ta_jobj o;
	struct ta_sess *s = NULL;
	uint64_t v;
	int has_ses = (uint32_t)rec->session != TA_ID_NONE;

	if (ta_jobj_parse(&o, (const char *)rec->payload, rec->len)) {
		t->bad_payloads++;
		if (rec->type == TA_REC_EXEC || rec->type == TA_REC_UNCAPTURED) {
			if (!(s = get_sess(t, rec->session, rec)))
				return -ENOMEM;
			touch(s, rec);
			return add_ref(t, s, rec);
		}
		return 0;
	}
	switch (rec->type) {
	case TA_REC_AGENT_START: {
		char b[32];
		t->agent_starts++;
		if (ta_jobj_cstr(&o, "backend", b, sizeof(b)) > 0)
			snprintf(t->backend, sizeof(t->backend), "%s", b);
		/*
		 * Nothing was recorded between the previous run's last round (its
		 * activity journal's heartbeat, after an unclean stop) or last record
		 * and this start.
		 */
		if (t->agent_starts > 1) {
			uint64_t since = json_time(&o, "lost_since");

			if (!since || since > rec->time_ns)
				since = t->last_time_ns && t->last_time_ns < rec->time_ns ?
					t->last_time_ns : rec->time_ns;
			add_gap(t, since, rec->time_ns, rec->index, 2);
		}
		t->last_agent_start_ns = rec->time_ns;
		return 0;
	}
	case TA_REC_LOSS: {
		/* As show's GAP line reads it (ta_tev_describe): absent numbers are 0. */
		uint64_t ev = 0, by = 0;
		ta_jobj_u64(&o, "events", &ev);
		ta_jobj_u64(&o, "bytes", &by);
		if (!has_ses) {
			int err = add_gap(t, rec->time_ns, rec->time_ns, rec->index, 4);
			if (!err) {
				t->gaps[t->ngaps - 1].events = ev;
				t->gaps[t->ngaps - 1].bytes = by;
			}
			return err;
		}
		if (!(s = get_sess(t, rec->session, rec)))
			return -ENOMEM;
		touch(s, rec);
		s->gaps++;
		s->lost_events += ev;
		s->lost_bytes += by;
		return add_ref(t, s, rec);
	}
	case TA_REC_EXEC:
	case TA_REC_UNCAPTURED:
	case TA_REC_SESSION_START:
	case TA_REC_SESSION_UPDATE:
	case TA_REC_SESSION_END:
	case TA_REC_LOGIN_FAILED:
	case TA_REC_LOGIN_EVENT:
	case TA_REC_FOOTPRINT:
	case TA_REC_ALERT:
		/* Read with the session (show, query --file/--connect/--privileged/--alerts). */
		if (!has_ses)
			return 0;
		break;
	case TA_REC_ATTACH:
	case TA_REC_DETACH: {
		int err = add_client(t, rec, &o);
		if (err)
			return err;
		if (!has_ses)
			return 0;
		break;
	}
	case TA_REC_ATTRIBUTION: {
		int err = add_attribution(t, rec, &o);
		if (err)
			return err;
		if (!has_ses)
			return 0;
		break;
	}
	default:
		return 0;
	}
	if (!(s = get_sess(t, rec->session, rec)))
		return -ENOMEM;
	touch(s, rec);
	if (s->auid == TA_ID_NONE && !ta_jobj_u64(&o, "auid", &v) && v < TA_ID_NONE)
		s->auid = (uint32_t)v;
	switch (rec->type) {
	case TA_REC_EXEC:
		s->execs++;
		if (!ta_jobj_u64(&o, "uid", &v) && v < TA_ID_NONE)
			add_uid(s, (uint32_t)v);
		add_tty_at(s, ta_sesstab_intern_member(t, &o, "tty"));
		break;
	case TA_REC_SESSION_START: {
		const struct ta_jval *ver = ta_jobj_get(&o, "login_verified");
		int verified = 1;

		s->flags |= TA_SESS_LOGIN;
		/* Logs from before the claim was checked say nothing: not marked. */
		if (ver && !ta_jval_bool(ver, &verified) && !verified)
			s->flags |= TA_SESS_UNVERIFIED;
		if (!ta_jobj_u64(&o, "auid", &v) && v < TA_ID_NONE)
			s->auid = (uint32_t)v;
		take_str(t, &o, "user", &s->user);
		take_str(t, &o, "host", &s->host);
		take_str(t, &o, "addr", &s->addr);
		take_str(t, &o, "login_program", &s->prog);
		if (!s->prog)
			take_str(t, &o, "exe", &s->prog);
		take_str(t, &o, "terminal", &s->terminal);
		take_str(t, &o, "boot_id", &s->boot_id);
		uint64_t st = json_time(&o, "start_time");
		s->login_ns = st ? st : rec->time_ns;
		break;
	}
	case TA_REC_SESSION_END: {
		s->flags |= TA_SESS_ENDED;
		uint64_t et = json_time(&o, "end_time");
		s->logout_ns = et ? et : rec->time_ns;
		if (!s->user)
			take_str(t, &o, "user", &s->user);
		if (!s->host)
			take_str(t, &o, "host", &s->host);
		if (!s->addr)
			take_str(t, &o, "addr", &s->addr);
		if (!s->prog)
			take_str(t, &o, "login_program", &s->prog);
		break;
	}
	case TA_REC_SESSION_UPDATE:
		/* Also written for sessions known only from their terminals: the name then. */
		if (!s->user)
			take_str(t, &o, "user", &s->user);
		break;
	case TA_REC_LOGIN_FAILED:
		s->flags |= TA_SESS_FAILED;
		break;
	default:
		break;
	}
	return add_ref(t, s, rec);
}

static int add_record(struct ta_sesstab *t, const struct ta_log_record *rec)
{
	switch (rec->type) {
	case TA_REC_TTY_DATA:
		return add_tty_data(t, rec);
	case TA_REC_GAP: {
		struct ta_rec_gap g;
		if (rec->len >= sizeof(g)) {
			memcpy(&g, rec->payload, sizeof(g));
			return add_gap(t, g.since_ns, g.until_ns ? g.until_ns : rec->time_ns, rec->index, 1);
		}
		return add_gap(t, rec->time_ns, rec->time_ns, rec->index, 1);
	}
	case TA_REC_RECOVERY:
		return add_gap(t, rec->time_ns, rec->time_ns, rec->index, 3);
	case TA_REC_SEGMENT_START:
	case TA_REC_RETENTION:
		return 0;
	default:
		if (rec->type >= 0x0100 && rec->type != TA_REC_TTY_DATA)
			return add_json(t, rec);
		return 0;
	}
}

int ta_sesstab_add(struct ta_sesstab *t, const struct ta_log_record *rec)
{
	int err;

	t->records++;
	t->end_index = rec->index + 1;
	t->last_seg_seq = rec->segment_seq;
	t->last_seg_end = rec->offset + rec->stored_len;
	err = add_record(t, rec);
	/* The store's own records (recovery, segment starts) are written at open, not recorded. */
	if (rec->type >= 0x0100 && rec->time_ns > t->last_time_ns)
		t->last_time_ns = rec->time_ns;
	return err;
}

int ta_sesstab_damage(struct ta_sesstab *t, uint64_t index, uint64_t resume, uint64_t time_ns)
{
	int err = add_gap(t, time_ns, time_ns, index, 5);

	if (!err)
		t->gaps[t->ngaps - 1].end_index = resume;
	return err;
}

static int cmp_start(const void *a, const void *b)
{
	const struct ta_sess *x = a, *y = b;
	uint64_t p = ta_sess_begin(x), q = ta_sess_begin(y);

	if (p != q)
		return p < q ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* How many of the n sorted values are below v (lower bound). */
static size_t count_below(const uint64_t *v, size_t n, uint64_t x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Global gaps count for every session active across them (by index range).
 * By sorted bounds and binary search, not every gap against every session:
 * a log of a million gaps and a million sessions (what a hostile host can
 * send) took hours to tabulate that way. A loss's events and bytes are summed
 * through prefix sums over the gaps sorted by index.
 */
static int count_global_gaps(struct ta_sesstab *t)
{
	size_t nd = 0, ng = 0;

	for (size_t g = 0; g < t->ngaps; g++) {
		if (t->gaps[g].kind == 5)
			nd++;
		else
			ng++;
	}
	struct { uint64_t index, events, bytes; } *gp = malloc((ng + 1) * sizeof(*gp));
	uint64_t *sum_ev = malloc((ng + 1) * sizeof(uint64_t)), *sum_by = malloc((ng + 1) * sizeof(uint64_t));
	uint64_t *d_start = malloc((nd + 1) * sizeof(uint64_t)), *d_end = malloc((nd + 1) * sizeof(uint64_t));
	uint64_t *g_index = malloc((ng + 1) * sizeof(uint64_t));
	int err = gp && sum_ev && sum_by && d_start && d_end && g_index ? 0 : -ENOMEM;

	if (!err) {
		size_t i = 0, k = 0;
		for (size_t g = 0; g < t->ngaps; g++) {
			const struct ta_global_gap *x = &t->gaps[g];
			if (x->kind == 5) {
				/* A damage range that ends before it starts counts as its start alone. */
				d_start[k] = x->index;
				d_end[k++] = x->end_index < x->index ? x->index : x->end_index;
			} else {
				gp[i].index = x->index;
				gp[i].events = x->events;
				gp[i++].bytes = x->bytes;
			}
		}
		qsort(gp, ng, sizeof(*gp), u64_cmp); /* by index, the first member */
		sum_ev[0] = sum_by[0] = 0;
		for (size_t j = 0; j < ng; j++) {
			g_index[j] = gp[j].index;
			sum_ev[j + 1] = sum_ev[j] + gp[j].events;
			sum_by[j + 1] = sum_by[j] + gp[j].bytes;
		}
		qsort(d_start, nd, sizeof(uint64_t), u64_cmp);
		qsort(d_end, nd, sizeof(uint64_t), u64_cmp);
		for (size_t j = 0; j < t->n; j++) {
			struct ta_sess *s = &t->s[j];
			/*
			 * Unread records could have been the session's (its start, end or
			 * middle): a damage range counts if it starts by the session's
			 * last index + 1 and does not end before its first; as a range
			 * never ends before it starts, those that end before the first
			 * are among those that start by the last + 1.
			 */
			size_t starts = count_below(d_start, nd, s->last_index + 1 + 1),
			       ends = count_below(d_end, nd, s->first_index);
			if (s->last_index + 1 == UINT64_MAX)
				starts = nd;
			s->damage = starts > ends ? starts - ends : 0;
			if (s->damage)
				s->flags |= TA_SESS_DAMAGE;
			/* Other gaps: strictly between the session's first and last index. */
			if (s->first_index < UINT64_MAX - 1 && s->last_index > s->first_index + 1) {
				size_t lo = count_below(g_index, ng, s->first_index + 1),
				       hi = count_below(g_index, ng, s->last_index);
				if (hi > lo) {
					s->global_gaps = (uint32_t)(hi - lo);
					s->global_lost_events = sum_ev[hi] - sum_ev[lo];
					s->global_lost_bytes = sum_by[hi] - sum_by[lo];
				}
			}
		}
	}
	free(gp);
	free(sum_ev);
	free(sum_by);
	free(d_start);
	free(d_end);
	free(g_index);
	return err;
}

int ta_sesstab_finish(struct ta_sesstab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		t->s[i].global_gaps = 0;
		t->s[i].global_lost_events = t->s[i].global_lost_bytes = 0;
		t->s[i].damage = 0;
		t->s[i].flags &= ~(uint32_t)TA_SESS_DAMAGE;
	}
	int err = count_global_gaps(t);
	if (err)
		return err;
	/* Sessions by start time; refs grouped per session, in log order. */
	uint32_t *old_to_new = NULL;
	struct ta_sess *sorted = NULL;
	if (t->n) {
		/* Remember each session's old ordinal in refs_n temporarily. */
		for (size_t i = 0; i < t->n; i++)
			t->s[i].refs_off = i;
		qsort(t->s, t->n, sizeof(*t->s), cmp_start);
		old_to_new = malloc(t->n * sizeof(*old_to_new));
		if (!old_to_new)
			return -ENOMEM;
		for (size_t i = 0; i < t->n; i++)
			old_to_new[t->s[i].refs_off] = (uint32_t)i;
		(void)sorted;
	}
	for (size_t i = 0; i < t->n; i++) {
		t->s[i].refs_off = 0;
		t->s[i].refs_n = 0;
	}
	if (t->keep_refs && t->nrefs) {
		struct ta_ref *nr = malloc(t->nrefs * sizeof(*nr));
		if (!nr) {
			free(old_to_new);
			return -ENOMEM;
		}
		for (size_t r = 0; r < t->nrefs; r++)
			t->s[old_to_new[t->ref_sess[r]]].refs_n++;
		uint64_t off = 0;
		for (size_t i = 0; i < t->n; i++) {
			t->s[i].refs_off = off;
			off += t->s[i].refs_n;
			t->s[i].refs_n = 0;
		}
		for (size_t r = 0; r < t->nrefs; r++) {
			struct ta_sess *s = &t->s[old_to_new[t->ref_sess[r]]];
			nr[s->refs_off + s->refs_n++] = t->refs[r];
		}
		free(t->refs);
		t->refs = nr;
		free(t->ref_sess);
		t->ref_sess = NULL;
		t->refcap = t->nrefs;
	}
	free(old_to_new);
	return rehash(t, t->hcap ? t->hcap : 128);
}

void ta_sess_id(uint64_t key, char *out, size_t cap)
{
	uint32_t ses = (uint32_t)key;

	if (ses == TA_ID_NONE)
		snprintf(out, cap, "%08" PRIx32 "-none", (uint32_t)(key >> 32));
	else
		snprintf(out, cap, "%08" PRIx32 "-%" PRIu32, (uint32_t)(key >> 32), ses);
}

int ta_sess_id_parse(const char *s, uint64_t *key, int *ses_only)
{
	char *end;
	const char *dash = strchr(s, '-');

	*ses_only = 0;
	if (!*s)
		return -EINVAL;
	if (dash && dash - s == 8) {
		errno = 0;
		unsigned long long b = strtoull(s, &end, 16);
		if (end != dash)
			return -EINVAL;
		if (!strcmp(dash + 1, "none")) {
			*key = (b << 32) | TA_ID_NONE;
			return 0;
		}
		unsigned long long ses = strtoull(dash + 1, &end, 10);
		if (*end || errno || ses >= TA_ID_NONE || dash[1] == '-' || dash[1] == '+')
			return -EINVAL;
		*key = (b << 32) | ses;
		return 0;
	}
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isxdigit((unsigned char)s[2])) ||
	    strlen(s) == 16) {
		errno = 0;
		unsigned long long k = strtoull(s, &end, 16);
		if (!*end && !errno) {
			*key = k;
			return 0;
		}
	}
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return -EINVAL;
	if (v < TA_ID_NONE) {
		*ses_only = 1;
		*key = v;
	} else {
		*key = v;
	}
	return 0;
}

int ta_sesstab_rebuild_hashes(struct ta_sesstab *t)
{
	size_t count = 0, ncap = 256;
	uint32_t *h;
	int err;

	/* The entries one after another (a copied index's pool: each length is a claim). */
	for (size_t off = 1; off < t->pool_len; count++) {
		size_t n;
		if (t->pool_len - off <= POOL_LEN_BYTES)
			return -EBADMSG;
		ta_sesstab_strn(t, (uint32_t)(off + POOL_LEN_BYTES), &n);
		if (!n)
			return -EBADMSG; /* no entry there, or an empty one (never interned) */
		off += POOL_LEN_BYTES + n + 1;
	}
	while (ncap < count * 2 + 2)
		ncap *= 2;
	h = calloc(ncap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (size_t off = 1; off < t->pool_len;) {
		size_t n;
		const char *p = ta_sesstab_strn(t, (uint32_t)(off + POOL_LEN_BYTES), &n);
		size_t j = hash_str(t, p, n) & (ncap - 1);
		while (h[j])
			j = (j + 1) & (ncap - 1);
		h[j] = (uint32_t)(off + POOL_LEN_BYTES);
		off += POOL_LEN_BYTES + n + 1;
	}
	free(t->phash);
	t->phash = h;
	t->phcap = ncap;
	t->pcount = count;
	size_t hc = 128;
	while (hc < t->n * 2 + 2)
		hc *= 2;
	err = rehash(t, hc);
	return err;
}

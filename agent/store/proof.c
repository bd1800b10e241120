// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Inclusion and consistency proofs: built by one streaming pass over the log
 * (each needed node is a complete subtree captured as the compact range
 * forms it, or a right-edge node folded from the final compact range), and
 * checked offline from the proof text alone. Format: docs/log-format.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/fs.h"
#include "ttyaudit/record.h"
#include "store/ckptset.h"
#include "store/format.h"
#include "store/merkle.h"
#include "store/note.h"
#include "store/segfile.h"
#include "store/store.h"

#define PROOF_MAGIC "ttyaudit-proof 1"

struct need {
	uint64_t key;   /* level << 58 | pos */
	int found;
	uint8_t hash[TA_HASH_LEN];
};

struct target {
	uint64_t index;
	uint8_t *rec;
	size_t len;
	struct ta_node_range nodes[TA_PROOF_MAX];
	int n_nodes;
};

struct builder {
	struct need *needs;
	size_t n_needs, cap_needs;
	char *err;
	size_t errlen;
};

static int errf(struct builder *b, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int errf(struct builder *b, int code, const char *fmt, ...)
{
	if (b->err && b->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->err, b->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static uint64_t node_key(unsigned level, uint64_t pos)
{
	return (uint64_t)level << 58 | pos;
}

static int cmp_need(const void *a, const void *b)
{
	uint64_t x = ((const struct need *)a)->key, y = ((const struct need *)b)->key;
	return x < y ? -1 : x > y;
}

static int add_need(struct builder *b, const struct ta_node_range *r)
{
	unsigned level;
	uint64_t pos;
	if (!ta_node_is_perfect(r, &level, &pos))
		return 0; /* right-edge node: folded from the final compact range */
	if (b->n_needs == b->cap_needs) {
		size_t cap = b->cap_needs ? b->cap_needs * 2 : 64;
		struct need *nv = realloc(b->needs, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		b->needs = nv;
		b->cap_needs = cap;
	}
	b->needs[b->n_needs].key = node_key(level, pos);
	b->needs[b->n_needs].found = 0;
	b->n_needs++;
	return 0;
}

static void capture(void *ctx, unsigned level, uint64_t pos, const uint8_t hash[TA_HASH_LEN])
{
	struct builder *b = ctx;
	struct need k = { .key = node_key(level, pos) };
	/* No node needed (a consistency proof from an empty or equal tree): nothing to search. */
	struct need *hit = b->n_needs ? bsearch(&k, b->needs, b->n_needs, sizeof(k), cmp_need) : NULL;
	if (hit) {
		hit->found = 1;
		memcpy(hit->hash, hash, TA_HASH_LEN);
	}
}

static int node_hash(struct builder *b, struct ta_hasher *h, const struct ta_crange *cr,
		     const struct ta_node_range *r, uint8_t out[TA_HASH_LEN])
{
	unsigned level;
	uint64_t pos;
	if (ta_node_is_perfect(r, &level, &pos)) {
		struct need k = { .key = node_key(level, pos) };
		struct need *hit = bsearch(&k, b->needs, b->n_needs, sizeof(k), cmp_need);
		if (!hit || !hit->found)
			return errf(b, -ENODATA, "records %" PRIu64 "..%" PRIu64 " needed by the proof were "
				    "deleted by retention", r->begin, r->end - 1);
		memcpy(out, hit->hash, TA_HASH_LEN);
		return 0;
	}
	if (r->end != cr->size || ta_crange_suffix_root(h, cr, r->begin, out))
		return errf(b, -EINVAL, "internal: node %" PRIu64 "..%" PRIu64 " not on the right edge",
			    r->begin, r->end);
	return 0;
}

/* Appends formatted text to a growing buffer. */
struct sbuf {
	char *p;
	size_t len, cap;
	int err;
};

static void sb_add(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *s, const char *fmt, ...)
{
	if (s->err)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->err = -EINVAL;
			return;
		}
		if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		size_t cap = s->cap * 2 + (size_t)n + 1;
		char *np = realloc(s->p, cap);
		if (!np) {
			s->err = -ENOMEM;
			return;
		}
		s->p = np;
		s->cap = cap;
	}
}

static void sb_hex(struct sbuf *s, const uint8_t h[TA_HASH_LEN])
{
	char hx[2 * TA_HASH_LEN + 1];
	for (int i = 0; i < TA_HASH_LEN; i++)
		snprintf(hx + 2 * i, 3, "%02x", h[i]);
	sb_add(s, " %s", hx);
}

static void sb_b64(struct sbuf *s, const uint8_t *d, size_t len)
{
	char *b = malloc(len / 3 * 4 + 8);
	if (!b) {
		s->err = -ENOMEM;
		return;
	}
	ta_note_base64_encode(d, len, b);
	sb_add(s, "%s", b);
	free(b);
}

static const struct ta_ckpt_entry *find_ckpt(const struct ta_ckpt_set *set, uint64_t size)
{
	const struct ta_ckpt_entry *e = NULL;
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].cp.size == size)
			e = &set->v[i];
	return e;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The local log as a leaf source: its records through the reader. */
struct dir_source {
	struct ta_log_reader *r;
	int started;
};

static int dir_next(void *ctx, struct ta_proof_leaf *l, char *err, size_t errlen)
{
	struct dir_source *ds = ctx;
	struct ta_log_record rec;
	int n = ta_log_reader_next(ds->r, &rec), first = !ds->started;
	ds->started = 1;
	if (n < 0) {
		const struct ta_log_error *e = ta_log_reader_error(ds->r);
		snprintf(err, errlen, "%s offset %" PRIu64 ": %s (run ttyaudit verify)",
			 e->segment_name, e->offset, e->what);
		return -EBADMSG;
	}
	if (n == 0)
		return 0;
	memset(l, 0, sizeof(*l));
	l->index = rec.index;
	l->stored = rec.stored;
	l->stored_len = rec.stored_len;
	if (first && rec.index > 0) {
		/* Resume after retention from the segment start's compact range. */
		struct ta_rec_segment_start st;
		if (rec.type != TA_REC_SEGMENT_START || rec.len < sizeof(st)) {
			snprintf(err, errlen, "first record is not a segment start");
			return -EBADMSG;
		}
		memcpy(&st, rec.payload, sizeof(st));
		if (rec.len != sizeof(st) + (size_t)st.n_hashes * TA_HASH_LEN) {
			snprintf(err, errlen, "segment start record malformed");
			return -EBADMSG;
		}
		l->seed = rec.payload + sizeof(st);
		l->n_seed = st.n_hashes;
	}
	return 1;
}

/*
 * One pass over the source's leaves into the compact range, capturing needed
 * subtrees and target records. A leaf given with its record must be the
 * record's hash (a source that keeps both, the fleet's database, was not
 * changed under one of them).
 */
static int stream(struct builder *b, const struct ta_proof_source *src, struct ta_hasher *h,
		  uint64_t size, struct target *t, size_t nt, uint64_t old_size,
		  uint8_t old_root[TA_HASH_LEN], int *have_old, struct ta_crange *cr)
{
	size_t ti = 0;
	struct ta_proof_leaf l;
	int n = 0, err = 0;
	ta_crange_init(cr);
	*have_old = 0;
	while (cr->size < size && (n = src->next(src->ctx, &l, b->err, b->errlen)) == 1) {
		if (cr->size == 0 && l.index > 0) {
			if (!l.seed || ta_crange_seed(cr, l.index, l.seed, l.n_seed, capture, b)) {
				err = errf(b, -EBADMSG, "the leaves start at %" PRIu64 " without the tree "
					   "before them", l.index);
				break;
			}
		}
		if (l.index != cr->size) {
			err = errf(b, -EBADMSG, "leaf %" PRIu64 " comes where %" PRIu64 " belongs (leaves "
				   "missing or out of order)", l.index, cr->size);
			break;
		}
		if (cr->size == old_size) {
			ta_crange_root(h, cr, old_root);
			*have_old = 1;
		}
		while (ti < nt && t[ti].index < l.index)
			ti++;
		if (ti < nt && t[ti].index == l.index && l.stored) {
			t[ti].rec = malloc(l.stored_len + 1);
			if (!t[ti].rec) {
				err = -ENOMEM;
				break;
			}
			memcpy(t[ti].rec, l.stored, l.stored_len);
			t[ti].len = l.stored_len;
		}
		uint8_t leaf[TA_HASH_LEN];
		if (l.stored)
			ta_hash_leaf(h, l.stored, l.stored_len, leaf);
		else if (l.leaf)
			memcpy(leaf, l.leaf, TA_HASH_LEN);
		else {
			err = errf(b, -EBADMSG, "leaf %" PRIu64 " has neither a hash nor a record", l.index);
			break;
		}
		if (l.stored && l.leaf && memcmp(leaf, l.leaf, TA_HASH_LEN)) {
			err = errf(b, -EBADMSG, "record %" PRIu64 " does not hash to its leaf (changed where "
				   "it is kept)", l.index);
			break;
		}
		ta_crange_append(h, cr, leaf, capture, b);
	}
	if (n < 0)
		return n; /* the source said why in b->err */
	if (!err && cr->size == old_size && !*have_old) {
		ta_crange_root(h, cr, old_root);
		*have_old = 1;
	}
	if (!err && cr->size < size)
		err = errf(b, -EBADMSG, "the log has %" PRIu64 " records, fewer than the "
			   "checkpoint's %" PRIu64, cr->size, size);
	return err;
}

static int session_indexes(struct builder *b, const char *dir, uint64_t session, uint64_t size,
			   uint64_t **out, size_t *nout, uint64_t *after)
{
	struct ta_log_reader *r;
	int err = ta_log_reader_open_flags(&r, dir, TA_READER_RAW);
	if (err)
		return errf(b, err, "cannot read the log: %s", strerror(-err));
	struct ta_buf list; /* of uint64_t */
	struct ta_log_record rec;
	ta_buf_init(&list);
	ta_buf_reserve(&list, 64 * sizeof(uint64_t));
	/* Past size only when asked: the session's records no proof of size can hold. */
	while (!list.oom && ta_log_reader_next(r, &rec) == 1 && (after || rec.index < size))
		if (rec.session == session && rec.index < size)
			ta_buf_put(&list, &rec.index, sizeof(rec.index));
		else if (rec.session == session)
			(*after)++;
	ta_log_reader_close(r);
	if (list.oom) {
		ta_buf_free(&list);
		return -ENOMEM;
	}
	uint64_t *v = (uint64_t *)list.p;
	size_t n = list.len / sizeof(*v);
	if (!n) {
		ta_buf_free(&list);
		return errf(b, -ENOENT, "no record of the session in the first %" PRIu64 " records", size);
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * The proof from src's leaves against the checkpoints cs (sorted). by_session
 * needs the log directory dir. b->err says why on failure.
 */
static int build(struct builder *b, const struct ta_proof_source *src, const char *dir,
		 const struct ta_ckpt_set *cs, const struct ta_proof_request *req, char **text_out,
		 size_t *len_out)
{
	struct ta_hasher *h = NULL;
	struct target *t = NULL;
	uint64_t *idx = NULL;
	size_t nt = 0;
	struct sbuf sb = { 0 };
	int err;

	if (!cs->n) {
		err = errf(b, -ENOENT, "the log has no checkpoint yet");
		goto out;
	}
	if ((err = ta_hasher_new(&h)))
		goto out;

	uint64_t size = req->tree_size ? req->tree_size : cs->v[cs->n - 1].cp.size;
	const struct ta_ckpt_entry *ck = find_ckpt(cs, size);
	if (!ck) {
		err = errf(b, -ENOENT, "no checkpoint of size %" PRIu64 " (the latest is %" PRIu64 ")",
			   size, cs->v[cs->n - 1].cp.size);
		goto out;
	}

	if (req->kind == TA_PROOF_INCLUSION) {
		if (req->by_session) {
			err = session_indexes(b, dir, req->session, size, &idx, &nt, req->after_out);
			if (err)
				goto out;
		} else {
			nt = req->n_indexes;
			idx = malloc((nt + 1) * sizeof(*idx));
			if (!idx) {
				err = -ENOMEM;
				goto out;
			}
			memcpy(idx, req->indexes, nt * sizeof(*idx));
			qsort(idx, nt, sizeof(*idx), cmp_u64);
		}
		if (!nt) {
			err = errf(b, -EINVAL, "no record to prove");
			goto out;
		}
		t = calloc(nt, sizeof(*t));
		if (!t) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nt; i++) {
			t[i].index = idx[i];
			if (idx[i] >= size) {
				err = errf(b, -ENOENT, "record %" PRIu64 " is not covered by the checkpoint "
					   "of size %" PRIu64, idx[i], size);
				goto out;
			}
			t[i].n_nodes = ta_inclusion_nodes(idx[i], size, t[i].nodes);
			for (int k = 0; k < t[i].n_nodes; k++)
				if ((err = add_need(b, &t[i].nodes[k])))
					goto out;
		}
	} else {
		if (req->old_size > size) {
			err = errf(b, -EINVAL, "old size %" PRIu64 " is larger than %" PRIu64,
				   req->old_size, size);
			goto out;
		}
		t = calloc(1, sizeof(*t));
		if (!t) {
			err = -ENOMEM;
			goto out;
		}
		t[0].n_nodes = ta_consistency_nodes(req->old_size, size, t[0].nodes);
		for (int k = 0; k < t[0].n_nodes; k++)
			if ((err = add_need(b, &t[0].nodes[k])))
				goto out;
	}
	if (b->n_needs > 1)
		qsort(b->needs, b->n_needs, sizeof(*b->needs), cmp_need);

	struct ta_crange cr;
	uint8_t old_root[TA_HASH_LEN], root[TA_HASH_LEN];
	int have_old = 0;
	err = stream(b, src, h, size, req->kind == TA_PROOF_INCLUSION ? t : NULL,
		     req->kind == TA_PROOF_INCLUSION ? nt : 0,
		     req->kind == TA_PROOF_CONSISTENCY ? req->old_size : UINT64_MAX, old_root,
		     &have_old, &cr);
	if (err)
		goto out;
	ta_crange_root(h, &cr, root);
	if (memcmp(root, ck->cp.root, TA_HASH_LEN)) {
		err = errf(b, -EBADMSG, "the log does not match its checkpoint of size %" PRIu64
			   " (run ttyaudit verify)", size);
		goto out;
	}

	sb.cap = 4096;
	sb.p = malloc(sb.cap);
	if (!sb.p) {
		err = -ENOMEM;
		goto out;
	}
	sb_add(&sb, PROOF_MAGIC "\n");
	if (req->kind == TA_PROOF_INCLUSION) {
		sb_add(&sb, "kind inclusion\ntree-size %" PRIu64 "\n", size);
		for (size_t i = 0; i < nt; i++) {
			if (!t[i].rec) {
				err = errf(b, -ENOENT, "record %" PRIu64 " is not in the log (deleted by "
					   "retention?)", t[i].index);
				goto out;
			}
			sb_add(&sb, "record %" PRIu64 " ", t[i].index);
			sb_b64(&sb, t[i].rec, t[i].len);
			sb_add(&sb, "\npath %d", t[i].n_nodes);
			for (int k = 0; k < t[i].n_nodes; k++) {
				uint8_t nh[TA_HASH_LEN];
				if ((err = node_hash(b, h, &cr, &t[i].nodes[k], nh)))
					goto out;
				sb_hex(&sb, nh);
			}
			sb_add(&sb, "\n");
		}
	} else {
		if (!have_old) {
			err = errf(b, -ENODATA, "the tree of size %" PRIu64 " predates the records kept "
				   "(retention)", req->old_size);
			goto out;
		}
		sb_add(&sb, "kind consistency\nold-size %" PRIu64 "\nold-root ", req->old_size);
		sb_b64(&sb, old_root, TA_HASH_LEN);
		sb_add(&sb, "\ntree-size %" PRIu64 "\npath %d", size, t[0].n_nodes);
		for (int k = 0; k < t[0].n_nodes; k++) {
			uint8_t nh[TA_HASH_LEN];
			if ((err = node_hash(b, h, &cr, &t[0].nodes[k], nh)))
				goto out;
			sb_hex(&sb, nh);
			if (req->hashes_out)
				memcpy(req->hashes_out[k], nh, TA_HASH_LEN);
		}
		if (req->n_hashes_out)
			*req->n_hashes_out = (size_t)t[0].n_nodes;
		sb_add(&sb, "\n");
		const struct ta_ckpt_entry *oc = find_ckpt(cs, req->old_size);
		if (oc) {
			sb_add(&sb, "old-checkpoint %zu\n", oc->note_len);
			sb_add(&sb, "%s", oc->note);
		}
	}
	sb_add(&sb, "checkpoint %zu\n", ck->note_len);
	sb_add(&sb, "%s", ck->note);
	if ((err = sb.err))
		goto out;
	*text_out = sb.p;
	*len_out = sb.len;
	sb.p = NULL;
out:
	free(sb.p);
	if (t)
		for (size_t i = 0; i < (req->kind == TA_PROOF_INCLUSION ? nt : 1); i++)
			free(t[i].rec);
	free(t);
	free(idx);
	free(b->needs);
	ta_hasher_free(h);
	return err;
}


int ta_proof_build(const char *dir, const struct ta_proof_request *req, char **text_out,
		   size_t *len_out, char *errbuf, size_t errlen)
{
	struct builder b = { .err = errbuf, .errlen = errlen };
	struct ta_ckpt_set set = { 0 };
	struct ta_verifier *key = NULL;
	struct dir_source ds = { 0 };
	struct ta_proof_source src = { dir_next, &ds };
	char msg[400];
	int err;
	if (errbuf && errlen)
		errbuf[0] = 0;

	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errf(&b, -errno, "cannot open %s: %s", dir, strerror(errno));
	if (!req->ckpts) {
		err = ta_log_vkey_load(dirfd, &key);
		if (err) {
			/* A log without its key proves nothing: a failed verification, as in verify. */
			int code = err == -ENOMEM || err == -EACCES || err == -EPERM ? err : -EBADMSG;
			err = errf(&b, code, "%s: no usable verifier key: %s", TA_VKEY_NAME,
				   ta_log_vkey_strerror(err));
			goto out;
		}
		set.origin = req->origin;
		err = ta_ckpt_set_load(dirfd, key, &set, msg, sizeof(msg));
		if (err) {
			err = errf(&b, err, "%s", msg);
			goto out;
		}
		ta_ckpt_set_sort(&set);
	}
	err = ta_log_reader_open_flags(&ds.r, dir, TA_READER_RAW);
	if (err) {
		err = errf(&b, err, "cannot read the log: %s", strerror(-err));
		goto out;
	}
	err = build(&b, &src, dir, req->ckpts ? req->ckpts : &set, req, text_out, len_out);
out:
	if (ds.r)
		ta_log_reader_close(ds.r);
	ta_ckpt_set_free(&set);
	ta_verifier_free(key);
	close(dirfd);
	return err;
}

int ta_proof_build_from(const struct ta_proof_source *src, const struct ta_proof_request *req,
			char **text_out, size_t *len_out, char *errbuf, size_t errlen)
{
	struct builder b = { .err = errbuf, .errlen = errlen };
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!req->ckpts || req->by_session)
		return errf(&b, -EINVAL, "internal: a leaf source needs the checkpoints and the indexes");
	return build(&b, src, NULL, req->ckpts, req, text_out, len_out);
}

/* ------------------------------------------------------------ verifying */

struct cursor {
	const char *p, *end;
};

/* Next line without its '\n'; NULL at the end or if the line is unterminated. */
static const char *next_line(struct cursor *c, size_t *len)
{
	if (c->p >= c->end)
		return NULL;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (!nl)
		return NULL;
	const char *l = c->p;
	*len = (size_t)(nl - l);
	c->p = nl + 1;
	return l;
}

static int starts(const char *l, size_t len, const char *word, const char **rest)
{
	size_t w = strlen(word);
	if (len < w || memcmp(l, word, w))
		return 0;
	if (len == w) {
		*rest = l + w;
		return 1;
	}
	if (l[w] != ' ')
		return 0;
	*rest = l + w + 1;
	return 1;
}

static int parse_u64(const char *s, const char *end, uint64_t *v, const char **after)
{
	uint64_t x = 0;
	const char *p = s;
	if (p >= end || *p < '0' || *p > '9')
		return -EBADMSG;
	while (p < end && *p >= '0' && *p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		x = x * 10 + (uint64_t)(*p++ - '0');
	}
	*v = x;
	*after = p;
	return 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "path K h1 h2 ..." */
static int parse_path(const char *l, size_t len, uint8_t (*path)[TA_HASH_LEN], size_t *n)
{
	const char *rest, *end = l + len, *p;
	uint64_t k;
	if (!starts(l, len, "path", &rest) || parse_u64(rest, end, &k, &p) || k > TA_PROOF_MAX)
		return -EBADMSG;
	for (uint64_t i = 0; i < k; i++) {
		if (end - p < 1 + 2 * TA_HASH_LEN || *p != ' ')
			return -EBADMSG;
		p++;
		for (int j = 0; j < TA_HASH_LEN; j++) {
			int a = hexval(p[2 * j]), b = hexval(p[2 * j + 1]);
			if (a < 0 || b < 0)
				return -EBADMSG;
			path[i][j] = (uint8_t)(a << 4 | b);
		}
		p += 2 * TA_HASH_LEN;
	}
	if (p != end)
		return -EBADMSG;
	*n = (size_t)k;
	return 0;
}

/* "<word> LEN\n" followed by LEN bytes of note. */
static int parse_note(struct cursor *c, const char *word, const char **note, size_t *len)
{
	size_t ll;
	const char *l = next_line(c, &ll), *rest, *after;
	uint64_t n;
	if (!l || !starts(l, ll, word, &rest) || parse_u64(rest, l + ll, &n, &after) ||
	    after != l + ll || n > (uint64_t)(c->end - c->p))
		return -EBADMSG;
	*note = c->p;
	*len = (size_t)n;
	c->p += n;
	return 0;
}

static int vfail(struct ta_proof_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vfail(struct ta_proof_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static int check_signed(const struct ta_verifier *key, const char *origin, const char *note,
			size_t len, struct ta_checkpoint *cp, struct ta_proof_result *res, const char *what)
{
	const char *why;
	if (ta_ckpt_check_note(key, origin, note, len, cp, &why))
		return vfail(res, "%s: %s", what, why);
	return 0;
}

static int verify_records(struct cursor *c, struct ta_hasher *h, uint64_t size,
			  const struct ta_checkpoint *ck, ta_proof_record_cb cb, void *ctx,
			  struct ta_proof_result *res)
{
	ZSTD_DCtx *dc = ZSTD_createDCtx();
	uint8_t *rec = NULL, *raw = NULL;
	uint8_t (*path)[TA_HASH_LEN] = malloc(TA_PROOF_MAX * TA_HASH_LEN);
	int err = (!dc || !path) ? -ENOMEM : 0;
	uint64_t prev = 0;
	while (!err) {
		struct cursor save = *c;
		size_t ll;
		const char *l = next_line(c, &ll), *rest, *after;
		uint64_t index;
		if (!l || !starts(l, ll, "record", &rest)) {
			*c = save;
			break;
		}
		if (parse_u64(rest, l + ll, &index, &after) || after >= l + ll || *after != ' ') {
			err = vfail(res, "malformed record line");
			break;
		}
		if (res->n_records && index <= prev) {
			err = vfail(res, "records not in increasing order");
			break;
		}
		prev = index;
		size_t b64len = (size_t)(l + ll - after - 1);
		free(rec);
		rec = malloc(b64len / 4 * 3 + 4);
		long rl = rec ? ta_note_base64_decode(after + 1, b64len, rec, b64len / 4 * 3 + 4) : -ENOMEM;
		struct ta_rec_view v;
		int reason;
		const char *why;
		if (rl < 0 || ta_rec_parse(rec, (uint64_t)rl, index, &v, &reason, &why) ||
		    v.h.len != (uint64_t)rl) {
			err = vfail(res, "record %" PRIu64 ": not a valid record of that index", index);
			break;
		}
		size_t np;
		const char *pl = next_line(c, &ll);
		if (!pl || parse_path(pl, ll, path, &np)) {
			err = vfail(res, "record %" PRIu64 ": malformed path line", index);
			break;
		}
		uint8_t leaf[TA_HASH_LEN];
		ta_hash_leaf(h, rec, (size_t)rl, leaf);
		if (ta_verify_inclusion(h, index, size, leaf, (const uint8_t(*)[TA_HASH_LEN])path, np,
					ck->root)) {
			err = vfail(res, "record %" PRIu64 ": inclusion proof does not lead to the "
				    "checkpoint's root (record or path altered)", index);
			break;
		}
		struct ta_log_record lr = {
			.index = index, .type = v.h.type, .flags = v.h.flags, .time_ns = v.h.time_ns,
			.session = v.h.session, .payload = v.payload, .len = v.stored_len,
			.stored = rec, .stored_len = (size_t)rl,
		};
		if (v.h.flags & TA_RECF_ZSTD) {
			free(raw);
			raw = malloc(v.h.raw_len + 1);
			size_t n = raw ? ZSTD_decompressDCtx(dc, raw, v.h.raw_len, v.payload, v.stored_len) : 0;
			if (!raw || ZSTD_isError(n) || n != v.h.raw_len) {
				err = vfail(res, "record %" PRIu64 ": payload does not decompress", index);
				break;
			}
			lr.payload = raw;
			lr.len = n;
		}
		if (cb)
			cb(ctx, &lr);
		res->n_records++;
	}
	if (!err && !res->n_records)
		err = vfail(res, "the proof holds no record");
	free(rec);
	free(raw);
	free(path);
	ZSTD_freeDCtx(dc);
	return err;
}

int ta_proof_verify(const char *text, size_t len, const struct ta_verifier *key,
		    const char *origin, const char *const *trusted, const size_t *trusted_len, size_t n_trusted,
		    ta_proof_record_cb cb, void *ctx, struct ta_proof_result *res)
{
	memset(res, 0, sizeof(*res));
	struct cursor c = { text, text + len };
	struct ta_hasher *h = NULL;
	size_t ll;
	const char *l = next_line(&c, &ll), *rest, *after;
	int err;
	if (!l || ll != strlen(PROOF_MAGIC) || memcmp(l, PROOF_MAGIC, ll))
		return vfail(res, "not a ttyaudit proof (first line)");
	l = next_line(&c, &ll);
	if (!l || !starts(l, ll, "kind", &rest))
		return vfail(res, "missing kind line");
	if ((size_t)(l + ll - rest) == 9 && !memcmp(rest, "inclusion", 9))
		res->kind = TA_PROOF_INCLUSION;
	else if ((size_t)(l + ll - rest) == 11 && !memcmp(rest, "consistency", 11))
		res->kind = TA_PROOF_CONSISTENCY;
	else
		return vfail(res, "unknown proof kind");
	if ((err = ta_hasher_new(&h)))
		return err;

	uint8_t old_root[TA_HASH_LEN];
	uint8_t (*path)[TA_HASH_LEN] = NULL;
	size_t np = 0;
	struct ta_checkpoint ck, oldck;
	int have_oldck = 0;
	struct cursor records_at;
	if (res->kind == TA_PROOF_CONSISTENCY) {
		l = next_line(&c, &ll);
		if (!l || !starts(l, ll, "old-size", &rest) ||
		    parse_u64(rest, l + ll, &res->old_size, &after) || after != l + ll) {
			err = vfail(res, "missing old-size line");
			goto out;
		}
		l = next_line(&c, &ll);
		if (!l || !starts(l, ll, "old-root", &rest) ||
		    ta_note_base64_decode(rest, (size_t)(l + ll - rest), old_root, sizeof(old_root)) != TA_HASH_LEN) {
			err = vfail(res, "missing old-root line");
			goto out;
		}
	}
	l = next_line(&c, &ll);
	if (!l || !starts(l, ll, "tree-size", &rest) ||
	    parse_u64(rest, l + ll, &res->tree_size, &after) || after != l + ll) {
		err = vfail(res, "missing tree-size line");
		goto out;
	}
	if (res->kind == TA_PROOF_CONSISTENCY) {
		path = malloc(TA_PROOF_MAX * TA_HASH_LEN);
		l = next_line(&c, &ll);
		if (!path || !l || parse_path(l, ll, path, &np)) {
			err = vfail(res, "malformed path line");
			goto out;
		}
		struct cursor save = c;
		const char *note;
		size_t nlen;
		if (!parse_note(&c, "old-checkpoint", &note, &nlen)) {
			if ((err = check_signed(key, origin, note, nlen, &oldck, res, "old checkpoint")))
				goto out;
			if (oldck.size != res->old_size || memcmp(oldck.root, old_root, TA_HASH_LEN)) {
				err = vfail(res, "old checkpoint does not match old-size/old-root");
				goto out;
			}
			have_oldck = 1;
		} else {
			c = save;
		}
	} else {
		/* Records come before the checkpoint: find the checkpoint first. */
		records_at = c;
		size_t l2;
		const char *x;
		while ((x = next_line(&c, &l2)) && (starts(x, l2, "record", &rest) || starts(x, l2, "path", &rest)))
			;
		if (x)
			c.p = x; /* rewind to the checkpoint line */
		records_at.end = c.p;
	}
	const char *note;
	size_t nlen;
	if (parse_note(&c, "checkpoint", &note, &nlen)) {
		err = vfail(res, "missing checkpoint");
		goto out;
	}
	if ((err = check_signed(key, origin, note, nlen, &ck, res, "checkpoint")))
		goto out;
	res->note_off = (size_t)(note - text);
	res->note_len = nlen;
	if (c.p != c.end) {
		err = vfail(res, "trailing data after the checkpoint");
		goto out;
	}
	if (ck.size != res->tree_size) {
		err = vfail(res, "checkpoint size %" PRIu64 " differs from tree-size %" PRIu64, ck.size,
			    res->tree_size);
		goto out;
	}

	if (res->kind == TA_PROOF_INCLUSION) {
		struct cursor rc = records_at;
		if ((err = verify_records(&rc, h, res->tree_size, &ck, cb, ctx, res)))
			goto out;
		if (rc.p != rc.end) {
			err = vfail(res, "unexpected line in the proof");
			goto out;
		}
	} else if (ta_verify_consistency(h, res->old_size, res->tree_size, old_root, ck.root,
					 (const uint8_t(*)[TA_HASH_LEN])path, np)) {
		err = vfail(res, "consistency proof from %" PRIu64 " to %" PRIu64 " does not hold",
			    res->old_size, res->tree_size);
		goto out;
	}

	for (size_t i = 0; i < n_trusted; i++) {
		struct ta_checkpoint tc;
		char what[64];
		snprintf(what, sizeof(what), "trusted checkpoint %zu", i + 1);
		if ((err = check_signed(key, origin, trusted[i], trusted_len[i], &tc, res, what)))
			goto out;
		int same_new = tc.size == ck.size && !memcmp(tc.root, ck.root, TA_HASH_LEN);
		int same_old = res->kind == TA_PROOF_CONSISTENCY && tc.size == res->old_size &&
			       !memcmp(tc.root, old_root, TA_HASH_LEN);
		if (same_new || same_old)
			continue;
		if (tc.size == ck.size || (res->kind == TA_PROOF_CONSISTENCY && tc.size == res->old_size)) {
			err = vfail(res, "%s has size %" PRIu64 " but another root: the log forked or "
				    "was rewritten", what, tc.size);
			goto out;
		}
		err = vfail(res, "%s has size %" PRIu64 ", the proof is for tree size %" PRIu64
			    "; ask for a proof at that size (ttyaudit prove --tree-size %" PRIu64 ")",
			    what, tc.size, ck.size, tc.size);
		goto out;
	}
	(void)have_oldck;
	snprintf(res->message, sizeof(res->message), "%s proof verified against checkpoint of size "
		 "%" PRIu64, res->kind == TA_PROOF_INCLUSION ? "inclusion" : "consistency", ck.size);
	err = 0;
out:
	free(path);
	ta_hasher_free(h);
	return err;
}

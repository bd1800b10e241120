// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whole-log verification: every segment header and record, the Merkle tree
 * over all of them, every checkpoint's signature and root, recovery and
 * retention records, and external checkpoints (a rolled-back log fails).
 * Stops at the first problem and names it: file, byte offset, record index.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "ttyaudit/record.h"
#include "store/ckptset.h"
#include "store/format.h"
#include "store/leaf_batch.h"
#include "store/merkle.h"
#include "store/note.h"
#include "store/segfile.h"
#include "store/store.h"

struct snap {
	uint64_t size;
	unsigned n;
	uint8_t (*h)[TA_HASH_LEN];
};

struct vstate {
	const struct ta_verify_opts *o;
	struct ta_verify_result *res;
	const struct ta_verifier *key;
	struct ta_hasher *h;
	int dirfd;
	struct ta_ckpt_set cps;
	size_t ci;                /* next checkpoint (sorted by size) to check */
	struct ta_crange cr;
	uint64_t log_first;       /* first index present */
	int retention_covers;     /* a retention record accounts for records before log_first */
	uint64_t retention_at;    /* the index of the first such record */
	struct snap *snaps;       /* compact range at each segment start */
	size_t nsnaps;
	/* torn region of the previous segment awaiting its recovery record */
	uint64_t pend_seq, pend_off, pend_bytes;
	int pend;
	char pend_name[TA_SEG_NAME_MAX];
	struct vbatch *batch;     /* records parsed, awaiting their leaf hashes */
	struct ta_leaf_pool *pool; /* hashes a batch, with a helper thread if there is a core */
};

static int bad(struct vstate *v, const char *file, uint64_t seq, int have_off, uint64_t off,
	       int have_idx, uint64_t idx, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

static int bad(struct vstate *v, const char *file, uint64_t seq, int have_off, uint64_t off,
	       int have_idx, uint64_t idx, const char *fmt, ...)
{
	struct ta_verify_result *r = v->res;
	if (!r->ok)
		return -EBADMSG; /* keep the first */
	r->bad.code = -EBADMSG;
	snprintf(r->bad.segment_name, sizeof(r->bad.segment_name), "%s", file ? file : "");
	r->bad.segment_seq = seq;
	r->bad.offset = have_off ? off : 0;
	r->bad.index = have_idx ? idx : UINT64_MAX;
	char what[sizeof(r->message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->bad.what, sizeof(r->bad.what), "%.255s", what);
	char where[160] = "";
	int w = 0;
	if (file)
		w += snprintf(where + w, sizeof(where) - (size_t)w, "%s", file);
	if (have_off)
		w += snprintf(where + w, sizeof(where) - (size_t)w, " offset %llu",
			      (unsigned long long)off);
	if (have_idx)
		snprintf(where + w, sizeof(where) - (size_t)w, "%srecord %llu", w ? " " : "",
			 (unsigned long long)idx);
	snprintf(r->message, sizeof(r->message), "%s%s%.800s", where, where[0] ? ": " : "", what);
	r->ok = 0;
	return -EBADMSG;
}

static int ckpt_bad(struct vstate *v, const struct ta_ckpt_entry *e, const char *what)
{
	if (e->claim)
		return bad(v, NULL, 0, 0, 0, 0, 0, "%s, of size %llu: %s", e->file,
			   (unsigned long long)e->cp.size, what);
	if (e->external)
		return bad(v, NULL, 0, 0, 0, 0, 0, "external checkpoint %s (size %llu): %s", e->file,
			   (unsigned long long)e->cp.size, what);
	return bad(v, e->file, 0, 1, e->offset, 0, 0, "checkpoint of size %llu: %s",
		   (unsigned long long)e->cp.size, what);
}

/* Checks every checkpoint whose size is the tree's current size. */
static int check_ckpts(struct vstate *v)
{
	uint8_t root[TA_HASH_LEN];
	int have = 0;
	while (v->ci < v->cps.n && v->cps.v[v->ci].cp.size == v->cr.size) {
		const struct ta_ckpt_entry *e = &v->cps.v[v->ci++];
		if (!have) {
			ta_crange_root(v->h, &v->cr, root);
			have = 1;
		}
		if (memcmp(root, e->cp.root, TA_HASH_LEN)) {
			char what[200];
			snprintf(what, sizeof(what), "root differs from the log's tree of %llu records "
				 "(records before index %llu were changed, removed or reordered)",
				 (unsigned long long)v->cr.size, (unsigned long long)v->cr.size);
			return ckpt_bad(v, e, what);
		}
		/* An anchor is no signature: it never makes records count as signed. */
		if (e->claim) {
			v->res->claims_checked++;
			v->res->claims_login_uid += e->claim == 2;
			continue;
		}
		v->res->checkpoints++;
		if (e->cp.size > v->res->latest_checkpoint)
			v->res->latest_checkpoint = e->cp.size;
	}
	return 0;
}

static int add_snap(struct vstate *v, uint64_t size, unsigned n, const uint8_t *h)
{
	struct snap *ns = realloc(v->snaps, (v->nsnaps + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	v->snaps = ns;
	ns[v->nsnaps].size = size;
	ns[v->nsnaps].n = n;
	ns[v->nsnaps].h = malloc((size_t)n * TA_HASH_LEN + 1);
	if (!ns[v->nsnaps].h)
		return -ENOMEM;
	memcpy(ns[v->nsnaps].h, h, (size_t)n * TA_HASH_LEN);
	v->nsnaps++;
	return 0;
}

#define RBAD(...) bad(v, sf->name, sf->seq, 1, pos, 1, rv->h.index, __VA_ARGS__)

static int on_segment_start(struct vstate *v, const struct ta_segfile *sf, uint64_t pos,
			    const struct ta_rec_view *rv)
{
	struct ta_rec_segment_start st;
	if (pos != TA_SEG_HDR_LEN)
		return RBAD("segment start record in the middle of a segment");
	if ((rv->h.flags & TA_RECF_ZSTD) || rv->stored_len < sizeof(st))
		return RBAD("segment start record malformed");
	memcpy(&st, rv->payload, sizeof(st));
	if (st.version != TA_STORE_PAYLOAD_VERSION || st.n_hashes > TA_CRANGE_MAX ||
	    rv->stored_len != sizeof(st) + (size_t)st.n_hashes * TA_HASH_LEN)
		return RBAD("segment start record malformed");
	const struct ta_seg_header *hd = &sf->hdr;
	if (st.seq != hd->seq || st.first_index != hd->first_index || st.prev_seq != hd->prev_seq ||
	    st.prev_end != hd->prev_end || st.created_ns != hd->created_ns)
		return bad(v, sf->name, sf->seq, 1, 0, 0, 0,
			   "segment header differs from its segment start record (header altered)");
	const uint8_t *hs = rv->payload + sizeof(st);
	if (v->cr.size == 0 && st.first_index > 0) {
		/* The first segment left after retention: the tree resumes from here. */
		if (ta_crange_seed(&v->cr, st.first_index, hs, st.n_hashes, NULL, NULL))
			return RBAD("segment start record holds %u hashes for %llu records", st.n_hashes,
				    (unsigned long long)st.first_index);
	} else if (st.n_hashes != v->cr.n || memcmp(hs, v->cr.h, (size_t)st.n_hashes * TA_HASH_LEN)) {
		return RBAD("compact range in the segment start record differs from the tree (records "
			    "before index %llu were changed, removed or reordered)",
			    (unsigned long long)st.first_index);
	}
	return add_snap(v, st.first_index, st.n_hashes, hs);
}

static int on_recovery(struct vstate *v, const struct ta_segfile *sf, uint64_t pos,
		       const struct ta_rec_view *rv)
{
	struct ta_rec_recovery rc;
	if ((rv->h.flags & TA_RECF_ZSTD) || rv->stored_len != sizeof(rc))
		return RBAD("recovery record malformed");
	memcpy(&rc, rv->payload, sizeof(rc));
	if (!v->pend || rc.seq != v->pend_seq || rc.torn_offset != v->pend_off ||
	    rc.torn_bytes != v->pend_bytes || rc.next_index != sf->hdr.first_index)
		return RBAD("recovery record does not match the torn tail of the previous segment");
	v->pend = 0;
	v->res->recovery_records++;
	return 0;
}

static int on_retention(struct vstate *v, const struct ta_segfile *sf, uint64_t pos,
			const struct ta_rec_view *rv)
{
	struct ta_rec_retention rt;
	if ((rv->h.flags & TA_RECF_ZSTD) || rv->stored_len < sizeof(rt))
		return RBAD("retention record malformed");
	memcpy(&rt, rv->payload, sizeof(rt));
	if (rt.version != TA_STORE_PAYLOAD_VERSION || rt.n_hashes > TA_CRANGE_MAX ||
	    rv->stored_len != sizeof(rt) + (size_t)rt.n_hashes * TA_HASH_LEN + rt.note_len ||
	    (unsigned)__builtin_popcountll(rt.end_index) != rt.n_hashes ||
	    rt.end_index > rv->h.index || rt.first_index > rt.end_index)
		return RBAD("retention record malformed");
	const uint8_t *hs = rv->payload + sizeof(rt);
	/* Compare with the compact range of the segment that starts at end_index, if present. */
	for (size_t i = 0; i < v->nsnaps; i++) {
		if (v->snaps[i].size != rt.end_index)
			continue;
		if (v->snaps[i].n != rt.n_hashes ||
		    memcmp(v->snaps[i].h, hs, (size_t)rt.n_hashes * TA_HASH_LEN))
			return RBAD("retention record's subtree hashes differ from the tree at %llu",
				    (unsigned long long)rt.end_index);
		if (rt.end_index == v->log_first && !v->retention_covers) {
			v->retention_covers = 1;
			v->retention_at = rv->h.index;
		}
	}
	if (rt.end_index > v->log_first && rt.end_index > 0) {
		int found = 0;
		for (size_t i = 0; i < v->nsnaps; i++)
			found |= v->snaps[i].size == rt.end_index;
		if (!found)
			return RBAD("retention record ends at %llu, not at a segment boundary",
				    (unsigned long long)rt.end_index);
	}
	if (rt.note_len) {
		const char *note = (const char *)hs + (size_t)rt.n_hashes * TA_HASH_LEN;
		struct ta_checkpoint cp;
		const char *why;
		if (ta_ckpt_check_note(v->key, v->o->origin, note, rt.note_len, &cp, &why))
			return RBAD("checkpoint kept in the retention record: %s", why);
		if (cp.size == rt.end_index) {
			struct ta_crange c;
			uint8_t root[TA_HASH_LEN];
			ta_crange_seed(&c, rt.end_index, hs, rt.n_hashes, NULL, NULL);
			ta_crange_root(v->h, &c, root);
			if (memcmp(root, cp.root, TA_HASH_LEN))
				return RBAD("checkpoint kept in the retention record does not match its "
					    "subtree hashes");
			v->res->checkpoints++;
		} else if (cp.size > rt.end_index) {
			return RBAD("checkpoint kept in the retention record is newer than the deletion");
		} else {
			v->res->checkpoints_sig_only++;
		}
	}
	v->res->retention_records++;
	return 0;
}

/*
 * Records parsed (header, index) but not yet hashed, CRC-checked and added to
 * the tree: their leaf hashes and CRCs are computed together (leaf_batch.h),
 * then each is handled in order exactly as if alone. Store records end a
 * batch at once: their handlers read the tree as it stands before them.
 */
#define VBATCH_RECS 4096 /* small records: fewer hand-overs to the helper */
#define VBATCH_BYTES (8u << 20)

struct vbatch {
	size_t n;
	uint64_t bytes;
	uint64_t pos[VBATCH_RECS];
	struct ta_rec_view rv[VBATCH_RECS];
	const uint8_t *rec[VBATCH_RECS];
	uint32_t len[VBATCH_RECS];
	uint8_t leaf[VBATCH_RECS][TA_HASH_LEN];
	uint8_t crc_ok[VBATCH_RECS];
};

/* Where a record-at-a-time walk stops: pos, where ta_rec_parse rejects the record. */
struct vstop {
	const struct ta_segfile *sf;
	uint64_t limit, truncated_from;
	int last;
};

static int handle_record(struct vstate *v, const struct ta_segfile *sf, uint64_t pos,
			 const struct ta_rec_view *rv, const uint8_t leaf[TA_HASH_LEN])
{
	if (pos == TA_SEG_HDR_LEN && rv->h.type != TA_REC_SEGMENT_START)
		return RBAD("first record of the segment is not a segment start");
	int err = 0;
	switch (rv->h.type) {
	case TA_REC_SEGMENT_START:
		err = on_segment_start(v, sf, pos, rv);
		break;
	case TA_REC_RECOVERY:
		err = on_recovery(v, sf, pos, rv);
		break;
	case TA_REC_RETENTION:
		err = on_retention(v, sf, pos, rv);
		break;
	case TA_REC_GAP:
		v->res->gap_records++;
		break;
	}
	if (err)
		return err;
	if ((err = check_ckpts(v)))
		return err;
	ta_crange_append(v->h, &v->cr, leaf, NULL, NULL);
	return 0;
}

/*
 * The record at pos does not decode (every record before it is handled): a
 * torn tail (1: the walk ends there) or the error naming it.
 */
static int bad_record(struct vstate *v, const struct vstop *st, uint64_t pos)
{
	const struct ta_segfile *sf = st->sf;
	struct ta_rec_view rv;
	int reason = TA_BAD_RECORD;
	const char *why = "record does not decode";
	uint64_t expect = v->cr.size == 0 && pos == TA_SEG_HDR_LEN ? sf->hdr.first_index : v->cr.size;
	/* Parsed again with its CRC: a CRC mismatch is named before any other fault. */
	ta_rec_parse(sf->map + pos, st->limit - pos, expect, &rv, &reason, &why);
	if (st->last && pos > TA_SEG_HDR_LEN && reason != TA_BAD_RECORD) {
		struct ta_log_error *t = &v->res->torn_at;
		v->res->torn = 1;
		snprintf(t->segment_name, sizeof(t->segment_name), "%s", sf->name);
		t->segment_seq = sf->seq;
		t->offset = pos;
		t->index = v->cr.size;
		t->torn_reason = reason;
		snprintf(t->what, sizeof(t->what), "torn tail: %s (%llu bytes to the end of the file)",
			 why, (unsigned long long)(sf->size - pos));
		return 1;
	}
	if (reason == TA_BAD_RECORD && !strcmp(why, "record index out of sequence"))
		return bad(v, sf->name, sf->seq, 1, pos, 1, v->cr.size,
			   "record has index %llu (a record was deleted, duplicated "
			   "or reordered)", (unsigned long long)ta_get64(sf->map + pos + 8));
	if (st->truncated_from && (reason == TA_TORN_INCOMPLETE || reason == TA_TORN_ZEROES))
		return bad(v, sf->name, sf->seq, 1, pos, 1, v->cr.size,
			   "segment truncated: the file ends at %llu inside this record, "
			   "the next segment records that it ended at %llu",
			   (unsigned long long)sf->size, (unsigned long long)st->truncated_from);
	if (!st->last && reason == TA_TORN_INCOMPLETE)
		why = "record crosses the end of the segment";
	if (why == ta_rec_zeros_why)
		return bad(v, sf->name, sf->seq, 1, pos, 1, v->cr.size,
			   "%llu bytes of zeros after the last record: more than one write can leave "
			   "(%llu bytes), so damage, not a torn tail", (unsigned long long)(sf->size - pos),
			   (unsigned long long)TA_TORN_TAIL_MAX);
	return bad(v, sf->name, sf->seq, 1, pos, 1, v->cr.size, "%s", why);
}

/* Hashes, checks and handles the batch: 0, 1 (a torn tail ends the walk) or an error. */
static int flush_batch(struct vstate *v, const struct vstop *st)
{
	struct vbatch *b = v->batch;
	ta_leaf_pool_hash(v->pool, v->h, b->rec, b->len, b->n, b->leaf, b->crc_ok);
	int err = 0;
	for (size_t i = 0; i < b->n && !err; i++)
		err = b->crc_ok[i] ? handle_record(v, st->sf, b->pos[i], &b->rv[i], b->leaf[i]) :
				     bad_record(v, st, b->pos[i]);
	b->n = 0;
	b->bytes = 0;
	return err;
}

static int scan_segment(struct vstate *v, struct ta_segfile *sf, uint64_t limit, int last,
			uint64_t truncated_from)
{
	struct vbatch *b = v->batch;
	const struct vstop st = { sf, limit, truncated_from, last };
	uint64_t pos = TA_SEG_HDR_LEN;
	int err;
	b->n = 0;
	b->bytes = 0;
	while (pos < limit) {
		struct ta_rec_view *rv = &b->rv[b->n];
		int reason;
		const char *why;
		/* The first segment of the log starts at its header's index (> 0 after retention). */
		uint64_t expect = v->cr.size == 0 && pos == TA_SEG_HDR_LEN ? sf->hdr.first_index :
				  v->cr.size + b->n;
		/* The next record, whatever its length, and the batch it may end. */
		ta_segfile_populate(sf, pos + TA_REC_OVERHEAD + TA_REC_MAX_PAYLOAD);
		if (ta_rec_parse_flags(sf->map + pos, limit - pos, expect, rv, &reason, &why,
				       TA_REC_PARSE_NO_CRC)) {
			/* What came before is handled first, as a record-at-a-time walk did. */
			if (!(err = flush_batch(v, &st)))
				err = bad_record(v, &st, pos);
			return err < 0 ? err : 0;
		}
		b->pos[b->n] = pos;
		b->rec[b->n] = rv->rec;
		b->len[b->n] = rv->h.len;
		b->n++;
		b->bytes += rv->h.len;
		pos += rv->h.len;
		if (rv->h.type <= TA_REC_STORE_LAST || pos == TA_SEG_HDR_LEN + rv->h.len ||
		    b->n == VBATCH_RECS || b->bytes >= VBATCH_BYTES)
			if ((err = flush_batch(v, &st)))
				return err < 0 ? err : 0;
	}
	err = flush_batch(v, &st);
	return err < 0 ? err : 0;
}

static int walk(struct vstate *v)
{
	uint64_t *seqs;
	size_t n;
	int err = ta_list_segments(v->dirfd, &seqs, &n);
	if (err)
		return err;
	if (!n) {
		free(seqs);
		return bad(v, NULL, 0, 0, 0, 0, 0, "no segment files in the log directory");
	}
	struct ta_segfile cur, next;
	int have_next = 0;
	err = ta_segfile_open(v->dirfd, seqs[0], &cur);
	if (err) {
		err = bad(v, cur.name, seqs[0], 0, 0, 0, 0, "cannot open: %s", ta_regular_strerror(err));
		free(seqs);
		return err;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (cur.hdr_why) {
			err = bad(v, cur.name, cur.seq, 1, 0, 0, 0, "%s", cur.hdr_why);
			break;
		}
		if (cur.hdr.seq != cur.seq) {
			err = bad(v, cur.name, cur.seq, 1, 0, 0, 0, "header names segment %016llx",
				  (unsigned long long)cur.hdr.seq);
			break;
		}
		if (i == 0) {
			v->log_first = cur.hdr.first_index;
			v->res->first_index = v->log_first;
			/* Checkpoints of records no longer present: their signatures were checked. */
			while (v->ci < v->cps.n && v->cps.v[v->ci].cp.size < v->log_first) {
				const struct ta_ckpt_entry *e = &v->cps.v[v->ci++];
				struct ta_verify_result *r = v->res;

				if (e->claim) {
					r->claims_unchecked++;
					continue;
				}
				r->checkpoints_sig_only++;
				/* The investigator's own checkpoint left unchecked must be named. */
				if (e->external && r->n_ext_sig_only++ < 8) {
					snprintf(r->ext_sig_only[r->n_ext_sig_only - 1].file,
						 sizeof(r->ext_sig_only[0].file), "%s", e->file);
					r->ext_sig_only[r->n_ext_sig_only - 1].size = e->cp.size;
				}
			}
		} else if (cur.hdr.first_index != v->cr.size) {
			err = bad(v, cur.name, cur.seq, 1, 0, 1, v->cr.size,
				  "segment starts at record %llu but the previous one ended at %llu",
				  (unsigned long long)cur.hdr.first_index, (unsigned long long)v->cr.size);
			break;
		}
		uint64_t limit = cur.size;
		have_next = 0;
		if (i + 1 < n) {
			char nname[TA_SEG_NAME_MAX];
			ta_seg_name(nname, cur.seq + 1, TA_SEG_SUFFIX);
			if (seqs[i + 1] != cur.seq + 1) {
				err = bad(v, nname, cur.seq + 1, 0, 0, 1, v->cr.size,
					  "segment file missing (the log jumps from %s to segment %016llx)",
					  cur.name, (unsigned long long)seqs[i + 1]);
				break;
			}
			err = ta_segfile_open(v->dirfd, seqs[i + 1], &next);
			if (err) {
				err = bad(v, nname, seqs[i + 1], 0, 0, 0, 0, "cannot open: %s",
					  ta_regular_strerror(err));
				break;
			}
			have_next = 1;
			if (next.hdr_why) {
				err = bad(v, next.name, next.seq, 1, 0, 0, 0, "%s", next.hdr_why);
				break;
			}
			if (next.hdr.prev_seq != cur.seq) {
				err = bad(v, next.name, next.seq, 1, 0, 0, 0,
					  "header does not name %s as the previous segment", cur.name);
				break;
			}
			if (next.hdr.prev_end < TA_SEG_HDR_LEN) {
				err = bad(v, next.name, next.seq, 1, 0, 0, 0, "bad previous segment end");
				break;
			}
			/* Records first: a record removed in the middle is named before the short file. */
			limit = next.hdr.prev_end < cur.size ? next.hdr.prev_end : cur.size;
		}
		v->res->segments++;
		v->res->bytes += cur.size;
		err = scan_segment(v, &cur, limit, i + 1 == n,
				   have_next && next.hdr.prev_end > cur.size ? next.hdr.prev_end : 0);
		if (err)
			break;
		if (have_next && next.hdr.prev_end > cur.size) {
			err = bad(v, cur.name, cur.seq, 1, cur.size, 0, 0,
				  "segment truncated: %llu bytes, but %s records that it ended at %llu",
				  (unsigned long long)cur.size, next.name,
				  (unsigned long long)next.hdr.prev_end);
			break;
		}
		if (v->pend) {
			err = bad(v, v->pend_name, v->pend_seq, 1, v->pend_off, 0, 0,
				  "%llu bytes after the end recorded by the next segment and no "
				  "recovery record for them", (unsigned long long)v->pend_bytes);
			break;
		}
		if (limit < cur.size) {
			v->pend = 1;
			v->pend_seq = cur.seq;
			v->pend_off = limit;
			v->pend_bytes = cur.size - limit;
			snprintf(v->pend_name, sizeof(v->pend_name), "%s", cur.name);
		}
		ta_segfile_close(&cur);
		if (have_next) {
			cur = next;
			have_next = 0;
		}
	}
	ta_segfile_close(&cur);
	if (have_next)
		ta_segfile_close(&next);
	free(seqs);
	if (err)
		return err;
	if ((err = check_ckpts(v)))
		return err;
	if (v->log_first > 0 && !v->retention_covers)
		return bad(v, NULL, 0, 0, 0, 0, 0, "records 0 to %llu are missing and no retention "
			   "record accounts for them (segments deleted)",
			   (unsigned long long)(v->log_first - 1));
	/*
	 * Any writer can append a well-formed retention record to the unsigned
	 * tail; the store signs one before it deletes anything.
	 */
	if (v->log_first > 0 && v->res->latest_checkpoint <= v->retention_at)
		return bad(v, NULL, 0, 0, 0, 0, 0, "records 0 to %llu are missing and the retention "
			   "record that accounts for them (record %llu) is covered by no signed "
			   "checkpoint (the latest covers %llu records): nothing vouches for it",
			   (unsigned long long)(v->log_first - 1), (unsigned long long)v->retention_at,
			   (unsigned long long)v->res->latest_checkpoint);
	if (v->ci < v->cps.n) {
		const struct ta_ckpt_entry *e = &v->cps.v[v->ci];
		char what[480];
		int w = snprintf(what, sizeof(what), "%s %llu records but the log has only %llu",
				 e->external ? "log rolled back or truncated: it vouches for" : "covers",
				 (unsigned long long)e->cp.size, (unsigned long long)v->cr.size);
		if (v->res->torn)
			snprintf(what + w, sizeof(what) - (size_t)w, "; the log ends at %s offset %llu "
				 "record %llu: %s", v->res->torn_at.segment_name,
				 (unsigned long long)v->res->torn_at.offset,
				 (unsigned long long)v->res->torn_at.index, v->res->torn_at.what);
		return ckpt_bad(v, e, what);
	}
	/*
	 * The writer signs a checkpoint whenever it opens the log: records that no
	 * signed checkpoint covers, with none at all, mean the checkpoint files
	 * were deleted (or the writer died before its first one).
	 */
	if (v->cr.size > v->log_first && !v->res->checkpoints && !v->res->checkpoints_sig_only)
		return bad(v, NULL, 0, 0, 0, 0, 0, "no signed checkpoint: the log's %llu records are "
			   "vouched for by none (its checkpoint files were deleted, or the writer "
			   "stopped before signing its first)%s",
			   (unsigned long long)(v->cr.size - v->log_first),
			   v->res->claims_checked ? "; audit-trail anchors name this log" : "");
	return 0;
}

int ta_log_verify(const struct ta_verify_opts *o, struct ta_verify_result *res)
{
	memset(res, 0, sizeof(*res));
	res->ok = 1;
	struct vstate vs = { .o = o, .res = res, .key = o->key, .dirfd = -1 };
	struct vstate *v = &vs;
	struct ta_verifier *dirkey = NULL;
	int err;
	ta_crange_init(&v->cr);
	v->dirfd = open(o->dir ? o->dir : TA_STORE_DEFAULT_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd < 0) {
		err = -errno;
		snprintf(res->message, sizeof(res->message), "cannot open the log directory: %s",
			 strerror(-err));
		res->ok = 0;
		return err;
	}
	if (!v->key) {
		err = ta_log_vkey_load(v->dirfd, &dirkey);
		if (err) {
			bad(v, TA_VKEY_NAME, 0, 0, 0, 0, 0, "no usable verifier key: %s",
			    ta_log_vkey_strerror(err));
			err = -EBADMSG;
			goto out;
		}
		v->key = dirkey;
		res->key_from_dir = 1;
	}
	if ((err = ta_hasher_new(&v->h)))
		goto out;
	if (!(v->batch = malloc(sizeof(*v->batch)))) {
		err = -ENOMEM;
		goto out;
	}
	/* A second core hashes half of each batch; o->threads 1 keeps verify on one. */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if ((err = ta_leaf_pool_new(&v->pool, o->threads ? o->threads : ncpu > 1 ? 2 : 1)))
		goto out;
	char msg[400];
	v->cps.origin = o->origin;
	err = ta_ckpt_set_load(v->dirfd, v->key, &v->cps, msg, sizeof(msg));
	if (err) {
		bad(v, NULL, 0, 0, 0, 0, 0, "%s", msg);
		err = -EBADMSG;
		goto out;
	}
	for (size_t i = 0; i < o->n_external; i++) {
		err = ta_ckpt_set_add_file(&v->cps, v->key, o->external[i], AT_FDCWD, msg, sizeof(msg));
		if (err) {
			bad(v, NULL, 0, 0, 0, 0, 0, "external checkpoint %s", msg);
			err = -EBADMSG;
			goto out;
		}
	}
	/*
	 * Anchors belong to this log if they name the origin the investigator
	 * trusts (--origin, else the key's name), never one read from the log's
	 * own checkpoints: deleting those must not turn the anchors off.
	 */
	const char *want = o->origin ? o->origin : ta_verifier_name(v->key);
	for (size_t i = 0; i < o->n_claims; i++) {
		const struct ta_root_claim *c = &o->claims[i];

		if (strcmp(c->origin, want)) {
			res->claims_foreign++;
			continue;
		}
		if ((err = ta_ckpt_set_add_claim(&v->cps, c->origin, c->size, c->root, c->where)))
			goto out;
		v->cps.v[v->cps.n - 1].claim = c->login_uid ? 2 : 1;
	}
	ta_ckpt_set_sort(&v->cps);
	err = walk(v);
	if (!err) {
		res->records = v->cr.size - v->log_first;
		ta_crange_root(v->h, &v->cr, res->root);
	}
out:
	if (err && res->ok) {
		res->ok = 0;
		if (!res->message[0])
			snprintf(res->message, sizeof(res->message), "%s", strerror(-err));
	}
	if (!res->ok)
		err = -EBADMSG;
	for (size_t i = 0; i < v->nsnaps; i++)
		free(v->snaps[i].h);
	free(v->snaps);
	ta_ckpt_set_free(&v->cps);
	ta_hasher_free(v->h);
	free(v->batch);
	ta_leaf_pool_free(v->pool);
	ta_verifier_free(dirkey);
	close(v->dirfd);
	return err;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Read-only iteration over the records of a log directory, in index order
 * across segments. A segment's valid end is the prev_end that the next
 * segment's header records (bytes past it are a torn tail that recovery left
 * in place); the last segment ends at its first bad record (torn tail).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "base/fs.h"
#include "store/format.h"
#include "store/segfile.h"
#include "store/store.h"

_Static_assert(TA_LOG_REC_COMPRESSED == TA_RECF_ZSTD, "the public flag is the stored bit");

struct ta_log_reader {
	int dirfd;
	unsigned flags;
	uint64_t *seqs;
	uint64_t *firsts;   /* first_index from each header (UINT64_MAX if unreadable) */
	size_t nseg, cur;
	struct ta_segfile sf;
	int sf_open;
	unsigned map_flags; /* for the next segment opened */
	uint64_t limit, pos, expect;
	int done;
	struct ta_log_error err, torn;
	int has_torn;
	ZSTD_DCtx *dc;
	uint8_t *dbuf;
	size_t dcap;
	uint8_t *win;       /* skip_forward's read window (SKIP_WINDOW bytes) */
};

/* Headers are read through a window with pread(), not through the mapping:
 * faulting in every page on the way (16 mapped per fault, then unmapped)
 * cost about 1.6x more than copying them. */
#define SKIP_WINDOW (256u * 1024)

static int read_header(int dirfd, uint64_t seq, struct ta_seg_header *h)
{
	char name[TA_SEG_NAME_MAX];
	uint8_t b[TA_SEG_HDR_LEN];
	const char *why;
	ta_seg_name(name, seq, TA_SEG_SUFFIX);
	int fd = ta_open_regular_at(dirfd, name, NULL);
	if (fd < 0)
		return fd;
	ssize_t n = pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n < 0)
		return -errno;
	return ta_seg_header_decode(b, (size_t)n, h, &why);
}

int ta_log_reader_open_flags(struct ta_log_reader **out, const char *dir, unsigned flags)
{
	struct ta_log_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->flags = flags;
	r->map_flags = TA_SEGFILE_POPULATE;
	r->sf.fd = -1;
	r->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = r->dirfd < 0 ? -errno : ta_list_segments(r->dirfd, &r->seqs, &r->nseg);
	if (!err && !(r->dc = ZSTD_createDCtx()))
		err = -ENOMEM;
	if (!err && !(r->firsts = calloc(r->nseg + 1, sizeof(uint64_t))))
		err = -ENOMEM;
	if (err) {
		ta_log_reader_close(r);
		return err;
	}
	for (size_t i = 0; i < r->nseg; i++) {
		struct ta_seg_header h;
		r->firsts[i] = read_header(r->dirfd, r->seqs[i], &h) ? UINT64_MAX : h.first_index;
	}
	r->expect = r->nseg && r->firsts[0] != UINT64_MAX ? r->firsts[0] : 0;
	*out = r;
	return 0;
}

int ta_log_reader_open(struct ta_log_reader **out, const char *dir)
{
	return ta_log_reader_open_flags(out, dir, 0);
}

void ta_log_reader_close(struct ta_log_reader *r)
{
	if (!r)
		return;
	if (r->sf_open)
		ta_segfile_close(&r->sf);
	if (r->dirfd >= 0)
		close(r->dirfd);
	ZSTD_freeDCtx(r->dc);
	free(r->dbuf);
	free(r->win);
	free(r->seqs);
	free(r->firsts);
	free(r);
}

uint64_t ta_log_reader_first_index(const struct ta_log_reader *r)
{
	return r->nseg && r->firsts[0] != UINT64_MAX ? r->firsts[0] : 0;
}

uint64_t ta_log_reader_next_index(const struct ta_log_reader *r)
{
	return r->expect;
}

const struct ta_log_error *ta_log_reader_error(const struct ta_log_reader *r)
{
	return &r->err;
}

const struct ta_log_error *ta_log_reader_torn(const struct ta_log_reader *r)
{
	return r->has_torn ? &r->torn : NULL;
}

static int fail(struct ta_log_reader *r, int code, uint64_t offset, int reason, const char *what)
{
	r->err.code = code;
	r->err.segment_seq = r->sf.seq;
	snprintf(r->err.segment_name, sizeof(r->err.segment_name), "%s", r->sf.name);
	r->err.offset = offset;
	r->err.index = r->expect;
	r->err.torn_reason = reason;
	snprintf(r->err.what, sizeof(r->err.what), "%s", what);
	r->done = 1;
	return code;
}

static int open_current(struct ta_log_reader *r)
{
	int err = ta_segfile_open_flags(r->dirfd, r->seqs[r->cur], &r->sf, r->map_flags);
	r->map_flags = TA_SEGFILE_POPULATE;
	if (err) {
		ta_seg_name(r->sf.name, r->seqs[r->cur], TA_SEG_SUFFIX);
		r->sf.seq = r->seqs[r->cur];
		/* A FIFO, device or link named like a segment is damage, as a missing segment is. */
		const char *what = ta_regular_strerror(err);
		return fail(r, err == -EINVAL || err == -ELOOP ? -EBADMSG : err, 0, 0, what);
	}
	r->sf_open = 1;
	if (r->sf.hdr_why)
		return fail(r, -EBADMSG, 0, 0, r->sf.hdr_why);
	if (r->sf.hdr.seq != r->sf.seq)
		return fail(r, -EBADMSG, 0, 0, "header names another segment number");
	if (r->sf.hdr.first_index != r->expect)
		return fail(r, -EBADMSG, 0, 0,
			    "first index does not follow the previous segment (records missing)");
	r->limit = r->sf.size;
	if (r->cur + 1 < r->nseg) {
		struct ta_seg_header nh;
		if (!read_header(r->dirfd, r->seqs[r->cur + 1], &nh) && nh.prev_seq == r->sf.seq) {
			if (nh.prev_end > r->sf.size)
				return fail(r, -EBADMSG, r->sf.size, 0,
					    "segment truncated: shorter than the next segment records");
			if (nh.prev_end < TA_SEG_HDR_LEN)
				return fail(r, -EBADMSG, 0, 0, "next segment records a bad end");
			r->limit = nh.prev_end;
		}
	}
	r->pos = TA_SEG_HDR_LEN;
	return 0;
}

/* Decompresses v's payload into *buf (grown as needed): rec->payload and len. */
static int inflate_payload(ZSTD_DCtx *dc, uint8_t **buf, size_t *cap, const struct ta_rec_view *v,
			   struct ta_log_record *rec)
{
	if (*cap < v->h.raw_len) {
		size_t ncap = *cap ? *cap : 65536;
		while (ncap < v->h.raw_len)
			ncap *= 2;
		uint8_t *nb = realloc(*buf, ncap);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	size_t n = ZSTD_decompressDCtx(dc, *buf, v->h.raw_len, v->payload, v->stored_len);
	if (ZSTD_isError(n) || n != v->h.raw_len)
		return -EBADMSG;
	rec->payload = *buf;
	rec->len = n;
	return 0;
}

static int decompress(struct ta_log_reader *r, const struct ta_rec_view *v, struct ta_log_record *rec)
{
	return inflate_payload(r->dc, &r->dbuf, &r->dcap, v, rec);
}

/* Fills rec from a parsed record (no position in a segment). */
static void rec_from_view(const struct ta_rec_view *v, struct ta_log_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->index = v->h.index;
	rec->type = v->h.type;
	rec->flags = v->h.flags;
	rec->time_ns = v->h.time_ns;
	rec->session = v->h.session;
	rec->stored = v->rec;
	rec->stored_len = v->h.len;
	rec->payload = v->payload;
	rec->len = v->stored_len;
}

struct ta_rec_decoder {
	ZSTD_DCtx *dc;
	uint8_t *buf;
	size_t cap;
	size_t max_raw;
};

int ta_rec_decoder_new(struct ta_rec_decoder **out)
{
	struct ta_rec_decoder *d = calloc(1, sizeof(*d));
	if (!d || !(d->dc = ZSTD_createDCtx())) {
		free(d);
		return -ENOMEM;
	}
	d->max_raw = TA_REC_MAX_PAYLOAD;
	*out = d;
	return 0;
}

void ta_rec_decoder_set_max(struct ta_rec_decoder *d, size_t max_raw)
{
	d->max_raw = max_raw;
}

void ta_rec_decoder_free(struct ta_rec_decoder *d)
{
	if (!d)
		return;
	ZSTD_freeDCtx(d->dc);
	free(d->buf);
	free(d);
}

int ta_rec_decode(struct ta_rec_decoder *d, const uint8_t *stored, size_t len, uint64_t expect_index,
		  struct ta_log_record *rec, const char **why)
{
	struct ta_rec_view v;
	int reason;
	if (ta_rec_parse(stored, len, expect_index, &v, &reason, why))
		return -EBADMSG;
	if (v.h.len != len) {
		*why = "bytes after the record";
		return -EBADMSG;
	}
	rec_from_view(&v, rec);
	if ((v.h.flags & TA_RECF_ZSTD) && v.h.raw_len > d->max_raw) {
		*why = "its payload inflates beyond what this reader decodes";
		return -E2BIG;
	}
	if ((v.h.flags & TA_RECF_ZSTD) && inflate_payload(d->dc, &d->buf, &d->cap, &v, rec)) {
		*why = "compressed payload does not decompress";
		return -EBADMSG;
	}
	return 0;
}

static int next_inner(struct ta_log_reader *r, struct ta_log_record *rec, int want_payload)
{
	for (;;) {
		if (r->done)
			return r->err.code ? r->err.code : 0;
		if (!r->sf_open) {
			if (r->cur >= r->nseg) {
				r->done = 1;
				return 0;
			}
			int err = open_current(r);
			if (err)
				return err;
		}
		if (r->pos >= r->limit) {
			ta_segfile_close(&r->sf);
			r->sf_open = 0;
			r->cur++;
			continue;
		}
		struct ta_rec_view v;
		int reason;
		const char *why;
		if (ta_rec_parse(r->sf.map + r->pos, r->limit - r->pos, r->expect, &v, &reason, &why)) {
			if (r->cur + 1 == r->nseg && reason != TA_BAD_RECORD) {
				/* The end of the last segment: a write that did not finish. */
				r->has_torn = 1;
				r->torn.code = 0;
				r->torn.segment_seq = r->sf.seq;
				snprintf(r->torn.segment_name, sizeof(r->torn.segment_name), "%s",
					 r->sf.name);
				r->torn.offset = r->pos;
				r->torn.index = r->expect;
				r->torn.torn_reason = reason;
				snprintf(r->torn.what, sizeof(r->torn.what), "torn tail: %s (%llu bytes)",
					 why, (unsigned long long)(r->sf.size - r->pos));
				r->done = 1;
				return 0;
			}
			return fail(r, -EBADMSG, r->pos, reason, why);
		}
		rec_from_view(&v, rec);
		rec->segment_seq = r->sf.seq;
		rec->segment_name = r->sf.name;
		rec->offset = r->pos;
		if (want_payload && (v.h.flags & TA_RECF_ZSTD) && !(r->flags & TA_READER_RAW)) {
			int err = decompress(r, &v, rec);
			if (err)
				return fail(r, err, r->pos, 0, "compressed payload does not decompress");
		}
		r->pos += v.h.len;
		r->expect++;
		return 1;
	}
}

int ta_log_reader_next(struct ta_log_reader *r, struct ta_log_record *rec)
{
	return next_inner(r, rec, 1);
}

/*
 * Moves forward in the open segment to `index` by the records' length fields
 * alone, from a record boundary the reader reached itself (never from an
 * offset someone else claims: a record-like byte string inside a payload
 * must not be taken for a record). The records passed over are not returned,
 * so their CRCs are not computed; the one arrived at is parsed in full, CRC
 * and index, by the next call (through the mapping: the window is a copy of
 * the same append-only file). -EAGAIN: the chain breaks (damage); nothing moved.
 */
static int skip_forward(struct ta_log_reader *r, uint64_t index)
{
	uint64_t pos = r->pos, expect = r->expect, wpos = 0, wlen = 0;

	if (!r->win && !(r->win = malloc(SKIP_WINDOW)))
		return -EAGAIN;
	while (expect < index) {
		if (pos >= r->limit || r->limit - pos < TA_REC_OVERHEAD)
			return -EAGAIN;
		if (pos < wpos || pos + 16 > wpos + wlen) {
			ssize_t n = pread(r->sf.fd, r->win, SKIP_WINDOW, (off_t)pos);
			if (n < 16)
				return -EAGAIN;
			wpos = pos;
			wlen = (uint64_t)n;
		}
		const uint8_t *p = r->win + (pos - wpos);
		uint32_t len = ta_get32(p);
		if (len < TA_REC_OVERHEAD || len > r->limit - pos || ta_get64(p + 8) != expect)
			return -EAGAIN;
		pos += len;
		expect++;
	}
	r->pos = pos;
	r->expect = expect;
	return 0;
}

int ta_log_reader_seek(struct ta_log_reader *r, uint64_t index)
{
	if (!r->nseg)
		return -ENOENT;
	/* Last segment whose first index is <= index. */
	size_t lo = 0, hi = r->nseg;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (r->firsts[mid] != UINT64_MAX && r->firsts[mid] <= index)
			lo = mid;
		else
			hi = mid;
	}
	if (r->firsts[lo] == UINT64_MAX || r->firsts[lo] > index)
		return -ENOENT;
	/* Forward in the segment already open (a session's records, in order): no reopening. */
	if (r->sf_open && !r->done && r->cur == lo && index >= r->expect && !skip_forward(r, index))
		return 0;
	if (r->sf_open)
		ta_segfile_close(&r->sf);
	r->sf_open = 0;
	r->done = 0;
	r->has_torn = 0;
	memset(&r->err, 0, sizeof(r->err));
	r->cur = lo;
	r->expect = r->firsts[lo];
	if (index > r->expect) {
		/* A seek reads a few records of the segment: map only the pages it touches. */
		r->map_flags = 0;
		int err = open_current(r);
		if (err)
			return err;
		if (!skip_forward(r, index))
			return 0;
		r->pos = TA_SEG_HDR_LEN; /* damage on the way: the checked walk below names it */
	}
	struct ta_log_record rec;
	while (r->expect < index) {
		int n = next_inner(r, &rec, 0);
		if (n <= 0)
			return n ? n : -ENOENT;
	}
	/* index may be one past the end of this segment: the next call moves on. */
	return 0;
}

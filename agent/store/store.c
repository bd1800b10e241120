// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The log writer: append with per-record compression, the Merkle tree, group
 * commit, checkpoints, rotation, and recovery of a torn tail at open.
 *
 * Bytes are only ever appended: recovery never truncates (append-only files
 * cannot be), it starts a new segment whose header and TA_REC_RECOVERY record
 * say where the torn tail of the previous one begins.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <openssl/rand.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/ckptset.h"
#include "store/crc32c.h"
#include "store/format.h"
#include "store/segfile.h"
#include "store/store_internal.h"

#define FULL_RETRY_NS 100000000ull
#define RETENTION_PERIOD_NS 10000000000ull

static __thread char open_error[1024];

const char *ta_store_open_error(void)
{
	return open_error;
}

void ta_store_set_msg(struct ta_store *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

const char *ta_store_message(const struct ta_store *s)
{
	return s->msg;
}

int ta_store_buf_reserve(struct ta_store *s, size_t need)
{
	if (s->buf_len + need <= s->buf_cap)
		return 0;
	size_t cap = s->buf_cap ? s->buf_cap : TA_STORE_FLUSH_BYTES * 2;
	while (cap < s->buf_len + need)
		cap *= 2;
	uint8_t *nb = realloc(s->buf, cap);
	if (!nb)
		return -ENOMEM;
	s->buf = nb;
	s->buf_cap = cap;
	return 0;
}

static ssize_t do_write(struct ta_store *s, int fd, const void *p, size_t len)
{
	if (s->inj_err) {
		if (!s->inj_after) {
			errno = s->inj_err;
			return -1;
		}
		if (len > s->inj_after)
			len = s->inj_after;
		s->inj_after -= len;
	}
	return write(fd, p, len);
}

void ta_store_inject_write_error(struct ta_store *s, int err, uint64_t after_bytes)
{
	s->inj_err = err;
	s->inj_after = after_bytes;
}

static int is_nospace(int e)
{
	return e == ENOSPC || e == EDQUOT;
}

/* Writes the buffer to the segment. Keeps unwritten bytes on ENOSPC. */
static int flush(struct ta_store *s)
{
	size_t off = 0;
	int err = 0;
	while (off < s->buf_len) {
		ssize_t w = do_write(s, s->segfd, s->buf + off, s->buf_len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		off += (size_t)w;
		s->seg_written += (uint64_t)w;
	}
	if (off) {
		memmove(s->buf, s->buf + off, s->buf_len - off);
		s->buf_len -= off;
	}
	if (!err)
		return 0;
	if (is_nospace(-err)) {
		if (!s->full)
			s->st.enospc_events++;
		s->full = 1;
		s->full_retry = ta_mono_ns();
		ta_store_set_msg(s, "disk full writing segment %016llx: %zu bytes held, appends refused",
				 (unsigned long long)s->seq, s->buf_len);
	} else {
		s->broken = 1;
		ta_store_set_msg(s, "write to segment %016llx failed: %s", (unsigned long long)s->seq,
				 strerror(-err));
	}
	return err;
}

int ta_store_commit(struct ta_store *s)
{
	if (s->broken)
		return -EIO;
	int err = flush(s);
	if (err)
		return err;
	if (s->full) {
		s->full = 0; /* the held bytes went out: space is back */
		ta_store_set_msg(s, "disk space is back; appends accepted");
	}
	if (s->durable == s->cr.size)
		return 0;
	if (fdatasync(s->segfd)) {
		err = -errno;
		s->broken = 1;
		ta_store_set_msg(s, "fdatasync of segment %016llx failed: %s; records after %llu "
				 "may be lost", (unsigned long long)s->seq, strerror(-err),
				 (unsigned long long)s->durable);
		return err;
	}
	s->st.fsyncs++;
	s->durable = s->cr.size;
	s->pending = 0;
	return 0;
}

int ta_store_write_out(struct ta_store *s)
{
	if (s->broken)
		return -EIO;
	if (s->full)
		return -ENOSPC;
	return flush(s);
}

/* Whether a record's payload is offered to zstd. The store's own records stay uncompressed:
 * readers parse them in place. */
static int compressible(const struct ta_store *s, uint16_t type, size_t len)
{
	return type > TA_REC_STORE_LAST && len >= s->o.compress_min_bytes && len > 1;
}

/*
 * Room for a record while it is framed: zstd is given its worst-case bound, which lets it
 * compress in one pass straight into the record (with less room it goes through its own
 * stream buffers); what does not come out smaller is stored as it is over the same bytes.
 */
size_t ta_store_slot_len(const struct ta_store *s, uint16_t type, size_t len)
{
	return TA_REC_OVERHEAD + (compressible(s, type, len) ? ZSTD_compressBound(len) : len);
}

/* store_internal.h */
uint32_t ta_store_frame_record(const struct ta_store *s, ZSTD_CCtx *zc, uint8_t *rec, uint16_t type,
			     uint64_t index, uint64_t time_ns, uint64_t session, const void *payload,
			     size_t len, uint8_t leaf[TA_HASH_LEN])
{
	uint8_t *pl = rec + TA_REC_HDR_LEN;
	size_t stored = len;
	uint8_t flags = 0;
	if (compressible(s, type, len)) {
		size_t c = ZSTD_compress2(zc, pl, ZSTD_compressBound(len), payload, len);
		if (!ZSTD_isError(c) && c < len) {
			stored = c;
			flags = TA_RECF_ZSTD;
		}
	}
	if (!flags && len)
		memcpy(pl, payload, len);
	struct ta_rec_header h = {
		.len = (uint32_t)(TA_REC_OVERHEAD + stored),
		.version = TA_REC_VERSION,
		.flags = flags,
		.type = type,
		.index = index,
		.time_ns = time_ns,
		.session = session,
		.raw_len = (uint32_t)len,
	};
	ta_rec_header_encode(rec, &h);
	ta_put32(rec + h.len - 4, ta_crc32c(0, rec, h.len - 4));
	ta_hash_leaf(s->h, rec, h.len, leaf);
	return h.len;
}

void ta_store_add_framed(struct ta_store *s, uint32_t rec_len, size_t raw_len,
		       const uint8_t leaf[TA_HASH_LEN])
{
	ta_crange_append(s->h, &s->cr, leaf, NULL, NULL);
	s->buf_len += rec_len;
	s->st.records++;
	s->st.bytes_raw += raw_len;
	s->st.bytes_stored += rec_len;
	if (!s->pending++)
		s->pending_since = ta_mono_ns();
}

/* Encodes one record into the buffer and adds it to the tree. */
static int encode_record(struct ta_store *s, uint16_t type, uint64_t time_ns, uint64_t session,
			 const void *payload, size_t len, uint64_t *index_out)
{
	if (len > TA_REC_MAX_PAYLOAD)
		return -EMSGSIZE;
	int err = ta_store_buf_reserve(s, ta_store_slot_len(s, type, len));
	if (err)
		return err;
	uint8_t leaf[TA_HASH_LEN];
	uint64_t index = s->cr.size;
	uint32_t rec_len = ta_store_frame_record(s, s->zc, s->buf + s->buf_len, type, index, time_ns, session,
					payload, len, leaf);
	ta_store_add_framed(s, rec_len, len, leaf);
	if (index_out)
		*index_out = index;
	return 0;
}

static int retry_full(struct ta_store *s, int force)
{
	uint64_t now = ta_mono_ns();
	if (!force && now - s->full_retry < FULL_RETRY_NS)
		return -ENOSPC;
	s->full_retry = now;
	int err = ta_store_commit(s);
	return err;
}

static void note_append_only(struct ta_store *s, int fd, const char *name)
{
	if (s->o.no_append_only) {
		s->ao_err = -ECANCELED;
		snprintf(s->ao_msg, sizeof(s->ao_msg), "append-only flag disabled by configuration");
		return;
	}
	int err = ta_set_append_only(fd, 1);
	if (!err)
		return;
	s->ao_err = err;
	const char *why = err == -EPERM ? "missing CAP_LINUX_IMMUTABLE" :
			  (err == -ENOTTY || err == -EOPNOTSUPP || err == -EINVAL) ?
			  "the filesystem does not support it" : strerror(-err);
	snprintf(s->ao_msg, sizeof(s->ao_msg), "cannot make %s append-only (chattr +a): %s", name, why);
}

/*
 * Creates segment seq holding SEGMENT_START (and RECOVERY when rec is given):
 * written to a temporary name, synced, then renamed, so a segment file always
 * starts with a valid header and first record. On failure the state is as before.
 */
static int create_segment(struct ta_store *s, uint64_t seq, uint64_t prev_seq, uint64_t prev_end,
			  const struct ta_rec_recovery *rec)
{
	char name[TA_SEG_NAME_MAX], tmp[TA_SEG_NAME_MAX + 8], cname[TA_SEG_NAME_MAX];
	ta_seg_name(name, seq, TA_SEG_SUFFIX);
	ta_seg_name(cname, seq, TA_CKPT_SUFFIX);
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	if (s->buf_len)
		return -EBUSY; /* caller commits first */

	struct ta_crange saved = s->cr;
	uint64_t saved_pending = s->pending, saved_since = s->pending_since;
	struct ta_store_stats saved_st = s->st;
	uint64_t now_real = ta_real_ns();
	int fd = -1, cfd = -1, err;

	struct ta_seg_header hdr = {
		.seq = seq, .first_index = s->cr.size, .prev_seq = prev_seq,
		.prev_end = prev_end, .created_ns = now_real,
	};
	uint8_t hb[TA_SEG_HDR_LEN];
	ta_seg_header_encode(hb, &hdr);

	uint8_t ss[sizeof(struct ta_rec_segment_start) + TA_CRANGE_MAX * TA_HASH_LEN];
	struct ta_rec_segment_start st = {
		.version = TA_STORE_PAYLOAD_VERSION, .n_hashes = s->cr.n, .seq = seq,
		.first_index = s->cr.size, .prev_seq = prev_seq, .prev_end = prev_end,
		.created_ns = now_real,
	};
	memcpy(ss, &st, sizeof(st));
	memcpy(ss + sizeof(st), s->cr.h, (size_t)s->cr.n * TA_HASH_LEN);
	err = encode_record(s, TA_REC_SEGMENT_START, now_real, 0, ss,
			    sizeof(st) + (size_t)s->cr.n * TA_HASH_LEN, NULL);
	if (!err && rec)
		err = encode_record(s, TA_REC_RECOVERY, now_real, 0, rec, sizeof(*rec), NULL);
	if (err)
		goto fail;

	unlinkat(s->dirfd, tmp, 0);
	fd = openat(s->dirfd, tmp, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	if ((err = ta_write_all(fd, hb, sizeof(hb))) || (err = ta_write_all(fd, s->buf, s->buf_len)))
		goto fail;
	if (fdatasync(fd)) {
		err = -errno;
		goto fail;
	}
	cfd = openat(s->dirfd, cname, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (cfd < 0) {
		err = -errno;
		goto fail;
	}
	if (renameat(s->dirfd, tmp, s->dirfd, name)) {
		err = -errno;
		goto fail;
	}
	fsync(s->dirfd);
	note_append_only(s, fd, name);
	if (!s->ao_err)
		note_append_only(s, cfd, cname);

	if (s->segfd >= 0)
		close(s->segfd);
	if (s->ckptfd >= 0)
		close(s->ckptfd);
	s->segfd = fd;
	s->ckptfd = cfd;
	s->seq = seq;
	s->seg_first = hdr.first_index;
	s->seg_created_real = now_real;
	s->seg_created_mono = ta_mono_ns();
	s->seg_written = sizeof(hb) + s->buf_len;
	s->seg_user_records = 0;
	s->buf_len = 0;
	s->durable = s->cr.size;
	s->pending = 0;
	s->ckpt_torn = 0;
	s->st.segments_created++;
	return 0;

fail:
	if (fd >= 0) {
		unlinkat(s->dirfd, tmp, 0);
		close(fd);
	}
	if (cfd >= 0) {
		struct stat cst;
		if (!fstat(cfd, &cst) && cst.st_size == 0)
			unlinkat(s->dirfd, cname, 0);
		close(cfd);
	}
	s->cr = saved;
	s->buf_len = 0;
	s->pending = (uint32_t)saved_pending;
	s->pending_since = saved_since;
	s->st = saved_st;
	if (is_nospace(-err)) {
		s->st.enospc_events++;
		ta_store_set_msg(s, "disk full creating segment %s", name);
	} else {
		ta_store_set_msg(s, "cannot create segment %s: %s", name, strerror(-err));
	}
	return err;
}

static int write_checkpoint(struct ta_store *s, char **note_out)
{
	int err = ta_store_commit(s);
	if (err)
		return err;
	uint8_t root[TA_HASH_LEN];
	char body[TA_ORIGIN_MAX + 128];
	ta_crange_root(s->h, &s->cr, root);
	int blen = ta_checkpoint_body(s->origin, s->cr.size, root, body, sizeof(body));
	if (blen < 0)
		return blen;
	char *note;
	size_t nlen;
	err = ta_note_sign(s->signer, body, (size_t)blen, &note, &nlen);
	if (err)
		return err;
	if (!s->ckpt_torn) {
		note[nlen] = '\n'; /* the entry separator replaces the NUL */
		ssize_t w;
		do
			w = do_write(s, s->ckptfd, note, nlen + 1);
		while (w < 0 && errno == EINTR);
		note[nlen] = 0;
		if (w != (ssize_t)(nlen + 1)) {
			err = w < 0 ? -errno : -ENOSPC;
			if (w > 0 || !is_nospace(-err))
				s->ckpt_torn = 1; /* rotation starts a clean checkpoint file */
			ta_store_set_msg(s, "cannot write checkpoint %llu: %s",
					 (unsigned long long)s->cr.size, strerror(-err));
			free(note);
			return err;
		}
		if (fdatasync(s->ckptfd)) {
			err = -errno;
			free(note);
			return err;
		}
	}
	s->ckpt_size = s->cr.size;
	s->ckpt_mono = ta_mono_ns();
	s->st.checkpoints++;
	if (!s->ckpt_torn && s->o.on_checkpoint)
		s->o.on_checkpoint(s->o.on_checkpoint_ctx, s->origin, s->cr.size, root, note);
	if (note_out)
		*note_out = note;
	else
		free(note);
	return s->ckpt_torn ? -EIO : 0;
}

int ta_store_checkpoint(struct ta_store *s, char **note_out)
{
	if (s->broken)
		return -EIO;
	if (s->ckpt_torn) {
		int err = ta_store_rotate(s);
		if (err)
			return err;
	}
	return write_checkpoint(s, note_out);
}

int ta_store_rotate(struct ta_store *s)
{
	if (s->broken)
		return -EIO;
	int torn = s->ckpt_torn;
	int err = torn ? ta_store_commit(s) : write_checkpoint(s, NULL);
	if (err)
		return err;
	err = create_segment(s, s->seq + 1, s->seq, s->seg_written, NULL);
	if (err)
		return err;
	if (torn)
		err = write_checkpoint(s, NULL);
	return err;
}

int ta_store_admit(struct ta_store *s, size_t len)
{
	int err;
	if (s->broken)
		return -EIO;
	if (s->full && (err = retry_full(s, 0)))
		return err;
	if (len > TA_REC_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (s->seg_user_records &&
	    s->seg_written + s->buf_len + TA_REC_OVERHEAD + len > s->o.segment_max_bytes)
		return ta_store_rotate(s);
	return 0;
}

void ta_store_after_append(struct ta_store *s)
{
	if (s->pending >= s->o.commit_max_records)
		ta_store_commit(s);
	else if (s->buf_len >= TA_STORE_FLUSH_BYTES)
		flush(s);
	if (!s->full && !s->broken && s->cr.size - s->ckpt_size >= s->o.checkpoint_every_records)
		ta_store_checkpoint(s, NULL);
}

static int append_common(struct ta_store *s, uint16_t type, uint64_t time_ns, uint64_t session,
			 const void *payload, size_t len, uint64_t *index_out)
{
	int err = ta_store_admit(s, len);
	if (err)
		return err;
	err = encode_record(s, type, time_ns, session, payload, len, index_out);
	if (err)
		return err;
	s->seg_user_records++;
	/* The record is in; what follows only moves it towards the disk. */
	ta_store_after_append(s);
	return 0;
}

int ta_store_append(struct ta_store *s, uint16_t type, uint64_t time_ns, uint64_t session,
		    const void *payload, size_t len, uint64_t *index_out)
{
	if (!ta_store_user_record_ok(type, payload, len))
		return -EINVAL;
	return append_common(s, type, time_ns, session, payload, len, index_out);
}

int ta_store_append_internal(struct ta_store *s, uint16_t type, uint64_t time_ns,
			     const void *payload, size_t len, uint64_t *index_out)
{
	return append_common(s, type, time_ns, 0, payload, len, index_out);
}

int ta_store_append_gap(struct ta_store *s, uint32_t reason, uint64_t dropped_records,
			uint64_t dropped_bytes, uint64_t since_ns, uint64_t until_ns,
			uint64_t *index_out)
{
	struct ta_rec_gap g = {
		.version = TA_STORE_PAYLOAD_VERSION, .reason = reason,
		.dropped_records = dropped_records, .dropped_bytes = dropped_bytes,
		.since_ns = since_ns, .until_ns = until_ns,
	};
	return append_common(s, TA_REC_GAP, until_ns ? until_ns : ta_real_ns(), 0, &g, sizeof(g),
			     index_out);
}

int ta_store_is_full(const struct ta_store *s)
{
	return s->full;
}

uint64_t ta_store_durable_index(const struct ta_store *s)
{
	return s->durable;
}

uint64_t ta_store_size(const struct ta_store *s)
{
	return s->cr.size;
}

int ta_store_dirfd(const struct ta_store *s)
{
	return s->dirfd;
}

const char *ta_store_vkey(const struct ta_store *s)
{
	return ta_signer_vkey(s->signer);
}

int ta_store_append_only_status(const struct ta_store *s, const char **msg)
{
	if (msg)
		*msg = s->ao_err ? s->ao_msg : "segments are append-only";
	return s->ao_err;
}

void ta_store_get_stats(const struct ta_store *s, struct ta_store_stats *st)
{
	*st = s->st;
	st->durable = s->durable;
}

static uint64_t ms_until(uint64_t due, uint64_t now)
{
	return due > now ? (due - now + 999999) / 1000000 : 0;
}

int ta_store_tick(struct ta_store *s, uint64_t now)
{
	if (s->broken)
		return -EIO;
	if (!now)
		now = ta_mono_ns();
	uint64_t interval = (uint64_t)s->o.commit_interval_ms * 1000000ull;
	uint64_t ckpt_ns = (uint64_t)s->o.checkpoint_interval_ms * 1000000ull;
	uint64_t age_ns = (uint64_t)s->o.segment_max_age_s * 1000000000ull;
	int err = 0;

	if (s->full && retry_full(s, 1))
		return (int)(FULL_RETRY_NS / 1000000);
	if (s->pending && now - s->pending_since >= interval)
		err = ta_store_commit(s);
	if (!err && s->cr.size > s->ckpt_size && now - s->ckpt_mono >= ckpt_ns)
		err = ta_store_checkpoint(s, NULL);
	if (!err && s->seg_user_records && now - s->seg_created_mono >= age_ns)
		err = ta_store_rotate(s);
	if (!err && (s->o.retain_max_bytes || s->o.retain_max_age_s) &&
	    now - s->retention_mono >= RETENTION_PERIOD_NS) {
		s->retention_mono = now;
		int r = ta_store_retention(s, ta_real_ns());
		if (r < 0)
			err = r;
	}
	if (err)
		return err;

	uint64_t next = 60000;
	if (s->pending && ms_until(s->pending_since + interval, now) < next)
		next = ms_until(s->pending_since + interval, now);
	if (s->cr.size > s->ckpt_size && ms_until(s->ckpt_mono + ckpt_ns, now) < next)
		next = ms_until(s->ckpt_mono + ckpt_ns, now);
	if (s->seg_user_records && ms_until(s->seg_created_mono + age_ns, now) < next)
		next = ms_until(s->seg_created_mono + age_ns, now);
	if ((s->o.retain_max_bytes || s->o.retain_max_age_s) &&
	    ms_until(s->retention_mono + RETENTION_PERIOD_NS, now) < next)
		next = ms_until(s->retention_mono + RETENTION_PERIOD_NS, now);
	return (int)next;
}

/* --------------------------------------------------------------- opening */

/*
 * A torn tail is harmless only if it holds records nobody vouched for. If a
 * signed checkpoint covers more records than are left, appending would fork
 * the tree that checkpoint signed: refuse (-EUCLEAN) and say how to go on.
 */
static int check_checkpointed_intact(struct ta_store *s, uint64_t present)
{
	struct ta_verifier *v = NULL;
	char msg[512] = "";
	uint64_t signed_size = 0;
	int err = ta_verifier_parse(ta_signer_vkey(s->signer), &v);

	if (err)
		return err;
	err = ta_ckpt_signed_size(s->dirfd, v, &signed_size, msg, sizeof(msg));
	ta_verifier_free(v);
	if (err == -EBADMSG) {
		snprintf(open_error, sizeof(open_error), "the log's checkpoints are damaged (%s); "
			 "appending could fork the signed tree. Keep this directory as evidence "
			 "(ttyaudit verify shows the damage) and start with a new, empty log directory",
			 msg);
		return -EUCLEAN;
	}
	if (err)
		return err;
	if (signed_size > present) {
		snprintf(open_error, sizeof(open_error), "the log ends %llu records short of its "
			 "signed checkpoint of %llu records (the last segment is cut inside "
			 "checkpointed records); appending would fork the signed tree. Keep this "
			 "directory as evidence (ttyaudit verify shows the damage) and start with a "
			 "new, empty log directory", (unsigned long long)(signed_size - present),
			 (unsigned long long)signed_size);
		return -EUCLEAN;
	}
	return 0;
}

ZSTD_CCtx *ta_store_new_cctx(const struct ta_store_opts *o)
{
	/* Parameters set once: ZSTD_compress2 then skips re-deriving them per record. */
	ZSTD_CCtx *zc = ZSTD_createCCtx();
	if (!zc)
		return NULL;
	ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, o->compression_level);
	ZSTD_CCtx_setParameter(zc, ZSTD_c_contentSizeFlag, 0); /* raw_len is in the header */
	return zc;
}

static void set_defaults(struct ta_store_opts *o)
{
	if (!o->commit_interval_ms)
		o->commit_interval_ms = 200;
	if (!o->commit_max_records)
		o->commit_max_records = 4096;
	if (!o->checkpoint_every_records)
		o->checkpoint_every_records = 100000;
	if (!o->checkpoint_interval_ms)
		o->checkpoint_interval_ms = 60000;
	if (!o->segment_max_bytes)
		o->segment_max_bytes = 64ull << 20;
	if (!o->segment_max_age_s)
		o->segment_max_age_s = 86400;
	if (!o->compression_level)
		o->compression_level = 1;
	if (!o->compress_min_bytes)
		o->compress_min_bytes = 1024;
}

/* The verifier key file of the directory must name our key; written if absent. */
static int check_vkey_file(struct ta_store *s)
{
	const char *vk = ta_signer_vkey(s->signer);
	char line[TA_VKEY_MAX + 4], *held;
	size_t n;
	/* A FIFO put there would hold the daemon's start for good: a regular file only. */
	int fd, err = ta_read_regular_at(s->dirfd, TA_VKEY_NAME, sizeof(line) - 1, &held, &n);
	if (!err) {
		memcpy(line, held, n);
		free(held);
		line[n] = 0;
		line[strcspn(line, "\r\n")] = 0;
		if (strcmp(line, vk)) {
			snprintf(open_error, sizeof(open_error),
				 "%s names key %s but the key file holds %s: the log was written "
				 "with another key", TA_VKEY_NAME, line, vk);
			return -EKEYREJECTED;
		}
		return 0;
	}
	if (err != -ENOENT) {
		snprintf(open_error, sizeof(open_error), "cannot read %s: %s; the daemon did not put it "
			 "there: remove it, and the daemon writes its key file again", TA_VKEY_NAME,
			 err == -EFBIG ? "larger than a key" : ta_regular_strerror(err));
		return -EKEYREJECTED;
	}
	char tmp[] = TA_VKEY_NAME ".tmp";
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	snprintf(line, sizeof(line), "%s\n", vk);
	err = ta_write_all(fd, line, strlen(line));
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat(s->dirfd, tmp, s->dirfd, TA_VKEY_NAME))
		err = -errno;
	return err;
}

/*
 * Rebuilds the tree from the last segment (seeded by its SEGMENT_START) and
 * finds where its valid records end.
 */
static int scan_last_segment(struct ta_store *s, uint64_t seq, uint64_t *valid_end,
			     uint64_t *file_size, int *torn_reason)
{
	struct ta_segfile sf;
	int err = ta_segfile_open(s->dirfd, seq, &sf);
	if (err) {
		snprintf(open_error, sizeof(open_error), "cannot open segment %016llx: %s",
			 (unsigned long long)seq, strerror(-err));
		return err;
	}
	err = -EUCLEAN;
	if (sf.hdr_why) {
		snprintf(open_error, sizeof(open_error), "%s: %s; the log needs repair",
			 sf.name, sf.hdr_why);
		goto out;
	}
	uint64_t pos = TA_SEG_HDR_LEN;
	struct ta_rec_view v;
	int reason;
	const char *why;
	if (ta_rec_parse(sf.map + pos, sf.size - pos, sf.hdr.first_index, &v, &reason, &why) ||
	    v.h.type != TA_REC_SEGMENT_START || v.stored_len < sizeof(struct ta_rec_segment_start) ||
	    (v.h.flags & TA_RECF_ZSTD)) {
		snprintf(open_error, sizeof(open_error), "%s: first record is not a valid segment "
			 "start; the log needs repair", sf.name);
		goto out;
	}
	struct ta_rec_segment_start st;
	memcpy(&st, v.payload, sizeof(st));
	if (st.first_index != sf.hdr.first_index ||
	    v.stored_len != sizeof(st) + (size_t)st.n_hashes * TA_HASH_LEN ||
	    ta_crange_seed(&s->cr, st.first_index, v.payload + sizeof(st), st.n_hashes, NULL, NULL)) {
		snprintf(open_error, sizeof(open_error), "%s: segment start record inconsistent",
			 sf.name);
		goto out;
	}
	*torn_reason = TA_TORN_NONE;
	while (pos < sf.size) {
		if (ta_rec_parse(sf.map + pos, sf.size - pos, s->cr.size, &v, &reason, &why)) {
			*torn_reason = reason;
			break;
		}
		uint8_t leaf[TA_HASH_LEN];
		ta_hash_leaf(s->h, v.rec, v.h.len, leaf);
		ta_crange_append(s->h, &s->cr, leaf, NULL, NULL);
		pos += v.h.len;
	}
	*valid_end = pos;
	*file_size = sf.size;
	err = 0;
out:
	ta_segfile_close(&sf);
	return err;
}

static void remove_tmp_files(int dirfd)
{
	uint64_t *seqs;
	size_t n;
	/* Only "seg-<seq>.log.tmp" of the highest+1 seq can exist; try each seq + 1. */
	if (ta_list_segments(dirfd, &seqs, &n))
		return;
	char name[TA_SEG_NAME_MAX + 8];
	uint64_t next = n ? seqs[n - 1] + 1 : 0;
	ta_seg_name(name, next, TA_SEG_SUFFIX ".tmp");
	unlinkat(dirfd, name, 0);
	free(seqs);
}

static int open_inner(struct ta_store *s)
{
	int err;
	if (mkdir(s->dir, 0750) && errno != EEXIST) {
		err = -errno;
		snprintf(open_error, sizeof(open_error), "cannot create %s: %s", s->dir, strerror(-err));
		return err;
	}
	s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dirfd < 0) {
		err = -errno;
		snprintf(open_error, sizeof(open_error), "cannot open %s: %s", s->dir, strerror(-err));
		return err;
	}
	s->lockfd = openat(s->dirfd, TA_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		snprintf(open_error, sizeof(open_error), "cannot lock %s: %s", s->dir,
			 err == -EBUSY ? "another writer has it open" : strerror(-err));
		return err;
	}
	remove_tmp_files(s->dirfd);
	if ((err = ta_hasher_new(&s->h)))
		return err;
	s->zc = ta_store_new_cctx(&s->o);
	if (!s->zc)
		return -ENOMEM;

	char keypath[4096];
	if (s->o.key_file)
		snprintf(keypath, sizeof(keypath), "%s", s->o.key_file);
	else
		snprintf(keypath, sizeof(keypath), "%s/ttyaudit.key", s->dir);
	err = ta_signer_load_or_create(keypath, s->origin, &s->signer);
	if (err == -EISDIR || err == -ENOKEY || err == -EINVAL || err == -EKEYREVOKED) {
		snprintf(open_error, sizeof(open_error), "the signing key file %.300s %s", keypath,
			 err == -EISDIR ? "is not a regular file" :
			 err == -EKEYREVOKED ? "is encrypted: no passphrase can be asked for; keep "
					       "the key unencrypted, readable by root alone" :
			 "is not a signing key (expected a PRIVATE+KEY+ line or an Ed25519 PEM key)");
		return -ENOKEY;
	}
	if (err) {
		snprintf(open_error, sizeof(open_error), "cannot load or create the signing key %.300s: %s",
			 keypath, strerror(-err));
		return err;
	}
	/* No origin given: the log keeps the one its key was created with. */
	if (!s->o.origin)
		snprintf(s->origin, sizeof(s->origin), "%s", ta_signer_name(s->signer));
	if ((err = check_vkey_file(s))) {
		if (err != -EKEYREJECTED)
			snprintf(open_error, sizeof(open_error), "cannot write %s: %s", TA_VKEY_NAME,
				 strerror(-err));
		return err;
	}

	uint64_t *seqs;
	size_t n;
	if ((err = ta_list_segments(s->dirfd, &seqs, &n)))
		return err;
	if (!n) {
		free(seqs);
		ta_crange_init(&s->cr);
		err = create_segment(s, 0, TA_SEQ_NONE, 0, NULL);
	} else {
		uint64_t last = seqs[n - 1], end, size;
		int reason;
		free(seqs);
		err = scan_last_segment(s, last, &end, &size, &reason);
		if (err)
			return err;
		if ((err = check_checkpointed_intact(s, s->cr.size)))
			return err;
		struct ta_rec_recovery rec = {
			.version = TA_STORE_PAYLOAD_VERSION, .reason = (uint32_t)reason, .seq = last,
			.torn_offset = end, .torn_bytes = size - end, .next_index = s->cr.size,
		};
		err = create_segment(s, last + 1, last, end, end < size ? &rec : NULL);
	}
	if (err) {
		snprintf(open_error, sizeof(open_error), "%s", s->msg);
		return err;
	}
	s->retention_mono = ta_mono_ns() - RETENTION_PERIOD_NS;
	return write_checkpoint(s, NULL);
}

int ta_store_open(struct ta_store **out, const struct ta_store_opts *o)
{
	*out = NULL;
	open_error[0] = 0;
	if (!o || !o->dir)
		return -EINVAL;
	struct ta_store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	set_defaults(&s->o);
	s->dirfd = s->lockfd = s->segfd = s->ckptfd = -1;
	s->dir = strdup(o->dir);
	int origin_err = 0;
	if (o->origin) {
		size_t len = strlen(o->origin);
		/* The origin is the signing key's name: one a key and a note can hold, whole. */
		if (len >= sizeof(s->origin) || len >= TA_KEY_NAME_MAX ||
		    !ta_note_name_valid(o->origin, len)) {
			snprintf(open_error, sizeof(open_error), "the log's origin cannot name its signing "
				 "key: 1 to %d bytes of UTF-8 without spaces, '+', control or invisible "
				 "characters", TA_KEY_NAME_MAX - 1);
			origin_err = -EINVAL;
		} else {
			memcpy(s->origin, o->origin, len + 1);
		}
	} else {
		/*
		 * An origin names one log (C2SP): the host, and a random id so two
		 * logs on one host never vouch for each other's checkpoints.
		 */
		char host[200] = "localhost";
		uint32_t id = 0;

		gethostname(host, sizeof(host) - 1);
		host[sizeof(host) - 1] = 0;
		if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
			id = (uint32_t)ta_mono_ns() ^ (uint32_t)getpid();
		snprintf(s->origin, sizeof(s->origin), "%s/ttyaudit/%08x", host, id);
		/* A host name no key can take (sethostname takes any bytes): the id alone. */
		if (!ta_note_name_valid(s->origin, strlen(s->origin)))
			snprintf(s->origin, sizeof(s->origin), "localhost/ttyaudit/%08x", id);
	}
	s->o.dir = s->dir;
	int err = origin_err ? origin_err : s->dir ? open_inner(s) : -ENOMEM;
	if (err) {
		if (!open_error[0])
			snprintf(open_error, sizeof(open_error), "cannot open the log in %s: %s",
				 o->dir, strerror(-err));
		s->broken = 1; /* close must not write */
		ta_store_close(s);
		return err;
	}
	s->o.dir = s->dir;
	s->o.origin = s->origin;
	*out = s;
	return 0;
}

int ta_store_close(struct ta_store *s)
{
	if (!s)
		return 0;
	int err = 0;
	if (!s->broken && s->segfd >= 0) {
		if (s->cr.size != s->ckpt_size || s->pending || s->buf_len)
			err = ta_store_checkpoint(s, NULL);
	}
	if (s->segfd >= 0)
		close(s->segfd);
	if (s->ckptfd >= 0)
		close(s->ckptfd);
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	ta_signer_free(s->signer);
	ta_hasher_free(s->h);
	ZSTD_freeCCtx(s->zc);
	ta_store_batch_free(s->batch);
	free(s->buf);
	free(s->dir);
	free(s);
	return err;
}

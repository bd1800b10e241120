// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Retention: deletes whole sealed segments (oldest first) above the size or
 * age limit. Before deleting, a durable TA_REC_RETENTION record keeps what the
 * rest of the log needs: the compact range at the first kept record (so the
 * tree, checkpoints and proofs of newer records still verify) and the last
 * checkpoint note of the deleted range.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/ckptset.h"
#include "store/format.h"
#include "store/segfile.h"
#include "store/store_internal.h"

static uint64_t file_size_at(int dirfd, uint64_t seq, const char *suffix)
{
	char name[TA_SEG_NAME_MAX];
	struct stat st;
	ta_seg_name(name, seq, suffix);
	return fstatat(dirfd, name, &st, 0) ? 0 : (uint64_t)st.st_size;
}

struct last_note {
	char *note;
	size_t len;
	uint64_t limit;
};

static int keep_last(void *ctx, uint64_t offset, const char *note, size_t len)
{
	struct last_note *ln = ctx;
	struct ta_checkpoint cp;
	size_t tlen = len;
	const char *blank = memmem(note, len, "\n\n", 2);
	if (blank)
		tlen = (size_t)(blank - note) + 1;
	if (ta_checkpoint_parse(note, tlen, &cp) || cp.size > ln->limit)
		return 0;
	char *c = strndup(note, len);
	if (!c)
		return -ENOMEM;
	free(ln->note);
	ln->note = c;
	ln->len = len;
	return 0;
}

static int delete_file(int dirfd, uint64_t seq, const char *suffix)
{
	char name[TA_SEG_NAME_MAX];
	ta_seg_name(name, seq, suffix);
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int err = ta_get_append_only(fd) == 1 ? ta_set_append_only(fd, 0) : 0;
	close(fd);
	if (err)
		return err;
	if (unlinkat(dirfd, name, 0) && errno != ENOENT)
		return -errno;
	return 0;
}

int ta_store_retention(struct ta_store *s, uint64_t now_real)
{
	if (!s->o.retain_max_bytes && !s->o.retain_max_age_s)
		return 0;
	if (s->broken)
		return -EIO;
	uint64_t *seqs;
	size_t n;
	int err = ta_list_segments(s->dirfd, &seqs, &n);
	if (err)
		return err;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += file_size_at(s->dirfd, seqs[i], TA_SEG_SUFFIX) +
			 file_size_at(s->dirfd, seqs[i], TA_CKPT_SUFFIX);
	total += s->buf_len;

	/* Oldest segments to delete: never the current one, only a contiguous prefix. */
	size_t k = 0;
	uint32_t reason = 0;
	uint64_t bytes = 0;
	while (k + 1 < n && seqs[k] != s->seq && seqs[k + 1] == seqs[k] + 1) {
		uint32_t why = 0;
		if (s->o.retain_max_bytes && total > s->o.retain_max_bytes)
			why |= TA_RETAIN_SIZE;
		if (s->o.retain_max_age_s) {
			struct ta_segfile nf;
			/* A segment was sealed when the next one was created. */
			if (!ta_segfile_open(s->dirfd, seqs[k + 1], &nf)) {
				if (!nf.hdr_why && now_real > nf.hdr.created_ns &&
				    now_real - nf.hdr.created_ns >= (uint64_t)s->o.retain_max_age_s * 1000000000ull)
					why |= TA_RETAIN_AGE;
				ta_segfile_close(&nf);
			}
		}
		if (!why)
			break;
		uint64_t b = file_size_at(s->dirfd, seqs[k], TA_SEG_SUFFIX) +
			     file_size_at(s->dirfd, seqs[k], TA_CKPT_SUFFIX);
		total -= b < total ? b : total;
		bytes += b;
		reason |= why;
		k++;
	}
	if (!k) {
		free(seqs);
		return 0;
	}

	/* The first kept segment's start record holds the compact range at its first index. */
	struct ta_segfile kf, ff;
	err = ta_segfile_open(s->dirfd, seqs[k], &kf);
	if (err) {
		free(seqs);
		return err;
	}
	struct ta_rec_view v;
	int rsn;
	const char *why;
	struct ta_rec_segment_start st;
	if (kf.hdr_why ||
	    ta_rec_parse(kf.map + TA_SEG_HDR_LEN, kf.size - TA_SEG_HDR_LEN, kf.hdr.first_index, &v,
			 &rsn, &why) ||
	    v.h.type != TA_REC_SEGMENT_START || v.stored_len < sizeof(st)) {
		ta_segfile_close(&kf);
		free(seqs);
		ta_store_set_msg(s, "retention: segment %016llx has no valid start record",
				 (unsigned long long)seqs[k]);
		return -EUCLEAN;
	}
	memcpy(&st, v.payload, sizeof(st));
	size_t hlen = (size_t)st.n_hashes * TA_HASH_LEN;
	if (v.stored_len != sizeof(st) + hlen) {
		ta_segfile_close(&kf);
		free(seqs);
		return -EUCLEAN;
	}
	struct last_note ln = { .limit = st.first_index };
	for (size_t i = 0; i < k; i++) {
		char name[TA_SEG_NAME_MAX];
		char *buf;
		size_t len;
		uint64_t torn, bad;
		ta_seg_name(name, seqs[i], TA_CKPT_SUFFIX);
		if (!ta_ckpt_file_read(s->dirfd, name, &buf, &len)) {
			ta_ckpt_split(buf, len, keep_last, &ln, &torn, &bad);
			free(buf);
		}
	}
	uint64_t first_index = 0;
	if (!ta_segfile_open(s->dirfd, seqs[0], &ff)) {
		if (!ff.hdr_why)
			first_index = ff.hdr.first_index;
		ta_segfile_close(&ff);
	}
	struct ta_rec_retention rt = {
		.version = TA_STORE_PAYLOAD_VERSION, .reason = reason, .first_seq = seqs[0],
		.last_seq = seqs[k - 1], .first_index = first_index, .end_index = st.first_index,
		.bytes = bytes, .n_hashes = st.n_hashes, .note_len = (uint32_t)ln.len,
	};
	size_t plen = sizeof(rt) + hlen + ln.len;
	uint8_t *p = malloc(plen);
	if (!p) {
		ta_segfile_close(&kf);
		free(seqs);
		free(ln.note);
		return -ENOMEM;
	}
	memcpy(p, &rt, sizeof(rt));
	memcpy(p + sizeof(rt), v.payload + sizeof(st), hlen);
	if (ln.len)
		memcpy(p + sizeof(rt) + hlen, ln.note, ln.len);
	ta_segfile_close(&kf);
	free(ln.note);

	/*
	 * The record must be durable, and signed, before anything is deleted: a
	 * verifier trusts only a retention record some signed checkpoint covers.
	 */
	err = ta_store_append_internal(s, TA_REC_RETENTION, now_real, p, plen, NULL);
	free(p);
	if (!err)
		err = ta_store_checkpoint(s, NULL);
	for (size_t i = 0; !err && i < k; i++) {
		err = delete_file(s->dirfd, seqs[i], TA_SEG_SUFFIX);
		if (!err)
			err = delete_file(s->dirfd, seqs[i], TA_CKPT_SUFFIX);
		if (err)
			ta_store_set_msg(s, "retention: cannot delete segment %016llx: %s",
					 (unsigned long long)seqs[i], strerror(-err));
	}
	fsync(s->dirfd);
	free(seqs);
	if (err)
		return err;
	s->st.segments_deleted += k;
	return (int)k;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading a log past damage (walk.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/walk.h"
#include "base/fs.h"
#include "store/ckptset.h"
#include "store/segfile.h"

/* The directory lists, and the first segment opens: we may read the log. */
int ta_walk_access(const char *dir)
{
	int err, dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0)
		return -errno;
	uint64_t *seqs = NULL;
	size_t n = 0;
	err = ta_list_segments(dfd, &seqs, &n);
	if (!err && !n) {
		/* Checkpoints without segments are a log whose segments are gone: damage, not none. */
		free(seqs);
		seqs = NULL;
		err = ta_list_seq_files(dfd, TA_CKPT_SUFFIX, &seqs, &n);
		if (!err && !n)
			err = -ENODATA;
		n = 0;
	}
	if (!err && n) {
		char name[TA_SEG_NAME_MAX];
		ta_seg_name(name, seqs[0], TA_SEG_SUFFIX);
		int fd = ta_open_regular_at(dfd, name, NULL);
		if (fd == -EACCES || fd == -EPERM)
			err = fd;
		if (fd >= 0)
			close(fd);
	}
	free(seqs);
	close(dfd);
	return err;
}

int ta_walk_open(struct ta_walk *w, const char *dir, unsigned flags)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->flags = flags;
	w->resumed_at = UINT64_MAX;
	w->next_index = UINT64_MAX;
	w->dir = strdup(dir);
	if (!w->dir)
		return -ENOMEM;
	/* Opening the directory alone does not prove we may read the segments. */
	err = ta_walk_access(dir);
	if (err)
		goto fail;
	err = ta_log_reader_open_flags(&w->r, dir, flags);
	if (err)
		goto fail;
	return 0;
fail:
	free(w->dir);
	w->dir = NULL;
	return err;
}

void ta_walk_close(struct ta_walk *w)
{
	if (w->r)
		ta_log_reader_close(w->r);
	free(w->dir);
	memset(w, 0, sizeof(*w));
}

int ta_walk_seek(struct ta_walk *w, uint64_t index)
{
	w->next_index = UINT64_MAX;
	return ta_log_reader_seek(w->r, index);
}

/*
 * First index of the first intact segment from seq on (after seq unless
 * `from_seq`), or UINT64_MAX; *found_seq is that segment, *prev_seq the
 * segment file present before seq (UINT64_MAX: none).
 */
static uint64_t next_segment_start(const char *dir, uint64_t seq, int from_seq,
				   uint64_t *found_seq, uint64_t *prev_seq)
{
	uint64_t *seqs = NULL, res = UINT64_MAX;
	size_t n = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*prev_seq = UINT64_MAX;
	if (dfd < 0)
		return UINT64_MAX;
	if (!ta_list_segments(dfd, &seqs, &n)) {
		for (size_t i = 0; i < n && res == UINT64_MAX; i++) {
			struct ta_segfile sf;
			if (seqs[i] < seq)
				*prev_seq = seqs[i];
			if (seqs[i] < seq || (seqs[i] == seq && !from_seq))
				continue;
			memset(&sf, 0, sizeof(sf));
			sf.fd = -1;
			if (ta_segfile_open(dfd, seqs[i], &sf))
				continue;
			if (!sf.hdr_why && sf.hdr.seq == seqs[i]) {
				res = sf.hdr.first_index;
				*found_seq = seqs[i];
			}
			ta_segfile_close(&sf);
		}
	}
	free(seqs);
	close(dfd);
	return res;
}

/*
 * Whether record `end` is there now: a live log grows while it is read, and a
 * checkpoint read after the segments may cover records written after them.
 * The writer puts records in the file before it signs them, so a checkpoint
 * read before this look has every record it covers in the files now.
 */
static int log_grew(const struct ta_walk *w, uint64_t end)
{
	struct ta_log_reader *r;
	struct ta_log_record rec;
	int grew = 0;

	if (ta_log_reader_open_flags(&r, w->dir, w->flags))
		return 0;
	grew = !ta_log_reader_seek(r, end) && ta_log_reader_next(r, &rec) > 0;
	ta_log_reader_close(r);
	return grew;
}

/*
 * A torn tail ends a log harmlessly only if nobody signed what it cut off: a
 * checkpoint larger than what is left means checkpointed records are gone.
 */
static int signed_records_cut(struct ta_walk *w)
{
	const struct ta_log_error *t = ta_log_reader_torn(w->r);
	uint64_t signed_size = 0;
	char msg[256] = "";
	int dfd;

	/*
	 * No torn tail: the log may still end short of its checkpoint (the last
	 * segment files deleted, or cut at a record boundary).
	 */
	if (!t && w->next_index == UINT64_MAX)
		return 0;
	dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0;
	/* Damaged checkpoint files are verify's to report; here only their sizes count. */
	if (ta_ckpt_signed_size(dfd, NULL, &signed_size, msg, sizeof(msg)))
		signed_size = 0;
	uint64_t end = t ? t->index : w->next_index;
	if (signed_size <= end || log_grew(w, end)) {
		close(dfd);
		return 0;
	}
	if (t) {
		w->last = *t;
	} else {
		struct stat st;

		/* Where the log ends: the end of the last segment file read. */
		memset(&w->last, 0, sizeof(w->last));
		w->last.segment_seq = w->last_seq;
		ta_seg_name(w->last.segment_name, w->last_seq, TA_SEG_SUFFIX);
		if (!fstatat(dfd, w->last.segment_name, &st, 0))
			w->last.offset = (uint64_t)st.st_size;
		w->last.index = end;
	}
	close(dfd);
	w->last.code = -EBADMSG;
	snprintf(w->last.what, sizeof(w->last.what), "the log ends %llu records short of its "
		 "signed checkpoint of %llu records (%s)", (unsigned long long)(signed_size - end),
		 (unsigned long long)signed_size, t ? "a torn tail cut into checkpointed records" :
		 "the segment files that held them are missing or cut");
	w->damaged++;
	w->skipped_from = end;
	w->resumed_at = UINT64_MAX;
	w->missing_seq_from = w->missing_seq_to = UINT64_MAX;
	return 1;
}

int ta_walk_next(struct ta_walk *w, struct ta_log_record *rec)
{
	int n;

	if (w->ended)
		return TA_WALK_END;
	n = ta_log_reader_next(w->r, rec);

	if (n == 0 && signed_records_cut(w)) {
		w->ended = 1;
		return TA_WALK_DAMAGE;
	}
	if (n > 0) {
		w->next_index = rec->index + 1;
		w->last_seq = rec->segment_seq;
	}
	if (n >= 0)
		return n ? TA_WALK_RECORD : TA_WALK_END;
	if (n != -EBADMSG && n != -EIO && n != -ENOENT)
		return n;
	/* Damage: note it, then resume at the next intact segment. */
	w->last = *ta_log_reader_error(w->r);
	if (!w->last.code)
		w->last.code = n;
	w->damaged++;
	w->skipped_from = w->last.index;
	w->resumed_at = UINT64_MAX;
	w->missing_seq_from = w->missing_seq_to = UINT64_MAX;
	uint64_t seq = w->last.segment_seq, found = UINT64_MAX, prev = UINT64_MAX;
	/*
	 * The segment where reading stopped may itself be intact but start later
	 * than the records read so far: the files between are missing. Name
	 * them, and go on with that segment.
	 */
	uint64_t here = next_segment_start(w->dir, seq, 1, &found, &prev);
	if (here != UINT64_MAX && found == seq && here > w->last.index &&
	    !ta_log_reader_seek(w->r, here)) {
		w->resumed_at = here;
		w->missing_seq_from = prev == UINT64_MAX ? 0 : prev + 1;
		w->missing_seq_to = seq - 1;
		return TA_WALK_DAMAGE;
	}
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t start = next_segment_start(w->dir, seq, 0, &found, &prev);
		if (start == UINT64_MAX)
			break;
		if (!ta_log_reader_seek(w->r, start)) {
			w->resumed_at = start;
			break;
		}
		/* That segment did not open either: look further. */
		const struct ta_log_error *e = ta_log_reader_error(w->r);
		if (e->segment_seq <= seq)
			break;
		seq = e->segment_seq;
	}
	if (w->resumed_at == UINT64_MAX)
		w->ended = 1; /* nothing intact after the damage */
	return TA_WALK_DAMAGE;
}

void ta_walk_describe(const struct ta_walk *w, char *out, size_t cap)
{
	const struct ta_log_error *e = &w->last;

	if (w->missing_seq_from != UINT64_MAX && w->missing_seq_from <= w->missing_seq_to) {
		char a[TA_SEG_NAME_MAX], b[TA_SEG_NAME_MAX];

		ta_seg_name(a, w->missing_seq_from, TA_SEG_SUFFIX);
		ta_seg_name(b, w->missing_seq_to, TA_SEG_SUFFIX);
		if (w->missing_seq_from == w->missing_seq_to)
			snprintf(out, cap, "DAMAGED LOG: segment file %s is missing; records %llu..%llu "
				 "not shown (reading goes on at %s)", a, (unsigned long long)e->index,
				 (unsigned long long)(w->resumed_at - 1),
				 e->segment_name[0] ? e->segment_name : "?");
		else
			snprintf(out, cap, "DAMAGED LOG: segment files %s to %s are missing; records "
				 "%llu..%llu not shown (reading goes on at %s)", a, b,
				 (unsigned long long)e->index, (unsigned long long)(w->resumed_at - 1),
				 e->segment_name[0] ? e->segment_name : "?");
		return;
	}
	if (w->resumed_at != UINT64_MAX)
		snprintf(out, cap, "DAMAGED LOG: %s offset %llu (record %llu): %s; records %llu..%llu not shown",
			 e->segment_name[0] ? e->segment_name : "?", (unsigned long long)e->offset,
			 (unsigned long long)e->index, e->what[0] ? e->what : strerror(-e->code),
			 (unsigned long long)e->index, (unsigned long long)(w->resumed_at - 1));
	else
		snprintf(out, cap, "DAMAGED LOG: %s offset %llu (record %llu): %s; nothing after it could be read",
			 e->segment_name[0] ? e->segment_name : "?", (unsigned long long)e->offset,
			 (unsigned long long)e->index, e->what[0] ? e->what : strerror(-e->code));
}

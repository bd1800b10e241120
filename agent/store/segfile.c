// SPDX-License-Identifier: GPL-2.0-or-later
/* Segment files: listing, read-only mapping, record decoding, append-only flag. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fs.h"
#include "ttyaudit/record.h"
#include "store/crc32c.h"
#include "store/segfile.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int ta_list_segments(int dirfd, uint64_t **seqs, size_t *n)
{
	return ta_list_seq_files(dirfd, TA_SEG_SUFFIX, seqs, n);
}

int ta_list_seq_files(int dirfd, const char *suffix, uint64_t **seqs, size_t *n)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	struct ta_buf list; /* of uint64_t */
	struct dirent *de;
	ta_buf_init(&list);
	ta_buf_reserve(&list, 16 * sizeof(uint64_t));
	while (!list.oom && (de = readdir(d))) {
		uint64_t seq;
		if (ta_seg_name_parse(de->d_name, suffix, &seq))
			ta_buf_put(&list, &seq, sizeof(seq));
	}
	closedir(d);
	if (list.oom) {
		ta_buf_free(&list);
		return -ENOMEM;
	}
	uint64_t *v = (uint64_t *)list.p;
	size_t cnt = list.len / sizeof(*v);
	if (v)
		qsort(v, cnt, sizeof(*v), cmp_u64);
	*seqs = v;
	*n = cnt;
	return 0;
}

int ta_segfile_open(int dirfd, uint64_t seq, struct ta_segfile *sf)
{
	return ta_segfile_open_flags(dirfd, seq, sf, TA_SEGFILE_POPULATE);
}

int ta_segfile_open_flags(int dirfd, uint64_t seq, struct ta_segfile *sf, unsigned flags)
{
	memset(sf, 0, sizeof(*sf));
	sf->fd = -1;
	sf->seq = seq;
	ta_seg_name(sf->name, seq, TA_SEG_SUFFIX);
	struct stat st;
	int fd = ta_open_regular_at(dirfd, sf->name, &st);
	if (fd < 0)
		return fd;
	sf->fd = fd;
	sf->size = (uint64_t)st.st_size;
	if (sf->size) {
		void *m = mmap(NULL, sf->size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			int e = -errno;
			close(fd);
			sf->fd = -1;
			return e;
		}
		madvise(m, sf->size, MADV_SEQUENTIAL);
		sf->map = m;
		if (flags & TA_SEGFILE_POPULATE)
			ta_segfile_populate(sf, 1);
	}
	if (ta_seg_header_decode(sf->map, sf->size, &sf->hdr, &sf->hdr_why) == 0)
		sf->hdr_why = NULL;
	return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif
#define POPULATE_WINDOW (64ull << 20)

void ta_segfile_populate(struct ta_segfile *sf, uint64_t upto)
{
	/*
	 * Populated ahead of the reader: faulting 4 KiB at a time halves verify
	 * throughput. A window at a time, never the whole file up front: a sparse
	 * segment of any apparent size would cost that much time and memory.
	 */
	if (!sf->map || upto <= sf->populated || sf->populated >= sf->size)
		return;
	uint64_t end = sf->populated + POPULATE_WINDOW;
	if (end < upto)
		end = upto;
	if (end > sf->size)
		end = sf->size;
	/* An older kernel without it faults the pages in as they are read. */
	madvise((void *)(sf->map + sf->populated), end - sf->populated, MADV_POPULATE_READ);
	sf->populated = end;
}

void ta_segfile_close(struct ta_segfile *sf)
{
	if (sf->map)
		munmap((void *)sf->map, sf->size);
	if (sf->fd >= 0)
		close(sf->fd);
	sf->map = NULL;
	sf->fd = -1;
}

const char ta_rec_zeros_why[] = "zeros after the last record, more than one write can leave "
				"(not a torn tail)";

static int all_zero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

int ta_rec_parse(const uint8_t *p, uint64_t avail, uint64_t expect_index, struct ta_rec_view *v,
		 int *reason, const char **why)
{
	return ta_rec_parse_flags(p, avail, expect_index, v, reason, why, 0);
}

/*
 * A record that does not decode at p, avail bytes before the end: a torn tail
 * (reason) only if one write can have left them all. Longer is damage: the
 * writer writes at most TA_TORN_TAIL_MAX bytes at a time (docs/log-format.md §4).
 */
static int torn(uint64_t avail, int reason, const char *what, const char *what_long, int *reason_out,
		const char **why)
{
	int damage = avail > TA_TORN_TAIL_MAX;
	*reason_out = damage ? TA_BAD_RECORD : reason;
	*why = damage ? what_long : what;
	return -EBADMSG;
}

#define NOT_TORN ", and more bytes follow than one write can leave (not a torn tail)"
#define BAD_LEN "bad record length"
#define BAD_CRC "record CRC mismatch"

int ta_rec_parse_flags(const uint8_t *p, uint64_t avail, uint64_t expect_index, struct ta_rec_view *v,
		       int *reason, const char **why, unsigned flags)
{
	if (avail < TA_REC_OVERHEAD || ta_get32(p) == 0) {
		/* Read no further than a torn write can reach: the file may be sparse and huge. */
		if (avail > TA_TORN_TAIL_MAX && all_zero(p, TA_TORN_TAIL_MAX)) {
			*reason = TA_BAD_RECORD;
			*why = ta_rec_zeros_why;
			return -EBADMSG;
		}
		if (avail <= TA_TORN_TAIL_MAX && all_zero(p, avail)) {
			*reason = TA_TORN_ZEROES;
			*why = "zero bytes instead of a record";
			return -EBADMSG;
		}
		if (avail < 4 || (ta_get32(p) >= TA_REC_OVERHEAD && ta_get32(p) > avail)) {
			*reason = TA_TORN_INCOMPLETE;
			*why = "record incomplete at end of data";
			return -EBADMSG;
		}
		return torn(avail, TA_TORN_BAD_HEADER, BAD_LEN, BAD_LEN NOT_TORN, reason, why);
	}
	uint32_t len = ta_get32(p);
	if (len < TA_REC_OVERHEAD || len > TA_REC_OVERHEAD + TA_REC_MAX_PAYLOAD)
		return torn(avail, TA_TORN_BAD_HEADER, BAD_LEN, BAD_LEN NOT_TORN, reason, why);
	if (len > avail) {
		/* len <= TA_TORN_TAIL_MAX here: always within one write of the end. */
		*reason = TA_TORN_INCOMPLETE;
		*why = "record incomplete at end of data";
		return -EBADMSG;
	}
	if (!(flags & TA_REC_PARSE_NO_CRC) && !ta_rec_crc_ok(p, len))
		return torn(avail, TA_TORN_CHECKSUM, BAD_CRC, BAD_CRC NOT_TORN, reason, why);
	ta_rec_header_decode(p, &v->h);
	v->rec = p;
	v->payload = p + TA_REC_HDR_LEN;
	v->stored_len = len - TA_REC_OVERHEAD;
	*reason = TA_BAD_RECORD;
	if (v->h.version != TA_REC_VERSION) {
		*why = "unsupported record version";
		return -EBADMSG;
	}
	if (v->h.flags & ~TA_RECF_KNOWN) {
		*why = "unknown record flags";
		return -EBADMSG;
	}
	if (v->h.flags & TA_RECF_ZSTD) {
		if (v->h.raw_len > TA_REC_MAX_PAYLOAD || v->stored_len >= v->h.raw_len) {
			*why = "bad compressed length";
			return -EBADMSG;
		}
	} else if (v->h.raw_len != v->stored_len) {
		*why = "raw length differs from stored length";
		return -EBADMSG;
	}
	if (expect_index != UINT64_MAX && v->h.index != expect_index) {
		*why = "record index out of sequence";
		return -EBADMSG;
	}
	*reason = TA_TORN_NONE;
	return 0;
}

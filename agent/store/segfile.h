/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Read side of segment files: list the segments of a directory, map one
 * read-only, and decode the record at an offset with the reason it is bad
 * (torn or corrupt) when it is. Also the FS_APPEND_FL helper.
 */
#ifndef TA_STORE_SEGFILE_H
#define TA_STORE_SEGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "store/crc32c.h"
#include "store/format.h"

struct ta_segfile {
	char name[TA_SEG_NAME_MAX];
	uint64_t seq;
	int fd;
	const uint8_t *map;
	uint64_t size;
	struct ta_seg_header hdr;
	const char *hdr_why;  /* NULL if the header decoded */
	uint64_t populated;   /* bytes from 0 whose pages were populated (TA_SEGFILE_POPULATE) */
};

/* Listing the segments: store/log_dir.h. */
int ta_segfile_open(int dirfd, uint64_t seq, struct ta_segfile *sf);
/*
 * The same; without TA_SEGFILE_POPULATE pages are mapped as they are touched:
 * a reader that seeks to a few records of a large segment does not map it all.
 */
#define TA_SEGFILE_POPULATE 1u
int ta_segfile_open_flags(int dirfd, uint64_t seq, struct ta_segfile *sf, unsigned flags);
/*
 * With TA_SEGFILE_POPULATE, only the first window is populated at open: a
 * reader going through the file calls this with how far it reads next, and
 * the pages are populated a window at a time (a file's apparent size, sparse
 * or not, costs nothing past what is read).
 */
void ta_segfile_populate(struct ta_segfile *sf, uint64_t upto);
void ta_segfile_close(struct ta_segfile *sf);

struct ta_rec_view {
	struct ta_rec_header h;
	const uint8_t *rec;       /* the stored record bytes (h.len of them) */
	const uint8_t *payload;   /* stored payload */
	uint32_t stored_len;
};

/*
 * Decodes the record at p with avail bytes before the end of valid data.
 * expect_index is checked unless UINT64_MAX. Returns 0, or -EBADMSG with
 * *reason (enum ta_torn_reason) and *why (static text). A record that does not
 * decode is a torn tail (TA_TORN_*) only within TA_TORN_TAIL_MAX of the end,
 * what one write leaves; further from it, TA_BAD_RECORD: zeros there have
 * *why ta_rec_zeros_why (only that much is read).
 */
extern const char ta_rec_zeros_why[];
int ta_rec_parse(const uint8_t *p, uint64_t avail, uint64_t expect_index, struct ta_rec_view *v,
		 int *reason, const char **why);
/*
 * The same; TA_REC_PARSE_NO_CRC leaves the CRC to the caller (verify checks it after
 * hashing, while the record is in the cache), who must call ta_rec_parse on a record
 * whose CRC fails to learn why it is bad: a CRC mismatch outranks the other faults.
 */
#define TA_REC_PARSE_NO_CRC 1u
int ta_rec_parse_flags(const uint8_t *p, uint64_t avail, uint64_t expect_index, struct ta_rec_view *v,
		       int *reason, const char **why, unsigned flags);
/* Whether the CRC32C trailer of the len-byte record at p matches (len >= TA_REC_OVERHEAD). */
static inline int ta_rec_crc_ok(const uint8_t *p, uint32_t len)
{
	return ta_crc32c(0, p, len - 4) == ta_get32(p + len - 4);
}

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Encoding and decoding of segment headers, record headers and file names. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/crc32c.h"
#include "store/format.h"
#include "store/store.h"

void ta_seg_header_encode(uint8_t out[TA_SEG_HDR_LEN], const struct ta_seg_header *h)
{
	memset(out, 0, TA_SEG_HDR_LEN);
	memcpy(out, TA_SEG_MAGIC, TA_SEG_MAGIC_LEN);
	ta_put32(out + 8, TA_SEG_VERSION);
	ta_put32(out + 12, TA_SEG_HDR_LEN);
	ta_put64(out + 16, h->seq);
	ta_put64(out + 24, h->first_index);
	ta_put64(out + 32, h->prev_seq);
	ta_put64(out + 40, h->prev_end);
	ta_put64(out + 48, h->created_ns);
	ta_put32(out + 56, h->flags);
	ta_put32(out + 60, ta_crc32c(0, out, 60));
}

int ta_seg_header_decode(const uint8_t *p, size_t avail, struct ta_seg_header *h,
			 const char **why)
{
	if (avail < TA_SEG_HDR_LEN) {
		*why = "file shorter than the segment header";
		return -EBADMSG;
	}
	if (memcmp(p, TA_SEG_MAGIC, TA_SEG_MAGIC_LEN)) {
		*why = "bad segment magic";
		return -EBADMSG;
	}
	if (ta_get32(p + 60) != ta_crc32c(0, p, 60)) {
		*why = "segment header CRC mismatch";
		return -EBADMSG;
	}
	h->version = ta_get32(p + 8);
	h->header_len = ta_get32(p + 12);
	if (h->version != TA_SEG_VERSION || h->header_len != TA_SEG_HDR_LEN) {
		*why = "unsupported segment version";
		return -EBADMSG;
	}
	h->seq = ta_get64(p + 16);
	h->first_index = ta_get64(p + 24);
	h->prev_seq = ta_get64(p + 32);
	h->prev_end = ta_get64(p + 40);
	h->created_ns = ta_get64(p + 48);
	h->flags = ta_get32(p + 56);
	if (h->flags) {
		*why = "unknown segment header flags";
		return -EBADMSG;
	}
	return 0;
}

void ta_rec_header_encode(uint8_t *p, const struct ta_rec_header *h)
{
	ta_put32(p, h->len);
	p[4] = h->version;
	p[5] = h->flags;
	ta_put16(p + 6, h->type);
	ta_put64(p + 8, h->index);
	ta_put64(p + 16, h->time_ns);
	ta_put64(p + 24, h->session);
	ta_put32(p + 32, h->raw_len);
}

void ta_rec_header_decode(const uint8_t *p, struct ta_rec_header *h)
{
	h->len = ta_get32(p);
	h->version = p[4];
	h->flags = p[5];
	h->type = ta_get16(p + 6);
	h->index = ta_get64(p + 8);
	h->time_ns = ta_get64(p + 16);
	h->session = ta_get64(p + 24);
	h->raw_len = ta_get32(p + 32);
}

void ta_seg_name(char out[TA_SEG_NAME_MAX], uint64_t seq, const char *suffix)
{
	snprintf(out, TA_SEG_NAME_MAX, TA_SEG_PREFIX "%016" PRIx64 "%s", seq, suffix);
}

int ta_seg_name_parse(const char *name, const char *suffix, uint64_t *seq)
{
	size_t pl = strlen(TA_SEG_PREFIX), sl = strlen(suffix);
	if (strlen(name) != pl + 16 + sl || strncmp(name, TA_SEG_PREFIX, pl) ||
	    strcmp(name + pl + 16, suffix))
		return 0;
	uint64_t v = 0;
	for (size_t i = pl; i < pl + 16; i++) {
		char c = name[i];
		int d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	*seq = v;
	return 1;
}

int ta_stored_record_parse(const void *rec, size_t len, struct ta_log_record *out)
{
	struct ta_rec_header h;

	if (len < TA_REC_OVERHEAD)
		return -EBADMSG;
	ta_rec_header_decode(rec, &h);
	if (h.len != len || h.version != TA_REC_VERSION)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	out->index = h.index;
	out->type = h.type;
	out->flags = h.flags;
	out->time_ns = h.time_ns;
	out->session = h.session;
	out->stored = rec;
	out->stored_len = len;
	return 0;
}

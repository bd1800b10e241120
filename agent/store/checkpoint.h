/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * C2SP tlog-checkpoint bodies ("<origin>\n<size>\n<base64 root>\n") and the
 * checkpoint files of the log directory: each seg-<seq>.ckpt holds the signed
 * notes made while that segment was current, each followed by one empty line.
 */
#ifndef TA_STORE_CHECKPOINT_H
#define TA_STORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "store/merkle.h"

#define TA_ORIGIN_MAX 256

struct ta_checkpoint {
	char origin[TA_ORIGIN_MAX];
	uint64_t size;
	uint8_t root[TA_HASH_LEN];
};

/* Writes the body into out (cap bytes); returns its length or -ENAMETOOLONG. */
int ta_checkpoint_body(const char *origin, uint64_t size, const uint8_t root[TA_HASH_LEN],
		       char *out, size_t cap);
/*
 * Parses a note's text as c2sp.org/tlog-checkpoint: origin, size (decimal, no
 * leading zeroes), base64 root of 32 bytes, then any non-empty extension lines
 * (opaque: accepted, not interpreted). -EBADMSG, or -ENAMETOOLONG for an origin
 * of TA_ORIGIN_MAX bytes or more.
 */
int ta_checkpoint_parse(const char *text, size_t len, struct ta_checkpoint *cp);

/*
 * Splits a checkpoint file's contents into notes. For each complete entry
 * calls cb(ctx, offset, note, note_len); a non-zero return stops the walk and
 * is returned. An incomplete last entry (a torn write) is reported in
 * *torn_offset (else set to len); an entry that is malformed but followed by
 * more bytes returns -EBADMSG with *bad_offset.
 */
typedef int (*ta_note_cb)(void *ctx, uint64_t offset, const char *note, size_t len);
int ta_ckpt_split(const char *buf, size_t len, ta_note_cb cb, void *ctx, uint64_t *torn_offset,
		  uint64_t *bad_offset);

#endif

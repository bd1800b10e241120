/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building and reading TA_REC_TTY_DATA payloads (include/ttyaudit/log_records.h). */
#ifndef TA_LOGFMT_TTY_BATCH_H
#define TA_LOGFMT_TTY_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/log_records.h"

struct ta_batch_builder {
	struct ta_tty_batch hdr;
	uint8_t *buf;          /* header + entries */
	size_t len;
	size_t cap;
};

void ta_batch_init(struct ta_batch_builder *b);
void ta_batch_free(struct ta_batch_builder *b);
/* Start a new batch (drops any entries). */
void ta_batch_begin(struct ta_batch_builder *b, const struct ta_tty_id *tty, uint32_t ses,
		    uint32_t auid, uint64_t start_ns);
/* Append one entry; time_ns must not precede start_ns by the caller's clock. */
int ta_batch_add(struct ta_batch_builder *b, const struct ta_tty_entry *e, uint64_t time_ns,
		 const void *data);
/* The payload so far (header filled in); NULL if empty. */
const void *ta_batch_payload(struct ta_batch_builder *b, size_t *len);
static inline uint32_t ta_batch_entries(const struct ta_batch_builder *b)
{
	return b->hdr.n_entries;
}

/* The machine's termios c_oflag in the log's fixed bits (enum ta_oflag, TA_OF_KNOWN set). */
uint32_t ta_oflag_from_termios(uint32_t c_oflag);
/* The lower-case termios name of output mode bit i of enum ta_oflag ("onlcr"), NULL past them. */
const char *ta_oflag_name(unsigned i);

struct ta_batch_iter {
	struct ta_tty_batch hdr;
	const uint8_t *p;
	const uint8_t *end;
	uint32_t left;
};

/* 0 or -EBADMSG (too short, unknown version, counts that do not fit). Reads versions 1 and 2. */
int ta_batch_iter_init(struct ta_batch_iter *it, const void *payload, size_t len);
/* 1: an entry (data points into the payload), 0: end, -EBADMSG: malformed. */
int ta_batch_iter_next(struct ta_batch_iter *it, struct ta_tty_entry *e, const uint8_t **data);

#endif

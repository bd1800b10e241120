/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building and reading TA_REC_TTY_DATA payloads (include/ttyaudit/log_records.h). */
#ifndef TA_LOGFMT_TTY_BATCH_H
#define TA_LOGFMT_TTY_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "ttyaudit/log_records.h"

struct ta_batch_builder {
	struct ta_tty_batch hdr;
	union {
		struct ta_buf out;     /* header + entries, in the one growable buffer */
		struct {               /* the same fields by their old names */
			uint8_t *buf;
			size_t len;
			size_t cap;
		};
	};
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

/*
 * One entry as every reader of a batch wants it (the sink's index, the
 * transcript, follow): its time on the log's clock, its kind, its data, and
 * for a window-size entry the size decoded. The one place that knows how an
 * entry's time and a window size are encoded.
 */
struct ta_batch_item {
	uint64_t time_ns;          /* the batch's start_ns + the entry's delta */
	uint8_t kind;              /* enum ta_tty_entry_kind */
	const uint8_t *data;       /* into the payload, entry.len bytes */
	uint32_t len;
	uint16_t rows, cols;       /* TA_ENTRY_WINSIZE only, else 0 */
	uint16_t xpixel, ypixel;
	struct ta_tty_entry entry; /* the rest: source, flags, orig_len, pid, uid, comm, oflag */
};
/* As ta_batch_iter_next: 1 an item, 0 the end, -EBADMSG malformed. */
int ta_batch_next(struct ta_batch_iter *it, struct ta_batch_item *item);
/* The batch's terminal name, always NUL-terminated. */
void ta_batch_tty_name(const struct ta_batch_iter *it, char out[TA_TTY_NAME_LEN + 1]);

/* A window-size entry's data (TA_ENTRY_WINSIZE): 4 x uint16 rows, cols, xpixel, ypixel. */
#define TA_WINSIZE_DATA_LEN 8
void ta_batch_winsize_encode(uint8_t out[TA_WINSIZE_DATA_LEN], uint16_t rows, uint16_t cols,
			     uint16_t xpixel, uint16_t ypixel);

#endif

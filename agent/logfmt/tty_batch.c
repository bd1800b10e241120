// SPDX-License-Identifier: GPL-2.0-or-later
#include "logfmt/tty_batch.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

_Static_assert(offsetof(struct ta_batch_builder, buf) == offsetof(struct ta_batch_builder, out.p) &&
		       offsetof(struct ta_batch_builder, len) == offsetof(struct ta_batch_builder, out.len) &&
		       offsetof(struct ta_batch_builder, cap) == offsetof(struct ta_batch_builder, out.cap),
	       "the builder's fields are its ta_buf's");

void ta_batch_init(struct ta_batch_builder *b)
{
	memset(b, 0, sizeof(*b));
}

void ta_batch_free(struct ta_batch_builder *b)
{
	ta_buf_free(&b->out);
	memset(b, 0, sizeof(*b));
}

void ta_batch_begin(struct ta_batch_builder *b, const struct ta_tty_id *tty, uint32_t ses,
		    uint32_t auid, uint64_t start_ns)
{
	memset(&b->hdr, 0, sizeof(b->hdr));
	b->hdr.version = TA_TTY_BATCH_VERSION;
	b->hdr.start_ns = start_ns;
	b->hdr.tty = *tty;
	b->hdr.ses = ses;
	b->hdr.auid = auid;
	b->len = sizeof(b->hdr); /* room for it is made by the first entry */
	b->out.oom = false;      /* a new batch may try again after a failed allocation */
}

static int reserve(struct ta_batch_builder *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	/* A batch grows to 64 KiB: start at 4 KiB rather than the buffer's 256 bytes. */
	if (!b->cap && b->len + more < 4096)
		more = 4096 - b->len;
	return ta_buf_grow(&b->out, more);
}

int ta_batch_add(struct ta_batch_builder *b, const struct ta_tty_entry *e, uint64_t time_ns,
		 const void *data)
{
	struct ta_tty_entry copy = *e;
	uint64_t delta = time_ns > b->hdr.start_ns ? (time_ns - b->hdr.start_ns) / 1000 : 0;

	if (delta > UINT32_MAX)
		return -ERANGE;
	if (reserve(b, sizeof(copy) + e->len))
		return -ENOMEM;
	copy.delta_us = (uint32_t)delta;
	copy.reserved = 0;
	memcpy(b->buf + b->len, &copy, sizeof(copy));
	b->len += sizeof(copy);
	if (e->len) {
		memcpy(b->buf + b->len, data, e->len);
		b->len += e->len;
	}
	b->hdr.n_entries++;
	return 0;
}

const void *ta_batch_payload(struct ta_batch_builder *b, size_t *len)
{
	if (!b->hdr.n_entries || !b->buf)
		return NULL;
	memcpy(b->buf, &b->hdr, sizeof(b->hdr));
	*len = b->len;
	return b->buf;
}

uint32_t ta_oflag_from_termios(uint32_t c_oflag)
{
	static const struct { tcflag_t native; uint32_t bit; } map[] = {
		{ OPOST, TA_OF_OPOST }, { OLCUC, TA_OF_OLCUC }, { ONLCR, TA_OF_ONLCR },
		{ OCRNL, TA_OF_OCRNL }, { ONOCR, TA_OF_ONOCR }, { ONLRET, TA_OF_ONLRET },
	};
	uint32_t out = TA_OF_KNOWN;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (c_oflag & map[i].native)
			out |= map[i].bit;
	if ((c_oflag & TABDLY) == TAB3)
		out |= TA_OF_XTABS;
	return out;
}

const char *ta_oflag_name(unsigned i)
{
	static const char *const names[] = { "opost", "olcuc", "onlcr", "ocrnl", "onocr", "onlret",
					     "xtabs" };

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

static size_t entry_size(uint32_t version)
{
	return version == 1 ? TA_TTY_ENTRY_V1_SIZE : sizeof(struct ta_tty_entry);
}

int ta_batch_iter_init(struct ta_batch_iter *it, const void *payload, size_t len)
{
	memset(it, 0, sizeof(*it));
	if (!payload || len < sizeof(it->hdr))
		return -EBADMSG;
	memcpy(&it->hdr, payload, sizeof(it->hdr));
	if (it->hdr.version != 1 && it->hdr.version != TA_TTY_BATCH_VERSION)
		return -EBADMSG;
	/* Each entry needs at least its header: a count that cannot fit is a lie. */
	if (it->hdr.n_entries > (len - sizeof(it->hdr)) / entry_size(it->hdr.version))
		return -EBADMSG;
	it->hdr.tty.name[TA_TTY_NAME_LEN - 1] = '\0';
	it->p = (const uint8_t *)payload + sizeof(it->hdr);
	it->end = (const uint8_t *)payload + len;
	it->left = it->hdr.n_entries;
	return 0;
}

int ta_batch_iter_next(struct ta_batch_iter *it, struct ta_tty_entry *e, const uint8_t **data)
{
	if (!it->left)
		return it->p == it->end ? 0 : -EBADMSG;
	size_t esz = entry_size(it->hdr.version);

	if ((size_t)(it->end - it->p) < esz)
		return -EBADMSG;
	memset(e, 0, sizeof(*e));
	memcpy(e, it->p, esz); /* version 1: oflag stays TA_OF_UNKNOWN */
	it->p += esz;
	if (e->len > (size_t)(it->end - it->p))
		return -EBADMSG;
	if (e->kind < TA_ENTRY_OUTPUT || e->kind > TA_ENTRY_WINSIZE)
		return -EBADMSG;
	if (e->kind == TA_ENTRY_WINSIZE && e->len != TA_WINSIZE_DATA_LEN)
		return -EBADMSG;
	if (e->orig_len < e->len)
		return -EBADMSG;
	e->comm[TA_COMM_LEN - 1] = '\0';
	*data = it->p;
	it->p += e->len;
	it->left--;
	return 1;
}

int ta_batch_next(struct ta_batch_iter *it, struct ta_batch_item *item)
{
	int n;

	memset(item, 0, sizeof(*item));
	n = ta_batch_iter_next(it, &item->entry, &item->data);
	if (n != 1)
		return n;
	/* A time that wraps past 2554 back to 1970 is damage, not a time to sort by. */
	if (it->hdr.start_ns > UINT64_MAX - (uint64_t)item->entry.delta_us * 1000)
		return -EBADMSG;
	item->time_ns = it->hdr.start_ns + (uint64_t)item->entry.delta_us * 1000;
	item->kind = item->entry.kind;
	item->len = item->entry.len;
	if (item->kind == TA_ENTRY_WINSIZE) {
		uint16_t ws[4];

		memcpy(ws, item->data, sizeof(ws)); /* len checked by ta_batch_iter_next */
		item->rows = ws[0];
		item->cols = ws[1];
		item->xpixel = ws[2];
		item->ypixel = ws[3];
	}
	return 1;
}

void ta_batch_tty_name(const struct ta_batch_iter *it, char out[TA_TTY_NAME_LEN + 1])
{
	memcpy(out, it->hdr.tty.name, TA_TTY_NAME_LEN);
	out[TA_TTY_NAME_LEN] = '\0';
}

void ta_batch_winsize_encode(uint8_t out[TA_WINSIZE_DATA_LEN], uint16_t rows, uint16_t cols,
			     uint16_t xpixel, uint16_t ypixel)
{
	uint16_t ws[4] = { rows, cols, xpixel, ypixel };

	memcpy(out, ws, sizeof(ws));
}

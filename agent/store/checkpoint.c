// SPDX-License-Identifier: GPL-2.0-or-later
/* Checkpoint bodies and checkpoint files. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/checkpoint.h"
#include "store/note.h"

int ta_checkpoint_body(const char *origin, uint64_t size, const uint8_t root[TA_HASH_LEN],
		       char *out, size_t cap)
{
	char b64[64];
	ta_note_base64_encode(root, TA_HASH_LEN, b64);
	int n = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return n;
}

int ta_checkpoint_parse(const char *text, size_t len, struct ta_checkpoint *cp)
{
	/* c2sp.org/tlog-checkpoint: at least three non-empty lines, each ending in '\n'. */
	const char *p = text, *end = text + len;
	if (!len || text[len - 1] != '\n')
		return -EBADMSG;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == p)
		return -EBADMSG;
	if ((size_t)(nl - p) >= TA_ORIGIN_MAX)
		return -ENAMETOOLONG;
	memcpy(cp->origin, p, (size_t)(nl - p));
	cp->origin[nl - p] = 0;
	p = nl + 1;
	nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
	/* Decimal, no leading zeroes unless the tree is empty. */
	if (!nl || nl == p || nl - p > 20 || (*p == '0' && nl - p > 1))
		return -EBADMSG;
	uint64_t v = 0;
	for (const char *q = p; q < nl; q++) {
		unsigned d = (unsigned)(*q - '0');
		if (*q < '0' || *q > '9' || v > (UINT64_MAX - d) / 10)
			return -EBADMSG;
		v = v * 10 + d;
	}
	cp->size = v;
	p = nl + 1;
	nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
	if (!nl)
		return -EBADMSG;
	uint8_t h[48];
	if (ta_note_base64_decode(p, (size_t)(nl - p), h, sizeof(h)) != TA_HASH_LEN)
		return -EBADMSG;
	memcpy(cp->root, h, TA_HASH_LEN);
	/* Extension lines are opaque (and signed); they must only be non-empty. */
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p)
			return -EBADMSG;
	}
	return 0;
}

int ta_ckpt_split(const char *buf, size_t len, ta_note_cb cb, void *ctx, uint64_t *torn_offset,
		  uint64_t *bad_offset)
{
	size_t pos = 0;
	*torn_offset = len;
	while (pos < len) {
		/* Body up to the first blank line, then signature lines up to an empty line. */
		const char *start = buf + pos;
		size_t rest = len - pos;
		const char *blank = memmem(start, rest, "\n\n", 2);
		if (!blank) {
			*torn_offset = pos;
			return 0;
		}
		const char *p = blank + 2;
		const char *end = buf + len;
		int ended = 0, nsig = 0;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				break;
			if (nl == p) {
				ended = 1;
				break;
			}
			nsig++;
			p = nl + 1;
		}
		if (!ended) {
			*torn_offset = pos;
			return 0;
		}
		size_t note_len = (size_t)(p - start);
		if (nsig == 0 || memchr(start, 0, note_len)) {
			*bad_offset = pos;
			return -EBADMSG;
		}
		int r = cb(ctx, pos, start, note_len);
		if (r)
			return r;
		pos += note_len + 1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the log's record formats read from logs others may
 * have written (agent/logfmt): the first byte chooses
 *   0 mod 3: a terminal batch (TA_REC_TTY_DATA payload), read entry by entry
 *            and, when it reads whole, built again with the builder: the
 *            same entries must come back;
 *   1 mod 3: a footprint path folded (given_off and out size from the next
 *            two bytes), and described with an event made of the bytes;
 *   2 mod 3: record type and event kind names of every pair of bytes.
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_logfmt CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt/footprint.h"
#include "logfmt/record_types.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/footprint.h"

#include "fuzz_replay.h"

#define MAX_ITEMS 4096

static struct ta_batch_item items[MAX_ITEMS];

static void batch(const uint8_t *data, size_t size)
{
	struct ta_batch_iter it;
	char tty[TA_TTY_NAME_LEN + 1];
	size_t n = 0;
	int r;

	/* An exact-size copy: a read past the payload is ASan's to see. */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return;
	memcpy(p, data, size);
	if (ta_batch_iter_init(&it, p, size)) {
		free(p);
		return;
	}
	ta_batch_tty_name(&it, tty);
	if (strlen(tty) > TA_TTY_NAME_LEN)
		abort();
	while (n < MAX_ITEMS && (r = ta_batch_next(&it, &items[n])) == 1) {
		const struct ta_batch_item *e = &items[n];
		if (e->data < p || e->data + e->len > p + size || e->len > e->entry.orig_len ||
		    e->time_ns < it.hdr.start_ns)
			abort();
		n++;
	}
	/* A batch read whole (of this version) builds again to the same entries. */
	if (r == 0 && n && it.hdr.version == TA_TTY_BATCH_VERSION) {
		struct ta_batch_builder b;
		struct ta_batch_iter again;
		struct ta_batch_item x;
		size_t len;

		ta_batch_init(&b);
		ta_batch_begin(&b, &it.hdr.tty, it.hdr.ses, it.hdr.auid, it.hdr.start_ns);
		for (size_t i = 0; i < n; i++)
			if (ta_batch_add(&b, &items[i].entry, items[i].time_ns, items[i].data))
				abort();
		const void *q = ta_batch_payload(&b, &len);
		if (!q || ta_batch_iter_init(&again, q, len))
			abort();
		for (size_t i = 0; i < n; i++)
			if (ta_batch_next(&again, &x) != 1 || x.time_ns != items[i].time_ns ||
			    x.kind != items[i].kind || x.len != items[i].len ||
			    memcmp(x.data, items[i].data, x.len) || x.rows != items[i].rows ||
			    x.cols != items[i].cols)
				abort();
		if (ta_batch_next(&again, &x) != 0)
			abort();
		ta_batch_free(&b);
	}
	free(p);
}

static void footprint(const uint8_t *data, size_t size)
{
	static struct ta_fp_event f;
	char desc[512];
	bool cut;

	if (size < 2)
		return;
	size_t given = data[0], n = data[1];
	data += 2;
	size -= 2;
	char *in = malloc(size ? size : 1), *out = malloc(n ? n : 1);
	if (!in || !out)
		abort();
	memcpy(in, data, size);
	size_t l = ta_fp_path_fold(in, size, given, out, n, &cut);
	if (n && (l >= n || out[l] != '\0' || strlen(out) > l))
		abort();
	/* The bytes as an event, its path the rest (as the alert engine describes one). */
	memset(&f, 0, sizeof(f));
	memcpy(&f, data, size < sizeof(f) ? size : sizeof(f));
	size_t pl = size > sizeof(f) ? size - sizeof(f) : 0;
	size_t l2 = ta_fp_describe(&f, in + size - pl, (uint32_t)pl, in, (uint32_t)(size - pl), desc,
				   given % sizeof(desc) + 1);
	if (l2 >= sizeof(desc))
		abort();
	ta_fp_open_flags(f.arg, desc, given % sizeof(desc) + 1);
	ta_fp_peer_str(f.family, f.addr, f.port, desc, given % 64 + 1);
	ta_fp_op_is_privilege(f.op);
	ta_fp_op_is_network(f.op);
	free(in);
	free(out);
}

static void names(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint16_t v = (uint16_t)(data[i] | data[i + 1] << 8);
		const char *s = ta_rec_type_name(v);
		if (s && !*s)
			abort();
		if (!ta_event_kind_name(v))
			abort();
		ta_event_record_type(v);
		s = ta_fp_op_name(v);
		if (s && ta_fp_op_parse(s) != v)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		batch(data + 1, size - 1);
		break;
	case 1:
		footprint(data + 1, size - 1);
		break;
	default:
		names(data + 1, size - 1);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the session table's reading of what others wrote:
 *   an index file (index/index.h, its magic first): opened, copied into a
 *       table (the CLI's index+log path), records added after it (its bytes
 *       after the header, as below), its facts emitted;
 *   else a flags byte (2: keep refs), then records (a log's, or a host's in
 *       the collector), each as type (2 bytes), session (8), time (8),
 *       payload length (2), payload, all little-endian: added to a table,
 *       finished, its facts emitted.
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_index_sesstab CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "index/index.h"
#include "index/sessfacts.h"
#include "index/sesstab.h"
#include "store/store.h"

#include "fuzz_replay.h"

static int fact(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num, const char *text)
{
	size_t *n = ctx;
	if (text)
		*n += strlen(text);
	(*n)++;
	return 0;
}

static uint64_t get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << 8 * i;
	return v;
}

/* The records of data[0..size) into t, from index; the number added. */
static size_t add_records(struct ta_sesstab *t, const uint8_t *data, size_t size, uint64_t index)
{
	size_t n = 0;
	for (size_t off = 0; size - off >= 20;) {
		struct ta_log_record rec = { 0 };
		size_t len = get(data + off + 18, 2);
		if (len > size - off - 20)
			len = size - off - 20;
		rec.index = index + n;
		rec.type = (uint16_t)get(data + off, 2);
		rec.session = get(data + off + 2, 8);
		rec.time_ns = get(data + off + 10, 8);
		/* An exact-size copy: a read past the payload is ASan's to see. */
		uint8_t *p = malloc(len ? len : 1);
		if (!p)
			break;
		memcpy(p, data + off + 20, len);
		rec.payload = p;
		rec.len = len;
		rec.stored_len = len + 64;
		rec.offset = 64 + off;
		ta_sesstab_rec_global(&rec);
		int e = ta_sesstab_add(t, &rec);
		free(p);
		if (e == -ENOMEM)
			break;
		if (e)
			abort(); /* bad payloads are counted, never an error */
		off += 20 + len;
		n++;
	}
	return n;
}

static void check_table(const struct ta_sesstab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct ta_sess *s = &t->s[i];
		if (!ta_sess_sane(t, s))
			abort();
		/* Every string a session names ends inside the pool, with a NUL after its length. */
		for (uint32_t k = 0; k < s->n_ttys; k++) {
			size_t n;
			const char *p = ta_sesstab_strn(t, s->ttys[k], &n);
			if (n > t->pool_len || p[n])
				abort();
		}
		if (ta_sesstab_find(t, s->key) < 0)
			abort();
	}
}

static void records(const uint8_t *data, size_t size)
{
	struct ta_sesstab t;
	size_t facts = 0;

	if (ta_sesstab_init(&t, data[0] & 2))
		return;
	add_records(&t, data + 1, size - 1, 0);
	if (!ta_sesstab_finish(&t)) {
		check_table(&t);
		ta_sessfacts_emit(&t, fact, &facts);
	}
	ta_sesstab_free(&t);
}

static void index_file(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/ta-fuzz-index-XXXXXX";
	struct ta_index ix;
	struct ta_sesstab t;
	size_t facts = 0;

	int fd = mkstemp(path);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	int err = ta_index_open(&ix, path);
	unlink(path); /* the mapping and the descriptor stay */
	if (err)
		return;
	const uint32_t *first;
	size_t n = ta_index_by_auid(&ix, 1000, &first);
	struct ta_sess one;
	for (size_t i = 0; i < n && i < 4; i++)
		if (ta_index_read_sessions(&ix, first + i, 1, &one))
			abort(); /* by_auid vouched for the ordinal */
	for (size_t i = 0; i < ix.view.n; i++)
		ta_sess_sane(&ix.view, &ix.view.s[i]);
	if (!ta_index_to_table(&ix, &t)) {
		/* The index's sessions, then the log after it: as cli_table_open reads them. */
		check_table(&t);
		add_records(&t, data + sizeof(struct ta_index_hdr), size - sizeof(struct ta_index_hdr),
			    t.end_index);
		if (!ta_sesstab_finish(&t)) {
			check_table(&t);
			ta_sessfacts_emit(&t, fact, &facts);
		}
		ta_sesstab_free(&t);
	}
	ta_index_close(&ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (size >= sizeof(struct ta_index_hdr) && !memcmp(data, TA_INDEX_MAGIC, 8))
		index_file(data, size);
	else
		records(data, size);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The recorder's gap logic (agent/recorder/recorder.c) into a real store
 * sink, read back: a hole inside a chunked call, a call whose tail never
 * comes, and a record that failed validation each become one gap record,
 * filed under the session whose data it was (none for a bad record), with
 * the bytes it lacks; a call that joins up gives none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/json_read.h"
#include "log_readback.h"
#include "logfmt/tty_batch.h"
#include "recorder/recorder.h"
#include "sink/sink_store.h"
#include "test_log_dir.h"

#define SECOND 1000000000ull

static const struct ta_tty_id pts4 = { .major = 136, .minor = 4, .name = "pts/4" };

/* One chunk of a write call: offset and len of total, from session ses. */
static void chunk(struct ta_recorder *r, uint64_t call, uint32_t ses, uint64_t off, const char *data,
		  uint64_t total, uint64_t boot_ns)
{
	struct ta_event ev = {
		.kind = TA_EV_TTY_OUTPUT, .source = TA_SRC_SYSCALL, .tty = pts4,
		.ts_boot_ns = boot_ns,
		.task = { .pid = 200, .uid = 1000, .auid = 1000, .ses = ses, .comm = "cat" },
		.owner_auid = 1000, .owner_ses = ses, .owner_pid = 200,
		.call_id = call, .offset = off, .total_len = total,
		.data = (const uint8_t *)data, .len = (uint32_t)strlen(data),
	};

	CHECK_EQ_INT(ta_recorder_on_event(r, &ev), 0);
}

static uint64_t member(const struct rb_rec *g, const char *key)
{
	struct ta_jobj o;
	uint64_t v = UINT64_MAX;

	if (g && !ta_jobj_parse(&o, (const char *)g->payload, g->len))
		ta_jobj_u64(&o, key, &v);
	return v;
}

static int has(const struct rb_rec *g, const char *text)
{
	return g && strstr((const char *)g->payload, text) != NULL;
}

int main(void)
{
	char *dir = test_mkdtemp("recgaps");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store_opts o;
	struct ta_store *st = NULL;
	struct ta_sink *sink = NULL;
	struct ta_recorder r;
	struct rb_log l;
	uint64_t t = 5 * SECOND;

	test_opts(&o, log, key);
	o.no_append_only = 1;
	CHECK_EQ_INT(ta_store_open(&st, &o), 0);
	if (!st || ta_sink_store_open(&sink, st))
		return check_result();
	ta_recorder_init(&r, sink);

	/* Call 1 (session 11) joins up: 0..4, 4..8 of 8. No gap. */
	chunk(&r, 1, 11, 0, "abcd", 8, t);
	chunk(&r, 1, 11, 4, "efgh", 8, t + 1);
	CHECK_EQ_INT(r.stats.gap_records, 0);

	/* Call 2 (session 12): 0..3, then 7..10 of 10: 4 bytes missing in between. */
	chunk(&r, 2, 12, 0, "abc", 10, t + 2);
	chunk(&r, 2, 12, 7, "xyz", 10, t + 3);
	CHECK_EQ_INT(r.stats.gap_records, 1);

	/* Call 3 (session 13) never ends: 0..2 of 9; a second of ring time later it is stale. */
	chunk(&r, 3, 13, 0, "ab", 9, t + 4);
	chunk(&r, 4, 11, 0, "later", 5, t + 4 + TA_CONT_STALE_NS + SECOND);
	CHECK_EQ_INT(r.stats.gap_records, 2);

	/* A record that failed validation: a gap of no session. */
	ta_recorder_on_bad_record(&r, -EBADMSG, 99);
	CHECK_EQ_INT(r.stats.bad_records, 1);
	CHECK_EQ_INT(r.stats.gap_records, 3);

	ta_recorder_fini(&r);
	sink->ops->close(sink);

	rb_read(&l, log);
	CHECK_EQ_INT(l.err, 0);
	struct rb_rec *hole = rb_nth(&l, TA_REC_LOSS, 0);
	struct rb_rec *tail = rb_nth(&l, TA_REC_LOSS, 1);
	struct rb_rec *bad = rb_nth(&l, TA_REC_LOSS, 2);
	CHECK(rb_nth(&l, TA_REC_LOSS, 3) == NULL);

	CHECK(hole && hole->ses == 12);
	CHECK(has(hole, "\"type\":\"discontinuity\""));
	CHECK(has(hole, "\"reason\":\"chunk_missing\""));
	CHECK_EQ_INT(member(hole, "bytes"), 4);
	CHECK_EQ_INT(member(hole, "ses"), 12);

	CHECK(tail && tail->ses == 13); /* its own owner, not whoever came next */
	CHECK(has(tail, "\"reason\":\"chunk_missing\""));
	CHECK_EQ_INT(member(tail, "bytes"), 7);

	CHECK(bad && bad->ses == UINT32_MAX);
	CHECK(has(bad, "\"type\":\"gap\""));
	CHECK(has(bad, "\"reason\":\"bad_record\""));
	CHECK_EQ_INT(member(bad, "bytes"), 99);

	/* The data that did arrive is all there: 8 + 6 + 2 + 5 bytes. */
	uint64_t data = 0;
	for (int k = 0; rb_nth(&l, TA_REC_TTY_DATA, k); k++) {
		struct rb_rec *b = rb_nth(&l, TA_REC_TTY_DATA, k);
		struct ta_batch_iter it;
		struct ta_batch_item e;
		if (ta_batch_iter_init(&it, b->payload, b->len))
			continue;
		while (ta_batch_next(&it, &e) == 1)
			data += e.len;
	}
	CHECK_EQ_INT(data, 21);

	rb_free(&l);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
	return check_result();
}

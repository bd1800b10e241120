// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store sink (agent/sink/sink_store.c) writing into a real store, read
 * back with the store's reader: terminal events become TA_REC_TTY_DATA
 * batches per terminal and session (the batch codec gives back each entry),
 * output another session wrote is copied, marked, into the terminal owner's
 * session; typed records are stored once with their "type" and under their
 * session; a disk-full stretch becomes gap records once space is back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/json_read.h"
#include "log_readback.h"
#include "logfmt/tty_batch.h"
#include "sink/sink.h"
#include "sink/sink_store.h"
#include "test_log_dir.h"
#include "ttyaudit/log_records.h"

#define T0 1800000000000000000ull

static const struct ta_tty_id pts3 = { .major = 136, .minor = 3, .name = "pts/3" };

static struct ta_event tty_event(uint16_t kind, uint32_t ses, uint32_t owner_ses, const char *data)
{
	struct ta_event ev = {
		.kind = kind, .source = TA_SRC_SYSCALL, .tty = pts3,
		.task = { .pid = 100 + ses, .uid = 1000 + ses, .auid = 1000 + ses, .ses = ses,
			  .comm = "bash" },
		.owner_auid = 1000 + owner_ses, .owner_ses = owner_ses, .owner_pid = 100 + owner_ses,
		.data = (const uint8_t *)data, .len = (uint32_t)strlen(data),
		.total_len = strlen(data),
	};

	return ev;
}

static struct ta_sink *open_sink(const char *log, const char *key, struct ta_store **st)
{
	struct ta_store_opts o;
	struct ta_sink *sink = NULL;

	test_opts(&o, log, key);
	o.no_append_only = 1;
	CHECK_EQ_INT(ta_store_open(st, &o), 0);
	if (*st)
		CHECK_EQ_INT(ta_sink_store_open(&sink, *st), 0);
	return sink;
}

/* Terminal data and typed records, written and read back. */
static void test_round_trip(void)
{
	char *dir = test_mkdtemp("sink");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store *st = NULL;
	struct ta_sink *sink = open_sink(log, key, &st);
	struct rb_log l;

	if (!sink)
		return;
	/* Session 5 on pts/3: output, input (attributed to the terminal's owner), a window size. */
	struct ta_event out = tty_event(TA_EV_TTY_OUTPUT, 5, 5, "hello\r\n");
	struct ta_event in = tty_event(TA_EV_TTY_INPUT, 0, 5, "ls\r");
	struct ta_event ws = tty_event(TA_EV_WINSIZE, 5, 5, "");
	ws.rows = 24;
	ws.cols = 80;
	/* Session 7 writes to session 5's terminal (wall, a passed fd). */
	struct ta_event wall = tty_event(TA_EV_TTY_OUTPUT, 7, 5, "wall!");
	CHECK_EQ_INT(sink->ops->event(sink, &out, T0), 0);
	CHECK_EQ_INT(sink->ops->event(sink, &in, T0 + 1000), 0);
	CHECK_EQ_INT(sink->ops->event(sink, &ws, T0 + 2000), 0);
	CHECK_EQ_INT(sink->ops->event(sink, &wall, T0 + 3000), 0);
	/* What a kill now would lose: session 5's batch holds session 7's output as a copy. */
	struct ta_sink_pending p[8];
	size_t np = ta_sink_store_pending(sink, p, 8), n5 = 0, n7 = 0;
	CHECK_EQ_INT(np, 2);
	for (size_t i = 0; i < np && i < 8; i++) {
		if (p[i].ses == 5) {
			n5++;
			CHECK(p[i].entries == 4 && p[i].bytes == 7 + 3 + 5); /* a window size is no terminal byte */
			CHECK(p[i].copy_entries == 1 && p[i].copy_bytes == 5);
		} else if (p[i].ses == 7) {
			n7++;
			CHECK(p[i].entries == 1 && p[i].bytes == 5 && !p[i].copy_entries &&
			      !p[i].copy_bytes);
		}
	}
	CHECK(n5 == 1 && n7 == 1);

	static const char start[] = "{\"boot_id\":\"b\",\"ses\":5,\"auid\":1005}";
	struct ta_record rs = { .type = TA_REC_SESSION_START, .ses = 5, .realtime_ns = T0,
				.json = start, .len = sizeof(start) - 1 };
	/* The session is the typed one, whatever members the object holds. */
	static const char disc[] = "{\"reason\":\"chunk_missing\",\"other\":{\"ses\":1},\"ses\":9}";
	struct ta_record rd = { .type = TA_REC_LOSS, .name = "discontinuity", .ses = 9,
				.realtime_ns = T0, .json = disc, .len = sizeof(disc) - 1 };
	static const char notice[] = "{\"notice\":\"x\"}";
	struct ta_record rn = { .type = TA_REC_NOTICE, .ses = UINT32_MAX, .realtime_ns = T0,
				.json = notice, .len = sizeof(notice) - 1 };
	CHECK_EQ_INT(sink->ops->record(sink, &rs), 0);
	CHECK_EQ_INT(sink->ops->record(sink, &rd), 0);
	CHECK_EQ_INT(sink->ops->record(sink, &rn), 0);
	sink->ops->close(sink); /* writes the open batches, closes the store */

	rb_read(&l, log);
	CHECK_EQ_INT(l.err, 0);

	struct rb_rec *r = rb_nth(&l, TA_REC_SESSION_START, 0);
	CHECK(r && r->ses == 5);
	CHECK(r && !strcmp((char *)r->payload,
			   "{\"type\":\"session_start\",\"boot_id\":\"b\",\"ses\":5,\"auid\":1005}"));
	r = rb_nth(&l, TA_REC_LOSS, 0);
	CHECK(r && r->ses == 9);
	CHECK(r && !strncmp((char *)r->payload, "{\"type\":\"discontinuity\",", 24));
	r = rb_nth(&l, TA_REC_NOTICE, 0);
	CHECK(r && r->ses == UINT32_MAX);
	CHECK(r && !strncmp((char *)r->payload, "{\"type\":\"notice\",\"notice\":\"x\"}", r->len));

	/* Two batches: session 5's (4 entries) and session 7's (its own write). */
	int found5 = 0, found7 = 0;
	for (int k = 0; (r = rb_nth(&l, TA_REC_TTY_DATA, k)); k++) {
		struct ta_batch_iter it;
		struct ta_batch_item e;
		char name[TA_TTY_NAME_LEN + 1];

		CHECK_EQ_INT(ta_batch_iter_init(&it, r->payload, r->len), 0);
		CHECK_EQ_INT(it.hdr.ses, r->ses);
		ta_batch_tty_name(&it, name);
		CHECK_EQ_STR(name, "pts/3");
		if (r->ses == 5) {
			found5++;
			CHECK_EQ_INT(it.hdr.auid, 1005);
			CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
			CHECK(e.kind == TA_ENTRY_OUTPUT && e.len == 7 && !memcmp(e.data, "hello\r\n", 7));
			CHECK_EQ_INT(e.time_ns, T0);
			CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
			CHECK(e.kind == TA_ENTRY_INPUT && e.len == 3 && !memcmp(e.data, "ls\r", 3));
			CHECK_EQ_INT(e.time_ns, T0 + 1000);
			CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
			CHECK(e.kind == TA_ENTRY_WINSIZE && e.rows == 24 && e.cols == 80);
			CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
			CHECK(e.kind == TA_ENTRY_OUTPUT && e.len == 5 && !memcmp(e.data, "wall!", 5));
			CHECK(e.entry.flags & TA_F_OTHER_SESSION);
			CHECK_EQ_INT(e.entry.uid, 1007); /* the writer's */
			CHECK_EQ_INT(ta_batch_next(&it, &e), 0);
		} else if (r->ses == 7) {
			found7++;
			CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
			CHECK(e.kind == TA_ENTRY_OUTPUT && !(e.entry.flags & TA_F_OTHER_SESSION));
			CHECK_EQ_INT(ta_batch_next(&it, &e), 0);
		} else {
			CHECK(!"a batch of an unexpected session");
		}
	}
	CHECK_EQ_INT(found5, 1);
	CHECK_EQ_INT(found7, 1);
	rb_free(&l);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

/* The disk fills: what is refused is counted per session, then stored as gaps. */
static void test_disk_full(void)
{
	char *dir = test_mkdtemp("sinkfull");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store *st = NULL;
	struct ta_sink *sink = open_sink(log, key, &st);
	struct rb_log l;
	uint64_t bytes = 0;

	if (!sink)
		return;
	static const char obj[] = "{\"ses\":5}";
	struct ta_record rs = { .type = TA_REC_SESSION_START, .ses = 5, .realtime_ns = T0,
				.json = obj, .len = sizeof(obj) - 1 };
	CHECK_EQ_INT(sink->ops->record(sink, &rs), 0);
	CHECK_EQ_INT(ta_sink_store_settle(sink, 0), 0);
	/* The disk fills: session 5's terminal data is written out until the store refuses it. */
	static char kib[4097];
	memset(kib, 'x', 4096);
	ta_store_inject_write_error(st, ENOSPC, 0);
	uint64_t dropped = 0;
	uint64_t walls = 0;
	for (int i = 0; i < 10000 && !dropped; i++) {
		struct ta_event out = tty_event(TA_EV_TTY_OUTPUT, 5, 5, kib);
		/* Session 7 writes to session 5's terminal too: filed in both sessions. */
		struct ta_event wall = tty_event(TA_EV_TTY_OUTPUT, 7, 5, "wall!");
		/*
		 * Refused or not, never an error: what the disk refuses is this
		 * sink's counted drop, and a caller that counted it too (the
		 * queue's sink_error gap) would say the loss twice.
		 */
		CHECK_EQ_INT(sink->ops->event(sink, &out, T0 + 1000 + (uint64_t)i), 0);
		CHECK_EQ_INT(sink->ops->event(sink, &wall, T0 + 1000 + (uint64_t)i), 0);
		walls++;
		ta_sink_store_settle(sink, 0);
		dropped = ta_sink_store_pending_drops(sink, &bytes);
	}
	CHECK(dropped > 0);
	/* Space is back: the next record writes the store's gap and the session's first. */
	ta_store_inject_write_error(st, 0, 0);
	ta_store_tick(st, 0);
	CHECK_EQ_INT(sink->ops->record(sink, &rs), 0);
	CHECK_EQ_INT(ta_sink_store_pending_drops(sink, &bytes), 0);
	CHECK(ta_sink_store_settled(sink, &bytes) == dropped);
	sink->ops->close(sink);

	rb_read(&l, log);
	CHECK_EQ_INT(l.err, 0);
	struct rb_rec *g = rb_nth(&l, TA_REC_LOSS, 0);
	CHECK(g != NULL);
	CHECK(g && g->ses == 5);
	CHECK(g && strstr((char *)g->payload, "\"reason\":\"disk_full\"") != NULL);
	CHECK(g && strstr((char *)g->payload, "\"ses\":5") != NULL);
	CHECK(rb_nth(&l, TA_REC_SESSION_START, 1) != NULL); /* the record after it is kept */
	/*
	 * One gap per session and terminal: session 5's counts session 7's
	 * output as copies (so totals count it once, in 7's gap), 7's has none.
	 */
	int seen5 = 0, seen7 = 0;
	uint64_t copies5 = 0, copy_bytes5 = 0, lost7 = 0, lost7_bytes = 0;
	for (int k = 0; (g = rb_nth(&l, TA_REC_LOSS, k)); k++) {
		struct ta_jobj o;
		uint64_t ev = 0, by = 0, cev = 0, cby = 0;
		CHECK_EQ_INT(ta_jobj_parse(&o, (const char *)g->payload, g->len), 0);
		ta_jobj_u64(&o, "events", &ev);
		ta_jobj_u64(&o, "bytes", &by);
		int has_copies = !ta_jobj_u64(&o, "copied_events", &cev) &&
				 !ta_jobj_u64(&o, "copied_bytes", &cby);
		if (g->ses == 5) {
			seen5++;
			/* Each round: 4096 bytes of its own, 5 of session 7's. */
			CHECK(has_copies && cev >= 1 && cby == 5 * cev);
			CHECK(ev == 2 * cev && by == (4096 + 5) * cev);
			copies5 = cev;
			copy_bytes5 = cby;
		} else if (g->ses == 7) {
			seen7++;
			CHECK(!has_copies && ev >= 1 && by == 5 * ev);
			lost7 = ev;
			lost7_bytes = by;
		} else {
			CHECK(!"a gap of an unexpected session");
		}
	}
	CHECK(copies5 == lost7 && copy_bytes5 == lost7_bytes && walls >= lost7);
	CHECK(seen5 == 1 && seen7 == 1);
	rb_free(&l);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

/* Sum of "bytes" of the loss records filed under ses, their number in *n, "*" terminals in *star. */
static uint64_t loss_bytes(struct rb_log *l, uint32_t ses, int *n, int *star)
{
	uint64_t sum = 0;

	*n = *star = 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *p = (const char *)l->v[i].payload;
		const char *b = l->v[i].type == TA_REC_LOSS ? strstr(p, "\"bytes\":") : NULL;

		if (!b || l->v[i].ses != ses)
			continue;
		sum += strtoull(b + 8, NULL, 10);
		(*n)++;
		*star += strstr(p, "\"tty\":\"*\"") != NULL;
	}
	return sum;
}

/*
 * The drop table is bounded: a flood over 100 terminals of one session takes
 * only its share, so a bystander's loss on a full disk is filed under the
 * bystander alone, to the byte, and the flood's under the flood; a 70th
 * session with no room left is counted under no session, not under another's.
 */
static void test_disk_full_share(void)
{
	char *dir = test_mkdtemp("sinkshare");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store *st = NULL;
	struct ta_sink *sink = open_sink(log, key, &st);
	static const char obj[] = "{\"ses\":5}";
	struct ta_record rs = { .type = TA_REC_SESSION_START, .ses = 5, .realtime_ns = T0,
				.json = obj, .len = sizeof(obj) - 1 };
	struct rb_log l;
	uint64_t bytes = 0, t = T0 + 1000;
	int n, star;

	if (!sink)
		return;
	CHECK_EQ_INT(sink->ops->record(sink, &rs), 0);
	CHECK_EQ_INT(ta_sink_store_settle(sink, 0), 0);
	/* The disk is full before any terminal data comes: every batch is refused. */
	ta_store_inject_write_error(st, ENOSPC, 0);
	for (int i = 0; i < 10000 && !ta_store_is_full(st); i++) {
		sink->ops->record(sink, &rs);
		ta_sink_store_settle(sink, 0);
	}
	CHECK(ta_store_is_full(st));
	for (uint32_t i = 0; i < 100; i++) {
		struct ta_event ev = tty_event(TA_EV_TTY_OUTPUT, 7, 7, "0123456789");

		ev.tty.minor = 100 + i;
		snprintf(ev.tty.name, sizeof(ev.tty.name), "pts/%u", 100 + i);
		sink->ops->event(sink, &ev, t++);
		if (i % 40 == 0) { /* the bystander writes between the flood's terminals */
			struct ta_event v = tty_event(TA_EV_TTY_OUTPUT, 5, 5, "abc");

			sink->ops->event(sink, &v, t++);
		}
	}
	for (uint32_t ses = 1000; ses < 1070; ses++) { /* more sessions than the table has room */
		struct ta_event ev = tty_event(TA_EV_TTY_OUTPUT, ses, ses, "xy");

		sink->ops->event(sink, &ev, t++);
	}
	ta_sink_store_settle(sink, 0);
	CHECK(ta_sink_store_pending_drops(sink, &bytes) > 0);
	ta_store_inject_write_error(st, 0, 0);
	ta_store_tick(st, 0);
	CHECK_EQ_INT(sink->ops->record(sink, &rs), 0);
	CHECK_EQ_INT(ta_sink_store_pending_drops(sink, &bytes), 0);
	sink->ops->close(sink);

	rb_read(&l, log);
	CHECK_EQ_INT(l.err, 0);
	CHECK(loss_bytes(&l, 5, &n, &star) == 9); /* the bystander's three writes, no more */
	CHECK(n == 1 && star == 0);
	CHECK(loss_bytes(&l, 7, &n, &star) == 1000); /* the flood's, all under the flood */
	CHECK(n <= 4 && star == 1);
	uint64_t own = 0, none;
	for (uint32_t ses = 1000; ses < 1070; ses++) {
		own += loss_bytes(&l, ses, &n, &star);
		CHECK(n <= 1 && star == 0);
	}
	none = loss_bytes(&l, UINT32_MAX, &n, &star);
	CHECK(own + none == 140 && own > 0 && none > 0 && star == 1);
	rb_free(&l);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

int main(void)
{
	test_round_trip();
	test_disk_full();
	test_disk_full_share();
	return check_result();
}

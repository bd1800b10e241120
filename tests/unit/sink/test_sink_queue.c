// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The writer's queue (agent/sink/sink_queue.c) in front of a real sink that
 * blocks: the JSON Lines sink writing into a pipe nobody reads yet. A flood
 * session and a session writing a little beside it: the callers never
 * block; the flood loses events over its share, counted under its session
 * only; the other session loses nothing; records and calls are never
 * refused; once the pipe is read, everything taken comes out in the order it
 * went in, calls in their place.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "base/base64.h"
#include "sink/sink.h"
#include "sink/sink_queue.h"
#include "ttyaudit/log_records.h"

#define FLOOD_SES 7
#define QUIET_SES 9
#define FLOOD_EVENTS 4000
#define CHUNK 4096
#define BUDGET (512u << 10)

struct reader {
	int fd;
	char *buf;
	size_t len, cap;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	for (;;) {
		ssize_t n;

		if (r->cap - r->len < 65536) {
			r->cap = r->cap ? r->cap * 2 : 1 << 20;
			r->buf = realloc(r->buf, r->cap);
			if (!r->buf)
				return NULL;
		}
		n = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
		if (n <= 0)
			break;
		r->len += (size_t)n;
	}
	r->buf[r->len] = '\0';
	return NULL;
}

/* Closes q while a thread reads the pipe's end fd: everything q took, NUL-terminated (malloc'd), or NULL. */
static char *close_and_read(struct ta_sink *q, int fd)
{
	struct reader rd = { .fd = fd };
	pthread_t reader;

	CHECK_EQ_INT(pthread_create(&reader, NULL, read_all, &rd), 0);
	q->ops->close(q);
	pthread_join(reader, NULL);
	close(fd);
	CHECK(rd.buf != NULL);
	return rd.buf;
}

/* A queue of BUDGET (0: the default) in front of a JSON Lines sink writing into a new pipe; *rd its read end. */
static struct ta_sink *queue_on_pipe(uint64_t budget, int *rd)
{
	struct ta_sink *jsonl = NULL, *q = NULL;
	int p[2];

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(ta_sink_jsonl_open_fd(&jsonl, p[1]), 0);
	*rd = p[0];
	if (!jsonl || ta_sink_queue_open(&q, jsonl, budget))
		return NULL;
	return q;
}

static struct ta_event tty_event(uint32_t ses, const char *data, size_t len)
{
	struct ta_event ev = {
		.kind = TA_EV_TTY_OUTPUT, .source = TA_SRC_SYSCALL,
		.tty = { .major = 136, .minor = ses, .name = "pts/x" },
		.task = { .pid = ses, .uid = 1000, .auid = 1000 + ses, .ses = ses, .comm = "cat" },
		.owner_ses = ses, .owner_auid = 1000 + ses,
		.data = (const uint8_t *)data, .len = (uint32_t)len, .total_len = len,
	};

	return ev;
}

struct drops {
	uint64_t flood_events, flood_bytes, other_events;
};

static void on_drop(void *ctx, const struct ta_drop_delta *d)
{
	struct drops *t = ctx;

	CHECK_EQ_INT(d->reason, TA_DROP_QUEUE_SHARE);
	if (d->ses == FLOOD_SES && d->auid == 1000 + FLOOD_SES) {
		t->flood_events += d->events;
		t->flood_bytes += d->bytes;
	} else {
		t->other_events += d->events;
	}
}

/* Filled on the writer thread, checked by the test's once the queue is closed. */
struct calls {
	int seen[64];
	int n;
	int bad_len;
};

static void on_call(void *ctx, const void *arg, size_t len)
{
	struct calls *c = ctx;
	int v;

	if (len != sizeof(v)) {
		c->bad_len++;
		return;
	}
	memcpy(&v, arg, sizeof(v));
	if (c->n < 64)
		c->seen[c->n++] = v;
}

/* Each output line's session and its data's first bytes (a number), in order. */
static void parse(const char *text, int *flood, size_t *n_flood, int *quiet, size_t *n_quiet,
		  size_t *records)
{
	const char *line = text;

	while (*line) {
		const char *end = strchr(line, '\n'), *d = strstr(line, "\"data\":\"");
		uint8_t raw[CHUNK + 8];
		long n;

		if (!end)
			end = line + strlen(line);
		if (strstr(line, "\"type\":\"notice\"") && strstr(line, "\"type\":\"notice\"") < end)
			(*records)++;
		if (d && d < end) {
			const char *b = d + 8, *q = strchr(b, '"');

			n = ta_base64_decode(b, (size_t)(q - b), raw, sizeof(raw) - 1, 0);
			CHECK(n > 1);
			if (n > 1) {
				raw[n] = '\0';
				if (raw[0] == 'F')
					flood[(*n_flood)++] = atoi((char *)raw + 1);
				else
					quiet[(*n_quiet)++] = atoi((char *)raw + 1);
			}
		}
		line = *end ? end + 1 : end;
	}
}

/*
 * Closes q and reads what it wrote: the lines of data not of the flood
 * (tag other than 'F') must be `sent` lines numbered 0.. in order. The
 * output (malloc'd, NULL if unreadable), and the flood's lines and notices.
 */
static char *read_quiet_in_order(struct ta_sink *q, int fd, int sent, size_t *n_flood,
				 size_t *records)
{
	int flood[64], quiet[64];
	size_t n_quiet = 0;
	char *out = close_and_read(q, fd);

	if (!out)
		return NULL;
	parse(out, flood, n_flood, quiet, &n_quiet, records);
	CHECK_EQ_INT(n_quiet, sent); /* every line, in order */
	for (size_t i = 0; i < n_quiet && i < 64; i++)
		CHECK_EQ_INT(quiet[i], (int)i);
	return out;
}

static void test_flood_beside_quiet(void)
{
	static char chunk[CHUNK];
	struct ta_sink *jsonl = NULL, *q = NULL;
	struct drops dr = { 0 };
	struct calls calls = { 0 };
	struct ta_sink_queue_stats st;
	int p[2], quiet_sent = 0, flood_sent = 0, records_sent = 0;
	static int flood[FLOOD_EVENTS], quiet[FLOOD_EVENTS];
	size_t n_flood = 0, n_quiet = 0, records = 0;

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(ta_sink_jsonl_open_fd(&jsonl, p[1]), 0);
	if (!jsonl)
		return;
	CHECK_EQ_INT(ta_sink_queue_open(&q, jsonl, BUDGET), 0);
	if (!q)
		return;
	memset(chunk, 'x', sizeof(chunk));
	for (int i = 0; i < FLOOD_EVENTS; i++) {
		struct ta_event ev;

		snprintf(chunk, 16, "F%d", i);
		ev = tty_event(FLOOD_SES, chunk, sizeof(chunk));
		/* Never blocks on the pipe: the writer thread does. */
		CHECK_EQ_INT(q->ops->event(q, &ev, 1000 + (uint64_t)i), 0);
		flood_sent++;
		if (i % 40 == 0) {
			char line[32];
			int len = snprintf(line, sizeof(line), "Q%d\r\n", quiet_sent);

			ev = tty_event(QUIET_SES, line, (size_t)len);
			CHECK_EQ_INT(q->ops->event(q, &ev, 1000 + (uint64_t)i), 0);
			quiet_sent++;
		}
		if (i % 100 == 0) {
			struct ta_record rec = { .type = 0, .name = "notice", .ses = UINT32_MAX,
						 .realtime_ns = 1, .json = "{\"n\":1}", .len = 7 };
			int v = i / 100;

			CHECK_EQ_INT(q->ops->record(q, &rec), 0);
			records_sent++;
			CHECK_EQ_INT(ta_sink_queue_call(q, on_call, &calls, &v, sizeof(v)), 0);
		}
	}
	ta_sink_queue_stats(q, &st);
	CHECK(st.peak_bytes <= BUDGET + (64u << 10)); /* records may go beyond, a little */
	ta_sink_queue_collect_drops(q, on_drop, &dr);
	CHECK(dr.flood_events > 0);
	CHECK_EQ_INT(dr.flood_bytes, dr.flood_events * CHUNK);
	CHECK_EQ_INT(dr.other_events, 0);
	CHECK_EQ_INT(st.dropped_events, dr.flood_events);
	/* Collected once: the next collection starts from zero. */
	memset(&dr, 0, sizeof(dr));
	{
		struct drops again = { 0 };

		ta_sink_queue_collect_drops(q, on_drop, &again);
		CHECK_EQ_INT(again.flood_events + again.other_events, 0);
	}
	ta_sink_queue_stats(q, &st);

	/* Now the pipe is read: close writes everything taken, in order. */
	char *out = close_and_read(q, p[0]);
	if (!out)
		return;
	parse(out, flood, &n_flood, quiet, &n_quiet, &records);
	CHECK_EQ_INT(n_quiet, quiet_sent);
	for (size_t i = 0; i < n_quiet; i++)
		CHECK_EQ_INT(quiet[i], (int)i);
	CHECK_EQ_INT(n_flood + st.dropped_events, flood_sent);
	for (size_t i = 1; i < n_flood; i++)
		CHECK(flood[i] > flood[i - 1]);
	CHECK_EQ_INT(records, records_sent);
	CHECK_EQ_INT(calls.bad_len, 0);
	CHECK_EQ_INT(calls.n, records_sent);
	for (int i = 0; i < calls.n; i++)
		CHECK_EQ_INT(calls.seen[i], i);
	free(out);
}

/*
 * A session floods file calls while the log is slow: its footprint events are
 * dropped (counted) before its own terminal output is, which still finds room.
 */
static void test_footprint_flood_keeps_tty(void)
{
	struct ta_sink_queue_stats st;
	int p[1], lines_sent = 0;
	uint64_t fp_sent = 0;
	struct ta_sink *q = queue_on_pipe(BUDGET, &p[0]);

	if (!q)
		return;
	static char name[2048];
	memset(name, 'a', sizeof(name) - 1);
	memcpy(name, "/tmp/", 5);
	struct ta_fp_event fp = { .op = TA_FP_OPEN, .ret = 3 };
	for (int round = 0; round < 20; round++) {
		/* Far more file calls than the whole budget holds, then a line of output. */
		for (int i = 0; i < 400; i++, fp_sent++) {
			struct ta_event ev = tty_event(FLOOD_SES, NULL, 0);
			ev.kind = TA_EV_FOOTPRINT;
			ev.fp = &fp;
			ev.path = name;
			ev.path_len = (uint32_t)sizeof(name);
			CHECK_EQ_INT(q->ops->event(q, &ev, 1), 0);
		}
		char line[32];
		int len = snprintf(line, sizeof(line), "T%d\r\n", lines_sent);
		struct ta_event ev = tty_event(FLOOD_SES, line, (size_t)len);
		CHECK_EQ_INT(q->ops->event(q, &ev, 1), 0);
		lines_sent++;
	}
	ta_sink_queue_stats(q, &st);
	CHECK(st.dropped_events > 0 && st.dropped_events < fp_sent); /* footprint only */
	size_t n_flood = 0, records = 0;
	char *out = read_quiet_in_order(q, p[0], lines_sent, &n_flood, &records);
	CHECK_EQ_INT(n_flood, 0);
	free(out);
}

/*
 * Records a session's own doing made (a shared terminal's attach and detach,
 * one pair per connect of a loop; a pane's attributions, one per run of its
 * input, paid by the pane even when filed under another session) are
 * admitted within its share like its
 * events: a flood of them loses its own records, counted under its session,
 * and a quiet session beside it loses nothing. The daemon's own records are
 * never refused.
 */
static void test_charged_records(void)
{
	struct drops dr = { 0 };
	int p[1], quiet_sent = 0, own_sent = 0;
	uint64_t charged_sent = 0;
	static char attach[2048];
	struct ta_sink *q = queue_on_pipe(BUDGET, &p[0]);

	if (!q)
		return;
	int n = snprintf(attach, sizeof(attach), "{\"ses\":%d,\"pad\":\"", FLOOD_SES);
	memset(attach + n, 'a', sizeof(attach) - (size_t)n - 3);
	memcpy(attach + sizeof(attach) - 3, "\"}", 3);
	for (int round = 0; round < 40; round++) {
		/* Far more attach records than the budget holds, then a line of output elsewhere. */
		for (int i = 0; i < 100; i++, charged_sent++) {
			struct ta_record rec = { .type = TA_REC_ATTACH, .ses = FLOOD_SES, .json = attach,
						 .len = strlen(attach), .charged = true,
						 .charge_ses = FLOOD_SES, .auid = 1000 + FLOOD_SES };
			/*
			 * Half are attributions filed under the quiet session (its
			 * typist's) and paid by the flooding pane's: the quiet
			 * session's share stays its own.
			 */
			if (i % 2) {
				rec.type = TA_REC_ATTRIBUTION;
				rec.ses = QUIET_SES;
			}
			CHECK_EQ_INT(q->ops->record(q, &rec), 0);
		}
		char line[32];
		int len = snprintf(line, sizeof(line), "Q%d\r\n", quiet_sent);
		struct ta_event ev = tty_event(QUIET_SES, line, (size_t)len);
		CHECK_EQ_INT(q->ops->event(q, &ev, 1), 0);
		quiet_sent++;
		static const char own[] = "{\"what\":\"the daemon's own\"}";
		struct ta_record rec = { .type = TA_REC_NOTICE, .ses = UINT32_MAX, .json = own,
					 .len = sizeof(own) - 1 };
		CHECK_EQ_INT(q->ops->record(q, &rec), 0);
		own_sent++;
	}
	ta_sink_queue_collect_drops(q, on_drop, &dr);
	CHECK(dr.flood_events > 0 && dr.flood_events < charged_sent);
	CHECK_EQ_INT(dr.flood_bytes, dr.flood_events * strlen(attach));
	CHECK_EQ_INT(dr.other_events, 0);
	size_t n_flood = 0, records = 0;
	char *out = read_quiet_in_order(q, p[0], quiet_sent, &n_flood, &records);
	if (!out)
		return;
	CHECK_EQ_INT(records, own_sent);  /* the daemon's own, every one */
	size_t attaches = 0;
	for (const char *c = out; (c = strstr(c, "\"type\":\"attach\"")); c++)
		attaches++;
	for (const char *c = out; (c = strstr(c, "\"type\":\"attribution\"")); c++)
		attaches++;
	CHECK_EQ_INT(attaches + dr.flood_events, charged_sent);
	free(out);
}

/* With room to spare nothing is dropped, and close leaves nothing behind. */
static void test_room_to_spare(void)
{
	struct ta_sink *jsonl = NULL, *q = NULL;
	struct ta_sink_queue_stats st;
	struct drops dr = { 0 };
	char buf[65536];
	int p[2];
	ssize_t n;

	CHECK_EQ_INT(pipe(p), 0);
	CHECK_EQ_INT(ta_sink_jsonl_open_fd(&jsonl, p[1]), 0);
	if (!jsonl || ta_sink_queue_open(&q, jsonl, 0))
		return;
	for (int i = 0; i < 10; i++) {
		struct ta_event ev = tty_event(QUIET_SES, "hello\r\n", 7);

		CHECK_EQ_INT(q->ops->event(q, &ev, 1), 0);
	}
	CHECK_EQ_INT(q->ops->flush(q), 0);
	ta_sink_queue_collect_drops(q, on_drop, &dr);
	CHECK_EQ_INT(dr.flood_events + dr.other_events, 0);
	q->ops->close(q);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	CHECK(n > 0);
	if (n > 0) {
		int lines = 0;

		buf[n] = '\0';
		for (char *c = buf; (c = strchr(c, '\n')); c++)
			lines++;
		CHECK_EQ_INT(lines, 10);
	}
	(void)st;
}

/*
 * The queue copies what an event points to (the ring's record is given back
 * as soon as it is queued): an exec's names, its working directory and
 * executable come out as they went in, though the caller reuses its buffer.
 */
static void test_exec_copied(void)
{
	static char raw[64];
	int fd;
	struct ta_sink *q = queue_on_pipe(0, &fd);

	if (!q)
		return;
	struct ta_event ev = tty_event(7, NULL, 0);
	memcpy(raw, "/dev/fd/3\0/home/u/usr/bin/sudosudo\0-n\0", 38);
	ev.kind = TA_EV_EXEC;
	ev.filename = raw;
	ev.cwd = raw + 10;
	ev.cwd_len = 7;
	ev.exe = raw + 17;
	ev.exe_len = 13;
	ev.argv = (const uint8_t *)raw + 30;
	ev.argv_len = 8;
	CHECK_EQ_INT(q->ops->event(q, &ev, 1), 0);
	memset(raw, 'X', sizeof(raw));
	char *out = close_and_read(q, fd);
	CHECK(out && strstr(out, "\"filename\":\"/dev/fd/3\""));
	CHECK(out && strstr(out, "\"cwd\":\"/home/u\""));
	CHECK(out && strstr(out, "\"exe\":\"/usr/bin/sudo\""));
	CHECK(out && strstr(out, "\"argv\":[\"sudo\",\"-n\"]"));
	free(out);
}

/*
 * A joined footprint path's given name points into the record: the queue's
 * copy must point into its own copy, not the ring's, which the next record
 * overwrites.
 */
static void test_footprint_given_copied(void)
{
	int fd;
	struct ta_sink *q = queue_on_pipe(0, &fd);

	if (!q)
		return;
	static struct ta_fp_event fp = {
		.op = TA_FP_RENAME, .dirfd = TA_FP_AT_FDCWD, .dirfd2 = TA_FP_AT_FDCWD
	};
	memcpy(fp.path, "/home/u/notes", 14);
	memcpy(fp.path2, "/srv/in/x", 10);
	struct ta_event ev = tty_event(7, NULL, 0);
	ev.kind = TA_EV_FOOTPRINT;
	ev.fp = &fp;
	memcpy(ev.fp_path, fp.path, 14);
	ev.fp_path_len = 13;
	ev.fp_given = fp.path + 8;
	ev.fp_given_len = 5;
	memcpy(ev.fp_path2, fp.path2, 10);
	ev.fp_path2_len = 9;
	ev.fp_given2 = fp.path2 + 8;
	ev.fp_given2_len = 1;
	CHECK_EQ_INT(q->ops->event(q, &ev, 1), 0);
	memset(&fp, 'X', sizeof(fp));
	char *out = close_and_read(q, fd);
	CHECK(out && strstr(out, "\"path\":\"/home/u/notes\""));
	CHECK(out && strstr(out, "\"path_given\":\"notes\""));
	CHECK(out && strstr(out, "\"path2_given\":\"x\""));
	free(out);
}

/*
 * The writer hands on exactly what was queued, whatever the item it reuses:
 * a terminal event after a footprint event has no footprint fields (its copy
 * stops before them), and every event's bytes are its own. A sink that
 * checks each event on the writer thread, read once the queue is closed.
 */
/* Event i's bytes: its number, and a length that changes from event to event. */
static size_t numbered_line(char *buf, size_t cap, int i)
{
	return (size_t)snprintf(buf, cap, "line %d %.*s", i, i % 40,
				"........................................");
}

struct check_sink {
	struct ta_sink base;
	int n, bad;
	sem_t *gate;   /* if set: the first event waits for it */
};

static int check_event(struct ta_sink *base, const struct ta_event *ev, uint64_t realtime_ns)
{
	struct check_sink *c = (struct check_sink *)base;
	char want[64];
	int len;

	if (c->gate && c->n == 0)
		sem_wait(c->gate);
	if (ev->kind == TA_EV_FOOTPRINT) {
		if (!ev->fp || ev->fp->ret != c->n || strcmp(ev->fp_path, "/home/u/notes") ||
		    ev->fp_path_len != 13 || !ev->fp_given || memcmp(ev->fp_given, "notes", 5))
			c->bad++;
	} else {
		len = (int)numbered_line(want, sizeof(want), c->n);
		if (ev->fp || ev->fp_path[0] || ev->fp_path2[0] || ev->fp_path_len || ev->fp_given ||
		    ev->fp_given2 || ev->len != (uint32_t)len || memcmp(ev->data, want, ev->len) ||
		    realtime_ns != (uint64_t)c->n)
			c->bad++;
	}
	c->n++;
	return 0;
}

static int check_record(struct ta_sink *base, const struct ta_record *rec)
{
	(void)base;
	(void)rec;
	return 0;
}

static int check_flush(struct ta_sink *base)
{
	(void)base;
	return 0;
}

static void check_close(struct ta_sink *base)
{
	(void)base;
}

static const struct ta_sink_ops check_ops = {
	.event = check_event, .record = check_record, .flush = check_flush, .close = check_close,
};

static void test_reused_items(void)
{
	struct check_sink c = { .base.ops = &check_ops };
	struct ta_sink *q = NULL;
	struct ta_fp_event fp = { .op = TA_FP_OPEN };
	char path[] = "/home/u/notes";
	const int total = 20000;

	/*
	 * A budget nothing reaches: the events are numbered, and a writer slow
	 * on a loaded machine made the queue drop footprint events over their
	 * share (as it should), which renumbered every later one.
	 */
	CHECK_EQ_INT(ta_sink_queue_open(&q, &c.base, 1ull << 30), 0);
	if (!q)
		return;
	for (int i = 0; i < total; i++) {
		char line[64];
		struct ta_event ev = tty_event(QUIET_SES, line, numbered_line(line, sizeof(line), i));

		if (i % 3 == 0) {
			ev.kind = TA_EV_FOOTPRINT;
			ev.data = NULL;
			ev.len = 0;
			fp.ret = i;
			ev.fp = &fp;
			memcpy(ev.fp_path, path, sizeof(path));
			ev.fp_path_len = 13;
			ev.fp_given = fp.path; /* the given name points into the record */
			memcpy(fp.path, "notes", 6);
			ev.fp_given_len = 5;
		}
		CHECK_EQ_INT(q->ops->event(q, &ev, (uint64_t)i), 0);
		if (i % 500 == 0)
			CHECK_EQ_INT(q->ops->flush(q), 0);
	}
	q->ops->close(q);
	CHECK_EQ_INT(c.n, total);
	CHECK_EQ_INT(c.bad, 0);
}

/*
 * Every item the writer has written is uncharged, however many it wrote
 * while the drain queued nothing (more than the ring of written items holds:
 * the rest go on the list through the items): once the writer is through,
 * nothing is left charged. The writer is held at the first event until all
 * are queued.
 */
static void test_all_uncharged(void)
{
	sem_t gate;
	struct check_sink c = { .base.ops = &check_ops, .gate = &gate };
	struct ta_sink *q = NULL;
	struct ta_sink_queue_stats st = { 0 };
	const int total = 10000;

	sem_init(&gate, 0, 0);
	CHECK_EQ_INT(ta_sink_queue_open(&q, &c.base, 0), 0);
	if (!q)
		return;
	for (int i = 0; i < total; i++) {
		char line[64];
		struct ta_event ev = tty_event(QUIET_SES, line, numbered_line(line, sizeof(line), i));

		CHECK_EQ_INT(q->ops->event(q, &ev, (uint64_t)i), 0);
	}
	CHECK_EQ_INT(q->ops->flush(q), 0);
	sem_post(&gate);
	/* The drain looks only after the writer has had time to write them all. */
	for (int tries = 0; tries < 200; tries++) {
		usleep(50000);
		ta_sink_queue_stats(q, &st);
		if (st.queued_bytes == 0)
			break;
	}
	CHECK_EQ_INT(st.queued_bytes, 0);
	CHECK(st.peak_bytes > 0);
	q->ops->close(q);
	CHECK_EQ_INT(c.n, total);
	CHECK_EQ_INT(c.bad, 0);
	sem_destroy(&gate);
}

int main(void)
{
	test_exec_copied();
	test_footprint_given_copied();
	test_flood_beside_quiet();
	test_footprint_flood_keeps_tty();
	test_charged_records();
	test_room_to_spare();
	test_reused_items();
	test_all_uncharged();
	return check_result();
}

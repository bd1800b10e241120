// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's hand-off from its drain thread to its writer thread
 * (agent/sink/sink_queue.c), alone: N terminal events of L bytes queued as
 * the drain queues them (a call every C events, as the daemon's round ends
 * with one), to an inner sink that only reads each event's bytes. Prints
 * figures, never pass/fail: the process's CPU (both threads) and wall time per
 * event, min / median / max over the runs.
 *
 * Usage: queue_bench [--events N] [--len L] [--call-every C] [--runs R]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/decimal.h"
#include "bench_stats.h"
#include "sink/sink.h"
#include "sink/sink_queue.h"

struct null_sink {
	struct ta_sink base;
	uint64_t events, bytes_sum;
};

static int null_event(struct ta_sink *base, const struct ta_event *ev, uint64_t realtime_ns)
{
	struct null_sink *s = (struct null_sink *)base;

	s->events++;
	for (uint32_t i = 0; i < ev->len; i++)
		s->bytes_sum += ev->data[i];
	s->bytes_sum += realtime_ns & 1;
	return 0;
}

static int null_record(struct ta_sink *base, const struct ta_record *rec)
{
	(void)base;
	(void)rec;
	return 0;
}

static int null_flush(struct ta_sink *base)
{
	(void)base;
	return 0;
}

static void null_close(struct ta_sink *base)
{
	(void)base;
}

static const struct ta_sink_ops null_ops = {
	.event = null_event, .record = null_record, .flush = null_flush, .close = null_close,
};

static void on_call(void *ctx, const void *arg, size_t len)
{
	(void)ctx;
	(void)arg;
	(void)len;
}

static long arg_long(const char *s, long min, long max)
{
	const char *end;
	uint64_t v;

	if (ta_parse_dec_u64(s, &end, &v) || *end || v < (uint64_t)min || v > (uint64_t)max) {
		fprintf(stderr, "queue_bench: '%s' is not a number from %ld to %ld\n", s, min, max);
		exit(2);
	}
	return (long)v;
}

int main(int argc, char **argv)
{
	long events = 2000000, len = 24, call_every = 2000, runs = 7;

	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL; /* an option without one: usage */

		if (v && !strcmp(argv[i], "--events"))
			events = arg_long(v, 1, 1000000000);
		else if (v && !strcmp(argv[i], "--len"))
			len = arg_long(v, 0, 65536);
		else if (v && !strcmp(argv[i], "--call-every"))
			call_every = arg_long(v, 1, 1000000000);
		else if (v && !strcmp(argv[i], "--runs"))
			runs = arg_long(v, 1, 1000);
		else {
			fprintf(stderr, "usage: queue_bench [--events N] [--len L] [--call-every C] [--runs R]\n");
			return 2;
		}
	}
	uint8_t *data = malloc((size_t)len + 1);
	double *cpu = calloc((size_t)runs, sizeof(double)), *wall = calloc((size_t)runs, sizeof(double));

	if (!data || !cpu || !wall)
		return 1;
	memset(data, 'x', (size_t)len);
	for (long r = 0; r < runs; r++) {
		struct null_sink inner = { .base.ops = &null_ops };
		struct ta_sink *q;
		struct ta_event ev = {
			.kind = TA_EV_TTY_OUTPUT, .source = TA_SRC_SYSCALL,
			.tty = { .major = 136, .minor = 3, .name = "pts/3" },
			.task = { .pid = 100, .uid = 1000, .auid = 1000, .ses = 5, .comm = "perl" },
			.owner_ses = 5, .owner_auid = 1000, .data = data, .len = (uint32_t)len,
		};
		double c0 = bench_clock_s(CLOCK_PROCESS_CPUTIME_ID), w0 = bench_clock_s(CLOCK_MONOTONIC);

		/* A budget nothing reaches: a drop would make the run cheaper. */
		if (ta_sink_queue_open(&q, &inner.base, 1ull << 40)) {
			fprintf(stderr, "queue_bench: cannot open the queue\n");
			return 1;
		}
		for (long i = 0; i < events; i++) {
			ev.call_id = (uint64_t)i;
			ev.total_len = (uint64_t)len;
			if (q->ops->event(q, &ev, (uint64_t)i))
				return 1;
			if ((i + 1) % call_every == 0)
				ta_sink_queue_call(q, on_call, NULL, NULL, 0);
		}
		q->ops->close(q);
		cpu[r] = (bench_clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e9 / (double)events;
		wall[r] = (bench_clock_s(CLOCK_MONOTONIC) - w0) * 1e9 / (double)events;
		if (inner.events != (uint64_t)events) {
			fprintf(stderr, "queue_bench: %llu of %ld events reached the sink\n",
				(unsigned long long)inner.events, events);
			return 1;
		}
	}
	printf("queue_bench events=%ld len=%ld call_every=%ld runs=%ld\n", events, len, call_every, runs);
	bench_report("hand-off, CPU of both threads per event", "ns", cpu, (int)runs);
	bench_report("hand-off, wall per event", "ns", wall, (int)runs);
	free(data);
	free(cpu);
	free(wall);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli_bench: figures for the investigator CLI on a generated log (never pass/fail).
 *
 *   cli_bench [--ttyaudit PATH] [--dir DIR] [--records N] [--sessions N] [--big-mb N]
 *             [--queries N] [--keep]
 *
 * Writes a log with the store API: N small terminal-data records spread over
 * the sessions (1000 login users), and one big session of --big-mb MiB of
 * terminal output in 64 KiB batches. Then measures: reindex time; `query
 * --user` latency (in-process on the index, and the ttyaudit program end to
 * end), `show --raw` and `show` throughput on the big session, and `query
 * --grep` over the big session's output. Targets (product brief): 10 M records
 * / 1 M sessions: query p99 <= 5 ms; show of 100 MB >= 500 MB/s; grep over
 * 1 GiB <= 2 s. Defaults are smaller so it runs in about a minute.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "index/index.h"
#include "logfmt/tty_batch.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"

#define BOOT32 0xbe4c0001u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/*
 * Runs argv with stdout to /dev/null; returns wall seconds (or -1), and the
 * child's CPU seconds (user + system) in *cpu if not NULL: on a shared machine
 * the wall figure mostly measures the others' load, the CPU one the program.
 * posix_spawn, not fork: a fork of this process (the generated log's index
 * mapped, ~330 MB at 10 M records) made the child pay for tearing down a copy
 * of its page tables at exec, ~3-4 ms of "the program's" CPU on this machine.
 */
static double run_cpu(char *const argv[], double *cpu)
{
	double t = now();
	posix_spawn_file_actions_t fa;
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_adddup2(&fa, 1, 2) ||
	    posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	int st;
	struct rusage ru;
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	if (cpu)
		*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return now() - t;
}

static double run(char *const argv[])
{
	return run_cpu(argv, NULL);
}

static void tty_id(struct ta_tty_id *id, uint32_t ses)
{
	memset(id, 0, sizeof(*id));
	id->major = 136;
	id->minor = ses % 4096;
	snprintf(id->name, sizeof(id->name), "pts%u", ses % 4096);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttyaudit", required_argument, NULL, 't' }, { "dir", required_argument, NULL, 'd' },
		{ "records", required_argument, NULL, 'r' }, { "sessions", required_argument, NULL, 's' },
		{ "big-mb", required_argument, NULL, 'b' }, { "queries", required_argument, NULL, 'q' },
		{ "keep", no_argument, NULL, 'k' }, { 0 },
	};
	const char *cli = NULL;
	char dirbuf[] = "/tmp/ta-cli-bench-XXXXXX";
	const char *dir = NULL;
	uint64_t records = 1000000, sessions = 100000, big_mb = 64, queries = 2000;
	int c, keep = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': cli = optarg; break;
		case 'd': dir = optarg; break;
		case 'r': records = strtoull(optarg, NULL, 10); break;
		case 's': sessions = strtoull(optarg, NULL, 10); break;
		case 'b': big_mb = strtoull(optarg, NULL, 10); break;
		case 'q': queries = strtoull(optarg, NULL, 10); break;
		case 'k': keep = 1; break;
		default:
			fprintf(stderr, "usage: cli_bench [--ttyaudit PATH] [--dir DIR] [--records N] "
				"[--sessions N] [--big-mb N] [--queries N] [--keep]\n");
			return 2;
		}
	}
	if (!sessions)
		sessions = 1;
	if (!dir) {
		if (!mkdtemp(dirbuf)) {
			perror("mkdtemp");
			return 1;
		}
		dir = dirbuf;
	}
	char logdir[4096];
	snprintf(logdir, sizeof(logdir), "%s/log", dir);

	/* ---- generate */
	struct ta_store_opts o = { .dir = logdir, .no_append_only = 1, .origin = "bench/ttyaudit",
				   .commit_max_records = 65536, .commit_interval_ms = 1000,
				   .checkpoint_every_records = 1000000, .checkpoint_interval_ms = 3600000 };
	struct ta_store *st;
	int err = ta_store_open(&st, &o);
	if (err) {
		fprintf(stderr, "cli_bench: %s\n", ta_store_open_error());
		return 1;
	}
	double t0 = now();
	struct ta_batch_builder b;
	struct ta_tty_id id;
	ta_batch_init(&b);
	uint64_t t = 1767268800000000000ull;
	char line[96];
	for (uint64_t i = 0; i < records; i++) {
		uint32_t ses = (uint32_t)(i % sessions) + 1;
		tty_id(&id, ses);
		ta_batch_begin(&b, &id, ses, 1000 + ses % 1000, t + i * 1000);
		int n = snprintf(line, sizeof(line), "user%u@host:~$ ls -l /var/log/record-%llu\r\n",
				 ses % 1000, (unsigned long long)i);
		struct ta_tty_entry e = { .kind = (i & 3) ? TA_ENTRY_OUTPUT : TA_ENTRY_INPUT,
					  .len = (uint32_t)n, .orig_len = (uint32_t)n, .uid = 1000 + ses % 1000 };
		ta_batch_add(&b, &e, t + i * 1000, line);
		size_t len;
		const void *p = ta_batch_payload(&b, &len);
		if ((err = ta_store_append(st, TA_REC_TTY_DATA, t + i * 1000, ta_session_key(BOOT32, ses),
					   p, len, NULL))) {
			fprintf(stderr, "append: %d\n", err);
			return 1;
		}
		if ((i & 65535) == 0)
			ta_store_tick(st, 0);
	}
	double gen_small = now() - t0;
	/* The big session: terminal-like text, 64 KiB batches of 4 KiB writes. */
	uint32_t big_ses = (uint32_t)sessions + 10;
	uint64_t big = big_mb << 20, done = 0, tb = t + records * 1000 + 1000000;
	char *chunk = malloc(4096);
	uint64_t recs_big = 0;
	t0 = now();
	tty_id(&id, big_ses);
	while (done < big) {
		ta_batch_begin(&b, &id, big_ses, 4242, tb);
		for (int k = 0; k < 16 && done < big; k++) {
			size_t m = 0;
			while (m < 4096 - 80) {
				m += (size_t)snprintf(chunk + m, 4096 - m,
						      "%08llu drwxr-xr-x 2 root root 4096 Jan  1 12:00 dir-%llu\r\n",
						      (unsigned long long)(done + m), (unsigned long long)((done + m) % 9973));
			}
			if (done + m > big)
				m = big - done;
			struct ta_tty_entry e = { .kind = TA_ENTRY_OUTPUT, .len = (uint32_t)m,
						  .orig_len = (uint32_t)m, .uid = 4242 };
			ta_batch_add(&b, &e, tb, chunk);
			tb += 1000;
			done += m;
		}
		size_t len;
		const void *p = ta_batch_payload(&b, &len);
		ta_store_append(st, TA_REC_TTY_DATA, tb, ta_session_key(BOOT32, big_ses), p, len, NULL);
		recs_big++;
	}
	/* A needle at the end for --grep. */
	ta_batch_begin(&b, &id, big_ses, 4242, tb);
	struct ta_tty_entry ne = { .kind = TA_ENTRY_OUTPUT, .len = 22, .orig_len = 22, .uid = 4242 };
	ta_batch_add(&b, &ne, tb, "needle-7d1e-in-output\n");
	size_t nlen;
	const void *np = ta_batch_payload(&b, &nlen);
	ta_store_append(st, TA_REC_TTY_DATA, tb, ta_session_key(BOOT32, big_ses), np, nlen, NULL);
	ta_store_close(st);
	double gen_big = now() - t0;
	ta_batch_free(&b);
	free(chunk);
	printf("generated: %llu small records / %llu sessions in %.1f s (%.0f rec/s); big session %llu MiB "
	       "in %llu records in %.1f s\n", (unsigned long long)records, (unsigned long long)sessions,
	       gen_small, records / gen_small, (unsigned long long)big_mb, (unsigned long long)recs_big, gen_big);

	if (!cli) {
		printf("no --ttyaudit: skipping the command figures\n");
		return 0;
	}
	char *cli_s = (char *)cli;

	/* ---- reindex */
	char idx[4096];
	snprintf(idx, sizeof(idx), "%s/sessions.idx", dir);
	char *re_argv[] = { cli_s, "reindex", "--log-dir", logdir, "--index", idx, NULL };
	double tr = run(re_argv);
	struct stat sb;
	stat(idx, &sb);
	printf("reindex: %.2f s (%.0f records/s), index %.1f MiB\n", tr, (records + recs_big) / tr,
	       sb.st_size / 1048576.0);

	/* ---- query --user, in process: open index, check it is fresh, look up, read rows */
	double *lat = malloc(queries * sizeof(double));
	uint64_t rows = 0;
	for (uint64_t q = 0; q < queries; q++) {
		double a = now();
		struct ta_index ix;
		if (ta_index_open(&ix, idx)) {
			fprintf(stderr, "index open failed\n");
			return 1;
		}
		if (ta_index_check(&ix, logdir) != 1)
			fprintf(stderr, "index not fresh?\n");
		const uint32_t *first;
		size_t n = ta_index_by_auid(&ix, 1000 + (uint32_t)(q * 7919 % 1000), &first);
		volatile uint64_t sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += ix.view.s[first[i]].bytes_out;
		rows += n;
		ta_index_close(&ix);
		lat[q] = now() - a;
	}
	qsort(lat, queries, sizeof(double), cmp_d);
	printf("query --user (in process, index): p50 %.3f ms, p99 %.3f ms, max %.3f ms (%llu rows/query)\n",
	       lat[queries / 2] * 1e3, lat[queries * 99 / 100] * 1e3, lat[queries - 1] * 1e3,
	       (unsigned long long)(rows / queries));
	uint64_t pq = queries > 200 ? 200 : queries;
	double *cpu = malloc(pq * sizeof(double));
	for (uint64_t q = 0; q < pq; q++) {
		char user[16];
		snprintf(user, sizeof(user), "%u", 1000 + (unsigned)(q * 7919 % 1000));
		char *qa[] = { cli_s, "query", "--log-dir", logdir, "--index", idx, "--user", user, "--json", NULL };
		lat[q] = run_cpu(qa, &cpu[q]);
	}
	qsort(lat, pq, sizeof(double), cmp_d);
	qsort(cpu, pq, sizeof(double), cmp_d);
	printf("ttyaudit query --user (program, spawn and exit included, %llu records): p50 %.2f ms, p99 %.2f ms; "
	       "CPU p50 %.2f ms, p99 %.2f ms\n", (unsigned long long)(records + recs_big),
	       lat[pq / 2] * 1e3, lat[pq * 99 / 100] * 1e3, cpu[pq / 2] * 1e3, cpu[pq * 99 / 100] * 1e3);
	free(cpu);
	free(lat);

	/* ---- show of the big session */
	char sid[32];
	snprintf(sid, sizeof(sid), "%08x-%u", BOOT32, big_ses);
	char *sr[] = { cli_s, "show", "--log-dir", logdir, "--index", idx, "--raw", sid, NULL };
	char *sn[] = { cli_s, "show", "--log-dir", logdir, "--index", idx, sid, NULL };
	double a1 = run(sr), a2 = run(sn);
	printf("show --raw of %llu MiB: %.2f s = %.0f MB/s; show (neutralised, prefixed): %.2f s = %.0f MB/s\n",
	       (unsigned long long)big_mb, a1, big / a1 / 1e6, a2, big / a2 / 1e6);

	/* ---- grep over the big session's output */
	char *g1[] = { cli_s, "query", "--log-dir", logdir, "--index", idx, "--session", sid, "--grep",
		       "needle-7d1e", NULL };
	char *g2[] = { cli_s, "query", "--log-dir", logdir, "--index", idx, "--session", sid, "--grep",
		       "needle-[0-9a-f]{4}-in", NULL };
	double b1 = run(g1), b2 = run(g2);
	printf("query --grep over %llu MiB of output: literal %.2f s (%.0f MB/s), regex %.2f s (%.0f MB/s)\n",
	       (unsigned long long)big_mb, b1, big / b1 / 1e6, b2, big / b2 / 1e6);
	if (!keep) {
		char cmd[4200];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return 0;
}

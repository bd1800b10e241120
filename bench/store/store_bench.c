// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Store benchmark (prints figures; never pass/fail):
 *  - append in memory (log on tmpfs, no fsync) by record size: records/s, MB/s
 *  - durable append with group commit (log on disk): records/s
 *  - verify throughput beside `openssl speed -evp sha256` run in the same process
 *  - compression ratio on a generated terminal corpus and on random data
 * Each figure: min / median / max over several runs.
 *
 *  - zstd alone per record size and level, with and without a trained dictionary: the
 *    candidates for the 4 KiB figure (--only codec; not in the default run)
 *
 * Usage: store_bench [--disk-dir DIR] [--mem-dir DIR] [--runs N]
 *                    [--only append|durable|verify|ratio|codec]
 *                    [--level ZSTD_LEVEL] [--threads N (batch appends; 0: 2 on 2 cores)]
 *                    [--size BYTES (the append rows of one record size)] [--batch RECORDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a shared machine the steadier figure (openssl speed reports
 * user CPU time too, so the verify ratio compares like with like). */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, const char *unit, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	printf("%-44s min %10.3f  median %10.3f  max %10.3f  %s\n", what, v[0], v[n / 2], v[n - 1], unit);
}

static void rmtree(const char *dir)
{
	char cmd[1200];
	/* files may be append-only: clear the flag first (chattr may be absent) */
	snprintf(cmd, sizeof(cmd), "chattr -R -a '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* ---------------------------------------------------------- terminal corpus */

static const char *words[] = { "src", "main.c", "include", "build", "README.md", "Makefile", "test",
			       "lib", "util.h", "config.yaml", "docker", "nginx", "var", "log" };

static size_t corpus(uint8_t *out, size_t cap, unsigned seed)
{
	size_t n = 0;
	srand(seed);
	while (n + 512 < cap) {
		int kind = rand() % 6;
		int w = rand() % 14, d = rand() % 28 + 1, h = rand() % 24, m = rand() % 60;
		switch (kind) {
		case 0:
			n += (size_t)snprintf((char *)out + n, cap - n,
					      "\x1b[01;32malice@web-%02d\x1b[00m:\x1b[01;34m~/%s\x1b[00m$ ls -l %s\r\n",
					      rand() % 20, words[w], words[(w + 3) % 14]);
			break;
		case 1:
			for (int i = 0; i < 6; i++)
				n += (size_t)snprintf((char *)out + n, cap - n,
						      "%s 1 alice staff %7d Mar %2d %02d:%02d \x1b[01;34m%s\x1b[0m\r\n",
						      rand() % 3 ? "-rw-r--r--" : "drwxr-xr-x", rand() % 200000,
						      d, h, m, words[(w + i) % 14]);
			break;
		case 2:
			n += (size_t)snprintf((char *)out + n, cap - n,
					      "%s:%d:%d: \x1b[01;35mwarning: \x1b[0munused variable '%s' "
					      "[-Wunused-variable]\r\n   %d |     int %s = %d;\r\n      |         ^\r\n",
					      words[w], rand() % 900, rand() % 40, words[(w + 1) % 14],
					      rand() % 900, words[(w + 1) % 14], rand() % 100);
			break;
		case 3:
			n += (size_t)snprintf((char *)out + n, cap - n,
					      "2024-03-%02d %02d:%02d:%02d.%03d INFO  [worker-%d] request id=%08x "
					      "path=/api/v1/%s status=200 dur=%dms\r\n", d, h, m, rand() % 60,
					      rand() % 1000, rand() % 8, rand(), words[w], rand() % 500);
			break;
		case 4:
			n += (size_t)snprintf((char *)out + n, cap - n,
					      "gcc -O2 -Wall -c %s -o build/%s.o\r\n[%3d%%] Building C object "
					      "CMakeFiles/app.dir/%s.o\r\n", words[w], words[w], rand() % 101,
					      words[w]);
			break;
		default:
			n += (size_t)snprintf((char *)out + n, cap - n,
					      "  PID USER      PR  NI    VIRT    RES  %%CPU %%MEM     TIME+ COMMAND\r\n"
					      "%5d alice     20   0 %7d %6d %5.1f %4.1f %3d:%02d.%02d %s\r\n",
					      rand() % 99999, rand() % 9999999, rand() % 999999,
					      (rand() % 1000) / 10.0, (rand() % 1000) / 10.0, rand() % 100, m,
					      rand() % 100, words[w]);
		}
	}
	return n;
}

/* ------------------------------------------------------------------ runs */

static int level;   /* --level: zstd level (0: the store's default) */
static int batch;   /* append_run: records per ta_store_append_batch call (0: ta_store_append) */
static int bthreads; /* --threads: the store's batch_threads */
static size_t only_size; /* --size: the append rows of this record size only */
static int batch_records; /* --batch: records per batch call (0: ~512 KiB, 64 to 1024) */
static double last_ratio; /* append_run: raw / stored bytes of the last run (with the store's records) */

static struct ta_store *open_store(const char *dir, const char *key, int durable)
{
	struct ta_store_opts o = { .dir = dir, .key_file = key, .origin = "bench/ttyaudit" };
	o.compression_level = level;
	o.batch_threads = bthreads;
	o.no_append_only = 1;
	o.commit_interval_ms = durable ? 200 : 3600000;
	o.commit_max_records = durable ? 4096 : 0xffffffffu;
	o.checkpoint_every_records = 0xffffffffu;
	o.checkpoint_interval_ms = 3600000;
	o.segment_max_bytes = 256ull << 20;
	struct ta_store *s;
	if (ta_store_open(&s, &o)) {
		fprintf(stderr, "open %s: %s\n", dir, ta_store_open_error());
		exit(1);
	}
	return s;
}


static void append_or_die(struct ta_store *s, const struct ta_store_rec *r, size_t n)
{
	if (batch ? ta_store_append_batch(s, r, n, NULL) != (ssize_t)n :
		    ta_store_append(s, r->type, r->time_ns, r->session, r->payload, r->len, NULL) != 0) {
		fprintf(stderr, "append failed: %s\n", ta_store_message(s));
		exit(1);
	}
}

static double append_run(const char *root, size_t rec, uint64_t n, int durable, const uint8_t *data,
			 size_t data_len, double *mbps, double *per_cpu)
{
	char dir[512], key[600];
	snprintf(dir, sizeof(dir), "%s/bench-log", root);
	snprintf(key, sizeof(key), "%s/bench.key", root);
	rmtree(dir);
	struct ta_store *s = open_store(dir, key, durable);
	double t0 = now_s(), c0 = cpu_s();
	size_t off = 0, k = 0;
	struct ta_store_rec r[1024];
	for (uint64_t i = 0; i < n; i++) {
		if (off + rec > data_len)
			off = (off + 7) % 64;
		r[k++] = (struct ta_store_rec){ .type = 0x100, .time_ns = i, .session = i & 15,
						.payload = data + off, .len = rec };
		if (k == (size_t)(batch ? batch : 1) || i + 1 == n) {
			append_or_die(s, r, k);
			k = 0;
		}
		off += rec;
	}
	if (durable && ta_store_commit(s))
		exit(1);
	double t = now_s() - t0, c = cpu_s() - c0;
	struct ta_store_stats st;
	ta_store_get_stats(s, &st);
	last_ratio = (double)st.bytes_raw / (double)(st.bytes_stored ? st.bytes_stored : 1);
	ta_store_close(s);
	*mbps = (double)n * (double)rec / t / 1e6;
	if (per_cpu)
		*per_cpu = (double)n / c;
	return (double)n / t;
}

static double openssl_speed(void)
{
	FILE *p = popen("openssl speed -evp sha256 -bytes 16384 -seconds 2 2>/dev/null", "r");
	if (!p)
		return 0;
	char line[512];
	double v = 0;
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "sha256", 6)) {
			char *k = strrchr(line, ' ');
			while (k && k > line && k[-1] == ' ')
				k--;
			/* the last column: "1769078.78k" bytes per second in thousands */
			char *last = strrchr(line, ' ');
			if (last)
				v = strtod(last + 1, NULL) * 1000.0 / 1e9;
		}
	}
	pclose(p);
	return v;
}

int main(int argc, char **argv)
{
	const char *disk = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	const char *mem = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : disk;
	int runs = 5;
	const char *only = NULL;
#define PART(name) (!only ? strcmp(name, "codec") != 0 : !strcmp(only, name))
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--disk-dir") && i + 1 < argc)
			disk = argv[++i];
		else if (!strcmp(argv[i], "--mem-dir") && i + 1 < argc)
			mem = argv[++i];
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--level") && i + 1 < argc)
			level = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch_records = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			only_size = (size_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			bthreads = atoi(argv[++i]);
	}
	if (runs < 1 || runs > 50)
		runs = 5;
	char memroot[512], diskroot[512];
	snprintf(memroot, sizeof(memroot), "%s/ta-bench-XXXXXX", mem);
	snprintf(diskroot, sizeof(diskroot), "%s/ta-bench-XXXXXX", disk);
	if (!mkdtemp(memroot) || !mkdtemp(diskroot)) {
		perror("mkdtemp");
		return 1;
	}
	static uint8_t text[8 << 20], rnd[8 << 20];
	size_t tlen = corpus(text, sizeof(text), 1);
	srand(2);
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)rand();
	double v[50], mb[50], vc[50];
	char what[128];

	printf("ttyaudit store benchmark: %d runs each; in memory = %s, durable = %s\n\n", runs, mem, disk);
	/* 64 KiB: the daemon's terminal batches (sink_store.c) are that large. */
	static const size_t sizes[] = { 64, 256, 512, 4096, 65536 };
	for (size_t k = 0; PART("append") && k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint64_t n = sizes[k] <= 512 ? 1000000 : sizes[k] <= 4096 ? 200000 : 12800;
		if (only_size && sizes[k] != only_size)
			continue;
		for (int r = 0; r < runs; r++)
			v[r] = append_run(memroot, sizes[k], n, 0, text, tlen, &mb[r], &vc[r]) / 1e6;
		snprintf(what, sizeof(what), "append in memory, %5zu B terminal text", sizes[k]);
		report(what, "M records/s", v, runs);
		snprintf(what, sizeof(what), "  same, payload throughput");
		report(what, "MB/s", mb, runs);
		for (int r = 0; r < runs; r++)
			vc[r] = vc[r] * (double)sizes[k] / 1e6;
		snprintf(what, sizeof(what), "  same, per CPU second");
		report(what, "MB per CPU s", vc, runs);
		if (sizes[k] >= 1024)
			printf("  same, compression raw / stored: %.2fx (zstd level %d)\n", last_ratio,
			       level ? level : 1);
	}
	/*
	 * The same through ta_store_append_batch (about 512 KiB a call, 64 to 1024 records: less
	 * than a 20 ms drain of an 80 MB/s terminal hands over):
	 * compression and hashing on both cores when the second is free. Wall-clock rates; the
	 * CPU figure counts both threads.
	 */
	static const size_t bsizes[] = { 512, 4096, 65536 };
	for (size_t k = 0; PART("append") && k < sizeof(bsizes) / sizeof(bsizes[0]); k++) {
		uint64_t n = bsizes[k] <= 512 ? 1000000 : bsizes[k] <= 4096 ? 200000 : 12800;
		if (only_size && bsizes[k] != only_size)
			continue;
		batch = bsizes[k] * 64 >= (512u << 10) ? 64 : (int)((512u << 10) / bsizes[k]);
		if (batch > 1024)
			batch = 1024;
		if (batch_records > 0 && batch_records <= 1024)
			batch = batch_records;
		for (int r = 0; r < runs; r++)
			v[r] = append_run(memroot, bsizes[k], n, 0, text, tlen, &mb[r], &vc[r]) / 1e6;
		snprintf(what, sizeof(what), "append batch (%d), %5zu B terminal text", batch, bsizes[k]);
		report(what, "M records/s", v, runs);
		report("  same, payload throughput", "MB/s", mb, runs);
		for (int r = 0; r < runs; r++)
			vc[r] = vc[r] * (double)bsizes[k] / 1e6;
		report("  same, per CPU second (both threads)", "MB per CPU s", vc, runs);
		if (bsizes[k] >= 1024)
			printf("  same, compression raw / stored: %.2fx (zstd level %d)\n", last_ratio,
			       level ? level : 1);
		batch = 0;
	}
	for (int r = 0; PART("append") && !only_size && r < runs; r++)
		v[r] = append_run(memroot, 512, 500000, 0, rnd, sizeof(rnd), &mb[r], NULL) / 1e6;
	if (PART("append") && !only_size)
		report("append in memory,  512 B random", "M records/s", v, runs);
	for (int r = 0; PART("durable") && r < runs; r++)
		v[r] = append_run(diskroot, 256, 500000, 1, text, tlen, &mb[r], NULL) / 1e3;
	if (PART("durable"))
		report("durable append (group commit 4096/200ms), 256 B", "k records/s", v, runs);
	for (int r = 0; PART("durable") && r < runs; r++)
		v[r] = append_run(diskroot, 512, 300000, 1, text, tlen, &mb[r], NULL) / 1e3;
	if (PART("durable"))
		report("durable append (group commit 4096/200ms), 512 B", "k records/s", v, runs);

	/* verify: a log of 16 KiB incompressible records, ~512 MB */
	double vmed[4] = { 0 }; /* medians: wall default/one thread, per CPU s default/one thread */
	if (PART("verify")) {
		char dir[600], key[600];
		snprintf(dir, sizeof(dir), "%s/verify-log", memroot);
		snprintf(key, sizeof(key), "%s/bench.key", memroot);
		struct ta_store *s = open_store(dir, key, 0);
		for (uint64_t i = 0; i < 32768; i++)
			ta_store_append(s, 0x100, i, 1, rnd + (i * 4099) % (sizeof(rnd) - 16384), 16384, NULL);
		ta_store_close(s);
		/* verify's default (a second thread hashes half of each batch when there are two
		 * cores), then one thread: the CPU figure of the latter is the one that compares
		 * with openssl's single stream. */
		for (int threads = 0; threads < 2; threads++) {
			for (int r = 0; r < runs; r++) {
				struct ta_verify_result res;
				struct ta_verify_opts o = { .dir = dir, .threads = threads };
				double t0 = now_s(), c0 = cpu_s();
				if (ta_log_verify(&o, &res)) {
					fprintf(stderr, "verify failed: %s\n", res.message);
					return 1;
				}
				v[r] = (double)res.bytes / (now_s() - t0) / 1e9;
				vc[r] = (double)res.bytes / (cpu_s() - c0) / 1e9;
			}
			report(threads ? "verify, 16 KiB records, one thread" :
					 "verify, 16 KiB records (512 MB, page cache)", "GB/s", v, runs);
			report("  same, per CPU second", "GB per CPU s", vc, runs);
			vmed[threads] = v[runs / 2];
			vmed[2 + threads] = vc[runs / 2];
		}
		/* and small records: hashing per record dominates */
		snprintf(dir, sizeof(dir), "%s/verify-small", memroot);
		s = open_store(dir, key, 0);
		for (uint64_t i = 0; i < 1000000; i++)
			ta_store_append(s, 0x100, i, 1, rnd + (i * 509) % (sizeof(rnd) - 512), 512, NULL);
		ta_store_close(s);
		for (int r = 0; r < runs; r++) {
			struct ta_verify_result res;
			struct ta_verify_opts o = { .dir = dir };
			double t0 = now_s(), c0 = cpu_s();
			ta_log_verify(&o, &res);
			v[r] = (double)res.bytes / (now_s() - t0) / 1e9;
			vc[r] = (double)res.bytes / (cpu_s() - c0) / 1e9;
		}
		report("verify, 512 B records", "GB/s", v, runs);
		report("  same, per CPU second", "GB per CPU s", vc, runs);
		for (int r = 0; r < (runs < 3 ? runs : 3); r++)
			v[r] = openssl_speed();
		report("openssl speed -evp sha256 (16 KiB blocks, user CPU)", "GB/s", v, runs < 3 ? runs : 3);
		double o = v[(runs < 3 ? runs : 3) / 2];
		if (o > 0)
			printf("verify 16 KiB / openssl (medians; goal >= 0.8): wall %.2f (default threads), "
			       "%.2f (one thread); per CPU s %.2f, %.2f\n", vmed[0] / o, vmed[1] / o,
			       vmed[2] / o, vmed[3] / o);
	}

	/*
	 * zstd alone, each record its own frame as the store writes it (level and no content
	 * size as in store.c), over the terminal corpus: the ratio and MB per CPU second of
	 * each candidate for the 4 KiB figure. The dictionary is trained on another corpus
	 * (another seed) of the same generator: the best case for a dictionary, since real
	 * terminals are not this uniform.
	 */
	if (only && !strcmp(only, "codec")) {
		static uint8_t train[4 << 20], dict[112 << 10];
		size_t trlen = corpus(train, sizeof(train), 99);
		size_t nsamp = trlen / 4096, samp[1024];
		for (size_t i = 0; i < nsamp && i < 1024; i++)
			samp[i] = 4096;
		size_t dlen = ZDICT_trainFromBuffer(dict, sizeof(dict), train, samp, nsamp < 1024 ? nsamp : 1024);
		if (ZDICT_isError(dlen))
			dlen = 0;
		static const size_t rsz[] = { 4096, 16384, 65536 };
		static const int lv[] = { 3, 1, -1, -3, -5, -10 };
		static uint8_t out[70000];
		ZSTD_CCtx *zc = ZSTD_createCCtx();
		printf("zstd alone, one frame per record (ratio raw/stored; MB per CPU s, best of %d)\n", runs);
		for (int dct = 0; dct < (dlen ? 2 : 1); dct++) {
			ZSTD_CDict *cd = NULL;
			for (size_t k = 0; k < sizeof(rsz) / sizeof(rsz[0]); k++) {
				printf("  %6zu B%s:", rsz[k], dct ? " + dictionary" : "");
				for (size_t l = 0; l < sizeof(lv) / sizeof(lv[0]); l++) {
					ZSTD_CCtx_reset(zc, ZSTD_reset_session_and_parameters);
					ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, lv[l]);
					ZSTD_CCtx_setParameter(zc, ZSTD_c_contentSizeFlag, 0);
					if (dct) {
						ZSTD_freeCDict(cd);
						cd = ZSTD_createCDict(dict, dlen, lv[l]);
						ZSTD_CCtx_refCDict(zc, cd);
					}
					double best = 0, in = 0, st = 0;
					for (int r = 0; r < runs; r++) {
						in = st = 0;
						double c0 = cpu_s();
						for (size_t off = 0; off + rsz[k] <= tlen; off += rsz[k]) {
							size_t c = ZSTD_compress2(zc, out, sizeof(out), text + off, rsz[k]);
							in += (double)rsz[k];
							st += ZSTD_isError(c) || c >= rsz[k] ? (double)rsz[k] : (double)c;
						}
						double mbs = in / (cpu_s() - c0) / 1e6;
						best = mbs > best ? mbs : best;
					}
					printf("  L%d %.2fx %.0f", lv[l], in / st, best);
				}
				printf("\n");
			}
			ZSTD_freeCDict(cd);
		}
		ZSTD_freeCCtx(zc);
		if (dlen)
			printf("  (dictionary: %zu bytes, trained on 4 KiB samples of another corpus)\n", dlen);
	}

	/* compression: 64 KiB batches as the daemon writes them */
	if (PART("ratio")) {
		struct ta_store_stats st;
		char dir[600], key[600];
		snprintf(key, sizeof(key), "%s/bench.key", memroot);
		for (int kind = 0; kind < 2; kind++) {
			for (int r = 0; r < runs; r++) {
				snprintf(dir, sizeof(dir), "%s/z%d-%d", memroot, kind, r);
				size_t len = kind ? sizeof(rnd) : corpus(text, sizeof(text), 10 + (unsigned)r);
				const uint8_t *d = kind ? rnd : text;
				struct ta_store *s = open_store(dir, key, 0);
				ta_store_get_stats(s, &st);
				uint64_t raw0 = st.bytes_raw, stored0 = st.bytes_stored;
				for (size_t off = 0; off + 65536 <= len; off += 65536)
					ta_store_append(s, 0x100, off, 1, d + off, 65536, NULL);
				ta_store_get_stats(s, &st);
				double raw = (double)(st.bytes_raw - raw0), stored = (double)(st.bytes_stored - stored0);
				v[r] = kind ? stored / raw : raw / stored;
				ta_store_close(s);
			}
			report(kind ? "random data: stored / raw (64 KiB records)" :
				      "terminal corpus: raw / stored (64 KiB records)", kind ? "x (<= 1.1)" : "x (>= 5)",
			       v, runs);
		}
	}
	rmtree(memroot);
	rmtree(diskroot);
	return 0;
}

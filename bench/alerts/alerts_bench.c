// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rule engine benchmark (prints figures; never pass/fail), in process, on
 * the thread's CPU time:
 *  - pty output through the engine with the shipped rules (they have no
 *    output rules: the cost of looking), and with three output rules added
 *    (line reassembly and matching of every output line), and with 64 (a
 *    site's list of secrets' markers): ns per MB;
 *  - typed input, one key per event, Enter after each of five command lines, shipped rules: ns
 *    per key and per line;
 *  - exec events, shipped rules: ns per exec.
 * Each figure: min / median / max over the runs.
 *
 * Usage: alerts_bench RULES_CONF [--mb N] [--runs N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/alerts.h"
#include "bench_stats.h"

static double cpu_s(void)
{
	return bench_clock_s(CLOCK_THREAD_CPUTIME_ID);
}

#define report bench_report

static unsigned long hits;

static void on_hit(void *ctx, const struct ta_alert_hit *h)
{
	(void)ctx;
	(void)h;
	hits++;
}

/* Listing-like text with colours, and base64-like noise lines, as a terminal shows them. */
static size_t corpus(char *out, size_t cap)
{
	static const char *const words[] = { "src", "main.c", "include", "build", "README.md",
		"Makefile", "drwxr-xr-x", "root", "4096", "Nov", "\x1b[01;34mlib\x1b[0m", "util.h" };
	size_t n = 0;

	srand(7);
	while (n + 200 < cap) {
		if (rand() % 4 == 0) {
			for (int i = 0; i < 76; i++)
				out[n++] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
					[rand() % 64];
		} else {
			int w = 3 + rand() % 8;

			for (int i = 0; i < w; i++)
				n += (size_t)snprintf(out + n, cap - n, "%s ", words[rand() % 12]);
		}
		out[n++] = '\r';
		out[n++] = '\n';
	}
	return n;
}

static struct ta_event tty_event(uint16_t kind)
{
	struct ta_event ev = { .kind = kind };

	ev.tty.major = 136;
	ev.tty.minor = 3;
	snprintf(ev.tty.name, sizeof(ev.tty.name), "pts3");
	ev.task.uid = ev.task.auid = ev.owner_auid = 1000;
	ev.task.ses = ev.owner_ses = 4;
	ev.task.tgid = 1234;
	snprintf(ev.task.comm, sizeof(ev.task.comm), "bash");
	return ev;
}

static struct ta_alert_engine *engine(const char *rules_path, const char *extra)
{
	struct ta_alert_engine *e;
	struct ta_alert_rules *rs;
	char err[512], *text;
	FILE *f = fopen(rules_path, "r");
	size_t len;

	if (!f) {
		perror(rules_path);
		exit(1);
	}
	text = malloc(1 << 20);
	len = fread(text, 1, (1 << 20) - 4096, f);
	fclose(f);
	len += (size_t)snprintf(text + len, 4096, "\n%s", extra);
	if (ta_alert_rules_parse(&rs, rules_path, text, len, "/var/log/ttyaudit", err,
				 sizeof(err)) ||
	    ta_alert_engine_new(&e, on_hit, NULL)) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	free(text);
	ta_alert_engine_set_rules(e, rs);
	return e;
}

static double feed_output(struct ta_alert_engine *e, const char *data, size_t len)
{
	struct ta_event ev = tty_event(TA_EV_TTY_OUTPUT);
	double t0 = cpu_s();

	for (size_t off = 0; off < len; off += 4096) {
		ev.data = (const uint8_t *)data + off;
		ev.len = (uint32_t)(len - off < 4096 ? len - off : 4096);
		ta_alert_engine_feed(e, &ev, 1);
	}
	return cpu_s() - t0;
}

int main(int argc, char **argv)
{
	static const char output_rules[] =
		"rule = bench-out-1\non = output\nline = (password|passwd|secret)[[:space:]]*[:=]\n"
		"rule = bench-out-2\non = output\nline = BEGIN (RSA|OPENSSH|EC) PRIVATE KEY\n"
		"rule = bench-out-3\non = output\nline = ^uid=0\\(root\\)\n";
	static const char *const typed[] = { "ls -la /var/log", "cd src && make -j4",
		"git status", "vim main.c", "grep -rn TODO include/" };
	int mb = 64, runs = 5;
	const char *rules;
	char *data;
	size_t len;
	double v[32];

	if (argc < 2) {
		fprintf(stderr, "usage: alerts_bench RULES_CONF [--mb N] [--runs N]\n");
		return 2;
	}
	rules = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--mb"))
			mb = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--runs"))
			runs = atoi(argv[i + 1]);
	}
	if (mb < 1 || runs < 1 || runs > 32) {
		fprintf(stderr, "alerts_bench: bad --mb or --runs\n");
		return 2;
	}
	len = (size_t)mb << 20;
	data = malloc(len + 256);
	len = corpus(data, len + 256);

	for (int r = 0; r < runs; r++) {
		struct ta_alert_engine *e = engine(rules, "");

		v[r] = feed_output(e, data, len) * 1e9 / ((double)len / (1 << 20));
		ta_alert_engine_free(e);
	}
	report("output, shipped rules", "ns CPU per MB", v, runs);
	for (int r = 0; r < runs; r++) {
		struct ta_alert_engine *e = engine(rules, output_rules);

		v[r] = feed_output(e, data, len) * 1e9 / ((double)len / (1 << 20));
		ta_alert_engine_free(e);
	}
	report("output, shipped rules + 3 output rules", "ns CPU per MB", v, runs);
	/* A site's list of secrets' markers, one rule each: a literal and a class. */
	static char many_rules[64 * 96];
	size_t o = 0;
	for (int k = 0; k < 64; k++)
		o += (size_t)snprintf(many_rules + o, sizeof(many_rules) - o,
				      "rule = bench-many-%d\non = output\nline = marker%02d_[A-Za-z0-9]{8}\n",
				      k, k);
	for (int r = 0; r < runs; r++) {
		struct ta_alert_engine *e = engine(rules, many_rules);

		v[r] = feed_output(e, data, len) * 1e9 / ((double)len / (1 << 20));
		ta_alert_engine_free(e);
	}
	report("output, shipped rules + 64 output rules", "ns CPU per MB", v, runs);

	for (int r = 0; r < runs; r++) {
		struct ta_alert_engine *e = engine(rules, "");
		struct ta_event ev = tty_event(TA_EV_TTY_INPUT);
		unsigned long keys = 0;
		double t0 = cpu_s();

		for (int line = 0; line < 100000; line++) {
			const char *s = typed[line % 5];

			for (size_t k = 0; k <= strlen(s); k++) {
				ev.data = (const uint8_t *)(s[k] ? s + k : "\r");
				ev.len = 1;
				ta_alert_engine_feed(e, &ev, 1);
				keys++;
			}
		}
		v[r] = (cpu_s() - t0) * 1e9 / (double)keys;
		ta_alert_engine_free(e);
	}
	report("typed input (1 key per event), shipped rules", "ns CPU per key", v, runs);

	for (int r = 0; r < runs; r++) {
		struct ta_alert_engine *e = engine(rules, "");
		struct ta_event ev = tty_event(TA_EV_EXEC);
		static const char argv_buf[] = "grep\0-rn\0TODO\0include/\0";
		double t0 = cpu_s();

		ev.filename = "/usr/bin/grep";
		ev.argv = (const uint8_t *)argv_buf;
		ev.argv_len = sizeof(argv_buf) - 1;
		for (int i = 0; i < 200000; i++)
			ta_alert_engine_feed(e, &ev, 1);
		v[r] = (cpu_s() - t0) * 1e9 / 200000;
		ta_alert_engine_free(e);
	}
	report("exec, shipped rules", "ns CPU per exec", v, runs);
	printf("(hits %lu: the corpus triggers nothing, so no delivery is timed)\n", hits);
	free(data);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash test: a writer appending heavily is SIGKILLed 20 times at random
 * moments. After each kill the log must verify, and every record the writer
 * acknowledged durable (it prints the durable index on a pipe) must be there
 * with the right content. argv[1] is the store_writer program.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store_test_util.h"
#include "store/format.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Parses complete lines; returns the largest number seen. */
static uint64_t parse_acks(char *buf, size_t *len, uint64_t acked)
{
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', (size_t)(buf + *len - start)))) {
		*nl = 0;
		uint64_t v = strtoull(start, NULL, 10);
		if (v > acked)
			acked = v;
		start = nl + 1;
	}
	*len = (size_t)(buf + *len - start);
	memmove(buf, start, *len);
	return acked;
}

static uint64_t run_and_kill(const char *writer, const char *dir, const char *key, unsigned ms)
{
	int p[2];
	if (pipe(p))
		return 0;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(writer, writer, dir, key, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char buf[4096];
	size_t len = 0;
	/*
	 * The kill comes `ms` after the writer's first acknowledgement, not after
	 * the fork: on a loaded machine starting it (exec, key, first segment) can
	 * take longer than `ms`, and a kill before the log exists tests nothing.
	 */
	uint64_t acked = 0, deadline = now_ms() + 10000;
	int started = 0;
	for (;;) {
		uint64_t now = now_ms();
		if (now >= deadline)
			break;
		struct pollfd pf = { p[0], POLLIN, 0 };
		if (poll(&pf, 1, (int)(deadline - now)) <= 0)
			continue;
		ssize_t n = read(p[0], buf + len, sizeof(buf) - len - 1);
		if (n <= 0)
			break;
		len += (size_t)n;
		acked = parse_acks(buf, &len, acked);
		if (!started && acked) {
			started = 1;
			deadline = now_ms() + ms;
		}
	}
	kill(pid, SIGKILL);
	/* Lines written before the kill were acknowledged too. */
	ssize_t n;
	while ((n = read(p[0], buf + len, sizeof(buf) - len - 1)) > 0) {
		len += (size_t)n;
		acked = parse_acks(buf, &len, acked);
	}
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	return acked;
}

/* Power loss in the middle of a write: part of a record at the end of the last segment. */
static void tear_tail(const char *dir)
{
	uint64_t *seqs;
	size_t n;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || ta_list_segments(dfd, &seqs, &n) || !n)
		return;
	char name[64];
	ta_seg_name(name, seqs[n - 1], TA_SEG_SUFFIX);
	free(seqs);
	int fd = openat(dfd, name, O_RDONLY);
	int was_ao = ta_get_append_only(fd) == 1;
	if (was_ao)
		ta_set_append_only(fd, 0);
	close(fd);
	fd = openat(dfd, name, O_WRONLY | O_APPEND);
	uint8_t junk[100];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	junk[0] = 200; /* a length longer than what follows */
	junk[1] = junk[2] = junk[3] = 0;
	size_t len = 4 + (size_t)(rand() % 90);
	CHECK_EQ_INT(write(fd, junk, len), (ssize_t)len);
	if (was_ao)
		ta_set_append_only(fd, 1);
	close(fd);
	close(dfd);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_crash STORE_WRITER\n");
		return 2;
	}
	char *base = test_mkdtemp("crash");
	char *dir = test_path(base, "log"), *key = test_path(base, "key");
	srand((unsigned)time(NULL));
	uint64_t total_acked = 0, recoveries = 0;
	for (int round = 0; round < 20; round++) {
		unsigned ms = 30 + (unsigned)(rand() % 150);
		uint64_t acked = run_and_kill(argv[1], dir, key, ms);
		CHECK(acked > total_acked || round == 0 || acked == 0);
		if (acked > total_acked)
			total_acked = acked;
		if (round % 4 == 3)
			tear_tail(dir);
		struct ta_verify_result res;
		int err = test_verify(dir, NULL, NULL, &res);
		CHECK_EQ_INT(err, 0);
		if (err)
			fprintf(stderr, "round %d: verify: %s\n", round, res.message);
		/* Every acknowledged record is present and intact. */
		struct ta_log_reader *r;
		CHECK_EQ_INT(ta_log_reader_open(&r, dir), 0);
		struct ta_log_record rec;
		uint64_t n = 0, bad = 0;
		uint8_t buf[1024];
		int k;
		while ((k = ta_log_reader_next(r, &rec)) == 1) {
			n++;
			if (rec.type != TEST_TYPE)
				continue;
			/* The writer keys each payload by the time it gives the record. */
			size_t len = test_payload(rec.time_ns - 1700000000000000000ull, buf, sizeof(buf));
			if (rec.len != len || memcmp(rec.payload, buf, len))
				bad++;
		}
		CHECK_EQ_INT(k, 0);
		CHECK_EQ_INT(bad, 0);
		CHECK(n >= total_acked);
		if (n < total_acked)
			fprintf(stderr, "round %d: %llu records, %llu acknowledged\n", round,
				(unsigned long long)n, (unsigned long long)total_acked);
		recoveries = res.recovery_records;
		if (ta_log_reader_torn(r))
			fprintf(stderr, "round %d: killed with a torn tail: %s\n", round,
				ta_log_reader_torn(r)->what);
		ta_log_reader_close(r);
	}
	fprintf(stderr, "%llu records acknowledged over 20 kills, %llu torn tails recovered\n",
		(unsigned long long)total_acked, (unsigned long long)recoveries);
	CHECK(total_acked > 1000);
	CHECK(recoveries >= 4); /* the torn tails made by tear_tail were recovered */
	test_rmtree(dir);
	test_rmtree(base);
	free(dir);
	free(key);
	return check_result();
}

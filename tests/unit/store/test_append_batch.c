// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ta_store_append_batch: the log it writes is the log the same records written one
 * ta_store_append() at a time make — every record's stored bytes at the same segment and
 * offset, the store's own records at the same indexes, the same checkpoint sizes — with
 * batches of many sizes, one thread and two, across rotations, commits and checkpoints;
 * refused batches add nothing; a full disk stops a batch part way and nothing is lost
 * silently (accepted + refused = offered, and the log verifies with the gap recorded); a
 * failed write stops a batch and every call after it.
 * The helper-thread pool (store/leaf_batch.h) runs every item once, on both threads.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "store_test_util.h"
#include "store/leaf_batch.h"

#define NREC 3000

static char *base;
static uint8_t *payloads;
static struct ta_store_rec recs[NREC];

/* Records of many kinds: short, compressible text of 1-20 KiB, incompressible, empty. */
static void make_records(void)
{
	size_t cap = 0, off = 0;
	size_t len[NREC];
	for (int i = 0; i < NREC; i++) {
		len[i] = i % 11 == 0 ? (size_t)(1024 + (i * 7919) % (20 << 10)) :
			 i % 13 == 0 ? (size_t)(4096 + i % 512) : i % 97 == 0 ? 0 :
			 (size_t)(16 + (i * 31) % 600);
		cap += len[i];
	}
	payloads = malloc(cap + 1);
	CHECK(payloads != NULL);
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < NREC; i++) {
		uint8_t *p = payloads + off;
		for (size_t k = 0; k < len[i]; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* every 13th record random bytes, the others terminal-like text */
			p[k] = i % 13 == 0 ? (uint8_t)x : (uint8_t)("ls -l src/\r\n$ make all\r\n"[x % 24]);
		}
		recs[i] = (struct ta_store_rec){ .type = TEST_TYPE, .time_ns = 1700000000000000000ull + i,
						 .session = (uint64_t)(i % 5), .payload = p, .len = len[i] };
		off += len[i];
	}
}

static void opts_for(struct ta_store_opts *o, const char *dir, const char *key, int threads)
{
	test_opts(o, dir, key);
	o->no_append_only = 1;
	o->segment_max_bytes = 96 << 10;   /* many rotations, some inside a batch */
	o->commit_max_records = 37;
	o->checkpoint_every_records = 45;
	o->compress_min_bytes = 64;
	o->batch_threads = threads;
}

/* Writes the records in calls of `batch` records (0: ta_store_append each). */
static void write_log(const char *dir, const char *key, int batch, int threads,
		      struct ta_store_stats *st)
{
	struct ta_store_opts o;
	opts_for(&o, dir, key, threads);
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	static uint64_t idx[NREC];
	uint64_t prev = 0;
	for (size_t i = 0; i < NREC;) {
		size_t k = batch ? (size_t)batch : 1;
		if (k > NREC - i)
			k = NREC - i;
		if (batch) {
			CHECK_EQ_INT(ta_store_append_batch(s, recs + i, k, idx + i), (ssize_t)k);
		} else {
			const struct ta_store_rec *r = &recs[i];
			CHECK_EQ_INT(ta_store_append(s, r->type, r->time_ns, r->session, r->payload,
						     r->len, idx + i), 0);
		}
		for (size_t j = i; j < i + k; j++) {
			CHECK(j == 0 || idx[j] > prev);
			prev = idx[j];
		}
		i += k;
	}
	ta_store_get_stats(s, st);
	CHECK_EQ_INT(ta_store_close(s), 0);
}

/* The sizes of every checkpoint in the directory, in file order. */
static size_t ckpt_sizes(const char *dir, uint64_t *out, size_t cap)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	CHECK(n > 0);
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t l = strlen(nm);
		if (l > 5 && !strcmp(nm + l - 5, ".ckpt")) {
			char p[600], line[512];
			snprintf(p, sizeof(p), "%s/%s", dir, nm);
			FILE *f = fopen(p, "r");
			CHECK(f != NULL);
			int next_is_size = 0;
			while (f && fgets(line, sizeof(line), f)) {
				if (next_is_size && k < cap)
					out[k++] = strtoull(line, NULL, 10);
				next_is_size = !strcmp(line, "test.example/ttyaudit\n");
			}
			if (f)
				fclose(f);
		}
		free(ents[i]);
	}
	free(ents);
	return k;
}

/* Both logs hold the same records at the same places; their own records at the same indexes. */
static void compare_logs(const char *a, const char *b)
{
	struct ta_log_reader *ra, *rb;
	CHECK_EQ_INT(ta_log_reader_open_flags(&ra, a, TA_READER_RAW), 0);
	CHECK_EQ_INT(ta_log_reader_open_flags(&rb, b, TA_READER_RAW), 0);
	struct ta_log_record x, y;
	int na, nb;
	uint64_t user = 0, diff = 0;
	while ((na = ta_log_reader_next(ra, &x)) == 1 && (nb = ta_log_reader_next(rb, &y)) == 1) {
		if (x.index != y.index || x.type != y.type || x.segment_seq != y.segment_seq ||
		    x.offset != y.offset || x.stored_len != y.stored_len) {
			diff++;
			continue;
		}
		if (x.type > TA_REC_STORE_LAST) {
			/* the user's records: every stored byte (header, compressed payload, CRC) */
			if (memcmp(x.stored, y.stored, x.stored_len) || x.time_ns != recs[user].time_ns)
				diff++;
			user++;
		}
	}
	CHECK_EQ_INT(na, 0);
	CHECK_EQ_INT(ta_log_reader_next(rb, &y), 0);
	CHECK_EQ_INT(diff, 0);
	CHECK_EQ_INT(user, NREC);
	ta_log_reader_close(ra);
	ta_log_reader_close(rb);
	static uint64_t ca[4096], cb[4096];
	size_t nca = ckpt_sizes(a, ca, 4096), ncb = ckpt_sizes(b, cb, 4096);
	CHECK_EQ_INT(nca, ncb);
	CHECK(nca > 3);
	CHECK_MEM(ca, cb, nca * sizeof(ca[0]));
}

static void test_same_log(void)
{
	char key[512], serial[512];
	snprintf(key, sizeof(key), "%s/key", base);
	snprintf(serial, sizeof(serial), "%s/serial", base);
	struct ta_store_stats ss, bs;
	write_log(serial, key, 0, 1, &ss);
	CHECK(ss.segments_created > 10);
	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(serial, NULL, NULL, &res), 0);
	CHECK(res.ok);
	const int batches[] = { 1, 7, 64, 300, NREC };
	for (int t = 1; t <= 2; t++) {
		for (size_t k = 0; k < sizeof(batches) / sizeof(batches[0]); k++) {
			char dir[512];
			snprintf(dir, sizeof(dir), "%s/batch-%d-%d", base, t, batches[k]);
			write_log(dir, key, batches[k], t, &bs);
			CHECK(bs.records == ss.records && bs.bytes_raw == ss.bytes_raw &&
			      bs.bytes_stored == ss.bytes_stored &&
			      bs.segments_created == ss.segments_created &&
			      bs.checkpoints == ss.checkpoints);
			compare_logs(serial, dir);
			CHECK_EQ_INT(test_verify(dir, NULL, NULL, &res), 0);
			CHECK(res.ok);
			test_rmtree(dir);
		}
	}
	test_rmtree(serial);
}

/* The test's key, and dir = a log directory of that name, with its options (two threads). */
static void test_log(const char *name, char key[512], char dir[512], struct ta_store_opts *o)
{
	snprintf(key, 512, "%s/key", base);
	snprintf(dir, 512, "%s/%s", base, name);
	opts_for(o, dir, key, 2);
}

/* A batch with a bad record anywhere is refused whole. */
static void test_refused(void)
{
	char key[512], dir[512];
	struct ta_store_opts o;
	test_log("refused", key, dir, &o);
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	uint64_t size = ta_store_size(s);
	struct ta_store_rec r[100];
	memcpy(r, recs, sizeof(r));
	r[60].type = TA_REC_STORE_LAST; /* the store's own type */
	CHECK_EQ_INT(ta_store_append_batch(s, r, 100, NULL), -EINVAL);
	memcpy(r, recs, sizeof(r));
	r[99].payload = NULL;
	r[99].len = 5;
	CHECK_EQ_INT(ta_store_append_batch(s, r, 100, NULL), -EINVAL);
	memcpy(r, recs, sizeof(r));
	r[3].len = (16u << 20) + 1;
	CHECK_EQ_INT(ta_store_append_batch(s, r, 100, NULL), -EMSGSIZE);
	CHECK_EQ_INT(ta_store_size(s), size);
	CHECK_EQ_INT(ta_store_append_batch(s, r, 0, NULL), 0);
	CHECK_EQ_INT(ta_store_close(s), 0);
	test_rmtree(dir);
}

/* A log of one large segment that neither commits nor checkpoints by count. */
static struct ta_store *open_one_segment(const char *name, char *key, char *dir,
					  struct ta_store_opts *o)
{
	struct ta_store *s = NULL;
	test_log(name, key, dir, o);
	o->segment_max_bytes = 64ull << 20;
	o->commit_max_records = 100000;
	o->checkpoint_every_records = 100000;
	CHECK_EQ_INT(ta_store_open(&s, o), 0);
	return s;
}

/*
 * Writes fail with ENOSPC after some bytes: a batch stops part way and says how many it took,
 * the next call is refused (-ENOSPC) until space is back; what was refused is counted into a
 * gap record, and the log then verifies with every accepted record in it.
 */
static void test_disk_full(void)
{
	char key[512], dir[512];
	struct ta_store_opts o;
	struct ta_store *s = open_one_segment("full", key, dir, &o);
	/* 1 MiB of records per call, so the buffer goes out after every part. */
	static uint8_t big[4 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 2654435761u >> 13);
	struct ta_store_rec r[64];
	for (int i = 0; i < 64; i++)
		r[i] = (struct ta_store_rec){ .type = TEST_TYPE, .time_ns = 1000 + (uint64_t)i,
					      .session = 1, .payload = big + i * 16384, .len = 16384 };
	ta_store_inject_write_error(s, ENOSPC, 2u << 20);
	uint64_t accepted = 0, refused = 0, calls = 0;
	ssize_t got = 0;
	while (calls < 50) {
		got = ta_store_append_batch(s, r, 64, NULL);
		calls++;
		if (got < 0)
			break;
		accepted += (uint64_t)got;
		if (got < 64) {
			refused += 64 - (uint64_t)got; /* the rest was not added */
			got = ta_store_append_batch(s, r + got, 64 - (size_t)got, NULL);
			CHECK_EQ_INT(got, -ENOSPC);
			break;
		}
	}
	CHECK_EQ_INT(got, -ENOSPC);
	CHECK(ta_store_is_full(s));
	CHECK(accepted >= 128); /* 2 MiB went out before the disk filled */
	if (refused == 0)
		refused = 64; /* the refused whole call */
	ta_store_inject_write_error(s, 0, 0);
	ta_store_tick(s, 0);
	CHECK(!ta_store_is_full(s));
	CHECK_EQ_INT(ta_store_append_gap(s, TA_GAP_DISK_FULL, refused, refused * 16384, 1000, 2000,
					 NULL), 0);
	CHECK_EQ_INT(ta_store_append_batch(s, r, 64, NULL), 64);
	accepted += 64;
	CHECK_EQ_INT(ta_store_close(s), 0);

	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(dir, NULL, NULL, &res), 0);
	CHECK(res.ok);
	CHECK_EQ_INT(res.gap_records, 1);
	struct ta_log_reader *rd;
	CHECK_EQ_INT(ta_log_reader_open(&rd, dir), 0);
	struct ta_log_record rec;
	uint64_t user = 0;
	int n;
	while ((n = ta_log_reader_next(rd, &rec)) == 1)
		if (rec.type == TEST_TYPE) {
			size_t i = (size_t)(rec.time_ns - 1000);
			CHECK(i < 64 && rec.len == 16384 && !memcmp(rec.payload, big + i * 16384, 16384));
			user++;
		}
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(user, accepted);
	ta_log_reader_close(rd);
	test_rmtree(dir);
}

/* A write error that is not a full disk breaks the store: the batch stops, then -EIO. */
static void test_write_error(void)
{
	char key[512], dir[512];
	struct ta_store_opts o;
	struct ta_store *s = open_one_segment("eio", key, dir, &o);
	static uint8_t big[64 * 16384];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 2654435761u >> 11);
	struct ta_store_rec r[64];
	for (int i = 0; i < 64; i++)
		r[i] = (struct ta_store_rec){ .type = TEST_TYPE, .time_ns = 1 + (uint64_t)i,
					      .payload = big + i * 16384, .len = 16384 };
	ta_store_inject_write_error(s, EIO, 1u << 20);
	ssize_t got = 0;
	int calls = 0;
	while (calls++ < 20 && (got = ta_store_append_batch(s, r, 64, NULL)) == 64)
		;
	/* The write after a part failed: the call stops there and says how many it took (that
	 * part's records, as a single append has taken its record when a later write fails;
	 * ta_store_durable_index() says what is durable), or -EIO if the failed write came before
	 * its first part; the next one is refused whole. The parts end at the 1 MiB a single
	 * append flushes at, so 64 records of 16 KiB take two. */
	CHECK(calls > 1 && calls < 20);
	CHECK(got == -EIO || (got > 0 && got < 64));
	CHECK_EQ_INT(ta_store_append_batch(s, r, 64, NULL), -EIO);
	CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 1, 0, big, 10, NULL), -EIO);
	ta_store_inject_write_error(s, 0, 0);
	ta_store_close(s);
	test_rmtree(dir);
}

struct pool_count {
	int *who; /* worker of each item, -1 when not run */
	int twice;
};

static void slow_item(void *ctx, int worker, size_t a, size_t b)
{
	struct pool_count *c = ctx;
	for (size_t i = a; i < b; i++) {
		if (c->who[i] >= 0)
			c->twice++;
		c->who[i] = worker;
		/* sleeping leaves the core to the helper, so it takes a share on any machine */
		nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
	}
}

/* Every item once; the helper takes part only when there is one. */
static void test_pool_run(void)
{
	enum { N = 200 };
	int who[N];
	for (int threads = 1; threads <= 2; threads++) {
		struct ta_leaf_pool *p;
		CHECK_EQ_INT(ta_leaf_pool_new(&p, threads), 0);
		CHECK_EQ_INT(ta_leaf_pool_has_helper(p), threads > 1);
		/* A machine busy with others may keep the helper off the CPU for a round or two. */
		int helped = 0;
		for (int round = 0; round < (threads == 1 ? 3 : 30) && !(helped && round >= 3); round++) {
			struct pool_count c = { .who = who };
			memset(who, -1, sizeof(who));
			ta_leaf_pool_run(p, N, 3, slow_item, &c);
			int by[2] = { 0, 0 }, missing = 0;
			for (int i = 0; i < N; i++) {
				if (who[i] < 0 || who[i] > 1)
					missing++;
				else
					by[who[i]]++;
			}
			CHECK_EQ_INT(missing, 0);
			CHECK_EQ_INT(c.twice, 0);
			if (threads == 1)
				CHECK_EQ_INT(by[1], 0);
			CHECK(by[0] > 0); /* the caller always works too */
			helped |= by[1] > 0;
		}
		CHECK_EQ_INT(helped, threads > 1);
		ta_leaf_pool_free(p);
	}
}

int main(void)
{
	base = test_mkdtemp("append-batch");
	make_records();
	test_pool_run();
	test_refused();
	test_same_log();
	test_disk_full();
	test_write_error();
	test_rmtree(base);
	free(payloads);
	return check_result();
}

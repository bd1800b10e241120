// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * verify hashes records in batches, a helper thread taking a share
 * (store/leaf_batch.h): the leaves must be the ones ta_hash_leaf gives, and
 * verify must say exactly the same thing with one thread and with two, for a
 * sound log, a damaged record, a record of another version (CRC fixed or not:
 * the CRC, checked after hashing, is still named first), a record altered
 * with its CRC fixed, and a torn tail, on records large enough for the helper
 * to take part.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store_test_util.h"
#include "store/crc32c.h"
#include "store/format.h"
#include "store/leaf_batch.h"

#define REC 16384
#define NREC 300

static char *base;

/* The pool against ta_hash_leaf, with and without a helper, records of many lengths. */
static void test_pool(void)
{
	enum { N = 700 };
	static uint8_t data[N * 3000];
	const uint8_t *p[N];
	uint32_t len[N];
	static uint8_t out[N][TA_HASH_LEN], want[N][TA_HASH_LEN];
	struct ta_hasher *h;
	CHECK_EQ_INT(ta_hasher_new(&h), 0);
	srand(7);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)rand();
	size_t off = 0;
	for (int i = 0; i < N; i++) {
		len[i] = (uint32_t)(i % 7 == 0 ? 0 : rand() % 2900 + 1);
		p[i] = data + off;
		off += len[i];
		ta_hash_leaf(h, p[i], len[i], want[i]);
	}
	for (int threads = 1; threads <= 2; threads++) {
		struct ta_leaf_pool *pool;
		CHECK_EQ_INT(ta_leaf_pool_new(&pool, threads), 0);
		/* Several batches through one pool, of every size from nothing to all. */
		const size_t sizes[] = { 0, 1, 2, 90, N };
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			memset(out, 0, sizeof(out));
			ta_leaf_pool_hash(pool, h, p, len, sizes[k], out, NULL);
			CHECK_MEM(out, want, sizes[k] * TA_HASH_LEN);
		}
		ta_leaf_pool_free(pool);
	}
	ta_hasher_free(h);
}

static int verify_with(const char *dir, int threads, struct ta_verify_result *res)
{
	struct ta_verify_opts o = { .dir = dir, .threads = threads };
	return ta_log_verify(&o, res);
}

/* Both ways give the same result, message and torn tail; returns the one-thread error. */
static int verify_both(const char *dir, struct ta_verify_result *one)
{
	struct ta_verify_result two;
	int e1 = verify_with(dir, 1, one), e2 = verify_with(dir, 2, &two);
	CHECK_EQ_INT(e1, e2);
	CHECK_EQ_INT(one->ok, two.ok);
	CHECK_EQ_STR(one->message, two.message);
	CHECK(one->records == two.records && one->checkpoints == two.checkpoints);
	CHECK_MEM(one->root, two.root, sizeof(one->root));
	CHECK_EQ_INT(one->torn, two.torn);
	CHECK(one->torn_at.offset == two.torn_at.offset && one->torn_at.index == two.torn_at.index);
	fprintf(stderr, "  -> %s\n", one->ok ? "ok" : one->message);
	return e1;
}

static char *write_log(const char *name)
{
	char *d = test_path(base, name), *k = test_path(base, "key");
	struct ta_store_opts o;
	test_opts(&o, d, k);
	o.no_append_only = 1;
	o.segment_max_bytes = 2u << 20; /* several segments */
	o.checkpoint_every_records = 64;
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	static uint8_t buf[REC];
	srand(11);
	for (uint64_t i = 0; i < NREC; i++) {
		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = (uint8_t)rand(); /* incompressible: stored as is */
		CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, i, 3, buf, sizeof(buf), NULL), 0);
	}
	CHECK_EQ_INT(ta_store_close(s), 0);
	test_unlock_dir(d);
	free(k);
	return d;
}

/* Offset of record idx (all records but segment starts are REC + overhead long). */
static int find_record(const char *dir, uint64_t idx, char *seg, size_t cap, uint64_t *off)
{
	struct ta_log_reader *r;
	struct ta_log_record rec;
	int found = 0;
	if (ta_log_reader_open(&r, dir))
		return 0;
	if (!ta_log_reader_seek(r, idx) && ta_log_reader_next(r, &rec) == 1) {
		snprintf(seg, cap, "%s", rec.segment_name);
		*off = rec.offset;
		found = 1;
	}
	ta_log_reader_close(r);
	return found;
}

/* Flips bits of byte at (of the record at off), fixing its CRC if fix_crc. */
static void patch(const char *dir, const char *seg, uint64_t off, size_t at, uint8_t bits, int fix_crc)
{
	char *f = test_path(dir, seg);
	int fd = open(f, O_RDWR);
	CHECK(fd >= 0);
	uint8_t rec[TA_REC_OVERHEAD + REC];
	CHECK_EQ_INT(pread(fd, rec, sizeof(rec), (off_t)off), sizeof(rec));
	rec[at] ^= bits;
	if (fix_crc)
		ta_put32(rec + sizeof(rec) - 4, ta_crc32c(0, rec, sizeof(rec) - 4));
	CHECK_EQ_INT(pwrite(fd, rec, sizeof(rec), (off_t)off), sizeof(rec));
	close(fd);
	free(f);
}

/* A writable copy of the good log named name; seg and *off: where record idx is. */
static char *copy_at(const char *good, const char *name, uint64_t idx, char *seg, size_t cap,
		     uint64_t *off)
{
	char *d = test_path(base, name);
	CHECK_EQ_INT(test_cp(good, d), 0);
	test_unlock_dir(d);
	CHECK(find_record(d, idx, seg, cap, off));
	return d;
}

int main(void)
{
	base = test_mkdtemp("verify-batch");
	CHECK(base != NULL);
	if (!base)
		return check_result();
	test_pool();

	struct ta_verify_result res;
	char seg[64];
	uint64_t off = 0;
	char *good = write_log("good");
	fprintf(stderr, "sound log of %d records of %d bytes:\n", NREC, REC);
	CHECK_EQ_INT(verify_both(good, &res), 0);
	CHECK(res.records >= NREC && res.segments > 1 && res.checkpoints > 1);

	/* A damaged record in the middle of a batch: the CRC names it. */
	char *d = copy_at(good, "crc", 200, seg, sizeof(seg), &off);
	patch(d, seg, off, TA_REC_HDR_LEN + 4000, 0x40, 0);
	fprintf(stderr, "record 200 damaged:\n");
	CHECK_EQ_INT(verify_both(d, &res), -EBADMSG);
	CHECK(strstr(res.message, seg) != NULL && strstr(res.message, "record 200") != NULL);
	CHECK(strstr(res.message, "CRC") != NULL);
	CHECK(res.bad.index == 200 && res.bad.offset == off);

	/* A bad version with a valid CRC: corruption, named as such. */
	char *dv = copy_at(good, "version", 220, seg, sizeof(seg), &off);
	patch(dv, seg, off, 4, 0x02, 1);
	fprintf(stderr, "record 220 of another version, CRC fixed:\n");
	CHECK_EQ_INT(verify_both(dv, &res), -EBADMSG);
	CHECK(strstr(res.message, "version") != NULL && res.bad.index == 220 && res.bad.offset == off);

	/* A bad version and a CRC that no longer matches: the CRC is named first, as always. */
	char *dc = copy_at(good, "version-crc", 230, seg, sizeof(seg), &off);
	patch(dc, seg, off, 4, 0x02, 0);
	fprintf(stderr, "record 230 of another version, CRC not fixed:\n");
	CHECK_EQ_INT(verify_both(dc, &res), -EBADMSG);
	CHECK(strstr(res.message, "CRC") != NULL && res.bad.index == 230 && res.bad.offset == off);

	/* Altered with its CRC fixed: only the tree tells, at the next checkpoint. */
	char *d2 = copy_at(good, "fixed", 150, seg, sizeof(seg), &off);
	patch(d2, seg, off, TA_REC_HDR_LEN + 4000, 0x40, 1);
	fprintf(stderr, "record 150 altered, CRC fixed:\n");
	CHECK_EQ_INT(verify_both(d2, &res), -EBADMSG);
	CHECK(strstr(res.message, "checkpoint") != NULL);

	/* A torn tail: the last record cut in half. */
	char *d3 = copy_at(good, "torn", NREC - 1, seg, sizeof(seg), &off);
	char *f = test_path(d3, seg);
	CHECK_EQ_INT(truncate(f, (off_t)(off + REC / 2)), 0);
	free(f);
	fprintf(stderr, "last record torn:\n");
	int e = verify_both(d3, &res);
	/* The checkpoint of all records now vouches for one that is gone. */
	CHECK(e == 0 ? res.torn : strstr(res.message, "only") != NULL);
	CHECK(res.torn && res.torn_at.offset == off);

	test_rmtree(base);
	free(good);
	free(d);
	free(dv);
	free(dc);
	free(d2);
	free(d3);
	free(base);
	return check_result();
}

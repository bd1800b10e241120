// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Store basics: append and read back (payloads, types, sessions, times,
 * compression flag), reopen continues the index and the tree, seek, group
 * commit and durable index, checkpoints, size rotation, tick timers, the
 * append-only flag (or its reported absence), and verify on the result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store_test_util.h"
#include "store/crc32c.h"
#include "store/format.h"

static void read_back(const char *dir, uint64_t n_user, uint64_t *store_records)
{
	struct ta_log_reader *r;
	CHECK_EQ_INT(ta_log_reader_open(&r, dir), 0);
	struct ta_log_record rec;
	uint64_t user = 0, store = 0, expect = 0, bad = 0, compressed = 0;
	uint8_t buf[1024];
	int n;
	while ((n = ta_log_reader_next(r, &rec)) == 1) {
		if (rec.index != expect++)
			bad++;
		if (rec.type <= TA_REC_STORE_LAST) {
			store++;
			continue;
		}
		size_t len = test_payload(user, buf, sizeof(buf));
		if (rec.type != TEST_TYPE || rec.len != len || memcmp(rec.payload, buf, len) ||
		    rec.session != user % 7 + 1 || rec.time_ns != 1700000000000000000ull + user)
			bad++;
		if (rec.flags & TA_RECF_ZSTD)
			compressed++;
		user++;
	}
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(user, n_user);
	CHECK(compressed > 0);
	CHECK(ta_log_reader_torn(r) == NULL);
	*store_records = store;
	ta_log_reader_close(r);
}

static void test_roundtrip(void)
{
	char *dir = test_mkdtemp("store");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store_opts o;
	test_opts(&o, log, key);
	o.segment_max_bytes = 64 * 1024; /* many rotations */
	o.compress_min_bytes = 64;       /* exercise compression on small records */
	CHECK_EQ_INT(test_write_log(&o, 3000), 0);
	uint64_t store_recs = 0;
	read_back(log, 3000, &store_recs);
	CHECK(store_recs > 5); /* segment starts */

	/* Reopen: indexes continue, a new segment starts, records still read back. */
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	uint64_t size0 = ta_store_size(s);
	CHECK_EQ_INT(ta_store_durable_index(s), size0);
	uint8_t buf[1024];
	uint64_t idx = 0;
	for (uint64_t i = 3000; i < 3100; i++) {
		size_t len = test_payload(i, buf, sizeof(buf));
		CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 1700000000000000000ull + i, i % 7 + 1, buf, len,
					     &idx), 0);
	}
	CHECK_EQ_INT(idx, size0 + 99);
	CHECK(ta_store_durable_index(s) < size0 + 100); /* group commit not yet due */
	CHECK_EQ_INT(ta_store_commit(s), 0);
	CHECK_EQ_INT(ta_store_durable_index(s), size0 + 100);
	CHECK_EQ_INT(ta_store_append(s, 0x0001, 0, 0, buf, 4, NULL), -EINVAL);
	char *note = NULL;
	CHECK_EQ_INT(ta_store_checkpoint(s, &note), 0);
	CHECK(note && strstr(note, "test.example/ttyaudit\n") == note);
	CHECK(note && strstr(note, "\n\n\xe2\x80\x94 test.example/ttyaudit ") != NULL);
	free(note);
	const char *msg;
	int ao = ta_store_append_only_status(s, &msg);
	fprintf(stderr, "append-only: %d (%s)\n", ao, msg);
	CHECK(ao == 0 || ao == -EPERM || ao == -ENOTTY || ao == -EOPNOTSUPP || ao == -EINVAL);
	/* Another writer is refused. */
	struct ta_store *s2;
	CHECK_EQ_INT(ta_store_open(&s2, &o), -EBUSY);
	CHECK_EQ_INT(ta_store_close(s), 0);
	read_back(log, 3100, &store_recs);

	/* The segments really are append-only where the system allows it. */
	if (ao == 0) {
		char *seg = test_path(log, "seg-0000000000000000.log");
		int fd = open(seg, O_RDONLY);
		CHECK_EQ_INT(ta_get_append_only(fd), 1);
		close(fd);
		CHECK(open(seg, O_WRONLY) < 0 && errno == EPERM);
		CHECK(unlink(seg) < 0);
		free(seg);
	}

	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(log, NULL, NULL, &res), 0);
	CHECK(res.ok);
	CHECK_EQ_INT(res.records, 3100 + store_recs);
	CHECK(res.checkpoints >= 2);
	CHECK(res.key_from_dir);
	if (!res.ok)
		fprintf(stderr, "verify: %s\n", res.message);

	/* Seek to a record in a middle segment, then past the end. */
	struct ta_log_reader *r;
	CHECK_EQ_INT(ta_log_reader_open(&r, log), 0);
	struct ta_log_record rec;
	CHECK_EQ_INT(ta_log_reader_seek(r, 1234), 0);
	CHECK_EQ_INT(ta_log_reader_next(r, &rec), 1);
	CHECK_EQ_INT(rec.index, 1234);
	CHECK(rec.segment_seq > 0);
	CHECK_EQ_INT(ta_log_reader_seek(r, 0), 0);
	CHECK_EQ_INT(ta_log_reader_next(r, &rec), 1);
	CHECK_EQ_INT(rec.index, 0);
	CHECK_EQ_INT(rec.type, TA_REC_SEGMENT_START);
	CHECK_EQ_INT(ta_log_reader_seek(r, 1000000), -ENOENT);
	ta_log_reader_close(r);

	test_rmtree(log);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

/* tick: group commit after the interval, checkpoint after its interval, a usable timeout. */
static void test_tick(void)
{
	char *dir = test_mkdtemp("tick");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store_opts o;
	test_opts(&o, log, key);
	o.commit_interval_ms = 50;
	o.checkpoint_interval_ms = 1000;
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	uint8_t buf[100] = { 0 };
	CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 1, 0, buf, sizeof(buf), NULL), 0);
	uint64_t before = ta_store_durable_index(s);
	CHECK(before < ta_store_size(s));
	int t = ta_store_tick(s, 0);
	CHECK(t >= 0 && t <= 50);
	struct timespec ts = { 0, 60 * 1000000 };
	nanosleep(&ts, NULL);
	t = ta_store_tick(s, 0);
	CHECK(t > 0);
	CHECK_EQ_INT(ta_store_durable_index(s), ta_store_size(s));
	struct ta_store_stats st;
	ta_store_get_stats(s, &st);
	uint64_t ck = st.checkpoints;
	ts.tv_sec = 1;
	ts.tv_nsec = 50 * 1000000;
	nanosleep(&ts, NULL);
	ta_store_tick(s, 0);
	ta_store_get_stats(s, &st);
	CHECK_EQ_INT(st.checkpoints, ck + 1);
	CHECK_EQ_INT(ta_store_close(s), 0);
	test_rmtree(log);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

/*
 * The directory's key file replaced by a FIFO or a link (by whoever could
 * write there): the store refuses to open, at once and saying why, where
 * reading the FIFO held the daemon's start until a writer came.
 */
static void test_vkey_not_regular(void)
{
	char *dir = test_mkdtemp("vkey");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	char *vkey = test_path(log, "ttyaudit.vkey");
	struct ta_store_opts o;
	struct ta_store *s = NULL;
	test_opts(&o, log, key);
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (s)
		CHECK_EQ_INT(ta_store_close(s), 0);
	for (int kind = 0; kind < 2; kind++) {
		test_unlock_file(vkey);
		unlink(vkey);
		CHECK_EQ_INT(kind ? symlink(key, vkey) : mkfifo(vkey, 0600), 0);
		s = NULL;
		CHECK(ta_store_open(&s, &o) < 0 && !s);
		CHECK(strstr(ta_store_open_error(), kind ? "symbolic link" : "not a regular file"));
		if (s)
			ta_store_close(s);
	}
	test_rmtree(log);
	test_rmtree(dir);
	free(vkey);
	free(key);
	free(log);
	free(dir);
}

/* Terminal-like data compresses; random data is stored raw (never bigger). */
static void test_compression(void)
{
	char *dir = test_mkdtemp("zstd");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store_opts o;
	test_opts(&o, log, key);
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	static uint8_t text[65536], rnd[65536];
	size_t off = 0;
	for (int i = 0; off + 100 < sizeof(text); i++)
		off += (size_t)snprintf((char *)text + off, sizeof(text) - off,
					"-rw-r--r-- 1 alice staff %6d Mar %2d 12:%02d file%04d.txt\r\n",
					i * 37 % 99999, i % 28 + 1, i % 60, i);
	srand(7);
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)rand();
	CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 1, 1, text, off, NULL), 0);
	CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 2, 1, rnd, sizeof(rnd), NULL), 0);
	CHECK_EQ_INT(ta_store_close(s), 0);
	struct ta_log_reader *r;
	CHECK_EQ_INT(ta_log_reader_open(&r, log), 0);
	struct ta_log_record rec;
	while (ta_log_reader_next(r, &rec) == 1) {
		if (rec.type != TEST_TYPE)
			continue;
		if (rec.time_ns == 1) {
			CHECK(rec.flags & TA_RECF_ZSTD);
			CHECK(rec.stored_len * 5 < off);
			CHECK_EQ_INT(rec.len, off);
			CHECK(!memcmp(rec.payload, text, off));
		} else {
			CHECK(!(rec.flags & TA_RECF_ZSTD));
			CHECK_EQ_INT(rec.stored_len, sizeof(rnd) + TA_REC_OVERHEAD);
			CHECK(!memcmp(rec.payload, rnd, sizeof(rnd)));
		}
	}
	ta_log_reader_close(r);
	test_rmtree(log);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

/*
 * Records from elsewhere (the fleet's database): each record's stored bytes,
 * copied out, decode with ta_rec_decode to what the reader gave; a flipped
 * byte, a wrong index and a trailing byte are refused, and a decoder bounded
 * to 80 bytes refuses the compressed payloads larger than that.
 */
static void test_decode_stored(void)
{
	char *dir = test_mkdtemp("decode");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store_opts o;
	test_opts(&o, log, key);
	o.compress_min_bytes = 64;
	CHECK_EQ_INT(test_write_log(&o, 500), 0);
	struct ta_log_reader *r;
	struct ta_rec_decoder *d;
	CHECK_EQ_INT(ta_log_reader_open(&r, log), 0);
	CHECK_EQ_INT(ta_rec_decoder_new(&d), 0);
	struct ta_rec_decoder *bounded;
	CHECK_EQ_INT(ta_rec_decoder_new(&bounded), 0);
	if (!r || !d || !bounded)
		return;
	ta_rec_decoder_set_max(bounded, 80);
	struct ta_log_record rec, got;
	uint64_t n = 0, bad = 0, compressed = 0, refused = 0, bad_bound = 0, too_large = 0;
	const char *why;
	while (ta_log_reader_next(r, &rec) == 1) {
		uint8_t *copy = malloc(rec.stored_len + 1);
		memcpy(copy, rec.stored, rec.stored_len);
		if (ta_rec_decode(d, copy, rec.stored_len, rec.index, &got, &why) ||
		    got.index != rec.index || got.type != rec.type || got.session != rec.session ||
		    got.time_ns != rec.time_ns || got.len != rec.len || memcmp(got.payload, rec.payload, rec.len))
			bad++;
		compressed += (rec.flags & TA_RECF_ZSTD) != 0;
		refused += ta_rec_decode(d, copy, rec.stored_len, rec.index + 1, &got, &why) == -EBADMSG;
		/* A bounded decoder refuses a payload that would inflate beyond its bound, only that. */
		int small = ta_rec_decode(bounded, copy, rec.stored_len, rec.index, &got, &why);
		if ((rec.flags & TA_RECF_ZSTD) && rec.len > 80 ? small != -E2BIG : small != 0)
			bad_bound++;
		too_large += small == -E2BIG;
		copy[rec.stored_len] = 0;
		refused += ta_rec_decode(d, copy, rec.stored_len + 1, rec.index, &got, &why) == -EBADMSG;
		copy[rec.stored_len / 2] ^= 0x40;
		refused += ta_rec_decode(d, copy, rec.stored_len, UINT64_MAX, &got, &why) == -EBADMSG;
		free(copy);
		n++;
	}
	CHECK(n >= 500);
	CHECK(compressed > 0);
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(refused, 3 * n);
	CHECK_EQ_INT(bad_bound, 0);
	CHECK(too_large > 0);
	ta_rec_decoder_free(bounded);
	ta_rec_decoder_free(d);
	ta_log_reader_close(r);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

/* Payload of record i in the seek test: says which record it is. */
static size_t seek_payload(uint64_t i, uint8_t *buf)
{
	return (size_t)snprintf((char *)buf, 64, "record-%06llu:%.*s", (unsigned long long)i,
				(int)(i % 40), "........................................");
}

static uint64_t seek_idx[6000]; /* log index of the test's record i */

static int seek_and_check(struct ta_log_reader *r, uint64_t i)
{
	struct ta_log_record rec;
	uint8_t want[64];
	uint64_t index = seek_idx[i];
	if (ta_log_reader_seek(r, index) || ta_log_reader_next(r, &rec) != 1 || rec.index != index) {
		fprintf(stderr, "seek %llu: not found\n", (unsigned long long)index);
		return 1;
	}
	size_t n = seek_payload(i, want);
	if (i == 100) /* the one that carries a forged record after its text */
		return rec.len <= n || memcmp(rec.payload, want, n);
	if (rec.len != n || memcmp(rec.payload, want, n)) {
		fprintf(stderr, "seek %llu: wrong payload\n", (unsigned long long)index);
		return 1;
	}
	return 0;
}

/*
 * Seek: forward within the open segment (by length fields, no reopening),
 * backward, across segments; a record-like byte string inside a payload is
 * never taken for a record; damage on the way is reported, not skipped into.
 */
static void test_seek(void)
{
	char *dir = test_mkdtemp("seek");
	char *key = test_path(dir, "key");
	char *log = test_path(dir, "log");
	struct ta_store_opts o;
	test_opts(&o, log, key);
	o.segment_max_bytes = 256 * 1024;
	o.compress_min_bytes = 1u << 20; /* stored verbatim: the forgery below must be visible */
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	uint8_t buf[256];
	for (uint64_t i = 0; i < 6000; i++) {
		size_t n = seek_payload(i, buf);
		if (i == 100) {
			/* A well-formed record for the next index inside record 100's payload. */
			uint8_t *f = buf + n;
			struct ta_rec_header h = { .len = TA_REC_OVERHEAD + 8, .version = TA_REC_VERSION,
						   .type = TEST_TYPE, .index = ta_store_size(s) + 1,
						   .raw_len = 8 };
			ta_rec_header_encode(f, &h);
			memcpy(f + TA_REC_HDR_LEN, "FORGED!!", 8);
			ta_put32(f + h.len - 4, ta_crc32c(0, f, h.len - 4));
			n += h.len;
		}
		CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, i, 1, buf, n, &seek_idx[i]), 0);
	}
	CHECK_EQ_INT(ta_store_close(s), 0);

	struct ta_log_reader *r;
	CHECK_EQ_INT(ta_log_reader_open(&r, log), 0);
	int bad = 0;
	/* Forward in steps small and large (same segment and the next ones), then backward. */
	for (uint64_t i = 101; i < 6000; i += 1 + i % 97)
		bad += seek_and_check(r, i);
	for (uint64_t i = 5999; i > 0 && i < 6000; i -= 1 + i % 131)
		bad += seek_and_check(r, i);
	CHECK_EQ_INT(bad, 0);
	CHECK(seek_idx[5999] - seek_idx[0] > 5999); /* segment starts in between: several segments */
	/* The forged record is record 100's payload, never record 101. */
	CHECK_EQ_INT(seek_idx[101], seek_idx[100] + 1);
	CHECK_EQ_INT(seek_and_check(r, 100), 0);
	CHECK_EQ_INT(seek_and_check(r, 101), 0);
	CHECK_EQ_INT(seek_and_check(r, 99), 0);
	CHECK_EQ_INT(seek_and_check(r, 101), 0);
	ta_log_reader_close(r);

	/* A broken length field between two seeks: the seek past it fails, it does not guess. */
	test_unlock_dir(log);
	char *seg = test_path(log, "seg-0000000000000000.log");
	FILE *f = fopen(seg, "r+b");
	CHECK(f != NULL);
	struct ta_log_record rec;
	uint64_t off = 0;
	CHECK_EQ_INT(ta_log_reader_open(&r, log), 0);
	CHECK_EQ_INT(ta_log_reader_seek(r, seek_idx[300]), 0);
	CHECK_EQ_INT(ta_log_reader_next(r, &rec), 1);
	off = rec.offset;
	CHECK_EQ_INT(rec.segment_seq, 0);
	if (f) {
		uint8_t junk[4] = { 0xff, 0xff, 0x00, 0x00 };
		fseek(f, (long)off, SEEK_SET);
		fwrite(junk, 1, 4, f);
		fclose(f);
	}
	CHECK_EQ_INT(ta_log_reader_seek(r, seek_idx[200]), 0);
	CHECK(ta_log_reader_next(r, &rec) == 1 && rec.index == seek_idx[200]);
	CHECK(ta_log_reader_seek(r, seek_idx[400]) < 0);
	ta_log_reader_close(r);
	CHECK_EQ_INT(ta_log_reader_open(&r, log), 0);
	CHECK(ta_log_reader_seek(r, seek_idx[400]) < 0);
	ta_log_reader_close(r);
	free(seg);
	test_rmtree(log);
	test_rmtree(dir);
	free(key);
	free(log);
	free(dir);
}

int main(void)
{
	test_roundtrip();
	test_decode_stored();
	test_seek();
	test_tick();
	test_compression();
	test_vkey_not_regular();
	return check_result();
}

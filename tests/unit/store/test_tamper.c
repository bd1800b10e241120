// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tampering: each change to a copy of a good log must make verify fail and
 * name the right place (file, byte offset, record index). Also a torn tail
 * and its recovery, and a recovery record that no longer matches.
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
#include "store/ckptset.h"
#include "store/crc32c.h"
#include "store/format.h"

static char *base, *key, *good, *vkey;
static int cases;

static uint8_t *file_read(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, b, (size_t)st.st_size);
	close(fd);
	*len = n > 0 ? (size_t)n : 0;
	b[*len] = 0; /* callers use it as a string too */
	return b;
}

static void file_write(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0644);
	if (fd < 0 || write(fd, b, len) != (ssize_t)len)
		perror(path);
	close(fd);
}

/* A fresh writable copy of the good log. */
static char *copy(void)
{
	char *d = malloc(512);
	snprintf(d, 512, "%s/case%d", base, cases++);
	CHECK_EQ_INT(test_cp(good, d), 0);
	test_unlock_dir(d);
	return d;
}

struct pos {
	char seg[64];
	uint64_t offset, len, seq;
};

static struct pos where(const char *dir, uint64_t index)
{
	struct pos p = { "", 0, 0, 0 };
	struct ta_log_reader *r;
	struct ta_log_record rec;
	if (ta_log_reader_open(&r, dir))
		return p;
	if (!ta_log_reader_seek(r, index) && ta_log_reader_next(r, &rec) == 1) {
		snprintf(p.seg, sizeof(p.seg), "%s", rec.segment_name);
		p.offset = rec.offset;
		p.len = rec.stored_len;
		p.seq = rec.segment_seq;
	}
	ta_log_reader_close(r);
	return p;
}

/* verify must fail, and the message must contain each non-NULL needle. */
static void expect_fail(const char *dir, const char *ext, const char *n1, const char *n2,
			const char *n3, const char *key_text)
{
	struct ta_verify_result res;
	int err = test_verify(dir, key_text ? key_text : vkey, ext, &res);
	CHECK_EQ_INT(err, -EBADMSG);
	CHECK(!res.ok);
	fprintf(stderr, "  -> %s\n", res.message);
	const char *n[3] = { n1, n2, n3 };
	for (int i = 0; i < 3; i++)
		if (n[i] && !strstr(res.message, n[i])) {
			fprintf(stderr, "  missing \"%s\"\n", n[i]);
			CHECK(strstr(res.message, n[i]) != NULL);
		}
}

static void expect_ok(const char *dir, const char *ext)
{
	struct ta_verify_result res;
	int err = test_verify(dir, vkey, ext, &res);
	CHECK_EQ_INT(err, 0);
	if (err)
		fprintf(stderr, "  unexpected failure: %s\n", res.message);
}

static void fix_crc(uint8_t *rec)
{
	uint32_t len = ta_get32(rec);
	ta_put32(rec + len - 4, ta_crc32c(0, rec, len - 4));
}

static char *seg_path(const char *dir, const char *seg)
{
	return test_path(dir, seg);
}

static void num(char *out, uint64_t v)
{
	sprintf(out, "%llu", (unsigned long long)v);
}

/* Flip one bit in the payload, in the header, or in the CRC of record 1500. */
static void test_bitflips(void)
{
	const int offsets[] = { 3, 6, 12, 20, 30, TA_REC_HDR_LEN + 5, -2 };
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		char *d = copy();
		struct pos p = where(d, 1500);
		char *f = seg_path(d, p.seg);
		size_t len;
		uint8_t *b = file_read(f, &len);
		size_t at = offsets[i] >= 0 ? p.offset + (size_t)offsets[i] : p.offset + p.len - 2;
		b[at] ^= 0x10;
		file_write(f, b, len);
		char off[32], idx[32];
		snprintf(off, sizeof(off), "offset %llu ", (unsigned long long)p.offset);
		num(idx, 1500);
		fprintf(stderr, "bit flip at record byte %d:\n", offsets[i]);
		expect_fail(d, NULL, p.seg, off, idx, NULL);
		free(b);
		free(f);
		free(d);
	}
}

/* A payload changed with its CRC fixed: only the tree can tell. */
static void test_flip_fixed_crc(void)
{
	char *d = copy();
	struct pos p = where(d, 2222);
	char *f = seg_path(d, p.seg);
	size_t len;
	uint8_t *b = file_read(f, &len);
	b[p.offset + TA_REC_HDR_LEN + 1] ^= 1;
	fix_crc(b + p.offset);
	file_write(f, b, len);
	fprintf(stderr, "payload altered, CRC fixed:\n");
	expect_fail(d, NULL, "were changed", NULL, NULL, NULL);
	free(b);
	free(f);
	free(d);
}

static void test_segment_header(void)
{
	char *d = copy();
	char *f = seg_path(d, "seg-0000000000000002.log");
	size_t len;
	uint8_t *b = file_read(f, &len);
	b[26] ^= 4; /* first_index */
	file_write(f, b, len);
	fprintf(stderr, "segment header bit:\n");
	expect_fail(d, NULL, "seg-0000000000000002.log offset 0", "header CRC", NULL, NULL);
	/* the same with the header CRC fixed: the start record disagrees */
	b[26] ^= 4;
	b[50] ^= 1; /* created_ns */
	ta_put32(b + 60, ta_crc32c(0, b, 60));
	file_write(f, b, len);
	expect_fail(d, NULL, "seg-0000000000000002.log", "differs from its segment start", NULL, NULL);
	/* a stored subtree hash in the segment start record, CRC fixed */
	b[50] ^= 1;
	ta_put32(b + 60, ta_crc32c(0, b, 60));
	uint8_t *rec = b + TA_SEG_HDR_LEN;
	rec[TA_REC_HDR_LEN + 48 + 3] ^= 1;
	fix_crc(rec);
	file_write(f, b, len);
	expect_fail(d, NULL, "seg-0000000000000002.log offset 64", "compact range", NULL, NULL);
	free(b);
	free(f);
	free(d);
}

/* Deleting, duplicating and swapping records inside a segment. */
static void test_record_moves(void)
{
	for (int kind = 0; kind < 3; kind++) {
		char *d = copy();
		struct pos p = where(d, 1700), q = where(d, 1701);
		CHECK(!strcmp(p.seg, q.seg));
		char *f = seg_path(d, p.seg);
		size_t len;
		uint8_t *b = file_read(f, &len);
		uint8_t *nb = malloc(len + p.len);
		size_t nl;
		const char *what;
		if (kind == 0) { /* delete */
			memcpy(nb, b, p.offset);
			memcpy(nb + p.offset, b + p.offset + p.len, len - p.offset - p.len);
			nl = len - p.len;
			what = "deleted";
		} else if (kind == 1) { /* duplicate */
			memcpy(nb, b, p.offset + p.len);
			memcpy(nb + p.offset + p.len, b + p.offset, len - p.offset);
			nl = len + p.len;
			what = "duplicated";
		} else { /* swap 1700 and 1701 */
			memcpy(nb, b, len);
			memcpy(nb + p.offset, b + q.offset, q.len);
			memcpy(nb + p.offset + q.len, b + p.offset, p.len);
			nl = len;
			what = "reordered";
		}
		file_write(f, nb, nl);
		char off[32];
		snprintf(off, sizeof(off), "offset %llu ",
			 (unsigned long long)(kind == 1 ? p.offset + p.len : p.offset));
		fprintf(stderr, "record %s:\n", what);
		expect_fail(d, NULL, p.seg, off, kind == 1 ? "record 1701" : "record 1700", NULL);
		free(nb);
		free(b);
		free(f);
		free(d);
	}
}

static void test_segment_files(void)
{
	/* truncated middle segment */
	char *d = copy();
	char *f = seg_path(d, "seg-0000000000000002.log");
	struct stat st;
	stat(f, &st);
	CHECK_EQ_INT(truncate(f, st.st_size / 2), 0);
	fprintf(stderr, "middle segment truncated:\n");
	expect_fail(d, NULL, "seg-0000000000000002.log", "truncated", NULL, NULL);
	free(f);
	free(d);

	/* deleted middle segment */
	d = copy();
	f = seg_path(d, "seg-0000000000000003.log");
	CHECK_EQ_INT(unlink(f), 0);
	fprintf(stderr, "middle segment deleted:\n");
	expect_fail(d, NULL, "seg-0000000000000003.log", "missing", NULL, NULL);
	free(f);
	free(d);

	/* deleted first segment */
	d = copy();
	f = seg_path(d, "seg-0000000000000000.log");
	CHECK_EQ_INT(unlink(f), 0);
	fprintf(stderr, "first segment deleted:\n");
	expect_fail(d, NULL, "missing", "no retention record", NULL, NULL);
	/* and its checkpoint file too */
	free(f);
	f = seg_path(d, "seg-0000000000000000.ckpt");
	CHECK_EQ_INT(unlink(f), 0);
	expect_fail(d, NULL, "missing", "no retention record", NULL, NULL);
	free(f);
	free(d);

	/* truncated last segment: its checkpoint vouches for more */
	uint64_t seqs_last = 0;
	{
		struct ta_log_reader *r;
		struct ta_log_record rec;
		ta_log_reader_open(&r, good);
		while (ta_log_reader_next(r, &rec) == 1)
			seqs_last = rec.segment_seq;
		ta_log_reader_close(r);
	}
	char name[64];
	ta_seg_name(name, seqs_last, TA_SEG_SUFFIX);
	d = copy();
	f = seg_path(d, name);
	stat(f, &st);
	CHECK_EQ_INT(truncate(f, st.st_size - 100), 0);
	fprintf(stderr, "last segment truncated:\n");
	expect_fail(d, NULL, "covers", "torn tail", name, NULL);
	free(f);
	free(d);

	/* deleted last segment, its checkpoints too: only an outside checkpoint shows it */
	d = copy();
	f = seg_path(d, name);
	char *ext = test_path(base, "final.note");
	{
		/* the last note of the last checkpoint file, kept elsewhere */
		char cname[64];
		ta_seg_name(cname, seqs_last, TA_CKPT_SUFFIX);
		char *cf = seg_path(d, cname);
		size_t len;
		uint8_t *b = file_read(cf, &len);
		b[len] = 0;
		char *last = (char *)b, *p;
		while ((p = strstr(last, "\n\n\xe2\x80\x94")) && (p = strstr(p + 3, "\n\n")) && p + 2 < (char *)b + len)
			last = p + 2;
		file_write(ext, (uint8_t *)last, strlen(last) - 1);
		unlink(cf);
		free(cf);
		free(b);
	}
	CHECK_EQ_INT(unlink(f), 0);
	fprintf(stderr, "last segment and its checkpoints deleted, checked against an outside checkpoint:\n");
	expect_fail(d, ext, "rolled back", "final.note", NULL, NULL);
	expect_ok(good, ext);
	free(ext);
	free(f);
	free(d);
}

static void test_checkpoints(void)
{
	/* one character of a signature changed */
	char *d = copy();
	char *f = seg_path(d, "seg-0000000000000001.ckpt");
	size_t len;
	uint8_t *b = file_read(f, &len);
	b[len] = 0;
	char *sig = strstr((char *)b, "\xe2\x80\x94 test.example/ttyaudit ");
	CHECK(sig != NULL);
	if (sig) {
		char *c = sig + strlen("\xe2\x80\x94 test.example/ttyaudit ") + 20;
		*c = *c == 'A' ? 'B' : 'A';
		file_write(f, b, len);
		fprintf(stderr, "checkpoint signature altered:\n");
		expect_fail(d, NULL, "seg-0000000000000001.ckpt offset 0", "bad signature", NULL, NULL);
	}
	/* the root changed (the signature no longer matches) */
	free(b);
	b = file_read(f, &len);
	char *nl = memchr(b, '\n', len);
	nl = memchr(nl + 1, '\n', len);
	nl[3] = nl[3] == 'A' ? 'B' : 'A';
	file_write(f, b, len);
	expect_fail(d, NULL, "seg-0000000000000001.ckpt offset 0", "bad signature", NULL, NULL);
	free(b);
	free(f);
	free(d);
}

/*
 * A set loaded again with an earlier one as known (the shipper, every round):
 * the same checkpoints; and a note whose bytes changed since is checked again
 * (an altered signature is refused, not taken from the earlier set).
 */
static void test_known_checkpoints(void)
{
	char *d = copy();
	struct ta_verifier *k;
	CHECK_EQ_INT(ta_verifier_parse(vkey, &k), 0);
	int dfd = open(d, O_RDONLY | O_DIRECTORY);
	struct ta_ckpt_set a = { 0 }, b = { 0 }, c = { 0 };
	char msg[256];
	CHECK_EQ_INT(ta_ckpt_set_load(dfd, k, &a, msg, sizeof(msg)), 0);
	b.known = &a;
	CHECK_EQ_INT(ta_ckpt_set_load(dfd, k, &b, msg, sizeof(msg)), 0);
	CHECK(a.n >= 8);
	CHECK_EQ_INT(b.n, a.n);
	for (size_t i = 0; i < a.n && i < b.n; i++)
		CHECK(a.v[i].cp.size == b.v[i].cp.size && !memcmp(a.v[i].cp.root, b.v[i].cp.root, 32));
	char *f = seg_path(d, "seg-0000000000000001.ckpt");
	size_t len;
	uint8_t *buf = file_read(f, &len);
	buf[len] = 0;
	char *sig = strstr((char *)buf, "\xe2\x80\x94 test.example/ttyaudit ");
	CHECK(sig != NULL);
	if (sig) {
		char *x = sig + strlen("\xe2\x80\x94 test.example/ttyaudit ") + 20;
		*x = *x == 'A' ? 'B' : 'A';
		file_write(f, buf, len);
		c.known = &a;
		CHECK_EQ_INT(ta_ckpt_set_load(dfd, k, &c, msg, sizeof(msg)), -EBADMSG);
		CHECK(strstr(msg, "bad signature") != NULL);
	}
	free(buf);
	free(f);
	ta_ckpt_set_free(&a);
	ta_ckpt_set_free(&b);
	ta_ckpt_set_free(&c);
	ta_verifier_free(k);
	close(dfd);
	free(d);
}

/* The whole log rewritten and signed with another key: the original key refuses it. */
static void test_resigned(void)
{
	char *d = test_path(base, "forged");
	char *k2 = test_path(base, "key2");
	struct ta_store_opts o;
	test_opts(&o, d, k2);
	o.segment_max_bytes = 200 * 1024;
	CHECK_EQ_INT(test_write_log(&o, 3000), 0);
	fprintf(stderr, "log re-signed with another key:\n");
	expect_fail(d, NULL, "no signature by the verifier key", NULL, NULL, NULL);
	/* ... but its own key (from its directory) accepts it: that is why --key matters */
	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(d, NULL, NULL, &res), 0);
	free(k2);
	free(d);
}

/* An older copy of the log against a newer checkpoint: rolled back. */
static void test_rollback(void)
{
	char *d = test_path(base, "rb");
	char *old = test_path(base, "rb-old");
	char *k3 = test_path(base, "key3");
	struct ta_store_opts o;
	test_opts(&o, d, k3);
	CHECK_EQ_INT(test_write_log(&o, 500), 0);
	CHECK_EQ_INT(test_cp(d, old), 0);
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	char *k3v = strdup(ta_store_vkey(s));
	uint8_t buf[64] = { 1 };
	for (int i = 0; i < 100; i++)
		ta_store_append(s, TEST_TYPE, 5, 9, buf, sizeof(buf), NULL);
	char *note;
	CHECK_EQ_INT(ta_store_checkpoint(s, &note), 0);
	char *ext = test_path(base, "newer.note");
	file_write(ext, (uint8_t *)note, strlen(note));
	CHECK_EQ_INT(ta_store_close(s), 0);
	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(old, k3v, NULL, &res), 0); /* self-consistent alone */
	CHECK_EQ_INT(test_verify(d, k3v, ext, &res), 0);
	fprintf(stderr, "rolled-back log against a newer checkpoint:\n");
	expect_fail(old, ext, "rolled back", NULL, NULL, k3v);
	free(note);
	free(k3v);
	free(ext);
	free(k3);
	free(old);
	free(d);
}

/* A torn tail: verify reports it, reopening recovers it with a record, tampering after fails. */
static void test_torn_tail(void)
{
	char *d = test_path(base, "torn");
	char *k4 = test_path(base, "key4");
	struct ta_store_opts o;
	test_opts(&o, d, k4);
	o.no_append_only = 1;
	CHECK_EQ_INT(test_write_log(&o, 200), 0);
	char name[64];
	ta_seg_name(name, 0, TA_SEG_SUFFIX);
	char *f = seg_path(d, name);
	/* half a record, as a crash in the middle of a write leaves it */
	uint8_t junk[60] = { 0 };
	ta_put32(junk, 500);
	junk[4] = 1;
	int fd = open(f, O_WRONLY | O_APPEND);
	CHECK_EQ_INT(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(d, NULL, NULL, &res), 0);
	CHECK(res.torn);
	CHECK_EQ_INT(res.torn_at.torn_reason, TA_TORN_INCOMPLETE);
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	CHECK_EQ_INT(ta_store_close(s), 0);
	CHECK_EQ_INT(test_verify(d, NULL, NULL, &res), 0);
	CHECK(!res.torn);
	CHECK_EQ_INT(res.recovery_records, 1);
	/* someone appends to the sealed torn segment afterwards */
	fd = open(f, O_WRONLY | O_APPEND);
	CHECK_EQ_INT(write(fd, junk, 10), 10);
	close(fd);
	fprintf(stderr, "bytes appended after a recovered torn tail:\n");
	CHECK_EQ_INT(test_verify(d, NULL, NULL, &res), -EBADMSG);
	fprintf(stderr, "  -> %s\n", res.message);
	CHECK(strstr(res.message, "seg-0000000000000001.log offset ") != NULL);
	CHECK(strstr(res.message, "recovery record does not match") != NULL);
	free(f);
	free(k4);
	free(d);
}

int main(void)
{
	base = test_mkdtemp("tamper");
	key = test_path(base, "key");
	good = test_path(base, "good");
	struct ta_store_opts o;
	test_opts(&o, good, key);
	o.segment_max_bytes = 200 * 1024;
	o.checkpoint_every_records = 700;
	CHECK_EQ_INT(test_write_log(&o, 5000), 0);
	{
		char *vf = test_path(good, "ttyaudit.vkey");
		size_t len;
		vkey = (char *)file_read(vf, &len);
		vkey[strcspn(vkey, "\n")] = 0;
		free(vf);
	}
	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(good, vkey, NULL, &res), 0);
	CHECK(res.segments >= 6);
	CHECK(res.checkpoints >= 8);
	test_bitflips();
	test_known_checkpoints();
	test_flip_fixed_crc();
	test_segment_header();
	test_record_moves();
	test_segment_files();
	test_checkpoints();
	test_resigned();
	test_rollback();
	test_torn_tail();
	/* the test tampered only copies */
	CHECK_EQ_INT(test_verify(good, vkey, NULL, &res), 0);
	test_rmtree(base);
	return check_result();
}

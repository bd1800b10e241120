// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The records message (fleet/batch.h): what the shipper frames the collector
 * reads back record for record (with the checkpoint request that may end
 * it), and every malformed, truncated or overlong message from the network is
 * refused with a reason, never read past.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fleet/batch.h"
#include "store/format.h"
#include "store/merkle.h"
#include "store/store.h"

#define N 702 /* records written; the last two ~140 KiB each: together beyond the byte bound */
#define M 690 /* small ones framed */

/* Records as the store writes them (its own among ours): the shipper sends exactly these bytes. */
static uint8_t *recs[N + 16];
static size_t rlen[N + 16];
static int n_recs;
static uint64_t first_index;

static void make_records(const char *dir)
{
	char key[300];
	snprintf(key, sizeof(key), "%s.key", dir);
	struct ta_store_opts o = { .dir = dir, .key_file = key, .origin = "unit/ttyaudit",
				   .no_append_only = 1 };
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	static char p[140 << 10];
	srand(1);
	for (size_t k = 0; k < sizeof(p); k++)
		p[k] = (char)rand(); /* incompressible */
	for (int i = 0; i < N; i++) {
		int l = i >= M ? (int)sizeof(p) :
			snprintf(p, 64, "payload %d %s", i, i % 7 ? "" : "and some more bytes");
		CHECK_EQ_INT(ta_store_append(s, 0x0100, 1000000000ull * (uint64_t)(i + 1), 1, p,
					     (size_t)l, NULL), 0);
	}
	CHECK_EQ_INT(ta_store_close(s), 0);
	struct ta_log_reader *r;
	struct ta_log_record rec;
	CHECK_EQ_INT(ta_log_reader_open(&r, dir), 0);
	for (int i = 0; i < N + 16 && ta_log_reader_next(r, &rec) == 1; i++, n_recs++) {
		if (i == 0)
			first_index = rec.index;
		CHECK(rec.index == first_index + (uint64_t)i);
		recs[i] = malloc(rec.stored_len);
		memcpy(recs[i], rec.stored, rec.stored_len);
		rlen[i] = rec.stored_len;
	}
	if (n_recs < N) {
		fprintf(stderr, "the log holds %d records\n", n_recs);
		exit(1);
	}
	CHECK(rlen[n_recs - 1] > (100u << 10) && rlen[n_recs - 2] > (100u << 10));
	ta_log_reader_close(r);
	unlink(key);
}

/* Frames records [from, from + n) into a malloc'd message. */
static uint8_t *frame(int from, int n, size_t *len)
{
	struct ta_fleet_batch_enc e = { 0 };
	ta_fleet_batch_begin(&e, first_index + (uint64_t)from);
	for (int i = from; i < from + n; i++)
		CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[i], rlen[i]), 1);
	const void *d;
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, len), 0);
	uint8_t *m = malloc(*len);
	memcpy(m, d, *len);
	ta_fleet_batch_enc_free(&e);
	return m;
}

static int refused(const void *m, size_t len, const char *want)
{
	struct ta_fleet_batch b;
	const char *why = NULL;
	int e = ta_fleet_batch_parse(m, len, &b, &why);
	if (e != -EBADMSG || !why || !strstr(why, want)) {
		fprintf(stderr, "expected refusal '%s', got %d '%s'\n", want, e, why ? why : "(null)");
		return 0;
	}
	return 1;
}

static void test_round_trip(void)
{
	/* The shipper's cut: full at 256 records, then the log's end. */
	struct ta_fleet_batch_enc e = { 0 };
	int at = 0, msgs = 0;
	while (at < M) {
		ta_fleet_batch_begin(&e, first_index + (uint64_t)at);
		int k = at;
		while (k < M && ta_fleet_batch_add(&e, recs[k], rlen[k]) == 1)
			k++;
		CHECK(k - at == (M - at < TA_FLEET_BATCH_RECORDS ? M - at : TA_FLEET_BATCH_RECORDS));
		const void *d;
		size_t len;
		CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
		struct ta_fleet_batch b;
		const char *why;
		CHECK_EQ_INT(ta_fleet_batch_parse(d, len, &b, &why), 0);
		CHECK(b.first == first_index + (uint64_t)at && b.count == (uint32_t)(k - at));
		const uint8_t *p;
		size_t l;
		for (int i = at; i < k; i++) {
			CHECK_EQ_INT(ta_fleet_batch_next(&b, &p, &l), 1);
			CHECK(l == rlen[i] && !memcmp(p, recs[i], l)); /* the leaf bytes, unchanged */
		}
		CHECK_EQ_INT(ta_fleet_batch_next(&b, &p, &l), 0);
		at = k;
		msgs++;
	}
	CHECK_EQ_INT(msgs, (M + TA_FLEET_BATCH_RECORDS - 1) / TA_FLEET_BATCH_RECORDS);
	/* A record larger than the byte bound goes alone; another never joins it. */
	size_t big = TA_FLEET_BATCH_BYTES + 10;
	uint8_t *blob = calloc(1, big);
	ta_fleet_batch_begin(&e, 5);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, blob, big), 1);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[0], rlen[0]), 0);
	ta_fleet_batch_begin(&e, 5);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[0], rlen[0]), 1);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, blob, big), 0);
	free(blob);
	ta_fleet_batch_enc_free(&e);
	char id[64];
	CHECK_EQ_INT(ta_fleet_batch_msgid("h/ttyaudit", 256, 256, id, sizeof(id)), 0);
	CHECK_EQ_STR(id, "h/ttyaudit/256-511");
	CHECK_EQ_INT(ta_fleet_batch_msgid("h/ttyaudit", 256, 256, id, 10), -ENAMETOOLONG);
}

/*
 * Batches published again after a restart with other bounds overlap the
 * first ones: record for record they carry the same bytes at the same index
 * (the collector's duplicate check by index sees equal leaves, never a fork),
 * and their message ids differ (JetStream does not drop them as duplicates).
 */
static void test_overlap(void)
{
	size_t l1, l2;
	uint8_t *a = frame(0, 256, &l1), *b = frame(37, 256, &l2);
	struct ta_fleet_batch x, y;
	const char *why;
	CHECK_EQ_INT(ta_fleet_batch_parse(a, l1, &x, &why), 0);
	CHECK_EQ_INT(ta_fleet_batch_parse(b, l2, &y, &why), 0);
	const uint8_t *pa[256], *pb;
	size_t la[256], lb;
	for (int i = 0; i < 256; i++)
		CHECK_EQ_INT(ta_fleet_batch_next(&x, &pa[i], &la[i]), 1);
	for (int i = 0; i < 256; i++) {
		CHECK_EQ_INT(ta_fleet_batch_next(&y, &pb, &lb), 1);
		if (37 + i < 256)
			CHECK(lb == la[37 + i] && !memcmp(pb, pa[37 + i], lb));
	}
	char ia[64], ib[64];
	ta_fleet_batch_msgid("o", x.first, x.count, ia, sizeof(ia));
	ta_fleet_batch_msgid("o", y.first, y.count, ib, sizeof(ib));
	CHECK(strcmp(ia, ib) != 0);
	free(a);
	free(b);
}

/* A copy of record i whose header says index idx (its CRC then fails: the collector's decoder says so). */
static uint8_t *with_index(int i, uint64_t idx)
{
	struct ta_rec_header h;
	uint8_t *r = malloc(rlen[i]);
	memcpy(r, recs[i], rlen[i]);
	ta_rec_header_decode(r, &h);
	h.index = idx;
	ta_rec_header_encode(r, &h);
	return r;
}

/*
 * Indexes past PostgreSQL's bigint (2^63 - 1): stored negative, they made
 * query --fleet's hole check of the host overflow (an error for every
 * host); refused in a batch and alone. The last one that fits is taken.
 */
static void test_index_range(void)
{
	struct ta_fleet_batch_enc e = { 0 };
	struct ta_fleet_batch b;
	const void *d;
	const char *why;
	size_t len;
	uint8_t *r0 = with_index(0, (uint64_t)INT64_MAX), *r1 = with_index(1, (uint64_t)INT64_MAX + 1),
		*r2 = with_index(2, UINT64_MAX - 1);
	ta_fleet_batch_begin(&e, (uint64_t)INT64_MAX);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, r0, rlen[0]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK_EQ_INT(ta_fleet_batch_parse(d, len, &b, &why), 0);
	CHECK(b.first == (uint64_t)INT64_MAX);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, r1, rlen[1]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK(refused(d, len, "beyond 2^63"));
	ta_fleet_batch_begin(&e, (uint64_t)INT64_MAX + 1);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, r1, rlen[1]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK(refused(d, len, "beyond 2^63"));
	ta_fleet_batch_begin(&e, UINT64_MAX - 1);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, r2, rlen[2]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK(refused(d, len, "beyond 2^63"));
	/* Alone, as a shipper before batches sent a record. */
	CHECK_EQ_INT(ta_fleet_batch_parse(r0, rlen[0], &b, &why), 0);
	CHECK(refused(r1, rlen[1], "beyond 2^63"));
	CHECK(refused(r2, rlen[2], "beyond 2^63"));
	ta_fleet_batch_enc_free(&e);
	free(r0);
	free(r1);
	free(r2);
}

static void test_malformed(void)
{
	size_t len;
	uint8_t *m = frame(10, 20, &len), *t = malloc(len + 64);
	struct ta_fleet_batch b;
	const char *why;
	CHECK_EQ_INT(ta_fleet_batch_parse(m, len, &b, &why), 0);
	CHECK(refused(m, 0, "shorter than a batch header"));
	CHECK(refused(NULL, 0, "shorter"));
	CHECK(refused(m, 15, "shorter than a batch header"));
	memcpy(t, m, len);
	t[0] = 'X';
	CHECK(refused(t, len, "magic"));
	/* Every truncation is refused, never read past. */
	for (size_t cut = TA_FLEET_BATCH_HEAD; cut < len; cut++) {
		if (ta_fleet_batch_parse(m, cut, &b, &why) != -EBADMSG) {
			fprintf(stderr, "accepted a message cut at %zu of %zu\n", cut, len);
			CHECK(0);
		}
	}
	CHECK(refused(m, TA_FLEET_BATCH_HEAD, "truncated: fewer records than its count"));
	/* The count disagrees with the records. */
	uint32_t c;
	memcpy(t, m, len);
	c = htobe32(21);
	memcpy(t + 12, &c, 4);
	CHECK(refused(t, len, "fewer records than its count"));
	c = htobe32(19);
	memcpy(t + 12, &c, 4);
	CHECK(refused(t, len, "bytes after its last record"));
	c = htobe32(0);
	memcpy(t + 12, &c, 4);
	CHECK(refused(t, len, "empty batch"));
	c = htobe32(TA_FLEET_BATCH_RECORDS + 1);
	memcpy(t + 12, &c, 4);
	CHECK(refused(t, len, "more records than a batch may hold"));
	c = htobe32(0xffffffffu);
	memcpy(t + 12, &c, 4);
	CHECK(refused(t, len, "more records"));
	/* Trailing bytes after the last record. */
	memcpy(t, m, len);
	memset(t + len, 0, 8);
	CHECK(refused(t, len + 8, "bytes after its last record"));
	/* A record length running past the message, and a huge one. */
	memcpy(t, m, len);
	uint32_t l = htobe32((uint32_t)len);
	memcpy(t + TA_FLEET_BATCH_HEAD, &l, 4);
	CHECK(refused(t, len, "runs past the message"));
	l = htobe32(0xfffffff0u);
	memcpy(t + TA_FLEET_BATCH_HEAD, &l, 4);
	CHECK(refused(t, len, "runs past the message"));
	/* A length one short: the envelope no longer matches. */
	memcpy(t, m, len);
	l = htobe32((uint32_t)rlen[10] - 1);
	memcpy(t + TA_FLEET_BATCH_HEAD, &l, 4);
	CHECK(refused(t, len, ""));
	/* The first index says another record than the one it holds. */
	memcpy(t, m, len);
	uint64_t f = htobe64(first_index + 11);
	memcpy(t + 4, &f, 8);
	CHECK(refused(t, len, "index is not the batch's next"));
	/* Indexes that would pass 2^64. */
	f = htobe64(UINT64_MAX - 5);
	memcpy(t + 4, &f, 8);
	CHECK(refused(t, len, "beyond 2^63"));
	free(m);
	test_index_range();
	/* Records out of order or with a hole: not consecutive. */
	struct ta_fleet_batch_enc e = { 0 };
	const void *d;
	ta_fleet_batch_begin(&e, first_index);
	ta_fleet_batch_add(&e, recs[0], rlen[0]);
	ta_fleet_batch_add(&e, recs[2], rlen[2]);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK(refused(d, len, "index is not the batch's next"));
	/* More bytes than the bound in a batch of several (a shipper may not send those):
	 * two valid consecutive records framed by hand. */
	CHECK(rlen[n_recs - 1] + rlen[n_recs - 2] > TA_FLEET_BATCH_BYTES && rlen[n_recs - 1] < TA_FLEET_BATCH_BYTES);
	ta_fleet_batch_begin(&e, first_index + (uint64_t)n_recs - 2);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[n_recs - 2], rlen[n_recs - 2]), 1);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[n_recs - 1], rlen[n_recs - 1]), 0); /* the encoder stops */
	e.bytes = 0; /* as a shipper that ignored the bound would */
	CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[n_recs - 1], rlen[n_recs - 1]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK(refused(d, len, "more bytes than a batch may hold"));
	ta_fleet_batch_enc_free(&e);
	free(t);
}

/* "TAB2": the records, then the checkpoint request that covers them; refused unless whole. */
static void test_with_checkpoint(void)
{
	static const char req[] = "old 10\nproof line\n\norigin/ttyaudit\n30\nroot\n";
	struct ta_fleet_batch_enc e = { 0 };
	struct ta_fleet_batch b;
	const void *d;
	const char *why;
	size_t len;
	ta_fleet_batch_begin(&e, first_index + 10);
	for (int i = 10; i < 30; i++)
		CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[i], rlen[i]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end_ckpt(&e, req, 0, &d, &len), -EMSGSIZE);
	CHECK_EQ_INT(ta_fleet_batch_end_ckpt(&e, req, TA_FLEET_BATCH_REQUEST_MAX + 1, &d, &len),
		     -EMSGSIZE);
	CHECK_EQ_INT(ta_fleet_batch_end_ckpt(&e, req, sizeof(req) - 1, &d, &len), 0);
	CHECK(!memcmp(d, TA_FLEET_BATCH_MAGIC_CKPT, 4));
	uint8_t *m = malloc(len + 8);
	memcpy(m, d, len);
	CHECK_EQ_INT(ta_fleet_batch_parse(m, len, &b, &why), 0);
	CHECK(b.count == 20 && b.first == first_index + 10);
	CHECK(b.ckpt && b.ckpt_len == sizeof(req) - 1 && !memcmp(b.ckpt, req, b.ckpt_len));
	const uint8_t *p;
	size_t l;
	for (int i = 10; i < 30; i++) {
		CHECK_EQ_INT(ta_fleet_batch_next(&b, &p, &l), 1);
		CHECK(l == rlen[i] && !memcmp(p, recs[i], l));
	}
	CHECK_EQ_INT(ta_fleet_batch_next(&b, &p, &l), 0);
	/* Every truncation refused; a byte more, a request length of zero or past the end too. */
	for (size_t cut = TA_FLEET_BATCH_HEAD; cut < len; cut++)
		if (ta_fleet_batch_parse(m, cut, &b, &why) != -EBADMSG) {
			fprintf(stderr, "accepted a TAB2 message cut at %zu of %zu\n", cut, len);
			CHECK(0);
		}
	m[len] = 'x';
	CHECK(refused(m, len + 1, "checkpoint request's length"));
	size_t at = len - (sizeof(req) - 1) - 4;
	uint32_t z = 0;
	memcpy(m + at, &z, 4);
	CHECK(refused(m, len, "checkpoint request's length"));
	z = htobe32(0xffffffffu);
	memcpy(m + at, &z, 4);
	CHECK(refused(m, len, "checkpoint request's length"));
	/* A records message without a request ("TAB1") is read as before, and has none. */
	memcpy(m, TA_FLEET_BATCH_MAGIC, 4);
	CHECK(refused(m, len, "bytes after its last record"));
	ta_fleet_batch_begin(&e, first_index + 10);
	CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[10], rlen[10]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end(&e, &d, &len), 0);
	CHECK_EQ_INT(ta_fleet_batch_parse(d, len, &b, &why), 0);
	CHECK(b.ckpt == NULL && b.ckpt_len == 0);
	free(m);
	ta_fleet_batch_enc_free(&e);
}

/* A shipper before batches sent each stored record alone: read as a batch of that one. */
static void test_bare_record(void)
{
	struct ta_fleet_batch b;
	const char *why;
	const uint8_t *r;
	size_t l;
	for (int i = 0; i < n_recs; i++) {
		CHECK_EQ_INT(ta_fleet_batch_parse(recs[i], rlen[i], &b, &why), 0);
		CHECK(b.bare && b.count == 1 && b.first == first_index + (uint64_t)i && !b.ckpt);
		CHECK_EQ_INT(ta_fleet_batch_next(&b, &r, &l), 1);
		CHECK(r == recs[i] && l == rlen[i]);
		CHECK_EQ_INT(ta_fleet_batch_next(&b, &r, &l), 0);
	}
	/* Cut by a byte, or a byte more: the envelope no longer matches, and it is no batch. */
	CHECK(refused(recs[3], rlen[3] - 1, "magic"));
	uint8_t *t = malloc(rlen[3] + 1);
	memcpy(t, recs[3], rlen[3]);
	t[rlen[3]] = 0;
	CHECK(refused(t, rlen[3] + 1, "magic"));
	free(t);
}

/* Whether the collector refuses id for this body with a reason holding want. */
static int id_refused(struct ta_hasher *h, const char *id, const char *origin, int records,
		      const struct ta_fleet_batch *b, const void *body, size_t len, const char *want)
{
	const char *why = NULL;
	int e = ta_fleet_msgid_check(h, id, origin, records, b, body, len, &why);
	if (e != -EBADMSG || !why || !strstr(why, want)) {
		fprintf(stderr, "id %s: expected refusal '%s', got %d '%s'\n", id ? id : "(null)",
			want, e, why ? why : "(null)");
		return 0;
	}
	return 1;
}

/*
 * Message ids end with the body's digest (JetStream's duplicate table is one
 * per stream: an id another host can predict lets it have this host's message
 * dropped): the same bytes give the same id, other bytes another; the
 * collector takes an id only from the host it names, with its body's digest.
 */
static void test_msgid(void)
{
	struct ta_hasher *h;
	CHECK_EQ_INT(ta_hasher_new(&h), 0);
	char id[400], id2[400];
	/* SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 b00361a3 ... */
	snprintf(id, sizeof(id), "h/ttyaudit/256-511");
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id, sizeof(id), "abc", 3), 0);
	CHECK_EQ_STR(id, "h/ttyaudit/256-511/ba7816bf8f01cfea414140de5dae2223");
	snprintf(id, 30, "h/ttyaudit/256-511");
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id, 30, "abc", 3), -ENAMETOOLONG);

	/* A batch framed twice from the same records: the same bytes, the same id. */
	size_t l1, l2;
	uint8_t *a = frame(3, 40, &l1), *a2 = frame(3, 40, &l2);
	struct ta_fleet_batch b;
	const char *why;
	CHECK(l1 == l2 && !memcmp(a, a2, l1));
	CHECK_EQ_INT(ta_fleet_batch_parse(a, l1, &b, &why), 0);
	CHECK_EQ_INT(ta_fleet_batch_msgid("unit/ttyaudit", b.first, b.count, id, sizeof(id)), 0);
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id, sizeof(id), a, l1), 0);
	CHECK_EQ_INT(ta_fleet_batch_msgid("unit/ttyaudit", b.first, b.count, id2, sizeof(id2)), 0);
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id2, sizeof(id2), a2, l2), 0);
	CHECK_EQ_STR(id, id2);
	CHECK_EQ_INT(ta_fleet_msgid_check(h, id, "unit/ttyaudit", 1, &b, a, l1, &why), 0);
	/* Another host (also one whose origin is a prefix of this one's), other bytes. */
	CHECK(id_refused(h, id, "other/ttyaudit", 1, &b, a, l1, "another origin"));
	CHECK(id_refused(h, id, "unit", 1, &b, a, l1, "first and last"));
	a2[l2 - 1] ^= 1;
	CHECK(id_refused(h, id, "unit/ttyaudit", 1, &b, a2, l2, "digest is not its body's"));
	/* An id without its digest (a shipper before digests), or none at all. */
	CHECK_EQ_INT(ta_fleet_batch_msgid("unit/ttyaudit", b.first, b.count, id2, sizeof(id2)), 0);
	CHECK(id_refused(h, id2, "unit/ttyaudit", 1, &b, a, l1, "does not end with a digest"));
	CHECK(id_refused(h, NULL, "unit/ttyaudit", 1, &b, a, l1, "no message id"));
	/* The digest in capitals, bounds of another batch, a part too many. */
	snprintf(id2, sizeof(id2), "%s", id);
	for (char *p = strrchr(id2, '/'); *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
	CHECK(id_refused(h, id2, "unit/ttyaudit", 1, &b, a, l1, "digest is not its body's"));
	CHECK_EQ_INT(ta_fleet_batch_msgid("unit/ttyaudit", b.first + 1, b.count, id2, sizeof(id2)), 0);
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id2, sizeof(id2), a, l1), 0);
	CHECK(id_refused(h, id2, "unit/ttyaudit", 1, &b, a, l1, "first and last"));
	CHECK_EQ_INT(ta_fleet_batch_msgid("unit/ttyaudit", b.first, b.count, id2, sizeof(id2)), 0);
	strcat(id2, "/checkpoint/43/3");
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id2, sizeof(id2), a, l1), 0);
	CHECK(id_refused(h, id2, "unit/ttyaudit", 1, &b, a, l1, "more parts"));

	/* A records message that is no batch: its id's origin and digest are checked still. */
	CHECK_EQ_INT(ta_fleet_msgid_check(h, id, "unit/ttyaudit", 1, NULL, a, l1, &why), 0);
	CHECK(id_refused(h, id, "other/ttyaudit", 1, NULL, a, l1, "another origin"));
	CHECK(id_refused(h, id, "unit/ttyaudit", 1, NULL, "x", 1, "digest is not its body's"));

	/* A checkpoint alone, and one after its records ("TAB2"). */
	static const char req[] = "old 3\nproof\n\nunit/ttyaudit\n43\nroot\n";
	snprintf(id2, sizeof(id2), "unit/ttyaudit/checkpoint/43/3");
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id2, sizeof(id2), req, sizeof(req) - 1), 0);
	CHECK_EQ_INT(ta_fleet_msgid_check(h, id2, "unit/ttyaudit", 0, NULL, req, sizeof(req) - 1, &why), 0);
	CHECK(id_refused(h, id, "unit/ttyaudit", 0, NULL, a, l1, "not a checkpoint's"));
	struct ta_fleet_batch_enc e = { 0 };
	const void *d;
	size_t dl;
	ta_fleet_batch_begin(&e, first_index + 3);
	for (int i = 3; i < 43; i++)
		CHECK_EQ_INT(ta_fleet_batch_add(&e, recs[i], rlen[i]), 1);
	CHECK_EQ_INT(ta_fleet_batch_end_ckpt(&e, req, sizeof(req) - 1, &d, &dl), 0);
	CHECK_EQ_INT(ta_fleet_batch_parse(d, dl, &b, &why), 0);
	CHECK(id_refused(h, id, "unit/ttyaudit", 1, &b, d, dl, "not a checkpoint's"));
	CHECK_EQ_INT(ta_fleet_batch_msgid("unit/ttyaudit", b.first, b.count, id2, sizeof(id2)), 0);
	strcat(id2, "/checkpoint/43/3");
	CHECK_EQ_INT(ta_fleet_msgid_seal(h, id2, sizeof(id2), d, dl), 0);
	CHECK_EQ_INT(ta_fleet_msgid_check(h, id2, "unit/ttyaudit", 1, &b, d, dl, &why), 0);
	ta_fleet_batch_enc_free(&e);
	free(a);
	free(a2);
	ta_hasher_free(h);
}

int main(void)
{
	char dir[] = "/tmp/ta-fleet-batch-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	make_records(dir);
	test_round_trip();
	test_overlap();
	test_malformed();
	test_with_checkpoint();
	test_bare_record();
	test_msgid();
	for (int i = 0; i < n_recs; i++)
		free(recs[i]);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_EQ_INT(system(cmd), 0);
	return check_result();
}

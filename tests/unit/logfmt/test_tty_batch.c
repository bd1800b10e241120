// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The terminal-batch codec (agent/logfmt/tty_batch.c): what the builder writes
 * the iterator gives back (time, kind, data, window size, the entry's fields),
 * version-1 batches still read, and every malformed payload refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "logfmt/tty_batch.h"

#define T0 1700000000123456789ull

static const struct ta_tty_id tty = { .major = 136, .minor = 7, .name = "pts/7" };

/* A batch of output "hi", input "x" (redacted to 0 bytes of 5), a window size. */
static void build(struct ta_batch_builder *b)
{
	struct ta_tty_entry out = { .kind = TA_ENTRY_OUTPUT, .source = 1, .len = 2, .orig_len = 2,
				    .pid = 42, .uid = 1001, .comm = "bash", .oflag = TA_OF_KNOWN };
	struct ta_tty_entry in = { .kind = TA_ENTRY_INPUT, .flags = TA_F_REDACTED, .len = 0,
				   .orig_len = 5, .pid = 43, .uid = 1001, .comm = "sudo" };
	struct ta_tty_entry ws = { .kind = TA_ENTRY_WINSIZE, .len = TA_WINSIZE_DATA_LEN,
				   .orig_len = TA_WINSIZE_DATA_LEN };
	uint8_t wsd[TA_WINSIZE_DATA_LEN];

	ta_batch_init(b);
	ta_batch_begin(b, &tty, 9, 1001, T0);
	CHECK_EQ_INT(ta_batch_add(b, &out, T0 + 1500, "hi"), 0);     /* 1.5 us: delta 1 us */
	CHECK_EQ_INT(ta_batch_add(b, &in, T0 + 2000000, NULL), 0);   /* 2 ms */
	ta_batch_winsize_encode(wsd, 24, 80, 640, 480);
	CHECK_EQ_INT(ta_batch_add(b, &ws, T0 + 3000000000ull, wsd), 0); /* 3 s */
	CHECK_EQ_INT(ta_batch_entries(b), 3);
}

static void test_round_trip(void)
{
	struct ta_batch_builder b;
	struct ta_batch_iter it;
	struct ta_batch_item e;
	char name[TA_TTY_NAME_LEN + 1];
	const void *p;
	size_t len = 0;

	build(&b);
	p = ta_batch_payload(&b, &len);
	CHECK(p != NULL);
	CHECK_EQ_INT(ta_batch_iter_init(&it, p, len), 0);
	CHECK_EQ_INT(it.hdr.ses, 9);
	CHECK_EQ_INT(it.hdr.auid, 1001);
	CHECK_EQ_INT(it.hdr.version, TA_TTY_BATCH_VERSION);
	ta_batch_tty_name(&it, name);
	CHECK_EQ_STR(name, "pts/7");

	CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
	CHECK_EQ_INT(e.kind, TA_ENTRY_OUTPUT);
	CHECK_EQ_INT(e.time_ns, T0 + 1000); /* microsecond resolution */
	CHECK_EQ_INT(e.len, 2);
	CHECK_MEM(e.data, "hi", 2);
	CHECK_EQ_INT(e.entry.pid, 42);
	CHECK_EQ_STR(e.entry.comm, "bash");
	CHECK_EQ_INT(e.entry.oflag, TA_OF_KNOWN);
	CHECK_EQ_INT(e.rows, 0);

	CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
	CHECK_EQ_INT(e.kind, TA_ENTRY_INPUT);
	CHECK_EQ_INT(e.time_ns, T0 + 2000000);
	CHECK_EQ_INT(e.len, 0);
	CHECK_EQ_INT(e.entry.orig_len, 5);
	CHECK_EQ_INT(e.entry.flags, TA_F_REDACTED);

	CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
	CHECK_EQ_INT(e.kind, TA_ENTRY_WINSIZE);
	CHECK_EQ_INT(e.time_ns, T0 + 3000000000ull);
	CHECK_EQ_INT(e.rows, 24);
	CHECK_EQ_INT(e.cols, 80);
	CHECK_EQ_INT(e.xpixel, 640);
	CHECK_EQ_INT(e.ypixel, 480);

	CHECK_EQ_INT(ta_batch_next(&it, &e), 0);
	ta_batch_free(&b);
}

/* An entry more than 2^32 us after the batch start does not fit: the sink starts a new batch. */
static void test_delta_range(void)
{
	struct ta_batch_builder b;
	struct ta_tty_entry out = { .kind = TA_ENTRY_OUTPUT, .len = 1, .orig_len = 1 };

	ta_batch_init(&b);
	ta_batch_begin(&b, &tty, 1, 1, T0);
	CHECK_EQ_INT(ta_batch_add(&b, &out, T0 + (UINT32_MAX + 1ull) * 1000, "a"), -ERANGE);
	CHECK_EQ_INT(ta_batch_entries(&b), 0);
	size_t len;
	CHECK(ta_batch_payload(&b, &len) == NULL); /* empty: nothing to write */
	ta_batch_free(&b);
}

/* Version 1 entries lack oflag and reserved: still read, oflag unknown. */
static void test_version1(void)
{
	struct ta_tty_batch h = { .version = 1, .n_entries = 1, .start_ns = T0, .tty = tty };
	struct ta_tty_entry e1 = { .kind = TA_ENTRY_OUTPUT, .delta_us = 7, .len = 3, .orig_len = 3,
				   .comm = "sh" };
	uint8_t buf[sizeof(h) + TA_TTY_ENTRY_V1_SIZE + 3];
	struct ta_batch_iter it;
	struct ta_batch_item e;

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &e1, TA_TTY_ENTRY_V1_SIZE);
	memcpy(buf + sizeof(h) + TA_TTY_ENTRY_V1_SIZE, "abc", 3);
	CHECK_EQ_INT(ta_batch_iter_init(&it, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
	CHECK_EQ_INT(e.time_ns, T0 + 7000);
	CHECK_MEM(e.data, "abc", 3);
	CHECK_EQ_INT(e.entry.oflag, TA_OF_UNKNOWN);
	CHECK_EQ_INT(ta_batch_next(&it, &e), 0);
}

/* A start and a delta whose sum wraps (a hostile log's batch) are damage, not 1970. */
static void test_time_wrap(void)
{
	struct ta_tty_batch h = { .version = 1, .n_entries = 2, .start_ns = UINT64_MAX - 1000000000ull,
				  .tty = tty };
	struct ta_tty_entry e1 = { .kind = TA_ENTRY_OUTPUT, .delta_us = 1000000, .len = 1,
				   .orig_len = 1 };
	struct ta_tty_entry e2 = e1;
	uint8_t buf[sizeof(h) + 2 * (TA_TTY_ENTRY_V1_SIZE + 1)];
	struct ta_batch_iter it;
	struct ta_batch_item e;

	e2.delta_us = 4000000000u;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &e1, TA_TTY_ENTRY_V1_SIZE);
	buf[sizeof(h) + TA_TTY_ENTRY_V1_SIZE] = 'a';
	memcpy(buf + sizeof(h) + TA_TTY_ENTRY_V1_SIZE + 1, &e2, TA_TTY_ENTRY_V1_SIZE);
	buf[sizeof(buf) - 1] = 'b';
	CHECK_EQ_INT(ta_batch_iter_init(&it, buf, sizeof(buf)), 0);
	CHECK_EQ_INT(ta_batch_next(&it, &e), 1);
	CHECK(e.time_ns == UINT64_MAX);
	CHECK_EQ_INT(ta_batch_next(&it, &e), -EBADMSG);
}

/* Runs the iterator to its end: the first non-1 answer. */
static int drain(const uint8_t *p, size_t len)
{
	struct ta_batch_iter it;
	struct ta_batch_item e;
	int n;

	if ((n = ta_batch_iter_init(&it, p, len)))
		return n;
	while ((n = ta_batch_next(&it, &e)) == 1)
		CHECK(e.data >= p && e.data + e.len <= p + len);
	return n;
}

static void test_malformed(void)
{
	struct ta_batch_builder b;
	const uint8_t *p;
	uint8_t *m;
	size_t len = 0;
	size_t hdr = sizeof(struct ta_tty_batch), ent = sizeof(struct ta_tty_entry);

	build(&b);
	p = ta_batch_payload(&b, &len);
	m = malloc(len);
	CHECK(m != NULL);
	if (!m)
		return;

	CHECK_EQ_INT(drain(p, len), 0);
	CHECK_EQ_INT(drain(p, hdr - 1), -EBADMSG);          /* shorter than the header */
	CHECK_EQ_INT(drain(NULL, 0), -EBADMSG);
	for (size_t cut = hdr; cut < len; cut++)             /* every truncation */
		CHECK_EQ_INT(drain(p, cut), -EBADMSG);

	memcpy(m, p, len);
	m[0] = 3;                                            /* unknown version */
	CHECK_EQ_INT(drain(m, len), -EBADMSG);

	memcpy(m, p, len);
	m[4] = 200;                                          /* more entries than fit */
	CHECK_EQ_INT(drain(m, len), -EBADMSG);

	memcpy(m, p, len);
	m[4] = 2;                                            /* fewer entries than there are */
	CHECK_EQ_INT(drain(m, len), -EBADMSG);

	memcpy(m, p, len);
	m[hdr] = 9;                                          /* unknown kind */
	CHECK_EQ_INT(drain(m, len), -EBADMSG);

	memcpy(m, p, len);
	m[hdr + 8] = 200;                                    /* data longer than what is left */
	CHECK_EQ_INT(drain(m, len), -EBADMSG);

	memcpy(m, p, len);
	{
		struct ta_tty_entry e;
		memcpy(&e, m + hdr, ent);
		e.orig_len = 1;                                  /* fewer moved than stored */
		memcpy(m + hdr, &e, ent);
	}
	CHECK_EQ_INT(drain(m, len), -EBADMSG);

	/* A window size whose data is not 8 bytes: built by hand, one entry of 4. */
	{
		struct ta_tty_batch h = { .version = TA_TTY_BATCH_VERSION, .n_entries = 1 };
		struct ta_tty_entry e = { .kind = TA_ENTRY_WINSIZE, .len = 4, .orig_len = 4 };
		uint8_t w[sizeof(h) + sizeof(e) + 4] = { 0 };
		memcpy(w, &h, sizeof(h));
		memcpy(w + sizeof(h), &e, sizeof(e));
		CHECK_EQ_INT(drain(w, sizeof(w)), -EBADMSG);
	}
	free(m);
	ta_batch_free(&b);
}

/* The fixed output-mode bits and their names. */
static void test_oflag(void)
{
	CHECK_EQ_STR(ta_oflag_name(0), "opost");
	CHECK_EQ_STR(ta_oflag_name(2), "onlcr");
	CHECK(ta_oflag_name(7) == NULL);
	uint32_t f = ta_oflag_from_termios(0);
	CHECK_EQ_INT(f, TA_OF_KNOWN);
}

int main(void)
{
	test_round_trip();
	test_delta_range();
	test_version1();
	test_time_wrap();
	test_malformed();
	test_oflag();
	return check_result();
}

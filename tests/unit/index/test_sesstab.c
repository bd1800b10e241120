// SPDX-License-Identifier: GPL-2.0-or-later
/* Session table and index file: summaries, refs, the auid view, checks on a bad file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "index/index.h"
#include "index/sesstab.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/log_records.h"

static void add_batch(struct ta_sesstab *t, uint64_t index, uint32_t ses, uint32_t auid, uint64_t when)
{
	struct ta_batch_builder b;
	struct ta_tty_id id = { .major = 136, .minor = ses, .name = "pts9" };
	struct ta_tty_entry e = { .kind = TA_ENTRY_OUTPUT, .len = 4, .orig_len = 4, .uid = auid };
	size_t len;

	ta_batch_init(&b);
	ta_batch_begin(&b, &id, ses, auid, when);
	ta_batch_add(&b, &e, when, "data");
	e.kind = TA_ENTRY_INPUT;
	e.len = 2;
	ta_batch_add(&b, &e, when + 5000, "ab");
	const void *p = ta_batch_payload(&b, &len);
	struct ta_log_record rec = { .index = index, .type = TA_REC_TTY_DATA, .time_ns = when,
				     .session = ta_session_key(0xabcd, ses), .payload = p, .len = len,
				     .segment_seq = 0, .offset = 64 + index * 100, .stored_len = 100 };
	CHECK_EQ_INT(ta_sesstab_add(t, &rec), 0);
	ta_batch_free(&b);
}

int main(void)
{
	struct ta_sesstab t;
	char path[] = "/tmp/ta-idx-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ_INT(ta_sesstab_init(&t, 1), 0);
	/* 1000 sessions of 3 users, interleaved; session s starts at time 1e9 * (1000 - s). */
	for (uint64_t i = 0; i < 3000; i++) {
		uint32_t ses = (uint32_t)(i % 1000);
		add_batch(&t, i, ses, 100 + ses % 3, 1000000000ull * (1000 - ses) + i);
	}
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	CHECK_EQ_INT(t.n, 1000);
	/* Sorted by start: the last session number starts first. */
	CHECK_EQ_INT(t.s[0].ses, 999);
	long o = ta_sesstab_find(&t, ta_session_key(0xabcd, 5));
	CHECK(o >= 0);
	CHECK_EQ_INT(t.s[o].refs_n, 3);
	CHECK_EQ_INT(t.s[o].bytes_out, 12);
	CHECK_EQ_INT(t.s[o].bytes_in, 6);
	CHECK_EQ_INT(t.refs[t.s[o].refs_off].index, 5);
	CHECK_EQ_INT(t.refs[t.s[o].refs_off + 2].index, 2005);
	CHECK_EQ_STR(ta_sesstab_str(&t, t.s[o].ttys[0]), "pts9");

	CHECK_EQ_INT(ta_index_write(&t, path, NULL), 0);
	struct ta_index ix;
	CHECK_EQ_INT(ta_index_open(&ix, path), 0);
	CHECK_EQ_INT(ix.view.n, 1000);
	const uint32_t *first;
	size_t n = ta_index_by_auid(&ix, 101, &first);
	CHECK_EQ_INT(n, 333);
	for (size_t i = 0; i < n; i++)
		CHECK(ix.view.s[first[i]].auid == 101);
	CHECK_EQ_INT(ta_index_by_auid(&ix, 7, &first), 0);
	/* The first and last users too (the bisection's ends), in start order. */
	n = ta_index_by_auid(&ix, 100, &first);
	CHECK_EQ_INT(n, 334);
	for (size_t i = 1; i < n; i++)
		CHECK(first[i - 1] < first[i]);
	CHECK_EQ_INT(ta_index_by_auid(&ix, 102, &first), 333);
	CHECK_EQ_INT(ta_index_by_auid(&ix, 103, &first), 0);
	CHECK_EQ_INT(ta_index_by_auid(&ix, 99, &first), 0);
	/* Sessions read from the file equal the mapped ones; a bad ordinal is refused. */
	n = ta_index_by_auid(&ix, 101, &first);
	struct ta_sess rows[333];
	CHECK_EQ_INT(ta_index_read_sessions(&ix, first, n, rows), 0);
	int same = 1;
	for (size_t i = 0; i < n; i++)
		same &= !memcmp(&rows[i], &ix.view.s[first[i]], sizeof(rows[i]));
	CHECK(same);
	uint32_t bad_ord = 1000;
	CHECK_EQ_INT(ta_index_read_sessions(&ix, &bad_ord, 1, rows), -EBADMSG);
	struct ta_sesstab copy;
	CHECK_EQ_INT(ta_index_to_table(&ix, &copy), 0);
	add_batch(&copy, 3000, 5, 105, 5000000000000ull);
	CHECK_EQ_INT(ta_sesstab_finish(&copy), 0);
	o = ta_sesstab_find(&copy, ta_session_key(0xabcd, 5));
	CHECK(o >= 0);
	CHECK_EQ_INT(copy.s[o].refs_n, 4);
	CHECK_EQ_INT(copy.refs[copy.s[o].refs_off + 3].index, 3000);
	CHECK_EQ_STR(ta_sesstab_str(&copy, copy.s[o].ttys[0]), "pts9");
	CHECK_EQ_INT(copy.s[o].n_ttys, 1);
	ta_sesstab_free(&copy);
	ta_index_close(&ix);

	/* A damaged index is refused, never used. */
	FILE *f = fopen(path, "r+");
	fseek(f, 200, SEEK_SET);
	uint64_t big = UINT64_MAX;
	fwrite(&big, 8, 1, f);
	fseek(f, 40, SEEK_SET);
	fwrite(&big, 8, 1, f);
	fclose(f);
	CHECK(ta_index_open(&ix, path) != 0);
	truncate(path, 100);
	CHECK(ta_index_open(&ix, path) != 0);
	unlink(path);

	/* Session ids. */
	uint64_t key;
	int ses_only;
	char id[32];
	ta_sess_id(ta_session_key(0x5e1c0a42, 7), id, sizeof(id));
	CHECK_EQ_STR(id, "5e1c0a42-7");
	CHECK_EQ_INT(ta_sess_id_parse(id, &key, &ses_only), 0);
	CHECK(key == ta_session_key(0x5e1c0a42, 7) && !ses_only);
	CHECK_EQ_INT(ta_sess_id_parse("42", &key, &ses_only), 0);
	CHECK(key == 42 && ses_only);
	CHECK(ta_sess_id_parse("5e1c0a42-x", &key, &ses_only) != 0);
	CHECK(ta_sess_id_parse("alice", &key, &ses_only) != 0);
	/* the key as query --json prints it, and in 0x hex: every command takes both */
	CHECK_EQ_INT(ta_sess_id_parse("5e1c0a4200000007", &key, &ses_only), 0);
	CHECK(key == ta_session_key(0x5e1c0a42, 7) && !ses_only);
	CHECK_EQ_INT(ta_sess_id_parse("0x5e1c0a4200000007", &key, &ses_only), 0);
	CHECK(key == ta_session_key(0x5e1c0a42, 7) && !ses_only);
	CHECK_EQ_INT(ta_sess_id_parse("0x7", &key, &ses_only), 0);
	CHECK(key == 7 && !ses_only);
	CHECK(ta_sess_id_parse("0x", &key, &ses_only) != 0);
	CHECK(ta_sess_id_parse("0x7g", &key, &ses_only) != 0);
	ta_sesstab_free(&t);
	return check_result();
}

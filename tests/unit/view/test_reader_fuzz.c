// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mutation test of the CLI's record decoding: terminal batches and JSON
 * records with flipped bytes, wrong counts and truncations go through the
 * session table and the transcript (as show/query would); nothing crashes,
 * every event stays inside its payload's data.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "index/sesstab.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/log_records.h"
#include "view/neutralise.h"
#include "view/transcript.h"

/* An exec's filename and cwd are quoted where not plain: " pid 1 uid 0" in a path is no field. */
static void test_exec_fields_quoted(void)
{
	static const char js[] = "{\"type\":\"exec\",\"pid\":42,\"uid\":1000,\"tty\":\"pts1\","
				 "\"filename\":\"/tmp/a b\",\"cwd\":\"/tmp/x pid 1 uid 0\","
				 "\"argv\":[\"a b\"]}";
	uint64_t key = ta_session_key(1, 3);
	struct ta_log_record rec = { .index = 1, .time_ns = 1000000000ull, .session = key,
				     .type = TA_REC_EXEC, .payload = (const uint8_t *)js,
				     .len = sizeof(js) - 1 };
	struct ta_transcript tr;
	struct ta_buf d;

	CHECK_EQ_INT(ta_transcript_init(&tr, key), 0);
	ta_transcript_add_record(&tr, &rec);
	CHECK(tr.n == 1);
	ta_buf_init(&d);
	if (tr.n == 1)
		ta_tev_describe(&tr, &tr.ev[0], &d);
	ta_buf_putc(&d, '\0');
	CHECK(strstr((const char *)d.p, "['/tmp/a b' pid 42 uid 1000 cwd '/tmp/x pid 1 uid 0']") != NULL);
	ta_buf_free(&d);
	ta_transcript_free(&tr);
}

int main(void)
{
	struct ta_batch_builder b;

	test_exec_fields_quoted();
	struct ta_tty_id id = { .major = 136, .minor = 1, .name = "pts1" };
	struct ta_tty_entry e = { .kind = TA_ENTRY_OUTPUT, .len = 5, .orig_len = 5, .comm = "sh" };
	uint16_t ws[4] = { 24, 80, 0, 0 };

	ta_batch_init(&b);
	ta_batch_begin(&b, &id, 3, 1000, 1000000000ull);
	ta_batch_add(&b, &e, 1000000000ull, "hello");
	e.kind = TA_ENTRY_WINSIZE;
	e.len = 8;
	ta_batch_add(&b, &e, 1000001000ull, ws);
	e.kind = TA_ENTRY_INPUT;
	e.len = 3;
	ta_batch_add(&b, &e, 1000002000ull, "ls\n");
	size_t blen;
	const uint8_t *payload = ta_batch_payload(&b, &blen);
	static const char *jsons[] = {
		"{\"type\":\"exec\",\"auid\":1000,\"uid\":0,\"tty\":\"pts1\",\"filename\":\"/bin/ls\",\"argv\":[\"ls\",\"-l\"]}",
		"{\"type\":\"session_start\",\"ses\":3,\"auid\":1000,\"user\":\"bob\",\"host\":\"h\",\"start_time\":\"2026-01-01T00:00:00Z\"}",
		"{\"type\":\"gap\",\"ses\":3,\"events\":1,\"bytes\":2,\"reason\":\"ring_full\"}",
	};
	static const uint16_t jtypes[] = { TA_REC_EXEC, TA_REC_SESSION_START, TA_REC_LOSS };

	uint8_t *buf = malloc(blen + 4096);
	srand(1234);
	uint64_t key = ta_session_key(1, 3);
	long events = 0;
	for (int round = 0; round < 20000; round++) {
		struct ta_sesstab t;
		struct ta_transcript tr;
		ta_transcript_init(&tr, key);
		ta_sesstab_init(&t, 1);
		for (int r = 0; r < 4; r++) {
			struct ta_log_record rec = { .index = (uint64_t)r, .time_ns = 1000000000ull + (uint64_t)r,
						     .session = key };
			size_t n;
			if (r == 0) {
				rec.type = TA_REC_TTY_DATA;
				memcpy(buf, payload, blen);
				n = blen;
			} else {
				rec.type = jtypes[r - 1];
				n = strlen(jsons[r - 1]);
				memcpy(buf, jsons[r - 1], n);
			}
			int muts = rand() % 4;
			for (int m = 0; m < muts && n; m++) {
				size_t pos = (size_t)rand() % n;
				switch (rand() % 4) {
				case 0: buf[pos] = (uint8_t)rand(); break;
				case 1: n = pos; break;
				case 2: if (pos + 4 <= n) { uint32_t big = (uint32_t)rand() | 0x80000000u; memcpy(buf + pos, &big, 4); } break;
				case 3: buf[pos] ^= 0x80; break;
				}
			}
			/* The payload lives in its own allocation so overreads are caught by ASan. */
			uint8_t *p = malloc(n ? n : 1);
			memcpy(p, buf, n);
			rec.payload = p;
			rec.len = n;
			ta_sesstab_add(&t, &rec);
			ta_transcript_add_record(&tr, &rec);
			for (size_t i = 0; i < tr.n; i++) {
				if (tr.ev[i].data + tr.ev[i].len > tr.arena.len) {
					CHECK(0);
					break;
				}
				struct ta_buf d;
				ta_buf_init(&d);
				ta_tev_describe(&tr, &tr.ev[i], &d);
				ta_neutralise(d.p, d.len, TA_NEUT_LINE, &d);
				ta_buf_free(&d);
			}
			events += (long)tr.n;
			free(p);
		}
		ta_sesstab_finish(&t);
		CHECK(t.n <= 1);
		ta_sesstab_free(&t);
		ta_transcript_free(&tr);
	}
	CHECK(events > 0);
	free(buf);
	ta_batch_free(&b);
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Session table and index file: summaries, refs, the auid view, checks on a bad file. */
#include <errno.h>
#include <stdio.h>
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

static void add_loss(struct ta_sesstab *t, uint64_t index, uint32_t ses, const char *json)
{
	struct ta_log_record rec = { .index = index, .type = TA_REC_LOSS, .time_ns = 1000 + index,
				     .session = ta_session_key(0xabcd, ses), .payload = (const uint8_t *)json,
				     .len = strlen(json), .offset = 64 + index * 100, .stored_len = 100 };
	CHECK_EQ_INT(ta_sesstab_add(t, &rec), 0);
}

static void add_json(struct ta_sesstab *t, uint64_t index, uint16_t type, uint32_t ses, const char *json)
{
	struct ta_log_record rec = { .index = index, .type = type, .time_ns = 1767268800000000000ull + index,
				     .session = ta_session_key(0xabcd, ses), .payload = (const uint8_t *)json,
				     .len = strlen(json), .offset = 64 + index * 100, .stored_len = 100 };
	CHECK_EQ_INT(ta_sesstab_add(t, &rec), 0);
}

/* An empty file at the mkstemp template path, for an index to be written there. */
static void make_tmp(char *path)
{
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

/*
 * What a session's gaps say was lost: its own loss records and those naming
 * no session inside it, kept by the index and counted once after its tail.
 */
static void test_lost(void)
{
	struct ta_sesstab t, copy;
	struct ta_index ix;
	char path[] = "/tmp/ta-idx-lost-XXXXXX";

	make_tmp(path);
	CHECK_EQ_INT(ta_sesstab_init(&t, 1), 0);
	add_batch(&t, 0, 1, 100, 1000);
	add_loss(&t, 1, 1, "{\"type\":\"gap\",\"reason\":\"ring_full\",\"events\":3,\"bytes\":100}");
	add_loss(&t, 2, UINT32_MAX, "{\"type\":\"gap\",\"reason\":\"unclean_stop\",\"ses\":null,"
				       "\"events\":2,\"bytes\":40}");
	add_loss(&t, 3, 1, "{\"type\":\"gap\",\"reason\":\"sink_error\"}"); /* says nothing: 0 */
	add_batch(&t, 4, 1, 100, 1005);
	/* After the session's last record: not its loss. */
	add_loss(&t, 5, UINT32_MAX, "{\"type\":\"gap\",\"reason\":\"unclean_stop\",\"events\":7,"
				       "\"bytes\":700}");
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	long o = ta_sesstab_find(&t, ta_session_key(0xabcd, 1));
	CHECK(o >= 0);
	if (o < 0)
		return;
	CHECK_EQ_INT(t.s[o].gaps + t.s[o].global_gaps, 3);
	CHECK_EQ_INT(ta_sess_lost_events(&t.s[o]), 5);
	CHECK_EQ_INT(ta_sess_lost_bytes(&t.s[o]), 140);
	CHECK_EQ_INT(ta_index_write(&t, path, NULL), 0);
	CHECK_EQ_INT(ta_index_open(&ix, path), 0);
	CHECK_EQ_INT(ta_sess_lost_bytes(&ix.view.s[o]), 140);
	/* The log's tail read after the index: recounted, not added twice. */
	CHECK_EQ_INT(ta_index_to_table(&ix, &copy), 0);
	add_batch(&copy, 6, 1, 100, 1010);
	CHECK_EQ_INT(ta_sesstab_finish(&copy), 0);
	o = ta_sesstab_find(&copy, ta_session_key(0xabcd, 1));
	CHECK(o >= 0 && ta_sess_lost_events(&copy.s[o]) == 5 + 7 &&
	      ta_sess_lost_bytes(&copy.s[o]) == 140 + 700);
	ta_sesstab_free(&copy);
	ta_index_close(&ix);
	ta_sesstab_free(&t);
	unlink(path);
}

/* Rewrites the first session of the index file at path with f applied. */
static void damage_first_session(const char *path, void (*f)(struct ta_sess *))
{
	struct ta_sess s;
	FILE *fp = fopen(path, "r+");

	CHECK(fp != NULL);
	if (!fp)
		return;
	CHECK(fseek(fp, sizeof(struct ta_index_hdr), SEEK_SET) == 0 && fread(&s, sizeof(s), 1, fp) == 1);
	f(&s);
	CHECK(fseek(fp, sizeof(struct ta_index_hdr), SEEK_SET) == 0 && fwrite(&s, sizeof(s), 1, fp) == 1);
	fclose(fp);
}

/* Six refs in all: the run ends one past the last. */
static void refs_past_end(struct ta_sess *s) { s->refs_off = 6 - s->refs_n + 1; }
static void refs_short(struct ta_sess *s) { s->refs_n--; }
static void too_many_ttys(struct ta_sess *s) { s->n_ttys = TA_SESS_TTYS + 1000; }

/*
 * A damaged index (a log directory is others' to write) whose sessions claim
 * refs past the table, leave refs to no session, or more terminals than a
 * session holds: refused by ta_index_to_table (the caller reads the whole log
 * instead), never copied (it wrote past ref_sess: found by fuzz_sesstab).
 */
static void test_index_bad_sessions(void)
{
	void (*damage[])(struct ta_sess *) = { refs_past_end, refs_short, too_many_ttys };

	for (size_t d = 0; d < sizeof(damage) / sizeof(damage[0]); d++) {
		struct ta_sesstab t, copy;
		struct ta_index ix;
		char path[] = "/tmp/ta-idx-bad-XXXXXX";

		make_tmp(path);
		CHECK_EQ_INT(ta_sesstab_init(&t, 1), 0);
		for (uint64_t i = 0; i < 6; i++)
			add_batch(&t, i, (uint32_t)(i % 2), 100, 1000 + i);
		CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
		CHECK_EQ_INT(ta_index_write(&t, path, NULL), 0);
		ta_sesstab_free(&t);
		damage_first_session(path, damage[d]);
		CHECK_EQ_INT(ta_index_open(&ix, path), 0);
		CHECK_EQ_INT(ta_index_to_table(&ix, &copy), -EBADMSG);
		ta_index_close(&ix);
		unlink(path);
	}
}

/*
 * Global gaps and damage counted per session by sorted bounds agree with
 * every gap checked against every session (what finish did before: G x S).
 */
static void test_gaps_by_range(void)
{
	struct ta_sesstab t;
	uint64_t x = 12345;
	char json[160];

	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	for (uint64_t i = 0; i < 4000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(x >> 33);
		if (r % 7 == 0) {
			snprintf(json, sizeof(json), "{\"type\":\"gap\",\"reason\":\"unclean_stop\","
				 "\"events\":%u,\"bytes\":%u}", r % 13, r % 1000);
			add_loss(&t, i, UINT32_MAX, json);
		} else if (r % 53 == 1) {
			/* Damage: a range of unread records, some ending before they start. */
			uint64_t resume = r % 3 ? i + r % 300 : (i > 5 ? i - 5 : 0);
			CHECK_EQ_INT(ta_sesstab_damage(&t, i, resume, 1000 + i), 0);
		} else {
			/* Sessions of many lengths: 200 keys, some short-lived. */
			uint32_t ses = r % 11 ? r % 200 : 200 + (uint32_t)i;
			add_batch(&t, i, ses, 100, 1000000 + i);
		}
	}
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	size_t bad = 0, with_gaps = 0, with_damage = 0;
	for (size_t j = 0; j < t.n; j++) {
		const struct ta_sess *s = &t.s[j];
		uint64_t gaps = 0, ev = 0, by = 0, damage = 0;
		for (size_t g = 0; g < t.ngaps; g++) {
			const struct ta_global_gap *gp = &t.gaps[g];
			uint64_t end = gp->end_index < gp->index ? gp->index : gp->end_index;
			if (gp->kind == 5) {
				damage += s->first_index <= end && s->last_index + 1 >= gp->index;
			} else if (gp->index > s->first_index && gp->index < s->last_index) {
				gaps++;
				ev += gp->events;
				by += gp->bytes;
			}
		}
		with_gaps += gaps > 0;
		with_damage += damage > 0;
		bad += s->global_gaps != gaps || s->global_lost_events != ev ||
		       s->global_lost_bytes != by || s->damage != damage ||
		       !(s->flags & TA_SESS_DAMAGE) != !damage;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(with_gaps > 100 && with_damage > 20);
	ta_sesstab_free(&t);
}

/* Whether the pool string at off is the n bytes at want, whole. */
static int pool_is(const struct ta_sesstab *t, uint32_t off, const char *want, size_t n)
{
	size_t have;
	const char *p = ta_sesstab_strn(t, off, &have);

	return have == n && !memcmp(p, want, n) && p[n] == '\0';
}

/*
 * A forged log's values holding an escaped NUL ("root\u0000evil", which jq
 * shows whole): the table, its index file and a copy of it keep them whole,
 * as other strings than their prefixes; a time holding one is no time.
 */
static void test_nul_values(void)
{
	struct ta_sesstab t, copy;
	struct ta_index ix;
	char path[] = "/tmp/ta-idx-nul-XXXXXX";
	static const char evil[] = "root\0evil";

	make_tmp(path);
	CHECK_EQ_INT(ta_sesstab_init(&t, 1), 0);
	add_json(&t, 0, TA_REC_SESSION_START, 1,
		 "{\"type\":\"session_start\",\"auid\":4242,\"user\":\"root\\u0000evil\","
		 "\"host\":\"good.example\\u0000evil.example\",\"start_time\":\"2025-06-01T00:00:00Z\\u0000\"}");
	add_json(&t, 1, TA_REC_SESSION_START, 2, "{\"type\":\"session_start\",\"auid\":0,\"user\":\"root\"}");
	add_json(&t, 2, TA_REC_EXEC, 1, "{\"type\":\"exec\",\"tty\":\"pts3\\u0000x\"}");
	add_json(&t, 3, TA_REC_EXEC, 1, "{\"type\":\"exec\",\"tty\":\"pts3\"}");
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	long e = ta_sesstab_find(&t, ta_session_key(0xabcd, 1)), r = ta_sesstab_find(&t, ta_session_key(0xabcd, 2));
	CHECK(e >= 0 && r >= 0);
	if (e < 0 || r < 0) {
		ta_sesstab_free(&t);
		unlink(path); /* made above: no file left behind on this failure either */
		return;
	}
	CHECK(pool_is(&t, t.s[e].user, evil, sizeof(evil) - 1));
	CHECK(ta_sesstab_cstr(&t, t.s[e].user) == NULL);
	CHECK(pool_is(&t, t.s[r].user, "root", 4));
	CHECK_EQ_STR(ta_sesstab_cstr(&t, t.s[r].user), "root");
	CHECK(pool_is(&t, t.s[e].host, "good.example\0evil.example", 25));
	/* Two terminals, not one named twice. */
	CHECK_EQ_INT(t.s[e].n_ttys, 2);
	CHECK(pool_is(&t, t.s[e].ttys[0], "pts3\0x", 6) && pool_is(&t, t.s[e].ttys[1], "pts3", 4));
	/* "2025-06-01T00:00:00Z" cut at the NUL is half a year before the record: not read. */
	CHECK(t.s[e].login_ns == 1767268800000000000ull);
	/* An offset that names no entry (a damaged index) gives "", never bytes around it. */
	size_t n = 99;
	CHECK_EQ_STR(ta_sesstab_strn(&t, 3, &n), "");
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_STR(ta_sesstab_strn(&t, t.s[e].user + 1, &n), "");
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_STR(ta_sesstab_strn(&t, (uint32_t)t.pool_len + 4, &n), "");

	CHECK_EQ_INT(ta_index_write(&t, path, NULL), 0);
	CHECK_EQ_INT(ta_index_open(&ix, path), 0);
	CHECK(pool_is(&ix.view, ix.view.s[e].user, evil, sizeof(evil) - 1));
	CHECK_EQ_INT(ta_index_to_table(&ix, &copy), 0);
	CHECK(pool_is(&copy, copy.s[e].user, evil, sizeof(evil) - 1));
	CHECK(pool_is(&copy, copy.s[r].user, "root", 4));
	/* The copy's pool is looked up again: the same strings are the same entries. */
	CHECK_EQ_INT(ta_sesstab_intern(&copy, evil, sizeof(evil) - 1), copy.s[e].user);
	CHECK_EQ_INT(ta_sesstab_intern(&copy, "root", 4), copy.s[r].user);
	ta_sesstab_free(&copy);
	ta_index_close(&ix);

	/* A pool entry whose length runs past the pool: the copy is refused. */
	FILE *f = fopen(path, "r+");
	struct ta_index_hdr h;
	uint32_t huge = 1u << 30;
	CHECK(f && fread(&h, sizeof(h), 1, f) == 1);
	if (f) {
		CHECK(fseek(f, (long)(h.off_pool + t.s[e].user - 4), SEEK_SET) == 0 &&
		      fwrite(&huge, sizeof(huge), 1, f) == 1);
		fclose(f);
	}
	CHECK_EQ_INT(ta_index_open(&ix, path), 0);
	CHECK(ta_sesstab_strn(&ix.view, ix.view.s[e].user, &n)[0] == '\0' && n == 0);
	CHECK_EQ_INT(ta_index_to_table(&ix, &copy), -EBADMSG);
	ta_index_close(&ix);
	ta_sesstab_free(&t);
	unlink(path);
}

/*
 * Values longer than any honest one (a host signs what it likes): kept whole,
 * not cut to a buffer (a 3 000-byte login name was its first 255 bytes, and
 * --user of the recorded name found nothing).
 */
static void test_long_values(void)
{
	struct ta_sesstab t;
	size_t n_user = 3000, n_host = 1200, n_tty = 300, n_srv = 2000;
	char *user = malloc(n_user + 1), *host = malloc(n_host + 1), *tty = malloc(n_tty + 1),
	     *srv = malloc(n_srv + 1), *json = malloc(8192);

	CHECK(user && host && tty && srv && json);
	if (!user || !host || !tty || !srv || !json)
		goto out;
	for (size_t i = 0; i < n_user; i++)
		user[i] = (char)('a' + i * 7 % 26);
	user[n_user] = '\0';
	memset(host, 'h', n_host);
	host[n_host] = '\0';
	memset(tty, 't', n_tty);
	tty[n_tty] = '\0';
	memset(srv, 's', n_srv);
	srv[n_srv] = '\0';
	CHECK_EQ_INT(ta_sesstab_init(&t, 1), 0);
	/* The host's last two bytes written as an escape: the decoded value is what counts. */
	snprintf(json, 8192, "{\"type\":\"session_start\",\"auid\":4242,\"user\":\"%s\","
		 "\"host\":\"%.*s\\u00e9\"}", user, (int)n_host - 2, host);
	add_json(&t, 0, TA_REC_SESSION_START, 1, json);
	snprintf(json, 8192, "{\"type\":\"exec\",\"tty\":\"%s\"}", tty);
	add_json(&t, 1, TA_REC_EXEC, 1, json);
	snprintf(json, 8192, "{\"type\":\"attach\",\"server\":\"%s\"}", srv);
	add_json(&t, 2, TA_REC_ATTACH, 1, json);
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	long e = ta_sesstab_find(&t, ta_session_key(0xabcd, 1));
	CHECK(e >= 0);
	if (e >= 0) {
		memcpy(host + n_host - 2, "\xc3\xa9", 2);
		CHECK(pool_is(&t, t.s[e].user, user, n_user));
		CHECK(ta_sesstab_cstr(&t, t.s[e].user) && !strcmp(ta_sesstab_cstr(&t, t.s[e].user), user));
		CHECK(pool_is(&t, t.s[e].host, host, n_host));
		CHECK_EQ_INT(t.s[e].n_ttys, 1);
		CHECK(t.s[e].n_ttys == 1 && pool_is(&t, t.s[e].ttys[0], tty, n_tty));
	}
	CHECK_EQ_INT(t.nclients, 1);
	CHECK(t.nclients == 1 && pool_is(&t, t.clients[0].server, srv, n_srv));
	ta_sesstab_free(&t);
out:
	free(user);
	free(host);
	free(tty);
	free(srv);
	free(json);
}

int main(void)
{
	test_long_values();
	test_nul_values();
	test_lost();
	test_gaps_by_range();
	test_index_bad_sessions();
	struct ta_sesstab t;
	char path[] = "/tmp/ta-idx-XXXXXX";

	make_tmp(path);
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
	CHECK_EQ_STR(ta_sesstab_cstr(&t, t.s[o].ttys[0]), "pts9");

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
	CHECK_EQ_STR(ta_sesstab_cstr(&copy, copy.s[o].ttys[0]), "pts9");
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

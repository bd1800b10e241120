// SPDX-License-Identifier: GPL-2.0-or-later
/* The facts a session table gives the fleet's session index, and the log-wide records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/utf8.h"
#include "index/sessfacts.h"
#include "logfmt/tty_batch.h"
#include "ttyaudit/log_records.h"

#define BOOT 0xabcdu

static void add_json(struct ta_sesstab *t, uint64_t index, uint16_t type, uint32_t ses, uint64_t when,
		     const char *json)
{
	struct ta_log_record rec = { .index = index, .type = type, .time_ns = when,
				     .session = ta_session_key(BOOT, ses), .payload = (const uint8_t *)json,
				     .len = strlen(json), .offset = 64 + index * 100, .stored_len = 100 };
	CHECK_EQ_INT(ta_sesstab_add(t, &rec), 0);
}

static void add_batch(struct ta_sesstab *t, uint64_t index, uint32_t ses, uint32_t auid, uint64_t when)
{
	struct ta_batch_builder b;
	struct ta_tty_id id = { .major = 136, .minor = 9, .name = "pts9" };
	struct ta_tty_entry e = { .kind = TA_ENTRY_OUTPUT, .len = 4, .orig_len = 4, .uid = auid };
	size_t len;

	ta_batch_init(&b);
	ta_batch_begin(&b, &id, ses, auid, when);
	ta_batch_add(&b, &e, when, "data");
	/* An entry later than the record's time: the session's end is that entry's. */
	ta_batch_add(&b, &e, when + 7000, "more");
	const void *p = ta_batch_payload(&b, &len);
	struct ta_log_record rec = { .index = index, .type = TA_REC_TTY_DATA, .time_ns = when,
				     .session = ta_session_key(BOOT, ses), .payload = p, .len = len,
				     .offset = 64 + index * 100, .stored_len = 100 };
	CHECK_EQ_INT(ta_sesstab_add(t, &rec), 0);
	ta_batch_free(&b);
}

struct got {
	char lines[64][128];
	int n;
};

static int collect(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num, const char *text)
{
	struct got *g = ctx;
	if (g->n == 64)
		return -1;
	snprintf(g->lines[g->n++], 128, "%u %d %llu %s", (unsigned)(uint32_t)key, (int)kind,
		 (unsigned long long)num, text ? text : "-");
	return 0;
}

static int has(const struct got *g, const char *line)
{
	for (int i = 0; i < g->n; i++)
		if (!strcmp(g->lines[i], line))
			return 1;
	return 0;
}

static void test_facts(void)
{
	struct ta_sesstab t;
	struct got g = { .n = 0 };

	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	/* Session 7: a login of alice from 10.0.0.5 that began before its first record. */
	add_json(&t, 0, TA_REC_SESSION_START, 7, 5000000,
		 "{\"auid\":1007,\"user\":\"alice\",\"host\":\"ws1\",\"addr\":\"10.0.0.5\","
		 "\"terminal\":\"/dev/pts/3\",\"start_time\":\"1970-01-01T00:00:00.004000000Z\"}");
	add_batch(&t, 1, 7, 1007, 6000000);
	/* Session 8 (bob, no login record) whose pane alice typed into. */
	add_batch(&t, 2, 8, 1008, 6500000);
	add_json(&t, 3, TA_REC_ATTRIBUTION, 7, 6600000,
		 "{\"pane_owner_ses\":8,\"pane_owner_auid\":1008,\"auid\":1007,\"confidence\":\"exact\"}");
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	CHECK_EQ_INT(ta_sessfacts_emit(&t, collect, &g), 0);
	CHECK(has(&g, "7 1 1007 -"));
	CHECK(has(&g, "7 2 0 alice"));
	CHECK(has(&g, "7 3 0 ws1"));
	CHECK(has(&g, "7 3 0 10.0.0.5"));
	CHECK(has(&g, "7 4 0 /dev/pts/3"));
	CHECK(has(&g, "7 4 0 pts9"));
	/* The login's start_time (4 ms), not the first record (5 ms). */
	CHECK(has(&g, "7 6 4000 -"));
	/* Its end: the attribution record (6.6 ms), later than its batch's last entry. */
	CHECK(has(&g, "7 7 6600 -"));
	CHECK(has(&g, "8 1 1008 -"));
	CHECK(has(&g, "8 6 6500 -"));
	CHECK(has(&g, "8 7 6507 -"));
	/* Both ends of the shared pane. */
	char want[64];
	snprintf(want, sizeof(want), "8 5 %llu -", (unsigned long long)ta_session_key(BOOT, 7));
	CHECK(has(&g, want));
	snprintf(want, sizeof(want), "7 5 %llu -", (unsigned long long)ta_session_key(BOOT, 8));
	CHECK(has(&g, want));
	CHECK(!has(&g, "8 2 0 alice"));
	ta_sesstab_free(&t);
}

static void test_global(void)
{
	struct ta_log_record r = { .type = TA_REC_LOSS, .session = ta_session_key(BOOT, UINT32_MAX) };
	CHECK(ta_sesstab_rec_global(&r));
	r.session = ta_session_key(BOOT, 7);
	CHECK(!ta_sesstab_rec_global(&r));
	r.type = TA_REC_GAP;
	CHECK(ta_sesstab_rec_global(&r));
	r.type = TA_REC_AGENT_START;
	CHECK(ta_sesstab_rec_global(&r));
	r.type = TA_REC_EXEC;
	CHECK(!ta_sesstab_rec_global(&r));
}

/* A callback's error stops the walk and is returned. */
static int fail(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num, const char *text)
{
	(void)key; (void)kind; (void)num; (void)text;
	++*(int *)ctx;
	return -12;
}

static void test_stop(void)
{
	struct ta_sesstab t;
	int calls = 0;
	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	add_batch(&t, 0, 7, 1007, 6000000);
	add_batch(&t, 1, 9, 1009, 6000000);
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	CHECK_EQ_INT(ta_sessfacts_emit(&t, fail, &calls), -12);
	CHECK_EQ_INT(calls, 1);
	ta_sesstab_free(&t);
}

/*
 * Texts that are not UTF-8 (a host records what bytes it likes): never a
 * text fact, which a UTF8 database refuses (the collector's whole batch with
 * it, again at each redelivery); the key is marked not decoded instead.
 */
static void test_not_utf8(void)
{
	struct ta_sesstab t;
	struct got g = { .n = 0 };
	CHECK(ta_utf8_valid("alice \xc3\xa9", 8) && ta_utf8_valid("", 0));
	CHECK(!ta_utf8_valid("\xff", 1) && !ta_utf8_valid("a\xc3", 2) && !ta_utf8_valid("\xed\xa0\x80", 3));
	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	add_json(&t, 0, TA_REC_SESSION_START, 7, 5000000,
		 "{\"auid\":1007,\"user\":\"mal\xfflory\",\"host\":\"ws\xc3\",\"addr\":\"10.0.0.5\"}");
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	CHECK_EQ_INT(ta_sessfacts_emit(&t, collect, &g), 0);
	CHECK(has(&g, "7 1 1007 -") && has(&g, "7 3 0 10.0.0.5"));
	CHECK(has(&g, "7 9 0 -"));
	for (int i = 0; i < g.n; i++)
		CHECK(ta_utf8_valid(g.lines[i], strlen(g.lines[i])));
	ta_sesstab_free(&t);
}

/*
 * A text holding a NUL (a forged "root\u0000evil"): neither "root" (a C string
 * cut there, so the fleet index would file another name's session under root)
 * nor a text (PostgreSQL refuses a NUL in one); the key is marked not decoded.
 */
static void test_nul(void)
{
	struct ta_sesstab t;
	struct got g = { .n = 0 };
	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	add_json(&t, 0, TA_REC_SESSION_START, 7, 5000000,
		 "{\"auid\":1007,\"user\":\"root\\u0000evil\",\"host\":\"ws1\",\"addr\":\"10.0.0.5\\u0000x\"}");
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	CHECK_EQ_INT(ta_sessfacts_emit(&t, collect, &g), 0);
	CHECK(has(&g, "7 3 0 ws1") && has(&g, "7 9 0 -"));
	CHECK(!has(&g, "7 2 0 root") && !has(&g, "7 3 0 10.0.0.5"));
	ta_sesstab_free(&t);
}

/*
 * A text longer than PostgreSQL's index holds (a host may write a login name
 * of any length): not a text fact, which failed the collector's batch at
 * each redelivery; the key is marked not decoded. One of TA_SF_TEXT_MAX bytes
 * is a fact, whole.
 */
struct text_lengths {
	size_t user, host, undecodable;
};

static int text_lengths(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num,
			const char *text)
{
	struct text_lengths *l = ctx;
	(void)key; (void)num;
	if (kind == TA_SF_USER)
		l->user = strlen(text);
	else if (kind == TA_SF_HOST)
		l->host = strlen(text);
	else if (kind == TA_SF_UNDECODABLE)
		l->undecodable++;
	return 0;
}

static void test_long_text(void)
{
	char json[2 * TA_SF_TEXT_MAX + 64], user[TA_SF_TEXT_MAX + 1], host[TA_SF_TEXT_MAX + 2];
	struct text_lengths l = { 0 };
	struct ta_sesstab t;

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(json, sizeof(json), "{\"auid\":1007,\"user\":\"%s\",\"host\":\"%s\"}", user, host);
	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	add_json(&t, 0, TA_REC_SESSION_START, 7, 5000000, json);
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	CHECK_EQ_INT(ta_sessfacts_emit(&t, text_lengths, &l), 0);
	CHECK_EQ_INT((int)l.user, TA_SF_TEXT_MAX);
	CHECK_EQ_INT((int)l.host, 0);
	CHECK_EQ_INT((int)l.undecodable, 1);
	ta_sesstab_free(&t);
}

/*
 * Attribution records of many typists and repeated ones: one link per (pane,
 * typist, login uid), found by hash also after the table grew, and one fact
 * per end of each link.
 */
static int count_related(void *ctx, uint64_t key, enum ta_sessfact_kind kind, uint64_t num,
			 const char *text)
{
	(void)key; (void)num; (void)text;
	*(size_t *)ctx += kind == TA_SF_RELATED;
	return 0;
}

static void test_many_typists(void)
{
	struct ta_sesstab t;
	char json[96];
	CHECK_EQ_INT(ta_sesstab_init(&t, 0), 0);
	for (uint64_t i = 0; i < 6000; i++) {
		/* 3000 typists, each attributed twice, the second time after all the others. */
		uint32_t typist = 2 + (uint32_t)(i % 3000);
		snprintf(json, sizeof(json), "{\"pane_owner_ses\":1,\"auid\":%u,\"events\":1}", 5000 + typist);
		add_json(&t, i, TA_REC_ATTRIBUTION, typist, 1000 + i, json);
	}
	CHECK_EQ_INT(t.nlinks, 3000);
	uint64_t events = 0;
	for (size_t i = 0; i < t.nlinks; i++)
		events += t.links[i].events;
	CHECK(events == 6000);
	CHECK_EQ_INT(ta_sesstab_finish(&t), 0);
	size_t related = 0;
	CHECK_EQ_INT(ta_sessfacts_emit(&t, count_related, &related), 0);
	CHECK_EQ_INT(related, 6000);
	ta_sesstab_free(&t);
}

int main(void)
{
	test_facts();
	test_many_typists();
	test_not_utf8();
	test_nul();
	test_long_text();
	test_global();
	test_stop();
	return check_result();
}

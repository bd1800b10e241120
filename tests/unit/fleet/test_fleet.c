// SPDX-License-Identifier: GPL-2.0-or-later
/* What the shipper and the collector agree on: subjects; the shipper's state file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fleet/fleet.h"
#include "ship/state.h"

static void test_subjects(void)
{
	char subj[TA_FLEET_SUBJECT_MAX], h[TA_FLEET_HASH_HEX + 1], h2[TA_FLEET_HASH_HEX + 1];
	enum ta_fleet_kind kind;
	/* Origins hold characters subjects cannot: the hash stands for them. */
	CHECK_EQ_INT(ta_fleet_subject("host a.example/ttyaudit*>", TA_FLEET_RECORDS, subj), 0);
	CHECK_EQ_INT(ta_fleet_origin_hash("host a.example/ttyaudit*>", h), 0);
	CHECK_EQ_INT((int)strlen(h), TA_FLEET_HASH_HEX);
	CHECK(strspn(h, "0123456789abcdef") == TA_FLEET_HASH_HEX);
	char want[64];
	snprintf(want, sizeof(want), "ttyaudit.%s.records", h);
	CHECK_EQ_STR(subj, want);
	CHECK_EQ_INT(ta_fleet_subject_parse(subj, h2, &kind), 0);
	CHECK_EQ_STR(h2, h);
	CHECK_EQ_INT(kind, TA_FLEET_RECORDS);
	CHECK_EQ_INT(ta_fleet_subject("o", TA_FLEET_CHECKPOINTS, subj), 0);
	CHECK_EQ_INT(ta_fleet_subject_parse(subj, h2, &kind), 0);
	CHECK_EQ_INT(kind, TA_FLEET_CHECKPOINTS);
	CHECK_EQ_INT(ta_fleet_subject("o", TA_FLEET_ACK, subj), 0);
	CHECK_EQ_INT(ta_fleet_subject_parse(subj, h2, &kind), 0);
	CHECK_EQ_INT(kind, TA_FLEET_ACK);
	/* Different origins, different subjects. */
	CHECK_EQ_INT(ta_fleet_origin_hash("o2", h2), 0);
	CHECK(strcmp(h, h2) != 0);
	static const char *const bad[] = {
		"", "ttyaudit", "ttyaudit.", "ttyaudit.0123456789abcdef", "ttyaudit.0123456789abcdef.",
		"ttyaudit.0123456789abcdef.record", "ttyaudit.0123456789abcdef.records.x",
		"ttyaudit.0123456789ABCDEF.records", "ttyaudit.0123456789abcde.records",
		"ttyaudit.0123456789abcdef0.records", "other.0123456789abcdef.records",
		"ttyaudit.*.records", "ttyaudit.0123456789abcdef.>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ta_fleet_subject_parse(bad[i], h2, &kind) != -EINVAL) {
			fprintf(stderr, "accepted subject '%s'\n", bad[i]);
			CHECK(0);
		}
	}
}

/* The collector answers a host's request on that host's own inbox only. */
static void test_reply_inbox(void)
{
	char pfx[TA_FLEET_SUBJECT_MAX], h[TA_FLEET_HASH_HEX + 1], h2[TA_FLEET_HASH_HEX + 1];
	char good[128], sub[128];
	CHECK_EQ_INT(ta_fleet_inbox_prefix("host-a/ttyaudit", pfx), 0);
	CHECK_EQ_INT(ta_fleet_origin_hash("host-a/ttyaudit", h), 0);
	CHECK_EQ_INT(ta_fleet_origin_hash("host-b/ttyaudit", h2), 0);
	snprintf(good, sizeof(good), "_INBOX.%s", h);
	CHECK_EQ_STR(pfx, good);
	/* What libnats makes of the prefix: <prefix>.<nuid>, and JetStream's <prefix>.<nuid>.<n>. */
	snprintf(good, sizeof(good), "%s.sd8GHl2mTy1Ez6Sk5QqYbC", pfx);
	CHECK_EQ_INT(ta_fleet_reply_is_hosts(good, h), 1);
	snprintf(sub, sizeof(sub), "%s.aB_c-9.17", pfx);
	CHECK_EQ_INT(ta_fleet_reply_is_hosts(sub, h), 1);
	/* Another host's inbox, its subjects, wildcards, empty tokens, the API. */
	CHECK_EQ_INT(ta_fleet_reply_is_hosts(good, h2), 0);
	char other[128];
	snprintf(other, sizeof(other), "ttyaudit.%s.checkpoints", h2);
	CHECK_EQ_INT(ta_fleet_reply_is_hosts(other, h2), 0);
	static const char *const tails[] = { "", ".", ".>", ".*", ".a.>", ".a..b", ".a.", ".a b",
					     ".a\tb", "x", ".\xc3\xa9" };
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(sub, sizeof(sub), "%s%s", pfx, tails[i]);
		if (ta_fleet_reply_is_hosts(sub, h)) {
			fprintf(stderr, "accepted reply '%s'\n", sub);
			CHECK(0);
		}
	}
	CHECK_EQ_INT(ta_fleet_reply_is_hosts("$JS.API.STREAM.DELETE.TTYAUDIT", h), 0);
	CHECK_EQ_INT(ta_fleet_reply_is_hosts(NULL, h), 0);
	char lng[320];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	memcpy(lng, pfx, strlen(pfx));
	lng[strlen(pfx)] = '.';
	CHECK_EQ_INT(ta_fleet_reply_is_hosts(lng, h), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	fclose(f);
}

static void test_state(void)
{
	char dir[] = "/tmp/ta-fleet-unit-XXXXXX", path[64];
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ship.state", dir);
	struct ta_ship_state st = { .next = 7 };
	/* Absent: start from the beginning. */
	CHECK_EQ_INT(ta_ship_state_load(path, &st), 0);
	CHECK(st.next == 0 && st.checkpoint == 0 && st.acked == 0);
	struct ta_ship_state w = { .next = 12345, .checkpoint = 12000, .acked = 11000, .log_size = 13000 };
	CHECK_EQ_INT(ta_ship_state_save(path, &w), 0);
	CHECK_EQ_INT(ta_ship_state_load(path, &st), 0);
	CHECK(st.next == 12345 && st.checkpoint == 12000 && st.acked == 11000);
	FILE *f = fopen(path, "r");
	char text[256] = "";
	CHECK(f && fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	CHECK(strstr(text, "backlog 2000\n") != NULL); /* log size 13000 - cosigned 11000 */
	/* Malformed or impossible positions are refused, not guessed. */
	static const char *const bad[] = {
		"", "next 1\n", "next x\ncheckpoint 0\nacked 0\n",
		"next 5\ncheckpoint 6\nacked 0\n",  /* a checkpoint beyond what was published */
		"next 5\ncheckpoint 4\nacked 5\n",  /* cosigned beyond the checkpoints sent */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i]);
		CHECK_EQ_INT(ta_ship_state_load(path, &st), -EBADMSG);
	}
	unlink(path);
	rmdir(dir);
}

/* A password or token in a --nats URL is seen, in any URL of the list; a plain URL is not. */
static void test_url_secret(void)
{
	CHECK_EQ_INT(ta_fleet_url_has_secret("nats://127.0.0.1:4222"), 0);
	CHECK_EQ_INT(ta_fleet_url_has_secret("tls://a.example:4222,tls://b.example:4222"), 0);
	CHECK_EQ_INT(ta_fleet_url_has_secret("nats://host-a:s3cret@a.example:4222"), 1);
	CHECK_EQ_INT(ta_fleet_url_has_secret("tls://a.example,nats://tok@b.example"), 1);
	CHECK_EQ_INT(ta_fleet_url_has_secret("u:p@a.example:4222"), 1);
	CHECK_EQ_INT(ta_fleet_url_has_secret("nats://a.example/x@y"), 0);
	CHECK_EQ_INT(ta_fleet_url_has_secret(""), 0);

	/* As shown in a message: the userinfo hidden, the rest as given; short buffers cut. */
	char out[128];
	CHECK_EQ_INT(ta_fleet_url_redact("tls://a.example,nats://u:s3cret@b.example:4222/x", out,
					 sizeof(out)), 1);
	CHECK_EQ_STR(out, "tls://a.example,nats://***@b.example:4222/x");
	CHECK_EQ_INT(ta_fleet_url_redact("tok@a,b", out, sizeof(out)), 1);
	CHECK_EQ_STR(out, "***@a,b");
	CHECK_EQ_INT(ta_fleet_url_redact("nats://u:pw@host", out, 10), 1);
	CHECK_EQ_STR(out, "nats://**");
	CHECK(strstr(out, "pw") == NULL);
}

int main(void)
{
	test_subjects();
	test_url_secret();
	test_reply_inbox();
	test_state();
	return check_result();
}

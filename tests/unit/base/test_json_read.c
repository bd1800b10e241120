// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON reader: values, escapes, malformed input, random mutation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/json_read.h"

int main(void)
{
	struct ta_jobj o;
	char s[256];
	uint64_t v;
	int b;
	static const char good[] =
		"{\"type\":\"exec\",\"pid\":4400,\"auid\":null,\"ok\":true,\"neg\":-1.5e3,"
		"\"argv\":[\"sudo\",\"a \\\"q\\\"\",\"\\u00e9\\ud83d\\ude00\\n\"],\"nested\":{\"x\":[1,{}]},"
		"\"s\":\"tab\\there\\/\\\\\",\"lone\":\"\\udc00\"}";

	CHECK_EQ_INT(ta_jobj_parse(&o, good, strlen(good)), 0);
	CHECK(ta_jobj_str(&o, "type", s, sizeof(s)) == 4);
	CHECK_EQ_STR(s, "exec");
	CHECK_EQ_INT(ta_jobj_u64(&o, "pid", &v), 0);
	CHECK_EQ_INT(v, 4400);
	CHECK(ta_jobj_u64(&o, "auid", &v) == -ENOENT);
	CHECK(ta_jobj_u64(&o, "neg", &v) == -EINVAL);
	CHECK(ta_jobj_u64(&o, "missing", &v) == -ENOENT);
	CHECK_EQ_INT(ta_jval_bool(ta_jobj_get(&o, "ok"), &b), 0);
	CHECK_EQ_INT(b, 1);
	CHECK(ta_jobj_str(&o, "s", s, sizeof(s)) > 0);
	CHECK_EQ_STR(s, "tab\there/\\");
	CHECK(ta_jobj_str(&o, "lone", s, sizeof(s)) == 3);
	CHECK_EQ_STR(s, "\xef\xbf\xbd");
	CHECK(ta_jobj_get(&o, "nested")->type == TA_J_OBJ);
	/*
	 * An escaped NUL is a byte of the value (a cast's output holds them), counted
	 * in its length; as a C string it would read "root": the C string is refused.
	 */
	{
		static const char nul[] = "{\"user\":\"root\\u0000evil\",\"w\":\"kernelx\"}";
		struct ta_jobj on;
		CHECK_EQ_INT(ta_jobj_parse(&on, nul, sizeof(nul) - 1), 0);
		CHECK_EQ_INT(ta_jobj_str(&on, "user", s, sizeof(s)), 9);
		CHECK_MEM(s, "root\0evil", 10);
		CHECK_EQ_INT(ta_jobj_cstr(&on, "user", s, sizeof(s)), -EILSEQ);
		CHECK_EQ_STR(s, "");
		CHECK_EQ_INT(ta_jval_cstr(ta_jobj_get(&on, "user"), s, sizeof(s)), -EILSEQ);
		/* Cut at cap it would read "kernel" too. */
		CHECK_EQ_INT(ta_jobj_cstr(&on, "w", s, 7), -ERANGE);
		CHECK_EQ_STR(s, "");
		CHECK_EQ_INT(ta_jobj_cstr(&on, "w", s, 8), 7);
		CHECK_EQ_STR(s, "kernelx");
		CHECK_EQ_INT(ta_jobj_cstr(&on, "none", s, sizeof(s)), -ENOENT);
	}

	struct ta_jarr_iter it;
	struct ta_jval el;
	const char *want[] = { "sudo", "a \"q\"", "\xc3\xa9\xf0\x9f\x98\x80\n" };
	int k = 0;
	CHECK_EQ_INT(ta_jarr_begin(ta_jobj_get(&o, "argv"), &it), 0);
	while (ta_jarr_next(&it, &el) == 1 && k < 3) {
		CHECK(ta_jval_str(&el, s, sizeof(s)) >= 0);
		CHECK_EQ_STR(s, want[k]);
		k++;
	}
	CHECK_EQ_INT(k, 3);

	/* Truncation keeps whole characters. */
	struct ta_jobj o2;
	static const char u[] = "{\"k\":\"ab\\u00e9\"}";
	CHECK_EQ_INT(ta_jobj_parse(&o2, u, strlen(u)), 0);
	CHECK_EQ_INT(ta_jobj_str(&o2, "k", s, 4), 2);
	CHECK_EQ_STR(s, "ab");

	static const char *bad[] = {
		"", "{", "}", "[]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"x}",
		"{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":tru}", "{\"a\":1} x", "{\"a\":\"\x01\"}",
		"{\"a\":[1,]}", "{\"a\":-}", "{\"a\":1.}", "{a:1}", "{\"a\":1 \"b\":2}",
		"{\"a\":[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}",
		/* Read one way here and another by jq: the first "argv" here, the last there. */
		"{\"argv\":[\"ls\"],\"argv\":[\"rm\",\"-rf\",\"/\"]}",
		"{\"\\u0066ilename\":\"/usr/bin/rm\",\"filename\":\"/usr/bin/ls\"}",
		"{\"\\u0066ilename\":\"/usr/bin/rm\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = ta_jobj_parse(&o, bad[i], strlen(bad[i]));
		if (r != -EBADMSG)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_EQ_INT(r, -EBADMSG);
	}

	/* TA_JOBJ_MAX members are read; one more could hide a name read past them. */
	char many[2048];
	size_t ml = 0;
	many[ml++] = '{';
	for (int i = 0; i <= TA_JOBJ_MAX; i++)
		ml += (size_t)snprintf(many + ml, sizeof(many) - ml, "%s\"k%d\":%d", i ? "," : "", i, i);
	many[ml++] = '}';
	CHECK_EQ_INT(ta_jobj_parse(&o, many, ml), -EBADMSG);
	memmove(many + ml - 1 - strlen(",\"k64\":64"), "}", 1);
	CHECK_EQ_INT(ta_jobj_parse(&o, many, ml - strlen(",\"k64\":64")), 0);
	CHECK_EQ_INT((int)o.n, TA_JOBJ_MAX);

	uint64_t ns;
	CHECK_EQ_INT(ta_parse_rfc3339("2026-01-01T12:00:00.001Z", &ns), 0);
	CHECK_EQ_INT(ns, 1767268800001000000ull);
	CHECK_EQ_INT(ta_parse_rfc3339("2026-01-01T13:00:00+01:00", &ns), 0);
	CHECK_EQ_INT(ns, 1767268800000000000ull);
	CHECK(ta_parse_rfc3339("2026-13-01T00:00:00Z", &ns) != 0);
	CHECK(ta_parse_rfc3339("yesterday", &ns) != 0);
	/*
	 * Past uint64 nanoseconds (2554-07-21T23:34:33.709551615Z): refused, not
	 * wrapped to another time (a record's "9999-12-31" read as 2400; found by
	 * fuzz_json_read). The last time that fits still reads.
	 */
	CHECK_EQ_INT(ta_parse_rfc3339("9999-12-31T23:59:59Z", &ns), -ERANGE);
	CHECK_EQ_INT(ta_parse_rfc3339("2554-07-21T23:34:34Z", &ns), -ERANGE);
	CHECK_EQ_INT(ta_parse_rfc3339("2554-07-21T23:34:33.709551616Z", &ns), -ERANGE);
	CHECK_EQ_INT(ta_parse_rfc3339("2554-07-21T23:34:33.709551615Z", &ns), 0);
	CHECK(ns == UINT64_MAX);

	/* Mutation: flips, truncations and insertions never crash, and a parse that
	 * succeeds yields members whose text lies inside the input. */
	srand(7);
	size_t glen = strlen(good);
	char *buf = malloc(glen + 16);
	unsigned parsed = 0, refused = 0, outside = 0;
	for (int r = 0; r < 200000; r++) {
		memcpy(buf, good, glen);
		size_t n = glen;
		int muts = 1 + rand() % 4;
		for (int m = 0; m < muts; m++) {
			size_t pos = (size_t)rand() % n;
			switch (rand() % 3) {
			case 0: buf[pos] = (char)(rand() & 0xff); break;
			case 1: n = pos; break;
			case 2: buf[pos] = "{}[]\",:\\"[rand() % 8]; break;
			}
			if (!n)
				break;
		}
		if (!ta_jobj_parse(&o, buf, n)) {
			parsed++;
			for (size_t i = 0; i < o.n; i++) {
				if (o.m[i].v.p < buf || o.m[i].v.p + o.m[i].v.n > buf + n) {
					outside++;
					break;
				}
				char tmp[64];
				ta_jval_str(&o.m[i].v, tmp, sizeof(tmp));
				uint64_t x;
				ta_jval_u64(&o.m[i].v, &x);
			}
		} else {
			refused++;
		}
	}
	free(buf);
	CHECK_EQ_INT(outside, 0);
	/* The mutations reached both answers: some inputs still parse, most are refused. */
	CHECK(parsed > 0);
	CHECK(refused > parsed);
	return check_result();
}

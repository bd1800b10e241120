// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the JSON reader (base/json_read.h) on the records of
 * logs others may have written: the bytes as one object, each member read
 * as every reader reads them (string into a buffer of a size the first byte
 * picks, number, bool, array elements, RFC 3339 time); and the bytes alone
 * as a time.
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_json_read CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json_read.h"

#include "fuzz_replay.h"

/* A time read must be the one written: its year within one of the text's. */
static void check_time(const char *s)
{
	uint64_t ns;
	int year;

	if (ta_parse_rfc3339(s, &ns))
		return;
	year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < year - 1 || tm.tm_year + 1900 > year + 1)
		abort();
}

static void read_value(const struct ta_jval *v, size_t cap, int depth)
{
	char *out = malloc(cap ? cap : 1);
	uint64_t u;
	int b;

	if (!out)
		return;
	long n = ta_jval_str(v, out, cap);
	if (n >= 0) {
		if ((size_t)n >= cap || out[n] != '\0')
			abort();
		check_time(out);
	}
	ta_jval_u64(v, &u);
	ta_jval_bool(v, &b);
	struct ta_jarr_iter it;
	struct ta_jval e;
	if (depth < 4 && !ta_jarr_begin(v, &it))
		while (ta_jarr_next(&it, &e) == 1) {
			if (e.p < v->p || e.p + e.n > v->p + v->n)
				abort();
			read_value(&e, cap, depth + 1);
		}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ta_jobj o;

	if (!size)
		return 0;
	size_t cap = data[0];
	/* An exact-size copy: a read past the record is ASan's to see. */
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	if (!ta_jobj_parse(&o, s, size - 1)) {
		if (o.n > TA_JOBJ_MAX)
			abort();
		for (size_t i = 0; i < o.n; i++) {
			char key[64];
			const struct ta_jmember *m = &o.m[i];
			if (m->k < s || m->v.p + m->v.n > s + size - 1)
				abort();
			read_value(&m->v, cap, 0);
			if (m->kn < sizeof(key) && !memchr(m->k, 0, m->kn)) {
				memcpy(key, m->k, m->kn);
				key[m->kn] = '\0';
				if (ta_jobj_get(&o, key) != &m->v)
					abort();
				char small[8];
				ta_jobj_str(&o, key, small, sizeof(small));
			}
		}
	}
	/* The bytes as a time string. */
	s[size - 1] = '\0';
	check_time(s);
	free(s);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The fleet query benchmark's data (bench/fleet/query_bench.py): a fleet of
 * HOSTS hosts with SESSIONS sessions each, users drawn from USERS, in the
 * collector's schema, as PostgreSQL COPY text. Records are real envelopes
 * (the store's header and CRC32C; a login record, then terminal batches, then
 * a logout), so that query decodes them as it decodes what a collector stored.
 *
 *   fleet_query_fill HOSTS SESSIONS USERS RECORDS_PER_SESSION DAYS SESSIONS_FILE
 *
 * writes the records table to standard output and the session index (the
 * rows a collector would have merged: sessfacts.h) to SESSIONS_FILE.
 * Deterministic (a fixed seed); times end now and span DAYS days.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logfmt/tty_batch.h"
#include "store/crc32c.h"
#include "store/format.h"
#include "ttyaudit/log_records.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char hexd[] = "0123456789abcdef";

/* A time as PostgreSQL's timestamptz input reads it, to the microsecond (floored, as the collector's). */
static void ts_text(char *out, size_t cap, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t l = strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(out + l, cap - l, ".%06" PRIu64 "+00", ns / 1000 % 1000000);
}

/* One record as stored, as a COPY text bytea. */
static void put_record(FILE *o, const char *origin, uint64_t index, uint16_t type, uint64_t time_ns,
		       uint64_t session, const void *payload, size_t len)
{
	static uint8_t rec[4096];
	struct ta_rec_header h = { .len = (uint32_t)(TA_REC_OVERHEAD + len), .version = TA_REC_VERSION,
				   .type = type, .index = index, .time_ns = time_ns, .session = session,
				   .raw_len = (uint32_t)len };
	ta_rec_header_encode(rec, &h);
	memcpy(rec + TA_REC_HDR_LEN, payload, len);
	ta_put32(rec + h.len - 4, ta_crc32c(0, rec, h.len - 4));
	char ts[40];
	ts_text(ts, sizeof(ts), time_ns);
	fprintf(o, "%s\t%" PRIu64 "\t%s\t%" PRIu64 "\t%u\t%" PRId64 "\t\\\\x", origin, index, ts,
		time_ns, type, (int64_t)session);
	static char hex[8192 + 2];
	for (uint32_t i = 0; i < h.len; i++) {
		hex[2 * i] = hexd[rec[i] >> 4];
		hex[2 * i + 1] = hexd[rec[i] & 15];
	}
	fwrite(hex, 1, 2 * h.len, o);
	fputc('\n', o);
}


int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: fleet_query_fill HOSTS SESSIONS USERS RECORDS_PER_SESSION DAYS "
			"SESSIONS_FILE\n");
		return 2;
	}
	unsigned long hosts = strtoul(argv[1], NULL, 10), per_host = strtoul(argv[2], NULL, 10),
		      users = strtoul(argv[3], NULL, 10), per_ses = strtoul(argv[4], NULL, 10),
		      days = strtoul(argv[5], NULL, 10);
	FILE *so = fopen(argv[6], "w");
	if (!hosts || !per_host || !users || per_ses < 3 || !days || !so) {
		fprintf(stderr, "fleet_query_fill: bad arguments\n");
		return 2;
	}
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	uint64_t now = (uint64_t)time(NULL) * 1000000000ull, span = days * 86400ull * 1000000000ull;
	struct ta_batch_builder b;
	ta_batch_init(&b);
	for (unsigned long h = 0; h < hosts; h++) {
		char origin[64];
		snprintf(origin, sizeof(origin), "host-%05lu.example/ttyaudit", h);
		uint32_t boot = (uint32_t)next_rand();
		uint64_t index = 0;
		/* A host's sessions one after another in its log, spread over the span. */
		uint64_t t = now - span, step = span / per_host;
		for (unsigned long k = 0; k < per_host; k++, t += step) {
			uint32_t ses = (uint32_t)k + 1, user = (uint32_t)(next_rand() % users);
			uint32_t auid = 10000 + user;
			uint64_t key = (uint64_t)boot << 32 | ses;
			/* 3 .. 2 * per_ses - 3 records: per_ses on average. */
			unsigned n = 3 + (unsigned)(next_rand() % (2 * per_ses - 5));
			uint64_t t0 = t + next_rand() % (step / 2 + 1), tn = t0;
			char js[512], addr[32], tty[16], b0[40], b1[40];
			snprintf(addr, sizeof(addr), "10.%u.%u.%u", user >> 16 & 255, user >> 8 & 255, user & 255);
			snprintf(tty, sizeof(tty), "pts%u", ses % 64);
			int l = snprintf(js, sizeof(js), "{\"type\":\"session_start\",\"auid\":%u,"
					 "\"user\":\"user%05u\",\"addr\":\"%s\",\"login_program\":\"sshd\","
					 "\"terminal\":\"ssh\",\"ses\":%u}", auid, user, addr, ses);
			put_record(stdout, origin, index++, TA_REC_SESSION_START, tn, key, js, (size_t)l);
			for (unsigned r = 1; r + 1 < n; r++) {
				struct ta_tty_id id = { .major = 136, .minor = ses % 64 };
				snprintf(id.name, sizeof(id.name), "%s", tty);
				struct ta_tty_entry e = { .kind = TA_ENTRY_INPUT, .len = 6, .orig_len = 6,
							  .uid = auid };
				tn += 1000000000ull + next_rand() % 5000000000ull;
				ta_batch_begin(&b, &id, ses, auid, tn);
				static const char out[] = "total 8\r\n-rw-r--r-- 1 u u 12 a.txt\r\n..";
				ta_batch_add(&b, &e, tn, "ls -l\r");
				e.kind = TA_ENTRY_OUTPUT;
				e.len = e.orig_len = sizeof(out) - 1;
				ta_batch_add(&b, &e, tn + 2000000, out);
				size_t len;
				const void *p = ta_batch_payload(&b, &len);
				put_record(stdout, origin, index++, TA_REC_TTY_DATA, tn, key, p, len);
			}
			tn += 1000000000ull;
			l = snprintf(js, sizeof(js), "{\"type\":\"session_end\",\"auid\":%u,\"user\":\"user%05u\","
				     "\"ses\":%u}", auid, user, ses);
			put_record(stdout, origin, index++, TA_REC_SESSION_END, tn, key, js, (size_t)l);
			/* The session index row, as the collector merges it (sessfacts.h). */
			ts_text(b0, sizeof(b0), t0);
			ts_text(b1, sizeof(b1), tn + 2000000);
			fprintf(so, "%s\t%" PRId64 "\t%s\t%s\t%u\t{%u}\t{user%05u}\t{%s}\t{ssh,%s}\t{}\tf\n", origin,
				(int64_t)key, b0, b1, n, auid, user, addr, tty);
		}
	}
	ta_batch_free(&b);
	if (fclose(so) || fflush(stdout)) {
		perror("fleet_query_fill");
		return 1;
	}
	return 0;
}

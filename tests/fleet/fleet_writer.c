// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Appends COUNT records to the log in DIR with the project's store (key KEY,
 * origin ORIGIN): session i % 5 + 1, time now, payload "<tag> record <i>",
 * a checkpoint every 1000 records and one at the end. Prints the log's size
 * (the store adds records of its own, such as each segment's first).
 * With RATE, writes RATE records a second, as a recorder does, with a
 * checkpoint every second (the shipping-lag benchmark; TA_FLEET_CKPT_MS: another
 * interval, as the recorder's checkpoint_interval).
 * TAG "login:NAME:SES": first a login record (auditd session start) of user
 * NAME, login uid 1000 + SES, from 192.0.2.SES, then every record in session SES.
 * TAG "login:@FILE:SES": the same with the login name read from FILE (up to
 * 1 MiB; a name no honest host records, as a hostile one can sign).
 * TAG "alerts:RULE": every tenth record is an alert record of rule RULE
 * ({"rule":RULE,"n":i,...}, the others as usual).
 * TAG "bomb": each record's payload is 2 MiB of zeros, which the store
 * compresses to a few hundred bytes (what a hostile host sends a collector).
 * TAG "inflate": the same with 1 MiB of zeros, as large as a collector decodes
 * one record for its index: many of them in a few messages.
 * TAG "typists": record i is an attribution record of session i + 2 typing
 * into the pane of session 1 (a pane with COUNT typists, as a hostile host
 * can claim).
 *
 * fleet_writer --cosigner FILE NAME: prints the cosignature/v1 vkey of a
 * witness key FILE (created if absent), for a shipper run without a collector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/note.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--cosigner")) {
		struct ta_signer *w;

		if (ta_cosigner_load_or_create(argv[2], argv[3], &w)) {
			fprintf(stderr, "fleet_writer: cannot make the witness key %s\n", argv[2]);
			return 1;
		}
		printf("%s\n", ta_signer_vkey(w));
		ta_signer_free(w);
		return 0;
	}
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: fleet_writer DIR KEY ORIGIN COUNT TAG [RATE]\n");
		return 2;
	}
	unsigned long rate = argc == 7 ? strtoul(argv[6], NULL, 10) : 0;
	/* The recorder's checkpoint_interval (ttyauditd.conf) for the lag benchmark. */
	const char *ck = getenv("TA_FLEET_CKPT_MS");
	uint32_t ckpt_ms = ck ? (uint32_t)strtoul(ck, NULL, 10) : 1000;
	struct ta_store_opts o = { .dir = argv[1], .key_file = argv[2], .origin = argv[3],
				   .checkpoint_every_records = 1000, .no_append_only = 1,
				   .checkpoint_interval_ms = rate ? ckpt_ms : 0,
				   .commit_interval_ms = rate ? 50 : 0 };
	struct ta_store *s;
	if (ta_store_open(&s, &o)) {
		fprintf(stderr, "fleet_writer: %s\n", ta_store_open_error());
		return 1;
	}
	unsigned long n = strtoul(argv[4], NULL, 10), ses = 0;
	char user[64], path[200], rule[64] = "";
	sscanf(argv[5], "alerts:%63s", rule);
	int from_file = sscanf(argv[5], "login:@%199[^:]:%lu", path, &ses) == 2;
	if (from_file || sscanf(argv[5], "login:%63[^:]:%lu", user, &ses) == 2) {
		char *name = user;
		if (from_file) {
			FILE *f = fopen(path, "r");
			name = malloc((1u << 20) + 1);
			size_t got = f && name ? fread(name, 1, 1u << 20, f) : 0;
			if (f)
				fclose(f);
			if (!got) {
				fprintf(stderr, "fleet_writer: no login name in %s\n", path);
				return 1;
			}
			name[got] = '\0';
		}
		size_t cap = strlen(name) + 256;
		char *js = malloc(cap);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int len = js ? snprintf(js, cap, "{\"auid\":%lu,\"user\":\"%s\",\"addr\":\"192.0.2.%lu\","
					"\"login_program\":\"sshd\",\"terminal\":\"ssh\"}", 1000 + ses, name,
					ses) : -1;
		uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		if (len < 0 || ta_store_append(s, TA_REC_SESSION_START, t, ses, js, (size_t)len, NULL)) {
			fprintf(stderr, "fleet_writer: append: %s\n", js ? ta_store_message(s) : "out of memory");
			return 1;
		}
		free(js);
		if (name != user)
			free(name);
	}
	for (unsigned long i = 0; i < n; i++) {
		char buf[256];
		struct timespec ts;
		uint16_t type = 0x0100;
		clock_gettime(CLOCK_REALTIME, &ts);
		int len = snprintf(buf, sizeof(buf), "%s record %lu", argv[5], i);
		uint64_t key = ses ? ses : i % 5 + 1;
		if (!strcmp(argv[5], "typists")) {
			type = TA_REC_ATTRIBUTION;
			key = i + 2;
			len = snprintf(buf, sizeof(buf), "{\"pane_owner_ses\":1,\"auid\":%lu}", 2000 + i);
		}
		if (rule[0] && i % 10 == 0) {
			type = TA_REC_ALERT;
			len = snprintf(buf, sizeof(buf), "{\"type\":\"alert\",\"rule\":\"%s\",\"n\":%lu,"
				       "\"severity\":\"high\",\"on\":\"input\"}", rule, i);
		}
		uint64_t t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		static char *zeros;
		size_t zlen = !strcmp(argv[5], "bomb") ? 2u << 20 : !strcmp(argv[5], "inflate") ? 1u << 20 : 0;
		if (zlen && !zeros && !(zeros = calloc(1, zlen))) {
			fprintf(stderr, "fleet_writer: out of memory\n");
			return 1;
		}
		if (ta_store_append(s, type, t, key, zeros ? zeros : buf,
				    zeros ? zlen : (size_t)len, NULL)) {
			fprintf(stderr, "fleet_writer: append: %s\n", ta_store_message(s));
			return 1;
		}
		if (i % 256 == 0 || rate)
			ta_store_tick(s, 0);
		if (rate) {
			struct timespec d = { 0, (long)(1000000000ul / rate) };
			nanosleep(&d, NULL);
		}
	}
	printf("%llu\n", (unsigned long long)ta_store_size(s));
	return ta_store_close(s) ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Crash-test writer: appends records as fast as it can to the log in argv[1]
 * (key argv[2]); a record appended when the log held i records has time
 * 1700000000000000000 + i and payload test_payload(i). Each time the
 * durable index grows it prints it on stdout, unbuffered: everything below a
 * printed number was acknowledged durable. Runs until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_test_util.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: store_writer LOGDIR KEYFILE\n");
		return 2;
	}
	struct ta_store_opts o;
	test_opts(&o, argv[1], argv[2]);
	o.commit_max_records = 200;
	o.commit_interval_ms = 5;
	o.segment_max_bytes = 256 * 1024;
	o.checkpoint_every_records = 3000;
	struct ta_store *s;
	int err = ta_store_open(&s, &o);
	if (err) {
		fprintf(stderr, "store_writer: %s\n", ta_store_open_error());
		return 1;
	}
	uint64_t acked = 0;
	uint8_t buf[1024];
	for (;;) {
		uint64_t i = ta_store_size(s);
		size_t len = test_payload(i, buf, sizeof(buf));
		err = ta_store_append(s, TEST_TYPE, 1700000000000000000ull + i, i % 7 + 1, buf, len, NULL);
		if (err) {
			fprintf(stderr, "store_writer: append: %d %s\n", err, ta_store_message(s));
			return 1;
		}
		if ((i & 63) == 0)
			ta_store_tick(s, 0);
		uint64_t d = ta_store_durable_index(s);
		if (d > acked) {
			char line[32];
			int n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)d);
			if (write(1, line, (size_t)n) != n)
				return 1;
			acked = d;
		}
	}
}

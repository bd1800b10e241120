// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * log_alerts DIR: the payload of every alert record (TA_REC_ALERT) in the
 * log, one JSON object per line, as the store reads them back. Exit 1 if the
 * log cannot be read to its end.
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "ttyaudit/log_records.h"

int main(int argc, char **argv)
{
	struct ta_log_reader *r;
	struct ta_log_record rec;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: log_alerts DIR\n");
		return 2;
	}
	if (ta_log_reader_open(&r, argv[1])) {
		fprintf(stderr, "log_alerts: cannot open %s\n", argv[1]);
		return 1;
	}
	while ((rc = ta_log_reader_next(r, &rec)) == 1)
		if (rec.type == TA_REC_ALERT)
			printf("%.*s\n", (int)rec.len, (const char *)rec.payload);
	ta_log_reader_close(r);
	if (rc < 0) {
		fprintf(stderr, "log_alerts: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

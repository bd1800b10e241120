// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test driver for the audit-trail anchors:
 *   anchor_tool write ORIGIN SIZE ROOT_HEX   -> "ok", or "error <errno name>" (exit 1)
 *   anchor_tool read AUDIT_LOG               -> one line per anchor:
 *       anchor <TAB> origin <TAB> size <TAB> root_hex <TAB> serial <TAB> uid <TAB> success
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessions/anchor.h"

static const char *errname(int e)
{
	switch (e) {
	case ENOTCONN: return "ENOTCONN";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	default: return strerror(e);
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "write")) {
		uint8_t root[TA_ANCHOR_ROOT_MAX];
		size_t n = strlen(argv[4]) / 2;
		int rc;

		if (n == 0 || n > sizeof(root) || strlen(argv[4]) % 2) {
			fprintf(stderr, "bad root\n");
			return 2;
		}
		for (size_t i = 0; i < n; i++) {
			unsigned v;

			if (sscanf(argv[4] + 2 * i, "%2x", &v) != 1)
				return 2;
			root[i] = (uint8_t)v;
		}
		rc = ta_anchor_write(argv[2], strtoull(argv[3], NULL, 10), root, n);
		if (rc < 0) {
			printf("error %s\n", errname(-rc));
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "read")) {
		struct ta_anchor *a = NULL;
		size_t bad = 0;
		int n = ta_anchor_read_file(argv[2], &a, &bad);

		if (n < 0) {
			printf("error %s\n", errname(-n));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			printf("anchor\t%s\t%llu\t", a[i].origin, (unsigned long long)a[i].size);
			for (size_t k = 0; k < a[i].root_len; k++)
				printf("%02x", a[i].root[k]);
			printf("\t%llu\t%u\t%d\n", (unsigned long long)a[i].serial, a[i].uid,
			       a[i].success);
		}
		printf("malformed\t%zu\n", bad);
		free(a);
		return 0;
	}
	fprintf(stderr, "usage: %s write ORIGIN SIZE ROOT_HEX | read AUDIT_LOG\n", argv[0]);
	return 2;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * query's filters on what a session did and what it raised: --file PATH,
 * --connect HOST[:PORT], --privileged, --alerts. They read the session's
 * footprint and alert records (docs/cli.md).
 */
#ifndef TA_CLI_QUERY_FOOTPRINT_H
#define TA_CLI_QUERY_FOOTPRINT_H

#include <stdint.h>

#include "view/transcript.h"

#define TA_QFP_ADDRS 8

struct ta_qfp {
	const char *file;          /* NULL: no --file */
	int connect;               /* --connect given */
	char addrs[TA_QFP_ADDRS][64];  /* HOST as numeric addresses */
	int naddrs;
	uint32_t port;             /* 0: any */
	int privileged, alerts;
};

/* "HOST", "HOST:PORT", "[V6]:PORT", "V6": 0, or -EINVAL with a message in err. */
int ta_qfp_set_connect(struct ta_qfp *f, const char *arg, char *err, size_t err_len);
/* Whether any of the filters is set. */
int ta_qfp_active(const struct ta_qfp *f);
/* Whether the loaded session has everything the filters ask for. */
int ta_qfp_match(const struct ta_qfp *f, const struct ta_transcript *tr);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ttyaudit verify --fleet (fleet_verify.c): the hosts' copies in the fleet's PostgreSQL. */
#ifndef TA_CLI_FLEET_VERIFY_H
#define TA_CLI_FLEET_VERIFY_H

#include <stddef.h>

struct ta_verifier;

struct fleet_verify_opts {
	const char *dsn;
	const char *origin_pattern;           /* hosts whose origin contains it; NULL: all */
	const struct ta_verifier *key;        /* instead of each host's enrolled key; NULL: enrolled */
	struct ta_verifier *const *witnesses; /* the collector's cosignature/v1 key(s) */
	size_t n_witnesses, quorum;
	int json, quiet;
};

/* One line (or JSON object) per host; the exit code of verify (7 if any host fails). */
int fleet_verify(const struct fleet_verify_opts *o);

#endif

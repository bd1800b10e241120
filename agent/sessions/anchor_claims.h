/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checkpoint anchors read from an audit log, as claims for ta_log_verify(). */
#ifndef TA_SESSIONS_ANCHOR_CLAIMS_H
#define TA_SESSIONS_ANCHOR_CLAIMS_H

#include <stddef.h>

#include "store/store.h"

/*
 * Appends every well-formed, successful ttyaudit anchor in the audit log at
 * path that uid 0 wrote from the program at exe (the full path) to *claims
 * (realloc'ed; *n updated), each marked when its writer had a login uid.
 * Counts the others, anchors of any writer, in *ignored. 0 or -errno.
 */
int ta_anchor_claims_load(const char *path, const char *exe, struct ta_root_claim **claims,
			  size_t *n, size_t *ignored);

#endif

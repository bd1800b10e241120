/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checkpoint anchors read from an audit log, as claims for ta_log_verify(). */
#ifndef TA_SESSIONS_ANCHOR_CLAIMS_H
#define TA_SESSIONS_ANCHOR_CLAIMS_H

#include <stddef.h>

#include "store/store.h"

/*
 * Appends every well-formed, successful ttyaudit anchor in the audit log at
 * path to *claims (realloc'ed; *n updated). 0 or -errno.
 */
int ta_anchor_claims_load(const char *path, struct ta_root_claim **claims, size_t *n);

#endif

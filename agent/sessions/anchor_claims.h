/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checkpoint anchors read from an audit log, as claims for ta_log_verify(). */
#ifndef TA_SESSIONS_ANCHOR_CLAIMS_H
#define TA_SESSIONS_ANCHOR_CLAIMS_H

#include <stdbool.h>
#include <stddef.h>

#include "sessions/anchor.h"
#include "store/store.h"

/*
 * Which anchors vouch for anything, and what the others were; kept over
 * several audit logs. An aggregating auditd's trail holds every node's
 * anchors, and root on any of them can write one naming another host's log.
 */
struct ta_anchor_filter {
	const char *exe;          /* the daemon's full path: uid 0 running it wrote them */
	const char *node;         /* only anchors of this node= ("": none); NULL: any */
	size_t ignored;           /* anchors of any other writer, or failed */
	size_t malformed;         /* anchors that do not parse (any writer): never checked */
	size_t other_node;        /* anchors of another node than node */
	size_t nodes;             /* distinct nodes among the anchors kept: 0, 1, or 2 (more) */
	char node_seen[2][TA_ANCHOR_NODE_MAX]; /* the first two of them */
};

/*
 * Appends every well-formed, successful ttyaudit anchor in the audit log at
 * path that passes f to *claims (realloc'ed; *n updated), each marked when
 * its writer had a login uid. 0 or -errno.
 */
int ta_anchor_claims_load(const char *path, struct ta_anchor_filter *f,
			  struct ta_root_claim **claims, size_t *n);

#endif

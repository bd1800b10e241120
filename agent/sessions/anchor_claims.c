// SPDX-License-Identifier: GPL-2.0-or-later
#include "sessions/anchor_claims.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sessions/anchor.h"

/* Notes a kept anchor's node: the first two distinct ones, and whether there were more. */
static void note_node(struct ta_anchor_filter *f, const char *node)
{
	for (size_t i = 0; i < f->nodes && i < 2; i++)
		if (!strcmp(f->node_seen[i], node))
			return;
	if (f->nodes < 2)
		snprintf(f->node_seen[f->nodes], sizeof(f->node_seen[0]), "%s", node);
	if (f->nodes < 3)
		f->nodes++;
}

int ta_anchor_claims_load(const char *path, struct ta_anchor_filter *f,
			  struct ta_root_claim **claims, size_t *n)
{
	struct ta_anchor *anchors = NULL;
	size_t count = 0, malformed = 0, kept = *n;
	struct ta_root_claim *grown;
	int err;

	err = ta_anchor_read_file(path, &anchors, &malformed);
	if (err < 0)
		return err;
	f->malformed += malformed;
	count = (size_t)err;
	grown = realloc(*claims, (kept + count + 1) * sizeof(*grown));
	if (!grown) {
		free(anchors);
		return -ENOMEM;
	}
	*claims = grown;
	for (size_t i = 0; i < count; i++) {
		const struct ta_anchor *a = &anchors[i];
		struct ta_root_claim *c = &grown[kept];

		/*
		 * Only successful anchors of a full root, written by root running the
		 * installed daemon, vouch for anything: any holder of CAP_AUDIT_WRITE
		 * can write the text, and a basename is anyone's to choose.
		 */
		if (!a->success || a->root_len != sizeof(c->root) || a->uid != 0 ||
		    strcmp(a->exe, f->exe)) {
			f->ignored++;
			continue;
		}
		if (f->node && strcmp(a->node, f->node)) {
			f->other_node++;
			continue;
		}
		note_node(f, a->node);
		memset(c, 0, sizeof(*c));
		snprintf(c->origin, sizeof(c->origin), "%s", a->origin);
		c->size = a->size;
		/* systemd starts the daemon with no login uid; a root shell has one. */
		c->login_uid = a->auid != 0xffffffffu;
		memcpy(c->root, a->root, sizeof(c->root));
		if (a->node[0])
			snprintf(c->where, sizeof(c->where), "audit trail anchor (node %.64s, serial %llu)",
				 a->node, (unsigned long long)a->serial);
		else
			snprintf(c->where, sizeof(c->where), "audit trail anchor (serial %llu)",
				 (unsigned long long)a->serial);
		kept++;
	}
	free(anchors);
	*n = kept;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * export --fleet --with-proof: the inclusion proof of a session's records
 * against the host's latest checkpoint the collector cosigned, built by the
 * store's proof builder from the leaves and records in the fleet's
 * PostgreSQL. The proof's checkpoint note carries the cosignature line, so
 * verify-proof --witness checks the collector's word too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/fleet_source.h"
#include "base/exitcodes.h"
#include "store/ckptset.h"
#include "store/store.h"

struct leaf_src {
	struct cli_fleet *f;
	int code; /* the exit code of a database failure */
};

static int leaf_next(void *ctx, struct ta_proof_leaf *out, char *err, size_t errlen)
{
	struct leaf_src *s = ctx;
	struct cli_fleet_leaf l;
	int k = cli_fleet_leaves_next(s->f, &l, err, errlen);
	if (k != 1) {
		s->code = k;
		return k ? -EIO : 0;
	}
	*out = (struct ta_proof_leaf){ .index = l.index, .stored = l.stored,
				       .stored_len = l.stored_len, .leaf = l.leaf };
	return 1;
}

int cli_fleet_session_proof(const char *dsn, const char *origin, uint64_t session, char **text,
			    size_t *len, char *err, size_t errlen)
{
	struct cli_fleet *f = NULL;
	struct ta_verifier *key = NULL;
	struct cli_fleet_ckpt *c = NULL;
	struct ta_ckpt_set set = { .origin = origin };
	uint64_t *idx = NULL;
	size_t n = 0, nidx = 0;
	int rc = cli_fleet_open(&f, dsn, err, errlen);
	if (!rc)
		rc = cli_fleet_key(f, origin, &key, err, errlen);
	if (!rc)
		rc = cli_fleet_ckpts(f, origin, &c, &n, err, errlen);
	size_t latest = n;
	for (size_t i = 0; !rc && i < n; i++)
		if (c[i].cosigned)
			latest = i;
	if (!rc && latest == n) {
		snprintf(err, errlen, "%s: no checkpoint of this host is cosigned by the collector yet", origin);
		rc = TA_EXIT_FAILURE;
	}
	if (!rc && ta_ckpt_set_add_note(&set, key, c[latest].note, c[latest].note_len,
					"the fleet database", err, errlen))
		rc = TA_EXIT_VERIFY;
	if (!rc)
		rc = cli_fleet_session_indexes(f, origin, session, c[latest].size, &idx, &nidx, err, errlen);
	if (!rc && !nidx) {
		snprintf(err, errlen, "no record of the session is covered by the cosigned checkpoint of "
			 "size %" PRIu64 " yet", c[latest].size);
		rc = TA_EXIT_FAILURE;
	}
	if (!rc)
		rc = cli_fleet_leaves_begin(f, origin, c[latest].size, &session, err, errlen);
	if (!rc) {
		struct leaf_src s = { .f = f };
		struct ta_proof_source src = { leaf_next, &s };
		struct ta_proof_request req = { .kind = TA_PROOF_INCLUSION, .indexes = idx,
						.n_indexes = nidx, .tree_size = c[latest].size,
						.origin = origin, .ckpts = &set };
		int e = ta_proof_build_from(&src, &req, text, len, err, errlen);
		cli_fleet_leaves_end(f);
		if (e)
			rc = s.code ? s.code : TA_EXIT_FAILURE;
	}
	free(idx);
	ta_ckpt_set_free(&set);
	cli_fleet_ckpts_free(c, n);
	ta_verifier_free(key);
	cli_fleet_close(f);
	return rc;
}

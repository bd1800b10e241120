/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store's own tests: tests/lib/test_log_dir.h and verification with a key. */
#ifndef TA_STORE_TEST_UTIL_H
#define TA_STORE_TEST_UTIL_H

#include "store/note.h"
#include "test_log_dir.h"

/* Verifies dir with vkey (NULL: the directory's own) and an optional external note. */
static inline int test_verify(const char *dir, const char *vkey, const char *ext,
			      struct ta_verify_result *res)
{
	struct ta_verifier *v = NULL;
	if (vkey && ta_verifier_parse(vkey, &v))
		return -EINVAL;
	struct ta_verify_opts o = { .dir = dir, .key = v };
	const char *exts[1] = { ext };
	if (ext) {
		o.external = exts;
		o.n_external = 1;
	}
	int err = ta_log_verify(&o, res);
	ta_verifier_free(v);
	return err;
}

#endif

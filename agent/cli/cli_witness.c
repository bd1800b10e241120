// SPDX-License-Identifier: GPL-2.0-or-later
/* Keys and cosignature quorums for the CLI. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_witness.h"
#include "cli/cli_util.h"
#include "base/exitcodes.h"
#include "base/log.h"
#include "store/ckptset.h"
#include "store/cosig.h"
#include "store/log_dir.h"

/*
 * The directory's own key: a failure is the log's (its key missing, not a
 * regular file, or no key), so the exit code is verify's for a failed check,
 * never that of a bad command line.
 */
static int dir_key(const char *cmd, const char *dir, struct ta_verifier **out)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = dfd < 0 ? -errno : ta_log_vkey_load(dfd, out);
	if (dfd >= 0)
		close(dfd);
	if (dfd < 0 || err == -EACCES || err == -EPERM)
		return cli_log_error(dir, err);
	if (err) {
		ta_err(cmd, "cannot use the log's key %s/%s: %s (give a copy kept elsewhere with --key)",
		       dir, TA_VKEY_NAME, ta_log_vkey_strerror(err));
		return err == -ENOMEM ? TA_EXIT_FAILURE : TA_EXIT_VERIFY;
	}
	return TA_EXIT_OK;
}

int cli_log_key(const char *cmd, const char *arg, const char *dir, struct ta_verifier **out)
{
	if (!arg)
		return dir_key(cmd, dir, out);
	int err = ta_verifier_load(arg, TA_ALG_ED25519, out);
	if (err) {
		ta_err(cmd, "cannot use key %s: %s", arg, ta_verifier_load_strerror(err));
		return err == -EACCES ? TA_EXIT_NOPERM : TA_EXIT_USAGE;
	}
	return TA_EXIT_OK;
}

int cli_witness_keys(const char *cmd, const char *const *args, size_t n, struct ta_verifier **out)
{
	for (size_t i = 0; i < n; i++) {
		int err = ta_verifier_load(args[i], TA_ALG_COSIG_V1, &out[i]);
		if (err) {
			ta_err(cmd, "cannot use witness key %s: %s", args[i],
			       err == -EPROTOTYPE ? "not a cosignature/v1 (type 0x04) key" :
			       ta_verifier_load_strerror(err));
			cli_keys_free(out, i);
			return TA_EXIT_USAGE;
		}
	}
	return TA_EXIT_OK;
}

void cli_keys_free(struct ta_verifier **keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ta_verifier_free(keys[i]);
		keys[i] = NULL;
	}
}

size_t cli_parse_quorum(const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	return *end || !v || *arg < '0' || *arg > '9' ? SIZE_MAX : (size_t)v;
}

int cli_quorum(struct ta_verifier *const *w, size_t n, size_t quorum, const char *note, size_t len,
	       size_t *valid, char *msg, size_t cap)
{
	size_t bad = 0;
	int err = ta_cosig_count((const struct ta_verifier *const *)w, n, note, len, valid, &bad);
	if (err == -EKEYREJECTED) {
		snprintf(msg, cap, "the cosignature of witness %s does not verify",
			 ta_verifier_name(w[bad]));
		return err;
	}
	if (err) {
		snprintf(msg, cap, "malformed cosigned note");
		return err;
	}
	if (*valid < quorum) {
		snprintf(msg, cap, "%zu valid cosignatures of the %zu required", *valid, quorum);
		return -ENOKEY;
	}
	return 0;
}

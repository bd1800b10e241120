/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What verify, verify-proof, checkpoint and witness-submit share about keys and cosignatures. */
#ifndef TA_CLI_WITNESS_H
#define TA_CLI_WITNESS_H

#include <stddef.h>

#include "store/note.h"

/*
 * The log key: arg (a vkey or a file; unusable: a bad command line), or the
 * log directory's ttyaudit.vkey (unusable: the log fails verification, 7).
 * Exit code, one line printed on error.
 */
int cli_log_key(const char *cmd, const char *arg, const char *dir, struct ta_verifier **out);
/* Witness keys (cosignature/v1 vkeys or files), one line on error. Exit code. */
int cli_witness_keys(const char *cmd, const char *const *args, size_t n, struct ta_verifier **out);
void cli_keys_free(struct ta_verifier **keys, size_t n);

/* --witness-quorum N: N >= 1, or SIZE_MAX (more than any witness list: a usage error). */
size_t cli_parse_quorum(const char *arg);

/*
 * Checks that note carries at least quorum valid cosignatures of the witnesses.
 * 0, or -EKEYREJECTED (a forged cosignature) / -ENOKEY (too few); msg explains.
 */
int cli_quorum(struct ta_verifier *const *w, size_t n, size_t quorum, const char *note, size_t len,
	       size_t *valid, char *msg, size_t cap);

#endif

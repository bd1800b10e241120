/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature,
 * cosignature/v1: Ed25519, key type 0x04): counting the valid ones for a
 * quorum, and the files the submitter keeps them in.
 */
#ifndef TA_STORE_COSIG_H
#define TA_STORE_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "store/note.h"

/*
 * For each witness key, its first signature line on note decides (others are
 * ignored). Returns 0 with *valid = witnesses whose cosignature verifies;
 * -EKEYREJECTED if a known witness's cosignature does not (*bad = its index):
 * a forged cosignature rejects the note, as the spec asks; -EBADMSG if the note
 * is malformed.
 */
int ta_cosig_count(const struct ta_verifier *const *witnesses, size_t n, const char *note,
		   size_t len, size_t *valid, size_t *bad);

#endif

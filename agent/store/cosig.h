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
 * ignored); a key listed again (the same key ID or public key) counts once. Returns 0 with *valid = witnesses whose cosignature verifies;
 * -EKEYREJECTED if a known witness's cosignature does not (*bad = its index):
 * a forged cosignature rejects the note, as the spec asks; -EBADMSG if the note
 * is malformed.
 */
int ta_cosig_count(const struct ta_verifier *const *witnesses, size_t n, const char *note,
		   size_t len, size_t *valid, size_t *bad);

/*
 * The submitter's directory (docs/log-format.md §6): cosigned-<size, 20
 * digits>.note holds a checkpoint note with every witness's cosignature line
 * appended; witness-<key ID>.size the size that witness last cosigned;
 * alarms.log one line per refusal.
 */
#define TA_WITNESS_DEFAULT_DIR "/var/lib/ttyaudit/witness"
#define TA_COSIGNED_FMT "cosigned-%020llu.note"

/* Adds line (one "— name base64\n") to the cosigned note of size, made from note
 * if absent; an older line of the same key name is replaced. */
int ta_cosig_store_add(int dirfd, uint64_t size, const char *note, size_t len, const char *line,
		       size_t line_len);
/* The sizes of the cosigned notes in dirfd, increasing (*sizes malloc'd). */
int ta_cosig_store_list(int dirfd, uint64_t **sizes, size_t *n);

#endif

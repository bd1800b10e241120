/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * C2SP signed notes with Ed25519 keys (https://c2sp.org/signed-note):
 *   text (ending in '\n'), a blank line, then lines "— <name> <base64(keyid || sig)>".
 * key id = SHA-256(name || '\n' || 0x01 || pubkey)[0:4];
 * verifier key = "<name>+<hex key id>+<base64(0x01 || pubkey)>".
 * The private key file holds "PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>"
 * (the Go sumdb/note signer key format); a PKCS#8 PEM Ed25519 key is accepted too.
 */
#ifndef TA_STORE_NOTE_H
#define TA_STORE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include <errno.h>

#include "base/base64.h"

#define TA_KEY_NAME_MAX 256
#define TA_VKEY_MAX (TA_KEY_NAME_MAX + 80)

/* Signature type bytes (c2sp.org/signed-note): the log's Ed25519 note signatures and
 * Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1). */
#define TA_ALG_ED25519 0x01
#define TA_ALG_COSIG_V1 0x04
/* Signature lines a note may carry (Go's sumdb/note limit; the spec asks for at least 16). */
#define TA_NOTE_MAX_SIGS 100

struct ta_signer;
struct ta_verifier;

/*
 * Reads the key file, or creates it (mode 0600, O_EXCL) with a new key named
 * name. -ENOKEY: not a key; -EKEYREVOKED: an encrypted PEM key (no passphrase
 * is asked for); -EISDIR: not a regular file; else -errno.
 */
int ta_signer_load_or_create(const char *path, const char *name, struct ta_signer **out);
/* The same for a witness's cosignature/v1 key (type 0x04); -EPROTOTYPE for another type. */
int ta_cosigner_load_or_create(const char *path, const char *name, struct ta_signer **out);
/* From the text of a signer key ("PRIVATE+KEY+..."). */
int ta_signer_from_skey(const char *skey, struct ta_signer **out);
void ta_signer_free(struct ta_signer *s);
const char *ta_signer_name(const struct ta_signer *s);
/* The verifier key text (no newline). */
const char *ta_signer_vkey(const struct ta_signer *s);
/* Signs text (must end in '\n'); *note_out (malloc'd, NUL-terminated) is the whole note. */
int ta_note_sign(struct ta_signer *s, const char *text, size_t len, char **note_out, size_t *note_len);

/* A vkey of type 0x01 (note signatures) or 0x04 (cosignature/v1). */
int ta_verifier_parse(const char *vkey, struct ta_verifier **out);
/*
 * An argument that parses as a vkey is one; anything else must be a file whose
 * first non-empty, non-# line is one. want_alg (0: any) is the required type.
 * -EINVAL: neither; -EPROTOTYPE: a key of another type; else the file's errno.
 */
int ta_verifier_load(const char *path_or_vkey, int want_alg, struct ta_verifier **out);
/* One phrase for ta_verifier_load's errors. */
const char *ta_verifier_load_strerror(int err);
void ta_verifier_free(struct ta_verifier *v);
const char *ta_verifier_name(const struct ta_verifier *v);
const char *ta_verifier_vkey(const struct ta_verifier *v);
int ta_verifier_alg(const struct ta_verifier *v);
uint32_t ta_verifier_keyid(const struct ta_verifier *v);

/* Key names: non-empty UTF-8 without Unicode spaces, '+' or what a note may not hold. */
int ta_note_name_valid(const char *name, size_t len);

/* A note split as c2sp.org/signed-note says, signatures decoded (any length). */
struct ta_note_sig {
	const char *name;      /* into the note */
	size_t name_len;
	uint32_t id;           /* key ID, big-endian in the line */
	const uint8_t *sig;    /* after the key ID */
	size_t sig_len;
};
struct ta_note_sigs {
	size_t text_len;       /* the text: up to the last blank line, its '\n' included */
	size_t n;
	struct ta_note_sig v[TA_NOTE_MAX_SIGS];
	uint8_t *raw;
};
/*
 * Refuses (-EBADMSG) invalid UTF-8, control characters other than '\n' (DEL
 * and C1 too), bidi and invisible characters, piles of combining marks, no
 * blank line before the signatures, a signature line that is not "— name
 * base64" with a valid name and at least 5 bytes, more than TA_NOTE_MAX_SIGS.
 * Free with ta_note_sigs_free.
 */
int ta_note_parse(const char *note, size_t len, struct ta_note_sigs *out);
void ta_note_sigs_free(struct ta_note_sigs *s);
/*
 * The first signature line with v's name and key ID decides: 0 if it verifies
 * (*timestamp: a cosignature's time, 0 for a note signature), -EKEYREJECTED if
 * not, -ENOKEY if there is none. Other signatures are ignored.
 */
int ta_note_verify(const struct ta_verifier *v, const struct ta_note_sigs *sigs, const char *note,
		   uint64_t *timestamp);
/* A cosignature/v1 line ("— name base64\n", malloc'd) on a checkpoint text. */
int ta_cosign(struct ta_signer *s, const char *text, size_t len, uint64_t timestamp, char **line_out);

/*
 * Checks that note carries a valid signature by v. Returns 0 and *text_len
 * (bytes of signed text, '\n' included); -EBADMSG if the note is malformed;
 * -ENOKEY if no signature line is from v; -EKEYREJECTED if v's signature fails.
 */
int ta_note_open(const struct ta_verifier *v, const char *note, size_t len, size_t *text_len);

/*
 * The notes' base64: common/base64.h (stray bits under the padding ignored,
 * as Go's decoder does); these names stay for the store's callers.
 */
static inline size_t ta_note_base64_encode(const uint8_t *in, size_t len, char *out)
{
	return ta_base64_encode(in, len, out);
}

/* Decoded length, or -EINVAL (malformed, or more than cap bytes). */
static inline long ta_note_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	long n = ta_base64_decode(in, len, out, cap, 0);

	return n == -ENOSPC ? -EINVAL : n;
}

#endif

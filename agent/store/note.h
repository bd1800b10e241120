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

#define TA_KEY_NAME_MAX 256
#define TA_VKEY_MAX (TA_KEY_NAME_MAX + 80)

struct ta_signer;
struct ta_verifier;

/* Reads the key file, or creates it (mode 0600, O_EXCL) with a new key named name. */
int ta_signer_load_or_create(const char *path, const char *name, struct ta_signer **out);
/* From the text of a signer key ("PRIVATE+KEY+..."). */
int ta_signer_from_skey(const char *skey, struct ta_signer **out);
void ta_signer_free(struct ta_signer *s);
const char *ta_signer_name(const struct ta_signer *s);
/* The verifier key text (no newline). */
const char *ta_signer_vkey(const struct ta_signer *s);
/* Signs text (must end in '\n'); *note_out (malloc'd, NUL-terminated) is the whole note. */
int ta_note_sign(struct ta_signer *s, const char *text, size_t len, char **note_out, size_t *note_len);

int ta_verifier_parse(const char *vkey, struct ta_verifier **out);
/* A vkey string, or a file whose first non-empty line is one. */
int ta_verifier_load(const char *path_or_vkey, struct ta_verifier **out);
void ta_verifier_free(struct ta_verifier *v);
const char *ta_verifier_name(const struct ta_verifier *v);
const char *ta_verifier_vkey(const struct ta_verifier *v);

/*
 * Checks that note carries a valid signature by v. Returns 0 and *text_len
 * (bytes of signed text, '\n' included); -EBADMSG if the note is malformed;
 * -ENOKEY if no signature line is from v; -EKEYREJECTED if v's signature fails.
 */
int ta_note_open(const struct ta_verifier *v, const char *note, size_t len, size_t *text_len);

/* Strict standard base64 (padding required, canonical bits, bounded output), as the
 * signed-note spec parses; encode returns the length written (NUL added). */
size_t ta_note_base64_encode(const uint8_t *in, size_t len, char *out);
/* Returns decoded length, or -EINVAL. out must hold len * 3 / 4 bytes. */
long ta_note_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif

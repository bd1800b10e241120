/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The project's one base64 codec: standard alphabet, padding required
 * (RFC 4648 §4). Used by the JSON writer, signed notes and proofs, and the
 * audit-trail anchors.
 */
#ifndef TA_COMMON_BASE64_H
#define TA_COMMON_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters that n bytes encode to (the NUL the encoder adds not counted). */
#define TA_BASE64_LEN(n) (4 * (((n) + 2) / 3))

/* Encodes n bytes into out (TA_BASE64_LEN(n) + 1 bytes: a NUL is added); returns the length. */
size_t ta_base64_encode(const void *data, size_t n, char *out);

enum ta_base64_flags {
	/*
	 * Refuse bits set under the padding ("QR==" for "QQ=="): one spelling
	 * per value. Without it they are ignored, as RFC 4648 §3.5 allows and
	 * Go's base64.StdEncoding (the reference note parser) does.
	 */
	TA_BASE64_CANONICAL = 1,
};

/*
 * Decodes n characters into out (at most cap bytes). Returns the bytes
 * written, -EINVAL if the input is not base64 (length not a multiple of 4,
 * a character outside the alphabet, misplaced padding), -ENOSPC if out is
 * too small.
 */
long ta_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap, unsigned flags);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small, strict JSON reader for the log's JSON records: one object whose
 * members are strings, numbers, booleans, null, arrays or nested objects
 * (those are validated and kept as raw text). It never allocates, bounds
 * nesting, and rejects anything malformed with -EBADMSG instead of guessing.
 */
#ifndef TA_COMMON_JSON_READ_H
#define TA_COMMON_JSON_READ_H

#include <stddef.h>
#include <stdint.h>

enum ta_jtype { TA_J_MISSING = 0, TA_J_NULL, TA_J_BOOL, TA_J_NUM, TA_J_STR, TA_J_ARR, TA_J_OBJ };

struct ta_jval {
	enum ta_jtype type;
	const char *p;   /* raw text of the value (strings: with quotes) */
	size_t n;
};

#define TA_JOBJ_MAX 64
#define TA_JSON_MAX_DEPTH 16

struct ta_jmember {
	const char *k;   /* raw key text, without quotes (escapes not decoded) */
	size_t kn;
	struct ta_jval v;
};

struct ta_jobj {
	size_t n;        /* members (at most TA_JOBJ_MAX) */
	struct ta_jmember m[TA_JOBJ_MAX];
};

/*
 * 0, or -EBADMSG if s is not exactly one JSON object (whitespace around
 * allowed) or if its members are not what every reader reads alike: a name
 * twice, a name with an escape, more than TA_JOBJ_MAX members.
 */
int ta_jobj_parse(struct ta_jobj *o, const char *s, size_t len);
/* The member named key (first one), or NULL. */
const struct ta_jval *ta_jobj_get(const struct ta_jobj *o, const char *key);

/*
 * String value decoded into out (NUL-terminated, truncated to cap - 1 bytes on
 * a character boundary); returns the decoded length or -EINVAL (not a
 * string) / -EBADMSG (bad escape). Lone surrogates become U+FFFD. An escaped
 * \u0000 decodes to a NUL byte (a cast's output holds them): the value is the
 * returned length of bytes, not a C string. Shown, stored or written out, it
 * goes by that length; compared or parsed as a C string, through ta_jval_cstr.
 */
long ta_jval_str(const struct ta_jval *v, char *out, size_t cap);
/*
 * The same for a caller that compares or parses the value as a C string (a
 * name, a keyword, a time): -EILSEQ if it holds a NUL and -ERANGE if it does
 * not fit whole (out is then ""), so that "root\u0000x", or a value cut at
 * cap, never passes for "root".
 */
long ta_jval_cstr(const struct ta_jval *v, char *out, size_t cap);
/* A non-negative integer that fits; -EINVAL otherwise (null, fraction, negative). */
int ta_jval_u64(const struct ta_jval *v, uint64_t *out);
int ta_jval_bool(const struct ta_jval *v, int *out);

/*
 * The escape \\uXXXX at p (before end), a surrogate pair as one: its code
 * point, U+FFFD for a surrogate that is not half of a pair, and its length
 * (6 or 12) in *len. 0, or -EBADMSG if p holds no such escape. The one
 * decoder of these escapes (the JSON writer's copy of a record uses it too).
 */
int ta_json_u_escape(const char *p, const char *end, uint32_t *cp, size_t *len);

/* Shortcuts: -ENOENT if the key is missing or null. */
long ta_jobj_str(const struct ta_jobj *o, const char *key, char *out, size_t cap);
long ta_jobj_cstr(const struct ta_jobj *o, const char *key, char *out, size_t cap);
int ta_jobj_u64(const struct ta_jobj *o, const char *key, uint64_t *out);

/* Iterating over an array's elements. */
struct ta_jarr_iter {
	const char *p, *end;
	int first;
};
int ta_jarr_begin(const struct ta_jval *v, struct ta_jarr_iter *it);
/* 1 and *elem, 0 at the end, -EBADMSG. */
int ta_jarr_next(struct ta_jarr_iter *it, struct ta_jval *elem);

/* "2026-03-01T12:00:01.123456789Z" (or +hh:mm offsets) to Unix ns; -EINVAL, or -ERANGE past
 * what uint64 nanoseconds hold (2554). */
int ta_parse_rfc3339(const char *s, uint64_t *ns_out);

#endif

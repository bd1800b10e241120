/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small JSON writer into a growing buffer. Strings are byte strings: valid
 * UTF-8 passes through, control characters and invalid bytes become \u00XX,
 * so the output is always valid JSON whatever the terminal produced.
 */
#ifndef TA_JSON_H
#define TA_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/utf8.h" /* ta_utf8_len, ta_utf8_encode: callers of the writer use them */

struct ta_json {
	union {
		struct ta_buf out;  /* the one growable buffer (common/buf.h) */
		struct {            /* the same fields, as text (buf stays NUL-terminated) */
			char *buf;
			size_t len;
			size_t cap;
			bool oom;   /* an allocation failed: the buffer is incomplete */
		};
	};
	int depth;
	bool need_comma;
};

void ta_json_init(struct ta_json *j);
/*
 * The writer appends to b's bytes: it takes b over (b is left empty) until
 * ta_json_release hands the buffer back with what was written. For callers
 * that build a larger output in a ta_buf around one JSON value.
 */
void ta_json_adopt(struct ta_json *j, struct ta_buf *b);
void ta_json_release(struct ta_json *j, struct ta_buf *b);
void ta_json_free(struct ta_json *j);
void ta_json_reset(struct ta_json *j);
void ta_json_obj_begin(struct ta_json *j);
void ta_json_obj_end(struct ta_json *j);
void ta_json_arr_begin(struct ta_json *j);
void ta_json_arr_end(struct ta_json *j);
void ta_json_key(struct ta_json *j, const char *key);
void ta_json_str(struct ta_json *j, const char *s);
void ta_json_strn(struct ta_json *j, const void *s, size_t n);
void ta_json_u64(struct ta_json *j, uint64_t v);
void ta_json_i64(struct ta_json *j, int64_t v);
void ta_json_bool(struct ta_json *j, bool v);
/* A fixed-point number with that many decimals ("%.3f"), e.g. seconds. */
void ta_json_fixed(struct ta_json *j, double v, int decimals);
void ta_json_null(struct ta_json *j);
void ta_json_base64(struct ta_json *j, const void *data, size_t n);
/* NUL-separated strings (argv) as an array of strings; a last one without its NUL counts. */
void ta_json_strings(struct ta_json *j, const void *list, size_t len);
/* Already-valid JSON text this program wrote (its own escaper's) as a value, copied. */
void ta_json_raw(struct ta_json *j, const char *text, size_t n);
/*
 * Already-valid JSON text read from a log as a value: code points a terminal
 * obeys or that hide themselves (ta_cp_dangerous) become \uXXXX, bytes that
 * are not UTF-8 U+FFFD (a record written before the escaper did so, or by a
 * hostile host).
 */
void ta_json_raw_read(struct ta_json *j, const char *text, size_t n);
/* A uint32 id where (uint32)-1 means unset: number or null. */
void ta_json_id(struct ta_json *j, uint32_t v);
/* "2026-11-21T19:33:10.123456789Z" from CLOCK_REALTIME nanoseconds. */
void ta_json_time(struct ta_json *j, uint64_t realtime_ns);

/*
 * A JSON string of terminal bytes for display (the CLI's JSON, asciicast):
 * the writer's escaper with the display policy (\n \r \t \b \f, bytes that
 * are not UTF-8 as U+FFFD; docs/log-format.md §11.2). Returns the bytes
 * replaced.
 */
uint64_t ta_json_text(struct ta_buf *out, const uint8_t *s, size_t n);
/* The same, as a value of the writer (the CLI's JSON of a session). */
uint64_t ta_json_text_value(struct ta_json *j, const void *s, size_t n);


#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/): a header
 * line {"version": 2, "width", "height", "timestamp", ...} then one event per
 * line [time, code, data] with code "o" (output), "i" (input), "r" (resize,
 * data "COLSxROWS"), "m" (marker). Data must be text: terminal bytes are
 * decoded as UTF-8, invalid bytes become U+FFFD; a character split across
 * two events of one kind is joined first, so valid UTF-8 output survives
 * byte for byte.
 */
#ifndef TA_VIEW_ASCIICAST_H
#define TA_VIEW_ASCIICAST_H

#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/json.h"

struct ta_cast_writer {
	FILE *f;
	double last_t;
	uint8_t pend[2][4];   /* incomplete UTF-8 per kind ("o", "i") */
	uint8_t npend[2];
	double pend_t[2];
	uint64_t replaced;    /* bytes that were not UTF-8 (written as U+FFFD) */
	uint64_t events;
	struct ta_buf line;
};

/*
 * Writes the header. title and command may be NULL. A size beyond the views'
 * bounds (ta_screen_fit, shown.h) is written fitted, in the header and in
 * resize events, which then return 1 (the caller may say so in a marker).
 */
int ta_cast_begin(struct ta_cast_writer *w, FILE *f, unsigned width, unsigned height,
		  uint64_t timestamp_s, const char *title, const char *term);
/* kind: 'o', 'i'. t: seconds since the start (kept non-decreasing). */
void ta_cast_data(struct ta_cast_writer *w, double t, char kind, const void *data, size_t len);
int ta_cast_resize(struct ta_cast_writer *w, double t, unsigned cols, unsigned rows);
void ta_cast_marker(struct ta_cast_writer *w, double t, const char *label);
/* Flushes incomplete characters (as U+FFFD). Returns 0 or -EIO if writing failed. */
int ta_cast_end(struct ta_cast_writer *w);

/* ta_json_text (a JSON string of terminal bytes for display): common/json.h. */

/* Reading a cast back. */
struct ta_cast_header {
	unsigned version, width, height;
	uint64_t timestamp;
};
struct ta_cast_event {
	double t;
	char code[8];
	struct ta_buf data;    /* decoded bytes (caller frees with ta_buf_free) */
};
/* Parses the header line; -EBADMSG if not an asciicast v2 header. */
int ta_cast_parse_header(const char *line, size_t len, struct ta_cast_header *h);
/* Parses one event line into ev (ev->data reset first); -EBADMSG. */
int ta_cast_parse_event(const char *line, size_t len, struct ta_cast_event *ev);

#endif

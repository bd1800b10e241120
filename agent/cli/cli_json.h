/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CLI's JSON output (docs/cli.md "JSON output"): one function a kind of
 * object, each writing from typed values through the one writer
 * (base/json.h). Strings of the log or the terminal take the display policy
 * (ta_json_text_value: invalid UTF-8 as U+FFFD); stored records are copied
 * as the validated JSON they are.
 */
#ifndef TA_CLI_JSON_H
#define TA_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "base/json.h"
#include "index/sesstab.h"
#include "view/transcript.h"

struct session_view;

/* A string for display, as the CLI's JSON writes the terminal's and the log's text. */
void cli_json_text(struct ta_json *j, const char *s);

/*
 * A session's members (query --json, the first line of show --json and
 * export json) into an open object; origin (a fleet host), when given, leads.
 */
void cli_sess_json_members(struct ta_json *j, const struct ta_sesstab *t, const struct ta_sess *s,
			   uint64_t ckpt_size, const char *origin);
/* One session as a JSON object (no newline). */
void cli_sess_json(struct ta_buf *b, const struct ta_sesstab *t, const struct ta_sess *s,
		   uint64_t ckpt_size, const char *origin);

/*
 * The members "shared" and "typed_in_by" of a session another person typed
 * into (query --user --json): the links into s's panes whose typist match
 * says is the person asked about.
 */
typedef int (*cli_link_match_fn)(const void *ctx, const struct ta_sesstab *t,
				 const struct ta_shared_link *l);
void cli_typed_in_json_members(struct ta_json *j, const struct ta_sesstab *t, const struct ta_sess *s,
			       cli_link_match_fn match, const void *ctx);

/* One executed command of a session (query --commands --json), a line with its newline. */
void cli_command_json(struct ta_buf *b, const struct ta_sesstab *t, const struct ta_sess *s,
		      const struct ta_transcript *tr, const struct ta_tev *e, const char *origin);

/*
 * One event of a session's timeline (show --json, export json), a line with
 * its newline; d is its data (as session_view_each passes it).
 */
void cli_event_json(struct ta_buf *b, const struct session_view *v, const struct ta_tev *e,
		    const uint8_t *d);
/*
 * show --json and export --format json: the session line, then its events
 * as session_view_each passes them (a line each, nothing kept). An exit code.
 */
int cli_json_lines(FILE *f, struct session_view *v);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading one session for show, export and replay (cmd_show.c). */
#ifndef TA_CLI_SESSION_VIEW_H
#define TA_CLI_SESSION_VIEW_H

#include "cli/cli_util.h"
#include "view/transcript.h"

struct session_view {
	struct cli_table ct;
	const struct ta_sess *s;
	struct ta_transcript tr;
	char id[32];
};

/* Finds and loads SESSION; returns an exit code (messages printed). */
int session_view_open(struct session_view *v, const char *dir, const char *index_opt, int no_index,
		      const char *arg);
void session_view_close(struct session_view *v);
/* Drops terminal events of other terminals than name ("pts/3" = "pts3"). */
void session_view_keep_tty(struct session_view *v, const char *name);
/* Exit code for damage met (TA_EXIT_CORRUPT with a line on stderr) or OK. */
int session_view_damage_exit(const struct session_view *v);

#endif

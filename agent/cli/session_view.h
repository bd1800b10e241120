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
	const char *dir;
	uint64_t *clients;      /* attach/detach records of others on this session's servers */
	size_t nclients;
	/* From the fleet's database (session_fleet.c) rather than a local log: */
	int fleet;
	char origin[256];       /* the host */
	uint64_t cosigned;      /* size of its latest cosigned checkpoint */
};

/* Finds and loads SESSION; returns an exit code (messages printed). */
int session_view_open(struct session_view *v, const char *dir, const char *index_opt, int no_index,
		      const char *arg);
/*
 * Finds SESSION and passes its events to fn in order without keeping the
 * terminal data (ta_transcript_stream), or loads it when that cannot be done.
 * Returns an exit code; fn's error gives TA_EXIT_FAILURE.
 */
int session_view_stream(struct session_view *v, const char *dir, const char *index_opt,
			int no_index, const char *arg, ta_tev_fn fn, void *ctx);
/*
 * Finds and loads SESSION of the enrolled host whose origin is origin (or the
 * only one containing it) from the fleet's PostgreSQL: the same table and
 * transcript a local log gives. Returns an exit code (messages printed).
 */
int session_view_open_fleet(struct session_view *v, const char *dsn, const char *origin,
			    const char *arg);
/* Where show, export and replay read the session: a local log, or a host of the fleet. */
struct view_source {
	const char *dir, *index_opt;
	int no_index;
	int local;           /* --log-dir, --index or --no-index given */
	const char *fleet;   /* --fleet DSN */
	const char *origin;  /* --origin HOST */
};
/* The options of a source agree (cmd names the command): an exit code, the message printed. */
int view_source_check(const char *cmd, const struct view_source *src);
/* session_view_open or session_view_open_fleet, as src says. */
int view_source_open(struct session_view *v, const struct view_source *src, const char *arg);

/* SESSION in v->ct.t: v->s, id and clients set. An exit code, or -EINVAL: the table is not sane. */
int session_view_pick(struct session_view *v, const char *arg);
void session_view_close(struct session_view *v);
/* Drops terminal events of other terminals than name ("pts/3" = "pts3"). */
void session_view_keep_tty(struct session_view *v, const char *name);
/*
 * For the views of one terminal's screen (show --screen, the asciicast and
 * typescript exports, replay): with name, keeps that terminal's events (and
 * its size), or refuses a name the session never used; without, refuses a session that used several, whose screens
 * merged would be one no terminal showed. cmd and what (or NULL) name the
 * command and view in the message. An exit code (TA_EXIT_USAGE: refused, the line printed).
 */
int session_view_one_tty(struct session_view *v, const char *cmd, const char *what, const char *name);
/* Whether a terminal name is name ("pts/3" = "pts3"). */
int session_view_tty_is(const char *have, const char *name);
/* The window size before the first output (else the first recorded, else 80x24). */
void session_view_start_size(const struct session_view *v, unsigned *cols, unsigned *rows);
/* Exit code for damage met (TA_EXIT_CORRUPT with a line on stderr) or OK. */
int session_view_damage_exit(const struct session_view *v);

/* The attach/detach record indexes of other sessions on the servers of session s's panes. */
int cli_shared_clients(const struct ta_sesstab *t, const struct ta_sess *s, uint64_t **out, size_t *n);
/* Name of a person for the transcript: the login name of their session, else passwd (cli_user_name). */
const char *cli_who(void *ctx, uint32_t auid, uint64_t key, char *buf, size_t cap, size_t *len);

#endif

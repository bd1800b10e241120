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
	int loaded;             /* tr holds every event: the fleet's, or a log that cannot be streamed */
	int keeping;            /* session_view_keep_tty: only the events of terminal keep */
	char keep[64];          /* squashed: "/" is "", a name too */
};

/*
 * How a view of one terminal's screen starts (the asciicast and typescript
 * exports, show --screen): fed the session's events in order until
 * view_start_feed says nothing later can change it.
 */
struct view_start {
	uint64_t first_ns;          /* the first event's time */
	uint64_t term_ns;           /* the first output's or input's */
	unsigned cols, rows;        /* the last size recorded before the first output */
	unsigned first_cols, first_rows; /* the first size recorded */
	char tty[64];               /* the terminal of the first terminal event */
	size_t tty_len;
	uint8_t any, term, output;
};
void view_start_init(struct view_start *s);
/* Takes one event; 1 once the first output and a size are known (later events change nothing). */
int view_start_feed(struct view_start *s, const struct ta_transcript *tr, const struct ta_tev *e);
/* The size before the first output, else the first recorded, else 80x24. */
void view_start_size(const struct view_start *s, unsigned *cols, unsigned *rows);
/* The time views count from: the first output or input, else the first event, else fallback. */
uint64_t view_start_time(const struct view_start *s, uint64_t fallback);

/* A value of fn that ends session_view_each's pass early, as done: not an error. */
#define SESSION_VIEW_STOP 1
/*
 * The session's events to fn in order, only the terminal's that keep_tty or
 * one_tty kept: streamed from the log without keeping the terminal data
 * (ta_transcript_stream), or loaded once where that cannot be done (the
 * fleet, damage, no refs) and passed from memory. May be called again for
 * another pass. Returns an exit code; fn's error gives TA_EXIT_FAILURE.
 */
int session_view_each(struct session_view *v, ta_tev_fn fn, void *ctx);
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
/* The options every view of one session takes, for its struct option table (getopt.h). */
#define VIEW_SOURCE_OPTIONS                                                                   \
	{ "log-dir", required_argument, NULL, 'd' }, { "index", required_argument, NULL, 'X' }, \
	{ "no-index", no_argument, NULL, 'N' }, { "fleet", required_argument, NULL, 'W' },      \
	{ "origin", required_argument, NULL, 'G' }
/* One of VIEW_SOURCE_OPTIONS by its getopt value: 1 if c was one (src set), 0 if not. */
int view_source_option(struct view_source *src, int c, const char *arg);
/* The one SESSION after the options (argv[optind]): TA_EXIT_OK, or the usage line's exit code. */
int view_source_session(const char *cmd, int argc, char **argv);
/* The options of a source agree (cmd names the command): an exit code, the message printed. */
int view_source_check(const char *cmd, const struct view_source *src);
/* Finds SESSION for session_view_each: a local log's events are not read yet; the fleet's are loaded. */
int view_source_find(struct session_view *v, const struct view_source *src, const char *arg);

/* SESSION in v->ct.t: v->s, id and clients set. An exit code, or -EINVAL: the table is not sane. */
int session_view_pick(struct session_view *v, const char *arg);
void session_view_close(struct session_view *v);
/* Keeps only terminal events of name ("pts/3" = "pts3"): from tr if loaded, and in session_view_each. */
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
/* How the session's view starts (the kept terminal's): a pass that stops once it is known. An exit code. */
int session_view_start(struct session_view *v, struct view_start *s);
/* Exit code for damage met (TA_EXIT_CORRUPT with a line on stderr) or OK. */
int session_view_damage_exit(const struct session_view *v);

/*
 * Log-wide gaps inside session s (store gaps, restarts, recoveries, loss
 * naming no session): the header counts them; their records are not among
 * the session's own refs. Their indexes into *out (malloc'd, NULL when none).
 */
int cli_session_gap_indexes(const struct ta_sesstab *t, const struct ta_sess *s, uint64_t **out,
			    size_t *n);
/* The attach/detach record indexes of other sessions on the servers of session s's panes. */
int cli_shared_clients(const struct ta_sesstab *t, const struct ta_sess *s, uint64_t **out, size_t *n);
/* Name of a person for the transcript: the login name of their session, else passwd (cli_user_name). */
const char *cli_who(void *ctx, uint32_t auid, uint64_t key, char *buf, size_t cap, size_t *len);

#endif

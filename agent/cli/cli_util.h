/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the CLI's commands share: opening the log and its index, times, users, errors. */
#ifndef TA_CLI_UTIL_H
#define TA_CLI_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "index/index.h"
#include "index/sesstab.h"
#include "base/buf.h"

/* The session table a command works on, from the index and/or the log. */
struct cli_table {
	const struct ta_sesstab *t;   /* finished table (the index's view or own) */
	struct ta_sesstab own;
	int have_own;
	struct ta_index ix;
	int have_index;               /* t is the index mapping (fresh) */
	const char *source;           /* "index", "index+log", "log"; "none" (CLI_INDEX_USE) */
	char index_path[4096];
	uint64_t damage;              /* damage reports while reading the log */
	char damage_line[512];        /* the first one */
	uint64_t tail_records;
};

enum cli_index_mode {
	CLI_INDEX_AUTO = 0,  /* use a fresh index, update it when writable */
	CLI_INDEX_NONE,      /* read the whole log (--no-index) */
	CLI_INDEX_REBUILD,   /* read the whole log and write the index */
	CLI_INDEX_USE,       /* as AUTO, but never write one, and without one no table
			      * (source "none"): verify's check of it */
};

/*
 * Whether the index the commands would use for dir (index_opt, else the
 * default places) says what the log says: 1 it does, 0 none is used (none,
 * or one the log has outgrown in place: it is read again), -EBADMSG it does
 * not (why says what differs first; path names the file), or another
 * -errno. Reads the log twice.
 */
int cli_index_check(const char *dir, const char *index_opt, char *path, size_t pcap, char *why,
		    size_t wcap);

/*
 * Opens the table for dir. Returns an exit code (TA_EXIT_OK, NOPERM with a
 * line printed, STORAGE, FAILURE). Damage is counted, not fatal.
 */
int cli_table_open(struct cli_table *ct, const char *dir, const char *index_opt, int mode,
		   int want_refs);
void cli_table_close(struct cli_table *ct);

/*
 * A bad command line: one line saying what is wrong (when msg is not NULL;
 * getopt has already named a bad option) and where the options are.
 * Returns TA_EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Maps an -errno from opening the log to an exit code, printing one line. */
int cli_log_error(const char *dir, int err);
/*
 * Every command's first look at the log directory: TA_EXIT_OK, or the exit
 * code with one line printed: TA_EXIT_STORAGE (no such directory, or no log
 * in it: no segment and no checkpoint file), TA_EXIT_NOPERM.
 */
int cli_log_open(const char *dir);

/*
 * A number of seconds (or a factor) as an option's value: decimal, finite,
 * 0 to max; -EINVAL otherwise ("", "nan", "inf", "-1", "1e999", "2x").
 */
int cli_parse_seconds(const char *s, double max, double *out);
/* The most an option's seconds or factor may be: 1e9 s is 31 years. */
#define CLI_SECONDS_MAX 1e9

/* Times: absolute (RFC 3339, "YYYY-MM-DD[ HH:MM[:SS]]" local), relative ("2h",
 * "30m", "45s", "3d", "1w" ago), "now", "today", "yesterday", "@UNIX". */
int cli_parse_time(const char *s, uint64_t now_ns, uint64_t *out_ns);
/* The forms cli_parse_time accepts, for error messages. */
#define CLI_TIME_FORMS "2026-01-31T12:00:00Z (RFC 3339), '2026-01-31 12:00[:00]' or 2026-01-31 " \
	"(local time), @UNIX-SECONDS, now, today, yesterday, or an age: 45s, 30m, 2h, 3d, 1w"
/* "2026-03-01 12:00:01" in local time (or UTC with utc). */
void cli_fmt_time(uint64_t ns, char *out, size_t cap, int utc);
/* RFC 3339 UTC with nanoseconds. */
void cli_fmt_rfc3339(uint64_t ns, char *out, size_t cap);
void cli_fmt_duration(uint64_t ns, char *out, size_t cap);
void cli_fmt_bytes(uint64_t n, char *out, size_t cap);
uint64_t cli_now_ns(void);

/* A decimal uid, or -EINVAL. */
int cli_parse_login_uid(const char *arg, uint32_t *uid_out);
/* A decimal uid or a name of this host's passwd (live views only), or -ENOENT. */
int cli_parse_user(const char *arg, uint32_t *uid_out);
/*
 * The value of an option naming a person (cli_parse_user) or a session
 * (ta_sess_id_parse): TA_EXIT_OK, or TA_EXIT_USAGE with the line printed
 * (opt: the option as the user typed it, "--uid").
 */
int cli_user_option(const char *opt, const char *arg, uint32_t *uid_out);
int cli_session_option(const char *opt, const char *arg, uint64_t *key, int *ses_only);
/*
 * Name for display: session's recorded user, else passwd, else the number. Its
 * length in *len: a recorded name may hold a NUL, shown (neutralised) and
 * written to JSON by that length.
 */
const char *cli_user_name(const struct ta_sesstab *t, const struct ta_sess *s, char *buf, size_t cap,
			  size_t *len);

/*
 * Resolves a SESSION argument to an ordinal in ct's table; prints why not in
 * one line. Exit code or OK: TA_EXIT_CORRUPT when it is not in the intact part
 * of a damaged log (it may have been in the rest).
 */
int cli_find_session(const struct cli_table *ct, const char *arg, size_t *ord);

/*
 * A recorded name (a user, host, program, terminal) as shown in a table or a
 * header: neutralised, and quoted as a shell would ('bob smith') when it holds
 * a space or a quote or shows nothing, so that it never reads as more cells,
 * fields or rows (a user named "mallory", 150 spaces and a session's row).
 */
void cli_put_name(struct ta_buf *o, const char *name, size_t n);
/* Spaces after o's bytes from `from` on, until they take width display columns. */
void cli_pad(struct ta_buf *o, size_t from, unsigned width);

/* Writes the whole buffer to f; 0 or -EIO. */
int cli_flush(struct ta_buf *b, FILE *f);

/* Prints the damage summary line on stderr; returns TA_EXIT_CORRUPT if any. */
int cli_damage_exit(const struct cli_table *ct, uint64_t more_damage, const char *more_line);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ttyauditd.conf: "key = value" lines (docs/ttyauditd.conf.5).
 *
 * Precedence: built-in defaults < the configuration file < the command line.
 * ta_config_build() does all three at start-up; ta_config_reload() does them
 * again on SIGHUP and says what changed, what was applied, and what needs a
 * restart. Every function returns 0 or -errno and never prints: on a bad file
 * err holds one line "FILE:LINE: KEY: what is wrong" for the daemon to log
 * before it exits with TA_EXIT_CONFIG.
 */
#ifndef TA_CONFIG_FILE_H
#define TA_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "config/options.h"
#include "store/store.h"

#define TA_DEFAULT_CONFIG_FILE "/etc/ttyaudit/ttyauditd.conf"

enum ta_config_file_flags {
	TA_CONFIG_OPTIONAL = 1,     /* a missing file is not an error (the default path) */
	TA_CONFIG_CHECK_PERMS = 2,  /* refuse a file another user owns or others may write */
};

/*
 * Applies the settings of the file at path on top of o and store (only the
 * tuning fields of store are set: dir, key_file and origin are the daemon's to
 * fill from o). Filter rules are added to those already in o. -ENOENT if the
 * file is missing (0 with TA_CONFIG_OPTIONAL), -EINVAL on a bad line, -EPERM
 * on unsafe ownership or mode (TA_CONFIG_CHECK_PERMS), other -errno on I/O.
 * On error o and store are unchanged.
 */
int ta_config_file_load(struct ta_daemon_opts *o, struct ta_store_opts *store, const char *path,
			unsigned flags, char *err, size_t err_len);

/* The same on text in memory; name is used in messages ("name:LINE: ..."). */
int ta_config_text_parse(struct ta_daemon_opts *o, struct ta_store_opts *store, const char *name,
			 const char *text, size_t len, char *err, size_t err_len);

/*
 * Start-up: defaults, then the file named by --config FILE / --config=FILE in
 * argv (or TA_DEFAULT_CONFIG_FILE if it exists), then the rest of argv through
 * ta_daemon_opts_parse(). --config is taken out of argv's copy before that, so
 * options.c need not know it. path_out gets the file used ("" if none).
 * Returns TA_OPTS_RUN or TA_OPTS_EXIT (help/version printed to out), or a
 * negative errno with err set and *exit_code TA_EXIT_USAGE (command line) or
 * TA_EXIT_CONFIG (file).
 */
int ta_config_build(struct ta_daemon_opts *o, struct ta_store_opts *store, int argc, char **argv,
		    char *path_out, size_t path_len, char *err, size_t err_len, int *exit_code,
		    void *out /* FILE * */);

/* What a reload changed. Names are the file's keys, comma separated, "" if none. */
struct ta_config_diff {
	bool capture_live;      /* filters or redaction changed: the BPF config must be updated */
	char applied[512];      /* changed and applied at run time */
	char restart[1024];     /* changed in the file or command line but only taken at restart */
};

/*
 * Compares two sets of settings. Filters (the include_ and exclude_ keys)
 * and record_noecho can be applied at run time; everything else needs a restart.
 */
void ta_config_diff(const struct ta_daemon_opts *cur, const struct ta_store_opts *cur_store,
		    const struct ta_daemon_opts *next, const struct ta_store_opts *next_store,
		    struct ta_config_diff *diff);

/*
 * SIGHUP: rebuilds the settings as ta_config_build() did at start-up (same
 * argv) and compares them with the running ones (cur, cur_store). On success
 * *next / *next_store hold what the daemon runs with from now on: the new
 * run-time settings, and the running values of everything that needs a
 * restart (those are named in diff->restart). Run-time fields that are not
 * settings (self_tgid, verbose_libbpf, foreground, verbose) are kept.
 * On a bad file: -errno, err set, next untouched; keep running as before.
 */
int ta_config_reload(const struct ta_daemon_opts *cur, const struct ta_store_opts *cur_store,
		     int argc, char **argv, struct ta_daemon_opts *next,
		     struct ta_store_opts *next_store, struct ta_config_diff *diff, char *err,
		     size_t err_len);

#endif

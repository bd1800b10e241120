/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ttyauditd's settings: defaults, then the command line (and later the config file). */
#ifndef TA_CONFIG_OPTIONS_H
#define TA_CONFIG_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

#define TA_DEFAULT_LOG_DIR "/var/log/ttyaudit"
#define TA_DEFAULT_RING_BYTES (16u << 20)
#define TA_DEFAULT_LOGIN_SOCKET "/run/ttyaudit/login.sock"

struct ta_daemon_opts {
	char log_dir[4096];
	char jsonl_path[4096];         /* empty: no JSON Lines copy */
	char key_file[4096];           /* empty: the store's default */
	char login_socket[108];        /* where audisp-ttyaudit connects */
	char audit_log[4096];          /* back-fill source; empty: auditd's default */
	char rules_file[4096];         /* alert rules; empty: /etc/ttyaudit/rules.conf if present */
	char alerts_jsonl[4096];       /* alerts also appended here; empty: none */
	bool foreground;
	bool verbose;
	struct ta_capture_opts capture;
};

enum ta_opts_result {
	TA_OPTS_RUN = 0,     /* go on */
	TA_OPTS_EXIT = 1,    /* --help/--version was printed */
};

void ta_daemon_opts_defaults(struct ta_daemon_opts *o);
/*
 * Parse argv into o. Returns TA_OPTS_RUN, TA_OPTS_EXIT, or -EINVAL with a
 * one-line reason in err. Help and version text go to `out`.
 */
int ta_daemon_opts_parse(struct ta_daemon_opts *o, int argc, char **argv, char *err,
			 size_t err_len, void *out /* FILE * */);

/* "16M", "65536", "1G": bytes; -EINVAL if malformed or over 4 GiB - 1. */
int ta_parse_size(const char *s, uint32_t *out);
/* "1000", "1000-1999", "1000-": an id range; -EINVAL if malformed. */
int ta_parse_id_range(const char *s, uint32_t *lo, uint32_t *hi);

#endif

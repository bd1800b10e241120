/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libauparse, loaded on first use (base/dl_table.h): the daemon and the plugin
 * parse auditd's stream with it, the CLI only for `verify --audit-log`, and
 * linked it costs every other command its mapping and relocation at start
 * (with libaudit and libcap-ng, which it brings). Types and constants come
 * from auparse.h; the calls go through this table.
 */
#ifndef TA_SESSIONS_AUPARSE_LOAD_H
#define TA_SESSIONS_AUPARSE_LOAD_H

#include <stddef.h>
#include <auparse.h>

#include "base/dl_table.h"

/* The auparse functions the project calls. */
#define TA_AUPARSE_FUNCS(X)                                                                   \
	X(auparse_init) X(auparse_destroy) X(auparse_set_escape_mode) X(auparse_add_callback) \
	X(auparse_feed) X(auparse_flush_feed) X(auparse_feed_age_events)                      \
	X(auparse_next_event) X(auparse_first_record) X(auparse_next_record)                  \
	X(auparse_get_type) X(auparse_get_timestamp) X(auparse_first_field)                   \
	X(auparse_next_field) X(auparse_find_field) X(auparse_get_field_name)                 \
	X(auparse_get_field_str) X(auparse_interpret_field) X(auparse_get_node)               \
	X(auparse_get_field_type)

struct ta_auparse {
	TA_AUPARSE_FUNCS(TA_DL_MEMBER)
};

/*
 * The table, loading libauparse the first time (thread-safe); NULL if the
 * library or one of its functions is missing, with why in err.
 */
const struct ta_auparse *ta_auparse_load(char *err, size_t errlen);

/*
 * For the message at a caller's boundary: with -ELIBACC (what the users of
 * the table return when it cannot be loaded) the loader's line, which names
 * the library and its package, else strerror(-err). buf holds the line.
 */
const char *ta_auparse_strerror(int err, char *buf, size_t len);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one table of the log's record types (include/ttyaudit/log_records.h)
 * and their names: the "type" member of JSON records and JSON Lines, and
 * what the CLI shows. Add a type here and nowhere else.
 */
#ifndef TA_LOGFMT_RECORD_TYPES_H
#define TA_LOGFMT_RECORD_TYPES_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

/* The name of a record type ("session_start"), NULL for a type not in the table. */
const char *ta_rec_type_name(uint16_t type);

/*
 * A capture event kind (enum ta_event_kind, ttyaudit/event.h) in the same
 * table: the record type that stores it (TA_REC_TTY_DATA for terminal data),
 * 0 for a kind not in the table; and its "type" in JSON Lines and the CLI's
 * JSON: terminal data by what it is ("output", "input", "winsize"), the
 * others their record type's name, "unknown" for a kind not in the table.
 */
uint16_t ta_event_record_type(uint16_t kind);
const char *ta_event_kind_name(uint16_t kind);

/*
 * A record other than terminal data as the daemon's parts hand it on (to a
 * sink, through the recorder): its type and session as numbers, its members
 * written once by its producer with the one JSON writer (common/json.h).
 * Nobody downstream parses it: the sink adds "type" (and for JSON Lines the
 * time) around the members and files it under ses.
 */
struct ta_record {
	uint16_t type;          /* enum ta_log_record_type */
	const char *name;       /* the "type" member; NULL: ta_rec_type_name(type) */
	uint32_t ses;           /* the audit session it belongs to; UINT32_MAX: none */
	uint64_t realtime_ns;
	const char *json;       /* one JSON object: its members are the record's */
	size_t len;
	/*
	 * A record a session's own doing made (a shared terminal's attach or
	 * detach: a connect in a loop makes one each time): the writer's queue
	 * admits it within that session's share, as its events, and counts it
	 * as that session's (and auid's) loss when over. Else the daemon's own:
	 * never refused. The session that pays is charge_ses, which may differ
	 * from ses: an attribution is filed under its typist's session and paid
	 * by the pane's, whose writes made it.
	 */
	bool charged;
	uint32_t charge_ses;
	uint32_t auid;
};

/* The record's "type" member. */
static inline const char *ta_record_name(const struct ta_record *r)
{
	const char *n = r->name ? r->name : ta_rec_type_name(r->type);

	return n ? n : "notice";
}

#endif

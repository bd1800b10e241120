// SPDX-License-Identifier: GPL-2.0-or-later
#include "logfmt/record_types.h"

#include "ttyaudit/event.h"
#include "ttyaudit/log_records.h"

/*
 * One row a type. Nothing maps names back to types: records travel between
 * the daemon's parts as typed values (struct ta_record); a producer may give
 * its record another name of the same type (the recorder's "discontinuity").
 */
static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ TA_REC_AGENT_START, "agent_start" },
	{ TA_REC_AGENT_STOP, "agent_stop" },
	{ TA_REC_LOSS, "gap" },
	{ TA_REC_NOTICE, "notice" },
	{ TA_REC_TTY_DATA, "tty_data" },
	{ TA_REC_EXEC, "exec" },
	{ TA_REC_UNCAPTURED, "uncaptured" },
	{ TA_REC_EXIT, "exit" },
	{ TA_REC_UNIX_SOCKET, "unix_socket" },
	{ TA_REC_SESSION_START, "session_start" },
	{ TA_REC_SESSION_END, "session_end" },
	{ TA_REC_LOGIN_FAILED, "login_failed" },
	{ TA_REC_LOGIN_EVENT, "login_event" },
	{ TA_REC_SESSION_UPDATE, "session_update" },
	{ TA_REC_ATTACH, "attach" },
	{ TA_REC_DETACH, "detach" },
	{ TA_REC_ATTRIBUTION, "attribution" },
	{ TA_REC_ALERT, "alert" },
	{ TA_REC_FOOTPRINT, "footprint" },
};

const char *ta_rec_type_name(uint16_t type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	return NULL;
}

/* The capture events: one row a kind; name NULL: the record type's. */
static const struct {
	uint16_t kind;
	uint16_t type;
	const char *name;
} kinds[] = {
	{ TA_EV_TTY_OUTPUT, TA_REC_TTY_DATA, "output" },
	{ TA_EV_TTY_INPUT, TA_REC_TTY_DATA, "input" },
	{ TA_EV_WINSIZE, TA_REC_TTY_DATA, "winsize" },
	{ TA_EV_EXEC, TA_REC_EXEC, NULL },
	{ TA_EV_UNCAPTURED, TA_REC_UNCAPTURED, NULL },
	{ TA_EV_EXIT, TA_REC_EXIT, NULL },
	{ TA_EV_UNIX_SOCKET, TA_REC_UNIX_SOCKET, NULL },
	{ TA_EV_FOOTPRINT, TA_REC_FOOTPRINT, NULL },
};

uint16_t ta_event_record_type(uint16_t kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].type;
	return 0;
}

const char *ta_event_kind_name(uint16_t kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name ? kinds[i].name : ta_rec_type_name(kinds[i].type);
	return "unknown";
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The record-type table (agent/logfmt/record_types.c): every type has one name, no name two types. */
#include <string.h>

#include "check.h"
#include "logfmt/record_types.h"
#include "ttyaudit/event.h"
#include "ttyaudit/log_records.h"

int main(void)
{
	static const uint16_t all[] = {
		TA_REC_AGENT_START, TA_REC_AGENT_STOP, TA_REC_LOSS, TA_REC_NOTICE, TA_REC_TTY_DATA,
		TA_REC_EXEC, TA_REC_UNCAPTURED, TA_REC_EXIT, TA_REC_UNIX_SOCKET,
		TA_REC_SESSION_START, TA_REC_SESSION_END, TA_REC_LOGIN_FAILED, TA_REC_LOGIN_EVENT,
		TA_REC_SESSION_UPDATE, TA_REC_ATTACH, TA_REC_DETACH, TA_REC_ATTRIBUTION, TA_REC_ALERT,
		TA_REC_FOOTPRINT,
	};
	const size_t n = sizeof(all) / sizeof(all[0]);

	for (size_t i = 0; i < n; i++) {
		const char *name = ta_rec_type_name(all[i]);
		CHECK(name != NULL);
		for (size_t k = 0; name && k < i; k++)
			CHECK(strcmp(name, ta_rec_type_name(all[k])) != 0);
	}
	CHECK_EQ_STR(ta_rec_type_name(TA_REC_SESSION_START), "session_start");
	CHECK_EQ_STR(ta_rec_type_name(TA_REC_LOSS), "gap");
	CHECK_EQ_STR(ta_rec_type_name(TA_REC_FOOTPRINT), "footprint");
	CHECK(ta_rec_type_name(0x01ff) == NULL);

	/* Capture event kinds: terminal data is stored as tty_data and named by what it is; the
	 * others are stored as, and named like, their own record type. */
	static const uint16_t tty[] = { TA_EV_TTY_OUTPUT, TA_EV_TTY_INPUT, TA_EV_WINSIZE };
	static const char *const tty_names[] = { "output", "input", "winsize" };
	for (size_t i = 0; i < 3; i++) {
		CHECK(ta_event_record_type(tty[i]) == TA_REC_TTY_DATA);
		CHECK_EQ_STR(ta_event_kind_name(tty[i]), tty_names[i]);
	}
	static const struct {
		uint16_t kind, type;
	} rec[] = {
		{ TA_EV_EXEC, TA_REC_EXEC }, { TA_EV_UNCAPTURED, TA_REC_UNCAPTURED },
		{ TA_EV_EXIT, TA_REC_EXIT }, { TA_EV_UNIX_SOCKET, TA_REC_UNIX_SOCKET },
		{ TA_EV_FOOTPRINT, TA_REC_FOOTPRINT },
	};
	for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++) {
		CHECK(ta_event_record_type(rec[i].kind) == rec[i].type);
		CHECK_EQ_STR(ta_event_kind_name(rec[i].kind), ta_rec_type_name(rec[i].type));
	}
	CHECK_EQ_STR(ta_event_kind_name(TA_EV_UNIX_SOCKET), "unix_socket");
	CHECK(ta_event_record_type(0) == 0 && ta_event_record_type(99) == 0);
	CHECK_EQ_STR(ta_event_kind_name(99), "unknown");
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The record-type table (agent/logfmt/record_types.c): every type has one name, no name two types. */
#include <string.h>

#include "check.h"
#include "logfmt/record_types.h"
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
	return check_result();
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The record-type table (agent/logfmt/record_types.c): names and ids agree both ways. */
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
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *name = ta_rec_type_name(all[i]);
		CHECK(name != NULL);
		if (name)
			CHECK_EQ_INT(ta_rec_type_of(name), all[i]);
	}
	CHECK_EQ_STR(ta_rec_type_name(TA_REC_SESSION_START), "session_start");
	CHECK_EQ_STR(ta_rec_type_name(TA_REC_LOSS), "gap");
	CHECK_EQ_INT(ta_rec_type_of("discontinuity"), TA_REC_LOSS); /* the recorder's other loss */
	CHECK_EQ_INT(ta_rec_type_of("something_new"), TA_REC_NOTICE); /* kept, not dropped */
	CHECK(ta_rec_type_name(0x01ff) == NULL);
	return check_result();
}

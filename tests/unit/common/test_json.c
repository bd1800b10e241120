// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "check.h"
#include "common/json.h"

int main(void)
{
	struct ta_json j;

	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "s");
	ta_json_strn(&j, "a\"b\\c\n\x1b[31m\x7f", 12);
	ta_json_key(&j, "u");
	ta_json_str(&j, "caf\xc3\xa9");          /* valid UTF-8 kept */
	ta_json_key(&j, "bad");
	ta_json_strn(&j, "\xff\xc3(", 3);         /* invalid bytes escaped */
	ta_json_key(&j, "id");
	ta_json_id(&j, 0xffffffffu);
	ta_json_key(&j, "n");
	ta_json_u64(&j, 18446744073709551615ULL);
	ta_json_key(&j, "a");
	ta_json_arr_begin(&j);
	ta_json_bool(&j, true);
	ta_json_i64(&j, -5);
	ta_json_arr_end(&j);
	ta_json_obj_end(&j);
	CHECK_EQ_STR(j.buf, "{\"s\":\"a\\\"b\\\\c\\u000a\\u001b[31m\\u007f\",\"u\":\"caf\xc3\xa9\","
			    "\"bad\":\"\\u00ff\\u00c3(\",\"id\":null,\"n\":18446744073709551615,"
			    "\"a\":[true,-5]}");
	ta_json_reset(&j);
	ta_json_time(&j, 1700000000123456789ULL);
	CHECK_EQ_STR(j.buf, "\"2023-11-14T22:13:20.123456789Z\"");
	/* Overlong encoding of '/' and a surrogate are not UTF-8. */
	ta_json_reset(&j);
	ta_json_strn(&j, "\xc0\xaf\xed\xa0\x80", 5);
	CHECK_EQ_STR(j.buf, "\"\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"");
	ta_json_free(&j);

	/* argv: NUL-separated, the last string with or without its NUL; empty strings kept. */
	ta_json_init(&j);
	ta_json_strings(&j, "ls\0-l\0\0x", 8);
	CHECK_EQ_STR(j.buf, "[\"ls\",\"-l\",\"\",\"x\"]");
	ta_json_reset(&j);
	ta_json_strings(&j, "a\0", 2);
	CHECK_EQ_STR(j.buf, "[\"a\"]");
	ta_json_reset(&j);
	ta_json_strings(&j, "", 0);
	CHECK_EQ_STR(j.buf, "[]");
	ta_json_free(&j);
	return check_result();
}

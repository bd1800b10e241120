// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdlib.h>

#include "check.h"
#include "base/json.h"
#include "base/utf8.h"

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

	/*
	 * Into a caller's buffer (the CLI's session object): appended after what
	 * it holds; display strings (\n, U+FFFD) beside log strings (\u00XX);
	 * fixed-point seconds; u64 at 0.
	 */
	struct ta_buf b;
	ta_buf_init(&b);
	ta_buf_puts(&b, "x=");
	ta_json_adopt(&j, &b);
	CHECK_EQ_INT(b.len, 0);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "t");
	CHECK_EQ_INT(ta_json_text_value(&j, "a\n\xff", 3), 1);
	ta_json_key(&j, "l");
	ta_json_strn(&j, "a\n\xff", 3);
	ta_json_key(&j, "d");
	ta_json_fixed(&j, 1.23456, 3);
	ta_json_key(&j, "z");
	ta_json_u64(&j, 0);
	ta_json_key(&j, "inf");
	ta_json_fixed(&j, 1e308 * 10, 3);
	ta_json_key(&j, "k\"\n"); /* a key that needs the escaper */
	ta_json_null(&j);
	ta_json_obj_end(&j);
	ta_json_release(&j, &b);
	CHECK_EQ_INT(j.len, 0);
	ta_buf_putc(&b, '\0');
	CHECK_EQ_STR((const char *)b.p, "x={\"t\":\"a\\n\xef\xbf\xbd\",\"l\":\"a\\u000a\\u00ff\","
					"\"d\":1.235,\"z\":0,\"inf\":null,\"k\\\"\\u000a\":null}");
	ta_buf_free(&b);

	/*
	 * What a terminal obeys or cannot show, in valid UTF-8 (C1 CSI U+009B and
	 * OSC U+009D, an RLO bidi override, a zero-width space, a tag character):
	 * \uXXXX in both policies and in raw JSON copied from a log, so the JSON
	 * text shown on a terminal is inert; the same strings to a JSON reader.
	 */
	ta_json_init(&j);
	ta_json_arr_begin(&j);
	ta_json_strn(&j, "\xc2\x9b" "2J\xc2\x9d" "0;x\xe2\x80\xae" "r\xe2\x80\x8b" "m\xf3\xa0\x80\x81", 21);
	ta_json_text_value(&j, "\xc2\x9b" "2J\xe2\x80\xae", 7);
	ta_json_raw_read(&j, "{\"a\":\"\xc2\x9b" "1A caf\xc3\xa9 \xff\"}", 20);
	ta_json_arr_end(&j);
	CHECK_EQ_STR(j.buf, "[\"\\u009b2J\\u009d0;x\\u202er\\u200bm\\udb40\\udc01\","
			    "\"\\u009b2J\\u202e\",{\"a\":\"\\u009b1A caf\xc3\xa9 \\ufffd\"}]");
	ta_json_free(&j);

	/*
	 * Whitespace between a copied record's tokens (valid JSON, from a host
	 * that writes its records so) is dropped: a CR or a line break would
	 * move the cursor or split a JSON Lines line. Inside strings nothing
	 * changes, escaped quotes and backslashes included.
	 */
	ta_json_init(&j);
	ta_json_arr_begin(&j);
	static const char spaced[] = "{\"type\":\"exec\",\r\n\"s\":\"a b\\\" \\\\\" ,\t\"n\" : [ 1 ,2 ]\n}";
	ta_json_raw_read(&j, spaced, sizeof(spaced) - 1);
	ta_json_arr_end(&j);
	CHECK_EQ_STR(j.buf, "[{\"type\":\"exec\",\"s\":\"a b\\\" \\\\\",\"n\":[1,2]}]");
	ta_json_free(&j);

	/*
	 * An escaped surrogate that is not half of a pair (which a strict reader
	 * refuses), and DEL: \ufffd and \u007f, as ta_json_text writes them; a
	 * pair, and a backslash before a 'u' that is not an escape, untouched.
	 */
	ta_json_init(&j);
	static const char lone[] = "{\"argv\":[\"lone\\ud800hi\",\"low\\udc00\",\"del\x7f\","
				   "\"pair\\ud83d\\ude00\",\"end\\ud800\",\"bs\\\\ud800\"]}";
	ta_json_raw_read(&j, lone, sizeof(lone) - 1);
	CHECK_EQ_STR(j.buf, "{\"argv\":[\"lone\\ufffdhi\",\"low\\ufffd\",\"del\\u007f\","
			    "\"pair\\ud83d\\ude00\",\"end\\ufffd\",\"bs\\\\ud800\"]}");
	ta_json_free(&j);

	/*
	 * Combining marks (docs/cli.md): four on one character are kept, more are
	 * \uXXXX, as is an enclosing mark and a mark with no character under it
	 * (first in a string, after an escape); the same in a copied record.
	 */
	ta_json_init(&j);
	ta_json_arr_begin(&j);
	ta_json_str(&j, "e\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85\xcc\x86 cafe\xcc\x81");
	ta_json_str(&j, "\xcc\x81" "a\n\xcc\x81 1\xe2\x83\xa3");
	ta_json_text_value(&j, "\xd7\xa9\xd7\x81\xd6\xbc\xd6\xb8\xd6\x94", 10);
	static const char piled[] = "{\"a\":\"x\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85\",\"b\":\"\xcc\x81\"}";
	ta_json_raw_read(&j, piled, sizeof(piled) - 1);
	ta_json_arr_end(&j);
	CHECK_EQ_STR(j.buf, "[\"e\xcc\x81\xcc\x82\xcc\x83\xcc\x84\\u0305\\u0306 cafe\xcc\x81\","
			    "\"\\u0301a\\u000a\\u0301 1\\u20e3\","
			    "\"\xd7\xa9\xd7\x81\xd6\xbc\xd6\xb8\xd6\x94\","
			    "{\"a\":\"x\xcc\x81\xcc\x82\xcc\x83\xcc\x84\\u0305\",\"b\":\"\\u0301\"}]");
	ta_json_free(&j);
	return check_result();
}

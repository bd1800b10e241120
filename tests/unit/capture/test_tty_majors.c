// SPDX-License-Identifier: GPL-2.0-or-later
#include "capture/capture.h"
#include "check.h"

int main(void)
{
	static const char devices[] =
		"Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n  4 ttyS\n  5 /dev/tty\n"
		"  5 /dev/console\n  5 /dev/ptmx\n  7 vcs\n 10 misc\n128 ptm\n136 pts\n188 ttyUSB\n"
		"229 hvc\n254 ndctl\n\nBlock devices:\n  4 ttyfake\n  7 loop\n";
	uint8_t is_tty[512];

	CHECK(ta_tty_majors_parse(devices, is_tty, sizeof(is_tty)) > 0);
	CHECK_EQ_INT(is_tty[4], 1);
	CHECK_EQ_INT(is_tty[5], 1);
	CHECK_EQ_INT(is_tty[128], 1);
	CHECK_EQ_INT(is_tty[136], 1);
	CHECK_EQ_INT(is_tty[188], 1);
	CHECK_EQ_INT(is_tty[229], 1);
	CHECK_EQ_INT(is_tty[1], 0);
	CHECK_EQ_INT(is_tty[7], 0);   /* vcs: not a tty, and block "loop" ignored */
	CHECK_EQ_INT(is_tty[10], 0);
	CHECK_EQ_INT(is_tty[254], 0);
	CHECK_EQ_INT(ta_tty_majors_parse("garbage\n 99999999999 tty\n", is_tty, sizeof(is_tty)),
		     -2 /* -ENOENT */);
	CHECK_EQ_INT(ta_tty_majors_parse("Character devices:\n600 tty\n", is_tty, sizeof(is_tty)),
		     -2);
	return check_result();
}

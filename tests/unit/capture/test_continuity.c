// SPDX-License-Identifier: GPL-2.0-or-later
/* Chunk continuity: holes inside a call, lost tails, interleaved calls. */
#include "capture/continuity.h"
#include "check.h"

int main(void)
{
	struct ta_continuity c;
	struct ta_cont_result r;

	ta_continuity_init(&c);
	/* A whole call in three chunks. */
	ta_continuity_feed(&c, 1, 0, 4096, 10000, &r);
	CHECK_EQ_INT(r.missing_before, 0);
	CHECK_EQ_INT(r.complete, 0);
	ta_continuity_feed(&c, 1, 4096, 4096, 10000, &r);
	ta_continuity_feed(&c, 1, 8192, 1808, 10000, &r);
	CHECK_EQ_INT(r.complete, 1);
	CHECK_EQ_INT(c.bytes_missing, 0);

	/* A hole in the middle. */
	ta_continuity_feed(&c, 2, 0, 100, 300, &r);
	ta_continuity_feed(&c, 2, 200, 100, 300, &r);
	CHECK_EQ_INT(r.missing_before, 100);
	CHECK_EQ_INT(r.complete, 1);

	/* First chunk lost. */
	ta_continuity_feed(&c, 3, 50, 50, 100, &r);
	CHECK_EQ_INT(r.missing_before, 50);

	/* Two calls interleaved (another task on the same CPU): no false holes. */
	ta_continuity_feed(&c, 10, 0, 10, 20, &r);
	ta_continuity_feed(&c, 11, 0, 10, 20, &r);
	ta_continuity_feed(&c, 10, 10, 10, 20, &r);
	CHECK_EQ_INT(r.missing_before, 0);
	CHECK_EQ_INT(r.complete, 1);
	ta_continuity_feed(&c, 11, 10, 10, 20, &r);
	CHECK_EQ_INT(r.missing_before, 0);
	CHECK_EQ_INT(r.complete, 1);

	/* A tail that never comes is still owed at the end. */
	ta_continuity_feed(&c, 20, 0, 10, 30, &r);
	CHECK_EQ_INT(ta_continuity_pending(&c), 20);
	CHECK_EQ_INT(c.bytes_missing, 150);
	return check_result();
}

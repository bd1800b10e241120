// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The collector's database queries per host and second (collector/ack_rate.h):
 * a host flooding its acknowledgement subject makes TA_ACK_RATE_PER_S queries
 * a second and gets its last answer for the rest, the next second as many
 * queries again; other hosts are asked for meanwhile, however many hosts
 * have asked before; a host with no answer kept yet, or only one from an
 * earlier second, is always asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "collector/ack_rate.h"

static void host_name(char out[TA_FLEET_HASH_HEX + 1], unsigned i)
{
	snprintf(out, TA_FLEET_HASH_HEX + 1, "%016x", i);
}

int main(void)
{
	struct ta_ack_rate *r = calloc(1, sizeof(*r));
	char flood[TA_FLEET_HASH_HEX + 1], other[TA_FLEET_HASH_HEX + 1];
	struct ta_ack_rate_slot *slot;
	unsigned queries = 0, others = 0, cached_right = 0;

	if (!r)
		return 1;
	host_name(flood, 7);
	host_name(other, 8);
	for (unsigned i = 0; i < 10000; i++) {
		char answer[32];
		int n = snprintf(answer, sizeof(answer), "size %u", i);

		if (ta_ack_rate_ask(r, flood, 100, &slot)) {
			queries++;
			CHECK_EQ_INT(ta_ack_rate_remember(slot, answer, (size_t)n), 0);
		} else {
			cached_right += slot->last_len == 7 && !memcmp(slot->last, "size 49", 7);
		}
		if (i % 1000 == 0 && ta_ack_rate_ask(r, other, 100, &slot)) {
			others++;
			CHECK_EQ_INT(ta_ack_rate_remember(slot, NULL, 0), 0);
		}
	}
	CHECK_EQ_INT(queries, TA_ACK_RATE_PER_S);
	CHECK_EQ_INT(cached_right, 10000 - TA_ACK_RATE_PER_S);
	CHECK_EQ_INT(others, 10);
	CHECK_EQ_INT(r->from_last, 10000 - TA_ACK_RATE_PER_S);
	/* The next second, asked for again. */
	CHECK(ta_ack_rate_ask(r, flood, 101, &slot));
	/*
	 * A second whose queries all failed (nothing remembered): the answer of
	 * an earlier second is not served, the database is asked again.
	 */
	unsigned failed_second = 0;
	for (int k = 0; k < TA_ACK_RATE_PER_S + 10; k++)
		failed_second += ta_ack_rate_ask(r, flood, 105, &slot);
	CHECK_EQ_INT(failed_second, TA_ACK_RATE_PER_S + 10);
	/* Many more hosts than slots: each is asked for (a forgotten host starts over). */
	unsigned fresh = 0;
	for (unsigned i = 0; i < 4 * TA_ACK_RATE_SLOTS; i++) {
		char h[TA_FLEET_HASH_HEX + 1];

		host_name(h, 1000 + i);
		for (int k = 0; k < TA_ACK_RATE_PER_S + 5; k++)
			fresh += ta_ack_rate_ask(r, h, 102, &slot);
	}
	/* None of them had an answer kept: asked for every time. */
	CHECK_EQ_INT(fresh, 4 * TA_ACK_RATE_SLOTS * (TA_ACK_RATE_PER_S + 5));
	ta_ack_rate_free(r);
	return check_result();
}

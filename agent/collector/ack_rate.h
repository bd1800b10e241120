/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How often the collector asks the database for one host's acknowledgement
 * (ttyaudit.<h>.ack). A shipper asks once per round, and while it catches up
 * after an outage hundreds of times a second; a hostile host can ask without
 * end. Every answer was a database query on the one thread that answers every
 * host. Beyond TA_ACK_RATE_PER_S queries in a second a host is answered with
 * its last answer, kept here (at most a second old: the shipper only learns
 * its cosigned size a round later), and the request is counted. A bounded
 * table: a host forgotten to make room starts over.
 */
#ifndef TTYAUDIT_COLLECTOR_ACK_RATE_H
#define TTYAUDIT_COLLECTOR_ACK_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleet/fleet.h"

#define TA_ACK_RATE_PER_S 50
#define TA_ACK_RATE_SLOTS 1024

struct ta_ack_rate_slot {
	char host[TA_FLEET_HASH_HEX + 1]; /* "" when free */
	uint64_t second;
	uint32_t asked;                   /* database queries this second */
	bool have_last;
	uint64_t last_second;             /* when the last answer was asked for */
	char *last;                       /* the last answer (NULL and 0: an empty one) */
	size_t last_len;
};

struct ta_ack_rate {
	struct ta_ack_rate_slot slot[TA_ACK_RATE_SLOTS];
	uint64_t from_last; /* requests answered with the last answer */
};

/*
 * The host's slot for a request made in second now_s. true: ask the
 * database, then ta_ack_rate_remember the answer; false: answer with
 * slot->last (counted).
 */
bool ta_ack_rate_ask(struct ta_ack_rate *r, const char *host, uint64_t now_s,
		     struct ta_ack_rate_slot **slot);
/*
 * Keeps the answer of the query ta_ack_rate_ask allowed; 0, or -ENOMEM (the
 * answer is then not kept: the next request asks the database).
 */
int ta_ack_rate_remember(struct ta_ack_rate_slot *slot, const char *answer, size_t len);
void ta_ack_rate_free(struct ta_ack_rate *r);

#endif

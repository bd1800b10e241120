/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The records message (docs/fleet.md, "On the wire"): consecutive records of
 * one host in one JetStream message, so that a message, its acknowledgement
 * and the stream's replicated updates are paid per batch, not per record.
 * The one codec of the format, for the shipper and the collector.
 *
 *   "TAB1"               magic and version
 *   first index          8 bytes, big-endian
 *   count                4 bytes, big-endian, 1..TA_FLEET_BATCH_RECORDS
 *   count times:         4 bytes length (big-endian), the record exactly as
 *                        stored on the host (its Merkle leaf bytes)
 *
 * "TAB2" is the same followed by the add-checkpoint request of the checkpoint
 * whose size ends the batch (4 bytes length, the request as the checkpoints
 * subject carries it): a checkpoint travels with the records it covers, so
 * that the collector that takes them takes both (two messages in a row often
 * went to two collectors, and the checkpoint waited for the other's commit).
 * Its message id is "<origin>/<first>-<last>/checkpoint/<size>/<old>/<digest>".
 *
 * Record i must carry index first + i. The message id is
 * "<origin>/<first>-<last>/<digest>", <digest> the first TA_FLEET_MSGID_DIGEST
 * bytes of the body's SHA-256 in lowercase hex: a batch published again with
 * the same bytes is a JetStream duplicate; one with other bounds (after a
 * restart) is a new message whose records the collector takes as duplicates
 * by index. JetStream keeps one duplicate table per stream, whatever the
 * subject: without the digest another host could publish these ids on its own
 * subject first and have this host's messages dropped as duplicates.
 */
#ifndef TA_FLEET_BATCH_H
#define TA_FLEET_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define TA_FLEET_BATCH_MAGIC "TAB1"
#define TA_FLEET_BATCH_MAGIC_CKPT "TAB2"    /* records, then a checkpoint request */
#define TA_FLEET_BATCH_REQUEST_MAX (64u << 10) /* a checkpoint request's bytes, at most */
#define TA_FLEET_BATCH_HEAD 16              /* magic, first, count */
#define TA_FLEET_BATCH_RECORDS 256          /* records in one message, at most */
#define TA_FLEET_BATCH_BYTES (256u << 10)   /* their bytes, unless one record alone is larger */
/*
 * The largest record index or tree size the fleet takes: PostgreSQL's bigint.
 * Beyond it an index is stored negative (query --fleet's hole check of the
 * host then overflowed and failed for every host) and a checkpoint's size
 * fails its statements (the whole batch, again at each redelivery). No log
 * reaches it; a host that claims it is refused.
 */
#define TA_FLEET_INDEX_MAX ((uint64_t)INT64_MAX)

struct ta_fleet_batch_enc {
	struct ta_buf b;
	uint64_t first;
	uint32_t count;
	size_t bytes;   /* of the records alone */
};

/* Starts an empty batch whose first record is index first (the buffer is reused). */
void ta_fleet_batch_begin(struct ta_fleet_batch_enc *e, uint64_t first);
/*
 * Adds the next record: 1 added, 0 the batch is full (send it and begin
 * another), -ENOMEM. A record larger than TA_FLEET_BATCH_BYTES goes alone.
 */
int ta_fleet_batch_add(struct ta_fleet_batch_enc *e, const void *rec, size_t len);
/* The message body (valid until the next begin); -ENOMEM if a write failed. */
int ta_fleet_batch_end(struct ta_fleet_batch_enc *e, const void **data, size_t *len);
/*
 * The same with a checkpoint request after the records ("TAB2"); -EMSGSIZE if
 * the request is empty or above TA_FLEET_BATCH_REQUEST_MAX.
 */
int ta_fleet_batch_end_ckpt(struct ta_fleet_batch_enc *e, const void *req, size_t req_len,
			    const void **data, size_t *len);
void ta_fleet_batch_enc_free(struct ta_fleet_batch_enc *e);
/* "<origin>/<first>-<last>" into out (ta_fleet_msgid_seal ends it); -ENAMETOOLONG. */
int ta_fleet_batch_msgid(const char *origin, uint64_t first, uint32_t count, char *out,
			 size_t outlen);

#define TA_FLEET_MSGID_DIGEST 16 /* bytes of the body's SHA-256 ending a message id */

struct ta_hasher;
struct ta_fleet_batch;
/*
 * Ends a message id (NUL-terminated in id[idlen]) with "/" and the digest of
 * body: another host cannot produce it without the bytes. -ENAMETOOLONG.
 */
int ta_fleet_msgid_seal(struct ta_hasher *h, char *id, size_t idlen, const void *body, size_t len);
/*
 * The collector's check of a message's id: it names origin (the host of the
 * subject it came on), has the shape of its kind, and ends with body's digest.
 * records: a message of the records subject, b its parsed batch (its bounds
 * and checkpoint must be the id's) or NULL when it is no batch; else one of
 * the checkpoints subject ("<origin>/checkpoint/<size>/<old>/<digest>").
 * 0, or -EBADMSG and *why.
 */
int ta_fleet_msgid_check(struct ta_hasher *h, const char *id, const char *origin, int records,
			 const struct ta_fleet_batch *b, const void *body, size_t len,
			 const char **why);

struct ta_fleet_batch {
	const uint8_t *p, *end;
	uint64_t first;
	uint32_t count, i;
	const uint8_t *ckpt; /* "TAB2": the checkpoint request after the records, else NULL */
	size_t ckpt_len;
	int bare;            /* the message is one stored record alone (a shipper before batches) */
};

/*
 * Checks a whole message from the network before anything of it is used:
 * magic, count, every length within the message and the lengths filling it
 * exactly, the byte bound, and every record's envelope (ta_stored_record_parse)
 * with index first + i, at most TA_FLEET_INDEX_MAX, and for "TAB2" one checkpoint request of 1 to
 * TA_FLEET_BATCH_REQUEST_MAX bytes ending the message (its content is the
 * witness's to check). A message that is one stored record alone, as shippers
 * before batches sent it, is a batch of that one record (a stored record starts
 * with its length: never a magic). 0, or -EBADMSG and *why says what (one phrase).
 */
int ta_fleet_batch_parse(const void *data, size_t len, struct ta_fleet_batch *b, const char **why);
/* The next record of a parsed batch: 1, or 0 after the last. */
int ta_fleet_batch_next(struct ta_fleet_batch *b, const uint8_t **rec, size_t *len);

#endif

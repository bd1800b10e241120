/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fleet collector (docs/fleet.md): takes batches of records and
 * checkpoints from the JetStream consumer it shares with other instances,
 * recomputes each host's Merkle tree from the records, checks checkpoints
 * against the host's enrolled key and the tree, commits to PostgreSQL, and
 * only then cosigns with the witness library. What it refuses is kept as
 * evidence with an alarm line.
 */
#ifndef TA_COLLECTOR_H
#define TA_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libpq-fe.h>
#include <nats/nats.h>

#include "store/merkle.h"
#include "store/note.h"
#include "base/buf.h"

/* A checkpoint of the batch, handled after its records, in origin order. */
struct ta_collect_ckpt {
	natsMsg *m;
	const char *body; /* the add-checkpoint request: m's data, or after its records ("TAB2") */
	size_t len;
	size_t host;   /* in hosts[] */
	size_t seq;    /* arrival: a host's checkpoints keep their stream order */
	int64_t entered_ns; /* when it entered the stream (CLOCK_REALTIME; 0 unknown) */
	int tries;     /* taken from parked (park.c, its row locked): tries so far; else 0 */
};

/* A parked checkpoint's row (park.c). */
struct ta_parked_key {
	char origin[256];
	uint8_t sha256[TA_HASH_LEN];
};

/* An enrolled host. */
struct host {
	char origin[256];
	struct ta_verifier *key;
	/*
	 * The first leaf a read of the tree from hole_from found missing (valid
	 * when hole_known): a checkpoint that needs it waits without reading its
	 * leaves again while a probe of that one leaf still finds nothing.
	 */
	uint64_t hole, hole_from;
	int hole_known;
};

/* A record of the batch, written with the others in one statement by drain(). */
struct ta_collect_pending {
	natsMsg *m;          /* its message (several records share one) */
	const uint8_t *rec;  /* the record's bytes, in m's data */
	size_t rec_len;
	size_t host;         /* in hosts[] */
	uint64_t index, session, time_ns;
	uint16_t type;
	uint8_t leaf[TA_HASH_LEN];
	int skip;    /* equal to an earlier one of the batch: a duplicate, not sent */
	int fork;    /* its leaf differs from the one stored (or earlier in the batch) at its index */
	int recheck; /* not inserted, its stored leaf not yet visible: read again */
};

/* A leaf the batch holds (new, or equal to the stored one), for checkpoints of the batch. */
struct ta_collect_leaf {
	size_t host;
	uint64_t index;
	uint8_t leaf[TA_HASH_LEN];
};

/* The records statement's parameters: 8 columns of records, 5 of session facts. */
#define TA_COLLECT_ARRAYS 13

struct ta_rec_decoder;

struct ta_collector {
	PGconn *db;                  /* the batch connection (one transaction per batch) */
	int in_tx;                   /* a transaction is open on db (main.c) */
	struct ta_signer *cosigner;  /* cosignature/v1 key */
	struct ta_hasher *hasher;
	struct ta_collect_pending *pending;
	size_t n_pending, cap_pending;
	struct ta_collect_pending **ord; /* the records statement in flight: its rows */
	uint32_t n_sent;
	int inflight;
	struct ta_collect_leaf *bl;  /* the batch's leaves, by (host, index) */
	size_t n_bl, cap_bl;
	struct ta_collect_ckpt *ckq;
	size_t n_ckq, cap_ckq;
	struct { char hash[24]; struct host h; } *hosts; /* enrolled hosts seen lately */
	size_t n_hosts;
	time_t hosts_at;             /* when the first of them was looked up */
	struct ta_buf arr[TA_COLLECT_ARRAYS]; /* drain()'s array parameters, reused */
	struct ta_rec_decoder *dec;  /* the session index's facts (collect.c facts_build) */
	struct {                     /* the witness state read with the host's lock */
		int valid, have;
		uint64_t size;
		uint8_t root[TA_HASH_LEN];
	} wc;
	uint64_t records, checkpoints, cosigned, duplicates, refused, deferred;
	uint64_t hole_probes;         /* checkpoints deferred by one leaf's probe, no read */
	uint64_t deferred_records;    /* of deferred: its records were not all stored yet */
	uint64_t fetch_early;         /* waits for messages ended early by a status (main.c) */
	/*
	 * Checkpoints older than the host's tree, of a size not stored: their
	 * root read from the host's leaves (O(size)), those delayed for it, and
	 * when the next such read may start (CLOCK_MONOTONIC, ms).
	 */
	uint64_t older_read, older_delayed, older_next_ms;
	int older_said;               /* the delay was logged (once per process) */
	uint32_t *stream_ms;          /* per cosigned checkpoint: ms from entering the stream */
	size_t n_stream_ms, cap_stream_ms;
	uint64_t malformed;          /* records messages refused whole (their framing) */
	uint64_t bad_msgid;          /* messages whose id is not their host's and body's */
	uint64_t evidence_over;      /* evidence past its host's hourly budget: not kept */
	uint64_t index_too_large;    /* records stored but not decoded for the session index */
	uint64_t index_over_budget;  /* the same, past their batch's inflation budget */
	uint64_t isolated;           /* messages the database refused alone, kept as evidence */
	/* park.c: checkpoints that wait, in the table parked */
	uint64_t parked, unparked;   /* parked (again), taken from there */
	uint64_t parked_over;        /* past their host's TA_COLLECT_PARKED_MAX: dropped */
	uint64_t parked_given_up;    /* parked TA_COLLECT_PARKED_TRIES times: dropped */
	time_t parked_said;          /* when parked_over was last logged */
	natsMsg **unpark_msgs;       /* the batch's checkpoints taken from parked, as messages */
	const struct ta_parked_key *unpark_only; /* set: take that row alone, due or not */
	size_t n_unpark, cap_unpark;
	char sqlstate[6];            /* of the last failed statement ("" if none or no result) */
	char err[512];
};

/* What a checkpoint's handling found (collect.c on_checkpoint). */
enum ta_collect_verdict {
	TA_COLLECT_ACK = 0,   /* stored, or a duplicate, or refused and kept as evidence */
	TA_COLLECT_LATER,     /* it must wait: parked (park.c) */
};

/*
 * Takes one message inside the open transaction (a checkpoint is handled by
 * ta_collect_flush). 0, or -errno when the database failed (the batch is
 * rolled back and redelivered); else the message is acknowledged after
 * COMMIT, whatever became of it.
 */
int ta_collect_msg(struct ta_collector *c, natsMsg *m);

/*
 * After the batch's last message: sends its records' statement and returns
 * at once, so that the caller fetches the next batch while PostgreSQL works
 * (ta_collect_flush takes the answer). -errno on failure.
 */
int ta_collect_send(struct ta_collector *c);

/*
 * Before COMMIT: writes the batch's records and their session index (or
 * takes the answer of ta_collect_send), then handles its checkpoints in
 * origin order (collectors sharing the work lock hosts' rows in one order:
 * no deadlock). -errno on failure.
 */
int ta_collect_flush(struct ta_collector *c);
/*
 * Whether the failure in c->err was the database refusing the data of a
 * message (a data exception, a constraint, a limit: SQLSTATE classes 22, 23,
 * 54), which the same message would meet at every redelivery, rather than the
 * database itself (a lost connection, a deadlock, a full disk: retried whole).
 */
int ta_collect_failed_on_data(const struct ta_collector *c);
/*
 * Keeps a message the database refused alone as evidence ("db-refused", the
 * error in the alarm; once however often it comes back), in its own
 * transaction; 0 or -errno. then: what becomes of it, for the alarm line.
 */
int ta_collect_refused(struct ta_collector *c, natsMsg *m, const char *why, const char *then);
/* The same evidence, in the caller's transaction; 0 or -errno. */
int ta_collect_refused_evidence(struct ta_collector *c, natsMsg *m, const char *why, const char *then);
#define TA_COLLECT_REFUSED_DELAY_S 15 /* until a message refused alone comes back */
#define TA_COLLECT_REFUSED_DELAY_MS (TA_COLLECT_REFUSED_DELAY_S * 1000)
#define TA_COLLECT_STR_(x) #x
#define TA_COLLECT_STR(x) TA_COLLECT_STR_(x)
#define TA_COLLECT_REFUSED_THEN "it comes back every " TA_COLLECT_STR(TA_COLLECT_REFUSED_DELAY_S) \
	" s and is stored once the database takes it (remove what the error names)"

/*
 * Evidence: of a message refused whole (junk from the network) its hash, its
 * length and its first TA_COLLECT_EVIDENCE_KEEP bytes are kept; and a host's
 * evidence takes at most TA_COLLECT_EVIDENCE_HOUR bytes an hour (the table
 * evidence_budget counts the rest), so that a host sending junk fills neither
 * the database nor the collectors' logs.
 */
#define TA_COLLECT_EVIDENCE_KEEP 4096
#define TA_COLLECT_EVIDENCE_HOUR (4u << 20)
/*
 * After reading an older checkpoint's leaves for t ms, the next such read
 * waits TA_COLLECT_OLDER_WAIT * t ms: a host that signs old sizes at will gets
 * at most a tenth of a collector's time for them, not every collector's whole.
 */
#define TA_COLLECT_OLDER_WAIT 9
/*
 * The session index decodes every record a host sends. A record whose payload
 * inflates beyond this is stored (its leaf verified like any) but not decoded:
 * its session's facts say undecodable. The recorder writes terminal data in
 * batches of about 64 KiB and its other records are a few KiB, so 1 MiB is far
 * beyond what it writes, and a 570-byte record can no longer make every
 * collector inflate 16 MiB at each delivery of its message.
 */
#define TA_COLLECT_INDEX_RAW_MAX (1u << 20)
/*
 * And what all of a host's records of one batch may inflate to, together:
 * BASE plus RATIO times their stored bytes. Under the cap above, a 1 MB
 * message of 150-byte records each inflating 1 MiB still made every collector
 * inflate about 7 GB; with the budget a batch's inflation is bounded by its
 * bytes (256 MB per MB received at most). The recorder's terminal text
 * compresses 3 to 20 times, `yes` or a screen of blanks up to a few thousand
 * times: such records past the budget are stored and verified, and their
 * sessions read in full when asked for (their facts say undecodable).
 */
#define TA_COLLECT_INDEX_BUDGET_BASE (16u << 20)
#define TA_COLLECT_INDEX_BUDGET_RATIO 256u
/*
 * Checkpoints that wait (park.c): a checkpoint whose records are not all
 * stored yet, whose predecessor is not cosigned yet, or whose older size's
 * leaves wait their turn, is kept in the table parked (in the batch's
 * transaction) and its message acknowledged; the collectors take it from
 * there again, soon at first, then backing off. Returned to JetStream
 * instead, it counted against the consumer's MaxAckPending until taken, a
 * window all hosts share: a host signing checkpoints for records it never
 * sends filled it, and no host's messages were delivered. A host keeps at
 * most TA_COLLECT_PARKED_MAX waiting: past it, and after
 * TA_COLLECT_PARKED_TRIES tries, a checkpoint is dropped (its shipper sends it
 * again when it is not cosigned: ship.c).
 */
#define TA_COLLECT_PARKED_MAX 64
#define TA_COLLECT_PARKED_TRIES 42 /* 25 ms doubling to 5 s: about 3 minutes */
#define TA_COLLECT_UNPARK_BATCH 256 /* taken from parked per transaction at most */
/*
 * Parks cq (its verdict was TA_COLLECT_LATER); one taken from parked is tried
 * again later in its row, not written again: TA_COLLECT_ACK, or -errno.
 */
int ta_collect_park(struct ta_collector *c, const struct ta_collect_ckpt *cq);
/* A checkpoint taken from parked was handled: its row goes. TA_COLLECT_ACK or -errno. */
int ta_collect_unpark_done(struct ta_collector *c, const struct ta_collect_ckpt *cq);
/*
 * Takes the parked checkpoints whose time has come (at most
 * TA_COLLECT_UNPARK_BATCH, none another collector holds; or c->unpark_only)
 * into the batch, to be handled by ta_collect_flush: the number taken, or
 * -errno.
 */
int ta_collect_unpark(struct ta_collector *c);
/* Milliseconds until the next parked checkpoint's time (0: now), -1 none, or -errno. */
int64_t ta_collect_parked_next_ms(struct ta_collector *c);
/* Up to max parked checkpoints whose time has come, by key (none taken): how many, or -errno. */
int ta_collect_parked_due(struct ta_collector *c, struct ta_parked_key *keys, int max);
/*
 * A parked checkpoint the database refused when taken alone (its data): taken
 * out of parked and kept as evidence, in one transaction (a crash between
 * them loses neither), else it would fail every batch that takes it. If the
 * evidence cannot be written, the row is still taken out, alone (said in
 * the log). Outside a transaction; 0 or -errno.
 */
int ta_collect_unpark_refused(struct ta_collector *c, const struct ta_parked_key *k,
			      const char *why);

/* collect.c for park.c: the batch's checkpoint queue, and the enrolled host of a subject hash. */
int ta_collect_queue_checkpoint(struct ta_collector *c, const struct ta_collect_ckpt *cq);
/* 1 and *hi set (in hosts[]), 0 not enrolled, -errno. */
int ta_collect_host(struct ta_collector *c, const char *subject_hash, size_t *hi);

/* After COMMIT, or before ROLLBACK: forgets the batch's pending work (and hosts a minute old). */
void ta_collect_reset(struct ta_collector *c);
/* Frees what the collector allocated (not db, cosigner, hasher). */
void ta_collect_free(struct ta_collector *c);

/* The latest cosigned checkpoint note of the host with this subject hash, for
 * its shipper ("" if none). *out malloc'd. db: the connection of the caller's thread. */
int ta_collect_latest_cosigned(PGconn *db, const char *subject_hash, char **out, size_t *len);

/* Adds a host: its verifier key (origin = the key's name unless given). */
int ta_collect_enrol(PGconn *db, const char *vkey, const char *origin, char *err, size_t errlen);

#endif

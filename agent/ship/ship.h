/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shipper (docs/fleet.md): reads the local log in order with the store's
 * reader and publishes each record and each checkpoint to JetStream, then asks
 * the collector for the latest checkpoint it committed and cosigned. Records
 * count as shipped only up to that cosigned checkpoint. Its position is a
 * state file it owns; the local log is the spool while NATS is away.
 */
#ifndef TA_SHIP_H
#define TA_SHIP_H

#include <stdint.h>

#include "fleet/fleet.h"
#include "fleet/batch.h"
#include "ship/state.h"
#include "ship/proof.h"
#include "ship/window.h"
#include "store/checkpoint.h"
#include "store/ckptset.h"
#include "store/note.h"

struct ta_ship {
	const char *dir;
	struct ta_verifier *log_key;       /* the host's checkpoint key */
	struct ta_verifier *witness_key;   /* the collector's cosignature/v1 key */
	char origin[TA_ORIGIN_MAX];
	char subj_records[TA_FLEET_SUBJECT_MAX], subj_ckpt[TA_FLEET_SUBJECT_MAX],
		subj_ack[TA_FLEET_SUBJECT_MAX], subj_alerts[TA_FLEET_SUBJECT_MAX];
	natsConnection *nc;
	jsCtx *js;
	struct ta_ship_state st;
	struct ta_ship_state_file state;   /* where st is kept (saved when due) */
	struct ta_ckpt_set known;          /* the log's checkpoints as of the last round */
	uint64_t ckpt_sent_ms;             /* when the last checkpoint was published */
	uint64_t chain;                    /* its size: the next one's old size */
	uint64_t log_fp;                   /* the log's files at the last complete round */
	uint32_t resend_ms;                /* republish a checkpoint not cosigned this late */
	uint32_t ack_timeout_ms;
	uint32_t pub_timeout_ms;           /* JetStream's acknowledgement of a publication */
	uint64_t published;                /* messages JetStream acknowledged */
	uint64_t asks, asks_slow, ask_max_ms; /* questions to the collector: how many, >= 0.5 s, longest */
	uint64_t ckpt_with_records;        /* checkpoints published in their records' message */
	/*
	 * Rewinds (ship.c): the latest checkpoint resent `stalled` times since
	 * the cosigned size last grew; past TA_SHIP_REWIND_RESENDS << rewind_shift
	 * everything from st.acked is published again.
	 */
	unsigned stalled, rewind_shift;
	uint64_t rewinds;
	/*
	 * Publishing is asynchronous (ship/window.h): pub_next and pub_ckpt are
	 * what went out, st.next and st.checkpoint what JetStream acknowledged.
	 */
	struct ta_ship_window win;
	struct ta_fleet_batch_enc enc;     /* the records message being built */
	uint64_t pub_next, pub_ckpt;
	/*
	 * How far this shipper has published (or its state said it had, at start):
	 * a message within it is a resend, and JetStream may well hold it. A
	 * Duplicate acknowledgement of one beyond it means JetStream had an
	 * identical message this shipper never published: after a crash between
	 * publishing and the acknowledgement, or someone else holding its bytes.
	 */
	uint64_t pub_high, ckpt_high;
	uint64_t dup_new;                  /* such acknowledgements */
	uint64_t dup_said_ms;              /* when the last warning of them was said */
	/* Something went to js_PublishMsgAsync in this process: libnats 3.4.1 keeps
	 * its pending list only from then on (asking before that crashes it). */
	int js_published;
	struct ta_hasher *hasher;          /* message ids' digests (fleet/batch.h) */
	struct ta_ship_proof proof;        /* consistency proofs as it reads (ship/proof.h) */
	int proof_tried;                   /* its tree was begun (or could not be) */
	/*
	 * Alerts (ship/alerts.c): off with --no-alerts; the next record to look
	 * at for alerts (from the state's next at start: an alert of a record not
	 * yet shipped may go out twice, with the same message id, never not at all).
	 */
	int alerts_off;
	int alerts_started;
	uint64_t alert_next;
	uint64_t alerts_published;
	char err[512];                     /* the round's failure, or a warning, one line */
	char alarm[400];                   /* the collector's last bad answer ("" if none) */
};

/*
 * One round: publish what the log holds beyond the state, ask for the
 * collector's cosigned checkpoint, save the state. Returns 1 if it published
 * or learnt something, 0 if idle, -EAGAIN if NATS or the collector is not
 * reachable now (retry with backoff), other -errno (err says why). err may
 * hold a warning after a successful round (records lost to retention, or an
 * ALARM: the collector answered with a checkpoint that is not this log's;
 * said once while the same answer lasts, and shipping goes on).
 */
int ta_ship_round(struct ta_ship *s);

/*
 * A round saves the state file when it is due (ship/state.h).
 * ta_ship_state_flush saves a change now (at exit); ta_ship_wait_ms is how
 * long an idle shipper may wait, at most wait_ms, before its state is due.
 */
int ta_ship_state_flush(struct ta_ship *s);
unsigned ta_ship_wait_ms(const struct ta_ship *s, unsigned wait_ms);

/*
 * Publishes the alert records the log holds beyond s->alert_next on
 * ttyaudit.<h>.alerts (core NATS, at once: before the round's records wait
 * for JetStream or the collector). Returns the number published, or
 * -EAGAIN (NATS away: the same alerts go next round; err says why).
 */
int ta_ship_alerts(struct ta_ship *s);

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tamper-evident log as a sink. Terminal data is gathered per (terminal,
 * session) into TA_REC_TTY_DATA batches of up to 64 KiB, so the store can
 * compress it well and proofs stay per session; everything else becomes one
 * JSON record. Records refused by a full disk are counted and written as a
 * gap record once the store takes records again. What this sink counts so is
 * not an error to its caller: a queue or recorder that also counted it (as a
 * sink_error gap) would say the loss twice.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "logfmt/record_types.h"
#include "logfmt/tty_batch.h"
#include "sink/sink.h"
#include "sink/sink_store.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"

#define OPEN_BATCHES 64
#define DROP_SESSIONS 64
#define DROP_TTYS_PER_SESSION 4
#define BATCH_FLUSH_BYTES (64u << 10)

struct open_batch {
	uint32_t major, minor, ses;
	uint64_t last_used;
	uint64_t data_bytes;    /* terminal bytes in the open batch */
	/* Of them, copies of output another session's process wrote here (filed there too). */
	uint64_t copy_entries, copy_bytes;
	struct ta_batch_builder b;
};

struct store_sink {
	struct ta_sink base;
	struct ta_store *store;
	uint32_t boot32;
	uint64_t use_clock;
	struct open_batch batches[OPEN_BATCHES];
	/* Dropped while the store refused appends. */
	uint64_t drop_records, drop_bytes, drop_since_ns;
	/* ... and whose: terminal bytes per (session, terminal), a share per session (drop_slot). */
	struct session_drop {
		uint32_t ses;
		char tty[32];
		uint64_t events, bytes;
		uint64_t copy_events, copy_bytes; /* of them, copies (struct open_batch) */
	} drops[DROP_SESSIONS];
	size_t n_drops;
	uint64_t settled_records, settled_bytes; /* every disk-full gap written so far */
	int last_error;
};

static uint64_t session_key(const struct store_sink *s, uint32_t ses)
{
	return ta_session_key(s->boot32, ses);
}

/*
 * Whose loss a slot holds. The table is bounded, so each session gets a share
 * of it: at most DROP_TTYS_PER_SESSION terminals of its own, after which its
 * other terminals' losses join one of its slots (its terminal then reads "*").
 * The last slot is no session's: a session that finds no room left is counted
 * there (ses null, tty "*"), never under whoever holds a slot, so a flood over
 * many terminals cannot move its loss onto a bystander nor hide a bystander's.
 */
static struct session_drop *drop_slot(struct store_sink *s, uint32_t ses, const char *tty,
				      size_t tty_len)
{
	struct session_drop *own = NULL, *d;
	char name[sizeof(own->tty)] = "";
	size_t n_own = 0;

	memcpy(name, tty, tty_len < sizeof(name) - 1 ? tty_len : sizeof(name) - 1);
	for (size_t i = 0; i < s->n_drops; i++) {
		d = &s->drops[i];
		if (d->ses != ses)
			continue;
		if (!strcmp(d->tty, "*") || !strcmp(d->tty, name))
			return d;
		own = d;
		n_own++;
	}
	if (n_own < DROP_TTYS_PER_SESSION && s->n_drops < DROP_SESSIONS - 1) {
		d = &s->drops[s->n_drops++];
		memset(d, 0, sizeof(*d));
		d->ses = ses;
		memcpy(d->tty, name, sizeof(d->tty));
		return d;
	}
	if (own) {
		memset(own->tty, 0, sizeof(own->tty));
		own->tty[0] = '*';
		return own;
	}
	d = &s->drops[DROP_SESSIONS - 1];
	if (s->n_drops < DROP_SESSIONS) {
		memset(d, 0, sizeof(*d));
		d->ses = UINT32_MAX;
		d->tty[0] = '*';
		s->n_drops = DROP_SESSIONS;
	}
	return d;
}

static void note_session_drop(struct store_sink *s, uint32_t ses, const char *tty, size_t tty_len,
			      const struct open_batch *ob)
{
	struct session_drop *d = drop_slot(s, ses, tty, tty_len);

	d->events += ob->b.hdr.n_entries;
	d->bytes += ob->data_bytes;
	d->copy_events += ob->copy_entries;
	d->copy_bytes += ob->copy_bytes;
}

/*
 * Records lost to a full disk go into the log as soon as it takes records
 * again: the store's gap (records, bytes as stored) and, for every session
 * that lost terminal data, a gap record in that session (events, terminal
 * bytes), so the loss shows where it happened.
 */
static int store_record(struct ta_sink *base, const struct ta_record *rec);

static int settle_drops(struct store_sink *s, uint64_t now_ns)
{
	struct ta_json j;
	uint64_t since;
	int err;

	if (!s->drop_records)
		return 0;
	err = ta_store_append_gap(s->store, TA_GAP_DISK_FULL, s->drop_records, s->drop_bytes,
				  s->drop_since_ns, now_ns, NULL);
	if (err)
		return err;
	s->settled_records += s->drop_records;
	s->settled_bytes += s->drop_bytes;
	s->drop_records = s->drop_bytes = 0;
	since = s->drop_since_ns;
	ta_json_init(&j);
	for (size_t i = 0; i < s->n_drops; i++) {
		const struct session_drop *d = &s->drops[i];

		ta_session_gap_to_json(&j, "disk_full", d->ses, d->tty, since, now_ns, d->events,
				       d->bytes, d->copy_events, d->copy_bytes);
		/* If space is gone again at once, append() counts this one as dropped too. */
		if (!j.oom) {
			struct ta_record r = { .type = TA_REC_LOSS, .ses = d->ses, .realtime_ns = now_ns,
					       .json = j.buf, .len = j.len };
			store_record(&s->base, &r);
		}
	}
	ta_json_free(&j);
	s->n_drops = 0;
	return 0;
}

static int append(struct store_sink *s, uint16_t type, uint64_t time_ns, uint32_t ses,
		  const void *payload, size_t len)
{
	int err = settle_drops(s, time_ns);

	if (!err)
		err = ta_store_append(s->store, type, time_ns, session_key(s, ses), payload, len, NULL);
	if (err) {
		if (!s->drop_records)
			s->drop_since_ns = time_ns;
		s->drop_records++;
		s->drop_bytes += len;
		s->last_error = err;
	}
	return err;
}

static int flush_batch(struct store_sink *s, struct open_batch *ob)
{
	const void *p;
	size_t len;
	int err;

	p = ta_batch_payload(&ob->b, &len);
	if (!p)
		return 0;
	err = append(s, TA_REC_TTY_DATA, ob->b.hdr.start_ns, ob->ses, p, len);
	if (err)
		note_session_drop(s, ob->ses, ob->b.hdr.tty.name,
				  strnlen(ob->b.hdr.tty.name, sizeof(ob->b.hdr.tty.name)), ob);
	ob->b.hdr.n_entries = 0;
	ob->b.len = sizeof(ob->b.hdr);
	ob->data_bytes = ob->copy_entries = ob->copy_bytes = 0;
	return err;
}

static struct open_batch *batch_for(struct store_sink *s, const struct ta_tty_id *tty,
				    uint32_t ses, uint32_t auid, uint64_t now_ns)
{
	struct open_batch *victim = &s->batches[0];

	for (int i = 0; i < OPEN_BATCHES; i++) {
		struct open_batch *ob = &s->batches[i];

		if (ob->last_used && ob->major == tty->major && ob->minor == tty->minor &&
		    ob->ses == ses) {
			ob->last_used = ++s->use_clock;
			if (!ob->b.hdr.n_entries)
				ta_batch_begin(&ob->b, tty, ses, auid, now_ns);
			return ob;
		}
		if (ob->last_used < victim->last_used)
			victim = ob;
	}
	/* The least recently used slot: write out what it holds, then reuse it. */
	flush_batch(s, victim);
	victim->major = tty->major;
	victim->minor = tty->minor;
	victim->ses = ses;
	victim->last_used = ++s->use_clock;
	ta_batch_begin(&victim->b, tty, ses, auid, now_ns);
	return victim;
}

static int add_entry(struct store_sink *s, const struct ta_tty_id *tty, uint32_t ses,
		     uint32_t auid, const struct ta_tty_entry *e, const void *data, uint64_t now)
{
	struct open_batch *ob = batch_for(s, tty, ses, auid, now);
	int err = ta_batch_add(&ob->b, e, now, data);

	if (err == -ERANGE) {
		/* Too far from the batch start for a 32-bit offset: start a new batch. */
		flush_batch(s, ob);
		ta_batch_begin(&ob->b, tty, ses, auid, now);
		err = ta_batch_add(&ob->b, e, now, data);
	}
	if (err)
		return err;
	ob->data_bytes += e->len;
	if (e->flags & TA_F_OTHER_SESSION) {
		ob->copy_entries++;
		ob->copy_bytes += e->len;
	}
	if (ob->b.len >= BATCH_FLUSH_BYTES)
		flush_batch(s, ob); /* refused: the batch, this entry in it, is a counted drop */
	return 0;
}

static int store_event_tty(struct store_sink *s, const struct ta_event *ev, uint64_t now)
{
	bool input = ev->kind == TA_EV_TTY_INPUT;
	uint32_t ses = input ? ev->owner_ses : ev->task.ses;
	uint32_t auid = input ? ev->owner_auid : ev->task.auid;
	struct ta_tty_entry e = {
		.kind = input ? TA_ENTRY_INPUT : TA_ENTRY_OUTPUT,
		.source = (uint8_t)ev->source,
		.flags = ev->flags,
		.len = ev->len,
		.orig_len = (ev->flags & TA_F_REDACTED) ? (uint32_t)(ev->total_len > UINT32_MAX ?
						UINT32_MAX : ev->total_len) : ev->len,
		.pid = ev->task.pid,
		.uid = ev->task.uid,
		.oflag = ta_oflag_from_termios(ev->oflag),
	};
	int err;

	memcpy(e.comm, ev->task.comm, sizeof(e.comm));
	err = add_entry(s, &ev->tty, ses, auid, &e, ev->data, now);
	/*
	 * Output a process of another session wrote to this terminal (an fd
	 * passed over SCM_RIGHTS, wall): the terminal's owner saw it, so her
	 * session has it too, marked, with the writer's pid, uid and comm.
	 */
	if (!err && !input && ev->owner_ses != UINT32_MAX && ev->owner_ses != ses) {
		e.flags |= TA_F_OTHER_SESSION;
		err = add_entry(s, &ev->tty, ev->owner_ses, ev->owner_auid, &e, ev->data, now);
	}
	return err;
}

static int store_event_winsize(struct store_sink *s, const struct ta_event *ev, uint64_t now)
{
	uint8_t ws[TA_WINSIZE_DATA_LEN];
	struct ta_tty_entry e = {
		.kind = TA_ENTRY_WINSIZE, .source = (uint8_t)ev->source, .len = sizeof(ws),
		.orig_len = sizeof(ws), .pid = ev->task.pid, .uid = ev->task.uid,
	};
	struct open_batch *ob = batch_for(s, &ev->tty, ev->task.ses, ev->task.auid, now);

	ta_batch_winsize_encode(ws, ev->rows, ev->cols, ev->xpixel, ev->ypixel);
	memcpy(e.comm, ev->task.comm, sizeof(e.comm));
	return ta_batch_add(&ob->b, &e, now, ws);
}

static int store_event(struct ta_sink *base, const struct ta_event *ev, uint64_t now)
{
	struct store_sink *s = (struct store_sink *)base;
	struct ta_json j;
	int err;

	switch (ev->kind) {
	case TA_EV_TTY_OUTPUT:
	case TA_EV_TTY_INPUT:
		return store_event_tty(s, ev, now);
	case TA_EV_WINSIZE:
		return store_event_winsize(s, ev, now);
	case TA_EV_EXEC:
	case TA_EV_UNCAPTURED:
	case TA_EV_EXIT:
	case TA_EV_UNIX_SOCKET:
	case TA_EV_FOOTPRINT:
		ta_json_init(&j);
		ta_event_to_json(&j, ev, now);
		err = j.oom ? -ENOMEM : 0;
		if (!err) /* refused: a counted drop */
			append(s, ta_event_record_type(ev->kind), now, ev->task.ses, j.buf, j.len);
		ta_json_free(&j);
		return err;
	}
	return 0;
}

static int store_record(struct ta_sink *base, const struct ta_record *rec)
{
	struct store_sink *s = (struct store_sink *)base;
	struct ta_json j;
	int err;

	/* Stored with its type name, so the record reads the same as its JSON Lines form. */
	ta_json_init(&j);
	ta_json_obj_begin(&j);
	ta_json_key(&j, "type");
	ta_json_str(&j, ta_record_name(rec));
	if (rec->len > 2 && rec->json[0] == '{' && rec->json[rec->len - 1] == '}')
		ta_json_raw(&j, rec->json + 1, rec->len - 2);
	ta_json_obj_end(&j);
	err = j.oom ? -ENOMEM : 0;
	if (!err) /* refused: a counted drop */
		append(s, rec->type, rec->realtime_ns, rec->ses, j.buf, j.len);
	ta_json_free(&j);
	return err;
}

static int store_flush(struct ta_sink *base)
{
	return ta_sink_store_settle(base, 0);
}

static void store_close(struct ta_sink *base)
{
	struct store_sink *s = (struct store_sink *)base;

	for (int i = 0; i < OPEN_BATCHES; i++)
		flush_batch(s, &s->batches[i]);
	ta_store_close(s->store);
	for (int i = 0; i < OPEN_BATCHES; i++)
		ta_batch_free(&s->batches[i].b);
	free(s);
}

static const struct ta_sink_ops store_ops = {
	.event = store_event,
	.record = store_record,
	.flush = store_flush,
	.close = store_close,
};

static uint32_t read_boot32(void)
{
	char buf[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	uint32_t v = 0;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	/* First 8 hex digits of the boot id. */
	for (int i = 0; i < 8 && buf[i]; i++) {
		char c = buf[i];
		uint32_t d = c >= '0' && c <= '9' ? (uint32_t)(c - '0') :
			     c >= 'a' && c <= 'f' ? (uint32_t)(c - 'a' + 10) : 0;
		v = v << 4 | d;
	}
	return v;
}

int ta_sink_store_open(struct ta_sink **out, struct ta_store *store)
{
	struct store_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->store = store;
	s->boot32 = read_boot32();
	s->base.ops = &store_ops;
	*out = &s->base;
	return 0;
}

int ta_sink_store_settle(struct ta_sink *base, uint64_t before_ns)
{
	struct store_sink *s = (struct store_sink *)base;
	int err = 0, e;

	for (int i = 0; i < OPEN_BATCHES; i++) {
		struct open_batch *ob = &s->batches[i];

		if (!ob->b.hdr.n_entries || (before_ns && ob->b.hdr.start_ns >= before_ns))
			continue;
		e = flush_batch(s, ob);
		if (e && !err)
			err = e;
	}
	e = ta_store_write_out(s->store);
	if (e && e != -ENOSPC && !err) /* a full disk is reported, and counted, by the appends */
		err = e;
	e = ta_store_tick(s->store, 0);
	if (e < 0 && !err)
		err = e;
	return err;
}

size_t ta_sink_store_pending(const struct ta_sink *base, struct ta_sink_pending *out, size_t cap)
{
	const struct store_sink *s = (const struct store_sink *)base;
	size_t n = 0;

	for (int i = 0; i < OPEN_BATCHES; i++) {
		const struct open_batch *ob = &s->batches[i];

		if (!ob->b.hdr.n_entries)
			continue;
		if (n < cap) {
			struct ta_sink_pending *p = &out[n];

			p->ses = ob->ses;
			size_t tl = strnlen(ob->b.hdr.tty.name, sizeof(p->tty) - 1);

			memcpy(p->tty, ob->b.hdr.tty.name, tl);
			p->tty[tl] = '\0';
			p->since_ns = ob->b.hdr.start_ns;
			p->entries = ob->b.hdr.n_entries;
			p->bytes = ob->data_bytes;
			p->copy_entries = ob->copy_entries;
			p->copy_bytes = ob->copy_bytes;
		}
		n++;
	}
	return n;
}

int ta_sink_store_last_error(const struct ta_sink *base)
{
	return ((const struct store_sink *)base)->last_error;
}

uint64_t ta_sink_store_settled(const struct ta_sink *base, uint64_t *bytes)
{
	const struct store_sink *s = (const struct store_sink *)base;

	if (bytes)
		*bytes = s->settled_bytes;
	return s->settled_records;
}

uint64_t ta_sink_store_pending_drops(const struct ta_sink *base, uint64_t *bytes)
{
	const struct store_sink *s = (const struct store_sink *)base;

	if (bytes)
		*bytes = s->drop_bytes;
	return s->drop_records;
}

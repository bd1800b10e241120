// SPDX-License-Identifier: GPL-2.0-or-later
/* Two sinks as one: the log, and a JSON Lines copy (--jsonl). */
#include <errno.h>
#include <stdlib.h>

#include "sink/sink.h"

struct tee_sink {
	struct ta_sink base;
	struct ta_sink *a, *b;
};

/* The first sink's result decides: it is the record of truth. */
static int tee_event(struct ta_sink *base, const struct ta_event *ev, uint64_t t)
{
	struct tee_sink *s = (struct tee_sink *)base;
	int err = s->a->ops->event(s->a, ev, t);

	s->b->ops->event(s->b, ev, t);
	return err;
}

static int tee_record(struct ta_sink *base, const struct ta_record *rec)
{
	struct tee_sink *s = (struct tee_sink *)base;
	int err = s->a->ops->record(s->a, rec);

	s->b->ops->record(s->b, rec);
	return err;
}

static int tee_flush(struct ta_sink *base)
{
	struct tee_sink *s = (struct tee_sink *)base;
	int err = s->a->ops->flush(s->a);

	s->b->ops->flush(s->b);
	return err;
}

static void tee_close(struct ta_sink *base)
{
	struct tee_sink *s = (struct tee_sink *)base;

	s->b->ops->close(s->b);
	s->a->ops->close(s->a);
	free(s);
}

static const struct ta_sink_ops tee_ops = {
	.event = tee_event, .record = tee_record, .flush = tee_flush, .close = tee_close,
};

int ta_sink_tee_open(struct ta_sink **out, struct ta_sink *primary, struct ta_sink *copy)
{
	struct tee_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->a = primary;
	s->b = copy;
	s->base.ops = &tee_ops;
	*out = &s->base;
	return 0;
}

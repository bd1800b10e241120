/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For unit tests that write a log through the daemon's parts (sink,
 * recorder): every daemon record of a log directory read back, copied.
 */
#ifndef TA_TEST_LOG_READBACK_H
#define TA_TEST_LOG_READBACK_H

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

struct rb_rec {
	uint16_t type;
	uint32_t ses;          /* the envelope's session key, its audit session half */
	uint8_t *payload;
	size_t len;
};

struct rb_log {
	struct rb_rec v[256];
	size_t n;
	int err;               /* the reader's last answer if it was an error */
};

/* Reads dir; records of the store's own types (below 0x0100) are left out. */
static inline void rb_read(struct rb_log *l, const char *dir)
{
	struct ta_log_reader *r;
	struct ta_log_record rec;
	int n;

	memset(l, 0, sizeof(*l));
	if ((l->err = ta_log_reader_open(&r, dir)))
		return;
	while ((n = ta_log_reader_next(r, &rec)) == 1) {
		if (rec.type < 0x0100 || l->n == sizeof(l->v) / sizeof(l->v[0]))
			continue;
		struct rb_rec *o = &l->v[l->n++];
		o->type = rec.type;
		o->ses = (uint32_t)rec.session;
		o->len = rec.len;
		o->payload = malloc(rec.len + 1);
		memcpy(o->payload, rec.payload, rec.len);
		o->payload[rec.len] = '\0';
	}
	l->err = n;
	ta_log_reader_close(r);
}

/* The k-th record of a type (0-based), or NULL. */
static inline struct rb_rec *rb_nth(struct rb_log *l, uint16_t type, int k)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].type == type && k-- == 0)
			return &l->v[i];
	return NULL;
}

static inline void rb_free(struct rb_log *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].payload);
	l->n = 0;
}

#endif

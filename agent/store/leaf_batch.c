// SPDX-License-Identifier: GPL-2.0-or-later
/* Work on a batch of records, shared with a helper thread (leaf_batch.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "store/leaf_batch.h"
#include "store/segfile.h"

/* Records are hashed about this many bytes at a time: the lock is taken once per chunk. */
#define CHUNK_BYTES (64u << 10)

struct ta_leaf_pool {
	pthread_t t;
	int helper, stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	/* the batch being worked on */
	ta_leaf_pool_fn *fn;
	void *ctx;
	size_t n, next, chunk;
	unsigned busy; /* chunks the helper claimed and has not finished */
};

/* Under p->mu: the next chunk [*a, *b), or 0 when all are claimed. */
static int claim(struct ta_leaf_pool *p, size_t *a, size_t *b)
{
	if (p->next >= p->n)
		return 0;
	*a = p->next;
	*b = p->n - p->next > p->chunk ? p->next + p->chunk : p->n;
	p->next = *b;
	return 1;
}

static void *helper_main(void *arg)
{
	struct ta_leaf_pool *p = arg;
	size_t a, b;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next >= p->n)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->stop)
			break;
		claim(p, &a, &b);
		p->busy++;
		ta_leaf_pool_fn *fn = p->fn;
		void *ctx = p->ctx;
		pthread_mutex_unlock(&p->mu);
		fn(ctx, 1, a, b);
		pthread_mutex_lock(&p->mu);
		if (!--p->busy)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int ta_leaf_pool_new(struct ta_leaf_pool **out, int threads)
{
	struct ta_leaf_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* Without a helper the caller does everything: a thread that cannot start costs nothing. */
	p->helper = threads > 1 && !pthread_create(&p->t, NULL, helper_main, p);
	*out = p;
	return 0;
}

void ta_leaf_pool_free(struct ta_leaf_pool *p)
{
	if (!p)
		return;
	if (p->helper) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->t, NULL);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int ta_leaf_pool_has_helper(const struct ta_leaf_pool *p)
{
	return p && p->helper;
}

void ta_leaf_pool_run(struct ta_leaf_pool *p, size_t n, size_t chunk, ta_leaf_pool_fn *fn,
		      void *ctx)
{
	if (!chunk)
		chunk = 1;
	if (!p || !p->helper || n <= chunk) {
		if (n)
			fn(ctx, 0, 0, n);
		return;
	}
	size_t a, b;
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->next = 0;
	p->chunk = chunk;
	pthread_cond_signal(&p->work);
	while (claim(p, &a, &b)) {
		pthread_mutex_unlock(&p->mu);
		fn(ctx, 0, a, b);
		pthread_mutex_lock(&p->mu);
	}
	/* Everything is claimed: wait only for what the helper is still working on. */
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	p->n = p->next = 0;
	pthread_mutex_unlock(&p->mu);
}

struct hash_job {
	struct ta_hasher *h;
	const uint8_t *const *data;
	const uint32_t *len;
	uint8_t (*out)[TA_HASH_LEN];
	uint8_t *crc_ok;
};

static void hash_range(void *ctx, int worker, size_t a, size_t b)
{
	const struct hash_job *j = ctx;
	(void)worker;
	for (size_t i = a; i < b; i++) {
		ta_hash_leaf(j->h, j->data[i], j->len[i], j->out[i]);
		if (j->crc_ok)
			j->crc_ok[i] = (uint8_t)ta_rec_crc_ok(j->data[i], j->len[i]);
	}
}

void ta_leaf_pool_hash(struct ta_leaf_pool *p, struct ta_hasher *h, const uint8_t *const *data,
		       const uint32_t *len, size_t n, uint8_t (*out)[TA_HASH_LEN], uint8_t *crc_ok)
{
	struct hash_job j = { .h = h, .data = data, .len = len, .out = out, .crc_ok = crc_ok };
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += len[i];
	/* A batch under two chunks is not worth waking the helper for. */
	if (total < 2 * CHUNK_BYTES) {
		hash_range(&j, 0, 0, n);
		return;
	}
	size_t chunk = n ? (size_t)(CHUNK_BYTES / (total / n + 1)) : 1;
	ta_leaf_pool_run(p, n, chunk, hash_range, &j);
}

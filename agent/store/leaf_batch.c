// SPDX-License-Identifier: GPL-2.0-or-later
/* Leaf hashes of a batch of records, shared with a helper thread (leaf_batch.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "store/leaf_batch.h"
#include "store/segfile.h"

/* Records are claimed about this many bytes at a time: the lock is taken once per chunk. */
#define CHUNK_BYTES (64u << 10)

struct ta_leaf_pool {
	pthread_t t;
	int helper, stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	/* the batch being hashed */
	struct ta_hasher *h;
	const uint8_t *const *data;
	const uint32_t *len;
	uint8_t (*out)[TA_HASH_LEN];
	uint8_t *crc_ok;
	size_t n, next, chunk;
	unsigned busy; /* chunks the helper claimed and has not finished */
};

static void hash_range(const struct ta_leaf_pool *p, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++) {
		ta_hash_leaf(p->h, p->data[i], p->len[i], p->out[i]);
		if (p->crc_ok)
			p->crc_ok[i] = (uint8_t)ta_rec_crc_ok(p->data[i], p->len[i]);
	}
}

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
		pthread_mutex_unlock(&p->mu);
		hash_range(p, a, b);
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
	/* Without a helper the caller hashes everything: a thread that cannot start costs nothing. */
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

void ta_leaf_pool_hash(struct ta_leaf_pool *p, struct ta_hasher *h, const uint8_t *const *data,
		       const uint32_t *len, size_t n, uint8_t (*out)[TA_HASH_LEN], uint8_t *crc_ok)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += len[i];
	size_t chunk = n && total ? (size_t)(CHUNK_BYTES / (total / n + 1)) : 1;
	if (!p->helper || total < 2 * CHUNK_BYTES) {
		struct ta_leaf_pool solo = { .h = h, .data = data, .len = len, .out = out, .crc_ok = crc_ok };
		hash_range(&solo, 0, n);
		return;
	}
	size_t a, b;
	pthread_mutex_lock(&p->mu);
	p->h = h;
	p->data = data;
	p->len = len;
	p->out = out;
	p->crc_ok = crc_ok;
	p->n = n;
	p->next = 0;
	p->chunk = chunk ? chunk : 1;
	pthread_cond_signal(&p->work);
	while (claim(p, &a, &b)) {
		pthread_mutex_unlock(&p->mu);
		hash_range(p, a, b);
		pthread_mutex_lock(&p->mu);
	}
	/* Everything is claimed: wait only for what the helper is still hashing. */
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	p->n = p->next = 0;
	pthread_mutex_unlock(&p->mu);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where a BPF ring buffer's producer and consumer stand, read from the pages
 * the kernel maps for them (libbpf 1.1 has no ring__producer_pos). A drain
 * stops at the first record a program has reserved and not yet committed:
 * records committed after it on another CPU wait behind it. A drain that
 * ends before the producer position read at its start therefore did not take
 * everything reserved before it began (capture.h, ta_capture_drain_round).
 */
#ifndef TA_CAPTURE_RING_POS_H
#define TA_CAPTURE_RING_POS_H

#include <stddef.h>

struct ta_ring_pos {
	const unsigned long *cons; /* the consumer page's first word, NULL: not mapped */
	const unsigned long *prod; /* the producer page's first word */
	size_t page;
};

/* Maps the two pages of the ring map_fd read-only: 0 or -errno. */
int ta_ring_pos_map(struct ta_ring_pos *p, int map_fd);
void ta_ring_pos_unmap(struct ta_ring_pos *p);

static inline unsigned long ta_ring_pos_producer(const struct ta_ring_pos *p)
{
	return __atomic_load_n(p->prod, __ATOMIC_ACQUIRE);
}

static inline unsigned long ta_ring_pos_consumer(const struct ta_ring_pos *p)
{
	return __atomic_load_n(p->cons, __ATOMIC_ACQUIRE);
}

#endif

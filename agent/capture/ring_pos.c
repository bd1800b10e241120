// SPDX-License-Identifier: GPL-2.0-or-later
/* A BPF ring's producer and consumer positions (ring_pos.h). */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/ring_pos.h"

int ta_ring_pos_map(struct ta_ring_pos *p, int map_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	void *cons, *prod;

	p->cons = p->prod = NULL;
	if (page <= 0)
		return -EINVAL;
	/* The consumer page at offset 0, the producer page after it (kernel/bpf/ringbuf.c). */
	cons = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, map_fd, 0);
	if (cons == MAP_FAILED)
		return -errno;
	prod = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, map_fd, page);
	if (prod == MAP_FAILED) {
		int err = -errno;
		munmap(cons, (size_t)page);
		return err;
	}
	p->cons = cons;
	p->prod = prod;
	p->page = (size_t)page;
	return 0;
}

void ta_ring_pos_unmap(struct ta_ring_pos *p)
{
	if (!p->cons)
		return;
	munmap((void *)p->cons, p->page);
	munmap((void *)p->prod, p->page);
	p->cons = p->prod = NULL;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A raw io_uring (no liburing: the tests build on a bare Debian), for the
 * tests that reach the kernel by io_uring's requests instead of system calls.
 */
#ifndef TA_TEST_URING_H
#define TA_TEST_URING_H

#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* An io_uring and its rings, mapped. */
struct uring {
	int fd;
	unsigned *sq_tail, *sq_array, sq_mask, *cq_head, *cq_tail, cq_mask, cq_entries;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* 0, or -errno if io_uring is unavailable (not built, or io_uring_disabled). */
static inline int uring_open(struct uring *u, unsigned entries)
{
	struct io_uring_params p = { 0 };
	size_t sq_sz, cq_sz;
	char *sq, *cq;

	u->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (u->fd < 0)
		return -errno;
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, IORING_OFF_CQ_RING);
	u->sqes = mmap(NULL, p.sq_entries * sizeof(*u->sqes), PROT_READ | PROT_WRITE, MAP_SHARED,
		       u->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || u->sqes == MAP_FAILED) {
		close(u->fd);
		return -ENOMEM;
	}
	u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	u->sq_array = (unsigned *)(sq + p.sq_off.array);
	u->sq_mask = *(unsigned *)(sq + p.sq_off.ring_mask);
	u->cq_head = (unsigned *)(cq + p.cq_off.head);
	u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	u->cq_mask = *(unsigned *)(cq + p.cq_off.ring_mask);
	u->cq_entries = p.cq_entries;
	u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/*
 * Queue one request, submitted by the next uring_enter: buf and len in addr
 * and len, off -1 (the file's position); the entry, for the fields of other
 * opcodes (set them before that uring_enter).
 */
static inline struct io_uring_sqe *uring_queue(struct uring *u, uint8_t opcode, int fd,
					       const void *buf, unsigned len, uint8_t flags)
{
	unsigned tail = *u->sq_tail, slot = tail & u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[slot];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->flags = flags;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = len;
	sqe->off = (uint64_t)-1;
	u->sq_array[slot] = slot;
	__atomic_store_n(u->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return sqe;
}

/* Submits `submit` requests and waits for `wait` completions: 0, or -errno. */
static inline int uring_enter(struct uring *u, unsigned submit, unsigned wait)
{
	if (syscall(__NR_io_uring_enter, u->fd, submit, wait, wait ? IORING_ENTER_GETEVENTS : 0,
		    NULL, 0) < 0)
		return -errno;
	return 0;
}

/* 1 and the next completion's result, or 0 if none is waiting. */
static inline int uring_reap(struct uring *u, long *res)
{
	unsigned head = *u->cq_head;

	if (head == __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE))
		return 0;
	*res = u->cqes[head & u->cq_mask].res;
	__atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
	return 1;
}

/* Submits the one request queued and waits for it: its result, or -errno. */
static inline long uring_one(struct uring *u)
{
	long res;
	int err = uring_enter(u, 1, 1);

	if (err)
		return err;
	return uring_reap(u, &res) ? res : -EAGAIN;
}

#endif

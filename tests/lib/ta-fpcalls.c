// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Footprint calls by the roads other than a native system call, for
 * tests/integration/footprint_test.py:
 *
 *   ta-fpcalls int80 PATH PATH2 PORT   32-bit calls (int 0x80) from this 64-bit
 *       process: open(PATH, O_WRONLY|O_CREAT), rename(PATH, PATH2),
 *       unlink(PATH2), and socketcall(connect) to 127.0.0.1:PORT
 *   ta-fpcalls uring PATH PORT         io_uring requests: OPENAT(PATH,
 *       O_WRONLY|O_CREAT), CONNECT to 127.0.0.1:PORT, UNLINKAT(PATH)
 *
 * Prints one "name=result" line per call. Exit 77: the kernel has no way for it
 * (no 32-bit emulation, io_uring disabled), 2: usage, 1: a call failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "int80.h"

#if defined(__x86_64__)
/* Arguments of a 32-bit call must live below 4 GiB. */
static int run_int80(const char *path, const char *path2, int port)
{
	char *low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	struct sockaddr_in *sa;
	uint32_t *args;
	char *p1, *p2;
	long fd, s, r;

	if (!int80_available()) {
		printf("SKIP: no 32-bit system calls on this kernel (IA32 emulation off)\n");
		return 77;
	}
	if (low == MAP_FAILED || strlen(path) > 2000 || strlen(path2) > 2000)
		return 2;
	p1 = low;
	p2 = low + 2048;
	sa = (struct sockaddr_in *)(low + 4096);
	args = (uint32_t *)(low + 4096 + 64);
	strcpy(p1, path);
	strcpy(p2, path2);
	fd = int80(5 /* open */, (long)p1, O_WRONLY | O_CREAT, 0600);
	if (fd == -ENOSYS) {
		printf("SKIP: no 32-bit system calls on this kernel\n");
		return 77;
	}
	printf("open=%ld\n", fd);
	if (fd >= 0)
		close((int)fd);
	r = int80(38 /* rename */, (long)p1, (long)p2, 0);
	printf("rename=%ld\n", r);
	r = int80(10 /* unlink */, (long)p2, 0, 0);
	printf("unlink=%ld\n", r);
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	args[0] = (uint32_t)s;
	args[1] = (uint32_t)(uintptr_t)sa;
	args[2] = sizeof(*sa);
	r = int80(102 /* socketcall */, 3 /* SYS_CONNECT */, (long)args, 0);
	printf("connect=%ld\n", r);
	close((int)s);
	return r == 0 ? 0 : 1;
}
#else
static int run_int80(const char *path, const char *path2, int port)
{
	(void)path, (void)path2, (void)port;
	printf("SKIP: int 0x80 is x86's\n");
	return 77;
}
#endif

struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r)
{
	struct io_uring_params p;
	char *sq, *cq;

	memset(&p, 0, sizeof(p));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -ENOMEM;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submits one request and waits for its completion; returns its result. */
static int ring_one(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

static int run_uring(const char *path, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct io_uring_sqe sqe;
	struct ring r;
	int res, s, rc;

	rc = ring_setup(&r);
	if (rc == -ENOSYS || rc == -EPERM) {
		printf("SKIP: io_uring is not available (%s)\n", strerror(-rc));
		return 77;
	}
	if (rc)
		return 1;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)path;
	sqe.open_flags = O_WRONLY | O_CREAT;
	sqe.len = 0600;
	res = ring_one(&r, &sqe);
	printf("openat=%d\n", res);
	if (res >= 0)
		close(res);
	s = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = s;
	sqe.addr = (uintptr_t)&sa;
	sqe.off = sizeof(sa);
	res = ring_one(&r, &sqe);
	printf("connect=%d\n", res);
	close(s);
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_UNLINKAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (uintptr_t)path;
	printf("unlinkat=%d\n", ring_one(&r, &sqe));
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "int80"))
		return run_int80(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "uring"))
		return run_uring(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: ta-fpcalls int80 PATH PATH2 PORT | uring PATH PORT\n");
	return 2;
}

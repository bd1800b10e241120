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
#include "uring.h"

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

static int run_uring(const char *path, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct io_uring_sqe *sqe;
	struct uring u;
	long res;
	int s, rc;

	rc = uring_open(&u, 4);
	if (rc == -ENOSYS || rc == -EPERM) {
		printf("SKIP: io_uring is not available (%s)\n", strerror(-rc));
		return 77;
	}
	if (rc)
		return 1;
	sqe = uring_queue(&u, IORING_OP_OPENAT, AT_FDCWD, path, 0600, 0);
	sqe->off = 0;
	sqe->open_flags = O_WRONLY | O_CREAT;
	res = uring_one(&u);
	printf("openat=%ld\n", res);
	if (res >= 0)
		close((int)res);
	s = socket(AF_INET, SOCK_STREAM, 0);
	/* The address's length in addr2 (off's place). */
	uring_queue(&u, IORING_OP_CONNECT, s, &sa, 0, 0)->off = sizeof(sa);
	res = uring_one(&u);
	printf("connect=%ld\n", res);
	close(s);
	uring_queue(&u, IORING_OP_UNLINKAT, AT_FDCWD, path, 0, 0)->off = 0;
	printf("unlinkat=%ld\n", uring_one(&u));
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

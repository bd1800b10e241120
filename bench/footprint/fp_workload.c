// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A syscall-heavy workload for the footprint benchmark (bench/footprint):
 * each iteration creates a file (open O_WRONLY|O_CREAT|O_TRUNC), renames it
 * there and back, opens it read-only, chmods it and deletes it: seven calls
 * the footprint watches, six of which it records (the read-only open is off
 * by default), plus the closes. Prints nanoseconds per iteration.
 *
 * usage: fp_workload DIR ITERATIONS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char a[4096], b[4096];
	struct timespec t0, t1;
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: fp_workload DIR ITERATIONS\n");
		return 2;
	}
	snprintf(a, sizeof(a), "%s/fp-a-%d", argv[1], (int)getpid());
	snprintf(b, sizeof(b), "%s/fp-b-%d", argv[1], (int)getpid());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || close(fd) || rename(a, b) || rename(b, a)) {
			perror("fp_workload");
			return 1;
		}
		fd = open(a, O_RDONLY);
		if (fd < 0 || close(fd) || chmod(a, 0640) || unlink(a)) {
			perror("fp_workload");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f\n", ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	       (double)n);
	return 0;
}

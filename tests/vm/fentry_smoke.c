// SPDX-License-Identifier: GPL-2.0-or-later
/* fentry_smoke OBJ fentry|kprobe [CMD ARGS...]
 *
 * Loads only the smoke_<MODE> program of OBJ (fentry_smoke.bpf.o), attaches
 * it, writes WRITES lines to a fresh pty (and one to stdout), runs CMD while
 * still attached (e.g. `bpftool prog show name smoke_fentry`), then checks
 * that the program counted at least WRITES n_tty_write calls and their bytes
 * from this process. Exit 0 ok, 1 counts wrong or CMD failed, 2 load/attach
 * failed, 3 usage or setup error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#define WRITES 5

struct smoke_counts {
	unsigned long long calls, mine_calls, mine_bytes;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int read_counts(struct bpf_map *bss, struct smoke_counts *c)
{
	unsigned char val[4096];
	unsigned int key = 0;
	size_t vsz = bpf_map__value_size(bss);

	if (vsz < sizeof(*c) || vsz > sizeof(val))
		return -EINVAL;
	if (bpf_map__lookup_elem(bss, &key, sizeof(key), val, vsz, 0))
		return -errno;
	memcpy(c, val, sizeof(*c));
	return 0;
}

/* Writes WRITES lines to the slave side of a new pty; returns bytes written. */
static long write_pty(const char *mode)
{
	char line[128], drain[4096];
	long total = 0;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master)) {
		perror("fentry_smoke: posix_openpt");
		return -1;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	if (slave < 0) {
		perror("fentry_smoke: open pty slave");
		return -1;
	}
	for (int i = 0; i < WRITES; i++) {
		int n = snprintf(line, sizeof(line), "ttyaudit smoke %s write %d\n", mode, i);
		if (write(slave, line, n) != n) {
			perror("fentry_smoke: write pty");
			return -1;
		}
		total += n;
		(void)!read(master, drain, sizeof(drain));
	}
	close(slave);
	close(master);
	return total;
}

static int run_cmd(char **argv)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "fentry_smoke: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog, *want = NULL;
	struct bpf_map *rodata, *bss;
	struct bpf_link *link;
	struct smoke_counts before, after;
	char name[32];
	size_t sz;
	long bytes;
	int err;

	if (argc < 3 || (strcmp(argv[2], "fentry") && strcmp(argv[2], "kprobe"))) {
		fprintf(stderr, "usage: fentry_smoke OBJ fentry|kprobe [CMD ARGS...]\n");
		return 3;
	}
	libbpf_set_print(libbpf_print);
	snprintf(name, sizeof(name), "smoke_%s", argv[2]);

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "fentry_smoke: open %s: %s\n", argv[1], strerror(errno));
		return 3;
	}
	bpf_object__for_each_program(prog, obj) {
		int mine = !strcmp(bpf_program__name(prog), name);
		bpf_program__set_autoload(prog, mine);
		if (mine)
			want = prog;
	}
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	if (!want || !rodata || !bss) {
		fprintf(stderr, "fentry_smoke: %s, .rodata or .bss missing from %s\n", name, argv[1]);
		return 3;
	}
	/* Before load this is libbpf's own copy of .rodata: writable. */
	unsigned int *tgid = (unsigned int *)bpf_map__initial_value(rodata, &sz);
	if (!tgid || sz < sizeof(*tgid))
		return 3;
	*tgid = (unsigned int)getpid();

	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "fentry_smoke: %s: load failed: %s\n", name, strerror(-err));
		return 2;
	}
	link = bpf_program__attach(want);
	if (!link) {
		fprintf(stderr, "fentry_smoke: %s: attach failed: %s\n", name, strerror(errno));
		return 2;
	}
	printf("fentry_smoke: %s loaded and attached\n", name);
	fflush(stdout);

	if (read_counts(bss, &before))
		return 3;
	bytes = write_pty(argv[2]);
	if (bytes < 0)
		return 3;
	if (argc > 3) {
		fflush(stdout);
		int rc = run_cmd(argv + 3);
		if (rc != 0) {
			fprintf(stderr, "fentry_smoke: %s exited %d\n", argv[3], rc);
			return 1;
		}
	}
	if (read_counts(bss, &after))
		return 3;
	unsigned long long calls = after.mine_calls - before.mine_calls;
	unsigned long long got = after.mine_bytes - before.mine_bytes;
	printf("fentry_smoke: %s counted %llu calls in all, %llu by me with %llu bytes "
	       "(wrote %d lines, %ld bytes)\n",
	       name, after.calls, calls, got, WRITES, bytes);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	if (calls < WRITES || got < (unsigned long long)bytes) {
		fprintf(stderr, "fentry_smoke: %s: FAIL: counts too low\n", name);
		return 1;
	}
	printf("fentry_smoke: %s OK\n", name);
	return 0;
}

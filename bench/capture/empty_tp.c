// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * empty_tp: attach two EMPTY programs (return 0) to the raw tracepoints
 * sys_enter and sys_exit, and hold them until SIGINT/SIGTERM.
 *
 * The floor of the tracepoint backend (docs/performance.md, "The floor"):
 * with any raw_syscalls program attached every system call of the host takes
 * the slow entry/exit path and runs the tracepoint's BPF trampoline; what
 * that costs, no program code can take away. Comparing a workload with
 * nothing attached, with these two, and with ttyauditd says how much of the
 * recorder's cost is the mechanism and how much its programs.
 *
 * No libbpf, no BPF object: two instructions loaded with bpf(2). Prints
 * "attached" on stdout once both are in place. Exit 0 on a signal, 1 on error.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int attach_empty(const char *tp)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;
	int prog, link;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uintptr_t)"GPL";
	strncpy(a.prog_name, "empty_tp", sizeof(a.prog_name) - 1);
	prog = sys_bpf(BPF_PROG_LOAD, &a);
	if (prog < 0)
		return -errno;
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uintptr_t)tp;
	a.raw_tracepoint.prog_fd = prog;
	link = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	if (link < 0)
		return -errno;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
}

int main(void)
{
	static const char *const tps[] = { "sys_enter", "sys_exit" };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (size_t i = 0; i < 2; i++) {
		int rc = attach_empty(tps[i]);

		if (rc < 0) {
			fprintf(stderr, "empty_tp: attaching to %s: %s\n", tps[i], strerror(-rc));
			return 1;
		}
	}
	printf("attached\n");
	fflush(stdout);
	pause();
	return 0;
}

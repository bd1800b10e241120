// SPDX-License-Identifier: GPL-2.0
/*
 * The footprint's entry (footprint.bpf.h): never attached, only reached by
 * the tail call of the raw sys_enter dispatcher (tty_syscalls.bpf.c) for a
 * native call of a footprint kind by a process in a session. A program of
 * its own so that the verifier checks it apart: its branches per kind and
 * the dispatcher's terminal I/O paths are never walked together, and its
 * stack is not added to the dispatcher's.
 */
#include "footprint.bpf.h"

TA_SYSCALL_TP("sys_enter")
int ta_fp_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = ctx->args[1];
	struct ta_sys_args s;
	bool compat;
	int kind = ta_entry_kind(nr, &compat);

	ta_call_args(regs, compat, &s);
	ta_fp_enter(kind, nr, regs, compat, &s);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

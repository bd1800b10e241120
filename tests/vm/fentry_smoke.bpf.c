// SPDX-License-Identifier: GPL-2.0
/* Smoke-test BPF programs for the VM harness: count n_tty_write() calls,
 * once through fentry and once through a kprobe. The loader
 * (fentry_smoke.c) loads one of the two and checks the counts.
 * Built without vmlinux.h: fentry arguments come as u64s (BPF_PROG) and the
 * kprobe reads registers through the uapi struct pt_regs (BPF_KPROBE). */
#include <linux/types.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* Only writes by this process count as "mine" (set by the loader). */
const volatile __u32 target_tgid = 0;

/* The only .bss variable, so the loader finds it at offset 0. */
struct smoke_counts {
	__u64 calls;      /* all n_tty_write calls */
	__u64 mine_calls; /* calls by target_tgid */
	__u64 mine_bytes; /* sum of nr over those calls */
} counts;

static __always_inline void count(unsigned long nr)
{
	__sync_fetch_and_add(&counts.calls, 1);
	if ((__u32)(bpf_get_current_pid_tgid() >> 32) == target_tgid) {
		__sync_fetch_and_add(&counts.mine_calls, 1);
		__sync_fetch_and_add(&counts.mine_bytes, nr);
	}
}

/* static ssize_t n_tty_write(struct tty_struct *tty, struct file *file,
 *                            const u8 *buf, size_t nr)   (6.1 and 6.12) */
SEC("fentry/n_tty_write")
int BPF_PROG(smoke_fentry, void *tty, void *file, const void *buf, unsigned long nr)
{
	count(nr);
	return 0;
}

SEC("kprobe/n_tty_write")
int BPF_KPROBE(smoke_kprobe, void *tty, void *file, const void *buf, unsigned long nr)
{
	count(nr);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

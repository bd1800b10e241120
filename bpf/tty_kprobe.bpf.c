// SPDX-License-Identifier: GPL-2.0
/*
 * Backend "kprobe": kprobe/kretprobe programs on the tty layer's functions,
 * the fentry backend's logic for kernels without BPF trampolines
 * (tty_functions.bpf.h). Their arguments are numbers from the registers:
 * what hangs off a terminal is read through the helper (whether a kprobe
 * may call a kfunc differs between kernels), its identity from the cache.
 */
#ifndef TA_NO_TASK_STORAGE
#define TA_TTY_CACHE 1
#endif
#include "tty_functions.bpf.h"

SEC("kprobe/n_tty_write")
int BPF_KPROBE(ta_kprobe_n_tty_write, struct tty_struct *tty, struct file *file, const u8 *buf,
	       size_t nr)
{
	if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	return ta_kret_stash(tty, buf, nr, 0);
}

SEC("kretprobe/n_tty_write")
int BPF_KRETPROBE(ta_kretprobe_n_tty_write, long ret)
{
	struct ta_pending_call c;

	if (!ta_kp_take(&c))
		return 0;
	return ta_fn_write_done((struct tty_struct *)c.tty, (const u8 *)c.buf, ret, TA_SRC_KPROBE,
				c.lflag, true);
}

SEC("kprobe/n_tty_receive_buf2")
int BPF_KPROBE(ta_kprobe_n_tty_receive_buf2, struct tty_struct *tty, const u8 *cp, const u8 *fp,
	       size_t count)
{
	return ta_kret_stash(tty, cp, count, 1);
}

SEC("kretprobe/n_tty_receive_buf2")
int BPF_KRETPROBE(ta_kretprobe_n_tty_receive_buf2, long ret)
{
	struct ta_pending_call c;

	if (!ta_kp_take(&c))
		return 0;
	return ta_fn_receive_done((struct tty_struct *)c.tty, (const u8 *)c.buf, ret,
				  TA_SRC_KPROBE, 0);
}

SEC("kprobe/n_tty_receive_buf")
int BPF_KPROBE(ta_kprobe_n_tty_receive_buf, struct tty_struct *tty, const u8 *cp, const u8 *fp,
	       size_t count)
{
	return ta_fn_receive_done(tty, cp, count, TA_SRC_KPROBE, TA_F_INJECTED);
}

/* At entry (a kretprobe has no arguments): a change the kernel then refuses is counted too. */
SEC("kprobe/tty_set_ldisc")
int BPF_KPROBE(ta_kprobe_tty_set_ldisc, struct tty_struct *tty, int disc)
{
	return ta_ldisc_set(tty, disc);
}

SEC("kprobe/n_tty_set_termios")
int BPF_KPROBE(ta_kprobe_n_tty_set_termios, struct tty_struct *tty)
{
	ta_modes_set(tty);
	return 0;
}

SEC("kprobe/tty_do_resize")
int BPF_KPROBE(ta_kprobe_tty_do_resize, struct tty_struct *tty, struct winsize *ws)
{
	return ta_fn_resize(tty, ws, TA_SRC_KPROBE);
}

SEC("kprobe/pty_resize")
int BPF_KPROBE(ta_kprobe_pty_resize, struct tty_struct *tty, struct winsize *ws)
{
	return ta_fn_resize(tty, ws, TA_SRC_KPROBE);
}

char LICENSE[] SEC("license") = "GPL";

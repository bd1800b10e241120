// SPDX-License-Identifier: GPL-2.0
/*
 * Backend "fentry": fentry/fexit programs on the tty layer's functions
 * (tty_functions.bpf.h says which and why).
 *
 * Their tty argument is a typed pointer, but the verifier refuses arithmetic
 * on one, and the terminals' identity cache (capture_common.bpf.h) hashes
 * the address: each program takes the argument as a number
 * (bpf_get_func_arg, which the verifier inlines into two loads), as the
 * system call programs hold it. A terminal write's identity then comes from
 * the cache, where it was ten helper reads at each end of the call.
 *
 * Not the typed build's plain loads of what hangs off a terminal
 * (TA_TYPED_TTY): Debian 12's bpftool cannot link two objects that both
 * declare the kfunc it needs (bpf_rdonly_cast; libbpf's linker fixed that in
 * 2024), and the system call programs declare it.
 */
/* The identity cache and bpf_get_func_arg (5.17+): in the builds with task storage. */
#ifndef TA_NO_TASK_STORAGE
#define TA_TTY_CACHE 1
#endif
#include "tty_functions.bpf.h"

/*
 * The tty argument as a number; see above. Every hooked function has it
 * first, so bpf_get_func_arg cannot fail here.
 */
static __always_inline struct tty_struct *ta_fn_tty(void *ctx, struct tty_struct *typed)
{
#ifdef TA_TTY_CACHE
	__u64 n = 0;

	bpf_get_func_arg(ctx, 0, &n);
	return (struct tty_struct *)n;
#else
	return typed;
#endif
}

SEC("fentry/n_tty_write")
int BPF_PROG(ta_fentry_n_tty_write, struct tty_struct *tty, struct file *file, const u8 *buf)
{
	if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	return ta_kp_stash(ta_fn_tty(ctx, tty), buf);
}

SEC("fexit/n_tty_write")
int BPF_PROG(ta_fexit_n_tty_write, struct tty_struct *tty, struct file *file, const u8 *buf,
	     size_t nr, long ret)
{
	struct tty_struct *t = ta_fn_tty(ctx, tty);
	struct ta_pending_call c;
	bool stashed = ta_kp_take(&c) != NULL;

	if (!stashed)
		c.lflag = ta_tty_lflag(t);
	return ta_fn_write_done(t, buf, ret, TA_SRC_FENTRY, c.lflag, stashed);
}

SEC("fexit/n_tty_receive_buf2")
int BPF_PROG(ta_fexit_n_tty_receive_buf2, struct tty_struct *tty, const u8 *cp, const u8 *fp,
	     size_t count, long ret)
{
	return ta_fn_receive_done(ta_fn_tty(ctx, tty), cp, ret, TA_SRC_FENTRY, 0);
}

SEC("fentry/n_tty_receive_buf")
int BPF_PROG(ta_fentry_n_tty_receive_buf, struct tty_struct *tty, const u8 *cp, const u8 *fp,
	     size_t count)
{
	return ta_fn_receive_done(ta_fn_tty(ctx, tty), cp, count, TA_SRC_FENTRY, TA_F_INJECTED);
}

SEC("fentry/tty_do_resize")
int BPF_PROG(ta_fentry_tty_do_resize, struct tty_struct *tty, struct winsize *ws)
{
	return ta_fn_resize(ta_fn_tty(ctx, tty), ws, TA_SRC_FENTRY);
}

SEC("fentry/pty_resize")
int BPF_PROG(ta_fentry_pty_resize, struct tty_struct *tty, struct winsize *ws)
{
	return ta_fn_resize(ta_fn_tty(ctx, tty), ws, TA_SRC_FENTRY);
}

SEC("fexit/tty_set_ldisc")
int BPF_PROG(ta_fexit_tty_set_ldisc, struct tty_struct *tty, int disc, int ret)
{
	return ret ? 0 : ta_ldisc_set(ta_fn_tty(ctx, tty), disc);
}

/* The terminal's modes were set (tcsetattr): see ta_secret. */
SEC("fexit/n_tty_set_termios")
int BPF_PROG(ta_fexit_n_tty_set_termios, struct tty_struct *tty)
{
	ta_modes_set(ta_fn_tty(ctx, tty));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

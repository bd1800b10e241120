// SPDX-License-Identifier: GPL-2.0
/*
 * Backends "fentry" and "kprobe": the tty layer's own functions.
 *
 * n_tty_write(tty, file, buf, nr) is where every process write to a terminal
 * lands, whatever syscall carried it (write, writev, sendfile, splice,
 * io_uring, and /dev/console writes that skip tty_write), with a kernel buffer
 * of at most a few KiB per call. It is taken at exit, with the count the line
 * discipline accepted, because a partial write is retried with the rest.
 * A write into a pty master is the slave's input. Input of other terminals is
 * taken where the line discipline receives it (n_tty_receive_buf2), in a
 * kworker: it is attributed by the terminal's session, never by the task.
 * n_tty_receive_buf is reached from TIOCSTI. Resizes: tty_do_resize, and
 * pty_resize, which ptys use instead.
 *
 * tty_set_ldisc: a terminal given another line discipline (TIOCSETD) writes
 * and takes input through that discipline's functions, which these programs
 * do not read; the change is counted (TA_DROP_LDISC).
 *
 * fentry/fexit programs are preferred (tty_fentry.bpf.c); the kprobe ones
 * (tty_kprobe.bpf.c) are the same logic for kernels without BPF trampolines.
 * The daemon loads one set. Two sources, because their programs get their
 * arguments differently (typed pointers, register values) and so may read
 * a terminal differently: this header is what they share, and each source
 * says first how it reads one (TA_TTY_CACHE).
 */
#ifndef TA_TTY_FUNCTIONS_BPF_H
#define TA_TTY_FUNCTIONS_BPF_H

#include "capture_common.bpf.h"

#define TA_N_TTY 0 /* the line discipline n_tty_write belongs to */

/* The n bytes at buf, a kernel buffer, into records made by ta_prepare. */
static __always_inline void ta_fn_emit(struct ta_chunk_loop *lc, const u8 *buf, long n)
{
	lc->em.buf = (__u64)buf;
	lc->em.nr_segs = 0;
	lc->em.user = 0;
	ta_emit_data(lc, n);
}

/*
 * stashed: the call's entry kept its state (ta_kp_stash, ta_kret_stash),
 * which it does only after asking whether the writer is the daemon itself:
 * a hash lookup fewer per write.
 */
static __always_inline int ta_fn_write_done(struct tty_struct *tty, const u8 *buf, long ret,
					    __u16 source, __u32 lflag, bool stashed)
{
	struct ta_chunk_loop lc;

	if (ret <= 0 || (!stashed && ta_is_self(bpf_get_current_pid_tgid() >> 32)))
		return 0;
	if (ta_prepare(&lc.em, tty, TA_EV_TTY_OUTPUT, source, 0, lflag))
		ta_fn_emit(&lc, buf, ret);
	return 0;
}

static __always_inline int ta_fn_receive_done(struct tty_struct *tty, const u8 *cp, long count,
					      __u16 source, __u16 flags)
{
	struct ta_chunk_loop lc;

	if (count <= 0)
		return 0;
	/* Pty input is taken at the master write; see the header comment. */
	if (!(flags & TA_F_INJECTED) && ta_tty_is_pty(tty))
		return 0;
	if (ta_prepare(&lc.em, tty, TA_EV_TTY_INPUT, source, flags, ta_tty_lflag(tty)))
		ta_fn_emit(&lc, cp, count);
	return 0;
}

/*
 * A discipline other than N_TTY on a terminal: what passes through it is not
 * captured from now on, so the log says when, on whose session (the caller's:
 * a pty's owner, or the program holding its master). Counted, not captured:
 * N_HDLC's write, for one, reaches the pty unchanged, shown but not recorded.
 */
static __always_inline int ta_ldisc_set(struct tty_struct *tty, int disc)
{
	if (disc == TA_N_TTY || ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	ta_count_tty_loss(tty, true, 0, TA_DROP_LDISC);
	return 0;
}

/* A window size set: ws is the kernel's copy of it. */
static __always_inline int ta_fn_resize(struct tty_struct *tty, struct winsize *ws, __u16 source)
{
	struct winsize w = {};

	bpf_probe_read_kernel(&w, sizeof(w), ws);
	ta_emit_winsize(tty, &w, source);
	return 0;
}

/* Arguments and terminal modes kept from entry to return (fexit, kretprobe). */

static __always_inline int ta_kp_stash(struct tty_struct *tty, const void *buf)
{
	struct ta_task_state *ts = ta_task_state_get(true);

	/* Without state the return reads the modes then: only they are kept here. */
	if (!ts)
		return 0;
	__builtin_memset(&ts->call, 0, sizeof(ts->call));
	ts->call.tty = (__u64)tty;
	ts->call.buf = (__u64)buf;
	ts->call.lflag = ta_tty_lflag(tty);
	ts->call.active = TA_CALL_OPEN;
	return 0;
}

/*
 * A kprobe's entry: a kretprobe has no arguments, so without state the call
 * is lost, and counted here. A call of this thread still open is one whose
 * kretprobe never ran (ta_kret_missed). `read`: receive calls (input); pty
 * input is taken at the master write, so a lost pty receive call hides
 * nothing and is not counted.
 */
static __always_inline int ta_kret_stash(struct tty_struct *tty, const void *buf, __u64 nr,
					 __u32 read)
{
	struct ta_task_state *ts = ta_task_state_get(true);
	bool counted = !read || !ta_tty_is_pty(tty);
	struct ta_pending_call *c;

	if (!ts) {
		if (counted)
			ta_count_tty_loss(tty, !read, nr, TA_DROP_NO_STATE);
		return 0;
	}
	c = ta_kp_open(ts);
	c->tty = (__u64)tty;
	c->buf = (__u64)buf;
	c->count = nr;
	c->is_read = read;
	c->lflag = ta_tty_lflag(tty);
	c->active = TA_CALL_OPEN;
	if (counted) {
		ta_tty_loss_owner(tty, !read, &c->loss_ses, &c->loss_auid);
		c->active = TA_CALL_OPEN_KRET;
	}
	return 0;
}

static __always_inline struct ta_pending_call *ta_kp_take(struct ta_pending_call *out)
{
	struct ta_task_state *ts = ta_task_state_get(false);

	if (!ts || !ts->call.active || ts->call.active == TA_CALL_OPEN_UNIX)
		return NULL;
	*out = ts->call;
	ts->call.active = 0;
	ta_task_state_done(ts);
	return out;
}

#endif /* TA_TTY_FUNCTIONS_BPF_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Backend "tracepoint": syscall tracepoints, for kernels where function
 * tracing (fentry, kprobes) is unavailable or locked down.
 *
 * Output: write/writev to a tty, read back from the caller's buffer at syscall
 * exit once the kernel says how much went through. Input on ptys: bytes written
 * into the master (what the slave's line discipline receives); on other ttys
 * (console, serial, virtual consoles) the receive path is invisible here, so
 * input is taken where a process reads it (flag READ_SIDE). sendfile and splice
 * into a tty are counted (UNCAPTURED); io_uring writes are not seen at all.
 */
#include "capture_common.bpf.h"

#define TA_TIOCSTI 0x5412
#define TA_TIOCSWINSZ 0x5414

enum { TA_CALL_WRITE = 0, TA_CALL_READ = 1, TA_CALL_UNCAPTURED = 2 };

static __always_inline int ta_enter_io(long fd, __u64 buf, __u32 nr_segs, __u32 mode)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tty_struct *tty;

	if (ta_is_self(id >> 32))
		return 0;
	tty = ta_fd_tty(fd);
	if (!tty)
		return 0;
	/* Pty input is taken where it enters, at the master; reading it again would double it. */
	if (mode == TA_CALL_READ && ta_tty_is_pty(tty))
		return 0;
	struct ta_pending_call p = {
		.tty = (__u64)tty, .buf = buf, .nr_segs = nr_segs, .is_read = mode,
		.lflag = ta_tty_lflag(tty),
	};
	bpf_map_update_elem(&ta_pending, &id, &p, BPF_ANY);
	return 0;
}

static __always_inline void ta_emit_uncaptured(struct tty_struct *tty, __u64 bytes, __u32 nr)
{
	struct ta_uncaptured_event *e;
	struct tty_struct *slave = tty;

	if (ta_tty_is_master(tty))
		slave = BPF_CORE_READ(tty, link);
	if (!slave)
		return;
	e = bpf_ringbuf_reserve(&ta_events, sizeof(*e), 0);
	if (!e) {
		__u64 t = bpf_get_current_task();
		ta_count_drop(BPF_CORE_READ((struct task_struct *)t, sessionid),
			      BPF_CORE_READ((struct task_struct *)t, loginuid.val), bytes);
		return;
	}
	ta_fill_hdr(&e->hdr, TA_EV_UNCAPTURED, TA_SRC_SYSCALL);
	e->hdr.size = sizeof(*e);
	ta_fill_task(&e->task);
	ta_fill_tty_id(&e->tty, slave);
	e->bytes = bytes;
	e->syscall_nr = nr;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int ta_exit_io(long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct ta_pending_call *p = bpf_map_lookup_elem(&ta_pending, &id);
	struct ta_pending_call call;
	struct ta_chunk_loop lc;

	if (!p)
		return 0;
	call = *p;
	bpf_map_delete_elem(&ta_pending, &id);
	if (ret <= 0)
		return 0;
	if (call.is_read == TA_CALL_UNCAPTURED) {
		ta_emit_uncaptured((struct tty_struct *)call.tty, ret, call.nr_segs);
		return 0;
	}
	if (!ta_prepare(&lc.em, (struct tty_struct *)call.tty,
			call.is_read ? TA_EV_TTY_INPUT : TA_EV_TTY_OUTPUT, TA_SRC_SYSCALL,
			call.is_read ? TA_F_READ_SIDE : 0, call.lflag))
		return 0;
	lc.em.buf = call.buf;
	lc.em.nr_segs = call.nr_segs;
	lc.em.user = 1;
	ta_emit_data(&lc, ret);
	return 0;
}

SEC("tp/syscalls/sys_enter_write")
int ta_tp_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return ta_enter_io(ctx->args[0], ctx->args[1], 0, TA_CALL_WRITE);
}

SEC("tp/syscalls/sys_exit_write")
int ta_tp_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return ta_exit_io(ctx->ret);
}

SEC("tp/syscalls/sys_enter_writev")
int ta_tp_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	__u32 vlen = ctx->args[2];

	return vlen ? ta_enter_io(ctx->args[0], ctx->args[1], vlen, TA_CALL_WRITE) : 0;
}

SEC("tp/syscalls/sys_exit_writev")
int ta_tp_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	return ta_exit_io(ctx->ret);
}

SEC("tp/syscalls/sys_enter_read")
int ta_tp_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return ta_enter_io(ctx->args[0], ctx->args[1], 0, TA_CALL_READ);
}

SEC("tp/syscalls/sys_exit_read")
int ta_tp_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return ta_exit_io(ctx->ret);
}

SEC("tp/syscalls/sys_enter_readv")
int ta_tp_enter_readv(struct trace_event_raw_sys_enter *ctx)
{
	__u32 vlen = ctx->args[2];

	return vlen ? ta_enter_io(ctx->args[0], ctx->args[1], vlen, TA_CALL_READ) : 0;
}

SEC("tp/syscalls/sys_exit_readv")
int ta_tp_exit_readv(struct trace_event_raw_sys_exit *ctx)
{
	return ta_exit_io(ctx->ret);
}

/* sendfile(out_fd, in_fd, ...): the data never passes through user memory. */
SEC("tp/syscalls/sys_enter_sendfile64")
int ta_tp_enter_sendfile(struct trace_event_raw_sys_enter *ctx)
{
	return ta_enter_io(ctx->args[0], 0, ctx->id, TA_CALL_UNCAPTURED);
}

SEC("tp/syscalls/sys_exit_sendfile64")
int ta_tp_exit_sendfile(struct trace_event_raw_sys_exit *ctx)
{
	return ta_exit_io(ctx->ret);
}

/* splice(fd_in, off_in, fd_out, off_out, len, flags) into a tty. */
SEC("tp/syscalls/sys_enter_splice")
int ta_tp_enter_splice(struct trace_event_raw_sys_enter *ctx)
{
	return ta_enter_io(ctx->args[2], 0, ctx->id, TA_CALL_UNCAPTURED);
}

SEC("tp/syscalls/sys_exit_splice")
int ta_tp_exit_splice(struct trace_event_raw_sys_exit *ctx)
{
	return ta_exit_io(ctx->ret);
}

/* ioctl: window size changes, and TIOCSTI (input pushed by a process). */
SEC("tp/syscalls/sys_enter_ioctl")
int ta_tp_enter_ioctl(struct trace_event_raw_sys_enter *ctx)
{
	unsigned int cmd = ctx->args[1];
	struct tty_struct *tty;
	struct ta_chunk_loop lc;

	if (cmd != TA_TIOCSWINSZ && cmd != TA_TIOCSTI)
		return 0;
	if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	tty = ta_fd_tty(ctx->args[0]);
	if (!tty)
		return 0;
	if (cmd == TA_TIOCSWINSZ) {
		struct winsize ws = {};

		if (bpf_probe_read_user(&ws, sizeof(ws), (void *)ctx->args[2]))
			return 0;
		ta_emit_winsize(tty, &ws, TA_SRC_SYSCALL);
		return 0;
	}
	if (!ta_prepare(&lc.em, tty, TA_EV_TTY_INPUT, TA_SRC_SYSCALL, TA_F_INJECTED,
			ta_tty_lflag(tty)))
		return 0;
	lc.em.buf = ctx->args[2];
	lc.em.nr_segs = 0;
	lc.em.user = 1;
	ta_emit_data(&lc, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * The programs that see unix socket connects and binds (unix_sockets.bpf.h
 * records them).
 *
 * The fentry and kprobe backends take them in the unix family's own connect
 * and bind functions, at their exit: every road there (connect(2), bind(2),
 * the 32-bit socketcall, io_uring's requests) with the address the kernel
 * copied, on every architecture, and no program on every system call of the
 * host. Elsewhere, or where the kernel lacks those functions, the system
 * calls' exit takes them (ta_raw_unix_exit, x86-64 only), and io_uring's
 * completions those requests (io_uring.bpf.c).
 *
 * The system calls' one is a program of its own: verified apart from the
 * terminal I/O dispatcher, with a stack of its own (that one's uses 440 of
 * its 512 bytes). The dispatcher hands it the calls that can be unix
 * connects or binds by a tail call (ta_exit_progs); where the dispatcher is
 * not attached, the daemon attaches it to raw sys_exit itself.
 */
#include "unix_sockets.bpf.h"
#include "call_kinds.bpf.h"

TA_SYSCALL_TP("sys_exit")
int ta_raw_unix_exit(struct bpf_raw_tracepoint_args *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long ret = ctx->args[1];
	long nr = TA_REGS_READ(regs, orig_ax);
	struct sock *sk;
	struct ta_sys_args s;
	__u32 op, fd;
	__u64 uaddr;
	long alen;
	bool compat;
	int kind;

	/*
	 * connect and bind return 0 or -errno; anything else (a seccomp trap's
	 * rollback, a tracer's emulation) is no call of theirs.
	 */
	if (!(ta_exit_props(nr) & TA_KP_UNIX) || ret > 0 || ret < -4095)
		return 0;
	kind = ta_entry_kind(nr, &compat);
	if (kind != TA_K_CONNECT && kind != TA_K_BIND && kind != TA_K_SOCKETCALL)
		return 0;
	ta_call_args(regs, compat, &s);
	if (kind == TA_K_SOCKETCALL) {
		/* socketcall(call, args): 32-bit only, its arguments an array of three words. */
		__u32 a[3];

		if (s.a[0] != TA_SYS_CONNECT && s.a[0] != TA_SYS_BIND)
			return 0;
		op = s.a[0] == TA_SYS_CONNECT ? TA_UNIX_CONNECT : TA_UNIX_BIND;
		if (bpf_probe_read_user(a, sizeof(a), (void *)s.a[1]))
			return 0;
		fd = a[0];
		uaddr = a[1];
		alen = (int)a[2];
	} else {
		op = kind == TA_K_CONNECT ? TA_UNIX_CONNECT : TA_UNIX_BIND;
		/* The kernel takes fd and length as ints: their low 32 bits. */
		fd = (__u32)s.a[0];
		uaddr = s.a[1];
		alen = (int)s.a[2];
	}
	if (!ta_unix_call_wanted(alen, ret))
		return 0;
	sk = ta_unix_sock(ta_fd_socket(fd));
	if (sk)
		ta_unix_record(op, sk, ret, uaddr, alen, false, TA_SRC_SYSCALL);
#endif
	return 0;
}

/*
 * The unix family's connect and bind, at their exit (the fentry and kprobe
 * backends). addr is the kernel's copy of the caller's address, alen its
 * length; the socket is a unix one (these are its family's operations).
 */
static __always_inline int ta_unix_fn_exit(__u32 op, struct socket *sock, struct sockaddr_un *addr,
					   int alen, int ret, __u16 source)
{
	struct sock *sk;

	if (!ta_unix_call_wanted(alen, ret))
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		ta_unix_record(op, sk, ret, (__u64)addr, alen, true, source);
	return 0;
}

/* Stream and sequential packet sockets. */
SEC("fexit/unix_stream_connect")
int BPF_PROG(ta_fexit_unix_stream_connect, struct socket *sock, struct sockaddr_un *addr, int alen,
	     int flags, int ret)
{
	return ta_unix_fn_exit(TA_UNIX_CONNECT, sock, addr, alen, ret, TA_SRC_FENTRY);
}

SEC("fexit/unix_dgram_connect")
int BPF_PROG(ta_fexit_unix_dgram_connect, struct socket *sock, struct sockaddr_un *addr, int alen,
	     int flags, int ret)
{
	return ta_unix_fn_exit(TA_UNIX_CONNECT, sock, addr, alen, ret, TA_SRC_FENTRY);
}

SEC("fexit/unix_bind")
int BPF_PROG(ta_fexit_unix_bind, struct socket *sock, struct sockaddr_un *addr, int alen, int ret)
{
	return ta_unix_fn_exit(TA_UNIX_BIND, sock, addr, alen, ret, TA_SRC_FENTRY);
}

/*
 * The same functions with kprobes (the kprobe backend). A kretprobe has no
 * arguments: the entry keeps them in the thread's call state
 * (TA_CALL_OPEN_UNIX), for terminal processes only; a return the kernel
 * skipped (all its instances held by blocked calls) is counted when the
 * thread's next call opens (ta_kret_missed).
 */
static __always_inline int ta_unix_kp_enter(__u32 op, struct socket *sock, struct sockaddr_un *addr,
					    int alen)
{
	struct ta_pending_call *c;
	struct ta_task_state *ts;
	struct tty_struct *ctty;
	__u32 ses, auid;

	/* No name given: no record whatever the result (ta_unix_call_wanted). */
	if (alen <= 2 || ta_is_self(bpf_get_current_pid_tgid() >> 32) ||
	    !ta_caller_recorded(&ctty, &ses, &auid))
		return 0;
	ses = ta_ses_or_tty_leader(ses, (__u64)ctty);
	ts = ta_task_state_get(true);
	if (!ts) {
		ta_count_loss(ses, auid, 0, TA_DROP_NO_STATE);
		return 0;
	}
	c = ta_kp_open(ts);
	c->buf = (__u64)sock;
	c->file = (__u64)addr;
	c->nr_segs = alen;
	c->is_read = op;
	c->loss_ses = ses;
	c->loss_auid = auid;
	c->active = TA_CALL_OPEN_UNIX;
	return 0;
}

static __always_inline int ta_unix_kp_exit(int ret)
{
	struct ta_task_state *ts = ta_task_state_get(false);
	__u64 sock, addr;
	__u32 op, alen;

	if (!ts || ts->call.active != TA_CALL_OPEN_UNIX)
		return 0;
	sock = ts->call.buf;
	addr = ts->call.file;
	alen = ts->call.nr_segs;
	op = ts->call.is_read;
	ts->call.active = 0;
	ta_task_state_done(ts);
	return ta_unix_fn_exit(op, (struct socket *)sock, (struct sockaddr_un *)addr, alen, ret,
			       TA_SRC_KPROBE);
}

/* A kprobe and its return probe on one of the unix family's functions. */
#define TA_UNIX_KPROBES(fn, op)                                                               \
	SEC("kprobe/" #fn)                                                                    \
	int BPF_KPROBE(ta_kprobe_##fn, struct socket *sock, struct sockaddr_un *addr, int alen) \
	{                                                                                     \
		return ta_unix_kp_enter(op, sock, addr, alen);                                \
	}                                                                                     \
	SEC("kretprobe/" #fn)                                                                 \
	int BPF_KRETPROBE(ta_kretprobe_##fn, int ret)                                         \
	{                                                                                     \
		return ta_unix_kp_exit(ret);                                                  \
	}

TA_UNIX_KPROBES(unix_stream_connect, TA_UNIX_CONNECT)
TA_UNIX_KPROBES(unix_dgram_connect, TA_UNIX_CONNECT)
TA_UNIX_KPROBES(unix_bind, TA_UNIX_BIND)

char LICENSE[] SEC("license") = "GPL";

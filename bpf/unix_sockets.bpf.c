// SPDX-License-Identifier: GPL-2.0
/*
 * Unix socket connects and binds of terminal processes: how tmux and screen
 * clients reach their servers (agent/shared_tty, docs/shared-terminals.md).
 *
 * Taken at the call's exit, with its result: a call that failed attaches no
 * client and names no server (anyone may try another user's socket, then
 * type along with its panes). A call that succeeded is described by the
 * kernel's socket, not the caller's buffer: the name the server bound and
 * the inode of its socket file (for a connect, of the socket it reached).
 * The caller's buffer can say something else than what the kernel used:
 * another thread rewrites it while the kernel copies it, or a user
 * namespace mounts a directory of its own over the path and serves a
 * socket there under the same name. A failed call is recorded with its
 * errno and the path as the caller's memory holds it at exit (a claim).
 *
 * A program of its own, for every backend: verified apart from the terminal
 * I/O dispatcher, with a stack of its own (that one's uses 440 of its 512
 * bytes). The dispatcher hands it the calls that can be unix connects or
 * binds by a tail call (ta_exit_progs); where the dispatcher is not attached,
 * the daemon attaches it to raw sys_exit itself.
 */
#include "capture_common.bpf.h"
#include "call_kinds.bpf.h"

#define TA_AF_UNIX 1

/* The unix socket behind fd, or NULL if it is none. */
static __always_inline struct sock *ta_unix_fd_sock(__u32 fd)
{
	struct socket *sock = ta_fd_socket(fd);
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != TA_AF_UNIX)
		return NULL;
	return sk;
}

/*
 * The failures worth a record: no server there (ENOENT, ECONNREFUSED: the
 * tracker waits for a bind), a server refusing the caller (EACCES, EPERM:
 * evidence), a path taken (EADDRINUSE). Others (EBADF, EINVAL...) name no
 * socket, and would let a loop of them fill the process events' ring.
 */
static __always_inline bool ta_unix_failure_wanted(long ret)
{
	return ret == -2 /* ENOENT */ || ret == -111 /* ECONNREFUSED */ || ret == -13 /* EACCES */ ||
	       ret == -1 /* EPERM */ || ret == -98 /* EADDRINUSE */;
}

/* The call's address from the caller's memory: whether it is a unix one. */
static __always_inline bool ta_unix_claimed(__u64 uaddr)
{
	__u16 family = 0;

	return !bpf_probe_read_user(&family, sizeof(family), (void *)uaddr) && family == TA_AF_UNIX;
}

static __always_inline void ta_unix_fill_kernel(struct ta_unix_event *e, struct unix_sock *u)
{
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	struct dentry *d = BPF_CORE_READ(u, path.dentry);
	__u64 len = 0;

	/* addr->len: the family's two bytes and the name (with its NUL, for a path). */
	if (addr) {
		int alen = BPF_CORE_READ(addr, len);

		len = alen > 2 ? alen - 2 : 0;
	}
	if (len > TA_UNIX_PATH_MAX)
		len = TA_UNIX_PATH_MAX;
	/* The bound must sit on the register that reaches the helper (6.1 loses a spilled one's). */
	asm volatile("" : "+r"(len));
	if (len > TA_UNIX_PATH_MAX)
		len = 0;
	if (len && bpf_core_read(e->path, len, &addr->name[0].sun_path))
		len = 0;
	e->path_len = len;
	if (d) {
		struct inode *ino = BPF_CORE_READ(d, d_inode);

		if (ino) {
			e->ino = BPF_CORE_READ(ino, i_ino);
			e->dev = BPF_CORE_READ(ino, i_sb, s_dev);
		}
	}
	e->flags = TA_UNIX_F_KERNEL;
}

static __always_inline void ta_unix_fill_claimed(struct ta_unix_event *e, __u64 uaddr, long alen)
{
	__u64 len = alen - 2;

	if (len > TA_UNIX_PATH_MAX)
		len = TA_UNIX_PATH_MAX;
	asm volatile("" : "+r"(len));
	if (len > TA_UNIX_PATH_MAX)
		len = 0;
	if (bpf_probe_read_user(e->path, len, (const char *)uaddr + 2))
		len = 0;
	e->path_len = len;
}

TA_SYSCALL_TP("sys_exit")
int ta_raw_unix_exit(struct bpf_raw_tracepoint_args *ctx)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long ret = ctx->args[1];
	long nr = TA_REGS_READ(regs, orig_ax);
	struct unix_sock *target = NULL;
	struct ta_unix_event *e;
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
	/* No name given (a bind of the family alone autobinds an abstract one): no server. */
	if (alen <= 2)
		return 0;
	if (ret && !ta_unix_failure_wanted(ret))
		return 0;
	sk = ta_unix_fd_sock(fd);
	if (!sk)
		return 0; /* another family */
	if (ret == 0) {
		/* The socket the call named: the one bound, or the connected one's peer. */
		target = (struct unix_sock *)(op == TA_UNIX_CONNECT ?
					      BPF_CORE_READ((struct unix_sock *)sk, peer) : sk);
		if (!target)
			return 0;
	} else if (!ta_unix_claimed(uaddr)) {
		return 0;
	}
	e = ta_reserve_process_event(sizeof(*e), TA_EV_UNIX_SOCKET, TA_SRC_SYSCALL);
	if (!e)
		return 0;
	e->op = op;
	e->ret = ret;
	e->flags = 0;
	e->ino = 0;
	e->dev = 0;
	e->pad = 0;
	__builtin_memset(e->path, 0, sizeof(e->path));
	if (target)
		ta_unix_fill_kernel(e, target);
	else
		ta_unix_fill_claimed(e, uaddr, alen);
	bpf_ringbuf_submit(e, 0);
#endif
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

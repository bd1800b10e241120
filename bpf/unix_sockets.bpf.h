/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unix socket connects and binds of terminal processes, as records: how tmux
 * and screen clients reach their servers (agent/shared_tty,
 * docs/shared-terminals.md). Each road to the unix family's connect and bind
 * (unix_sockets.bpf.c: the system calls' exit, or the family's own functions;
 * io_uring.bpf.c: io_uring's requests) ends here.
 *
 * A call that succeeded is described by the kernel's socket, not by an
 * address: the name the server bound and the inode of its socket file (for
 * a connect, of the socket it reached). The address a caller passes can say
 * something else than what the kernel used: another thread rewrites it while
 * the kernel copies it, or a user namespace mounts a directory of its own
 * over the path and serves a socket there under the same name. A call that
 * failed attaches no client and names no server (anyone may try another
 * user's socket, then type along with its panes): it is recorded with its
 * errno and its address, as the kernel copied it where the hook sees that
 * copy, else as the caller's memory holds it at exit (a claim).
 */
#ifndef TTYAUDIT_UNIX_SOCKETS_BPF_H
#define TTYAUDIT_UNIX_SOCKETS_BPF_H

#include "capture_common.bpf.h"

#define TA_AF_UNIX 1

/*
 * Set by the daemon before load: 1 where io_uring's connect and bind
 * requests are taken at their completion (io_uring.bpf.c), 0 where the unix
 * family's own functions are hooked and see them already.
 */
const volatile __u32 ta_unix_uring __weak = 1;

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

/*
 * Whether a call that ended with ret, given an address of alen bytes, is
 * worth a record: a name was given (a bind of the family alone autobinds an
 * abstract name, no server), and it succeeded or failed in a way that says
 * something (ta_unix_failure_wanted).
 */
static __always_inline bool ta_unix_call_wanted(long alen, long ret)
{
	return alen > 2 && (!ret || ta_unix_failure_wanted(ret));
}

/* Whether the address at addr (the kernel's copy: in_kernel) is a unix one. */
static __always_inline bool ta_unix_addr_is_unix(__u64 addr, bool in_kernel)
{
	__u16 family = 0;
	long err = in_kernel ? bpf_probe_read_kernel(&family, sizeof(family), (void *)addr)
			     : bpf_probe_read_user(&family, sizeof(family), (void *)addr);

	return !err && family == TA_AF_UNIX;
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

/* A failed call's address (alen bytes at addr, the family's two first). */
static __always_inline void ta_unix_fill_addr(struct ta_unix_event *e, __u64 addr, long alen,
					      bool in_kernel)
{
	__u64 len = alen - 2;
	long err;

	if (len > TA_UNIX_PATH_MAX)
		len = TA_UNIX_PATH_MAX;
	asm volatile("" : "+r"(len));
	if (len > TA_UNIX_PATH_MAX)
		len = 0;
	err = in_kernel ? bpf_probe_read_kernel(e->path, len, (const char *)addr + 2)
			: bpf_probe_read_user(e->path, len, (const char *)addr + 2);
	e->path_len = err ? 0 : len;
	e->flags = in_kernel ? TA_UNIX_F_CALL_ADDR : 0;
}

/*
 * Records the caller's connect (op) or bind of unix socket sk, which ended
 * with ret (0 or -errno; the caller has checked it is worth a record:
 * ta_unix_call_wanted): one that succeeded by the socket it
 * reached (sk's peer) or bound, one that failed by its address (addr, alen
 * bytes; the kernel's copy: in_kernel) if that is a unix one.
 */
static __always_inline void ta_unix_record(__u32 op, struct sock *sk, long ret, __u64 addr,
					   long alen, bool in_kernel, __u16 source)
{
	struct unix_sock *target = NULL;
	struct ta_unix_event *e;

	if (ret == 0) {
		target = (struct unix_sock *)(op == TA_UNIX_CONNECT ?
					      BPF_CORE_READ((struct unix_sock *)sk, peer) : sk);
		/* A datagram socket's connect to AF_UNSPEC drops its peer: no server. */
		if (!target)
			return;
	} else if (!ta_unix_addr_is_unix(addr, in_kernel)) {
		return;
	}
	e = ta_reserve_process_event(sizeof(*e), TA_EV_UNIX_SOCKET, source);
	if (!e)
		return;
	e->op = op;
	e->ret = ret;
	e->ino = 0;
	e->dev = 0;
	e->pad = 0;
	__builtin_memset(e->path, 0, sizeof(e->path));
	if (target)
		ta_unix_fill_kernel(e, target);
	else
		ta_unix_fill_addr(e, addr, alen, in_kernel);
	bpf_ringbuf_submit(e, 0);
}

/* The unix socket of a socket, or NULL if it is of another family. */
static __always_inline struct sock *ta_unix_sock(struct socket *sock)
{
	struct sock *sk = sock ? BPF_CORE_READ(sock, sk) : NULL;

	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != TA_AF_UNIX)
		return NULL;
	return sk;
}

#endif /* TTYAUDIT_UNIX_SOCKETS_BPF_H */

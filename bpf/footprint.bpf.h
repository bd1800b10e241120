/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A session's footprint (include/ttyaudit/footprint.h, docs/capture.md):
 * file, network and privilege calls of processes inside a recorded session.
 *
 * Hooked into the one sys_enter/sys_exit dispatcher (a raw tracepoint
 * program of its own would double the cost of every system call on the
 * host): for the calls of its kinds, by processes in a session, sys_enter
 * tail-calls the entry program (footprint.bpf.c), and sys_exit finishes
 * them inline. At entry the call's arguments and paths are kept in task storage,
 * only for processes that have a controlling terminal or an audit session
 * and pass the uid/auid filters (the test exec events use): everything else
 * pays the table lookup and that test. At exit the record gets the result and the
 * credentials, and goes into a ring of its own, so a flood of opens can
 * neither crowd out terminal data nor who ran what; each person has a share
 * of it (ta_fp_share_ok); what does not fit is counted as a loss
 * (TA_DROP_FOOTPRINT) against the session.
 *
 * 32-bit calls (int 0x80, a 32-bit process) of the same kinds are followed
 * too, marked TA_FPF_COMPAT. io_uring requests of these kinds make no system
 * call of their own: their completions are recorded (ta_fp_io_uring) with
 * what the completion says, marked TA_FPF_IO_URING.
 */
#ifndef TTYAUDIT_FOOTPRINT_BPF_H
#define TTYAUDIT_FOOTPRINT_BPF_H

#include "capture_common.bpf.h"
#include "call_kinds.bpf.h"
#include "path_walk.bpf.h"
#include "ttyaudit/footprint.h"

#define TA_O_ACCMODE 3
#define TA_O_CREAT 0100
#define TA_O_TRUNC 01000
#define TA_O_WRONLY 1
#define TA_AT_REMOVEDIR 0x200
#define TA_AF_INET 2
#define TA_AF_INET6 10

/* Set by the daemon before load (footprint = off|on|all): the verifier drops what is off. */
enum { TA_FP_MODE_ON = 1, TA_FP_MODE_READS = 2 };
/* __weak: every object that includes this header shares the one variable. */
const volatile __u32 ta_fp_mode __weak = 0;

#define TA_FP_RING_BYTES (2 << 20)
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TA_FP_RING_BYTES);
} ta_fp_events SEC(".maps") __weak;

/* Each person's asks of ta_fp_events (ta_fp_share_ok). */
TA_SHARE_TABLES(ta_fp_usage, ta_fp_top);

/* The footprint's entry program (footprint.bpf.c), tail-called by sys_enter. Filled by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ta_fp_progs SEC(".maps") __weak;

/* A call between entry and exit; the record itself, completed at exit. */
struct ta_fp_pending {
	__s64 nr;          /* the call's number; -1: none pending */
	struct ta_fp_event ev;
};

#ifndef TA_NO_TASK_STORAGE
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ta_fp_pending);
} ta_fp_pending SEC(".maps") __weak;

/* The current thread's pending footprint call; with create, made on first use. */
static __always_inline struct ta_fp_pending *ta_fp_pending_get(bool create)
{
	return bpf_task_storage_get(&ta_fp_pending, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* The call is over (task storage stays with its thread). */
static __always_inline void ta_fp_pending_done(void)
{
}
#else
/*
 * The fallback programs (kernel_compat.bpf.h): a table by thread id that
 * holds a thread only between a call's entry and its exit. A full table is
 * counted (footprint_ring_full), never evicted silently.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TA_FB_STATE_ENTRIES);
	__type(key, __u32);
	__type(value, struct ta_fp_pending);
} ta_fp_pending SEC(".maps") __weak;

/* A zeroed value to insert (too large for the stack); never written. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_fp_pending);
} ta_fp_pending_zero SEC(".maps") __weak;

static __always_inline struct ta_fp_pending *ta_fp_pending_get(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct ta_fp_pending *p = bpf_map_lookup_elem(&ta_fp_pending, &tid), *init;

	if (p || !create)
		return p;
	init = bpf_map_lookup_elem(&ta_fp_pending_zero, &zero);
	if (!init || bpf_map_update_elem(&ta_fp_pending, &tid, init, BPF_NOEXIST))
		return NULL;
	return bpf_map_lookup_elem(&ta_fp_pending, &tid);
}

static __always_inline void ta_fp_pending_done(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&ta_fp_pending, &tid);
}
#endif

/* What a kind of call is to the footprint (0: nothing). */
static __always_inline __u16 ta_fp_op_of(int kind)
{
	switch (kind) {
	case TA_K_FP_OPEN: case TA_K_FP_OPENAT: case TA_K_FP_OPENAT2: case TA_K_FP_CREAT:
		return TA_FP_OPEN;
	case TA_K_FP_RENAME: case TA_K_FP_RENAMEAT:
		return TA_FP_RENAME;
	case TA_K_FP_UNLINK: case TA_K_FP_UNLINKAT:
		return TA_FP_UNLINK;
	case TA_K_FP_RMDIR:
		return TA_FP_RMDIR;
	case TA_K_FP_MKDIR: case TA_K_FP_MKDIRAT:
		return TA_FP_MKDIR;
	case TA_K_FP_CHMOD: case TA_K_FP_FCHMOD: case TA_K_FP_FCHMODAT:
		return TA_FP_CHMOD;
	case TA_K_FP_CHOWN: case TA_K_FP_FCHOWN: case TA_K_FP_FCHOWNAT:
		return TA_FP_CHOWN;
	case TA_K_CONNECT:
		return TA_FP_CONNECT;
	case TA_K_FP_ACCEPT:
		return TA_FP_ACCEPT;
	case TA_K_FP_SETUID: case TA_K_FP_SETREUID:
		return TA_FP_SETUID;
	case TA_K_FP_SETGID: case TA_K_FP_SETREGID:
		return TA_FP_SETGID;
	case TA_K_FP_CAPSET:
		return TA_FP_CAPSET;
	default:
		return 0;
	}
}

/* Calls that name no file. */
static __always_inline bool ta_fp_op_is_net_or_priv(__u16 op)
{
	return op == TA_FP_CONNECT || op == TA_FP_ACCEPT || op == TA_FP_SETUID ||
	       op == TA_FP_SETGID || op == TA_FP_CAPSET || op == TA_FP_EXEC_SETID;
}

/* Inside a recorded session, and not filtered out: the processes that pay. */
static __always_inline bool ta_fp_in_session(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ta_config *cfg;

	if (BPF_CORE_READ(task, sessionid) == TA_UNSET && !BPF_CORE_READ(task, signal, tty))
		return false;
	if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return false;
	cfg = ta_get_config();
	return cfg && ta_filter_pass(cfg, (__u32)bpf_get_current_uid_gid(),
				     BPF_CORE_READ(task, loginuid.val));
}

static __always_inline __u32 ta_fp_read_path(char *dst, __u64 uptr, __u32 cut, __u32 *flags)
{
	long n = bpf_probe_read_user_str(dst, TA_FP_PATH_MAX, (const void *)uptr);

	if (n <= 0) {
		dst[0] = '\0';
		return 0;
	}
	if (n == TA_FP_PATH_MAX) {
		char c = 0;

		/* Filled to the brim: cut unless the string ended exactly there. */
		if (!bpf_probe_read_user(&c, 1, (const void *)(uptr + TA_FP_PATH_MAX - 1)) && c)
			*flags |= cut;
	}
	return n - 1;
}

/*
 * Copies the walked path w->buf[pos, TA_CWD_MAX), then n_more bytes the
 * caller put after it, into dst (TA_FP_PATH_MAX bytes, cut to fit).
 * Returns the bytes copied; sets cut if they did not all fit.
 */
static __always_inline __u32 ta_fp_copy_walked(char *dst, struct ta_path_walk *w, __u32 total,
					       __u32 *flags, __u32 cut)
{
	__u32 pos = w->pos, n = total;

	if (pos > TA_CWD_MAX)
		return 0;
	if (n > TA_FP_PATH_MAX - 1) {
		n = TA_FP_PATH_MAX - 1;
		*flags |= cut;
	}
	/* The bound must sit on the register that reaches the helper (6.1 loses a spilled one's). */
	asm volatile("" : "+r"(n));
	if (n > TA_FP_PATH_MAX - 1)
		return 0;
	if (bpf_probe_read_kernel(dst, n, w->buf + pos)) {
		dst[0] = '\0';
		return 0;
	}
	dst[n & (TA_FP_PATH_MAX - 1)] = '\0';
	return n;
}

/* The absolute path of the file behind fd (fchmod, fchown); its last component if too deep. */
static __always_inline __u32 ta_fp_fd_path(char *dst, __u32 fd, __u32 *flags)
{
	struct file *f = ta_fd_file(fd);
	struct ta_path_walk *w;
	long n;

	dst[0] = '\0';
	if (!f)
		return 0;
	w = ta_walk_get();
	n = w ? ta_walk_file(w, f) : -1;
	if (n > 0 && !w->truncated)
		return ta_fp_copy_walked(dst, w, n, flags, TA_FPF_PATH_CUT);
	n = bpf_probe_read_kernel_str(dst, TA_FP_PATH_MAX,
				      BPF_CORE_READ(f, f_path.dentry, d_name.name));
	return n > 0 ? n - 1 : 0;
}

/* The directory a relative name is looked up from: the working directory, or dirfd's. */
static __always_inline long ta_fp_base(struct ta_path_walk *w, long dirfd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if ((int)dirfd == TA_FP_AT_FDCWD)
		return ta_walk_path(w, BPF_CORE_READ(task, fs, pwd.dentry),
				    BPF_CORE_READ(task, fs, pwd.mnt));
	return ta_walk_file(w, ta_fd_file((int)dirfd));
}

/*
 * A relative name becomes its base directory's absolute path joined with
 * the name as given (TA_FPF_JOINED, given at *off), so that rules and
 * queries see where the call was aimed. Read at entry, when the kernel is
 * about to resolve the same directory; the kernel's own result is not known
 * here (the name may not exist yet, or no longer).
 */
static __always_inline void ta_fp_join(char *path, __u32 *len, __u16 *off, __u32 *flags,
				       long dirfd, __u32 joined, __u32 unknown, __u32 cut)
{
	struct ta_path_walk *w;
	__u32 n, given = *len;
	long d;

	if (!given || path[0] == '/')
		return;
	w = ta_walk_get();
	d = w ? ta_fp_base(w, dirfd) : -1;
	/* No room left for the name after the directory: kept as given. */
	if (d < 0 || w->truncated || d + 1 >= TA_FP_PATH_MAX - 1) {
		*flags |= unknown;
		return;
	}
	w->buf[TA_CWD_MAX] = '/';
	if (bpf_probe_read_kernel(&w->buf[TA_CWD_MAX + 1], TA_FP_PATH_MAX, path)) {
		*flags |= unknown;
		return;
	}
	n = ta_fp_copy_walked(path, w, d + 1 + given, flags, cut);
	if (!n) {
		*len = 0;
		*flags |= unknown;
		return;
	}
	*len = n;
	*off = d + 1;
	*flags |= joined;
}

static __always_inline void ta_fp_sock_kind(struct ta_fp_event *e, struct socket *sock)
{
	struct sock *sk;

	if (!sock)
		return;
	e->sock_type = BPF_CORE_READ(sock, type);
	sk = BPF_CORE_READ(sock, sk);
	if (sk)
		e->protocol = BPF_CORE_READ(sk, sk_protocol);
}

/* connect: the address asked for; only IPv4/IPv6 (unix sockets have their own record). */
static __always_inline bool ta_fp_sockaddr(struct ta_fp_event *e, __u64 uaddr, long len)
{
	__u16 fam = 0, port = 0;

	if (len < 8 || bpf_probe_read_user(&fam, sizeof(fam), (void *)uaddr))
		return false;
	if (fam == TA_AF_INET) {
		bpf_probe_read_user(&port, 2, (void *)(uaddr + 2));
		bpf_probe_read_user(e->addr, 4, (void *)(uaddr + 4));
	} else if (fam == TA_AF_INET6 && len >= 24) {
		bpf_probe_read_user(&port, 2, (void *)(uaddr + 2));
		bpf_probe_read_user(e->addr, 16, (void *)(uaddr + 8));
	} else {
		return false;
	}
	e->family = fam;
	e->port = __builtin_bswap16(port);
	return true;
}

/* The peer of a connected socket (accept's new one, an io_uring connect's). */
static __always_inline bool ta_fp_sock_peer(struct ta_fp_event *e, struct socket *sock)
{
	struct sock *sk;
	__u16 fam;

	if (!sock)
		return false;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return false;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam == TA_AF_INET) {
		__be32 a = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(e->addr, &a, 4);
	} else if (fam == TA_AF_INET6) {
		BPF_CORE_READ_INTO(&e->addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		return false;
	}
	e->family = fam;
	e->port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ta_fp_sock_kind(e, sock);
	return true;
}

/* accept: the peer of the new connection, from its socket. */
static __always_inline bool ta_fp_peer(struct ta_fp_event *e, __u32 fd)
{
	return ta_fp_sock_peer(e, ta_fd_socket(fd));
}

/* A record's fields before a call fills what it has. */
static __always_inline void ta_fp_init(struct ta_fp_event *e, __u16 op, __u32 flags, __u32 arg)
{
	e->op = op;
	e->fp_flags = flags;
	e->ret = 0;
	e->dirfd = e->dirfd2 = TA_FP_AT_FDCWD;
	e->arg = arg;
	e->arg_uid = e->arg_gid = TA_UNSET;
	e->family = e->port = e->sock_type = e->protocol = 0;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	e->path[0] = e->path2[0] = '\0';
	e->path_len = e->path2_len = 0;
	e->given_off = e->given2_off = 0;
}

/* Opens for reading only are skipped unless asked for (volume: every library, every file read). */
static __always_inline bool ta_fp_open_wanted(__u32 flags)
{
	if (ta_fp_mode & TA_FP_MODE_READS)
		return true;
	return (flags & TA_O_ACCMODE) != 0 || (flags & (TA_O_CREAT | TA_O_TRUNC));
}

/*
 * Entry: the arguments, for a call of a footprint kind (native convention)
 * by a process in a session (the caller checked ta_fp_in_session); s holds
 * its first three arguments.
 */
static __always_inline void ta_fp_enter(int kind, long nr, struct pt_regs *regs, bool compat,
					const struct ta_sys_args *s)
{
	struct ta_fp_pending *p;
	struct ta_fp_event *e;
	__u16 op;
	unsigned long a0 = s->a[0], a1 = s->a[1], a2 = s->a[2], a3 = 0;
	__u32 flags = 0;

	/* socketcall(call, args): a 32-bit connect or accept, its arguments in user memory. */
	if (kind == TA_K_SOCKETCALL) {
		__u32 sc[3] = {};

		if (a0 != TA_SYS_CONNECT && a0 != TA_SYS_ACCEPT && a0 != TA_SYS_ACCEPT4)
			return;
		if (bpf_probe_read_user(sc, sizeof(sc), (void *)a1))
			return;
		kind = a0 == TA_SYS_CONNECT ? TA_K_CONNECT : TA_K_FP_ACCEPT;
		a0 = sc[0];
		a1 = sc[1];
		a2 = sc[2];
	}
	op = ta_fp_op_of(kind);
	if (!op)
		return;
	/* Decided before any storage is made: read-only opens are the bulk. */
	if (op == TA_FP_OPEN) {
		__u64 how = 0;

		if (kind == TA_K_FP_OPENAT)
			flags = a2;
		else if (kind == TA_K_FP_OPENAT2)
			flags = bpf_probe_read_user(&how, sizeof(how), (void *)a2) ? 0 : how;
		else if (kind == TA_K_FP_OPEN)
			flags = a1;
		else
			flags = TA_O_CREAT | TA_O_WRONLY | TA_O_TRUNC;  /* creat */
		if (!ta_fp_open_wanted(flags))
			return;
	}
	if (kind == TA_K_FP_RENAMEAT || kind == TA_K_FP_FCHOWNAT) {
#if TA_HAS_COMPAT
		if (compat)
			a3 = (__u32)BPF_CORE_READ(regs, si);
		else
#endif
			a3 = PT_REGS_PARM4_CORE_SYSCALL(regs);
	}
	p = ta_fp_pending_get(true);
	if (!p) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		ta_count_loss(BPF_CORE_READ(t, sessionid), BPF_CORE_READ(t, loginuid.val), 0,
			      TA_DROP_FOOTPRINT);
		return;
	}
	e = &p->ev;
	p->nr = -1;
	ta_fp_init(e, op, compat ? TA_FPF_COMPAT : 0, 0);

	switch (kind) {
	case TA_K_FP_OPENAT:
	case TA_K_FP_OPENAT2:
		e->dirfd = a0;
		a0 = a1;
		/* fall through */
	case TA_K_FP_OPEN:
	case TA_K_FP_CREAT:
		e->arg = flags;
		e->path_len = ta_fp_read_path(e->path, a0, TA_FPF_PATH_CUT, &e->fp_flags);
		break;
	case TA_K_FP_RENAME:
		/* rename(old, new) */
		e->path_len = ta_fp_read_path(e->path, a0, TA_FPF_PATH_CUT, &e->fp_flags);
		e->path2_len = ta_fp_read_path(e->path2, a1, TA_FPF_PATH2_CUT, &e->fp_flags);
		break;
	case TA_K_FP_RENAMEAT:
		/* renameat(olddirfd, old, newdirfd, new) */
		e->dirfd = a0;
		e->dirfd2 = a2;
		e->path_len = ta_fp_read_path(e->path, a1, TA_FPF_PATH_CUT, &e->fp_flags);
		e->path2_len = ta_fp_read_path(e->path2, a3, TA_FPF_PATH2_CUT, &e->fp_flags);
		break;
	case TA_K_FP_UNLINKAT:
		e->dirfd = a0;
		if (a2 & TA_AT_REMOVEDIR)
			e->op = TA_FP_RMDIR;
		e->path_len = ta_fp_read_path(e->path, a1, TA_FPF_PATH_CUT, &e->fp_flags);
		break;
	case TA_K_FP_MKDIRAT:
		e->dirfd = a0;
		e->arg = a2;
		e->path_len = ta_fp_read_path(e->path, a1, TA_FPF_PATH_CUT, &e->fp_flags);
		break;
	case TA_K_FP_MKDIR:
	case TA_K_FP_CHMOD:
		e->arg = a1;
		/* fall through */
	case TA_K_FP_UNLINK:
	case TA_K_FP_RMDIR:
		e->path_len = ta_fp_read_path(e->path, a0, TA_FPF_PATH_CUT, &e->fp_flags);
		break;
	case TA_K_FP_FCHMOD:
		e->fp_flags |= TA_FPF_FD;
		e->path_len = ta_fp_fd_path(e->path, a0, &e->fp_flags);
		e->arg = a1;
		break;
	case TA_K_FP_FCHMODAT:
		e->dirfd = a0;
		e->arg = a2;
		e->path_len = ta_fp_read_path(e->path, a1, TA_FPF_PATH_CUT, &e->fp_flags);
		break;
	case TA_K_FP_CHOWN:
		e->path_len = ta_fp_read_path(e->path, a0, TA_FPF_PATH_CUT, &e->fp_flags);
		e->arg_uid = a1;
		e->arg_gid = a2;
		break;
	case TA_K_FP_FCHOWN:
		e->fp_flags |= TA_FPF_FD;
		e->path_len = ta_fp_fd_path(e->path, a0, &e->fp_flags);
		e->arg_uid = a1;
		e->arg_gid = a2;
		break;
	case TA_K_FP_FCHOWNAT:
		e->dirfd = a0;
		e->path_len = ta_fp_read_path(e->path, a1, TA_FPF_PATH_CUT, &e->fp_flags);
		e->arg_uid = a2;
		e->arg_gid = a3;
		break;
	case TA_K_CONNECT:
		if (!ta_fp_sockaddr(e, a1, a2))
			return;
		ta_fp_sock_kind(e, ta_fd_socket(a0));
		break;
	/* The id that matters most: the effective one asked for (setresuid: euid). */
	case TA_K_FP_SETUID:
		e->arg_uid = a0;
		break;
	case TA_K_FP_SETREUID:
		e->arg_uid = a1;
		break;
	case TA_K_FP_SETGID:
		e->arg_gid = a0;
		break;
	case TA_K_FP_SETREGID:
		e->arg_gid = a1;
		break;
	default:
		break;
	}
	if (!ta_fp_op_is_net_or_priv(op) && !(e->fp_flags & TA_FPF_FD)) {
		ta_fp_join(e->path, &e->path_len, &e->given_off, &e->fp_flags, e->dirfd,
			   TA_FPF_JOINED, TA_FPF_BASE_UNKNOWN, TA_FPF_PATH_CUT);
		if (op == TA_FP_RENAME)
			ta_fp_join(e->path2, &e->path2_len, &e->given2_off, &e->fp_flags, e->dirfd2,
				   TA_FPF_PATH2_JOINED, TA_FPF_BASE2_UNKNOWN, TA_FPF_PATH2_CUT);
	}
	p->nr = nr;
}

static __always_inline void ta_fp_creds(struct ta_fp_event *e)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cred *c = BPF_CORE_READ(task, cred);

	e->uid = BPF_CORE_READ(c, uid.val);
	e->euid = BPF_CORE_READ(c, euid.val);
	e->suid = BPF_CORE_READ(c, suid.val);
	e->fsuid = BPF_CORE_READ(c, fsuid.val);
	e->gid = BPF_CORE_READ(c, gid.val);
	e->egid = BPF_CORE_READ(c, egid.val);
	e->cap_effective = 0;
	bpf_probe_read_kernel(&e->cap_effective, sizeof(e->cap_effective),
			      (char *)c + bpf_core_field_offset(struct cred, cap_effective));
}

/* Header, who and where: as ta_reserve_process_event fills them. */
static __always_inline void ta_fp_fill_ids(struct ta_fp_event *e)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tty_struct *ctty = BPF_CORE_READ(task, signal, tty);

	ta_fill_hdr(&e->hdr, TA_EV_FOOTPRINT, TA_SRC_SYSCALL);
	e->hdr.size = sizeof(*e);
	e->fp_version = TA_FP_VERSION;
	ta_fill_task(&e->task);
	__builtin_memset(&e->tty, 0, sizeof(e->tty));
	if (ctty) {
		ta_fill_tty_id(&e->tty, ctty);
		e->task.ses = ta_ses_or_tty_leader(e->task.ses, (__u64)ctty);
	}
	ta_fp_creds(e);
}

/*
 * 1 if a record of n bytes by session ses, login uid auid (as the record
 * names them) may go into the footprint's ring: the ring's share per person,
 * as for terminal data. A file call costs about a microsecond: a loop of them
 * must not fill the ring while another person opens, renames or changes
 * privilege. A global function, verified once (sys_exit's frame stays its own).
 */
__weak __noinline int ta_fp_share_ok(__u32 ses, __u32 auid, __u32 n)
{
	return ta_share_admit(&ta_fp_events, TA_FP_RING_BYTES, &ta_fp_usage, &ta_fp_top,
			      ta_share_person(auid, ses), bpf_ktime_get_boot_ns() / TA_SHARE_WINDOW_NS, n,
			      false);
}

/* Into the ring, or counted lost (over the person's share, or the ring full). */
static __always_inline void ta_fp_submit(struct ta_fp_event *e)
{
	if (!ta_fp_share_ok(e->task.ses, e->task.auid, sizeof(*e)) ||
	    bpf_ringbuf_output(&ta_fp_events, e, sizeof(*e), 0))
		ta_count_loss(e->task.ses, e->task.auid, 0, TA_DROP_FOOTPRINT);
}

/* Exit: the result, the credentials, and out. */
static __always_inline void ta_fp_exit(long nr, long ret)
{
	struct ta_fp_pending *p;
	struct ta_fp_event *e;

	p = ta_fp_pending_get(false);
	if (!p || p->nr != nr)
		return;
	p->nr = -1;
	e = &p->ev;
	/* A failed accept says nothing (non-blocking servers poll with it). */
	if (e->op != TA_FP_ACCEPT || (ret >= 0 && ta_fp_peer(e, ret))) {
		e->ret = ret;
		ta_fp_fill_ids(e);
		ta_fp_submit(e);
	}
	ta_fp_pending_done();
}

/*
 * Exec of a set-user/group-ID program (sched_process_exec, new credentials in
 * place). path is the program that ran (bprm->file walked: a symlink or
 * fexecve's /dev/fd/N names sudo too), path2 the name given to execve. w and
 * exe: the caller's walk of bprm->file if it made one (exe >= 0), else NULL.
 */
static __always_inline void ta_fp_exec_setid(struct linux_binprm *bprm, struct ta_path_walk *w,
					     long exe)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cred *c = BPF_CORE_READ(task, cred);
	const char *given = BPF_CORE_READ(bprm, filename);
	struct ta_fp_pending *p;
	struct ta_fp_event *e;
	bool own = false;
	long n;

	if (BPF_CORE_READ(c, euid.val) == BPF_CORE_READ(c, uid.val) &&
	    BPF_CORE_READ(c, egid.val) == BPF_CORE_READ(c, gid.val))
		return;
	if (!ta_fp_in_session())
		return;
	p = ta_fp_pending_get(true);
	if (!p)
		return;
	p->nr = -1;
	e = &p->ev;
	ta_fp_init(e, TA_FP_EXEC_SETID, 0, 0);
	if (!w) {
		w = ta_walk_get();
		own = true;
		exe = w ? ta_walk_file(w, BPF_CORE_READ(bprm, file)) : -1;
	}
	n = bpf_probe_read_kernel_str(e->path2, TA_FP_PATH_MAX, given);
	e->path2_len = n > 0 ? n - 1 : 0;
	/* Not walked whole: the given name, as before there was a walk. */
	if (w && exe > 0 && !w->truncated)
		e->path_len = ta_fp_copy_walked(e->path, w, exe, &e->fp_flags, TA_FPF_PATH_CUT);
	if (!e->path_len) {
		n = bpf_probe_read_kernel_str(e->path, TA_FP_PATH_MAX, given);
		e->path_len = n > 0 ? n - 1 : 0;
	}
	if (own && w)
		ta_walk_put();
	ta_fp_fill_ids(e);
	ta_fp_submit(e);
	ta_fp_pending_done();
}

/* io_uring opcodes (include/uapi/linux/io_uring.h, a stable ABI) of the footprint's kinds. */
#define TA_IORING_OP_ACCEPT 13
#define TA_IORING_OP_CONNECT 16
#define TA_IORING_OP_OPENAT 18
#define TA_IORING_OP_OPENAT2 28
#define TA_IORING_OP_RENAMEAT 35
#define TA_IORING_OP_UNLINKAT 36
#define TA_IORING_OP_MKDIRAT 37

static __always_inline __u16 ta_fp_uring_op(__u8 opcode)
{
	switch (opcode) {
	case TA_IORING_OP_ACCEPT: return TA_FP_ACCEPT;
	case TA_IORING_OP_CONNECT: return TA_FP_CONNECT;
	case TA_IORING_OP_OPENAT: case TA_IORING_OP_OPENAT2: return TA_FP_OPEN;
	case TA_IORING_OP_RENAMEAT: return TA_FP_RENAME;
	case TA_IORING_OP_UNLINKAT: return TA_FP_UNLINK;
	case TA_IORING_OP_MKDIRAT: return TA_FP_MKDIR;
	default: return 0;
	}
}

/*
 * The completion of an io_uring request of a footprint kind, in the thread
 * that completes it (the submitter, or one of its io_uring workers: the
 * same session). The request's own arguments live in a per-opcode layout
 * that changes between kernels, so what is recorded is what is certain: the
 * kind and the result, and for a connect the peer of its socket.
 * TA_FPF_UNCAPTURED says the names are not known (the open's flags either:
 * a read-only open is recorded too).
 */
static __always_inline void ta_fp_io_uring(struct file *file, __u8 opcode, int res)
{
	__u16 op = ta_fp_uring_op(opcode);
	struct ta_fp_pending *p;
	struct ta_fp_event *e;

	if (!op || !ta_fp_in_session())
		return;
	p = ta_fp_pending_get(true);
	/*
	 * A system call of this thread between entry and exit keeps its slot
	 * (a slot just made holds 0: no call of the footprint has that number).
	 */
	if (!p || p->nr > 0) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		ta_count_loss(BPF_CORE_READ(t, sessionid), BPF_CORE_READ(t, loginuid.val), 0,
			      TA_DROP_FOOTPRINT);
		return;
	}
	e = &p->ev;
	ta_fp_init(e, op, TA_FPF_IO_URING, opcode);
	e->ret = res;
	if (op == TA_FP_CONNECT)
		ta_fp_sock_peer(e, ta_file_socket(file));
	if (!e->family)
		e->fp_flags |= TA_FPF_UNCAPTURED;
	ta_fp_fill_ids(e);
	ta_fp_submit(e);
	ta_fp_pending_done();
}

#endif /* TTYAUDIT_FOOTPRINT_BPF_H */

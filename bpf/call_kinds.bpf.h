/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kinds of system call the raw sys_enter/sys_exit programs handle, and how a
 * call's number and calling convention map to one (the rows are in
 * syscall_nr.bpf.h). A call is looked up once: its number in the table of
 * its convention gives a kind, its arguments are read by its convention,
 * and one dispatcher switches on the kind. Whether sys_exit has anything to
 * do for a number is derived from the same rows, so the two cannot drift.
 *
 * To add a call: a kind here (with its properties), its rows in
 * syscall_nr.bpf.h, and a case in the dispatcher.
 */
#ifndef TTYAUDIT_CALL_KINDS_BPF_H
#define TTYAUDIT_CALL_KINDS_BPF_H

#include "syscall_nr.bpf.h"

/* Properties of a kind. */
#define TA_KP_EXIT 0x1   /* the entry may leave a call pending: sys_exit must look */
#define TA_KP_UNIX 0x2   /* a unix connect or bind: taken at exit, by unix_sockets.bpf.c */
#define TA_KP_FOOTPRINT 0x4 /* a session's footprint (footprint.bpf.h): entry and exit, when on */

/* X(kind, properties) */
#define TA_CALL_KINDS(X) \
	X(WRITE, TA_KP_EXIT) \
	X(READ, TA_KP_EXIT) \
	X(WRITEV, TA_KP_EXIT) \
	X(READV, TA_KP_EXIT) \
	X(SENDFILE, TA_KP_EXIT) \
	X(SPLICE, TA_KP_EXIT) \
	X(IOCTL, TA_KP_EXIT) \
	X(IO_SUBMIT, 0) \
	X(CONNECT, TA_KP_UNIX | TA_KP_FOOTPRINT) \
	X(BIND, TA_KP_UNIX) \
	X(SOCKETCALL, TA_KP_UNIX | TA_KP_FOOTPRINT) \
	X(FP_OPEN, TA_KP_FOOTPRINT) \
	X(FP_OPENAT, TA_KP_FOOTPRINT) \
	X(FP_OPENAT2, TA_KP_FOOTPRINT) \
	X(FP_CREAT, TA_KP_FOOTPRINT) \
	X(FP_RENAME, TA_KP_FOOTPRINT) \
	X(FP_RENAMEAT, TA_KP_FOOTPRINT) \
	X(FP_UNLINK, TA_KP_FOOTPRINT) \
	X(FP_UNLINKAT, TA_KP_FOOTPRINT) \
	X(FP_RMDIR, TA_KP_FOOTPRINT) \
	X(FP_MKDIR, TA_KP_FOOTPRINT) \
	X(FP_MKDIRAT, TA_KP_FOOTPRINT) \
	X(FP_CHMOD, TA_KP_FOOTPRINT) \
	X(FP_FCHMOD, TA_KP_FOOTPRINT) \
	X(FP_FCHMODAT, TA_KP_FOOTPRINT) \
	X(FP_CHOWN, TA_KP_FOOTPRINT) \
	X(FP_FCHOWN, TA_KP_FOOTPRINT) \
	X(FP_FCHOWNAT, TA_KP_FOOTPRINT) \
	X(FP_ACCEPT, TA_KP_FOOTPRINT) \
	X(FP_SETUID, TA_KP_FOOTPRINT) \
	X(FP_SETREUID, TA_KP_FOOTPRINT) \
	X(FP_SETGID, TA_KP_FOOTPRINT) \
	X(FP_SETREGID, TA_KP_FOOTPRINT) \
	X(FP_CAPSET, TA_KP_FOOTPRINT) \
	X(DUP, TA_KP_EXIT) \
	X(DUP2, TA_KP_EXIT) \
	X(DUP3, TA_KP_EXIT) \
	X(FCNTL, TA_KP_EXIT) \
	X(CLOSE, TA_KP_EXIT) \
	X(CLOSE_RANGE, TA_KP_EXIT)

enum ta_call_kind {
	TA_K_NONE = 0,
#define TA_K_ENUM(kind, props) TA_K_##kind,
	TA_CALL_KINDS(TA_K_ENUM)
#undef TA_K_ENUM
};

static __always_inline __u32 ta_kind_props(int kind)
{
	switch (kind) {
#define TA_K_PROPS(kind, props) case TA_K_##kind: return props;
	TA_CALL_KINDS(TA_K_PROPS)
#undef TA_K_PROPS
	default:
		return 0;
	}
}

#define TA_K_ROW(nr, kind) case nr: return TA_K_##kind;

static __always_inline int ta_native_kind(long nr)
{
	switch (nr) {
	TA_NATIVE_CALLS(TA_K_ROW)
	default:
		return TA_K_NONE;
	}
}

static __always_inline int ta_compat_kind(long nr)
{
	switch (nr) {
	TA_COMPAT_CALLS(TA_K_ROW)
	default:
		return TA_K_NONE;
	}
}

static __always_inline int ta_x32_kind(long nr)
{
	switch (nr) {
	TA_X32_CALLS(TA_K_ROW)
	default:
		return TA_K_NONE;
	}
}
#undef TA_K_ROW

/*
 * The properties of the kinds a number names in any convention: sys_exit has
 * terminal I/O to finish (TA_KP_EXIT), footprint (TA_KP_FOOTPRINT) or a unix
 * connect or bind (TA_KP_UNIX).
 */
static __always_inline __u32 ta_exit_props(long nr)
{
	return ta_kind_props(ta_native_kind(nr)) | ta_kind_props(ta_compat_kind(nr)) |
	       ta_kind_props(ta_x32_kind(nr));
}

/*
 * The unix socket calls' exit program (unix_sockets.bpf.c), reached by a tail
 * call of the raw sys_exit dispatcher (tty_syscalls.bpf.c) for the numbers
 * that can name one: a program on raw sys_exit of its own cost every system
 * call of the host a third program run (50 to 150 ns here). Where the
 * dispatcher is not attached (a function backend without the footprint) the
 * daemon attaches that program itself.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ta_exit_progs SEC(".maps") __weak;

/*
 * The programs on the system call tracepoints. In the full build they are
 * typed (tp_btf: the tracepoint's own BTF, which the full build needs anyway
 * for bpf_get_current_task_btf), so the pt_regs they are given is read with
 * plain loads; the raw tracepoint gives a number, read through
 * bpf_probe_read_kernel, a helper call of ~30 ns here. sys_exit reads
 * orig_ax at every system call of the host, and the entry of a wanted call
 * its arguments. The tail calls' targets (ta_fp_progs, ta_exit_progs) are of
 * the same kind and tracepoint as their caller, as the kernel requires.
 */
#ifdef TA_NO_TASK_STORAGE
#define TA_SYSCALL_TYPED 0
#define TA_SYSCALL_TP(name) SEC("raw_tp/" name)
#define TA_REGS_READ(regs, field) BPF_CORE_READ(regs, field)
#else
#define TA_SYSCALL_TYPED 1
#define TA_SYSCALL_TP(name) SEC("tp_btf/" name)
#define TA_REGS_READ(regs, field) ((regs)->field)
#endif

/* The first arguments of a call, as its calling convention passed them. */
struct ta_sys_args {
	unsigned long a[3];
};

#if TA_HAS_COMPAT
/* A 32-bit call in progress (int 0x80, sysenter, or a 32-bit process). */
static __always_inline bool ta_in_compat_syscall(void)
{
	struct task_struct *task = TA_CUR_TASK();

	if (!bpf_core_field_exists(task->thread_info.status))
		return false;
	return TA_TASK_READ(task, thread_info.status) & TA_TS_COMPAT;
}
#endif

static __always_inline void ta_call_args(struct pt_regs *regs, bool compat, struct ta_sys_args *s)
{
#if TA_HAS_COMPAT
	if (compat) {
		s->a[0] = (__u32)TA_REGS_READ(regs, bx);
		s->a[1] = (__u32)TA_REGS_READ(regs, cx);
		s->a[2] = (__u32)TA_REGS_READ(regs, dx);
		return;
	}
#endif
#if TA_SYSCALL_TYPED && defined(__TARGET_ARCH_x86)
	s->a[0] = TA_REGS_READ(regs, di);
	s->a[1] = TA_REGS_READ(regs, si);
	s->a[2] = TA_REGS_READ(regs, dx);
#elif defined(__TARGET_ARCH_x86)
	/*
	 * One read, not three: the first three arguments (di, si, dx) lie side
	 * by side in x86-64's pt_regs, the ptrace layout that never changes.
	 * Each read is a helper call (~30-40 ns here) on every wanted call of
	 * the host, most of which then turn out to be no terminal's.
	 */
	struct ta_regs_args {
		unsigned long dx, si, di;
	} r;

	_Static_assert(__builtin_offsetof(struct pt_regs, si) ==
			       __builtin_offsetof(struct pt_regs, dx) + 8 &&
		       __builtin_offsetof(struct pt_regs, di) ==
			       __builtin_offsetof(struct pt_regs, dx) + 16,
		       "x86-64 pt_regs: dx, si, di adjacent");
	if (bpf_core_read(&r, sizeof(r), &regs->dx))
		r.dx = r.si = r.di = 0;
	s->a[0] = r.di;
	s->a[1] = r.si;
	s->a[2] = r.dx;
#else
	s->a[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	s->a[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	s->a[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
#endif
}

/*
 * The kind of the call now entering and its convention. A 32-bit call's
 * number can equal a wanted native one (ia32 lseek is 19, native readv): the
 * convention is read (a kernel memory read) only for numbers that name a
 * kind in the native or the 32-bit table.
 */
static __always_inline int ta_entry_kind(long nr, bool *compat)
{
	int kind = ta_native_kind(nr);

	*compat = false;
#if TA_HAS_COMPAT
	int kind32 = ta_compat_kind(nr);

	if (kind == TA_K_NONE && kind32 == TA_K_NONE)
		return ta_x32_kind(nr);
	if (ta_in_compat_syscall()) {
		*compat = true;
		return kind32;
	}
#endif
	return kind;
}

#endif /* TTYAUDIT_CALL_KINDS_BPF_H */

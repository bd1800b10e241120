/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and helpers shared by every capture program. Maps are __weak so each
 * source can include this header and `bpftool gen object` merges them into
 * one definition.
 */
#ifndef TTYAUDIT_CAPTURE_COMMON_BPF_H
#define TTYAUDIT_CAPTURE_COMMON_BPF_H

#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "ttyaudit/event.h"

#define S_IFMT 00170000
#define S_IFCHR 0020000
#define MINORBITS 20
#define TA_MAJOR_SLOTS 512
#define TA_ECHO 0000010
#define TA_ICANON 0000002
#define TA_UNSET ((__u32)-1)

/*
 * The current task's fields, and the structs it points to, read as plain
 * loads where the kernel gives a program a typed pointer to the task
 * (bpf_get_current_task_btf, 5.11+: the full build): the verifier turns each
 * into a load the JIT guards with an exception-table entry, where
 * BPF_CORE_READ is a bpf_probe_read_kernel call per field (a helper call and
 * copy_from_kernel_nofault's checks, ~30-40 ns each here, and a terminal
 * write took a dozen of them). The fallback build, for kernels before 5.11,
 * reads through the helper. Only a chain of struct pointers loads so: a
 * pointer the kernel stores as a number or a pointer to pointers (fdt->fd[i],
 * file->private_data) still goes through the helper.
 */
#ifdef TA_NO_TASK_STORAGE
#define TA_CUR_TASK() ((struct task_struct *)bpf_get_current_task())
#define TA_TASK_READ(...) BPF_CORE_READ(__VA_ARGS__)
#else
#define TA_CUR_TASK() bpf_get_current_task_btf()
#define TA_TASK_READ(...) ___arrow(__VA_ARGS__)
#endif

#ifdef TA_TYPED_READS
/*
 * The typed build (6.2+): a pointer the kernel stores as a number or in an
 * array of pointers (fdt->fd[i]) is given its type back, and the fields
 * behind it are plain loads the JIT guards, not a helper call each. The call
 * itself is a register move once verified. Used in the typed (tp_btf)
 * programs only: whether raw tracepoint programs may call kfuncs differs
 * between kernels, and the daemon probes a typed one (variant.c).
 */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;
#endif

/*
 * What hangs off a terminal (its driver, modes, session and the session's
 * leader), read where a source defines TA_TYPED_TTY (the system call
 * programs, typed tracepoints) in the typed build: the pointer, held as a
 * number (read through the helper, or kept from the call's entry), is given
 * its type back and the fields are plain loads, where BPF_CORE_READ is a
 * helper call per field. A terminal write read a dozen of them. Pointers
 * read so are only loaded through, compared and stored, never hashed: the
 * verifier refuses arithmetic other than adding a constant on a typed
 * pointer, so the tty and its link stay numbers. Elsewhere (raw
 * tracepoints, kprobes, and global functions any of them call) through the
 * helper: whether those may call a kfunc differs between kernels.
 */
#if defined(TA_TYPED_READS) && defined(TA_TYPED_TTY)
#define TA_TTY_SITE_TYPED true
#define TA_TYPED(p) \
	((typeof(p))bpf_rdonly_cast((void *)(p), bpf_core_type_id_kernel(typeof(*(p)))))
#define TA_TYPED_READ(p, ...) ___arrow(TA_TYPED(p), __VA_ARGS__)
#else
#define TA_TTY_SITE_TYPED false
#define TA_TYPED_READ(...) BPF_CORE_READ(__VA_ARGS__)
#endif
/* Typed or through the helper, as `typed` (a constant) says. */
#define TA_READ_AS(typed, ...) ((typed) ? TA_TYPED_READ(__VA_ARGS__) : BPF_CORE_READ(__VA_ARGS__))
#define TA_TTY_READ(...) TA_READ_AS(TA_TTY_SITE_TYPED, __VA_ARGS__)

/* Terminal data to userspace. Size set by the daemon (--ring-size) before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} ta_events SEC(".maps") __weak;

/*
 * The size of ta_events, set by the daemon before load with the map's own
 * (--ring-size): a constant for the verifier, where asking the ring
 * (bpf_ringbuf_query) was a helper call, twice per record.
 */
const volatile __u64 ta_ring_bytes __weak = 16 << 20;

/*
 * Set by the daemon before load: 0 when a function backend takes terminal
 * data, and the system call programs are there for the footprint only. The
 * verifier drops the rest.
 */
const volatile __u32 ta_syscall_io __weak = 1;

/*
 * Process events (exec, exit, unix sockets): small and rare, in a ring of
 * their own so that a flood of output on one terminal cannot crowd out who
 * ran what elsewhere. Window sizes and uncaptured counts stay with the data:
 * they belong to a terminal's stream, in order.
 */
#define TA_CTL_RING_BYTES (1 << 20)
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TA_CTL_RING_BYTES);
} ta_ctl_events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_config);
} ta_config SEC(".maps") __weak;

/* Thread-group ids never recorded: the agent itself. Filled by the daemon. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} ta_self SEC(".maps") __weak;

/* Character-device majors that belong to the tty layer (from /proc/devices). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TA_MAJOR_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} ta_tty_majors SEC(".maps") __weak;

/*
 * 1 while the daemon is idle: the first data record into an empty ring wakes
 * it. While it is busy it drains on a short timer instead, and records do not
 * wake it (set by the daemon; see ta_data_wakeup_flags).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} ta_wake_on_empty SEC(".maps") __weak;

/* Every record that did not fit into the ring, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_drop_counters);
} ta_drops SEC(".maps") __weak;

/* The same losses by session, so gap records can say whose data was lost. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ta_session_drop_key);
	__type(value, struct ta_drop_counters);
} ta_session_drops SEC(".maps") __weak;

/* Per-CPU counter for call ids. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ta_call_seq SEC(".maps") __weak;

/* A call seen on entry and completed on exit (syscalls, kretprobes). */
struct ta_pending_call {
	__u64 tty;        /* struct tty_struct *; 0: the fd was no tty at entry (watched) */
	__u64 buf;        /* user or kernel buffer, or iovec array */
	__u32 nr_segs;    /* 0: buf is the data; else buf is struct iovec[nr_segs] */
	__u32 is_read;
	__u32 lflag;      /* the terminal's c_lflag when the call started */
	__u32 compat_iov; /* 1: buf is struct compat_iovec[nr_segs] (a 32-bit call) */
	__u64 file;       /* struct file * the fd named at entry (syscalls) */
	__u64 count;      /* bytes asked for (plain calls; 0 if vectored) */
	__u64 digest;     /* of the first TA_DIGEST_MAX bytes at entry (plain writes) */
	__u64 nvcsw;      /* voluntary context switches at entry: changed = the call blocked */
	__u64 files;      /* fd table shared with other tasks at entry (fd_flips.bpf.h), or 0 */
	__u64 flips;      /* changes to it started by entry */
	__u32 flip_busy;  /* one was running at entry */
	__s32 fd;
	__u32 active;     /* from entry to exit: TA_CALL_OPEN, TA_CALL_OPEN_KRET, _UNIX */
	__u32 loss_ses;   /* TA_CALL_OPEN_KRET, _UNIX: whose data a skipped return hides, */
	__u32 loss_auid;  /* found at entry (ta_kret_missed) */
	__u32 pad;
};

/* ta_pending_call.active */
#define TA_CALL_OPEN 1
/* Opened by a kprobe for its kretprobe, which the kernel may skip: see ta_kret_missed. */
#define TA_CALL_OPEN_KRET 2
/*
 * The same, by a unix connect or bind's kprobe (unix_sockets.bpf.c): buf the
 * socket, file the address, nr_segs its length, is_read the operation. Only
 * its own return takes it.
 */
#define TA_CALL_OPEN_UNIX 3

/*
 * Redaction of echo-off input (docs/capture.md). A program that asks for a
 * secret sets the terminal's modes itself and then reads (sudo, passwd, ssh,
 * read -s), or has `stty -echo` set them for it (`stty -echo; read pw` in a
 * shell): the first line typed in canonical mode with echo off, while the
 * foreground process group is the one that last set the modes or its
 * parent's, is a secret. A shell started after `stty -echo` (`stty -echo;
 * dash -i`) reads in a process group of its own, and once a secret line has
 * ended more no-echo lines are not secrets: both are recorded. Keyed by the
 * slave tty. A terminal without an entry (no
 * modes set since the daemon started, or evicted) redacts, so a lost entry
 * hides nothing secret; the table holds more terminals than the kernel's pty
 * limit (kernel.pty.max, 4096 by default), so users cannot churn it.
 */
struct ta_secret_state {
	__u64 setter_pgrp;  /* struct pid * of the process group that last set the modes */
	__u64 parent_pgrp;  /* and of its parent's (the shell that ran stty) */
	__u32 done;         /* 1: the secret line has ended */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct ta_secret_state);
} ta_secret SEC(".maps") __weak;

/* Where a call's data lives (ta_emit.user). */
enum { TA_MEM_KERNEL = 0, TA_MEM_USER = 1, TA_MEM_USER_COMPAT_IOV = 2 };

/* The fields of a data record that do not change from chunk to chunk. */
struct ta_emit {
	__u64 slave;      /* struct tty_struct * of the terminal (the slave of a pty) */
	__u64 buf;
	__u16 nr_segs;    /* at most UIO_MAXIOV (1024) */
	/*
	 * check_digest: the record is marked suspect unless the bytes copied into
	 * it have `digest` (ta_digest_small), the fingerprint the call's entry
	 * took. Set by the tracepoint backend for plain writes of at most
	 * TA_DIGEST_SMALL bytes: the exit reads them once, into the record.
	 * Narrow fields: sys_exit's frame has no slot to spare on 6.1.
	 */
	__u16 check_digest;
	__u32 user;       /* TA_MEM_*: user memory, and the iovec layout if nr_segs */
	__u64 digest;
	struct ta_tty_event tmpl;  /* payload-less: data[] is never used here */
};

static __always_inline struct ta_config *ta_get_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ta_config, &zero);
}

static __always_inline bool ta_is_self(__u32 tgid)
{
	return bpf_map_lookup_elem(&ta_self, &tgid) != NULL;
}

/*
 * Include/exclude rules on uid and auid ranges. Written without branches on
 * the outcome so the verifier does not explore every combination of rules.
 */
static __always_inline bool ta_filter_pass(const struct ta_config *cfg, __u32 uid, __u32 auid)
{
	__u32 n = cfg->n_rules, inc_hit = 0, exc_hit = 0;

	if (n == 0)
		return true;
	for (int i = 0; i < TA_FILTER_RULES; i++) {
		const struct ta_filter_rule *r = &cfg->rules[i];
		__u32 v, in;

		if (i >= n)
			break;
		v = r->field == TA_RULE_UID ? uid : auid;
		in = (v >= r->lo) & (v <= r->hi);
		inc_hit |= in & (r->action == TA_RULE_INCLUDE);
		exc_hit |= in & (r->action == TA_RULE_EXCLUDE);
	}
	return !exc_hit && (inc_hit || !cfg->has_include);
}

/*
 * Through the helper, not TA_TASK_READ: inlined into every emitting path,
 * its three typed loads made loading the programs 45 % more CPU (1.1 -> 1.6 s
 * here), and a TCG guest on 6.1 did not finish loading in its time. Nor
 * TA_TTY_READ in the typed build: sys_exit's verification went past the
 * verifier's million instructions. Nor in the function backends' programs
 * (bpf_get_current_task_btf): 6.1 refused fexit/n_tty_write with E2BIG.
 */
static __always_inline void ta_fill_task(struct ta_task_id *t)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();

	t->pid = (__u32)pid_tgid;
	t->tgid = pid_tgid >> 32;
	t->uid = (__u32)uid_gid;
	t->gid = uid_gid >> 32;
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->auid = BPF_CORE_READ(task, loginuid.val);
	t->ses = BPF_CORE_READ(task, sessionid);
	t->pad = 0;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

static __always_inline void ta_fill_hdr(struct ta_event_hdr *h, __u16 kind, __u16 source)
{
	h->version = TA_EVENT_VERSION;
	h->kind = kind;
	h->source = source;
	h->flags = 0;
	h->size = 0;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_boot_ns = bpf_ktime_get_boot_ns();
}

static __always_inline __u64 ta_next_call_id(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&ta_call_seq, &zero);
	__u64 n = 0;

	if (seq)
		n = ++*seq;
	return ((__u64)bpf_get_smp_processor_id() << 48) | (n & 0xffffffffffffULL);
}

/* Whether a char device's number is a terminal's (the daemon fills ta_tty_majors). */
static __always_inline bool ta_tty_major(__u32 rdev)
{
	__u32 major = rdev >> MINORBITS;
	__u8 *is_tty;

	if (major >= TA_MAJOR_SLOTS)
		return false;
	is_tty = bpf_map_lookup_elem(&ta_tty_majors, &major);
	return is_tty && *is_tty;
}

/*
 * The tty behind an open file, or NULL if the file is not a tty; through the
 * helper, for any program.
 */
static __always_inline struct tty_struct *ta_file_tty_raw(struct file *f)
{
	struct inode *inode;
	umode_t mode;

	if (!f)
		return NULL;
	inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return NULL;
	mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) != S_IFCHR || !ta_tty_major(BPF_CORE_READ(inode, i_rdev)))
		return NULL;
	/* Files opened through the tty layer carry a tty_file_private. */
	struct tty_file_private *priv = BPF_CORE_READ(f, private_data);
	if (!priv)
		return NULL;
	return BPF_CORE_READ(priv, tty);
}

/*
 * The same in the typed system call programs: with plain loads in
 * the typed build. Most calls they look at are off any terminal, and are
 * told so by the file's inode alone. The tty pointer itself is still read
 * through the helper: it is hashed and stored, which the verifier allows a
 * number, not a typed pointer.
 */
static __always_inline struct tty_struct *ta_file_tty(struct file *f)
{
#ifdef TA_TYPED_READS
	struct file *tf;
	struct inode *inode;
	void *priv;

	if (!f)
		return NULL;
	tf = bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
	inode = tf->f_inode;
	if (!inode)
		return NULL;
	if ((inode->i_mode & S_IFMT) != S_IFCHR || !ta_tty_major(inode->i_rdev))
		return NULL;
	priv = tf->private_data;
	if (!priv)
		return NULL;
	return BPF_CORE_READ((struct tty_file_private *)priv, tty);
#else
	return ta_file_tty_raw(f);
#endif
}

/*
 * The file behind fd in the current task, or NULL. 32 bits, as the kernel
 * takes every fd (unsigned int, or int: the same low bits): a register with
 * high bits set (write(1 | 1 << 32, ...)) writes to fd 1, and must be seen so.
 */
static __always_inline struct file *ta_fd_file(__u32 fd)
{
	struct task_struct *task = TA_CUR_TASK();
	struct fdtable *fdt = TA_TASK_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;
	unsigned int max;

	if (!fdt)
		return NULL;
	max = TA_TASK_READ(fdt, max_fds);
	if (fd >= max)
		return NULL;
	fds = TA_TASK_READ(fdt, fd);
	if (bpf_core_read(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

#define TA_S_IFSOCK 0140000

/* The socket behind a file, or NULL if it is none. */
static __always_inline struct socket *ta_file_socket(struct file *f)
{
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != TA_S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(f, private_data);
}

/* The socket behind fd in the current task, or NULL. */
static __always_inline struct socket *ta_fd_socket(__u32 fd)
{
	return ta_file_socket(ta_fd_file(fd));
}

/* The tty behind fd in the current task, or NULL. */
static __always_inline struct tty_struct *ta_fd_tty(__u32 fd)
{
	return ta_file_tty(ta_fd_file(fd));
}

/*
 * Driver type in the old numbering (enum ta_tty_driver_type), whichever form
 * the kernel has: `short` with #define values before 6.8, an enum after,
 * whose values are one lower.
 */
static __always_inline __u16 ta_driver_type(struct tty_driver *drv)
{
	struct tty_driver___short *old = (void *)drv;
	__u32 v;

	if (bpf_core_field_exists(old->type))
		return TA_TTY_READ(old, type);
	v = TA_TTY_READ(drv, type);
	if (v == bpf_core_enum_value(enum tty_driver_type, TTY_DRIVER_TYPE_PTY))
		return TA_TTY_DRIVER_PTY;
	if (v == bpf_core_enum_value(enum tty_driver_type, TTY_DRIVER_TYPE_SERIAL))
		return TA_TTY_DRIVER_SERIAL;
	if (v == bpf_core_enum_value(enum tty_driver_type, TTY_DRIVER_TYPE_CONSOLE))
		return TA_TTY_DRIVER_CONSOLE;
	if (v == bpf_core_enum_value(enum tty_driver_type, TTY_DRIVER_TYPE_SYSTEM))
		return TA_TTY_DRIVER_SYSTEM;
	return 0;
}

/* Subtype values are the same in both forms. */
static __always_inline __u16 ta_driver_subtype(struct tty_driver *drv)
{
	struct tty_driver___short *old = (void *)drv;

	if (bpf_core_field_exists(old->subtype))
		return TA_TTY_READ(old, subtype);
	return TA_TTY_READ(drv, subtype);
}

static __always_inline bool ta_tty_is_pty(struct tty_struct *tty)
{
	return ta_driver_type(TA_TTY_READ(tty, driver)) == TA_TTY_DRIVER_PTY;
}

/*
 * Identity of a terminal, from its driver and index. The name is zeroed
 * first: what follows its NUL must not be whatever the stack held.
 */
static __always_inline void ta_fill_tty_id_from(struct ta_tty_id *id, struct tty_struct *tty,
						struct tty_driver *drv, __s32 index)
{
	id->index = index;
	id->major = TA_TTY_READ(drv, major);
	id->minor = TA_TTY_READ(drv, minor_start) + index;
	id->driver_type = ta_driver_type(drv);
	id->driver_subtype = ta_driver_subtype(drv);
	__builtin_memset(id->name, 0, sizeof(id->name));
	bpf_probe_read_kernel_str(id->name, sizeof(id->name), &tty->name);
}

#ifdef TA_TTY_CACHE
/*
 * The identity of the terminals the syscall programs saw last, per CPU,
 * direct-mapped by the tty's address: a terminal write needs it two or
 * three times (is it a pty master, at entry and exit; the record's tty id),
 * seven helper reads each time, 30-40 ns apiece here. An entry is used only
 * if the tty at that address still has the driver and index it was filled
 * from, read afresh each time: everything an entry holds (major, minor,
 * driver type, name) is fixed by the driver and the index when the kernel
 * allocates a tty, so a tty freed and another allocated at the same address
 * either has the same identity or fails the check. Per CPU, so two CPUs
 * never share an entry; `busy` keeps a program that interrupts another on
 * the same CPU (io_uring's completion tracepoint) out of an entry being
 * read or written: it reads the terminal itself.
 */
#define TA_TTY_CACHE_SLOTS 256

struct ta_tty_cache_ent {
	__u64 tty;
	__u64 driver;
	__s32 index;
	__u32 valid;
	struct ta_tty_id id;
};

struct ta_tty_cache {
	__u32 busy;
	__u32 pad;
	struct ta_tty_cache_ent e[TA_TTY_CACHE_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_tty_cache);
} ta_tty_cache SEC(".maps") __weak;

/*
 * The identity of tty into *id (if id), from the cache or read (and cached);
 * returns its driver's type and subtype (type << 16 | subtype). Returned, not
 * stored through a pointer: sys_exit's frame, with bpf_loop's callback on top
 * of it, must stay within 512 bytes on 6.1 (each frame rounded up to 32), and
 * a local whose address is taken takes a slot. (As a function of its own it
 * took the verifier past its million instructions here.)
 */
static __always_inline __u32 ta_tty_ident(struct tty_struct *tty, struct ta_tty_id *id)
{
	struct tty_driver *drv = TA_TTY_READ(tty, driver);
	__s32 index = TA_TTY_READ(tty, index);
	__u64 key = (__u64)tty;
	__u32 zero = 0, slot = (key * 0x9E3779B97F4A7C15ULL) >> 56;
	struct ta_tty_cache *c = bpf_map_lookup_elem(&ta_tty_cache, &zero);
	struct ta_tty_cache_ent *e;
	__u32 kind;

	if (!c || *(volatile __u32 *)&c->busy || !drv) {
		if (id)
			ta_fill_tty_id_from(id, tty, drv, index);
		return (__u32)ta_driver_type(drv) << 16 | ta_driver_subtype(drv);
	}
	*(volatile __u32 *)&c->busy = 1;
	asm volatile("" ::: "memory");
	e = &c->e[slot & (TA_TTY_CACHE_SLOTS - 1)];
	if (!e->valid || e->tty != key || e->driver != (__u64)drv || e->index != index) {
		e->valid = 0;
		e->tty = key;
		e->driver = (__u64)drv;
		e->index = index;
		ta_fill_tty_id_from(&e->id, tty, drv, index);
		e->valid = 1;
	}
	if (id)
		__builtin_memcpy(id, &e->id, sizeof(*id));
	kind = (__u32)e->id.driver_type << 16 | e->id.driver_subtype;
	asm volatile("" ::: "memory");
	*(volatile __u32 *)&c->busy = 0;
	return kind;
}

#define TA_KIND_MASTER ((__u32)TA_TTY_DRIVER_PTY << 16 | TA_PTY_TYPE_MASTER)

static __always_inline bool ta_tty_is_master(struct tty_struct *tty)
{
	return ta_tty_ident(tty, NULL) == TA_KIND_MASTER;
}

/* Identity of a terminal; callers pass the slave side of a pty. */
static __always_inline void ta_fill_tty_id(struct ta_tty_id *id, struct tty_struct *tty)
{
	ta_tty_ident(tty, id);
}
#else
static __always_inline bool ta_tty_is_master(struct tty_struct *tty)
{
	struct tty_driver *drv = TA_TTY_READ(tty, driver);

	return ta_driver_type(drv) == TA_TTY_DRIVER_PTY &&
	       ta_driver_subtype(drv) == TA_PTY_TYPE_MASTER;
}

/* Identity of a terminal; callers pass the slave side of a pty. */
static __always_inline void ta_fill_tty_id(struct ta_tty_id *id, struct tty_struct *tty)
{
	ta_fill_tty_id_from(id, tty, TA_TTY_READ(tty, driver), TA_TTY_READ(tty, index));
}
#endif

/*
 * The task leading the tty's session: whose terminal this is. typed, a
 * constant: TA_TTY_SITE_TYPED, or false in a global function.
 */
static __always_inline struct task_struct *ta_tty_session_leader(struct tty_struct *tty,
								 bool typed)
{
	struct tty_struct___ctrl *t2 = (void *)tty;
	struct pid *session;
	struct hlist_node *first;

	if (bpf_core_field_exists(t2->ctrl.session))
		session = TA_READ_AS(typed, t2, ctrl.session);
	else
		session = TA_READ_AS(typed, tty, session);
	if (!session)
		return NULL;
	first = TA_READ_AS(typed, session, tasks[PIDTYPE_PID].first);
	if (!first)
		return NULL;
	return (struct task_struct *)((char *)first -
		bpf_core_field_offset(struct task_struct, pid_links[PIDTYPE_PID]));
}

/*
 * The session a terminal's activity belongs to when its session leader has no
 * audit login session: one per leader (tgid and start time), marked with
 * TA_SES_NO_LOGIN. Never TA_UNSET.
 */
static __always_inline __u32 ta_no_login_ses(struct task_struct *leader, bool typed)
{
	__u64 start = 0, h;
	__u32 tgid = TA_READ_AS(typed, leader, tgid), v;

	if (bpf_core_field_exists(leader->start_boottime))
		start = TA_READ_AS(typed, leader, start_boottime);
	h = (start ^ ((__u64)tgid << 40) ^ tgid) * 0x9E3779B97F4A7C15ULL;
	v = (__u32)(h >> 33) | TA_SES_NO_LOGIN;
	return v == TA_UNSET ? v - 1 : v;
}

/* The audit session of the leader, or its no-login session. */
static __always_inline __u32 ta_leader_ses(struct task_struct *leader, bool typed)
{
	__u32 ses = TA_READ_AS(typed, leader, sessionid);

	return ses == TA_UNSET ? ta_no_login_ses(leader, typed) : ses;
}

/*
 * The session a record names: the caller's audit session, or outside any,
 * the session of its terminal's leader (tty_addr, a struct tty_struct * read
 * from the kernel, may be 0: then none). A global function: verified once,
 * and its result is one value to the callers, whose programs were verified
 * along both of its paths when it was inlined (the unix program: 110 000 to
 * 169 000 instructions).
 */
__weak __noinline __u32 ta_ses_or_tty_leader(__u32 ses, __u64 tty_addr)
{
	struct task_struct *leader;

	if (ses != TA_UNSET || !tty_addr)
		return ses;
	leader = ta_tty_session_leader((struct tty_struct *)tty_addr, false);
	return leader ? ta_leader_ses(leader, false) : ses;
}

static __always_inline void ta_fill_owner(struct ta_tty_event *e, struct tty_struct *slave)
{
	struct task_struct *leader = ta_tty_session_leader(slave, TA_TTY_SITE_TYPED);

	if (!leader) {
		/*
		 * Nobody leads it (the shell is gone): still this terminal's, not
		 * everyone's. Its address as a number: the verifier of fentry
		 * programs forbids arithmetic on the typed pointer itself.
		 */
		__u64 addr = 0, h;

		bpf_probe_read_kernel(&addr, sizeof(addr), &slave);
		h = (addr ^ BPF_CORE_READ(slave, index)) * 0x9E3779B97F4A7C15ULL;

		e->owner_auid = TA_UNSET;
		e->owner_ses = ((__u32)(h >> 33) | TA_SES_NO_LOGIN) & ~1u;
		e->owner_pid = 0;
		return;
	}
	e->owner_auid = TA_TTY_READ(leader, loginuid.val);
	e->owner_ses = ta_leader_ses(leader, TA_TTY_SITE_TYPED);
	e->owner_pid = TA_TTY_READ(leader, tgid);
}

static __always_inline void ta_count_loss(__u32 ses, __u32 auid, __u64 bytes, __u32 reason)
{
	struct ta_session_drop_key key = { .ses = ses, .auid = auid, .reason = reason };
	struct ta_drop_counters *c, zero_c = {};
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&ta_drops, &zero);
	if (c) {
		c->events += 1;
		c->bytes += bytes;
	}
	c = bpf_map_lookup_elem(&ta_session_drops, &key);
	if (!c) {
		bpf_map_update_elem(&ta_session_drops, &key, &zero_c, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&ta_session_drops, &key);
	}
	if (c) {
		__sync_fetch_and_add(&c->events, 1);
		/*
		 * Not for 0: clang turns an atomic add of a constant 0 into an
		 * atomic OR, which kernels before 5.12 refuse.
		 */
		if (bytes)
			__sync_fetch_and_add(&c->bytes, bytes);
	}
}

static __always_inline void ta_count_drop(__u32 ses, __u32 auid, __u64 bytes)
{
	ta_count_loss(ses, auid, bytes, TA_DROP_RING_FULL);
}

/*
 * The session a call on `tty` that could not be recorded hides data of: the
 * writer's for output, the terminal's for input.
 */
static __always_inline void ta_tty_loss_owner(struct tty_struct *tty, bool output, __u32 *ses,
					      __u32 *auid)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct tty_struct *slave = tty;

	*ses = BPF_CORE_READ(t, sessionid);
	if (ta_tty_is_master(tty)) {
		slave = BPF_CORE_READ(tty, link);
		output = false;
	}
	/* A writer outside any login session writes into the terminal's session (ta_prepare). */
	if (output && *ses != TA_UNSET) {
		*auid = BPF_CORE_READ(t, loginuid.val);
		return;
	}
	t = slave ? ta_tty_session_leader(slave, TA_TTY_SITE_TYPED) : NULL;
	if (!t) {
		*ses = *auid = TA_UNSET;
		return;
	}
	*ses = ta_leader_ses(t, TA_TTY_SITE_TYPED);
	*auid = TA_TTY_READ(t, loginuid.val);
}

/* Count a call on `tty` that could not be recorded (see ta_tty_loss_owner). */
static __always_inline void ta_count_tty_loss(struct tty_struct *tty, bool output, __u64 bytes,
					      __u32 reason)
{
	__u32 ses, auid;

	ta_tty_loss_owner(tty, output, &ses, &auid);
	ta_count_loss(ses, auid, bytes, reason);
}

/*
 * A call a kprobe opened is still open: its kretprobe never ran (the kernel
 * had no free return instance: they were all held by calls blocked in the
 * function, and it only counts them in the probe's nmissed). Counted against
 * the session found at entry (the terminal's leader may be gone by now),
 * with the bytes the call was given.
 */
static __always_inline void ta_kret_missed(struct ta_pending_call *c)
{
	if (c->active != TA_CALL_OPEN_KRET && c->active != TA_CALL_OPEN_UNIX)
		return;
	c->active = 0;
	ta_count_loss(c->loss_ses, c->loss_auid, c->count, TA_DROP_RETURN_MISSED);
}

/*
 * Build the constant part of a data record for `tty` (master or slave) as seen
 * from the current task. Returns false if the event is filtered out.
 */
/*
 * The local modes (ECHO, ICANON) of the terminal a call works on: the slave's
 * for a pty master. Sampled when the call starts: by the time it returns, the
 * reader may already have changed them (a password prompt turning echo off
 * right after the previous line arrived).
 */
static __always_inline __u32 ta_tty_lflag(struct tty_struct *tty)
{
	struct tty_struct *slave = tty;

	if (ta_tty_is_master(tty))
		slave = BPF_CORE_READ(tty, link);
	if (!slave)
		return 0;
	return TA_TTY_READ(slave, termios.c_lflag);
}

/* The terminal's foreground process group (struct pid *), whichever layout the kernel has. */
static __always_inline __u64 ta_tty_fg_pgrp(struct tty_struct *tty)
{
	struct tty_struct___ctrl *t2 = (void *)tty;

	if (bpf_core_field_exists(t2->ctrl.pgrp))
		return (__u64)BPF_CORE_READ(t2, ctrl.pgrp);
	return (__u64)BPF_CORE_READ(tty, pgrp);
}

/* The current task set the terminal's modes: its process group may now read a secret. */
static __always_inline void ta_modes_set(struct tty_struct *tty)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ta_secret_state st = {
		.setter_pgrp = (__u64)BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID]),
		.parent_pgrp = (__u64)BPF_CORE_READ(task, real_parent, signal, pids[PIDTYPE_PGID]),
	};
	__u64 key = (__u64)tty;

	if (tty && ta_tty_is_master(tty))
		key = (__u64)BPF_CORE_READ(tty, link);
	if (key)
		bpf_map_update_elem(&ta_secret, &key, &st, BPF_ANY);
}

/* Whether no-echo canonical input on `slave` now is a secret (see ta_secret). */
static __always_inline bool ta_secret_now(struct tty_struct *slave)
{
	__u64 key = (__u64)slave;
	struct ta_secret_state *st = bpf_map_lookup_elem(&ta_secret, &key);
	__u64 fg;

	if (!st)
		return true;
	if (st->done)
		return false;
	fg = ta_tty_fg_pgrp(slave);
	return fg == st->setter_pgrp || fg == st->parent_pgrp;
}

static __always_inline bool ta_prepare(struct ta_emit *em, struct tty_struct *tty,
				       __u16 kind, __u16 source, __u16 extra_flags, __u32 lflag)
{
	struct ta_tty_event *e = &em->tmpl;
	struct ta_config *cfg = ta_get_config();
	struct tty_struct *slave = tty;
	bool master;

	if (!cfg)
		return false;
#ifdef TA_TTY_CACHE
	/* The identity once: for a slave it is the record's. */
	master = ta_tty_ident(tty, &e->tty) == TA_KIND_MASTER;
#else
	master = ta_tty_is_master(tty);
#endif
	if (master) {
		slave = BPF_CORE_READ(tty, link);
		if (!slave)
			return false;
		/* Bytes written into a master are what the slave's line discipline receives. */
		if (kind == TA_EV_TTY_OUTPUT) {
			kind = TA_EV_TTY_INPUT;
			extra_flags |= TA_F_FROM_MASTER;
		}
	}
	ta_fill_hdr(&e->hdr, kind, source);
	ta_fill_task(&e->task);
#ifdef TA_TTY_CACHE
	if (master)
#endif
		ta_fill_tty_id(&e->tty, slave);
	ta_fill_owner(e, slave);
	/* A writer outside any login session writes into the terminal's session. */
	if (e->task.ses == TA_UNSET)
		e->task.ses = e->owner_ses;
	/* Input belongs to the terminal's session; output to its writer. */
	if (kind == TA_EV_TTY_INPUT) {
		if (!ta_filter_pass(cfg, e->task.uid, e->owner_auid))
			return false;
	} else if (!ta_filter_pass(cfg, e->task.uid, e->task.auid)) {
		return false;
	}
	e->hdr.flags = extra_flags;
	if (lflag & TA_ECHO)
		e->hdr.flags |= TA_F_ECHO;
	if (lflag & TA_ICANON)
		e->hdr.flags |= TA_F_ICANON;
	/* Output processing (ONLCR..) turns what was written into what was shown. */
	e->oflag = TA_TTY_READ(slave, termios.c_oflag);
	/* Canonical input with echo off is a password, up to the end of its line. */
	em->slave = (__u64)slave;
	if (kind == TA_EV_TTY_INPUT && cfg->redact_noecho &&
	    (lflag & TA_ICANON) && !(lflag & TA_ECHO) && ta_secret_now(slave))
		e->hdr.flags |= TA_F_REDACTED;
	e->call_id = ta_next_call_id();
	e->offset = 0;
	e->len = 0;
	em->check_digest = 0;
	em->digest = 0;
	return true;
}

/*
 * When to wake the daemon for a data record: once the ring is an eighth
 * full; and, while the daemon is idle, for the first record into an empty
 * ring (a keystroke after a pause goes out at once). Otherwise the busy
 * daemon's drain timer picks it up: one wake-up per batch, not per write.
 */
static __always_inline __u64 ta_data_wakeup_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&ta_events, BPF_RB_AVAIL_DATA);
	__u32 zero = 0, *idle;

	if (avail > (ta_ring_bytes >> 3))
		return BPF_RB_FORCE_WAKEUP;
	if (avail == 0) {
		idle = bpf_map_lookup_elem(&ta_wake_on_empty, &zero);
		if (!idle || *idle)
			return 0;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Writes up to this size are fingerprinted without a loop (ta_digest_small). */
#define TA_DIGEST_SMALL 64

/*
 * The write fingerprint's key: TA_DIGEST_MAX random bytes the daemon sets
 * before load, never seen by the processes whose writes are fingerprinted.
 */
const volatile __u64 ta_digest_key[TA_DIGEST_MAX / 8] __weak;

/*
 * One word of the write fingerprint: NH (the almost-universal hash of UMAC
 * and Adiantum) on the word's two 32-bit halves, each added to its key half.
 * A writer that swaps its buffer while the write is held must find another
 * one with the same sum without knowing the key: for any two buffers of one
 * length, their sums agree for at most one key in 2^32. An unkeyed hash
 * (FNV-1a, before) let it compute the swapped buffer's last word.
 */
static __always_inline __u64 ta_digest_word(__u64 m, __u64 k)
{
	__u32 lo = (__u32)m + (__u32)k, hi = (__u32)(m >> 32) + (__u32)(k >> 32);

	return (__u64)lo * hi;
}

/*
 * The write fingerprint (ta_digest_word summed over 64-bit words, the bytes
 * after n in the last word taken as zero, seeded with the length) of
 * n <= TA_DIGEST_SMALL bytes at w: eight unrolled steps, no bpf_loop, no map
 * lookup per step, and no store at a variable offset (the verifier would
 * follow each). w must have room for n rounded up to 8 bytes. Entry and exit
 * of a short write both take it, so they agree whatever the bytes after n hold.
 */
static __always_inline __u64 ta_digest_small(const __u8 *w, __u32 n)
{
	__u64 h = n;

	for (int j = 0; j < TA_DIGEST_SMALL / 8; j++) {
		__u32 left = n - (__u32)j * 8;
		__u64 v;

		if ((__u32)j * 8 >= n)
			break;
		v = ((const __u64 *)w)[j];
		if (left < 8) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			v &= (1ULL << (left * 8)) - 1;
#else
			v &= ~((1ULL << ((8 - left) * 8)) - 1);
#endif
		}
		h += ta_digest_word(v, ta_digest_key[j]);
	}
	return h;
}

/*
 * Copy one chunk into a ring record of a fixed size class, or count it lost.
 * small: the class is TA_DIGEST_SMALL bytes, where em->check_digest applies.
 */
#define TA_EMIT_CLASS(em, src, n, cls, small)                                        \
	({                                                                          \
		/*                                                                  \
		 * n as 64 bits, bounded on its register before the calls: 6.1's    \
		 * verifier loses the bound of a spilled 32-bit copy.               \
		 */                                                                 \
		__u64 _n = (n);                                                     \
		int _ok = 0;                                                        \
		asm volatile("" : "+r"(_n));                                        \
		if (_n <= (cls)) {                                                  \
			__u64 _wake = ta_data_wakeup_flags();                       \
			struct ta_tty_event *_r = bpf_ringbuf_reserve(&ta_events,    \
				sizeof(struct ta_tty_event) + (cls), 0);             \
			if (_r) {                                                   \
				__builtin_memcpy(_r, &(em)->tmpl,                   \
						 sizeof(struct ta_tty_event));      \
				/*                                                  \
				 * Bounded again on the register the helper gets   \
				 * (never cut: the bound was checked above):        \
				 * 5.10 lost the bound above when the template was  \
				 * per-CPU scratch (the fallback's sys_exit).       \
				 */                                                 \
				asm volatile("" : "+r"(_n));                        \
				if (_n > (cls))                                     \
					_n = (cls);                                 \
				_r->len = _n;                                       \
				_r->hdr.size = sizeof(struct ta_tty_event) + _n;    \
				long _e = (em)->user ?                              \
					bpf_probe_read_user(_r->data, _n,           \
							    (void *)(src)) :        \
					bpf_probe_read_kernel(_r->data, _n,         \
							      (void *)(src));       \
				if (_e == 0) {                                      \
					if ((small) && (em)->check_digest &&        \
					    ta_digest_small(_r->data, _n) !=         \
						    (em)->digest)                    \
						_r->hdr.flags |= TA_F_SUSPECT;      \
					bpf_ringbuf_submit(_r, _wake);              \
					_ok = 1;                                    \
				} else {                                            \
					bpf_ringbuf_discard(_r, 0);                 \
					_ok = -2;                                   \
				}                                                   \
			}                                                           \
		}                                                                   \
		_ok;                                                                \
	})

/*
 * Fairness, between people: what counts is what a person asked the ring
 * for in the current one-second window and the one before, over all their
 * sessions (their audit login uid; a session of its own where there is
 * none). While more than one person writes (the two windows together), one
 * who asked for at least half as much as the busiest, or for more than a
 * quarter of the ring (so that a decoy asking for more than the flood does
 * not make the flood look small), gets no more room once the ring is a
 * quarter full if they asked for more than an eighth of the ring, and none
 * at all in the ring's last quarter; a person alone who asked for more than
 * an eighth gets no room in the last quarter either if it holds half of what
 * fills it (ta_share_holds); refused records are counted against their
 * session (session_share). So floods are cut first, however many sessions
 * they come from, a person writing a burst beside them is not, and a person
 * alone keeps three quarters of the ring. A window of a second: a starved
 * daemon must not see a flood refill the ring every few milliseconds. An
 * evicted entry only forgets a usage.
 */
#define TA_SHARE_WINDOW_NS 1000000000ULL
/* The key of a writer without a login uid: its session, apart from every login uid. */
#define TA_SHARE_BY_SESSION (1ULL << 32)

/* The person a ring's room is asked as (ta_share_admit): the login uid, else the session. */
static __always_inline __u64 ta_share_person(__u32 auid, __u32 ses)
{
	return auid != TA_UNSET ? auid : TA_SHARE_BY_SESSION | ses;
}

struct ta_session_usage {
	__u64 window;     /* now / TA_SHARE_WINDOW_NS */
	__u64 bytes;      /* asked of the ring in that window */
	__u64 prev;       /* asked in the window before it (0 if it asked nothing then) */
	__u64 held;       /* terminal data admitted since `mark` (ta_share_holds) */
	__u64 mark;       /* the ring's consumer position + 1 when `held` began; 0: not begun */
};

/* The busiest person's ask and how many people asked, in a window and the one before. */
struct ta_share_top {
	__u64 window;
	__u64 bytes, prev_bytes;
	__u64 active, prev_active;
};

/*
 * A ring's tables for its share: each person's asks (an evicted entry only
 * forgets a usage), and the window's busiest person and its people (racy by
 * design: a hint).
 */
#define TA_SHARE_TABLES(usage, top)                                   \
	struct {                                                      \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                  \
		__uint(max_entries, 4096);                            \
		__type(key, __u64);                                   \
		__type(value, struct ta_session_usage);               \
	} usage SEC(".maps") __weak;                                  \
	struct {                                                      \
		__uint(type, BPF_MAP_TYPE_ARRAY);                     \
		__uint(max_entries, 1);                               \
		__type(key, __u32);                                   \
		__type(value, struct ta_share_top);                   \
	} top SEC(".maps") __weak

/* The terminal data's ring (ta_share_ok), and the process events' (ta_ctl_share_ok). */
TA_SHARE_TABLES(ta_session_usage, ta_share_top);
TA_SHARE_TABLES(ta_ctl_usage, ta_ctl_top);

/* A new entry's value, from read-only data: sys_exit's frame has no room for it. */
static const struct ta_session_usage ta_usage_zero;

/* The ring's own header before each record (BPF_RINGBUF_HDR_SZ, a stable ABI). */
#define TA_RINGBUF_HDR_BYTES 8

/*
 * What a chunk of n bytes takes of the ring: its reservation's class, the
 * record and the ring's header. A person's share is charged this, not n: a
 * flood of one-byte writes takes 240 bytes of ring each, and charged one
 * byte it looked small beside a victim writing 4 KiB at a time.
 */
static __always_inline __u32 ta_chunk_ring_cost(__u32 n)
{
	__u32 cls = n <= TA_DIGEST_SMALL ? TA_DIGEST_SMALL : n <= 512 ? 512 : TA_CHUNK_MAX;

	return TA_RINGBUF_HDR_BYTES + sizeof(struct ta_tty_event) + cls;
}

/*
 * Whether person u, alone, holds at least half of what fills the ring (avail
 * bytes): what it was admitted since its mark, less all the ring's consumer
 * took since (which may all have been its own: a lower bound). The mark is
 * set when it first asks for an eighth of the ring alone (ta_share_admit,
 * before it asks this), and again here once that bound is nothing. So a victim writing after a
 * flood went quiet for a whole window (alone in view) holds little of the
 * ring the flood filled and is not cut as a flood alone is
 * (hostile_fairness_pause), while a flood alone, the drain stalled or slow,
 * holds what it put in since it first asked for an eighth of the ring.
 */
static __always_inline bool ta_share_holds(void *ring, struct ta_session_usage *u, __u64 avail)
{
	__u64 cons = bpf_ringbuf_query(ring, BPF_RB_CONS_POS) + 1;
	__u64 taken = cons - u->mark;

	if (taken >= u->held) {
		u->mark = cons;
		u->held = 0;
		return false;
	}
	return (u->held - taken) * 2 >= avail;
}

/*
 * 1 if person `who` may put n more bytes into `ring` (of size bytes) now, in
 * window win; usage_map and top_map keep the ring's asks (see above). chunk:
 * n is a terminal chunk's length, charged as ta_chunk_ring_cost(n).
 */
static __always_inline int ta_share_admit(void *ring, __u64 size, void *usage_map, void *top_map,
					  __u64 who, __u64 win, __u32 n, bool chunk)
{
	struct ta_session_usage *u;
	struct ta_share_top *top;
	__u32 zero = 0;
	__u64 prior, busiest;
	bool many;

	top = bpf_map_lookup_elem(top_map, &zero);
	if (!top)
		return 1;
	/*
	 * Windows only move forward. A record's time can be older than the
	 * window another CPU has begun (a call's clock read before the other
	 * one's, or a write that blocked): taken as it came, it sent the window
	 * back and forth, and each turn wiped a flood's asks, admitting it
	 * unchecked until it asked an eighth of the ring again, so a stalled
	 * drain's ring filled in a few turns (hostile_slow_store_attribution).
	 */
	if (win < top->window)
		win = top->window;
	if (top->window != win) {
		/*
		 * The window before stays in view, as each person's does: when a
		 * window starts, the flood has not asked again yet, and whoever asks
		 * first (a burst) must not look the busiest, nor alone.
		 */
		bool next = top->window + 1 == win;

		top->prev_bytes = next ? top->bytes : 0;
		top->prev_active = next ? top->active : 0;
		top->window = win;
		top->bytes = 0;
		top->active = 0;
	}
	u = bpf_map_lookup_elem(usage_map, &who);
	if (!u) {
		bpf_map_update_elem(usage_map, &who, &ta_usage_zero, BPF_ANY);
		u = bpf_map_lookup_elem(usage_map, &who);
		if (!u)
			return 1;
	}
	if (win < u->window)
		win = u->window;
	if (u->window != win) {
		u->prev = u->window + 1 == win ? u->bytes : 0;
		u->window = win;
		u->bytes = 0;
	}
	/*
	 * What a person asks for counts, admitted or not: a flood that is cut
	 * keeps its weight, so a burst beside it never looks like the busiest.
	 * The window before counts too: early in a window, a burst would
	 * otherwise outweigh a flood that has only just started asking again.
	 */
	/*
	 * The cost from the length here, after the map calls: one value less
	 * kept across them, which 5.10 would spill into the fallback's chunk
	 * step, whose frame on sys_exit's leaves no byte of the 512 to spare.
	 */
	if (chunk)
		n = ta_chunk_ring_cost(n);
	if (u->bytes == 0)
		__sync_fetch_and_add(&top->active, 1);
	prior = u->prev + u->bytes;
	__sync_fetch_and_add(&u->bytes, n);
	if (prior + n > top->bytes)
		top->bytes = prior + n;
	busiest = top->bytes > top->prev_bytes ? top->bytes : top->prev_bytes;
	/*
	 * People in view are those of this window and the one before: one in
	 * each is two if this one did not ask before. Else the flood of the
	 * window before and a victim the first to ask in this one each looked
	 * alone, and the victim's burst was cut at an eighth of a ring the
	 * flood had filled (hostile_fairness_turn).
	 */
	many = top->active > 1 || top->prev_active > 1 || (top->prev_active && !u->prev);
	/*
	 * Alone in the window, a person who asked for more than an eighth of
	 * the ring still gets no room in its last quarter if it holds half of
	 * what is there: while the drain is stalled (a slow log) the ring keeps
	 * what earlier windows left, and a flood first in each new window would
	 * otherwise fill it before anyone else writes. (Process events keep the
	 * rule without the hold: their asks are counted in events, not bytes.)
	 */
	if (prior && (many ? prior * 2 >= busiest || prior > (size >> 2) : prior > (size >> 3))) {
		/*
		 * The last quarter of the ring is kept for the others; beside them,
		 * a person who asked for more than an eighth stops at a quarter.
		 */
		__u64 limit = many && prior > (size >> 3) ? size >> 2 : size - (size >> 2);
		__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);

		/* A person alone asking this much begins to count what it holds. */
		if (chunk && !many && !u->mark)
			u->mark = bpf_ringbuf_query(ring, BPF_RB_CONS_POS) + 1;
		if (avail > limit && (many || !chunk || ta_share_holds(ring, u, avail)))
			return 0;
	}
	if (chunk && u->mark)
		u->held += n;
	return 1;
}

/* 1 if the writer of em may put a chunk of n bytes into the ring now (ta_chunk_ring_cost). */
static __always_inline int ta_share_ok(struct ta_emit *em, __u32 n)
{
	/*
	 * Input is its terminal's owner's; input into a terminal no login owns
	 * (a pty whose slave leads no session: opened O_NOCTTY) is its writer's,
	 * else each such pty would be a person of its own, and one process
	 * writing many of them many people.
	 */
	bool owner = em->tmpl.hdr.kind == TA_EV_TTY_INPUT && em->tmpl.owner_auid != TA_UNSET;
	__u64 who = owner ? ta_share_person(em->tmpl.owner_auid, em->tmpl.owner_ses) :
			    ta_share_person(em->tmpl.task.auid, em->tmpl.task.ses);
	/* The record's own time (boot clock): no second clock read per record. */
	return ta_share_admit(&ta_events, ta_ring_bytes, &ta_session_usage, &ta_share_top, who,
			      em->tmpl.hdr.ts_boot_ns / TA_SHARE_WINDOW_NS, n, true);
}

/*
 * 1: emitted; 0: the ring was full; -1: the session is over its share
 * (ta_share_ok); -2: the bytes could not be read (ta_chunk_loss says which
 * loss each is). whole: the call is this one chunk, where em->check_digest
 * may apply (a constant: the chunk loop's frame, on top of the program's in
 * bpf_loop, stays without the fingerprint's code).
 */
static __always_inline __u32 ta_chunk_loss(int ok)
{
	return ok == -1 ? TA_DROP_SESSION_SHARE : ok == -2 ? TA_DROP_UNREADABLE : TA_DROP_RING_FULL;
}

static __always_inline int ta_emit_chunk(struct ta_emit *em, __u64 src, __u32 n, bool whole)
{
	if (!ta_share_ok(em, n))
		return -1;
	if (n <= TA_DIGEST_SMALL)
		return TA_EMIT_CLASS(em, src, n, TA_DIGEST_SMALL, whole);
	if (n <= 512)
		return TA_EMIT_CLASS(em, src, n, 512, 0);
	if (n > TA_CHUNK_MAX)
		return 0;
	return TA_EMIT_CLASS(em, src, n, TA_CHUNK_MAX, 0);
}

/*
 * After a redacted piece of input: if it ends the line (Enter, or ^D), the
 * secret is complete and later no-echo lines are kept. Only the last bytes
 * are looked at: a paste with more after its first line stays redacted to
 * its end, which hides more, never less.
 */
static __always_inline void ta_secret_line_end(struct ta_emit *em, __u64 total)
{
	struct ta_secret_state done = { .done = 1 }, *st;
	__u8 tail[16] = {};
	__u32 n = total > sizeof(tail) ? sizeof(tail) : total;
	bool end = false;
	long err;

	if (em->nr_segs || n == 0 || !em->slave)
		return;
	asm volatile("" : "+r"(n));
	if (n > sizeof(tail))
		return;
	if (em->user)
		err = bpf_probe_read_user(tail, n, (void *)(em->buf + total - n));
	else
		err = bpf_probe_read_kernel(tail, n, (void *)(em->buf + total - n));
	if (err)
		return;
	for (int i = 0; i < (int)sizeof(tail); i++)
		end |= i < (int)n && (tail[i] == '\n' || tail[i] == '\r' || tail[i] == 4);
	if (!end)
		return;
	st = bpf_map_lookup_elem(&ta_secret, &em->slave);
	if (st)
		st->done = 1;
	else
		bpf_map_update_elem(&ta_secret, &em->slave, &done, BPF_ANY);
}

/* A record with no payload: redaction markers. */
static __always_inline void ta_emit_marker(struct ta_emit *em, __u64 total)
{
	struct ta_tty_event *r = bpf_ringbuf_reserve(&ta_events, sizeof(*r), 0);

	if (!r) {
		ta_count_drop(em->tmpl.task.ses, em->tmpl.task.auid, total);
		return;
	}
	__builtin_memcpy(r, &em->tmpl, sizeof(*r));
	r->total_len = total;
	r->hdr.size = sizeof(*r);
	bpf_ringbuf_submit(r, 0);
}

struct ta_chunk_loop {
	struct ta_emit em;
	__u64 total;
	__u64 done;
	__u64 seg_ptr;
	__u64 seg_left;
	__u32 seg;
	__u32 ses;
	__u32 auid;
	__u32 unreadable; /* an iovec entry could not be read: the rest is counted so */
};

#include "kernel_compat.bpf.h"

/*
 * The thread's call slot, emptied for a call a kprobe opens: a call still
 * open there is one whose kretprobe never ran, counted first.
 */
static __always_inline struct ta_pending_call *ta_kp_open(struct ta_task_state *ts)
{
	ta_kret_missed(&ts->call);
	__builtin_memset(&ts->call, 0, sizeof(ts->call));
	return &ts->call;
}

/* One step of the chunk loop: the next iovec entry, or one chunk. 1: finished. */
static __always_inline int ta_chunk_do(struct ta_chunk_loop *lc)
{
	__u32 n;
	int ok;

	if (lc->done >= lc->total)
		return 1;
	if (lc->seg_left == 0) {
		struct iovec iov = {};
		struct compat_iovec iov32 = {};

		if (lc->seg >= lc->em.nr_segs)
			return 1;
		if (lc->em.user == TA_MEM_USER_COMPAT_IOV) {
			if (bpf_probe_read_user(&iov32, sizeof(iov32),
						(struct compat_iovec *)lc->em.buf + lc->seg)) {
				lc->unreadable = 1;
				return 1;
			}
			iov.iov_base = (void *)(__u64)iov32.iov_base;
			iov.iov_len = iov32.iov_len;
		} else if (bpf_probe_read_user(&iov, sizeof(iov),
					       (struct iovec *)lc->em.buf + lc->seg)) {
			lc->unreadable = 1;
			return 1;
		}
		lc->seg++;
		lc->seg_ptr = (__u64)iov.iov_base;
		lc->seg_left = iov.iov_len;
		if (lc->seg_left > lc->total - lc->done)
			lc->seg_left = lc->total - lc->done;
		return 0;
	}
	n = lc->seg_left > TA_CHUNK_MAX ? TA_CHUNK_MAX : lc->seg_left;
	lc->em.tmpl.offset = lc->done;
	ok = ta_emit_chunk(&lc->em, lc->seg_ptr, n, false);
	if (ok <= 0)
		ta_count_loss(lc->ses, lc->auid, n, ta_chunk_loss(ok));
	lc->done += n;
	lc->seg_ptr += n;
	lc->seg_left -= n;
	return 0;
}

#ifdef TA_NO_BPF_LOOP
/*
 * One step of the fallback's chunk loop, on the per-CPU scratch state. A
 * global function: the verifier checks it once, not once per unrolled step.
 */
__weak __noinline int ta_fb_chunk_step(void)
{
	__u32 zero = 0;
	struct ta_chunk_loop *fl = bpf_map_lookup_elem(&ta_loop_scratch, &zero);

	return fl ? ta_chunk_do(fl) : 1;
}
#else
static int ta_chunk_step(__u32 index, void *unused)
{
	struct ta_task_state *ts = ta_task_state_get(false);

	return ts ? ta_chunk_do(&ts->loop) : 1;
}
#endif

/*
 * Emit `total` bytes from lc->em.buf (a buffer, or an iovec array when
 * nr_segs > 0) as ordered chunks. What cannot be emitted is counted.
 * With bpf_loop up to TA_CHUNKS_PER_CALL chunks, without TA_FB_CHUNK_STEPS.
 */
static __always_inline void ta_emit_data(struct ta_chunk_loop *lc, __u64 total)
{
	struct ta_emit *em = &lc->em;
	bool input = em->tmpl.hdr.kind == TA_EV_TTY_INPUT;
	__u32 nr_segs = em->nr_segs;
	__u32 unreadable;
	__u64 done;

	lc->ses = input ? em->tmpl.owner_ses : em->tmpl.task.ses;
	lc->auid = input ? em->tmpl.owner_auid : em->tmpl.task.auid;
	lc->total = total;
	lc->done = 0;
	lc->seg = 0;
	lc->unreadable = 0;
	lc->seg_ptr = nr_segs ? 0 : em->buf;
	lc->seg_left = nr_segs ? 0 : total;
	em->tmpl.total_len = total;
	if (em->tmpl.hdr.flags & TA_F_REDACTED) {
		ta_emit_marker(em, total);
		ta_secret_line_end(em, total);
		return;
	}
	/* Most calls fit one chunk: no loop state, no bpf_loop. */
	if (!nr_segs && total <= TA_CHUNK_MAX) {
		__u32 n = total;

		/*
		 * The bound must sit on the register that reaches the helpers:
		 * older verifiers lose it on a spilled copy of `total`.
		 */
		asm volatile("" : "+r"(n));
		if (n > TA_CHUNK_MAX)
			return;
		em->tmpl.offset = 0;
		int ok = ta_emit_chunk(em, em->buf, n, true);

		if (ok <= 0)
			ta_count_loss(lc->ses, lc->auid, n, ta_chunk_loss(ok));
		return;
	}
#ifdef TA_NO_BPF_LOOP
	__u32 zero = 0;
	struct ta_chunk_loop *fl;

	/*
	 * The tty layer's own buffers fit one chunk (n_tty_write takes 2 KiB at
	 * a time, flip buffers are smaller; 64 KiB only on a tty with
	 * TTY_NO_WRITE_SPLIT): without bpf_loop, the loop that would cost the
	 * function backends' programs most of their verification is kept for
	 * user memory, and a larger kernel buffer is counted.
	 */
	if (em->user == TA_MEM_KERNEL) {
		ta_count_loss(lc->ses, lc->auid, total, TA_DROP_CALL_TOO_LARGE);
		return;
	}
	fl = bpf_map_lookup_elem(&ta_loop_scratch, &zero);
	if (!fl) {
		ta_count_loss(lc->ses, lc->auid, total, TA_DROP_NO_STATE);
		return;
	}
	__builtin_memcpy(fl, lc, sizeof(*lc));
	for (int i = 0; i < TA_FB_CHUNK_STEPS; i++)
		if (ta_fb_chunk_step())
			break;
	done = fl->done;
	unreadable = fl->unreadable;
#else
	struct ta_task_state *ts = ta_task_state_get(true);

	if (!ts) {
		ta_count_loss(lc->ses, lc->auid, total, TA_DROP_NO_STATE);
		return;
	}
	__builtin_memcpy(&ts->loop, lc, sizeof(*lc));
	/* iovec entries take a step each, so allow for them beyond the chunk budget. */
	bpf_loop(TA_CHUNKS_PER_CALL + (nr_segs > 64 ? 64 : nr_segs), ta_chunk_step, NULL, 0);
	done = ts->loop.done;
	unreadable = ts->loop.unreadable;
#endif
	/*
	 * Calls larger than the chunk budget, or an iovec array that cannot be
	 * read: the rest is lost, and said so.
	 */
	if (done < total)
		ta_count_loss(lc->ses, lc->auid, total - done,
			      unreadable ? TA_DROP_UNREADABLE : TA_DROP_CALL_TOO_LARGE);
}

/* The terminal a call on tty works on: the slave of a pty master (NULL if gone), else tty. */
static __always_inline struct tty_struct *ta_tty_slave(struct tty_struct *tty)
{
	return ta_tty_is_master(tty) ? BPF_CORE_READ(tty, link) : tty;
}

static __always_inline void ta_emit_winsize(struct tty_struct *tty, const struct winsize *ws,
					    __u16 source)
{
	struct tty_struct *slave = ta_tty_slave(tty);
	struct ta_winsize_event *e;

	if (!slave)
		return;
	/* In the data ring: a resize is part of its terminal's stream, in order. */
	e = bpf_ringbuf_reserve(&ta_events, sizeof(*e), 0);
	if (!e) {
		ta_count_drop(TA_UNSET, TA_UNSET, 0);
		return;
	}
	ta_fill_hdr(&e->hdr, TA_EV_WINSIZE, source);
	e->hdr.size = sizeof(*e);
	ta_fill_task(&e->task);
	ta_fill_tty_id(&e->tty, slave);
	e->rows = ws->ws_row;
	e->cols = ws->ws_col;
	e->xpixel = ws->ws_xpixel;
	e->ypixel = ws->ws_ypixel;
	bpf_ringbuf_submit(e, 0);
}

/*
 * Data that reached a terminal without passing through the caller's memory
 * where a program could read it (sendfile, splice, Linux AIO, io_uring):
 * counted with its bytes, under the writer or the terminal's session.
 */
static __always_inline void ta_emit_uncaptured(struct tty_struct *tty, __u64 bytes, __u32 nr)
{
	struct tty_struct *slave = ta_tty_slave(tty);
	struct ta_uncaptured_event *e;

	if (!slave)
		return;
	e = bpf_ringbuf_reserve(&ta_events, sizeof(*e), 0);
	if (!e) {
		ta_count_tty_loss(tty, true, bytes, TA_DROP_RING_FULL);
		return;
	}
	ta_fill_hdr(&e->hdr, TA_EV_UNCAPTURED, TA_SRC_SYSCALL);
	e->hdr.size = sizeof(*e);
	ta_fill_task(&e->task);
	/* Outside any login session: the terminal's session, as its data would be. */
	e->task.ses = ta_ses_or_tty_leader(e->task.ses, (__u64)slave);
	ta_fill_tty_id(&e->tty, slave);
	e->bytes = bytes;
	e->syscall_nr = nr;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}


/* The start every process event shares (exec, exit, unix socket). */
struct ta_process_prefix {
	struct ta_event_hdr hdr;
	struct ta_task_id task;
	struct ta_tty_id tty;
};

/*
 * Whether what the current process does is terminal activity: it has a
 * controlling tty or a login session, and passes the filters. Its controlling
 * tty (or NULL), audit session and login uid in *ctty, *ses, *auid.
 */
static __always_inline bool ta_caller_recorded(struct tty_struct **ctty, __u32 *ses, __u32 *auid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ta_config *cfg;

	*ctty = BPF_CORE_READ(task, signal, tty);
	*ses = BPF_CORE_READ(task, sessionid);
	if (!*ctty && *ses == TA_UNSET)
		return false;
	*auid = BPF_CORE_READ(task, loginuid.val);
	cfg = ta_get_config();
	return cfg && ta_filter_pass(cfg, (__u32)bpf_get_current_uid_gid(), *auid);
}

/*
 * What a process event counts in its person's asks of the ring, whatever it
 * reserves (an exec reserves 3 472 bytes for an argv that is mostly far
 * shorter): the share's thresholds are then in events, a quarter of the
 * ring 4 096 events over two seconds, so a build running hundreds of
 * programs a second beside a flood is not taken for one. How full the ring
 * is stays in bytes.
 */
#define TA_CTL_EVENT_COST 64

/*
 * 1 if the caller, of session ses (as its records name it) and login uid
 * auid, may put a process event costing n into its ring: the ring's share per
 * person, as for terminal data (a loop of calls that each make an event, such
 * as a unix connect that fails, costs a microsecond a call and must not fill
 * it while others exec). A refusal is counted under that session. A global
 * function, verified once: inlined at each reservation it made the exec, exit
 * and unix programs' verification three to five times longer.
 */
__weak __noinline int ta_ctl_share_ok(__u32 ses, __u32 auid, __u32 n)
{
	if (ta_share_admit(&ta_ctl_events, TA_CTL_RING_BYTES, &ta_ctl_usage, &ta_ctl_top,
			   ta_share_person(auid, ses), bpf_ktime_get_boot_ns() / TA_SHARE_WINDOW_NS, n,
			   false))
		return 1;
	ta_count_loss(ses, auid, 0, TA_DROP_SESSION_SHARE);
	return 0;
}

/*
 * Reserve a process event of `size` bytes (a constant once inlined) and fill
 * its common start, or NULL: only terminal activity (ta_caller_recorded) is
 * recorded; a full ring, or a person over its share of it, is counted.
 */
static __always_inline void *ta_reserve_process_event(__u32 size, __u16 kind, __u16 source)
{
	struct ta_process_prefix *e;
	struct tty_struct *ctty;
	__u32 ses, auid;

	if (ta_is_self(bpf_get_current_pid_tgid() >> 32) || !ta_caller_recorded(&ctty, &ses, &auid))
		return NULL;
	/* Outside any login session: the session of its terminal, for the record and its losses. */
	ses = ta_ses_or_tty_leader(ses, (__u64)ctty);
	if (!ta_ctl_share_ok(ses, auid, TA_CTL_EVENT_COST))
		return NULL;
	e = bpf_ringbuf_reserve(&ta_ctl_events, size, 0);
	if (!e) {
		ta_count_drop(ses, auid, 0);
		return NULL;
	}
	ta_fill_hdr(&e->hdr, kind, source);
	e->hdr.size = size;
	ta_fill_task(&e->task);
	e->task.ses = ses;
	__builtin_memset(&e->tty, 0, sizeof(e->tty));
	if (ctty)
		ta_fill_tty_id(&e->tty, ctty);
	return e;
}

#endif /* TTYAUDIT_CAPTURE_COMMON_BPF_H */

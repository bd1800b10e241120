/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types the BPF programs touch, and nothing more.
 *
 * Every struct is marked preserve_access_index, so field offsets are relocated
 * against the running kernel's BTF at load time (CO-RE): the layouts below only
 * name fields, they do not need to match any kernel. Keeping this header small
 * and committed means the build never depends on the build host's kernel.
 * bpf/gen-vmlinux-h.sh writes a full header from a kernel's BTF for
 * developers who want to look up more types; the build does not use it.
 */
#ifndef TTYAUDIT_VMLINUX_MIN_H
#define TTYAUDIT_VMLINUX_MIN_H
/* Tells bpf_tracing.h to use the kernel's pt_regs field names. */
#define __VMLINUX_H__

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int tcflag_t;
typedef unsigned short umode_t;
typedef __u32 dev_t;
typedef long unsigned int size_t;
typedef long int ssize_t;
typedef long long loff_t;
typedef _Bool bool;
enum { false = 0, true = 1 };
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
	BPF_RB_CONS_POS = 2,
};

enum pid_type {
	PIDTYPE_PID = 0,
	PIDTYPE_TGID = 1,
	PIDTYPE_PGID = 2,
	PIDTYPE_SID = 3,
	PIDTYPE_MAX = 4,
};

typedef struct { uid_t val; } kuid_t;
typedef struct { gid_t val; } kgid_t;

struct hlist_node {
	struct hlist_node *next;
	struct hlist_node **pprev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct pid {
	struct hlist_head tasks[4];
};

/* Its layout changed in 6.3 (u32 cap[2] -> u64 val): only its offset and 8 bytes are used. */
typedef struct { __u64 val; } kernel_cap_t;

struct cred {
	kuid_t uid;
	kgid_t gid;
	kuid_t suid;
	kgid_t sgid;
	kuid_t euid;
	kgid_t egid;
	kuid_t fsuid;
	kgid_t fsgid;
	kernel_cap_t cap_effective;
};

struct super_block {
	dev_t s_dev;
};

struct inode {
	umode_t i_mode;
	dev_t i_rdev;
	unsigned long i_ino;
	struct super_block *i_sb;
};

struct vfsmount;
struct dentry;
struct path {
	struct vfsmount *mnt;
	struct dentry *dentry;
};

struct file {
	struct inode *f_inode;
	void *private_data;
	struct path f_path;
};

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
};

typedef struct { int counter; } atomic_t;

struct files_struct {
	atomic_t count;
	struct fdtable *fdt;
};

struct ktermios {
	tcflag_t c_iflag;
	tcflag_t c_oflag;
	tcflag_t c_cflag;
	tcflag_t c_lflag;
};

struct winsize {
	unsigned short ws_row;
	unsigned short ws_col;
	unsigned short ws_xpixel;
	unsigned short ws_ypixel;
};

/* 6.8+: type and subtype are enums; CO-RE treats int and enum as different. */
/* Their values differ from the older #defines: relocate by name (CO-RE). */
enum tty_driver_type {
	TTY_DRIVER_TYPE_SYSTEM = 0,
	TTY_DRIVER_TYPE_CONSOLE = 1,
	TTY_DRIVER_TYPE_SERIAL = 2,
	TTY_DRIVER_TYPE_PTY = 3,
};
enum tty_driver_subtype {
	PTY_TYPE_MASTER = 1,
	PTY_TYPE_SLAVE = 2,
};

struct tty_driver {
	int major;
	int minor_start;
	enum tty_driver_type type;
	enum tty_driver_subtype subtype;
};

/* Before 6.8. */
struct tty_driver___short {
	short type;
	short subtype;
};

/* 5.16+: session and pgrp live in tty->ctrl. */
struct tty_struct___ctrl {
	struct {
		struct pid *pgrp;
		struct pid *session;
	} ctrl;
};

struct tty_struct {
	struct tty_driver *driver;
	int index;
	struct ktermios termios;
	struct winsize winsize;
	char name[64];
	struct tty_struct *link;
	struct pid *pgrp;     /* before 5.16 */
	struct pid *session;  /* before 5.16 */
};

struct tty_file_private {
	struct tty_struct *tty;
	struct file *file;
};

struct qstr {
	const unsigned char *name;
};

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
	struct inode *d_inode;
};

struct vfsmount {
	struct dentry *mnt_root;
};

struct mount {
	struct mount *mnt_parent;
	struct dentry *mnt_mountpoint;
	struct vfsmount mnt;
};


struct fs_struct {
	struct path root;
	struct path pwd;
};

struct signal_struct {
	atomic_t live;
	struct tty_struct *tty;
	struct pid *pids[4];
};

struct mm_struct {
	unsigned long arg_start;
	unsigned long arg_end;
};

/* x86: `status` holds TS_COMPAT while a 32-bit system call runs. */
struct thread_info {
	unsigned long flags;
	__u32 status;
};

struct bpf_local_storage;

struct task_struct {
	struct thread_info thread_info;
	pid_t pid;
	pid_t tgid;
	char comm[16];
	const struct cred *cred;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct files_struct *files;
	struct signal_struct *signal;
	struct mm_struct *mm;
	struct fs_struct *fs;
	kuid_t loginuid;
	unsigned int sessionid;
	u64 start_boottime;
	struct hlist_node pid_links[4];
	int exit_code;
	unsigned long nvcsw;
	struct bpf_local_storage *bpf_storage;
};

struct iovec {
	void *iov_base;
	size_t iov_len;
};

/* The context of raw tracepoint programs: the tracepoint's arguments. */
struct bpf_raw_tracepoint_args {
	__u64 args[0];
};

/*
 * io_uring requests (io_uring/io_uring.h): the file, the opcode, the result;
 * at submission the fd (in a union with the completion's flags) and the
 * request's flags (u32 before 6.10, u64 since: the low bits read the same).
 */
struct io_cqe {
	__u64 user_data;
	__s32 res;
	int fd;
};

struct io_kiocb {
	struct file *file;
	__u8 opcode;
	__u32 flags;
	struct io_cqe cqe;
};

/* Sockets (the peer of a connection): struct socket is the private data of a socket's file. */
struct in6_addr {
	union {
		__u8 u6_addr8[16];
	} in6_u;
};

struct sock_common {
	__be32 skc_daddr;
	__be16 skc_dport;
	unsigned short skc_family;
	struct in6_addr skc_v6_daddr;
};

struct sock {
	struct sock_common __sk_common;
	__u16 sk_type;
	__u16 sk_protocol;
};

struct socket {
	short type;
	struct sock *sk;
};

/* A unix socket (net/unix): its bound name and file, and its peer once connected. */
struct sockaddr_un {
	unsigned short sun_family;
	char sun_path[108];
};

struct unix_address {
	int len;
	struct sockaddr_un name[];
};

struct unix_sock {
	struct sock sk;
	struct unix_address *addr;
	struct path path;
	struct sock *peer;
};

struct linux_binprm {
	struct file *file;
	const char *filename;
};

struct compat_iovec {
	__u32 iov_base;
	__u32 iov_len;
};

struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

#pragma clang attribute pop

#endif /* TTYAUDIT_VMLINUX_MIN_H */

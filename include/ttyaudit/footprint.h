/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A session's footprint (docs/capture.md): files it wrote, created, renamed,
 * deleted or changed the mode/owner of, network connections it made or
 * accepted, and privilege changes. One ring-buffer record per call
 * (TA_EV_FOOTPRINT), emitted at the call's exit with its result, for
 * processes inside a recorded session only (the same test as exec events).
 *
 * Same rules as event.h: fixed-width, explicit padding, versioned; every
 * length is a claim the daemon checks.
 */
#ifndef TTYAUDIT_FOOTPRINT_H
#define TTYAUDIT_FOOTPRINT_H

#include "ttyaudit/event.h"

#define TA_FP_VERSION 2
/* Bytes of a path kept (NUL included); a longer path is cut and marked. */
#define TA_FP_PATH_MAX 256

enum ta_fp_op {
	TA_FP_OPEN = 1,       /* arg: open flags (O_WRONLY, O_CREAT..., this machine's values) */
	TA_FP_RENAME = 2,     /* path -> path2 */
	TA_FP_UNLINK = 3,
	TA_FP_RMDIR = 4,
	TA_FP_MKDIR = 5,      /* arg: mode */
	TA_FP_CHMOD = 6,      /* arg: mode */
	TA_FP_CHOWN = 7,      /* arg_uid, arg_gid as asked ((u32)-1: unchanged) */
	TA_FP_CONNECT = 8,    /* family, addr, port, sock_type, protocol: the peer asked for */
	TA_FP_ACCEPT = 9,     /* the peer that connected (ret: the new fd) */
	TA_FP_SETUID = 10,    /* setuid/setreuid/setresuid/setfsuid; creds after the call */
	TA_FP_SETGID = 11,    /* setgid/setregid/setresgid/setfsgid */
	TA_FP_CAPSET = 12,    /* cap_effective after the call */
	TA_FP_EXEC_SETID = 13,/* exec of a set-user/group-ID program: euid/egid != uid/gid */
	TA_FP_OP_MAX = 13,
};

/* ta_fp_event.fp_flags */
enum ta_fp_flags {
	TA_FPF_FD = 1u << 0,         /* path: the name of the file behind an fd (fchmod, fchown) */
	TA_FPF_PATH_CUT = 1u << 1,   /* path longer than TA_FP_PATH_MAX - 1 */
	TA_FPF_PATH2_CUT = 1u << 2,
	/*
	 * path was relative: it is now the absolute path of its base directory
	 * (the working directory, or dirfd's) joined with the name as given,
	 * which starts at path[given_off]. Joined as text: "." and ".." in the
	 * name are the kernel's to resolve (the daemon folds what is safe).
	 */
	TA_FPF_JOINED = 1u << 3,
	TA_FPF_PATH2_JOINED = 1u << 4,   /* the same for path2 (given2_off, dirfd2) */
	/* path is relative and its base directory could not be named (a bad dirfd, too deep). */
	TA_FPF_BASE_UNKNOWN = 1u << 5,
	TA_FPF_BASE2_UNKNOWN = 1u << 6,
	TA_FPF_COMPAT = 1u << 7,       /* a 32-bit call (int 0x80, a 32-bit process) */
	/* an io_uring request's completion (arg: its opcode), not a system call */
	TA_FPF_IO_URING = 1u << 8,
	/* what it named (paths, a peer) is not known: only its kind and result */
	TA_FPF_UNCAPTURED = 1u << 9,
};

/* AT_FDCWD: a relative path is relative to the working directory. */
#define TA_FP_AT_FDCWD (-100)

struct ta_fp_event {
	struct ta_event_hdr hdr;   /* kind TA_EV_FOOTPRINT */
	struct ta_task_id task;    /* uid: real uid after the call */
	struct ta_tty_id tty;      /* controlling tty; zero if none */
	__u16 fp_version;          /* TA_FP_VERSION */
	__u16 op;                  /* enum ta_fp_op */
	__u32 fp_flags;            /* enum ta_fp_flags */
	__s64 ret;                 /* the call's result: -errno if it failed */
	__s32 dirfd;               /* *at calls: the directory fd; TA_FP_AT_FDCWD otherwise */
	__u32 arg;                 /* open flags or mode */
	__u32 arg_uid;             /* chown, set*id: the id asked for */
	__u32 arg_gid;
	__u32 uid, euid, suid, fsuid;  /* credentials after the call */
	__u32 gid, egid;
	__u64 cap_effective;
	__u16 family;              /* AF_INET (2), AF_INET6 (10); 0 for other ops */
	__u16 port;                /* host byte order */
	__u16 sock_type;           /* SOCK_STREAM (1), SOCK_DGRAM (2), ... */
	__u16 protocol;            /* IPPROTO_TCP (6), IPPROTO_UDP (17), ... */
	__u8 addr[16];             /* network byte order; IPv4 in the first 4 */
	__u32 path_len;            /* bytes of path before its NUL */
	__u32 path2_len;
	__u16 given_off;           /* TA_FPF_JOINED: where the name as given starts in path */
	__u16 given2_off;          /* TA_FPF_PATH2_JOINED: the same in path2 */
	__s32 dirfd2;              /* renameat: the new name's directory fd; TA_FP_AT_FDCWD otherwise */
	char path[TA_FP_PATH_MAX];
	char path2[TA_FP_PATH_MAX];
};
_Static_assert(sizeof(struct ta_fp_event) == 24 + 48 + 48 + 8 + 8 + 16 + 24 + 8 + 8 + 16 + 8 + 8 +
	       2 * TA_FP_PATH_MAX, "ta_fp_event layout");

#endif /* TTYAUDIT_FOOTPRINT_H */

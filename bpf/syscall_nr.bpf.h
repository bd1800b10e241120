/* SPDX-License-Identifier: GPL-2.0 */
/*
 * System call numbers the raw sys_enter/sys_exit programs look for, per
 * calling convention. A raw tracepoint sees the number the caller used: a
 * 64-bit process can make 32-bit calls (int 0x80) whose numbers mean other
 * calls natively, so the convention is decided first, never guessed from
 * the number (arch/x86/entry/syscalls/syscall_{64,32}.tbl).
 *
 * Each convention has one list of (number, kind) rows: TA_NATIVE_CALLS (with
 * TA_NATIVE_ARCH_CALLS), TA_COMPAT_CALLS (ia32), TA_X32_CALLS. This is the only place a number is
 * tied to a kind (call_kinds.bpf.h); to watch another call, add its kind
 * there and its rows here, for every convention and architecture that has it.
 */
#ifndef TTYAUDIT_SYSCALL_NR_BPF_H
#define TTYAUDIT_SYSCALL_NR_BPF_H

/* socketcall(call, args): the calls it multiplexes (linux/net.h). */
#define TA_SYS_BIND 2
#define TA_SYS_CONNECT 3
#define TA_SYS_ACCEPT 5
#define TA_SYS_ACCEPT4 18

#if defined(__TARGET_ARCH_x86)
#define TA_NR_read 0
#define TA_NR_write 1
#define TA_NR_close 3
#define TA_NR_ioctl 16
#define TA_NR_readv 19
#define TA_NR_writev 20
#define TA_NR_dup 32
#define TA_NR_dup2 33
#define TA_NR_sendfile 40
#define TA_NR_connect 42
#define TA_NR_bind 49
#define TA_NR_fcntl 72
#define TA_NR_io_submit 209
#define TA_NR_splice 275
#define TA_NR_dup3 292
#define TA_NR_preadv 295
#define TA_NR_pwritev 296
#define TA_NR_preadv2 327
#define TA_NR_pwritev2 328
#define TA_NR_io_uring_enter 426
/* Footprint calls (bpf/footprint.bpf.h), native table. */
#define TA_NR_open 2
#define TA_NR_accept 43
#define TA_NR_rename 82
#define TA_NR_mkdir 83
#define TA_NR_rmdir 84
#define TA_NR_creat 85
#define TA_NR_unlink 87
#define TA_NR_chmod 90
#define TA_NR_fchmod 91
#define TA_NR_chown 92
#define TA_NR_fchown 93
#define TA_NR_lchown 94
#define TA_NR_setuid 105
#define TA_NR_setgid 106
#define TA_NR_setreuid 113
#define TA_NR_setregid 114
#define TA_NR_setresuid 117
#define TA_NR_setresgid 119
#define TA_NR_setfsuid 122
#define TA_NR_setfsgid 123
#define TA_NR_capset 126
#define TA_NR_openat 257
#define TA_NR_mkdirat 258
#define TA_NR_fchownat 260
#define TA_NR_unlinkat 263
#define TA_NR_renameat 264
#define TA_NR_fchmodat 268
#define TA_NR_accept4 288
#define TA_NR_renameat2 316
#define TA_NR_openat2 437
#define TA_NR_fchmodat2 452
#define TA_NR_close_range 436
/* x32 calls carry this bit; their read/write/ioctl share the native numbers. */
#define TA_X32_SYSCALL_BIT 0x40000000

#define TA_HAS_COMPAT 1
#define TA_NR32_read 3
#define TA_NR32_write 4
#define TA_NR32_close 6
#define TA_NR32_dup 41
#define TA_NR32_ioctl 54
#define TA_NR32_fcntl 55
#define TA_NR32_dup2 63
#define TA_NR32_socketcall 102
#define TA_NR32_readv 145
#define TA_NR32_writev 146
#define TA_NR32_sendfile 187
#define TA_NR32_fcntl64 221
#define TA_NR32_sendfile64 239
#define TA_NR32_io_submit 248
#define TA_NR32_splice 313
#define TA_NR32_dup3 330
#define TA_NR32_preadv 333
#define TA_NR32_pwritev 334
#define TA_NR32_bind 361
#define TA_NR32_connect 362
#define TA_NR32_preadv2 378
#define TA_NR32_pwritev2 379
#define TA_NR32_io_uring_enter 426
#define TA_NR32_close_range 436
/* Footprint calls (bpf/footprint.bpf.h), ia32 table; the 16-bit-id forms too. */
#define TA_NR32_open 5
#define TA_NR32_creat 8
#define TA_NR32_unlink 10
#define TA_NR32_chmod 15
#define TA_NR32_lchown16 16
#define TA_NR32_setuid16 23
#define TA_NR32_rename 38
#define TA_NR32_mkdir 39
#define TA_NR32_rmdir 40
#define TA_NR32_setgid16 46
#define TA_NR32_setreuid16 70
#define TA_NR32_setregid16 71
#define TA_NR32_fchmod 94
#define TA_NR32_fchown16 95
#define TA_NR32_setfsuid16 138
#define TA_NR32_setfsgid16 139
#define TA_NR32_setresuid16 164
#define TA_NR32_setresgid16 170
#define TA_NR32_chown16 182
#define TA_NR32_capset 185
#define TA_NR32_lchown 198
#define TA_NR32_setreuid 203
#define TA_NR32_setregid 204
#define TA_NR32_fchown 207
#define TA_NR32_setresuid 208
#define TA_NR32_setresgid 210
#define TA_NR32_chown 212
#define TA_NR32_setuid 213
#define TA_NR32_setgid 214
#define TA_NR32_setfsuid 215
#define TA_NR32_setfsgid 216
#define TA_NR32_openat 295
#define TA_NR32_mkdirat 296
#define TA_NR32_fchownat 298
#define TA_NR32_unlinkat 301
#define TA_NR32_renameat 302
#define TA_NR32_fchmodat 306
#define TA_NR32_renameat2 353
#define TA_NR32_accept4 364
#define TA_NR32_openat2 437
#define TA_NR32_fchmodat2 452
/* arch/x86/include/asm/thread_info.h */
#define TA_TS_COMPAT 0x0002

/* Native calls only this table has (the generic one has no dup2, nor the older file calls). */
#define TA_NATIVE_ARCH_CALLS(X) \
	X(TA_NR_dup2, DUP2) \
	X(TA_NR_open, FP_OPEN) X(TA_NR_creat, FP_CREAT) X(TA_NR_rename, FP_RENAME) \
	X(TA_NR_unlink, FP_UNLINK) X(TA_NR_rmdir, FP_RMDIR) X(TA_NR_mkdir, FP_MKDIR) \
	X(TA_NR_chmod, FP_CHMOD) X(TA_NR_chown, FP_CHOWN) X(TA_NR_lchown, FP_CHOWN)

#define TA_COMPAT_CALLS(X) \
	X(TA_NR32_write, WRITE) X(TA_NR32_read, READ) \
	X(TA_NR32_writev, WRITEV) X(TA_NR32_pwritev, WRITEV) X(TA_NR32_pwritev2, WRITEV) \
	X(TA_NR32_readv, READV) X(TA_NR32_preadv, READV) X(TA_NR32_preadv2, READV) \
	X(TA_NR32_sendfile, SENDFILE) X(TA_NR32_sendfile64, SENDFILE) X(TA_NR32_splice, SPLICE) \
	X(TA_NR32_ioctl, IOCTL) X(TA_NR32_io_submit, IO_SUBMIT) \
	X(TA_NR32_connect, CONNECT) X(TA_NR32_bind, BIND) X(TA_NR32_socketcall, SOCKETCALL) \
	X(TA_NR32_dup, DUP) X(TA_NR32_dup2, DUP2) X(TA_NR32_dup3, DUP3) \
	X(TA_NR32_fcntl, FCNTL) X(TA_NR32_fcntl64, FCNTL) \
	X(TA_NR32_close, CLOSE) X(TA_NR32_close_range, CLOSE_RANGE) \
	TA_COMPAT_FOOTPRINT_CALLS(X)

/*
 * 32-bit calls of the footprint's kinds: a 64-bit process can make them with
 * int 0x80 as well as a 32-bit one, so they are followed like the native
 * ones (connect and accept also through socketcall).
 */
#define TA_COMPAT_FOOTPRINT_CALLS(X) \
	X(TA_NR32_open, FP_OPEN) X(TA_NR32_creat, FP_CREAT) X(TA_NR32_openat, FP_OPENAT) \
	X(TA_NR32_openat2, FP_OPENAT2) X(TA_NR32_unlink, FP_UNLINK) X(TA_NR32_unlinkat, FP_UNLINKAT) \
	X(TA_NR32_rename, FP_RENAME) X(TA_NR32_renameat, FP_RENAMEAT) \
	X(TA_NR32_renameat2, FP_RENAMEAT) X(TA_NR32_mkdir, FP_MKDIR) X(TA_NR32_mkdirat, FP_MKDIRAT) \
	X(TA_NR32_rmdir, FP_RMDIR) X(TA_NR32_chmod, FP_CHMOD) X(TA_NR32_fchmod, FP_FCHMOD) \
	X(TA_NR32_fchmodat, FP_FCHMODAT) X(TA_NR32_fchmodat2, FP_FCHMODAT) \
	X(TA_NR32_chown, FP_CHOWN) X(TA_NR32_lchown, FP_CHOWN) X(TA_NR32_chown16, FP_CHOWN) \
	X(TA_NR32_lchown16, FP_CHOWN) X(TA_NR32_fchown, FP_FCHOWN) X(TA_NR32_fchown16, FP_FCHOWN) \
	X(TA_NR32_fchownat, FP_FCHOWNAT) X(TA_NR32_accept4, FP_ACCEPT) \
	X(TA_NR32_setuid, FP_SETUID) X(TA_NR32_setuid16, FP_SETUID) \
	X(TA_NR32_setfsuid, FP_SETUID) X(TA_NR32_setfsuid16, FP_SETUID) \
	X(TA_NR32_setreuid, FP_SETREUID) X(TA_NR32_setreuid16, FP_SETREUID) \
	X(TA_NR32_setresuid, FP_SETREUID) X(TA_NR32_setresuid16, FP_SETREUID) \
	X(TA_NR32_setgid, FP_SETGID) X(TA_NR32_setgid16, FP_SETGID) \
	X(TA_NR32_setfsgid, FP_SETGID) X(TA_NR32_setfsgid16, FP_SETGID) \
	X(TA_NR32_setregid, FP_SETREGID) X(TA_NR32_setregid16, FP_SETREGID) \
	X(TA_NR32_setresgid, FP_SETREGID) X(TA_NR32_setresgid16, FP_SETREGID) \
	X(TA_NR32_capset, FP_CAPSET)

/* x32 read and write share the native layouts; the number carries the x32 bit. */
#define TA_X32_CALLS(X) \
	X(TA_X32_SYSCALL_BIT | TA_NR_write, WRITE) X(TA_X32_SYSCALL_BIT | TA_NR_read, READ)

#elif defined(__TARGET_ARCH_arm64) || defined(__TARGET_ARCH_riscv)
/* The generic table (include/uapi/asm-generic/unistd.h). */
#define TA_NR_io_submit 2
#define TA_NR_dup 23
#define TA_NR_dup3 24
#define TA_NR_fcntl 25
#define TA_NR_ioctl 29
#define TA_NR_close 57
#define TA_NR_read 63
#define TA_NR_write 64
#define TA_NR_readv 65
#define TA_NR_writev 66
#define TA_NR_preadv 69
#define TA_NR_pwritev 70
#define TA_NR_sendfile 71
#define TA_NR_splice 76
#define TA_NR_bind 200
#define TA_NR_connect 203
#define TA_NR_preadv2 286
#define TA_NR_pwritev2 287
#define TA_NR_io_uring_enter 426
/* Footprint calls (bpf/footprint.bpf.h); the generic table has no open, rename, ... */
#define TA_NR_mkdirat 34
#define TA_NR_unlinkat 35
#define TA_NR_renameat 38
#define TA_NR_fchmod 52
#define TA_NR_fchmodat 53
#define TA_NR_fchownat 54
#define TA_NR_fchown 55
#define TA_NR_openat 56
#define TA_NR_capset 91
#define TA_NR_setregid 143
#define TA_NR_setgid 144
#define TA_NR_setreuid 145
#define TA_NR_setuid 146
#define TA_NR_setresuid 147
#define TA_NR_setresgid 149
#define TA_NR_setfsuid 151
#define TA_NR_setfsgid 152
#define TA_NR_accept 202
#define TA_NR_accept4 242
#define TA_NR_renameat2 276
#define TA_NR_openat2 437
#define TA_NR_fchmodat2 452
#define TA_NR_close_range 436
#define TA_HAS_COMPAT 0

#define TA_NATIVE_ARCH_CALLS(X)
#define TA_COMPAT_CALLS(X)
#define TA_X32_CALLS(X)
#else
#error "ttyaudit: no system call table for this architecture"
#endif

/* Native calls: every architecture names these numbers (TA_NR_*), each with its own values. */
#define TA_NATIVE_CALLS(X) \
	X(TA_NR_write, WRITE) X(TA_NR_read, READ) \
	X(TA_NR_writev, WRITEV) X(TA_NR_pwritev, WRITEV) X(TA_NR_pwritev2, WRITEV) \
	X(TA_NR_readv, READV) X(TA_NR_preadv, READV) X(TA_NR_preadv2, READV) \
	X(TA_NR_sendfile, SENDFILE) X(TA_NR_splice, SPLICE) \
	X(TA_NR_ioctl, IOCTL) X(TA_NR_io_submit, IO_SUBMIT) \
	X(TA_NR_connect, CONNECT) X(TA_NR_bind, BIND) \
	TA_FOOTPRINT_CALLS(X) \
	X(TA_NR_dup, DUP) X(TA_NR_dup3, DUP3) X(TA_NR_fcntl, FCNTL) \
	X(TA_NR_close, CLOSE) X(TA_NR_close_range, CLOSE_RANGE) \
	TA_NATIVE_ARCH_CALLS(X)

/*
 * The footprint's calls every architecture has (bpf/footprint.bpf.h); x86's
 * older forms (open, rename, ...) are in its native list; x86's 32-bit ones
 * in TA_COMPAT_FOOTPRINT_CALLS.
 */
#define TA_FOOTPRINT_CALLS(X) \
	X(TA_NR_openat, FP_OPENAT) X(TA_NR_openat2, FP_OPENAT2) \
	X(TA_NR_renameat, FP_RENAMEAT) X(TA_NR_renameat2, FP_RENAMEAT) \
	X(TA_NR_unlinkat, FP_UNLINKAT) X(TA_NR_mkdirat, FP_MKDIRAT) \
	X(TA_NR_fchmod, FP_FCHMOD) X(TA_NR_fchmodat, FP_FCHMODAT) X(TA_NR_fchmodat2, FP_FCHMODAT) \
	X(TA_NR_fchown, FP_FCHOWN) X(TA_NR_fchownat, FP_FCHOWNAT) \
	X(TA_NR_accept, FP_ACCEPT) X(TA_NR_accept4, FP_ACCEPT) \
	X(TA_NR_setuid, FP_SETUID) X(TA_NR_setfsuid, FP_SETUID) \
	X(TA_NR_setreuid, FP_SETREUID) X(TA_NR_setresuid, FP_SETREUID) \
	X(TA_NR_setgid, FP_SETGID) X(TA_NR_setfsgid, FP_SETGID) \
	X(TA_NR_setregid, FP_SETREGID) X(TA_NR_setresgid, FP_SETREGID) \
	X(TA_NR_capset, FP_CAPSET)

#endif /* TTYAUDIT_SYSCALL_NR_BPF_H */

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Records passed from the BPF programs to ttyauditd through the ring buffer.
 *
 * Shared by BPF (clang -target bpf) and userspace: fixed-width types only, no
 * pointers, explicit padding, and a version in every header so that a daemon
 * never misreads records of another layout. Userspace must validate every
 * field before use: the kernel side is trusted to be ours, but a record can be
 * short, and any length inside it is only a claim.
 */
#ifndef TTYAUDIT_EVENT_H
#define TTYAUDIT_EVENT_H

#ifdef __bpf__
/* vmlinux types provide __u8.. in BPF builds */
#else
#include <linux/types.h>
#include <stddef.h>
#endif

/*
 * 2: ta_tty_event carries the terminal's c_oflag.
 * 3: ta_unix_event is sent at the call's exit, with its result and the socket's identity.
 * 4: ta_exec_event carries the path of the executable the kernel ran (exe), beside the name
 *    given to execve.
 */
#define TA_EVENT_VERSION 4

/* Payload bytes per chunk; larger writes become several ordered chunks. */
#define TA_CHUNK_MAX 4096
/* Chunks one call may emit (64 MiB); beyond that the rest is counted as lost. */
#define TA_CHUNKS_PER_CALL 16384
/*
 * The fallback programs (kernels without bpf_loop or BPF task storage;
 * bpf/kernel_compat.bpf.h): steps of a call's chunk loop (a chunk, or an
 * iovec entry, each), components of an exec's cwd walk, and the per-thread
 * call table with what one uid may hold of it.
 */
#define TA_FB_CHUNK_STEPS 32
#define TA_FB_CWD_DEPTH 32
#define TA_FB_STATE_ENTRIES 32768
#define TA_FB_STATE_PER_USER 512
/* Bytes of argv kept per exec; longer argv is marked truncated. */
#define TA_ARGV_MAX 2048
#define TA_FILENAME_MAX 256
#define TA_CWD_MAX 512
#define TA_COMM_LEN 16
#define TA_TTY_NAME_LEN 32
#define TA_FILTER_RULES 16

enum ta_event_kind {
	TA_EV_TTY_OUTPUT = 1,  /* bytes written to a tty by a process */
	TA_EV_TTY_INPUT = 2,   /* bytes received by the tty's line discipline */
	TA_EV_EXEC = 3,        /* exec in a process with a tty or login session */
	TA_EV_WINSIZE = 4,     /* window size set on a tty */
	TA_EV_UNCAPTURED = 5,  /* bytes that reached a tty by a path not read */
	TA_EV_EXIT = 6,        /* a process with a tty or login session ended */
	TA_EV_UNIX_SOCKET = 7, /* connect/bind of a unix socket path (tmux, screen) */
	TA_EV_FOOTPRINT = 8,   /* a file, network or privilege call (footprint.h) */
};

/* ta_event_hdr.flags */
enum ta_event_flags {
	TA_F_ECHO = 1u << 0,       /* tty had ECHO set */
	TA_F_ICANON = 1u << 1,     /* tty was in canonical mode */
	TA_F_REDACTED = 1u << 2,   /* payload withheld (no-echo canonical input) */
	TA_F_TRUNCATED = 1u << 3,  /* exec argv or call longer than kept */
	TA_F_READ_SIDE = 1u << 4,  /* input seen where a process read it */
	TA_F_INJECTED = 1u << 5,   /* input pushed by ioctl(TIOCSTI) */
	TA_F_FROM_MASTER = 1u << 6,/* input written into the pty master */
	/*
	 * Syscall backend only: the recorder cannot vouch that these bytes are
	 * what the terminal got (buffer changed during the call, the fd named
	 * another file at exit than at entry, partial progress, or a call that
	 * blocked with more than TA_DIGEST_MAX bytes).
	 */
	TA_F_SUSPECT = 1u << 7,
	/*
	 * Log entries only (set by the daemon): output a process of another
	 * session wrote to this terminal (an fd passed over SCM_RIGHTS, wall),
	 * copied into the terminal owner's session; pid, uid and comm are the
	 * writer's, and the writer's own session has the entry too.
	 */
	TA_F_OTHER_SESSION = 1u << 8,
};

/* Bytes of a write fingerprinted at syscall entry and compared at exit. */
#define TA_DIGEST_MAX 4096

/* Which hook produced an event: same record, different road in the kernel. */
enum ta_source {
	TA_SRC_SYSCALL = 1,  /* syscall tracepoints */
	TA_SRC_FENTRY = 2,
	TA_SRC_KPROBE = 3,
	TA_SRC_SCHED = 4,    /* sched tracepoints (exec), every backend */
};

/* tty_driver.type / subtype values from the kernel (include/linux/tty_driver.h). */
enum ta_tty_driver_type {
	TA_TTY_DRIVER_SYSTEM = 1,
	TA_TTY_DRIVER_CONSOLE = 2,
	TA_TTY_DRIVER_SERIAL = 3,
	TA_TTY_DRIVER_PTY = 4,
};
#define TA_PTY_TYPE_MASTER 1
#define TA_PTY_TYPE_SLAVE 2

/* The terminal an event belongs to. For ptys this is always the slave side. */
struct ta_tty_id {
	__u32 major;
	__u32 minor;
	__s32 index;          /* tty->index: N of pts/N, ttySN, ttyN */
	__u16 driver_type;    /* enum ta_tty_driver_type */
	__u16 driver_subtype;
	char name[TA_TTY_NAME_LEN]; /* tty->name, NUL-terminated if it fits */
};
_Static_assert(sizeof(struct ta_tty_id) == 48, "ta_tty_id layout");

/* Who did it: the task in whose context the kernel ran the hook. */
struct ta_task_id {
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 auid;           /* loginuid; (__u32)-1 if unset */
	__u32 ses;            /* audit session id; (__u32)-1 if unset */
	__u32 pad;
	char comm[TA_COMM_LEN];
};
_Static_assert(sizeof(struct ta_task_id) == 48, "ta_task_id layout");

/*
 * Terminals used outside any audit login session (docker exec, ptys of
 * daemons, setsid script) get a session id of their own instead of "unset":
 * this bit, and 31 bits derived from the terminal's session leader (tgid and
 * start time), so two such terminals, or one reused later, are never merged.
 * Audit session ids count logins from 1 and do not reach 2^31.
 */
#define TA_SES_NO_LOGIN 0x80000000u

/* Common header of every ring-buffer record. */
struct ta_event_hdr {
	__u16 version;        /* TA_EVENT_VERSION */
	__u16 kind;           /* enum ta_event_kind */
	__u16 source;         /* enum ta_source */
	__u16 flags;          /* enum ta_event_flags */
	__u32 size;           /* bytes of the whole record, payload included */
	__u32 cpu;
	__u64 ts_boot_ns;     /* CLOCK_BOOTTIME when the hook ran */
};
_Static_assert(sizeof(struct ta_event_hdr) == 24, "ta_event_hdr layout");

/*
 * Terminal data. A call that moved total_len bytes becomes chunks with the
 * same call_id and increasing offset; the receiver checks they join up.
 */
struct ta_tty_event {
	struct ta_event_hdr hdr;
	struct ta_task_id task;    /* writer (output) or the task that ran the hook */
	struct ta_tty_id tty;
	__u32 owner_auid;          /* auid/ses of the tty's session leader */
	__u32 owner_ses;
	__u32 owner_pid;
	__u32 len;                 /* payload bytes in this record (0 if redacted) */
	__u64 call_id;             /* unique per call: (cpu << 48) | per-cpu counter */
	__u64 offset;              /* offset of this chunk within the call */
	__u64 total_len;           /* bytes the call moved (or that were redacted) */
	__u32 oflag;               /* the terminal's c_oflag (output processing: OPOST, ONLCR..) */
	__u32 pad;
	__u8 data[];               /* len bytes */
};
_Static_assert(sizeof(struct ta_tty_event) == 24 + 48 + 48 + 16 + 24 + 8,
	       "ta_tty_event layout");

/*
 * An exec. filename is the name given to execve (bprm->filename): a symlink,
 * a relative name, or "/dev/fd/N" for fexecve. exe is the file the kernel
 * opened and runs (bprm->file, walked to an absolute path as the process
 * sees it; for a script, its interpreter, as /proc/PID/exe): what rules
 * about the program must look at, as the given name is the caller's choice.
 */
struct ta_exec_event {
	struct ta_event_hdr hdr;
	struct ta_task_id task;    /* after exec: new comm */
	struct ta_tty_id tty;      /* controlling tty; major=minor=0 if none */
	__u32 filename_len;        /* bytes of the given name in data, NUL included */
	__u32 argv_len;            /* bytes of NUL-separated argv */
	__u32 cwd_len;             /* bytes of the working directory (no NUL); 0: unknown */
	__u32 cwd_truncated;       /* 1: deeper or longer than TA_CWD_MAX, leading part cut */
	__u32 exe_len;             /* bytes of the executable's path (no NUL); 0: unknown */
	__u32 exe_truncated;       /* 1: as cwd_truncated, for exe */
	/*
	 * data: filename in [0, TA_FILENAME_MAX), cwd in
	 * [TA_FILENAME_MAX, TA_FILENAME_MAX + TA_CWD_MAX), exe in the next
	 * TA_CWD_MAX bytes (TA_EXEC_EXE_OFF), argv after that (TA_EXEC_ARGV_OFF).
	 */
	__u8 data[];
};
_Static_assert(sizeof(struct ta_exec_event) == 24 + 48 + 48 + 24,
	       "ta_exec_event layout");
#define TA_EXEC_CWD_OFF TA_FILENAME_MAX
#define TA_EXEC_EXE_OFF (TA_EXEC_CWD_OFF + TA_CWD_MAX)
#define TA_EXEC_ARGV_OFF (TA_EXEC_EXE_OFF + TA_CWD_MAX)

struct ta_winsize_event {
	struct ta_event_hdr hdr;
	struct ta_task_id task;
	struct ta_tty_id tty;
	__u16 rows;
	__u16 cols;
	__u16 xpixel;
	__u16 ypixel;
};
_Static_assert(sizeof(struct ta_winsize_event) == 24 + 48 + 48 + 8,
	       "ta_winsize_event layout");

/* Data that reached a tty by a road the backend cannot read (sendfile, splice). */
struct ta_uncaptured_event {
	struct ta_event_hdr hdr;
	struct ta_task_id task;
	struct ta_tty_id tty;
	__u64 bytes;
	__u32 syscall_nr;
	__u32 pad;
};
_Static_assert(sizeof(struct ta_uncaptured_event) == 24 + 48 + 48 + 16,
	       "ta_uncaptured_event layout");

/* Process exit (thread-group leaders with a controlling tty or a login session). */
struct ta_exit_event {
	struct ta_event_hdr hdr;
	struct ta_task_id task;
	struct ta_tty_id tty;      /* controlling tty; zero if none */
	__s32 exit_code;           /* as wait(2) reports it */
	__u32 pad;
};
_Static_assert(sizeof(struct ta_exit_event) == 24 + 48 + 48 + 8, "ta_exit_event layout");

#define TA_UNIX_PATH_MAX 108
enum ta_unix_op { TA_UNIX_CONNECT = 1, TA_UNIX_BIND = 2 };

/* ta_unix_event.flags */
enum ta_unix_flags {
	/*
	 * path, dev and ino are the kernel's: the name the server's socket was
	 * bound with and its inode (for a connect, of the socket it reached).
	 * Without it (a failed call) path is the call's address (the caller's
	 * memory at exit unless TA_UNIX_F_CALL_ADDR), and dev/ino are 0.
	 */
	TA_UNIX_F_KERNEL = 1u << 0,
	/*
	 * A failed call's path as the kernel copied it in for the call (taken in
	 * the unix family's own functions), not the caller's memory at exit.
	 */
	TA_UNIX_F_CALL_ADDR = 1u << 1,
};

/*
 * A unix socket connect or bind by a terminal process (shared terminals),
 * sent at the call's exit: ret is its result, and a call that succeeded
 * names the socket as the kernel has it. The path a caller passes can differ
 * from the socket it reaches (another thread rewrites the buffer while the
 * kernel copies it; a user namespace mounts its own directory over the
 * path): the inode cannot.
 */
struct ta_unix_event {
	struct ta_event_hdr hdr;
	struct ta_task_id task;
	struct ta_tty_id tty;      /* controlling tty; zero if none */
	__u32 op;                  /* enum ta_unix_op */
	__u32 path_len;            /* bytes of path, abstract names start with NUL */
	char path[TA_UNIX_PATH_MAX];
	__u32 flags;               /* enum ta_unix_flags */
	__s64 ret;                 /* 0, or -errno */
	__u64 ino;                 /* the socket file's inode; 0: abstract, or not known */
	__u32 dev;                 /* its filesystem's device (the kernel's dev_t encoding) */
	__u32 pad;
};
_Static_assert(sizeof(struct ta_unix_event) == 24 + 48 + 48 + 8 + 112 + 24, "ta_unix_event layout");

/* Per-CPU loss counters (map "ta_drops"), read and turned into gap records. */
struct ta_drop_counters {
	__u64 events;
	__u64 bytes;
};

/* Why data was lost before it reached the daemon. */
enum ta_drop_reason {
	TA_DROP_RING_FULL = 0,  /* the ring buffer had no room */
	TA_DROP_NO_STATE = 1,   /* per-thread call state could not be stored: call not recorded */
	/* the session's person (its login uid) asked more than its share of a filling ring */
	TA_DROP_SESSION_SHARE = 2,
	TA_DROP_FOOTPRINT = 3,  /* the footprint ring had no room: a file/network/privilege call */
	TA_DROP_FD_CHANGED = 4, /* a write's fd was changed during it, to a terminal not known */
	TA_DROP_CALL_TOO_LARGE = 5, /* more chunks than the programs take per call */
	/*
	 * Counted by the daemon, never by BPF: the session was over its share of
	 * the writer's queue while the log was slow (sink/sink_queue.h).
	 */
	TA_DROP_QUEUE_SHARE = 6,
	/*
	 * kprobe backend: a tty-layer call whose return probe never ran (the
	 * kernel's pool of kretprobe instances was used up by calls blocked in
	 * it); found by the thread's next call or its exit; bytes: those asked for
	 */
	TA_DROP_RETURN_MISSED = 7,
	/*
	 * Counted by the daemon, never by BPF: losses in the kernel's total that
	 * no per-session counter holds (an entry the LRU table evicted before the
	 * daemon read it, or more sessions than the daemon follows at once).
	 */
	TA_DROP_UNATTRIBUTED = 8,
	/*
	 * The kernel moved the bytes, but the caller's buffer could not be read
	 * back when the record was made (another thread unmapped it, or a page
	 * was not resident): the terminal got data the log does not have.
	 */
	TA_DROP_UNREADABLE = 9,
	/*
	 * An io_uring request the programs cannot follow to its end: submitted
	 * with IOSQE_CQE_SKIP_SUCCESS on a registered file, of a footprint kind
	 * or on an fd that names no terminal yet, or a completion that overflowed
	 * a full completion queue (it names no request). One event, 0 bytes, the
	 * caller's session.
	 */
	TA_DROP_URING_UNSEEN = 10,
	/*
	 * fentry and kprobe backends: a terminal was given a line discipline other
	 * than N_TTY (TIOCSETD; N_HDLC and others load on demand where the
	 * kernel autoloads them). Its writes and input pass through that
	 * discipline's functions, not n_tty's, and are not captured until it is
	 * N_TTY again. One event, 0 bytes, the caller's session.
	 */
	TA_DROP_LDISC = 11,
	TA_DROP_REASONS = 12,
};

/* Per-session loss counters (map "ta_session_drops"). */
struct ta_session_drop_key {
	__u32 ses;
	__u32 auid;
	__u32 reason;        /* enum ta_drop_reason */
	__u32 pad;
};
_Static_assert(sizeof(struct ta_session_drop_key) == 16, "ta_session_drop_key layout");

/* Filter rule: include/exclude events whose uid or auid is in [lo, hi]. */
enum ta_rule_field { TA_RULE_UID = 1, TA_RULE_AUID = 2 };
enum ta_rule_action { TA_RULE_INCLUDE = 1, TA_RULE_EXCLUDE = 2 };
struct ta_filter_rule {
	__u32 lo;
	__u32 hi;
	__u8 field;          /* enum ta_rule_field; 0 = unused slot */
	__u8 action;         /* enum ta_rule_action */
	__u8 pad[6];
};
_Static_assert(sizeof(struct ta_filter_rule) == 16, "ta_filter_rule layout");

/* Runtime configuration (single-entry array map "ta_config"). */
struct ta_config {
	__u32 version;       /* TA_EVENT_VERSION */
	__u32 redact_noecho; /* 1: withhold canonical no-echo input */
	__u32 n_rules;
	__u32 has_include;   /* 1: some rule includes, so unmatched is dropped */
	struct ta_filter_rule rules[TA_FILTER_RULES];
};
_Static_assert(sizeof(struct ta_config) == 16 + 16 * TA_FILTER_RULES,
	       "ta_config layout");

#endif /* TTYAUDIT_EVENT_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validation of raw ring-buffer records. Everything the kernel hands over is
 * checked here once; the rest of the agent only sees struct ta_event.
 */
#ifndef TA_CAPTURE_DECODE_H
#define TA_CAPTURE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/event.h"
#include "ttyaudit/footprint.h"

/* A decoded, validated event. Pointers refer into the raw record. */
struct ta_event {
	uint16_t kind;                /* enum ta_event_kind */
	uint16_t source;              /* enum ta_source */
	uint16_t flags;               /* enum ta_event_flags */
	uint32_t cpu;
	uint64_t ts_boot_ns;
	struct ta_task_id task;       /* comm NUL-terminated */
	struct ta_tty_id tty;         /* name NUL-terminated; zero if none */
	/* TA_EV_TTY_INPUT / TA_EV_TTY_OUTPUT */
	uint32_t owner_auid, owner_ses, owner_pid;
	uint64_t call_id, offset, total_len;
	uint32_t oflag;               /* the terminal's c_oflag, this machine's bits */
	const uint8_t *data;
	uint32_t len;
	/* TA_EV_EXEC: filename NUL-terminated; argv NUL-separated */
	const char *filename;
	const uint8_t *argv;
	uint32_t argv_len;
	const char *cwd;              /* cwd_len bytes, not NUL-terminated; 0: unknown */
	uint32_t cwd_len;
	bool cwd_truncated;
	/*
	 * The executable the kernel ran (exe_len bytes, not NUL-terminated; 0:
	 * unknown); filename is the name given to execve, a symlink or /dev/fd/N
	 * as the caller chose (a script's exe is its interpreter, as /proc/PID/exe).
	 */
	const char *exe;
	uint32_t exe_len;
	bool exe_truncated;
	/* TA_EV_WINSIZE */
	uint16_t rows, cols, xpixel, ypixel;
	/* TA_EV_UNCAPTURED */
	uint64_t bytes;
	uint32_t syscall_nr;
	/* TA_EV_EXIT */
	int32_t exit_code;
	/* TA_EV_UNIX_SOCKET: path may hold NULs (abstract names) */
	uint32_t unix_op;
	const char *path;
	uint32_t path_len;
	int64_t unix_ret;             /* the call's result: 0, or -errno */
	bool unix_kernel;             /* path and identity are the kernel's socket (TA_UNIX_F_KERNEL) */
	bool unix_call_addr;          /* a failed call's path is the kernel's copy (TA_UNIX_F_CALL_ADDR) */
	uint64_t unix_ino;            /* the socket file's inode; 0: abstract, or not known */
	uint32_t unix_dev;
	/*
	 * TA_EV_FOOTPRINT: the validated record, and its paths as everyone reads
	 * them (NUL-terminated): a relative name joined to its base directory
	 * (TA_FPF_JOINED) is one absolute path here (ta_fp_path_fold), the name
	 * as given in fp_given (fp_given_len bytes, not NUL-terminated; NULL if
	 * the path was not joined). Use these, not the record's path fields.
	 */
	const struct ta_fp_event *fp;
	char fp_path[TA_FP_PATH_MAX], fp_path2[TA_FP_PATH_MAX];
	uint32_t fp_path_len, fp_path2_len;
	bool fp_path_cut, fp_path2_cut;
	const char *fp_given, *fp_given2;
	uint32_t fp_given_len, fp_given2_len;
};

/* 0, or -EBADMSG (malformed), -EPROTONOSUPPORT (other version), -ENOTSUP (kind). */
int ta_event_decode(const void *raw, size_t raw_len, struct ta_event *out);

/* A unix socket's inode as records name it: "MAJ:MIN:INO" (dev in the kernel's encoding). */
#define TA_UNIX_INODE_LEN 48
void ta_unix_inode_format(char out[TA_UNIX_INODE_LEN], uint32_t dev, uint64_t ino);

/* An event kind's name: ta_event_kind_name (logfmt/record_types.h, the one table). */
const char *ta_source_name(uint16_t source);
/* "pty", "console", "serial", "system", or "other". */
const char *ta_tty_kind_name(const struct ta_tty_id *tty);

#endif

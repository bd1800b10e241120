// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON form of a capture event (docs/events-jsonl.md). */
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "logfmt/footprint.h"
#include "logfmt/record_types.h"
#include "logfmt/tty_batch.h"
#include "sink/sink.h"

static void put_task(struct ta_json *j, const struct ta_task_id *t)
{
	ta_json_key(j, "pid");
	ta_json_u64(j, t->pid);
	ta_json_key(j, "tgid");
	ta_json_u64(j, t->tgid);
	ta_json_key(j, "ppid");
	ta_json_u64(j, t->ppid);
	ta_json_key(j, "uid");
	ta_json_u64(j, t->uid);
	ta_json_key(j, "gid");
	ta_json_u64(j, t->gid);
	ta_json_key(j, "auid");
	ta_json_id(j, t->auid);
	ta_json_key(j, "ses");
	ta_json_id(j, t->ses);
	ta_json_key(j, "comm");
	ta_json_strn(j, t->comm, strnlen(t->comm, sizeof(t->comm)));
}

static void put_tty(struct ta_json *j, const struct ta_tty_id *t)
{
	char dev[32];

	if (!t->major && !t->minor && !t->name[0]) {
		ta_json_key(j, "tty");
		ta_json_null(j);
		return;
	}
	snprintf(dev, sizeof(dev), "%u:%u", t->major, t->minor);
	ta_json_key(j, "tty");
	ta_json_strn(j, t->name, strnlen(t->name, sizeof(t->name)));
	ta_json_key(j, "tty_dev");
	ta_json_str(j, dev);
	ta_json_key(j, "tty_kind");
	ta_json_str(j, ta_tty_kind_name(t));
}

static void put_flag(struct ta_json *j, const char *key, int on)
{
	ta_json_key(j, key);
	ta_json_bool(j, on != 0);
}

/* A path the kernel walked: KEY (null if unknown) and KEY_truncated when its head is missing. */
static void put_walked(struct ta_json *j, const char *key, const char *p, uint32_t len,
		       bool truncated)
{
	char k[32];

	ta_json_key(j, key);
	if (len)
		ta_json_strn(j, p, len);
	else
		ta_json_null(j);
	snprintf(k, sizeof(k), "%s_truncated", key);
	if (truncated)
		put_flag(j, k, 1);
}

static void put_argv(struct ta_json *j, const uint8_t *argv, uint32_t len)
{
	ta_json_strings(j, argv, len);
}

static void put_u32(struct ta_json *j, const char *key, uint32_t v)
{
	ta_json_key(j, key);
	ta_json_id(j, v);
}

/*
 * A footprint path: KEY the path (absolute when a relative name could be
 * joined to its base directory), KEY_cut, and for a joined one KEY_given
 * (the name as the process gave it) and KEY_joined (the base: "cwd" or
 * "dirfd"); KEY_base_unknown for a relative one whose base could not be named.
 */
static void put_fp_path(struct ta_json *j, const char *key, const char *path, uint32_t len,
			bool cut, const char *given, uint32_t given_len, bool base_unknown,
			int32_t dirfd)
{
	char k[32];

	ta_json_key(j, key);
	ta_json_strn(j, path, len);
	snprintf(k, sizeof(k), "%s_cut", key);
	if (cut)
		put_flag(j, k, 1);
	if (given) {
		snprintf(k, sizeof(k), "%s_given", key);
		ta_json_key(j, k);
		ta_json_strn(j, given, given_len);
		snprintf(k, sizeof(k), "%s_joined", key);
		ta_json_key(j, k);
		ta_json_str(j, dirfd == TA_FP_AT_FDCWD ? "cwd" : "dirfd");
	}
	snprintf(k, sizeof(k), "%s_base_unknown", key);
	if (base_unknown)
		put_flag(j, k, 1);
}

/* The footprint fields (docs/log-format.md, "footprint"). */
static void put_footprint(struct ta_json *j, const struct ta_event *ev)
{
	const struct ta_fp_event *f = ev->fp;
	char text[64];

	ta_json_key(j, "op");
	ta_json_str(j, ta_fp_op_name(f->op));
	ta_json_key(j, "ret");
	ta_json_i64(j, f->ret);
	if (f->ret < 0 && f->ret > -4096) {
		ta_json_key(j, "errno");
		ta_json_u64(j, (uint64_t)-f->ret);
	}
	if (f->fp_flags & TA_FPF_COMPAT)
		put_flag(j, "compat32", 1);
	if (f->fp_flags & TA_FPF_IO_URING) {
		ta_json_key(j, "via");
		ta_json_str(j, "io_uring");
		put_u32(j, "uring_op", f->arg);
	}
	/* What it named is not known (an io_uring request): no path, no flags, no peer. */
	if (f->fp_flags & TA_FPF_UNCAPTURED) {
		put_flag(j, "uncaptured", 1);
		return;
	}
	if (f->op != TA_FP_CONNECT && f->op != TA_FP_ACCEPT && f->op != TA_FP_SETUID &&
	    f->op != TA_FP_SETGID && f->op != TA_FP_CAPSET) {
		put_fp_path(j, "path", ev->fp_path, ev->fp_path_len, ev->fp_path_cut, ev->fp_given,
			    ev->fp_given_len, f->fp_flags & TA_FPF_BASE_UNKNOWN, f->dirfd);
		if (f->fp_flags & TA_FPF_FD)
			put_flag(j, "path_from_fd", 1);
		if (f->dirfd != TA_FP_AT_FDCWD) {
			ta_json_key(j, "dirfd");
			ta_json_i64(j, f->dirfd);
		}
	}
	switch (f->op) {
	case TA_FP_OPEN:
		if (f->fp_flags & TA_FPF_IO_URING)
			break;
		ta_fp_open_flags(f->arg, text, sizeof(text));
		ta_json_key(j, "flags");
		ta_json_str(j, text);
		break;
	case TA_FP_RENAME:
		put_fp_path(j, "path2", ev->fp_path2, ev->fp_path2_len, ev->fp_path2_cut,
			    ev->fp_given2, ev->fp_given2_len, f->fp_flags & TA_FPF_BASE2_UNKNOWN,
			    f->dirfd2);
		if (f->dirfd2 != TA_FP_AT_FDCWD) {
			ta_json_key(j, "dirfd2");
			ta_json_i64(j, f->dirfd2);
		}
		break;
	case TA_FP_MKDIR:
	case TA_FP_CHMOD:
		snprintf(text, sizeof(text), "%04o", f->arg & 07777);
		ta_json_key(j, "mode");
		ta_json_str(j, text);
		break;
	case TA_FP_CHOWN:
		put_u32(j, "owner", f->arg_uid);
		put_u32(j, "group", f->arg_gid);
		break;
	case TA_FP_CONNECT:
	case TA_FP_ACCEPT:
		ta_fp_addr_str(f->family, f->addr, text, sizeof(text));
		ta_json_key(j, "addr");
		ta_json_str(j, text);
		ta_json_key(j, "port");
		ta_json_u64(j, f->port);
		ta_fp_proto_name(f->sock_type, f->protocol, text, sizeof(text));
		ta_json_key(j, "proto");
		ta_json_str(j, text);
		break;
	case TA_FP_EXEC_SETID:
		/* path: the program that ran; this: the name given to execve (a symlink, /dev/fd/N). */
		if (ev->fp_path2_len) {
			ta_json_key(j, "filename");
			ta_json_strn(j, ev->fp_path2, ev->fp_path2_len);
		}
		break;
	case TA_FP_SETUID:
		put_u32(j, "asked", f->arg_uid);
		break;
	case TA_FP_SETGID:
		put_u32(j, "asked", f->arg_gid);
		break;
	}
	if (ta_fp_op_is_privilege(f->op)) {
		put_u32(j, "ruid", f->uid);
		put_u32(j, "euid", f->euid);
		put_u32(j, "suid", f->suid);
		put_u32(j, "fsuid", f->fsuid);
		put_u32(j, "rgid", f->gid);
		put_u32(j, "egid", f->egid);
		snprintf(text, sizeof(text), "%016llx", (unsigned long long)f->cap_effective);
		ta_json_key(j, "cap_effective");
		ta_json_str(j, text);
		/* Root reached by someone who did not log in as root: sudo, su, pkexec, exploits. */
		put_flag(j, "root", (f->euid == 0 || f->uid == 0) && f->task.auid != 0);
	}
}

void ta_event_to_json(struct ta_json *j, const struct ta_event *ev, uint64_t realtime_ns)
{
	char call[24];

	ta_json_obj_begin(j);
	ta_json_key(j, "v");
	ta_json_u64(j, 1);
	ta_json_key(j, "type");
	ta_json_str(j, ta_event_kind_name(ev->kind));
	ta_json_key(j, "time");
	ta_json_time(j, realtime_ns);
	/* A string: after 104 days of uptime the count exceeds 2^53, where JSON readers round. */
	char boot[24];
	snprintf(boot, sizeof(boot), "%llu", (unsigned long long)ev->ts_boot_ns);
	ta_json_key(j, "boot_ns");
	ta_json_str(j, boot);
	ta_json_key(j, "source");
	ta_json_str(j, ta_source_name(ev->source));
	put_task(j, &ev->task);
	put_tty(j, &ev->tty);

	switch (ev->kind) {
	case TA_EV_TTY_OUTPUT:
	case TA_EV_TTY_INPUT:
		ta_json_key(j, "owner_auid");
		ta_json_id(j, ev->owner_auid);
		ta_json_key(j, "owner_ses");
		ta_json_id(j, ev->owner_ses);
		ta_json_key(j, "owner_pid");
		ta_json_u64(j, ev->owner_pid);
		snprintf(call, sizeof(call), "%016llx", (unsigned long long)ev->call_id);
		ta_json_key(j, "call");
		ta_json_str(j, call);
		ta_json_key(j, "offset");
		ta_json_u64(j, ev->offset);
		ta_json_key(j, "total");
		ta_json_u64(j, ev->total_len);
		ta_json_key(j, "len");
		ta_json_u64(j, ev->len);
		put_flag(j, "echo", ev->flags & TA_F_ECHO);
		put_flag(j, "icanon", ev->flags & TA_F_ICANON);
		uint32_t of = ta_oflag_from_termios(ev->oflag);
		ta_json_key(j, "oflag");
		ta_json_arr_begin(j);
		for (unsigned i = 0; ta_oflag_name(i); i++)
			if (of & (1u << i))
				ta_json_str(j, ta_oflag_name(i));
		ta_json_arr_end(j);
		if (ev->flags & TA_F_REDACTED)
			put_flag(j, "redacted", 1);
		if (ev->flags & TA_F_READ_SIDE)
			put_flag(j, "read_side", 1);
		if (ev->flags & TA_F_INJECTED)
			put_flag(j, "injected", 1);
		if (ev->flags & TA_F_FROM_MASTER)
			put_flag(j, "from_master", 1);
		if (ev->flags & TA_F_SUSPECT)
			put_flag(j, "suspect", 1);
		if (!(ev->flags & TA_F_REDACTED)) {
			ta_json_key(j, "data");
			ta_json_base64(j, ev->data, ev->len);
		}
		break;
	case TA_EV_EXEC:
		ta_json_key(j, "filename");
		ta_json_str(j, ev->filename);
		put_walked(j, "cwd", ev->cwd, ev->cwd_len, ev->cwd_truncated);
		/* Always there, also when it equals filename: readers need not guess which ran. */
		put_walked(j, "exe", ev->exe, ev->exe_len, ev->exe_truncated);
		ta_json_key(j, "argv");
		put_argv(j, ev->argv, ev->argv_len);
		put_flag(j, "argv_truncated", ev->flags & TA_F_TRUNCATED);
		break;
	case TA_EV_WINSIZE:
		ta_json_key(j, "rows");
		ta_json_u64(j, ev->rows);
		ta_json_key(j, "cols");
		ta_json_u64(j, ev->cols);
		ta_json_key(j, "xpixel");
		ta_json_u64(j, ev->xpixel);
		ta_json_key(j, "ypixel");
		ta_json_u64(j, ev->ypixel);
		break;
	case TA_EV_UNCAPTURED:
		ta_json_key(j, "bytes");
		ta_json_u64(j, ev->bytes);
		ta_json_key(j, "syscall");
		ta_json_u64(j, ev->syscall_nr);
		break;
	case TA_EV_EXIT:
		ta_json_key(j, "exit_code");
		ta_json_i64(j, ev->exit_code);
		break;
	case TA_EV_UNIX_SOCKET:
		ta_json_key(j, "op");
		ta_json_str(j, ev->unix_op == TA_UNIX_BIND ? "bind" : "connect");
		ta_json_key(j, "path");
		ta_json_strn(j, ev->path, ev->path_len);
		ta_json_key(j, "ret");
		ta_json_i64(j, ev->unix_ret);
		if (ev->unix_ret < 0) {
			ta_json_key(j, "errno");
			ta_json_u64(j, (uint64_t)-ev->unix_ret);
		}
		/*
		 * kernel: the socket's own name and inode; call: the failed call's
		 * address as the kernel copied it; caller: its buffer at exit.
		 */
		ta_json_key(j, "path_from");
		ta_json_str(j, ev->unix_kernel ? "kernel" : ev->unix_call_addr ? "call" : "caller");
		if (ev->unix_ino) {
			char id[TA_UNIX_INODE_LEN];

			ta_unix_inode_format(id, ev->unix_dev, ev->unix_ino);
			ta_json_key(j, "inode");
			ta_json_str(j, id);
		}
		break;
	case TA_EV_FOOTPRINT:
		put_footprint(j, ev);
		break;
	}
	ta_json_obj_end(j);
}

void ta_sink_error_gap_to_json(struct ta_json *j, int err, uint64_t events, uint64_t bytes)
{
	ta_json_reset(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "reason");
	ta_json_str(j, "sink_error");
	ta_json_key(j, "error");
	ta_json_str(j, strerror(-err));
	ta_json_key(j, "events");
	ta_json_u64(j, events);
	ta_json_key(j, "bytes");
	ta_json_u64(j, bytes);
	ta_json_obj_end(j);
}

void ta_session_gap_to_json(struct ta_json *j, const char *reason, uint32_t ses, const char *tty,
			    uint64_t since_ns, uint64_t until_ns, uint64_t events, uint64_t bytes,
			    uint64_t copied_events, uint64_t copied_bytes)
{
	ta_json_reset(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "reason");
	ta_json_str(j, reason);
	ta_json_key(j, "ses");
	ta_json_id(j, ses);
	ta_json_key(j, "tty");
	ta_json_str(j, tty);
	ta_json_key(j, "since");
	ta_json_time(j, since_ns);
	ta_json_key(j, "until");
	ta_json_time(j, until_ns);
	ta_json_key(j, "events");
	ta_json_u64(j, events);
	ta_json_key(j, "bytes");
	ta_json_u64(j, bytes);
	if (copied_events || copied_bytes) {
		ta_json_key(j, "copied_events");
		ta_json_u64(j, copied_events);
		ta_json_key(j, "copied_bytes");
		ta_json_u64(j, copied_bytes);
	}
	ta_json_obj_end(j);
}

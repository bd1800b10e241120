// SPDX-License-Identifier: GPL-2.0-or-later
#include "capture/decode.h"

#include "logfmt/footprint.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The fixed part of each kind, before any payload. */
static size_t fixed_size(uint16_t kind)
{
	switch (kind) {
	case TA_EV_TTY_OUTPUT:
	case TA_EV_TTY_INPUT:
		return sizeof(struct ta_tty_event);
	case TA_EV_EXEC:
		return sizeof(struct ta_exec_event);
	case TA_EV_WINSIZE:
		return sizeof(struct ta_winsize_event);
	case TA_EV_UNCAPTURED:
		return sizeof(struct ta_uncaptured_event);
	case TA_EV_EXIT:
		return sizeof(struct ta_exit_event);
	case TA_EV_UNIX_SOCKET:
		return sizeof(struct ta_unix_event);
	case TA_EV_FOOTPRINT:
		return sizeof(struct ta_fp_event);
	default:
		return 0;
	}
}

static void copy_ids(struct ta_event *out, const struct ta_task_id *task,
		     const struct ta_tty_id *tty)
{
	out->task = *task;
	out->task.comm[TA_COMM_LEN - 1] = '\0';
	out->tty = *tty;
	out->tty.name[TA_TTY_NAME_LEN - 1] = '\0';
}

static int decode_tty(const uint8_t *raw, uint32_t size, struct ta_event *out)
{
	const struct ta_tty_event *e = (const void *)raw;

	if (e->len > TA_CHUNK_MAX || sizeof(*e) + (size_t)e->len > size)
		return -EBADMSG;
	if (e->offset > e->total_len || e->len > e->total_len - e->offset)
		return -EBADMSG;
	if ((e->hdr.flags & TA_F_REDACTED) && e->len != 0)
		return -EBADMSG;
	copy_ids(out, &e->task, &e->tty);
	out->owner_auid = e->owner_auid;
	out->owner_ses = e->owner_ses;
	out->owner_pid = e->owner_pid;
	out->call_id = e->call_id;
	out->offset = e->offset;
	out->total_len = e->total_len;
	out->oflag = e->oflag;
	out->len = e->len;
	out->data = e->data;
	return 0;
}

static int decode_exec(const uint8_t *raw, uint32_t size, struct ta_event *out)
{
	const struct ta_exec_event *e = (const void *)raw;
	size_t need = sizeof(*e) + TA_EXEC_ARGV_OFF + (size_t)e->argv_len;

	if (e->argv_len > TA_ARGV_MAX || need > size)
		return -EBADMSG;
	if (e->cwd_len > TA_CWD_MAX || e->exe_len > TA_CWD_MAX)
		return -EBADMSG;
	if (e->filename_len > TA_FILENAME_MAX)
		return -EBADMSG;
	/* The filename must be a string inside its slot. */
	if (e->filename_len == 0 || memchr(e->data, '\0', TA_FILENAME_MAX) == NULL)
		out->filename = "";
	else
		out->filename = (const char *)e->data;
	copy_ids(out, &e->task, &e->tty);
	out->cwd = (const char *)e->data + TA_EXEC_CWD_OFF;
	out->cwd_len = e->cwd_len;
	out->cwd_truncated = e->cwd_truncated != 0;
	out->exe = (const char *)e->data + TA_EXEC_EXE_OFF;
	out->exe_len = e->exe_len;
	out->exe_truncated = e->exe_len && e->exe_truncated;
	/* A kernel path holds no NUL: one that claims it is not a path. */
	if (memchr(out->exe, '\0', out->exe_len))
		return -EBADMSG;
	/*
	 * "/" is no file that runs: the walk found no name (a memfd, an internal
	 * mount's file); a whole name not from the root is none either. Unknown, not
	 * the root directory (the name given, /proc/self/fd/N, still says how).
	 */
	if (out->exe_len && !out->exe_truncated && (out->exe[0] != '/' || out->exe_len == 1))
		out->exe_len = 0;
	out->argv = e->data + TA_EXEC_ARGV_OFF;
	out->argv_len = e->argv_len;
	return 0;
}

/* A path's bytes: at most its claimed length, and never past a NUL. */
static uint32_t path_bytes(const char *p, uint32_t claim)
{
	const char *nul;

	if (claim > TA_FP_PATH_MAX - 1)
		claim = TA_FP_PATH_MAX - 1;
	nul = memchr(p, '\0', claim);
	return nul ? (uint32_t)(nul - p) : claim;
}

/*
 * One of the record's paths for the reader: a joined one folded into one
 * absolute path, its given part kept; otherwise the bytes as recorded.
 */
static int fp_path(const char *raw, uint32_t claim, bool joined, bool cut, uint16_t given_off,
		   char *out, uint32_t *out_len, bool *out_cut, const char **given,
		   uint32_t *given_len)
{
	uint32_t len = path_bytes(raw, claim);
	bool folded_cut = false;

	*given = NULL;
	*given_len = 0;
	*out_cut = cut;
	if (!joined) {
		memcpy(out, raw, len);
		out[len] = '\0';
		*out_len = len;
		return 0;
	}
	/* The base is absolute and ends where the name begins. */
	if (len == 0 || raw[0] != '/' || given_off == 0 || given_off > len ||
	    raw[given_off - 1] != '/')
		return -EBADMSG;
	*out_len = (uint32_t)ta_fp_path_fold(raw, len, given_off, out, TA_FP_PATH_MAX, &folded_cut);
	*out_cut = cut || folded_cut;
	*given = raw + given_off;
	*given_len = len - given_off;
	return 0;
}

static int decode_footprint(const uint8_t *raw, struct ta_event *out)
{
	const struct ta_fp_event *e = (const void *)raw;
	uint32_t fl;

	if (e->fp_version != TA_FP_VERSION)
		return -EPROTONOSUPPORT;
	if (e->op < 1 || e->op > TA_FP_OP_MAX || e->path_len >= TA_FP_PATH_MAX ||
	    e->path2_len >= TA_FP_PATH_MAX)
		return -EBADMSG;
	if (e->family && e->family != 2 && e->family != 10)
		return -EBADMSG;
	fl = e->fp_flags;
	if ((fl & TA_FPF_JOINED && fl & TA_FPF_BASE_UNKNOWN) ||
	    (fl & TA_FPF_PATH2_JOINED && fl & TA_FPF_BASE2_UNKNOWN))
		return -EBADMSG;
	if (fp_path(e->path, e->path_len, fl & TA_FPF_JOINED, fl & TA_FPF_PATH_CUT, e->given_off,
		    out->fp_path, &out->fp_path_len, &out->fp_path_cut, &out->fp_given,
		    &out->fp_given_len) ||
	    fp_path(e->path2, e->path2_len, fl & TA_FPF_PATH2_JOINED, fl & TA_FPF_PATH2_CUT,
		    e->given2_off, out->fp_path2, &out->fp_path2_len, &out->fp_path2_cut,
		    &out->fp_given2, &out->fp_given2_len))
		return -EBADMSG;
	copy_ids(out, &e->task, &e->tty);
	out->fp = e;
	return 0;
}

_Static_assert(offsetof(struct ta_event, fp_path2) ==
			offsetof(struct ta_event, fp_path) + TA_FP_PATH_MAX &&
		offsetof(struct ta_event, fp_path_len) ==
			offsetof(struct ta_event, fp_path2) + TA_FP_PATH_MAX,
	       "the two path buffers, and nothing else, lie between what ta_event_decode zeroes");

int ta_event_decode(const void *raw, size_t raw_len, struct ta_event *out)
{
	const struct ta_event_hdr *h = raw;
	const uint8_t *p = raw;
	size_t fixed;

	/*
	 * All but the footprint's two path buffers, which only a footprint event
	 * fills (zeroing 512 bytes for every terminal write was a tenth of the
	 * decode): empty strings for the others.
	 */
	memset(out, 0, offsetof(struct ta_event, fp_path));
	memset(&out->fp_path_len, 0, sizeof(*out) - offsetof(struct ta_event, fp_path_len));
	out->fp_path[0] = out->fp_path2[0] = '\0';
	if (!raw || raw_len < sizeof(*h))
		return -EBADMSG;
	if (h->version != TA_EVENT_VERSION)
		return -EPROTONOSUPPORT;
	fixed = fixed_size(h->kind);
	if (!fixed)
		return -ENOTSUP;
	if (h->size < fixed || h->size > raw_len)
		return -EBADMSG;
	out->kind = h->kind;
	out->source = h->source;
	out->flags = h->flags;
	out->cpu = h->cpu;
	out->ts_boot_ns = h->ts_boot_ns;

	switch (h->kind) {
	case TA_EV_TTY_OUTPUT:
	case TA_EV_TTY_INPUT:
		return decode_tty(p, h->size, out);
	case TA_EV_EXEC:
		return decode_exec(p, h->size, out);
	case TA_EV_WINSIZE: {
		const struct ta_winsize_event *e = raw;

		copy_ids(out, &e->task, &e->tty);
		out->rows = e->rows;
		out->cols = e->cols;
		out->xpixel = e->xpixel;
		out->ypixel = e->ypixel;
		return 0;
	}
	case TA_EV_UNCAPTURED: {
		const struct ta_uncaptured_event *e = raw;

		copy_ids(out, &e->task, &e->tty);
		out->bytes = e->bytes;
		out->syscall_nr = e->syscall_nr;
		return 0;
	}
	case TA_EV_EXIT: {
		const struct ta_exit_event *e = raw;

		copy_ids(out, &e->task, &e->tty);
		out->exit_code = e->exit_code;
		return 0;
	}
	case TA_EV_UNIX_SOCKET: {
		const struct ta_unix_event *e = raw;

		/* connect and bind return 0 or -errno (MAX_ERRNO is 4095). */
		if (e->path_len > TA_UNIX_PATH_MAX ||
		    (e->op != TA_UNIX_CONNECT && e->op != TA_UNIX_BIND) ||
		    (e->flags & ~(uint32_t)(TA_UNIX_F_KERNEL | TA_UNIX_F_CALL_ADDR)) || e->ret > 0 ||
		    e->ret < -4095 || ((e->flags & TA_UNIX_F_KERNEL) && e->ret) ||
		    ((e->flags & TA_UNIX_F_CALL_ADDR) && !e->ret))
			return -EBADMSG;
		copy_ids(out, &e->task, &e->tty);
		out->unix_op = e->op;
		out->unix_ret = e->ret;
		out->unix_kernel = e->flags & TA_UNIX_F_KERNEL;
		out->unix_call_addr = e->flags & TA_UNIX_F_CALL_ADDR;
		out->unix_ino = out->unix_kernel ? e->ino : 0;
		out->unix_dev = out->unix_kernel ? e->dev : 0;
		out->path = e->path;
		/* A path is a string: stop at its terminator, unless abstract (leading NUL). */
		out->path_len = e->path_len;
		if (e->path_len && e->path[0]) {
			const char *nul = memchr(e->path, '\0', e->path_len);

			if (nul)
				out->path_len = (uint32_t)(nul - e->path);
		}
		return 0;
	}
	case TA_EV_FOOTPRINT:
		return decode_footprint(p, out);
	}
	return -ENOTSUP;
}

const char *ta_source_name(uint16_t source)
{
	switch (source) {
	case TA_SRC_SYSCALL: return "tracepoint";
	case TA_SRC_FENTRY: return "fentry";
	case TA_SRC_KPROBE: return "kprobe";
	case TA_SRC_SCHED: return "sched";
	}
	return "unknown";
}

void ta_unix_inode_format(char out[TA_UNIX_INODE_LEN], uint32_t dev, uint64_t ino)
{
	snprintf(out, TA_UNIX_INODE_LEN, "%u:%u:%llu", dev >> 20, dev & 0xfffff,
		 (unsigned long long)ino);
}

const char *ta_tty_kind_name(const struct ta_tty_id *tty)
{
	switch (tty->driver_type) {
	case TA_TTY_DRIVER_PTY: return "pty";
	case TA_TTY_DRIVER_CONSOLE: return "console";
	case TA_TTY_DRIVER_SERIAL: return "serial";
	case TA_TTY_DRIVER_SYSTEM: return "system";
	}
	return "other";
}

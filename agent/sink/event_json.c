// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON form of a capture event (docs/events-jsonl.md). */
#include <stdio.h>
#include <string.h>

#include "common/json.h"
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

static void put_argv(struct ta_json *j, const uint8_t *argv, uint32_t len)
{
	ta_json_strings(j, argv, len);
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
		ta_json_key(j, "cwd");
		if (ev->cwd_len)
			ta_json_strn(j, ev->cwd, ev->cwd_len);
		else
			ta_json_null(j);
		if (ev->cwd_truncated)
			put_flag(j, "cwd_truncated", 1);
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
		break;
	}
	ta_json_obj_end(j);
}

void ta_session_gap_to_json(struct ta_json *j, const char *reason, uint32_t ses, const char *tty,
			    uint64_t since_ns, uint64_t until_ns, uint64_t events, uint64_t bytes)
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
	ta_json_obj_end(j);
}

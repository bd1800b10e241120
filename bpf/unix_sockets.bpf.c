// SPDX-License-Identifier: GPL-2.0
/*
 * Unix socket paths that terminal processes connect to or bind, for every
 * backend: how a tmux or screen client reaches its server, and so which login
 * session attached to which shared terminal — without relying on the
 * multiplexer's own hooks or configuration, which its users control.
 */
#include "capture_common.bpf.h"

#define TA_AF_UNIX 1

static __always_inline int ta_unix_addr(__u32 op, const void *uaddr, long addrlen)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct tty_struct *ctty;
	struct ta_unix_event *e;
	struct ta_config *cfg;
	__u16 family = 0;
	__u32 ses, len;

	if (addrlen <= 2 || ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr) || family != TA_AF_UNIX)
		return 0;
	ctty = BPF_CORE_READ(task, signal, tty);
	ses = BPF_CORE_READ(task, sessionid);
	if (!ctty && ses == TA_UNSET)
		return 0;
	cfg = ta_get_config();
	if (!cfg || !ta_filter_pass(cfg, (__u32)bpf_get_current_uid_gid(),
				    BPF_CORE_READ(task, loginuid.val)))
		return 0;
	e = bpf_ringbuf_reserve(&ta_events, sizeof(*e), 0);
	if (!e) {
		ta_count_drop(ses, BPF_CORE_READ(task, loginuid.val), 0);
		return 0;
	}
	ta_fill_hdr(&e->hdr, TA_EV_UNIX_SOCKET, TA_SRC_SYSCALL);
	e->hdr.size = sizeof(*e);
	ta_fill_task(&e->task);
	__builtin_memset(&e->tty, 0, sizeof(e->tty));
	if (ctty)
		ta_fill_tty_id(&e->tty, ctty);
	len = addrlen - 2;
	if (len > TA_UNIX_PATH_MAX)
		len = TA_UNIX_PATH_MAX;
	__builtin_memset(e->path, 0, sizeof(e->path));
	if (bpf_probe_read_user(e->path, len, (const char *)uaddr + 2))
		len = 0;
	e->op = op;
	e->path_len = len;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp/syscalls/sys_enter_connect")
int ta_sys_connect(struct trace_event_raw_sys_enter *ctx)
{
	return ta_unix_addr(TA_UNIX_CONNECT, (const void *)ctx->args[1], ctx->args[2]);
}

SEC("tp/syscalls/sys_enter_bind")
int ta_sys_bind(struct trace_event_raw_sys_enter *ctx)
{
	return ta_unix_addr(TA_UNIX_BIND, (const void *)ctx->args[1], ctx->args[2]);
}

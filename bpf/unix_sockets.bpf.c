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
	struct ta_unix_event *e;
	__u16 family = 0;
	__u32 len;

	if (addrlen <= 2)
		return 0;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr) || family != TA_AF_UNIX)
		return 0;
	e = ta_reserve_process_event(sizeof(*e), TA_EV_UNIX_SOCKET, TA_SRC_SYSCALL);
	if (!e)
		return 0;
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

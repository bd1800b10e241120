// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifecycle, for every backend: sched_process_exec and
 * sched_process_exit are stable tracepoints. Only processes with a controlling
 * tty or an audit login session are kept; daemons without either are not
 * terminal activity.
 */
#include "capture_common.bpf.h"

SEC("tp/sched/sched_process_exec")
int ta_sched_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	unsigned long arg_start, arg_end;
	struct ta_exec_event *e;
	__u32 fname_off;
	__u64 argv_len;
	long n;

	e = ta_reserve_process_event(sizeof(*e) + TA_FILENAME_MAX + TA_ARGV_MAX, TA_EV_EXEC,
				     TA_SRC_SCHED);
	if (!e)
		return 0;
	fname_off = ctx->__data_loc_filename & 0xffff;
	n = bpf_probe_read_kernel_str(e->data, TA_FILENAME_MAX, (char *)ctx + fname_off);
	if (n < 0)
		n = 0;
	e->filename_len = n;

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	argv_len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (argv_len > TA_ARGV_MAX) {
		argv_len = TA_ARGV_MAX;
		e->hdr.flags |= TA_F_TRUNCATED;
	}
	if (argv_len && bpf_probe_read_user(e->data + TA_FILENAME_MAX, argv_len, (void *)arg_start))
		argv_len = 0;
	e->argv_len = argv_len;
	e->hdr.size = sizeof(*e) + TA_FILENAME_MAX + argv_len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Exits of thread-group leaders: when a shell, or a tmux client, went away. */
SEC("tp/sched/sched_process_exit")
int ta_sched_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct ta_exit_event *e;

	if ((__u32)id != id >> 32)
		return 0;
	e = ta_reserve_process_event(sizeof(*e), TA_EV_EXIT, TA_SRC_SCHED);
	if (!e)
		return 0;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Process lifecycle, for every backend: sched_process_exec and
 * sched_process_exit are stable tracepoints, attached raw (no tracefs). Only processes with a controlling
 * tty or an audit login session are kept; daemons without either are not
 * terminal activity.
 */
#include "capture_common.bpf.h"
#include "footprint.bpf.h"
#include "fd_flips.bpf.h"
#include "path_walk.bpf.h"

/* sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
SEC("raw_tp/sched_process_exec")
int ta_sched_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	struct ta_path_walk *w = NULL;
	unsigned long arg_start, arg_end;
	struct ta_exec_event *e;
	__u64 argv_len;
	long n, exe = -1;

	e = ta_reserve_process_event(sizeof(*e) + TA_EXEC_ARGV_OFF + TA_ARGV_MAX, TA_EV_EXEC,
				     TA_SRC_SCHED);
	if (e) {
		n = bpf_probe_read_kernel_str(e->data, TA_FILENAME_MAX, BPF_CORE_READ(bprm, filename));
		if (n < 0)
			n = 0;
		e->filename_len = n;
		e->cwd_len = e->cwd_truncated = 0;
		e->exe_len = e->exe_truncated = 0;
		/* One scratch for both walks (and the footprint's, below): made once per exec. */
		w = ta_walk_get();
		if (w) {
			n = ta_walk_path(w, BPF_CORE_READ(task, fs, pwd.dentry),
					 BPF_CORE_READ(task, fs, pwd.mnt));
			e->cwd_len = ta_walk_copy(w, n, (char *)e->data + TA_EXEC_CWD_OFF,
						  &e->cwd_truncated);
			/*
			 * The file the kernel runs, not the name it was given:
			 * a symlink or fexecve's /dev/fd/N must not hide sudo.
			 */
			exe = ta_walk_file(w, BPF_CORE_READ(bprm, file));
			e->exe_len = ta_walk_copy(w, exe, (char *)e->data + TA_EXEC_EXE_OFF,
						  &e->exe_truncated);
		}

		arg_start = BPF_CORE_READ(task, mm, arg_start);
		arg_end = BPF_CORE_READ(task, mm, arg_end);
		argv_len = arg_end > arg_start ? arg_end - arg_start : 0;
		if (argv_len > TA_ARGV_MAX) {
			argv_len = TA_ARGV_MAX;
			e->hdr.flags |= TA_F_TRUNCATED;
		}
		if (argv_len && bpf_probe_read_user(e->data + TA_EXEC_ARGV_OFF, argv_len,
						    (void *)arg_start))
			argv_len = 0;
		e->argv_len = argv_len;
		e->hdr.size = sizeof(*e) + TA_EXEC_ARGV_OFF + argv_len;
		bpf_ringbuf_submit(e, 0);
	}
	/*
	 * After the exec record: a set-user-ID program's new identity is
	 * footprint, kept or counted in its own ring even when the exec record
	 * was not (a full ring, or its person over its share).
	 */
	if (ta_fp_mode)
		ta_fp_exec_setid(bprm, w, exe);
	if (w)
		ta_walk_put();
	return 0;
}

/* Exits of thread-group leaders: when a shell, or a tmux client, went away. */
SEC("raw_tp/sched_process_exit")
int ta_sched_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct ta_task_state *ts;
	struct ta_exit_event *e;

	ta_flips_forget_task(task);
	/* A call whose kretprobe never ran, of a thread that makes no further call. */
	ts = ta_task_state_get(false);
	if (ts)
		ta_kret_missed(&ts->call);
	/* A thread killed inside a call gives back its call state (kernel_compat.bpf.h). */
	ta_task_state_forget();
	ta_fp_pending_done();
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

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

/*
 * Processes whose exit was recorded, by pid and start time: two threads ending
 * together can both see the group dead. LRU: an entry is needed only for the
 * microseconds in which the group's last threads exit; losing one gives at
 * worst a second record, never a missing one.
 */
struct ta_exit_key {
	__u64 start;
	__u32 tgid, pad;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ta_exit_key);
	__type(value, __u8);
} ta_exits_seen SEC(".maps");

/*
 * Exits of processes (thread groups): when a shell, or a tmux client, went
 * away. The group ends with its last thread, not with its leader's: a leader
 * that leaves by pthread_exit() while another thread carries on (holding the
 * tmux client's connection, reading the terminal) was recorded as the
 * process's exit, and the process's real end was never recorded.
 * signal->live counts the threads not yet in do_exit(); it is decremented
 * before this tracepoint on every kernel, so 0 here says the group is dead.
 */
SEC("raw_tp/sched_process_exit")
int ta_sched_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	struct ta_exit_key key = { .tgid = id >> 32 };
	struct ta_task_state *ts;
	struct ta_exit_event *e;
	__u8 one = 1;

	ta_flips_forget_task(task);
	/* A call whose kretprobe never ran, of a thread that makes no further call. */
	ts = ta_task_state_get(false);
	if (ts)
		ta_kret_missed(&ts->call);
	/* A thread killed inside a call gives back its call state (kernel_compat.bpf.h). */
	ta_task_state_forget();
	ta_fp_pending_done();
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (bpf_core_field_exists(task->start_boottime))
		key.start = BPF_CORE_READ(task, group_leader, start_boottime);
	if (bpf_map_update_elem(&ta_exits_seen, &key, &one, BPF_NOEXIST) == -17 /* EEXIST */)
		return 0;
	e = ta_reserve_process_event(sizeof(*e), TA_EV_EXIT, TA_SRC_SCHED);
	if (!e)
		return 0;
	e->exit_code = BPF_CORE_READ(task, exit_code);
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

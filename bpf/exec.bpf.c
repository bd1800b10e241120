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

/* Working directory: walk up from pwd, across mounts, to the task's root. */
#define TA_CWD_NAME 64
#define TA_CWD_SCRATCH (2 * TA_CWD_MAX + TA_CWD_NAME)
#define TA_CWD_DEPTH 128

struct ta_cwd_walk {
	__u64 dentry;      /* struct dentry * still to name */
	__u64 mnt;         /* struct mount * it is in */
	__u64 root_dentry;
	__u64 root_mnt;    /* struct vfsmount * */
	__u32 pos;         /* the path so far is buf[pos, TA_CWD_MAX) */
	__u32 truncated;
	char buf[TA_CWD_SCRATCH];
};

#ifndef TA_NO_TASK_STORAGE
/*
 * Per thread, like the chunk loop (the verifier does not track map contents),
 * and in task storage like it: a shared table could be filled, or its entries
 * evicted mid-walk, by one user's threads exec'ing at once. Deleted after
 * each walk, so it costs memory only while an exec runs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ta_cwd_walk);
} ta_cwd SEC(".maps");
#else
/* Per CPU without task storage: sched_process_exec runs with preemption off. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_cwd_walk);
} ta_cwd SEC(".maps");
#endif

/* Whether the walk reached the task's root. */
static __always_inline bool ta_cwd_at_root(struct ta_cwd_walk *w)
{
	struct mount *m = (struct mount *)w->mnt;

	return w->dentry == w->root_dentry &&
	       (__u64)__builtin_preserve_access_index(&m->mnt) == w->root_mnt;
}

/* One component of the walk; 1: finished. */
static __always_inline int ta_cwd_do(struct ta_cwd_walk *w)
{
	struct dentry *d, *parent;
	struct mount *m, *mp;
	char name[TA_CWD_NAME];
	__u32 pos, len;
	long n;

	d = (struct dentry *)w->dentry;
	m = (struct mount *)w->mnt;
	if (ta_cwd_at_root(w))
		return 1;
	parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(m, mnt.mnt_root) || d == parent) {
		/* Top of a mount: go on from where it is mounted. */
		mp = BPF_CORE_READ(m, mnt_parent);
		if (!mp || mp == m)
			return 1;
		w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (__u64)mp;
		return 0;
	}
	n = bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
	if (n <= 1)
		return 1;
	len = n - 1;
	pos = w->pos;
	if (pos < len + 1 || pos > TA_CWD_MAX) {
		w->truncated = 1;
		return 1;
	}
	pos -= len;
	bpf_probe_read_kernel(&w->buf[pos & (TA_CWD_MAX - 1)], len & (TA_CWD_NAME - 1), name);
	pos -= 1;
	w->buf[pos & (TA_CWD_MAX - 1)] = '/';
	w->pos = pos;
	w->dentry = (__u64)parent;
	return 0;
}

#ifndef TA_NO_BPF_LOOP
static int ta_cwd_step(__u32 index, void *unused)
{
	struct ta_cwd_walk *w = bpf_task_storage_get(&ta_cwd, bpf_get_current_task_btf(), 0, 0);

	return w ? ta_cwd_do(w) : 1;
}
#endif

static __always_inline __u32 ta_cwd_copy(struct ta_cwd_walk *w, char *dst, __u32 *truncated)
{
	__u32 len;

	if (w->pos >= TA_CWD_MAX) {
		/* Nothing named: the root itself. */
		dst[0] = '/';
		return 1;
	}
	len = TA_CWD_MAX - w->pos;
	*truncated = w->truncated;
	if (len > TA_CWD_MAX)
		return 0;
	if (bpf_probe_read_kernel(dst, len, &w->buf[w->pos & (TA_CWD_MAX - 1)]))
		return 0;
	return len;
}

/* Writes the cwd into dst (TA_CWD_MAX bytes); returns its length, 0 if unknown. */
static __always_inline __u32 ta_read_cwd(struct task_struct *task, char *dst, __u32 *truncated)
{
	struct ta_cwd_walk *w;
	struct vfsmount *vm;
	__u32 len;

	vm = BPF_CORE_READ(task, fs, pwd.mnt);
	if (!vm)
		return 0;
#ifdef TA_NO_TASK_STORAGE
	__u32 zero = 0;

	w = bpf_map_lookup_elem(&ta_cwd, &zero);
#else
	struct task_struct *cur = bpf_get_current_task_btf();

	/* Created zeroed: no scratch copy needed for a value this large. */
	w = bpf_task_storage_get(&ta_cwd, cur, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
#endif
	if (!w)
		return 0;
	w->dentry = (__u64)BPF_CORE_READ(task, fs, pwd.dentry);
	w->mnt = (__u64)((char *)vm - bpf_core_field_offset(struct mount, mnt));
	w->root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	w->pos = TA_CWD_MAX;
	w->truncated = 0;
#ifdef TA_NO_BPF_LOOP
	for (int i = 0; i < TA_FB_CWD_DEPTH; i++)
		if (ta_cwd_do(w))
			break;
	/* Deeper than the walk went: the leading part is missing. */
	if (!ta_cwd_at_root(w))
		w->truncated = 1;
#else
	bpf_loop(TA_CWD_DEPTH, ta_cwd_step, NULL, 0);
#endif
	len = ta_cwd_copy(w, dst, truncated);
#ifndef TA_NO_TASK_STORAGE
	bpf_task_storage_delete(&ta_cwd, cur);
#endif
	return len;
}

/* sched_process_exec(struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) */
SEC("raw_tp/sched_process_exec")
int ta_sched_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	unsigned long arg_start, arg_end;
	struct ta_exec_event *e;
	__u64 argv_len;
	long n;

	e = ta_reserve_process_event(sizeof(*e) + TA_FILENAME_MAX + TA_CWD_MAX + TA_ARGV_MAX,
				     TA_EV_EXEC, TA_SRC_SCHED);
	if (!e)
		return 0;
	n = bpf_probe_read_kernel_str(e->data, TA_FILENAME_MAX, BPF_CORE_READ(bprm, filename));
	if (n < 0)
		n = 0;
	e->filename_len = n;
	e->cwd_truncated = 0;
	e->cwd_len = ta_read_cwd(task, (char *)e->data + TA_FILENAME_MAX, &e->cwd_truncated);

	arg_start = BPF_CORE_READ(task, mm, arg_start);
	arg_end = BPF_CORE_READ(task, mm, arg_end);
	argv_len = arg_end > arg_start ? arg_end - arg_start : 0;
	if (argv_len > TA_ARGV_MAX) {
		argv_len = TA_ARGV_MAX;
		e->hdr.flags |= TA_F_TRUNCATED;
	}
	if (argv_len && bpf_probe_read_user(e->data + TA_FILENAME_MAX + TA_CWD_MAX, argv_len,
					    (void *)arg_start))
		argv_len = 0;
	e->argv_len = argv_len;
	e->hdr.size = sizeof(*e) + TA_FILENAME_MAX + TA_CWD_MAX + argv_len;
	bpf_ringbuf_submit(e, 0);
	/* After the exec record: a set-user-ID program's new identity is footprint. */
	if (ta_fp_mode)
		ta_fp_exec_setid(bprm);
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The absolute path of a directory entry, as the process sees it: a walk up
 * from (dentry, vfsmount) through d_parent, across mounts (a mount's root
 * goes on from where it is mounted), to the task's root (chroot, the mount
 * namespace). bpf_d_path is not allowed from tracepoints; this is its
 * by-hand form. Used for an exec's working directory and executable
 * (exec.bpf.c), and for a footprint call's file behind an fd or the base
 * directory of its relative path (footprint.bpf.h).
 *
 * The path is written backwards into a per-thread scratch, ending at
 * TA_CWD_MAX: after the walk it is buf[pos, TA_CWD_MAX) ("" for the root).
 * The bytes after TA_CWD_MAX are room for the caller (a relative name
 * joined after it).
 */
#ifndef TTYAUDIT_PATH_WALK_BPF_H
#define TTYAUDIT_PATH_WALK_BPF_H

#include "capture_common.bpf.h"

#define TA_WALK_NAME 64
#define TA_WALK_SCRATCH (2 * TA_CWD_MAX + TA_WALK_NAME)
#define TA_WALK_DEPTH 128

struct ta_path_walk {
	__u64 dentry;      /* struct dentry * still to name */
	__u64 mnt;         /* struct mount * it is in */
	__u64 root_dentry;
	__u64 root_mnt;    /* struct vfsmount * */
	__u32 pos;         /* the path so far is buf[pos, TA_CWD_MAX) */
	__u32 truncated;   /* deeper or longer than the walk goes: the leading part is missing */
	__u32 done;        /* the walk ended (at a root, or cut) */
	__u32 pad;
	char buf[TA_WALK_SCRATCH];
};

#ifndef TA_NO_TASK_STORAGE
/*
 * Per thread (the verifier does not track map contents, so the bpf_loop
 * callback is checked once), and in task storage: a shared table could be
 * filled, or its entries evicted mid-walk, by one user's threads at once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ta_path_walk);
} ta_path_walk SEC(".maps") __weak;

/* The current thread's scratch, made zeroed on first use (no stack copy of a value this large). */
static __always_inline struct ta_path_walk *ta_walk_get(void)
{
	return bpf_task_storage_get(&ta_path_walk, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

/* Gives the scratch back (a thread that walks once, as an exec, keeps no memory). */
static __always_inline void ta_walk_put(void)
{
	bpf_task_storage_delete(&ta_path_walk, bpf_get_current_task_btf());
}
#else
/*
 * Per CPU without task storage: the kernels of the fallback programs run
 * tracepoint programs with preemption off.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_path_walk);
} ta_path_walk SEC(".maps") __weak;

static __always_inline struct ta_path_walk *ta_walk_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ta_path_walk, &zero);
}

static __always_inline void ta_walk_put(void)
{
}
#endif

/* Whether the walk reached the task's root. */
static __always_inline bool ta_walk_at_root(struct ta_path_walk *w)
{
	struct mount *m = (struct mount *)w->mnt;

	return w->dentry == w->root_dentry &&
	       (__u64)__builtin_preserve_access_index(&m->mnt) == w->root_mnt;
}

/* One component of the walk; 1: finished. */
static __always_inline int ta_walk_one(struct ta_path_walk *w)
{
	struct dentry *d, *parent;
	struct mount *m, *mp;
	char name[TA_WALK_NAME];
	__u32 pos, len;
	long n;

	d = (struct dentry *)w->dentry;
	m = (struct mount *)w->mnt;
	if (ta_walk_at_root(w))
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
	/* A name of TA_WALK_NAME bytes or more was cut by the read: the path is not whole. */
	if (pos < len + 1 || pos > TA_CWD_MAX || len >= TA_WALK_NAME - 1) {
		w->truncated = 1;
		return 1;
	}
	pos -= len;
	bpf_probe_read_kernel(&w->buf[pos & (TA_CWD_MAX - 1)], len & (TA_WALK_NAME - 1), name);
	pos -= 1;
	w->buf[pos & (TA_CWD_MAX - 1)] = '/';
	w->pos = pos;
	w->dentry = (__u64)parent;
	return 0;
}

static __always_inline int ta_walk_do(struct ta_path_walk *w)
{
	if (!ta_walk_one(w))
		return 0;
	w->done = 1;
	return 1;
}

#ifndef TA_NO_BPF_LOOP
static int ta_walk_step(__u32 index, void *unused)
{
	struct ta_path_walk *w = bpf_task_storage_get(&ta_path_walk, bpf_get_current_task_btf(),
						      0, 0);

	return w ? ta_walk_do(w) : 1;
}
#endif

/*
 * Walks (dentry, vfsmount) up to the current task's root into w: the path
 * is buf[pos, TA_CWD_MAX), w->truncated if its leading part is missing
 * (deeper than the walk goes, longer than TA_CWD_MAX, a name cut). Returns
 * its length (0: the root itself), or -1 if there is nothing to walk.
 */
static __always_inline long ta_walk_path(struct ta_path_walk *w, struct dentry *dentry,
					 struct vfsmount *vm)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	if (!dentry || !vm)
		return -1;
	w->dentry = (__u64)dentry;
	w->mnt = (__u64)((char *)vm - bpf_core_field_offset(struct mount, mnt));
	w->root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w->root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	w->pos = TA_CWD_MAX;
	w->truncated = 0;
	w->done = 0;
#ifdef TA_NO_BPF_LOOP
	for (int i = 0; i < TA_FB_CWD_DEPTH; i++)
		if (ta_walk_do(w))
			break;
#else
	bpf_loop(TA_WALK_DEPTH, ta_walk_step, NULL, 0);
#endif
	if (!w->done)
		w->truncated = 1;
	if (w->pos > TA_CWD_MAX)
		return -1;
	return TA_CWD_MAX - w->pos;
}

/* The path of an open file (its f_path), as ta_walk_path. */
static __always_inline long ta_walk_file(struct ta_path_walk *w, struct file *f)
{
	if (!f)
		return -1;
	return ta_walk_path(w, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt));
}

/*
 * Copies a walk's result (len as ta_walk_path returned it) into dst
 * (TA_CWD_MAX bytes, no NUL): the root itself is "/". Returns the bytes
 * copied, 0 if there is no path; *truncated as the walk found it.
 */
static __always_inline __u32 ta_walk_copy(struct ta_path_walk *w, long len, char *dst,
					  __u32 *truncated)
{
	if (len == 0) {
		dst[0] = '/';
		return 1;
	}
	if (len < 0 || len > TA_CWD_MAX ||
	    bpf_probe_read_kernel(dst, len, &w->buf[w->pos & (TA_CWD_MAX - 1)]))
		return 0;
	*truncated = w->truncated;
	return len;
}

#endif /* TTYAUDIT_PATH_WALK_BPF_H */

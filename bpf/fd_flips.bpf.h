/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Changes to a shared fd table that involve a terminal (docs/capture.md,
 * "Fd flips"). The syscall backend looks an fd up at a call's entry and exit;
 * the kernel looks it up in between. Another thread sharing the table can
 * make the fd name a terminal only for the kernel's lookup (dup2 of the
 * terminal over /dev/null and back), or /dev/null only for it. Every call
 * that changes a shared table (dup, dup2, dup3, fcntl F_DUPFD*, close,
 * close_range) bumps `started` at its entry and `finished` at its exit, once
 * the table has been seen to involve a terminal; a terminal call whose
 * window overlaps one (a change running at its entry, or started before its
 * exit) cannot be vouched for and is marked suspect.
 *
 * Keyed by the struct files_struct. An entry is made on the first change
 * that involves a terminal and then kept ("hot"): later changes count
 * whatever they touch, so racing a check with another change gains nothing.
 * It is deleted when the table's last task exits. When the table is full,
 * the change is counted in the one global entry instead, which every
 * tracked call compares too: a full table makes calls suspect, never blind.
 */
#ifndef TTYAUDIT_FD_FLIPS_BPF_H
#define TTYAUDIT_FD_FLIPS_BPF_H

#include "capture_common.bpf.h"

#define TA_FD_FLIPS_MAX 16384

struct ta_fd_flips {
	__u64 started;  /* changes that entered */
	__u64 finished; /* changes that returned */
	__u64 tty;      /* struct tty_struct * the last change involved, 0 if unknown */
	__u64 overflow; /* global entry: changes that found the table full */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TA_FD_FLIPS_MAX);
	__type(key, __u64);
	__type(value, struct ta_fd_flips);
} ta_fd_flips SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_fd_flips);
} ta_fd_flips_global SEC(".maps") __weak;

/* The key of ta_task_state.flip for a change counted in the global entry. */
#define TA_FLIP_GLOBAL 1

/* The current task's fd table if other tasks share it (a change can race a call), else 0. */
static __always_inline __u64 ta_shared_files(void)
{
	struct task_struct *task = TA_CUR_TASK();
	struct files_struct *files = TA_TASK_READ(task, files);

	if (!files || TA_TASK_READ(files, count.counter) <= 1)
		return 0;
	return (__u64)files;
}

static __always_inline struct ta_fd_flips *ta_flips_global(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ta_fd_flips_global, &zero);
}

/*
 * The entry of a table, made if absent (with `tty` as its terminal); the
 * global entry when the table is full (*key set to TA_FLIP_GLOBAL).
 */
static __always_inline struct ta_fd_flips *ta_flips_make(__u64 *key, __u64 tty)
{
	struct ta_fd_flips *fl = bpf_map_lookup_elem(&ta_fd_flips, key), zero = {};

	if (fl)
		return fl;
	zero.tty = tty;
	bpf_map_update_elem(&ta_fd_flips, key, &zero, BPF_NOEXIST);
	fl = bpf_map_lookup_elem(&ta_fd_flips, key);
	if (fl)
		return fl;
	fl = ta_flips_global();
	if (fl)
		__sync_fetch_and_add(&fl->overflow, 1);
	*key = TA_FLIP_GLOBAL;
	return fl;
}

/* A call's view of the changes: their count so far, and whether one is running. */
struct ta_flip_view {
	__u64 started;
	__u64 tty;
	bool busy;
};

static __always_inline void ta_flips_view(__u64 files, struct ta_flip_view *v)
{
	struct ta_fd_flips *fl = bpf_map_lookup_elem(&ta_fd_flips, &files);
	struct ta_fd_flips *g = ta_flips_global();

	v->started = 0;
	v->tty = 0;
	v->busy = false;
	if (fl) {
		v->started = fl->started;
		v->tty = fl->tty;
		v->busy = fl->started != fl->finished;
	}
	if (g) {
		v->started += g->started;
		v->busy |= g->started != g->finished;
	}
}

/* A table whose task is the last to leave it: its entry goes. */
static __always_inline void ta_flips_forget_task(struct task_struct *task)
{
	struct files_struct *files = BPF_CORE_READ(task, files);
	__u64 key = (__u64)files;

	if (files && BPF_CORE_READ(files, count.counter) == 1)
		bpf_map_delete_elem(&ta_fd_flips, &key);
}

#endif /* TTYAUDIT_FD_FLIPS_BPF_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-thread call state and loops, for every kernel with a BPF ring buffer.
 *
 * The same sources are built twice (bpf/meson.build): the full object uses
 * BPF task storage and bpf_loop (Linux 5.17+); the fallback object, built
 * with -DTA_NO_TASK_STORAGE -DTA_NO_BPF_LOOP, needs neither and loads from
 * 5.8 on. The daemon picks one by probing the kernel for the helpers and the
 * map type, never by its version (agent/capture/variant.c).
 *
 * What the fallback gives up (docs/capture.md): a system call moves at most
 * TA_FB_CHUNK_STEPS chunks of TA_CHUNK_MAX bytes (iovec entries take a step
 * each), a tty-layer function call one chunk, the rest counted lost
 * (call_too_large); the working directory of an exec is named
 * TA_FB_CWD_DEPTH components deep at most (then marked truncated); and a user
 * holds at most TA_FB_STATE_PER_USER calls in progress at once, the calls
 * beyond that counted lost (no_call_state) against that user's session.
 *
 * The TA_FB_* figures are in ttyaudit/event.h (the daemon states them).
 * Included by capture_common.bpf.h once struct ta_pending_call and
 * struct ta_chunk_loop are known.
 */
#ifndef TTYAUDIT_KERNEL_COMPAT_BPF_H
#define TTYAUDIT_KERNEL_COMPAT_BPF_H

/*
 * TA_LOOP(n, fn, ctx): call fn(i, ctx) for i in [0, n) until it returns
 * non-zero. ctx must point to the stack (bpf_loop's rule). Without bpf_loop a
 * bounded loop the verifier walks once per step: n must be a small constant.
 */
#ifdef TA_NO_BPF_LOOP
#define TA_LOOP(n, fn, ctx)                                 \
	do {                                                \
		for (__u32 _i = 0; _i < (n); _i++)          \
			if (fn(_i, ctx))                    \
				break;                      \
	} while (0)
#else
#define TA_LOOP(n, fn, ctx) bpf_loop((n), fn, ctx, 0)
#endif

#ifndef TA_NO_TASK_STORAGE
/*
 * Per-thread state: the call in progress and the chunk loop. Task storage,
 * not a shared table: it lives and dies with its thread, so no user can fill
 * a table that other users' terminals need (16 500 threads blocked in write()
 * once filled a 16 384-entry hash and blinded the recorder for every
 * terminal). The loop state lives here and not on the stack because the
 * verifier does not track map contents: the bpf_loop callback converges
 * after one pass instead of being explored once per possible offset.
 */
struct ta_task_state {
	struct ta_pending_call call;
	struct ta_chunk_loop loop;
	__u64 flip; /* fd table whose change this thread is making (fd_flips.bpf.h), or 0 */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ta_task_state);
} ta_task_state SEC(".maps") __weak;

/* The current thread's state; with create, made on first use (NULL: out of memory). */
static __always_inline struct ta_task_state *ta_task_state_get(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();

	/*
	 * A thread no program gave task storage has none at all: so at the exit
	 * of a wanted call off any terminal, by a thread that never wrote to
	 * one (most of a host's), a plain load answers, not a helper call.
	 */
	if (!create && bpf_core_field_exists(task->bpf_storage) && !task->bpf_storage)
		return NULL;
	return bpf_task_storage_get(&ta_task_state, task, 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/* The call in ts is over. Task storage stays with its thread until it exits. */
static __always_inline void ta_task_state_done(struct ta_task_state *ts)
{
}

/* The current thread exits. */
static __always_inline void ta_task_state_forget(void)
{
}

#else /* TA_NO_TASK_STORAGE */
/*
 * A table keyed by thread id instead, holding a thread only while a call is
 * in progress. Never an LRU: an eviction would lose a call without a trace.
 * A failed insert is counted by the caller (no_call_state). So that no user
 * can fill it and blind the others (the 16 500 threads blocked in write()),
 * each user may hold TA_FB_STATE_PER_USER entries: filling the table takes
 * TA_FB_STATE_ENTRIES / TA_FB_STATE_PER_USER users, which one unprivileged
 * user cannot become. A user is its login uid where it has one: a person's
 * subordinate uids (/etc/subuid, a rootless container) are uids of their own
 * but keep the login uid, so they share one quota; a process outside any
 * login (a service) is charged to its uid. Entries are freed at the call's
 * end and at thread exit.
 */
struct ta_task_state {
	struct ta_pending_call call;
	__u64 flip;       /* fd table whose change this thread is making (fd_flips.bpf.h), or 0 */
	__u64 quota_key;  /* whose quota the entry is charged to: ta_quota_key */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TA_FB_STATE_ENTRIES);
	__type(key, __u32);
	__type(value, struct ta_task_state);
} ta_thread_state SEC(".maps") __weak;

/*
 * Entries held per user (ta_quota_key). LRU: a forgotten counter only lets that user start
 * over from zero, it never refuses anyone.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u32);
} ta_thread_state_users SEC(".maps") __weak;

#define TA_QUOTA_BY_LOGIN (1ULL << 32)

/* The login uid where the thread has one, else its uid: the two never share a key. */
static __always_inline __u64 ta_quota_key(void)
{
	__u32 auid = TA_TASK_READ(TA_CUR_TASK(), loginuid.val);

	if (auid != TA_UNSET)
		return TA_QUOTA_BY_LOGIN | auid;
	return (__u32)bpf_get_current_uid_gid();
}

static __always_inline struct ta_task_state *ta_task_state_get(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 zero = 0, *held;
	__u64 key;
	struct ta_task_state *ts = bpf_map_lookup_elem(&ta_thread_state, &tid);
	struct ta_task_state fresh = {};

	if (ts || !create)
		return ts;
	key = ta_quota_key();
	held = bpf_map_lookup_elem(&ta_thread_state_users, &key);
	if (!held) {
		bpf_map_update_elem(&ta_thread_state_users, &key, &zero, BPF_NOEXIST);
		held = bpf_map_lookup_elem(&ta_thread_state_users, &key);
		if (!held)
			return NULL;
	}
	if (*held >= TA_FB_STATE_PER_USER)
		return NULL;
	fresh.quota_key = key;
	if (bpf_map_update_elem(&ta_thread_state, &tid, &fresh, BPF_NOEXIST))
		return NULL;
	__sync_fetch_and_add(held, 1);
	return bpf_map_lookup_elem(&ta_thread_state, &tid);
}

static __always_inline void ta_task_state_release(__u32 tid, __u64 key)
{
	__u32 *held = bpf_map_lookup_elem(&ta_thread_state_users, &key);

	if (bpf_map_delete_elem(&ta_thread_state, &tid) == 0 && held && *held > 0)
		__sync_fetch_and_add(held, -1);
}

static __always_inline void ta_task_state_done(struct ta_task_state *ts)
{
	ta_task_state_release((__u32)bpf_get_current_pid_tgid(), ts->quota_key);
}

/* A thread that exits inside a call (killed while blocked) gives its entry back here. */
static __always_inline void ta_task_state_forget(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ta_task_state *ts = bpf_map_lookup_elem(&ta_thread_state, &tid);

	if (ts)
		ta_task_state_release(tid, ts->quota_key);
}
#endif /* TA_NO_TASK_STORAGE */

#ifdef TA_NO_BPF_LOOP
/*
 * The chunk loop's state, per CPU: like task storage, a map value the
 * verifier does not track, so each step is checked once. Programs on the
 * syscall tracepoints and kprobes run with preemption off; fexit programs do
 * not, but they never reach the loop (kernel buffers: one chunk, see
 * ta_emit_data).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_chunk_loop);
} ta_loop_scratch SEC(".maps") __weak;
#endif

#endif /* TTYAUDIT_KERNEL_COMPAT_BPF_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Return probes with a pool of instances larger than the kernel's default.
 *
 * A kretprobe takes one instance from a fixed pool per call in progress; with
 * none free the kernel skips the return probe and only counts it (nmissed).
 * perf_event_open gives the default pool (max(10, 2 x CPUs), or one per CPU
 * on kernels without preemption such as Debian 11's): a user who holds a few
 * writers blocked inside n_tty_write empties it and other users' calls
 * vanish. A probe event made through tracefs's kprobe_events takes a pool
 * size ("r4096:..."); the daemon makes it in a child that mounts tracefs in a
 * mount namespace of its own when the host has none mounted (never on the
 * host's tree), attaches the program to it with perf_event_open, and removes
 * the event when it detaches. What still misses is counted by the programs
 * (return_missed, bpf/tty_functions.bpf.h).
 */
#ifndef TA_CAPTURE_KRETPROBE_POOL_H
#define TA_CAPTURE_KRETPROBE_POOL_H

#include <stddef.h>

#include <bpf/libbpf.h>

/* The largest pool kprobe_events accepts (the kernel's KRETPROBE_MAXACTIVE_MAX). */
#define TA_KRETPROBE_MAXACTIVE 4096

/*
 * Attach the kretprobe program prog to the return of func with maxactive
 * instances. 0 and *link, or -errno with *why set (the caller then attaches
 * it the ordinary way, with the default pool).
 */
int ta_kretprobe_pool_attach(struct bpf_program *prog, const char *func, unsigned maxactive,
			     struct bpf_link **link, char *why, size_t why_len);
/* Remove func's probe event; after its link is destroyed. 0 or -errno. */
int ta_kretprobe_pool_remove(const char *func);

#endif

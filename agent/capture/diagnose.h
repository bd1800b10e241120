/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why no capture backend could start, in words an operator can act on: the
 * host's facts that decide it (BTF, privilege, lockdown, seccomp, the kernel's
 * answers per backend), never just "this kernel".
 */
#ifndef TA_CAPTURE_DIAGNOSE_H
#define TA_CAPTURE_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "capture/capture.h"

struct ta_host_facts {
	bool have_btf;            /* /sys/kernel/btf/vmlinux readable */
	bool have_bpf_caps;       /* CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN effective */
	bool lockdown_confidentiality;
	bool seccomp_filtered;    /* this process runs under a seccomp filter */
	bool have_kprobe_pmu;     /* /sys/bus/event_source/devices/kprobe */
	bool tracefs_mounted;     /* /sys/kernel/tracing/events (kprobe fallback only) */
	int perf_event_paranoid;  /* kernel.perf_event_paranoid; -2 if unknown */
};

/*
 * 0 if the BTF file (the kernel's, or --btf / btf =) is a regular file we can
 * read, else -errno (-EINVAL: a FIFO, device or directory). Never blocks: a
 * FIFO there passed access() and held libbpf, and the daemon, in open().
 */
int ta_btf_file_check(const char *path);

/* Read the facts of the running host (no BPF calls). */
void ta_host_facts_read(struct ta_host_facts *f, const char *btf_path, bool have_bpf_caps);

/*
 * The one-line cause of a failed start, from the facts and what each backend
 * was refused with (report). Returns out.
 */
const char *ta_capture_explain(const struct ta_host_facts *f, const struct ta_capture_report *rep,
			       char *out, size_t cap);

/* A short reason behind one backend's refusal, or NULL if the refusal says it all. */
const char *ta_backend_hint(const struct ta_host_facts *f, enum ta_backend b, const char *refused);

#endif

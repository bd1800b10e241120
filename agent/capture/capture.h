/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading the BPF capture programs and draining their ring buffer.
 *
 * ta_capture_open() probes the running kernel: it tries the requested backend
 * (or fentry, then kprobe, then tracepoint) by loading and attaching it, keeps
 * the first that works and says why the others were refused.
 */
#ifndef TA_CAPTURE_H
#define TA_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/decode.h"
#include "capture/drop_ledger.h"
#include "capture/kretprobe_pool.h"
#include "capture/variant.h"
#include "ttyaudit/event.h"

enum ta_backend {
	TA_BACKEND_AUTO = 0,
	TA_BACKEND_FENTRY,
	TA_BACKEND_KPROBE,
	TA_BACKEND_TRACEPOINT,
	TA_BACKEND_COUNT,
};

const char *ta_backend_name(enum ta_backend b);
/* 0 and *out set, or -EINVAL for an unknown name. */
int ta_backend_parse(const char *name, enum ta_backend *out);
/* What a backend cannot see, in one sentence. */
const char *ta_backend_limitations(enum ta_backend b);
/*
 * The integrity level a backend gives: "kernel" (kernel-function capture: the
 * kernel's own copy of the data) or "syscall" (data read from user memory
 * around the system call; what it cannot vouch for is marked suspect).
 */
const char *ta_backend_integrity(enum ta_backend b);

/* Where the running kernel publishes its BTF. */
#define TA_KERNEL_BTF "/sys/kernel/btf/vmlinux"

/* What of a session's footprint is recorded (docs/capture.md). */
enum ta_footprint_mode {
	TA_FOOTPRINT_OFF = 0,
	TA_FOOTPRINT_ON = 1,    /* writes, creates, renames, deletes, modes, network, privilege */
	TA_FOOTPRINT_ALL = 3,   /* and opens for reading only */
};
/* "off", "on", "all"; -EINVAL for anything else. */
int ta_footprint_parse(const char *s, uint32_t *out);
const char *ta_footprint_name(uint32_t mode);

struct ta_capture_opts {
	enum ta_backend backend;
	uint32_t ring_bytes;          /* power of two, >= page size */
	uint32_t kretprobe_pool;      /* instances per return probe; 0: the kernel's default */
	bool redact_noecho;           /* withhold canonical no-echo input */
	bool require_kernel_capture;  /* refuse to run with syscall capture only */
	struct ta_filter_rule rules[TA_FILTER_RULES];
	uint32_t n_rules;
	uint32_t self_tgid;           /* never recorded */
	char btf_path[4096];          /* the kernel's BTF (TA_KERNEL_BTF, or --btf FILE) */
	bool verbose_libbpf;          /* libbpf's messages to stderr */
	uint32_t footprint;           /* enum ta_footprint_mode */
	enum ta_programs programs;    /* AUTO: full or fallback as the kernel's probes say */
};

struct ta_capture_report {
	enum ta_backend chosen;
	char refused[TA_BACKEND_COUNT][256];  /* why each tried backend failed */
	char optional_missing[256];           /* hooks that did not attach */
	enum ta_programs programs;            /* the build loaded (tried) */
	bool typed_reads;                     /* full, in its typed build (bpf_rdonly_cast) */
	char typed_refused[256];              /* why the typed build was not loaded, if refused */
	char kernel_lacks[96];                /* what the full build needs and the kernel lacks */
	/*
	 * kprobe backend: the return probes' pool of instances, "4096 instances
	 * per return probe" or "the kernel's default (why)" (kretprobe_pool.h)
	 */
	char kretprobe_pool[224];
	bool kretprobe_default_pool;          /* some return probe has the kernel's default pool */
};

typedef int (*ta_event_fn)(void *ctx, const struct ta_event *ev);
typedef void (*ta_bad_record_fn)(void *ctx, int err, size_t len);

struct ta_capture;

/*
 * -EPERM: no privilege; -ENOTSUP: no BTF, or no backend worked (see report);
 * other -errno for setup failures.
 */
int ta_capture_open(struct ta_capture **out, const struct ta_capture_opts *opts,
		    struct ta_capture_report *report);
/* An fd that becomes readable when events are waiting (for epoll). */
int ta_capture_fd(const struct ta_capture *c);
void ta_capture_set_handlers(struct ta_capture *c, ta_event_fn on_event,
			     ta_bad_record_fn on_bad, void *ctx);
/* Hand every waiting event to the handler; returns the count or -errno. */
int ta_capture_drain(struct ta_capture *c);
/*
 * The same, and *complete: whether it took every record reserved before it
 * began. false when a program on another CPU had reserved a record and not
 * yet committed it (the drain stops there; what others committed after it
 * waits): the daemon's journal must not yet say that the time before this
 * round is in the log (ttyauditd.c, the heartbeat).
 */
int ta_capture_drain_round(struct ta_capture *c, bool *complete);
/*
 * idle = 1: the first terminal record into an empty ring wakes the consumer;
 * 0: records do not wake it (it drains on a timer while busy).
 */
int ta_capture_set_idle(struct ta_capture *c, int idle);
/* 0 if this process may use bpf() on the capture maps now, else -errno (-EPERM). */
int ta_capture_probe_access(struct ta_capture *c);
/* Replace filters and redaction at run time (SIGHUP). */
int ta_capture_update_config(struct ta_capture *c, const struct ta_capture_opts *opts);

/* The gap record's name for a loss reason ("ring_full", "no_call_state"). */
const char *ta_drop_reason_name(uint32_t reason);
/*
 * Losses since the last call: one callback per session with new losses, one
 * for losses no session's counter holds (drop_ledger.h), and the total in
 * *total (events/bytes, ses/auid = -1). Returns 0 or -errno.
 */
int ta_capture_collect_drops(struct ta_capture *c, ta_drop_fn fn, void *ctx,
			     struct ta_drop_delta *total);
void ta_capture_close(struct ta_capture *c);

/* Parse /proc/devices text: marks tty-layer majors in is_tty[0..n). */
int ta_tty_majors_parse(const char *text, uint8_t *is_tty, size_t n);

#endif

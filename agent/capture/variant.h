/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The builds of the capture programs (bpf/meson.build): "full" (BPF task
 * storage, bpf_loop, typed system call tracepoints), loaded in its typed
 * build where the kernel has bpf_rdonly_cast, and "fallback" (none of it;
 * every kernel with a BPF ring buffer and BTF, 5.8 on). Which one a kernel
 * gets is decided by probing what it offers, never by its version; what the
 * fallback cannot do is said once, here (bpf/kernel_compat.bpf.h has the
 * figures).
 */
#ifndef TA_CAPTURE_VARIANT_H
#define TA_CAPTURE_VARIANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ttyaudit/event.h"

enum ta_programs {
	TA_PROGRAMS_AUTO = 0,
	TA_PROGRAMS_FULL,
	TA_PROGRAMS_FALLBACK,
	TA_PROGRAMS_COUNT,
};

/* What the running kernel offers the full programs (ta_kernel_features_probe). */
struct ta_kernel_features {
	bool bpf_loop;          /* the bpf_loop helper (5.17+) */
	bool task_storage;      /* BPF_MAP_TYPE_TASK_STORAGE and its helpers in tracing programs */
	bool current_task_btf;  /* bpf_get_current_task_btf (5.11+) */
	bool tp_btf;            /* a typed (tp_btf) program on the system call tracepoints */
	bool rdonly_cast;       /* bpf_rdonly_cast in such a program (6.2+): the typed build */
};

const char *ta_programs_name(enum ta_programs p);
/* 0 and *out set, or -EINVAL for an unknown name. */
int ta_programs_parse(const char *name, enum ta_programs *out);
/* What these programs cannot do, in one sentence ("" for the full ones). */
const char *ta_programs_limitations(enum ta_programs p);

/* Ask the kernel (loads tiny probe programs; needs the BPF privileges). */
void ta_kernel_features_probe(struct ta_kernel_features *f);
/* What the full programs need and the kernel lacks, comma-separated ("" if nothing). */
const char *ta_kernel_features_missing(const struct ta_kernel_features *f, char *out, size_t cap);
/* The programs to load: `wanted` unless AUTO, else full if the kernel has all they need. */
enum ta_programs ta_programs_choose(const struct ta_kernel_features *f, enum ta_programs wanted);
/* Whether the chosen programs are loaded in their typed build (full, with bpf_rdonly_cast). */
bool ta_programs_typed(const struct ta_kernel_features *f, enum ta_programs chosen);

/* One opened build of the programs (a bpftool skeleton behind it). */
struct bpf_object;
struct bpf_object_open_opts;
struct ta_bpf {
	enum ta_programs kind;
	bool typed;             /* the full programs' typed build (ttyaudit_typed) */
	void *skel;
	struct bpf_object *obj;
	uint32_t *syscall_io;   /* the rodata ta_syscall_io, settable before load */
	uint32_t *fp_mode;      /* the rodata ta_fp_mode (footprint), settable before load */
	uint32_t *unix_uring;   /* the rodata ta_unix_uring, settable before load */
	uint64_t *ring_bytes;   /* the rodata ta_ring_bytes: ta_events' size, set with it */
	uint8_t *digest_key;    /* the rodata ta_digest_key, TA_DIGEST_KEY_BYTES */
};

/* The write fingerprint's key (bpf/capture_common.bpf.h), one per load. */
#define TA_DIGEST_KEY_BYTES TA_DIGEST_MAX

/* 0, or -errno (kind must be FULL or FALLBACK; typed: FULL's typed build). */
int ta_bpf_open(struct ta_bpf *b, enum ta_programs kind, bool typed,
		const struct bpf_object_open_opts *o);
/* Fills the fingerprint's key from getrandom before load: 0 or -errno. */
int ta_bpf_key_digest(struct ta_bpf *b);
int ta_bpf_load(struct ta_bpf *b);
/* Safe on a zeroed or destroyed handle. */
void ta_bpf_destroy(struct ta_bpf *b);

#endif

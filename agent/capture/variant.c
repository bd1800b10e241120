// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base/buf.h"
#include "capture/variant.h"
#include "ttyaudit/event.h"
#include "ttyaudit.skel.h"
#include "ttyaudit_fallback.skel.h"
#include "ttyaudit_typed.skel.h"

static const char *const names[TA_PROGRAMS_COUNT] = {
	[TA_PROGRAMS_AUTO] = "auto",
	[TA_PROGRAMS_FULL] = "full",
	[TA_PROGRAMS_FALLBACK] = "fallback",
};

const char *ta_programs_name(enum ta_programs p)
{
	return p < TA_PROGRAMS_COUNT ? names[p] : "unknown";
}

int ta_programs_parse(const char *name, enum ta_programs *out)
{
	for (int p = 0; p < TA_PROGRAMS_COUNT; p++)
		if (!strcmp(name, names[p])) {
			*out = (enum ta_programs)p;
			return 0;
		}
	return -EINVAL;
}

#define TA_STR_(x) #x
#define TA_STR(x) TA_STR_(x)
_Static_assert(TA_FB_CHUNK_STEPS * TA_CHUNK_MAX == 128 * 1024, "the sentence below says 128 KiB");

const char *ta_programs_limitations(enum ta_programs p)
{
	if (p != TA_PROGRAMS_FALLBACK)
		return "";
	return "fallback programs (no bpf_loop or BPF task storage): a system call moves at most "
	       "128 KiB of terminal data into the record (" TA_STR(TA_FB_CHUNK_STEPS) " steps of "
	       TA_STR(TA_CHUNK_MAX) " bytes; each iovec entry takes a step) and a tty-layer "
	       "function call " TA_STR(TA_CHUNK_MAX) " bytes (more only on ttys without write "
	       "splitting), the rest is counted lost (call_too_large); an exec's working directory is named "
	       TA_STR(TA_FB_CWD_DEPTH) " components deep at most, else marked truncated; a user "
	       "may have " TA_STR(TA_FB_STATE_PER_USER) " terminal calls in progress at once, "
	       "further ones are counted lost (no_call_state) against that user's session";
}

/* 1: the kernel lets a raw tracepoint program (what exec and syscalls use) call helper. */
static bool has_helper(enum bpf_func_id helper)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, helper, NULL) == 1;
}

/* Loads prog[n] as a typed program on sys_enter (btf_id: its tracepoint's): 1 if the kernel takes it. */
static bool loads_on_sys_enter(int btf_id, const struct bpf_insn *prog, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_RAW_TP);
	int fd;

	if (btf_id <= 0)
		return false;
	o.attach_btf_id = (__u32)btf_id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", prog, n, &o);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * 1: the kernel loads a typed program on the sys_enter tracepoint, what the
 * full build's system call programs are (tp_btf: they read the registers
 * with plain loads). It needs the kernel's own BTF, and a policy that lets
 * fentry-like (BPF_PROG_TYPE_TRACING) programs load; a kernel can refuse
 * those and take raw tracepoints (this project's test host refuses fentry).
 */
static bool has_tp_btf(int sys_enter)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return loads_on_sys_enter(sys_enter, ret0, 2);
}

/*
 * 1: such a program may call bpf_rdonly_cast (6.2+), what the typed build of
 * the full programs does to read kernel pointers with plain loads.
 */
static bool has_rdonly_cast(const struct btf *vmlinux, int sys_enter)
{
	int cast = btf__find_by_name_kind(vmlinux, "bpf_rdonly_cast", BTF_KIND_FUNC);
	int file = btf__find_by_name_kind(vmlinux, "file", BTF_KIND_STRUCT);
	/* r1 = 0; r2 = the id of struct file; call bpf_rdonly_cast; r0 = 0; exit */
	const struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = file },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = cast },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return cast > 0 && file > 0 &&
	       loads_on_sys_enter(sys_enter, prog, sizeof(prog) / sizeof(prog[0]));
}

void ta_kernel_features_probe(struct ta_kernel_features *f)
{
	f->bpf_loop = has_helper(BPF_FUNC_loop);
	f->task_storage = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1 &&
			  has_helper(BPF_FUNC_task_storage_get) &&
			  has_helper(BPF_FUNC_task_storage_delete);
	f->current_task_btf = has_helper(BPF_FUNC_get_current_task_btf);
	/* The kernel's own BTF (typed programs refer to it), read once for both probes. */
	struct btf *vmlinux = btf__load_vmlinux_btf();

	f->tp_btf = f->rdonly_cast = false;
	if (libbpf_get_error(vmlinux))
		return;
	int sys_enter = btf__find_by_name_kind(vmlinux, "btf_trace_sys_enter", BTF_KIND_TYPEDEF);

	f->tp_btf = has_tp_btf(sys_enter);
	f->rdonly_cast = f->tp_btf && has_rdonly_cast(vmlinux, sys_enter);
	btf__free(vmlinux);
}

const char *ta_kernel_features_missing(const struct ta_kernel_features *f, char *out, size_t cap)
{
	const char *lacks[] = {
		!f->bpf_loop ? "bpf_loop" : NULL,
		!f->task_storage ? "BPF task storage" : NULL,
		!f->current_task_btf ? "bpf_get_current_task_btf" : NULL,
		!f->tp_btf ? "typed tracepoint programs (tp_btf)" : NULL,
	};

	if (cap)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof(lacks) / sizeof(lacks[0]); i++)
		if (lacks[i])
			ta_str_list_add(out, cap, lacks[i]);
	return out;
}

enum ta_programs ta_programs_choose(const struct ta_kernel_features *f, enum ta_programs wanted)
{
	if (wanted == TA_PROGRAMS_FULL || wanted == TA_PROGRAMS_FALLBACK)
		return wanted;
	return f->bpf_loop && f->task_storage && f->current_task_btf && f->tp_btf
		       ? TA_PROGRAMS_FULL
		       : TA_PROGRAMS_FALLBACK;
}

bool ta_programs_typed(const struct ta_kernel_features *f, enum ta_programs chosen)
{
	return chosen == TA_PROGRAMS_FULL && f->rdonly_cast;
}

/* The skeletons have the same shape; only their names differ. */
#define TA_BPF_OPEN(b, name, o)                                                           \
	({                                                                                \
		struct name *_s = name##__open_opts(o);                                   \
		if (_s) {                                                                 \
			(b)->skel = _s;                                                   \
			(b)->obj = _s->obj;                                               \
			(b)->syscall_io = (uint32_t *)&_s->rodata->ta_syscall_io;         \
			(b)->fp_mode = (uint32_t *)&_s->rodata->ta_fp_mode;               \
			(b)->unix_uring = (uint32_t *)&_s->rodata->ta_unix_uring;         \
			(b)->ring_bytes = (uint64_t *)&_s->rodata->ta_ring_bytes;         \
			(b)->digest_key = (uint8_t *)_s->rodata->ta_digest_key;           \
			_Static_assert(sizeof(_s->rodata->ta_digest_key) ==               \
				       TA_DIGEST_KEY_BYTES, "ta_digest_key");             \
		}                                                                         \
		_s ? 0 : errno ? -errno : -EINVAL;                                        \
	})

int ta_bpf_open(struct ta_bpf *b, enum ta_programs kind, bool typed,
		const struct bpf_object_open_opts *o)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->typed = kind == TA_PROGRAMS_FULL && typed;
	if (b->typed)
		return TA_BPF_OPEN(b, ttyaudit_typed_bpf, o);
	if (kind == TA_PROGRAMS_FULL)
		return TA_BPF_OPEN(b, ttyaudit_bpf, o);
	if (kind == TA_PROGRAMS_FALLBACK)
		return TA_BPF_OPEN(b, ttyaudit_fallback_bpf, o);
	return -EINVAL;
}

int ta_bpf_key_digest(struct ta_bpf *b)
{
	/*
	 * Early at boot the kernel's generator may not be seeded yet: recording
	 * must not wait for it. Its output then is still unknown to a user
	 * (GRND_INSECURE, 5.6 on), if weaker, and a key per load is renewed at
	 * the next start.
	 */
	unsigned int flags = GRND_NONBLOCK;
	size_t got = 0;

	while (got < TA_DIGEST_KEY_BYTES) {
		ssize_t n = getrandom(b->digest_key + got, TA_DIGEST_KEY_BYTES - got, flags);

		if (n < 0 && errno == EAGAIN && flags == GRND_NONBLOCK) {
			flags = GRND_INSECURE;
			continue;
		}
		if (n < 0 && errno != EINTR)
			return -errno;
		got += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

int ta_bpf_load(struct ta_bpf *b)
{
	if (b->typed)
		return ttyaudit_typed_bpf__load(b->skel);
	if (b->kind == TA_PROGRAMS_FULL)
		return ttyaudit_bpf__load(b->skel);
	return ttyaudit_fallback_bpf__load(b->skel);
}

void ta_bpf_destroy(struct ta_bpf *b)
{
	if (!b->skel)
		return;
	if (b->typed)
		ttyaudit_typed_bpf__destroy(b->skel);
	else if (b->kind == TA_PROGRAMS_FULL)
		ttyaudit_bpf__destroy(b->skel);
	else
		ttyaudit_fallback_bpf__destroy(b->skel);
	b->skel = NULL;
	b->obj = NULL;
}

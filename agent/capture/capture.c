// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Backend probing, loading and the ring-buffer drain.
 *
 * One CO-RE object holds the programs of every backend; each try opens the
 * skeleton afresh, enables only that backend's programs (plus exec), and
 * loads and attaches them. The kernel's answer decides, never its version.
 * Which build of the object (full or fallback, capture/variant.h) is decided
 * first, by probing the helpers and map types the full one needs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "base/buf.h"
#include "capture/capture.h"
#include "capture/diagnose.h"
#include "capture/ring_pos.h"

/* The maps the daemon reads and fills, by their fds once loaded. */
struct ta_capture_maps {
	int events, ctl_events, fp_events, fp_progs, exit_progs, config, self, tty_majors,
	    wake_on_empty, drops, session_drops;
};

struct ta_capture {
	struct ta_bpf bpf;
	struct ta_capture_maps m;
	struct ring_buffer *ring;
	struct ta_ring_pos pos[3];  /* the rings' positions (ring_pos.h); cons NULL: unknown */
	struct bpf_link **links;
	size_t n_links;
	char pools[8][65];  /* functions whose return probes have a pool of ours */
	size_t n_pools;
	enum ta_backend backend;
	ta_event_fn on_event;
	ta_bad_record_fn on_bad;
	void *cb_ctx;
	int nr_cpus;
	struct ta_drop_ledger drops;  /* the loss counters read so far (drop_ledger.h) */
};

static const char *const backend_names[TA_BACKEND_COUNT] = {
	[TA_BACKEND_AUTO] = "auto",
	[TA_BACKEND_FENTRY] = "fentry",
	[TA_BACKEND_KPROBE] = "kprobe",
	[TA_BACKEND_TRACEPOINT] = "tracepoint",
};

const char *ta_backend_name(enum ta_backend b)
{
	return b < TA_BACKEND_COUNT ? backend_names[b] : "unknown";
}

int ta_footprint_parse(const char *s, uint32_t *out)
{
	if (!strcmp(s, "off"))
		*out = TA_FOOTPRINT_OFF;
	else if (!strcmp(s, "on"))
		*out = TA_FOOTPRINT_ON;
	else if (!strcmp(s, "all"))
		*out = TA_FOOTPRINT_ALL;
	else
		return -EINVAL;
	return 0;
}

const char *ta_footprint_name(uint32_t mode)
{
	return mode == TA_FOOTPRINT_ALL ? "all" : mode ? "on" : "off";
}

int ta_backend_parse(const char *name, enum ta_backend *out)
{
	for (int b = 0; b < TA_BACKEND_COUNT; b++)
		if (!strcmp(name, backend_names[b])) {
			*out = (enum ta_backend)b;
			return 0;
		}
	return -EINVAL;
}

const char *ta_backend_limitations(enum ta_backend b)
{
	switch (b) {
	case TA_BACKEND_TRACEPOINT:
		return "io_uring, Linux AIO, sendfile and splice into a terminal are counted "
		       "(uncaptured) but not read; data is read from user memory, so what a "
		       "process changes during a call is marked suspect; console, serial and "
		       "virtual-console input is taken where a process reads it, not as typed";
	case TA_BACKEND_FENTRY:
	case TA_BACKEND_KPROBE:
		return "none for terminal data";
	default:
		return "";
	}
}

const char *ta_backend_integrity(enum ta_backend b)
{
	switch (b) {
	case TA_BACKEND_FENTRY:
	case TA_BACKEND_KPROBE:
		return "kernel";
	case TA_BACKEND_TRACEPOINT:
		return "syscall";
	default:
		return "none";
	}
}

/* libbpf's messages go to a buffer, so a refusal can be explained in one line. */
static char libbpf_last_msg[256];
static bool libbpf_verbose;

static int libbpf_to_buffer(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	if (libbpf_verbose) {
		va_list copy;

		va_copy(copy, ap);
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* The skeleton's summary says less than the message before it. */
	if (strstr(line, "failed to load BPF skeleton") || strstr(line, "failed to load object"))
		return 0;
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	if (n)
		snprintf(libbpf_last_msg, sizeof(libbpf_last_msg), "%s", line);
	return 0;
}

enum prog_role {
	ROLE_OTHER, ROLE_COMMON, ROLE_COMMON_OPTIONAL, ROLE_REQUIRED, ROLE_OPTIONAL,
	ROLE_TAIL,  /* loaded, never attached: reached by a tail call (the footprint's entry) */
	/*
	 * Reached by the raw sys_exit dispatcher's tail call where that one is
	 * attached, else attached itself (the unix socket calls' exit: every
	 * backend; see try_backend).
	 */
	ROLE_EXIT_TAIL,
};

/*
 * Which programs a backend uses. Required ones must attach; optional may not.
 * unix_fn: unix connects and binds are taken in the unix family's functions
 * (unix_functions_usable).
 */
static enum prog_role program_role(const char *name, enum ta_backend b, bool footprint,
				   bool unix_fn)
{
	/* A function backend needs the syscall exit too for the footprint's results. */
	if (footprint && b != TA_BACKEND_TRACEPOINT && !strcmp(name, "ta_raw_sys_exit"))
		return ROLE_COMMON_OPTIONAL;
	if (!strcmp(name, "ta_fp_sys_enter"))
		return footprint ? ROLE_TAIL : ROLE_OTHER;
	/*
	 * io_uring's requests of the footprint's kinds are seen at their
	 * completion, and so are its unix connects and binds where the unix
	 * family's functions are not hooked. (Both names of the submission's
	 * tracepoint: with a function backend, 6.1's submit_sqe was left out, and
	 * a request that posts no completion went uncounted.)
	 */
	if ((footprint || !unix_fn) && !strncmp(name, "ta_raw_io_uring_", 16))
		return ROLE_COMMON_OPTIONAL;
	/* Process lifecycle: every backend. */
	if (!strncmp(name, "ta_sched_", 9))
		return ROLE_COMMON;
	/* Unix connects and binds (shared terminals), at their exit: every backend. */
	if (!strncmp(name, "ta_fexit_unix_", 14))
		return unix_fn && b == TA_BACKEND_FENTRY ? ROLE_REQUIRED : ROLE_OTHER;
	if (!strncmp(name, "ta_kprobe_unix_", 15) || !strncmp(name, "ta_kretprobe_unix_", 18))
		return unix_fn && b == TA_BACKEND_KPROBE ? ROLE_REQUIRED : ROLE_OTHER;
	if (!strcmp(name, "ta_raw_unix_exit"))
		return unix_fn ? ROLE_OTHER : ROLE_EXIT_TAIL;
	switch (b) {
	case TA_BACKEND_TRACEPOINT:
		if (!strncmp(name, "ta_raw_sys_", 11))
			return ROLE_REQUIRED;
		/*
		 * Count io_uring's terminal writes (at completion, and at submission
		 * those that post no completion); kernels without io_uring lack them.
		 */
		if (!strncmp(name, "ta_raw_io_uring_", 16))
			return ROLE_OPTIONAL;
		return ROLE_OTHER;
	case TA_BACKEND_FENTRY:
		/* The footprint's entry (see ta_syscall_io). */
		if (!strcmp(name, "ta_raw_sys_enter"))
			return footprint ? ROLE_COMMON_OPTIONAL : ROLE_OTHER;
		if (!strncmp(name, "ta_fentry_", 10) || !strncmp(name, "ta_fexit_", 9))
			return strstr(name, "n_tty_write") ? ROLE_REQUIRED : ROLE_OPTIONAL;
		return ROLE_OTHER;
	case TA_BACKEND_KPROBE:
		if (!strcmp(name, "ta_raw_sys_enter"))
			return footprint ? ROLE_COMMON_OPTIONAL : ROLE_OTHER;
		if (!strncmp(name, "ta_kprobe_", 10) || !strncmp(name, "ta_kretprobe_", 13))
			return strstr(name, "n_tty_write") ? ROLE_REQUIRED : ROLE_OPTIONAL;
		return ROLE_OTHER;
	default:
		return ROLE_OTHER;
	}
}

/* The kernel function a function-backend program hooks, from its section name. */
static const char *program_target(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);
	const char *slash = strchr(sec, '/');

	return slash ? slash + 1 : NULL;
}

static int kernel_has_func(const struct btf *vmlinux, const char *fn)
{
	return vmlinux && btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) >= 0;
}

static bool btf_has_tracepoint(const struct btf *vmlinux, const char *tp)
{
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf__find_by_name_kind(vmlinux, name, BTF_KIND_TYPEDEF) >= 0;
}

/* Whether the kernel has struct st without member (false without BTF, or without st). */
static bool btf_struct_lacks_member(const struct btf *vmlinux, const char *st, const char *member)
{
	int id = vmlinux ? btf__find_by_name_kind(vmlinux, st, BTF_KIND_STRUCT) : -1;

	if (id < 0)
		return false;
	const struct btf_type *t = btf__type_by_id(vmlinux, id);
	const struct btf_member *m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(vmlinux, m[i].name_off), member))
			return false;
	return true;
}

/*
 * Whether the kernel has raw tracepoint tp: each has a typedef btf_trace_<tp>
 * in its BTF. Unknown without BTF, or with a BTF cut down to what programs
 * read (--btf, where it lacks even sys_enter's): the program is loaded then,
 * and its attach says.
 */
static bool kernel_may_have_tracepoint(const struct btf *vmlinux, const char *tp)
{
	if (!vmlinux || !btf_has_tracepoint(vmlinux, "sys_enter"))
		return true;
	return btf_has_tracepoint(vmlinux, tp);
}

/* A tracepoint renamed by the kernel: the other name, loaded where the kernel has it. */
static const char *tracepoint_other_name(const char *tp)
{
	static const char *const pairs[][2] = {
		{ "io_uring_submit_req", "io_uring_submit_sqe" }, /* renamed in 6.4 */
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!strcmp(tp, pairs[i][0]))
			return pairs[i][1];
		if (!strcmp(tp, pairs[i][1]))
			return pairs[i][0];
	}
	return NULL;
}

static int fill_tty_majors(int fd)
{
	uint8_t is_tty[512];
	char text[16384];
	FILE *f = fopen("/proc/devices", "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	if (ta_tty_majors_parse(text, is_tty, sizeof(is_tty)) < 0)
		return -ENOENT;
	for (uint32_t major = 0; major < sizeof(is_tty); major++) {
		if (!is_tty[major])
			continue;
		if (bpf_map_update_elem(fd, &major, &is_tty[major], BPF_ANY))
			return -errno;
	}
	return 0;
}

static void fill_config(struct ta_config *cfg, const struct ta_capture_opts *o)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->version = TA_EVENT_VERSION;
	cfg->redact_noecho = o->redact_noecho;
	cfg->n_rules = o->n_rules > TA_FILTER_RULES ? TA_FILTER_RULES : o->n_rules;
	for (uint32_t i = 0; i < cfg->n_rules; i++) {
		cfg->rules[i] = o->rules[i];
		if (o->rules[i].action == TA_RULE_INCLUDE)
			cfg->has_include = 1;
	}
}

int ta_capture_update_config(struct ta_capture *c, const struct ta_capture_opts *o)
{
	struct ta_config cfg;
	uint32_t zero = 0;

	fill_config(&cfg, o);
	if (bpf_map_update_elem(c->m.config, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static int init_maps(struct ta_capture *c, const struct ta_capture_opts *o)
{
	uint8_t one = 1;
	int err;

	err = ta_capture_update_config(c, o);
	if (err)
		return err;
	if (bpf_map_update_elem(c->m.self, &o->self_tgid, &one, BPF_ANY))
		return -errno;
	err = ta_capture_set_idle(c, 1);
	if (err)
		return err;
	return fill_tty_majors(c->m.tty_majors);
}

static int find_maps(struct ta_capture *c)
{
	static const struct { const char *name; size_t off; } want[] = {
		{ "ta_events", offsetof(struct ta_capture_maps, events) },
		{ "ta_ctl_events", offsetof(struct ta_capture_maps, ctl_events) },
		{ "ta_fp_events", offsetof(struct ta_capture_maps, fp_events) },
		{ "ta_fp_progs", offsetof(struct ta_capture_maps, fp_progs) },
		{ "ta_exit_progs", offsetof(struct ta_capture_maps, exit_progs) },
		{ "ta_config", offsetof(struct ta_capture_maps, config) },
		{ "ta_self", offsetof(struct ta_capture_maps, self) },
		{ "ta_tty_majors", offsetof(struct ta_capture_maps, tty_majors) },
		{ "ta_wake_on_empty", offsetof(struct ta_capture_maps, wake_on_empty) },
		{ "ta_drops", offsetof(struct ta_capture_maps, drops) },
		{ "ta_session_drops", offsetof(struct ta_capture_maps, session_drops) },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(c->bpf.obj, want[i].name);
		int fd = m ? bpf_map__fd(m) : -1;

		if (fd < 0)
			return -ENOENT;
		*(int *)((char *)&c->m + want[i].off) = fd;
	}
	return 0;
}

static void detach_all(struct ta_capture *c)
{
	for (size_t i = 0; i < c->n_links; i++)
		bpf_link__destroy(c->links[i]);
	free(c->links);
	c->links = NULL;
	c->n_links = 0;
	/* Their links are gone: the probe events can go. */
	for (size_t i = 0; i < c->n_pools; i++)
		ta_kretprobe_pool_remove(c->pools[i]);
	c->n_pools = 0;
}

/*
 * A kretprobe with a pool of TA_KRETPROBE_MAXACTIVE instances if the kernel
 * lets us make one (kretprobe_pool.h), else with its default pool; what that
 * means is said once in the report. NULL and errno if neither attached.
 */
static struct bpf_link *attach_kretprobe(struct ta_capture *c, struct bpf_program *prog,
					 unsigned pool, struct ta_capture_report *rep)
{
	const char *func = program_target(prog);
	char why[160] = "--kretprobe-pool 0";
	struct bpf_link *link = NULL;

	if (pool && func && strlen(func) < sizeof(c->pools[0]) &&
	    c->n_pools < sizeof(c->pools) / sizeof(c->pools[0]) &&
	    ta_kretprobe_pool_attach(prog, func, pool, &link, why, sizeof(why)) == 0) {
		snprintf(c->pools[c->n_pools++], sizeof(c->pools[0]), "%s", func);
		if (!rep->kretprobe_pool[0])
			snprintf(rep->kretprobe_pool, sizeof(rep->kretprobe_pool),
				 "%u instances per return probe", pool);
		return link;
	}
	rep->kretprobe_default_pool = true;
	snprintf(rep->kretprobe_pool, sizeof(rep->kretprobe_pool),
		 "the kernel's default pool of instances (%s%s%s)", func ? func : "?",
		 why[0] ? ": " : "", why);
	return bpf_program__attach(prog);
}

/* A program that runs when a call returns (and completes what its entry began). */
static bool is_exit_hook(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strcmp(sec, "raw_tp/sys_exit") || !strcmp(sec, "tp_btf/sys_exit") ||
	       !strncmp(sec, "fexit/", 6) ||
	       !strncmp(sec, "kretprobe/", 10);
}

/*
 * Whether backend b takes unix connects and binds in the unix family's own
 * functions (the ta_fexit_unix_ programs, or the ta_kprobe_unix_ ones with
 * their return probes): the fentry and kprobe backends, where the kernel's
 * BTF has every one of them. Those see every road to the calls (system
 * calls, socketcall, io_uring) on every architecture, and cost nothing to
 * other system calls. Else they are taken at the system calls' exit (x86-64
 * only), and io_uring's at completion.
 */
static bool unix_functions_usable(struct bpf_object *obj, enum ta_backend b,
				  const struct btf *vmlinux)
{
	const char *prefix = b == TA_BACKEND_FENTRY   ? "ta_fexit_unix_"
			     : b == TA_BACKEND_KPROBE ? "ta_kprobe_unix_"
						      : NULL;
	struct bpf_program *prog;
	int n = 0;

	if (!prefix)
		return false;
	bpf_object__for_each_program(prog, obj) {
		const char *target = program_target(prog);

		if (strncmp(bpf_program__name(prog), prefix, strlen(prefix)))
			continue;
		if (!target || !kernel_has_func(vmlinux, target))
			return false;
		n++;
	}
	return n > 0;
}

/* Load and attach one backend. On failure, *why says what the kernel refused. */
static int try_backend(struct ta_capture *c, enum ta_backend b, enum ta_programs programs,
		       const struct ta_capture_opts *o, const struct btf *vmlinux,
		       struct ta_capture_report *rep, char *why, size_t why_len, char *missing,
		       size_t missing_len)
{
	struct bpf_program *prog, *exit_tail = NULL;
	bool sys_exit_attached = false, unix_fn;
	struct bpf_map *events;
	size_t n_progs = 0;
	int err;

	/*
	 * The kernel's BTF named explicitly: libbpf then takes CO-RE candidates
	 * from it alone and never walks module BTF (BPF_BTF_GET_NEXT_ID needs
	 * CAP_SYS_ADMIN; on 6.1, where enum tty_driver_type does not exist yet,
	 * that walk made every backend fail without it).
	 */
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = o->btf_path);
	err = ta_bpf_open(&c->bpf, programs, rep->typed_reads, &open_opts);
	if (err) {
		snprintf(why, why_len, "cannot open BPF object: %s", strerror(-err));
		return err;
	}
	events = bpf_object__find_map_by_name(c->bpf.obj, "ta_events");
	err = events ? bpf_map__set_max_entries(events, o->ring_bytes) : -ENOENT;
	if (err) {
		snprintf(why, why_len, "ring size %u refused: %s", o->ring_bytes, strerror(-err));
		goto fail;
	}
	*c->bpf.ring_bytes = o->ring_bytes;
	err = ta_bpf_key_digest(&c->bpf);
	if (err) {
		snprintf(why, why_len, "no random key for the write fingerprint (getrandom: %s): "
			 "the kernel must offer getrandom(2), 3.17 or later", strerror(-err));
		goto fail;
	}
	unix_fn = unix_functions_usable(c->bpf.obj, b, vmlinux);
	*c->bpf.syscall_io = b == TA_BACKEND_TRACEPOINT;
	*c->bpf.fp_mode = o->footprint;
	*c->bpf.unix_uring = !unix_fn;
	bpf_object__for_each_program(prog, c->bpf.obj) {
		enum prog_role role = program_role(bpf_program__name(prog), b, o->footprint != 0,
						   unix_fn);
		const char *target = program_target(prog);
		bool on = role != ROLE_OTHER;

		/* A function the kernel lacks (renamed, inlined) cannot be hooked. */
		if (on && b != TA_BACKEND_TRACEPOINT && role != ROLE_COMMON &&
		    role != ROLE_COMMON_OPTIONAL && role != ROLE_TAIL && role != ROLE_EXIT_TAIL &&
		    target &&
		    !kernel_has_func(vmlinux, target)) {
			if (role == ROLE_REQUIRED) {
				snprintf(why, why_len, "kernel has no function %s", target);
				err = -ENOENT;
				goto fail;
			}
			ta_str_list_add(missing, missing_len, target);
			on = false;
		}
		/*
		 * An optional raw tracepoint the kernel lacks (io_uring's newer ones on
		 * older kernels) is not loaded: its verification costs a kernel under
		 * emulation tens of seconds for nothing.
		 */
		if (on && (role == ROLE_OPTIONAL || role == ROLE_COMMON_OPTIONAL) && target &&
		    !strncmp(bpf_program__section_name(prog), "raw_tp/", 7) &&
		    !kernel_may_have_tracepoint(vmlinux, target)) {
			const char *other = tracepoint_other_name(target);

			/* Missing only if the kernel has it under neither name. */
			if (!other || !kernel_may_have_tracepoint(vmlinux, other))
				ta_str_list_add(missing, missing_len, target);
			on = false;
		}
		/*
		 * io_uring's completion names its request's file and result only where
		 * a request carries its completion entry (io_kiocb.cqe, 5.19 on). On an
		 * older kernel the program has nothing to read, and hooks_missing says
		 * what goes unseen.
		 */
		if (on && !strcmp(bpf_program__name(prog), "ta_raw_io_uring_complete") &&
		    btf_struct_lacks_member(vmlinux, "io_kiocb", "cqe")) {
			char unseen[128] = "", note[256];

			if (b == TA_BACKEND_TRACEPOINT)
				ta_str_list_add(unseen, sizeof(unseen), "writes into a terminal");
			if (!unix_fn)
				ta_str_list_add(unseen, sizeof(unseen), "unix connects and binds");
			if (o->footprint)
				ta_str_list_add(unseen, sizeof(unseen), "footprint requests");
			snprintf(note, sizeof(note),
				 "io_uring_complete (requests without a completion entry: io_uring's %s "
				 "are not seen; kernels from 5.19 on have it)", unseen);
			ta_str_list_add(missing, missing_len, note);
			on = false;
		}
		bpf_program__set_autoload(prog, on);
		/* --verbose: the verifier's statistics per program (its cost on this kernel). */
		if (on && libbpf_verbose)
			bpf_program__set_log_level(prog, 4);
		n_progs += on;
	}
	libbpf_last_msg[0] = '\0';
	err = ta_bpf_load(&c->bpf);
	if (err) {
		snprintf(why, why_len, "load failed: %s%s%s", strerror(-err),
			 libbpf_last_msg[0] ? "; libbpf: " : "", libbpf_last_msg);
		goto fail;
	}
	err = find_maps(c);
	if (err) {
		snprintf(why, why_len, "the BPF object lacks a map: %s", strerror(-err));
		goto fail;
	}
	err = init_maps(c, o);
	if (err) {
		snprintf(why, why_len, "map setup failed: %s", strerror(-err));
		goto fail;
	}
	c->links = calloc(n_progs, sizeof(*c->links));
	if (!c->links) {
		err = -ENOMEM;
		goto fail;
	}
	/*
	 * Exit hooks first: a call whose entry a program saw must have its exit
	 * seen too. Entry first, a call in flight at that moment left its state
	 * pending, and the next watched call's exit took it: the data of one
	 * call read with the length of another (garbage, marked suspect).
	 */
	for (int pass = 0; pass < 2; pass++) {
		bpf_object__for_each_program(prog, c->bpf.obj) {
			enum prog_role role = program_role(bpf_program__name(prog), b,
							   o->footprint != 0, unix_fn);
			struct bpf_link *link;

			if (!bpf_program__autoload(prog))
				continue;
			if (role == ROLE_TAIL || role == ROLE_EXIT_TAIL) {
				uint32_t zero = 0;
				int fd = bpf_program__fd(prog);
				int map = role == ROLE_TAIL ? c->m.fp_progs : c->m.exit_progs;

				if (role == ROLE_EXIT_TAIL)
					exit_tail = prog;
				if (pass == 0 && bpf_map_update_elem(map, &zero, &fd, BPF_ANY)) {
					err = -errno;
					snprintf(why, why_len, "%s not installed for its tail call: %s",
						 bpf_program__name(prog), strerror(-err));
					goto fail;
				}
				continue;
			}
			if (is_exit_hook(prog) != (pass == 0))
				continue;
			libbpf_last_msg[0] = '\0';
			if (!strncmp(bpf_program__section_name(prog), "kretprobe/", 10))
				link = attach_kretprobe(c, prog, o->kretprobe_pool, rep);
			else
				link = bpf_program__attach(prog);
			if (!link) {
				err = -errno;
				if (role == ROLE_OPTIONAL || role == ROLE_COMMON_OPTIONAL) {
					ta_str_list_add(missing, missing_len,
							bpf_program__section_name(prog));
					continue;
				}
				snprintf(why, why_len, "attach of %s failed: %s%s%s",
					 bpf_program__section_name(prog), strerror(-err),
					 libbpf_last_msg[0] ? "; libbpf: " : "", libbpf_last_msg);
				goto fail;
			}
			c->links[c->n_links++] = link;
			if (!strcmp(bpf_program__name(prog), "ta_raw_sys_exit"))
				sys_exit_attached = true;
		}
	}
	/*
	 * Without the dispatcher on raw sys_exit (a function backend without the
	 * footprint), its tail call never comes: the program is attached itself.
	 */
	if (exit_tail && !sys_exit_attached) {
		struct bpf_link *link = bpf_program__attach(exit_tail);

		if (link)
			c->links[c->n_links++] = link;
		else
			ta_str_list_add(missing, missing_len, bpf_program__section_name(exit_tail));
	}
	return 0;
fail:
	detach_all(c);
	ta_bpf_destroy(&c->bpf);
	return err ? err : -EINVAL;
}

static int on_ring_record(void *ctx, void *data, size_t len)
{
	struct ta_capture *c = ctx;
	struct ta_event ev;
	int err = ta_event_decode(data, len, &ev);

	if (err) {
		if (c->on_bad)
			c->on_bad(c->cb_ctx, err, len);
		return 0;
	}
	/* A negative return stops the drain: only for fatal sink errors. */
	return c->on_event ? c->on_event(c->cb_ctx, &ev) : 0;
}

int ta_capture_open(struct ta_capture **out, const struct ta_capture_opts *o,
		    struct ta_capture_report *rep)
{
	static const enum ta_backend order[] = { TA_BACKEND_FENTRY, TA_BACKEND_KPROBE,
						 TA_BACKEND_TRACEPOINT };
	struct ta_kernel_features features;
	struct ta_capture *c;
	struct btf *vmlinux;
	int err = -ENOTSUP;

	memset(rep, 0, sizeof(*rep));
	if (ta_btf_file_check(o->btf_path))
		return -ENOTSUP;
	if (o->ring_bytes < 4096 || (o->ring_bytes & (o->ring_bytes - 1)))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->nr_cpus = libbpf_num_possible_cpus();
	if (c->nr_cpus <= 0) {
		free(c);
		return -EIO;
	}
	libbpf_verbose = o->verbose_libbpf;
	libbpf_set_print(libbpf_to_buffer);
	/* What the full programs need, asked of the kernel (never read off its version). */
	ta_kernel_features_probe(&features);
	ta_kernel_features_missing(&features, rep->kernel_lacks, sizeof(rep->kernel_lacks));
	rep->programs = ta_programs_choose(&features, o->programs);
	rep->typed_reads = ta_programs_typed(&features, rep->programs);
	vmlinux = btf__parse(o->btf_path, NULL);
	if (libbpf_get_error(vmlinux))
		vmlinux = NULL;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum ta_backend b = order[i];

		if (o->backend != TA_BACKEND_AUTO && o->backend != b)
			continue;
		rep->optional_missing[0] = '\0';
		rep->kretprobe_pool[0] = '\0';
		rep->kretprobe_default_pool = false;
		err = try_backend(c, b, rep->programs, o, vmlinux, rep, rep->refused[b],
				  sizeof(rep->refused[b]),
				  rep->optional_missing, sizeof(rep->optional_missing));
		/*
		 * The verifier refused the typed build where it may take the
		 * untyped one: its casts' pointers are typed by each kernel's
		 * verifier, and it is checked on 6.12 and 6.18 only.
		 */
		if (rep->typed_reads && (err == -EACCES || err == -EINVAL || err == -E2BIG)) {
			snprintf(rep->typed_refused, sizeof(rep->typed_refused), "%s", rep->refused[b]);
			rep->typed_reads = false;
			rep->optional_missing[0] = '\0';
			rep->kretprobe_pool[0] = '\0';
			rep->kretprobe_default_pool = false;
			err = try_backend(c, b, rep->programs, o, vmlinux, rep, rep->refused[b],
					  sizeof(rep->refused[b]), rep->optional_missing,
					  sizeof(rep->optional_missing));
		}
		if (!err) {
			c->backend = b;
			rep->chosen = b;
			break;
		}
	}
	btf__free(vmlinux);
	if (err) {
		/* The caller checked privilege first: a refusal now means this kernel says no. */
		free(c);
		return -ENOTSUP;
	}
	/* The control ring first: a drain hands over who ran what before the data. */
	c->ring = ring_buffer__new(c->m.ctl_events, on_ring_record, c, NULL);
	if (!c->ring ||
	    ring_buffer__add(c->ring, c->m.events, on_ring_record, c) ||
	    ring_buffer__add(c->ring, c->m.fp_events, on_ring_record, c)) {
		err = errno ? -errno : -EIO;
		ta_capture_close(c);
		return err;
	}
	/* Unmapped positions leave a round's completeness unknown: taken as complete, as before. */
	int ring_fds[3] = { c->m.ctl_events, c->m.events, c->m.fp_events };
	for (int i = 0; i < 3; i++)
		ta_ring_pos_map(&c->pos[i], ring_fds[i]);
	*out = c;
	return 0;
}

int ta_capture_fd(const struct ta_capture *c)
{
	return ring_buffer__epoll_fd(c->ring);
}

void ta_capture_set_handlers(struct ta_capture *c, ta_event_fn on_event, ta_bad_record_fn on_bad,
			     void *ctx)
{
	c->on_event = on_event;
	c->on_bad = on_bad;
	c->cb_ctx = ctx;
}

int ta_capture_drain(struct ta_capture *c)
{
	return ring_buffer__consume(c->ring);
}

int ta_capture_drain_round(struct ta_capture *c, bool *complete)
{
	unsigned long start[3] = { 0 };
	for (int i = 0; i < 3; i++)
		if (c->pos[i].cons)
			start[i] = ta_ring_pos_producer(&c->pos[i]);
	int n = ring_buffer__consume(c->ring);
	*complete = true;
	/* Short of where the producer stood: a record reserved before is still being written. */
	for (int i = 0; i < 3; i++)
		if (c->pos[i].cons && (long)(ta_ring_pos_consumer(&c->pos[i]) - start[i]) < 0)
			*complete = false;
	return n;
}

int ta_capture_probe_access(struct ta_capture *c)
{
	struct ta_config cfg;
	uint32_t zero = 0;

	return bpf_map_lookup_elem(c->m.config, &zero, &cfg) ? -errno : 0;
}

int ta_capture_set_idle(struct ta_capture *c, int idle)
{
	uint32_t zero = 0, v = idle ? 1 : 0;

	if (bpf_map_update_elem(c->m.wake_on_empty, &zero, &v, BPF_ANY))
		return -errno;
	return 0;
}

const char *ta_drop_reason_name(uint32_t reason)
{
	switch (reason) {
	case TA_DROP_RING_FULL:
		return "ring_full";
	case TA_DROP_NO_STATE:
		return "no_call_state";
	case TA_DROP_SESSION_SHARE:
		return "session_share";
	case TA_DROP_FOOTPRINT:
		return "footprint_ring_full";
	case TA_DROP_FD_CHANGED:
		return "fd_changed";
	case TA_DROP_CALL_TOO_LARGE:
		return "call_too_large";
	case TA_DROP_QUEUE_SHARE:
		return "queue_share";
	case TA_DROP_RETURN_MISSED:
		return "return_missed";
	case TA_DROP_UNATTRIBUTED:
		return "unattributed";
	case TA_DROP_UNREADABLE:
		return "unreadable";
	case TA_DROP_URING_UNSEEN:
		return "io_uring_unseen";
	case TA_DROP_LDISC:
		return "ldisc";
	default:
		return "unknown";
	}
}

int ta_capture_collect_drops(struct ta_capture *c, ta_drop_fn fn, void *ctx,
			     struct ta_drop_delta *total)
{
	struct ta_drop_counters *percpu = calloc((size_t)c->nr_cpus, sizeof(*percpu));
	struct ta_drop_counters sum = { 0, 0 };
	struct ta_session_drop_key key, next;
	int map_fd = c->m.session_drops;
	uint32_t zero = 0;
	void *prev = NULL;

	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(c->m.drops, &zero, percpu)) {
		free(percpu);
		return -errno;
	}
	for (int i = 0; i < c->nr_cpus; i++) {
		sum.events += percpu[i].events;
		sum.bytes += percpu[i].bytes;
	}
	free(percpu);
	ta_drop_ledger_begin(&c->drops, sum, total);
	while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
		struct ta_drop_counters now;

		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(map_fd, &key, &now))
			ta_drop_ledger_key(&c->drops, &key, now, fn, ctx);
	}
	ta_drop_ledger_end(&c->drops, fn, ctx);
	return 0;
}

void ta_capture_close(struct ta_capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->ring);
	for (int i = 0; i < 3; i++)
		ta_ring_pos_unmap(&c->pos[i]);
	detach_all(c);
	ta_bpf_destroy(&c->bpf);
	ta_drop_ledger_free(&c->drops);
	free(c);
}

// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "capture/diagnose.h"

static bool file_has(const char *path, const char *needle)
{
	char buf[4096];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

int ta_btf_file_check(const char *path)
{
	int fd = ta_open_named_regular(path, NULL);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

void ta_host_facts_read(struct ta_host_facts *f, const char *btf_path, bool have_bpf_caps)
{
	memset(f, 0, sizeof(*f));
	f->have_btf = ta_btf_file_check(btf_path) == 0;
	f->have_bpf_caps = have_bpf_caps;
	f->lockdown_confidentiality = file_has("/sys/kernel/security/lockdown", "[confidentiality]");
	/* "Seccomp:\t2" is filter mode; 1 is strict, where nothing of this would run. */
	f->seccomp_filtered = file_has("/proc/self/status", "Seccomp:\t2");
	f->have_kprobe_pmu = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
	f->tracefs_mounted = access("/sys/kernel/tracing/events", F_OK) == 0 ||
			     access("/sys/kernel/debug/tracing/events", F_OK) == 0;
	f->perf_event_paranoid = -2;
	FILE *p = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	if (p) {
		if (fscanf(p, "%d", &f->perf_event_paranoid) != 1)
			f->perf_event_paranoid = -2;
		fclose(p);
	}
}

/* Whether every backend that was tried was refused with `what`. */
static bool all_refused_with(const struct ta_capture_report *rep, const char *what)
{
	int tried = 0;

	for (int b = TA_BACKEND_FENTRY; b < TA_BACKEND_COUNT; b++) {
		if (!rep->refused[b][0])
			continue;
		tried++;
		if (!strstr(rep->refused[b], what))
			return false;
	}
	return tried > 0;
}

static bool any_refused_with(const struct ta_capture_report *rep, const char *what)
{
	for (int b = TA_BACKEND_FENTRY; b < TA_BACKEND_COUNT; b++)
		if (rep->refused[b][0] && strstr(rep->refused[b], what))
			return true;
	return false;
}

const char *ta_capture_explain(const struct ta_host_facts *f, const struct ta_capture_report *rep,
			       char *out, size_t cap)
{
	if (!f->have_btf)
		snprintf(out, cap, "no BTF for this kernel (" TA_KERNEL_BTF " is missing, or the "
				   "--btf file is not a regular file it can read): build the kernel with "
				   "CONFIG_DEBUG_INFO_BTF=y, or give --btf FILE with a BTF file made for "
				   "this exact kernel (BTFHub-style per-kernel files, or pahole -J on its "
				   "vmlinux; docs/capture.md)");
	else if (!f->have_bpf_caps)
		snprintf(out, cap, "missing privilege: loading the capture programs needs CAP_BPF and "
				   "CAP_PERFMON (or CAP_SYS_ADMIN) in the effective set; run as root "
				   "or through the ttyauditd unit");
	else if (f->lockdown_confidentiality)
		snprintf(out, cap, "kernel lockdown is in 'confidentiality' mode, which forbids BPF "
				   "programs to read kernel memory; boot with lockdown=integrity or none");
	else if (any_refused_with(rep, "ulimit -l"))
		snprintf(out, cap, "RLIMIT_MEMLOCK is too low for a kernel that charges BPF memory to "
				   "it (before 5.11): raise it before start (LimitMEMLOCK=infinity in "
				   "the unit, ulimit -l unlimited in a shell)");
	else if (all_refused_with(rep, "Operation not permitted") && f->seccomp_filtered)
		snprintf(out, cap, "bpf() was refused (EPERM) under a seccomp filter: the service "
				   "manager or container must allow the bpf system call");
	else if (all_refused_with(rep, "Operation not permitted"))
		snprintf(out, cap, "the kernel refused every BPF tracing program with EPERM although "
				   "the privileges are there: a security module (SELinux, AppArmor, "
				   "BPF LSM) or a container runtime's policy forbids them");
	else if (rep->programs == TA_PROGRAMS_FULL &&
		 (any_refused_with(rep, "bpf_loop") || any_refused_with(rep, "task_storage")))
		snprintf(out, cap, "the kernel lacks the bpf_loop helper or BPF task storage the full "
				   "programs use: start with --programs auto, which probes for them "
				   "and loads the fallback programs where they are missing");
	else if (rep->programs == TA_PROGRAMS_FALLBACK)
		snprintf(out, cap, "each backend was refused by the kernel for the reason given above, "
				   "with the fallback programs (%s)",
			 rep->kernel_lacks[0] ? rep->kernel_lacks : "asked for with --programs");
	else
		snprintf(out, cap, "each backend was refused by the kernel for the reason given above");
	return out;
}

const char *ta_backend_hint(const struct ta_host_facts *f, enum ta_backend b, const char *refused)
{
	if (b == TA_BACKEND_KPROBE && !f->have_kprobe_pmu)
		return f->tracefs_mounted ? "the kernel has no kprobe PMU (CONFIG_KPROBES off?)"
					  : "the kernel has no kprobe PMU (CONFIG_KPROBES off?) "
					    "and tracefs is not mounted for the legacy interface";
	if (b == TA_BACKEND_KPROBE && f->perf_event_paranoid >= 3 &&
	    (strstr(refused, "Permission denied") || strstr(refused, "Operation not permitted")))
		return "perf_event_paranoid is 3 or more (Debian's default), which keeps "
		       "perf_event_open, and so kprobes, for CAP_SYS_ADMIN (docs/service.md)";
	if (b == TA_BACKEND_FENTRY && strstr(refused, "Operation not permitted"))
		return "the kernel refuses fentry programs (no BPF trampoline support, or a "
		       "policy forbids them)";
	if (strstr(refused, "kernel has no function"))
		return "the function is renamed or inlined in this kernel";
	return NULL;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The cause named when no capture backend starts: one per host fact, in order of what to fix first. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "capture/diagnose.h"
#include "check.h"

static struct ta_capture_report refused(const char *fentry, const char *kprobe, const char *tp)
{
	struct ta_capture_report r;

	memset(&r, 0, sizeof(r));
	snprintf(r.refused[TA_BACKEND_FENTRY], sizeof(r.refused[0]), "%s", fentry);
	snprintf(r.refused[TA_BACKEND_KPROBE], sizeof(r.refused[0]), "%s", kprobe);
	snprintf(r.refused[TA_BACKEND_TRACEPOINT], sizeof(r.refused[0]), "%s", tp);
	return r;
}

static void on_alarm(int sig) { (void)sig; }

/*
 * --btf (or btf =) naming a FIFO: no BTF, said at once. access() passed it and
 * libbpf then waited in open() for a writer, the daemon with it, before any
 * recording. The alarm interrupts that wait, so the old code fails here.
 */
static void test_btf_fifo(void)
{
	char dir[] = "/tmp/ta-diagnose-XXXXXX", path[64];
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct ta_capture_opts o;
	struct ta_capture_report rep;
	struct ta_capture *c = NULL;
	struct ta_host_facts f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/btf", dir);
	CHECK_EQ_INT(mkfifo(path, 0600), 0);
	ta_host_facts_read(&f, path, true);
	CHECK(!f.have_btf);
	ta_host_facts_read(&f, dir, true);
	CHECK(!f.have_btf);
	memset(&o, 0, sizeof(o));
	o.ring_bytes = 1u << 20;
	snprintf(o.btf_path, sizeof(o.btf_path), "%s", path);
	CHECK_EQ_INT(sigaction(SIGALRM, &sa, &old), 0); /* no SA_RESTART */
	alarm(2);
	CHECK_EQ_INT(ta_capture_open(&c, &o, &rep), -ENOTSUP);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (c)
		ta_capture_close(c);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct ta_host_facts ok = { .have_btf = true, .have_bpf_caps = true, .have_kprobe_pmu = true };
	struct ta_host_facts f;
	struct ta_capture_report eperm = refused("load failed: Operation not permitted",
						 "load failed: Operation not permitted",
						 "load failed: Operation not permitted");
	struct ta_capture_report mixed = refused("load failed: Operation not permitted",
						 "attach of kprobe/n_tty_write failed: No such file",
						 "load failed: Invalid argument; libbpf: unknown func bpf_loop#181");
	char out[512];

	f = ok;
	f.have_btf = false;
	CHECK(strstr(ta_capture_explain(&f, &eperm, out, sizeof(out)), "no BTF"));
	f = ok;
	f.have_bpf_caps = false;
	CHECK(strstr(ta_capture_explain(&f, &eperm, out, sizeof(out)), "missing privilege"));
	CHECK(strstr(out, "CAP_BPF") && strstr(out, "CAP_PERFMON"));
	f = ok;
	f.lockdown_confidentiality = true;
	CHECK(strstr(ta_capture_explain(&f, &eperm, out, sizeof(out)), "lockdown"));
	f = ok;
	f.seccomp_filtered = true;
	CHECK(strstr(ta_capture_explain(&f, &eperm, out, sizeof(out)), "seccomp"));
	f = ok;
	CHECK(strstr(ta_capture_explain(&f, &eperm, out, sizeof(out)), "security module"));
	/* The full programs forced onto a kernel without bpf_loop: the way out is auto. */
	mixed.programs = TA_PROGRAMS_FULL;
	CHECK(strstr(ta_capture_explain(&f, &mixed, out, sizeof(out)), "bpf_loop"));
	CHECK(strstr(out, "--programs auto"));
	/* The fallback refused too: say it was tried, and why. */
	mixed.programs = TA_PROGRAMS_FALLBACK;
	snprintf(mixed.kernel_lacks, sizeof(mixed.kernel_lacks), "bpf_loop, BPF task storage");
	CHECK(strstr(ta_capture_explain(&f, &mixed, out, sizeof(out)), "fallback programs"));
	CHECK(strstr(out, "bpf_loop, BPF task storage"));
	struct ta_capture_report memlock = refused("load failed: Operation not permitted; libbpf: "
						   "permission error while running as root; try "
						   "raising 'ulimit -l'? current value: 64.0 KiB", "", "");
	CHECK(strstr(ta_capture_explain(&f, &memlock, out, sizeof(out)), "LimitMEMLOCK"));
	/* Never the old non-answer. */
	CHECK(!strstr(out, "this kernel"));

	f = ok;
	f.have_kprobe_pmu = false;
	CHECK(ta_backend_hint(&f, TA_BACKEND_KPROBE, "attach failed") != NULL);
	CHECK(strstr(ta_backend_hint(&f, TA_BACKEND_KPROBE, "x"), "tracefs is not mounted"));
	f.tracefs_mounted = true;
	CHECK(!strstr(ta_backend_hint(&f, TA_BACKEND_KPROBE, "x"), "tracefs"));
	CHECK(ta_backend_hint(&ok, TA_BACKEND_FENTRY, "load failed: Operation not permitted"));
	CHECK(ta_backend_hint(&ok, TA_BACKEND_TRACEPOINT, "load failed: Invalid argument") == NULL);
	f = ok;
	f.perf_event_paranoid = 3;
	CHECK(strstr(ta_backend_hint(&f, TA_BACKEND_KPROBE, "attach failed: Permission denied"),
		     "CAP_SYS_ADMIN"));
	f.perf_event_paranoid = 2;
	CHECK(ta_backend_hint(&f, TA_BACKEND_KPROBE, "attach failed: Permission denied") == NULL);
	test_btf_fifo();
	return check_result();
}

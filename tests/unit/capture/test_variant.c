// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which build of the capture programs a kernel gets: decided by what the
 * probes found (never by version), and what the fallback says it cannot do.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capture/variant.h"
#include "ttyaudit/event.h"
#include "check.h"

int main(void)
{
	const struct ta_kernel_features all = { true, true, true, true, false };
	/* 6.2 on: bpf_rdonly_cast too. */
	const struct ta_kernel_features typed = { true, true, true, true, true };
	/* Debian 11's 5.10: none of the helpers (it has tp_btf). */
	const struct ta_kernel_features none = { false, false, false, true, false };
	const struct ta_kernel_features nothing = { false, false, false, false, false };
	/* 5.11 to 5.16: task storage and bpf_get_current_task_btf, no bpf_loop. */
	const struct ta_kernel_features no_loop = { false, true, true, true, false };
	/* A kernel with bpf_loop whose tracing programs may not use task storage. */
	const struct ta_kernel_features no_storage = { true, false, true, true, false };
	const struct ta_kernel_features no_task_btf = { true, true, false, true, false };
	/* A policy that refuses fentry-like (tracing) programs, raw tracepoints allowed. */
	const struct ta_kernel_features no_tp_btf = { true, true, true, false, false };
	enum ta_programs p;
	char buf[128], num[32];

	CHECK(ta_programs_choose(&all, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FULL);
	CHECK(ta_programs_choose(&none, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FALLBACK);
	CHECK(ta_programs_choose(&no_loop, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FALLBACK);
	CHECK(ta_programs_choose(&no_storage, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FALLBACK);
	CHECK(ta_programs_choose(&no_task_btf, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FALLBACK);
	CHECK(ta_programs_choose(&no_tp_btf, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FALLBACK);
	/* The typed build: the full programs where the kernel also has bpf_rdonly_cast. */
	CHECK(ta_programs_choose(&typed, TA_PROGRAMS_AUTO) == TA_PROGRAMS_FULL);
	CHECK(ta_programs_typed(&typed, TA_PROGRAMS_FULL));
	CHECK(!ta_programs_typed(&all, TA_PROGRAMS_FULL));
	CHECK(!ta_programs_typed(&typed, TA_PROGRAMS_FALLBACK));
	CHECK(!strcmp(ta_kernel_features_missing(&typed, buf, sizeof(buf)), ""));
	/* Asked for by name: taken as asked, whatever the probes say. */
	CHECK(ta_programs_choose(&all, TA_PROGRAMS_FALLBACK) == TA_PROGRAMS_FALLBACK);
	CHECK(ta_programs_choose(&none, TA_PROGRAMS_FULL) == TA_PROGRAMS_FULL);

	CHECK(!strcmp(ta_kernel_features_missing(&all, buf, sizeof(buf)), ""));
	CHECK(!strcmp(ta_kernel_features_missing(&none, buf, sizeof(buf)),
		      "bpf_loop, BPF task storage, bpf_get_current_task_btf"));
	CHECK(!strcmp(ta_kernel_features_missing(&no_loop, buf, sizeof(buf)), "bpf_loop"));
	CHECK(!strcmp(ta_kernel_features_missing(&no_storage, buf, sizeof(buf)),
		      "BPF task storage"));
	CHECK(!strcmp(ta_kernel_features_missing(&no_task_btf, buf, sizeof(buf)),
		      "bpf_get_current_task_btf"));
	CHECK(!strcmp(ta_kernel_features_missing(&no_tp_btf, buf, sizeof(buf)),
		      "typed tracepoint programs (tp_btf)"));
	CHECK(!strcmp(ta_kernel_features_missing(&nothing, buf, sizeof(buf)),
		      "bpf_loop, BPF task storage, bpf_get_current_task_btf, "
		      "typed tracepoint programs (tp_btf)"));
	/* Truncated, still terminated. */
	CHECK(strlen(ta_kernel_features_missing(&none, buf, 9)) == 8);
	CHECK(strlen(ta_kernel_features_missing(&nothing, buf, 20)) == 19);

	for (int i = 0; i < TA_PROGRAMS_COUNT; i++) {
		CHECK(ta_programs_parse(ta_programs_name((enum ta_programs)i), &p) == 0);
		CHECK(p == (enum ta_programs)i);
	}
	CHECK(ta_programs_parse("fast", &p) == -EINVAL);
	CHECK(ta_programs_parse("", &p) == -EINVAL);

	/* The fallback states its limits with the figures its programs are built with. */
	CHECK(!strcmp(ta_programs_limitations(TA_PROGRAMS_FULL), ""));
	const char *lim = ta_programs_limitations(TA_PROGRAMS_FALLBACK);
	snprintf(num, sizeof(num), "%u KiB", TA_FB_CHUNK_STEPS * TA_CHUNK_MAX / 1024);
	CHECK(strstr(lim, num));
	snprintf(num, sizeof(num), "%u components", TA_FB_CWD_DEPTH);
	CHECK(strstr(lim, num));
	snprintf(num, sizeof(num), "%u terminal calls", TA_FB_STATE_PER_USER);
	CHECK(strstr(lim, num));
	CHECK(strstr(lim, "call_too_large") && strstr(lim, "no_call_state"));
	/* Filling the table takes more users than one unprivileged user can be. */
	CHECK(TA_FB_STATE_ENTRIES / TA_FB_STATE_PER_USER >= 16);
	return check_result();
}

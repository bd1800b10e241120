/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 32-bit system calls (int 0x80) from a 64-bit x86 process, for the tests of
 * the capture's compat road. A kernel built with IA32 emulation off, or off
 * by default (ia32_emulation=off), answers int 0x80 with a general protection
 * fault: the road does not exist there, for an attacker either, and the tests
 * say so instead of crashing (int80_available()).
 */
#ifndef TA_TEST_INT80_H
#define TA_TEST_INT80_H

#if defined(__x86_64__)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* A 32-bit system call: arguments in ebx, ecx, edx (pointers must be below 4 GiB). */
static inline long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* 1 if int 0x80 reaches the kernel's 32-bit table (tried in a child: getpid), else 0. */
static inline int int80_available(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(int80(20 /* getpid */, 0, 0, 0) > 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
#endif

#endif

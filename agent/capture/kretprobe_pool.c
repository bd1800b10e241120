// SPDX-License-Identifier: GPL-2.0-or-later
/* Return probes with a larger pool of instances: see kretprobe_pool.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "capture/kretprobe_pool.h"

#define TRACEFS "/sys/kernel/tracing"
#define GROUP "ttyaudit"

/* A child's answer: "id N" or "err ERRNO STEP". */
struct answer {
	long long id;
	int err;
	char step[64];
};

static int write_line(const char *path, const char *line)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, line, strlen(line));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/*
 * In the child: a tracefs to write to. The host's if mounted (a systemd host
 * mounts it at boot); else one mounted in a private mount namespace, which
 * dies with the child: the host's mount table never changes.
 */
static const char *child_tracefs(const char **step)
{
	if (access(TRACEFS "/kprobe_events", W_OK) == 0)
		return TRACEFS;
	*step = "unshare(CLONE_NEWNS)";
	if (unshare(CLONE_NEWNS))
		return NULL;
	*step = "making the private mount namespace private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return NULL;
	*step = "mount tracefs in a private mount namespace";
	if (mount("nodev", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		return NULL;
	*step = "kprobe_events";
	if (access(TRACEFS "/kprobe_events", W_OK))
		return NULL;
	return TRACEFS;
}

/* In the child: remove the event, then add it again if maxactive; report its id. */
static void child_run(int out, const char *func, unsigned maxactive)
{
	const char *step = "tracefs", *dir = child_tracefs(&step);
	char line[256], path[512], idtext[32] = "";
	int err = 0, fd;
	ssize_t n;

	if (!dir) {
		err = errno;
		goto done;
	}
	snprintf(path, sizeof(path), "%s/kprobe_events", dir);
	/* A leftover of a daemon that died without removing it; absent is fine. */
	snprintf(line, sizeof(line), "-:%s/%s_ret\n", GROUP, func);
	err = -write_line(path, line);
	if (err == ENOENT || err == EINVAL)
		err = 0;
	step = "removing the probe event";
	if (err || !maxactive)
		goto done;
	snprintf(line, sizeof(line), "r%u:%s/%s_ret %s\n", maxactive, GROUP, func, func);
	step = "adding the probe event";
	err = -write_line(path, line);
	if (err)
		goto done;
	snprintf(path, sizeof(path), "%s/events/%s/%s_ret/id", dir, GROUP, func);
	step = "reading the probe event's id";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto done;
	}
	n = read(fd, idtext, sizeof(idtext) - 1);
	close(fd);
	if (n <= 0) {
		err = n < 0 ? errno : EIO;
		goto done;
	}
	idtext[n] = '\0';
done:
	if (err)
		snprintf(line, sizeof(line), "err %d %s", err, step);
	else
		snprintf(line, sizeof(line), "id %s", idtext[0] ? idtext : "0");
	if (write(out, line, strlen(line)) < 0)
		_exit(1);
	_exit(0);
}

/* Run child_run in a child process; 0 and a->id, or -errno with a->step. */
static int run_child(const char *func, unsigned maxactive, struct answer *a)
{
	char text[128];
	int p[2], status;
	ssize_t n;
	pid_t pid;

	memset(a, 0, sizeof(*a));
	snprintf(a->step, sizeof(a->step), "fork");
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		child_run(p[1], func, maxactive);
	}
	close(p[1]);
	n = read(p[0], text, sizeof(text) - 1);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return -EIO;
	text[n] = '\0';
	if (sscanf(text, "id %lld", &a->id) == 1)
		return a->id > 0 || !maxactive ? 0 : -EIO;
	if (sscanf(text, "err %d %63[^\n]", &a->err, a->step) == 2 && a->err > 0)
		return -a->err;
	return -EIO;
}

int ta_kretprobe_pool_attach(struct bpf_program *prog, const char *func, unsigned maxactive,
			     struct bpf_link **link, char *why, size_t why_len)
{
	struct perf_event_attr attr;
	struct answer a;
	int err, pfd;

	*link = NULL;
	if (!maxactive || strlen(func) > 64 || strspn(func, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(func))
		return -EINVAL;
	err = run_child(func, maxactive, &a);
	if (err) {
		snprintf(why, why_len, "%s: %s", a.step, strerror(-err));
		return err;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = (unsigned long long)a.id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	pfd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		err = -errno;
		snprintf(why, why_len, "perf_event_open of the probe event: %s", strerror(-err));
		ta_kretprobe_pool_remove(func);
		return err;
	}
	*link = bpf_program__attach_perf_event(prog, pfd);
	if (!*link) {
		err = -errno;
		close(pfd);
		snprintf(why, why_len, "attach to the probe event: %s", strerror(-err));
		ta_kretprobe_pool_remove(func);
		return err ? err : -EIO;
	}
	return 0;
}

int ta_kretprobe_pool_remove(const char *func)
{
	struct answer a;

	return run_child(func, 0, &a);
}

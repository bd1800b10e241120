// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ta-ptydrive: plays a fixed terminal session through a real pty, so tests can
 * compare what ttyauditd recorded with what was typed and shown.
 *
 *   ta-ptydrive [--loginuid UID] [--comm NAME] [--big BYTES] [--write-size BYTES] [--tag TAG]
 *
 * The child (the "session") optionally becomes a login session by writing
 * /proc/self/loginuid, optionally renames itself, then:
 *   prints "TAG READY\n"; reads a line with echo on, prints "TAG GOT:<line>\n";
 *   turns echo off, reads a line, prints "TAG PWLEN:<n>\n";
 *   writes BYTES of a pattern in write()s of --write-size (default 128 KiB, as
 *   cat does; 0 = one write), then three iovecs with writev;
 *   sets the window size to 40x100; runs /bin/echo TAG-exec arg "two words"
 *   (if present); exits.
 * The parent types "hello TAG\n" and "s3cret-TAG\n" at the prompts and reads the
 * master until EOF. On stdout it prints one line of facts as JSON:
 *   {"tag":..., "pid":..., "auid":..., "ses":..., "tty":"pts/N", "big":N, "cwd":...,
 *    "exec_exe":...}
 * exec_exe: /bin/echo with its symlinks resolved (realpath(3)), the file the
 * exec runs: /usr/bin/echo on a merged /usr, /bin/busybox in the VMs' image.
 * (the test's directories have no quotes or backslashes in their names)
 * Exit 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "ta-ptydrive: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

static void read_proc_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
	}
}

/* The pattern every test expects for the big write: byte i is (i * 7 + i / 251) & 0xff. */
static void fill_pattern(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 7 + i / 251) & 0xff);
}

static int child_session(const char *tag, const char *loginuid, const char *comm, size_t big,
			 size_t write_size, int facts_fd)
{
	char line[256], auid[32], ses[32], ttyname_buf[64] = "", cwd[512], exe[PATH_MAX];
	struct termios t;
	struct winsize ws = { .ws_row = 40, .ws_col = 100 };
	unsigned char *pattern;
	struct iovec iov[3];
	char a[] = "iov-one|", b[] = "iov-two|", c[] = "iov-three\n";

	if (loginuid) {
		int fd = open("/proc/self/loginuid", O_WRONLY);

		if (fd < 0 || write(fd, loginuid, strlen(loginuid)) < 0)
			die("write /proc/self/loginuid");
		close(fd);
	}
	if (comm && prctl(PR_SET_NAME, comm, 0, 0, 0))
		die("prctl");
	read_proc_line("/proc/self/loginuid", auid, sizeof(auid));
	read_proc_line("/proc/self/sessionid", ses, sizeof(ses));
	if (ttyname_r(0, ttyname_buf, sizeof(ttyname_buf)))
		ttyname_buf[0] = '\0';
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "?");
	if (!realpath("/bin/echo", exe))
		exe[0] = '\0';
	dprintf(facts_fd, "{\"tag\":\"%s\",\"pid\":%d,\"auid\":%s,\"ses\":%s,\"tty\":\"%s\",\"big\":%zu,"
		"\"cwd\":\"%s\",\"exec_exe\":\"%s\"}\n", tag, getpid(), auid, ses,
		ttyname_buf + (strncmp(ttyname_buf, "/dev/", 5) ? 0 : 5), big, cwd, exe);
	close(facts_fd);

	printf("%s READY\n", tag);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	line[strcspn(line, "\n")] = '\0';
	printf("%s GOT:%s\n", tag, line);
	fflush(stdout);

	tcgetattr(0, &t);
	t.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(0, TCSANOW, &t);
	printf("%s PASSWORD?\n", tag);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 3;
	line[strcspn(line, "\n")] = '\0';
	t.c_lflag |= ECHO;
	tcsetattr(0, TCSANOW, &t);
	printf("%s PWLEN:%zu\n", tag, strlen(line));
	fflush(stdout);

	if (big) {
		pattern = malloc(big);
		if (!pattern)
			die("malloc");
		fill_pattern(pattern, big);
		for (size_t off = 0; off < big;) {
			size_t n = write_size && big - off > write_size ? write_size : big - off;

			write_all(1, pattern + off, n);
			off += n;
		}
		free(pattern);
	}
	iov[0] = (struct iovec){ a, strlen(a) };
	iov[1] = (struct iovec){ b, strlen(b) };
	iov[2] = (struct iovec){ c, strlen(c) };
	if (writev(1, iov, 3) < 0)
		die("writev");
	if (ioctl(0, TIOCSWINSZ, &ws))
		die("TIOCSWINSZ");
	if (access("/bin/echo", X_OK) == 0) {
		char exec_tag[64];

		snprintf(exec_tag, sizeof(exec_tag), "%s-exec", tag);
		execl("/bin/echo", "echo", exec_tag, "arg", "two words", (char *)NULL);
		die("exec");
	}
	printf("%s-exec arg two words\n", tag);
	return 0;
}

/* Read from the master until `want` appears (or EOF when want is NULL). */
static int read_until(int master, const char *want, char *seen, size_t *seen_len, size_t cap)
{
	for (;;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		char buf[65536];
		ssize_t n;

		if (want && memmem(seen, *seen_len, want, strlen(want)))
			return 0;
		if (poll(&p, 1, 30000) <= 0)
			return -1;
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			return want ? -1 : 0;
		/* Keep only the tail: prompts are short, output can be large. */
		if (*seen_len + (size_t)n > cap) {
			size_t keep = cap / 2;

			memmove(seen, seen + *seen_len - (*seen_len > keep ? keep : *seen_len),
				*seen_len > keep ? keep : *seen_len);
			*seen_len = *seen_len > keep ? keep : *seen_len;
		}
		if ((size_t)n > cap - *seen_len)
			n = (ssize_t)(cap - *seen_len);
		memcpy(seen + *seen_len, buf, (size_t)n);
		*seen_len += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "loginuid", required_argument, NULL, 'l' },
		{ "comm", required_argument, NULL, 'c' },
		{ "big", required_argument, NULL, 'b' },
		{ "tag", required_argument, NULL, 't' },
		{ "write-size", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *loginuid = NULL, *comm = NULL, *tag = "S1";
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	size_t big = 0, write_size = 128 << 10, seen_len = 0, cap = 1 << 20;
	char want[128], input[128], facts[512];
	char *seen = malloc(cap);
	int master, status, o, facts_pipe[2];
	ssize_t fl;
	pid_t pid;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': loginuid = optarg; break;
		case 'c': comm = optarg; break;
		case 'b': big = strtoull(optarg, NULL, 0); break;
		case 't': tag = optarg; break;
		case 'w': write_size = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: ta-ptydrive [--loginuid UID] [--comm NAME] [--big BYTES] "
					"[--write-size BYTES] [--tag TAG]\n");
			return 2;
		}
	}
	if (!seen || pipe(facts_pipe))
		die("setup");
	pid = forkpty(&master, NULL, NULL, &ws);
	if (pid < 0)
		die("forkpty");
	if (pid == 0) {
		close(facts_pipe[0]);
		_exit(child_session(tag, loginuid, comm, big, write_size, facts_pipe[1]));
	}
	close(facts_pipe[1]);
	fl = read(facts_pipe[0], facts, sizeof(facts) - 1);
	close(facts_pipe[0]);
	if (fl <= 0) {
		fprintf(stderr, "ta-ptydrive: the session did not start\n");
		return 1;
	}
	facts[fl] = '\0';

	snprintf(want, sizeof(want), "%s READY", tag);
	if (read_until(master, want, seen, &seen_len, cap))
		goto timeout;
	snprintf(input, sizeof(input), "hello %s\n", tag);
	write_all(master, input, strlen(input));
	snprintf(want, sizeof(want), "%s PASSWORD?", tag);
	if (read_until(master, want, seen, &seen_len, cap))
		goto timeout;
	snprintf(input, sizeof(input), "s3cret-%s\n", tag);
	write_all(master, input, strlen(input));
	read_until(master, NULL, seen, &seen_len, cap);
	waitpid(pid, &status, 0);
	fputs(facts, stdout);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
timeout:
	fprintf(stderr, "ta-ptydrive: %s: timed out waiting for '%s'\n", tag, want);
	kill(pid, SIGKILL);
	return 1;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ptybench: terminal workloads for the capture benchmark (bench/run.sh).
 * Prints one line of key=value figures; never judges them.
 *
 *   ptybench cat FILE
 *       The session runs `cat FILE` on a fresh pty (default termios, as a
 *       terminal has them); the parent reads the master as fast as it can.
 *   ptybench write --bytes N [--write-size W]
 *       The session writes N bytes of text lines in write()s of W bytes
 *       (default 65536; W=64 is a flood of 64-byte lines, one per write).
 *   ptybench latency [--count N]
 *       Keystroke round trip: the parent writes one byte into the master and
 *       waits for the line discipline's echo (slave in non-canonical mode
 *       with ECHO, a reader in the session consuming the input). Prints
 *       p50/p90/p99/max in microseconds over N round trips (default 10000).
 *   ptybench flood --sessions K --bytes N [--write-size W] [--rate MBPS]
 *                  [--loginuid UID]
 *       K sessions at once, each on its own raw pty, each writing N bytes
 *       (as fast as it can, or paced to MBPS MB/s each); one reader thread
 *       per master. Each session counts what its write()s accepted; that
 *       total is what a recorder must account for (recorded + lost).
 *       --loginuid sets the sessions' audit login uid, so a recorder can be
 *       told to record only them (--include-auid UID).
 *
 * Output (one line): mode=... bytes_written=N bytes_read=N seconds=S
 * mb_per_s=R (MB = 10^6 bytes) writer_user_s= writer_sys_s= reader_cpu_s=
 * (CPU seconds of the writing processes and of the reading parent), or for latency: count=N p50_us= p90_us=
 * p99_us= max_us= mean_us=. Exit 0 on success, 1 on error, 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF (64 * 1024)
#define MAX_SESSIONS 64

static void die(const char *what)
{
	fprintf(stderr, "ptybench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0) {
		fprintf(stderr, "ptybench: bad size '%s'\n", s);
		exit(2);
	}
	switch (*end) {
	case 'k': case 'K': v *= 1024; break;
	case 'm': case 'M': v *= 1024 * 1024; break;
	case 'g': case 'G': v *= 1024.0 * 1024 * 1024; break;
	case '\0': break;
	default:
		fprintf(stderr, "ptybench: bad size '%s'\n", s);
		exit(2);
	}
	return (uint64_t)v;
}

/* Reads a master until the slave side is gone (EIO); returns bytes read. */
static uint64_t drain(int fd)
{
	static __thread char buf[READ_BUF];
	uint64_t total = 0;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			total += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* 0 or EIO: every slave fd is closed */
	}
	return total;
}

/* A buffer of printable text lines (like a listing), line length linelen. */
static char *text_buffer(size_t len, size_t linelen)
{
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ./-_:";
	char *b = malloc(len);
	uint32_t x = 2463534242u;

	if (!b)
		die("malloc");
	for (size_t i = 0; i < len; i++) {
		if (linelen && i % linelen == linelen - 1) {
			b[i] = '\n';
			continue;
		}
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		b[i] = alphabet[x % (sizeof(alphabet) - 1)];
	}
	return b;
}

static void set_loginuid(const char *uid)
{
	int fd = open("/proc/self/loginuid", O_WRONLY);

	if (fd < 0 || write(fd, uid, strlen(uid)) < 0)
		die("write /proc/self/loginuid");
	close(fd);
}

/* Writes `bytes` from a cyclic text buffer in chunks of ws, paced to rate
 * bytes/s if rate > 0. Returns what the write()s accepted. */
static uint64_t write_all(int fd, uint64_t bytes, size_t ws, double rate)
{
	size_t buflen = ws > (1 << 20) ? ws : (1 << 20);
	char *buf = text_buffer(buflen + ws, ws < 200 ? ws : 100);
	uint64_t done = 0;
	size_t off = 0;
	double t0 = now_s();

	while (done < bytes) {
		size_t n = ws;
		if (bytes - done < n)
			n = (size_t)(bytes - done);
		ssize_t w = write(fd, buf + off, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		done += (uint64_t)w;
		off = (off + (size_t)w) % buflen;
		if (rate > 0) {
			double ahead = (double)done / rate - (now_s() - t0);
			if (ahead > 0.0005) {
				struct timespec ts = { (time_t)ahead,
						       (long)((ahead - (double)(time_t)ahead) * 1e9) };
				nanosleep(&ts, NULL);
			}
		}
	}
	return done;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* CPU time of the writers (reaped children: their syscalls, so the kernel's
 * capture programs on the write path) and of this reader, beside wall time:
 * on a busy machine CPU time is the steadier figure. */
static void print_rate(const char *mode, uint64_t written, uint64_t rd, double secs)
{
	struct rusage ch, self;

	getrusage(RUSAGE_CHILDREN, &ch);
	getrusage(RUSAGE_SELF, &self);
	printf("mode=%s bytes_written=%llu bytes_read=%llu seconds=%.6f mb_per_s=%.3f"
	       " writer_user_s=%.3f writer_sys_s=%.3f reader_cpu_s=%.3f\n", mode,
	       (unsigned long long)written, (unsigned long long)rd, secs,
	       secs > 0 ? (double)written / secs / 1e6 : 0.0, tv_s(ch.ru_utime), tv_s(ch.ru_stime),
	       tv_s(self.ru_utime) + tv_s(self.ru_stime));
}

static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---------------------------------------------------------------- cat */

static int run_cat(const char *file)
{
	struct stat st;
	int master;

	if (stat(file, &st))
		die(file);

	double t0 = now_s();
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0)
		die("forkpty");
	if (pid == 0) {
		execlp("cat", "cat", file, (char *)NULL);
		_exit(127);
	}
	uint64_t rd = drain(master);
	int rc = reap(pid);
	double secs = now_s() - t0;
	close(master);
	if (rc) {
		fprintf(stderr, "ptybench: cat exited with %d\n", rc);
		return 1;
	}
	print_rate("cat", (uint64_t)st.st_size, rd, secs);
	return 0;
}

/* -------------------------------------------------------------- write */

static int run_write(uint64_t bytes, size_t ws)
{
	int master, pfd[2];
	uint64_t written = 0;

	if (pipe(pfd))
		die("pipe");
	double t0 = now_s();
	pid_t pid = forkpty(&master, NULL, NULL, NULL);
	if (pid < 0)
		die("forkpty");
	if (pid == 0) {
		close(pfd[0]);
		uint64_t w = write_all(STDOUT_FILENO, bytes, ws, 0);
		if (write(pfd[1], &w, sizeof(w)) != sizeof(w))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	uint64_t rd = drain(master);
	int rc = reap(pid);
	double secs = now_s() - t0;
	if (read(pfd[0], &written, sizeof(written)) != sizeof(written) || rc) {
		fprintf(stderr, "ptybench: writer failed (%d)\n", rc);
		return 1;
	}
	close(master);
	print_rate(ws <= 256 ? "write-small" : "write", written, rd, secs);
	return 0;
}

/* ------------------------------------------------------------ latency */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int run_latency(long count)
{
	struct termios t;
	int master;
	char c;

	memset(&t, 0, sizeof(t));
	t.c_iflag = 0;
	t.c_oflag = 0;
	t.c_cflag = CS8 | CREAD;
	t.c_lflag = ECHO; /* non-canonical, kernel echo on */
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	cfsetispeed(&t, B38400);
	cfsetospeed(&t, B38400);

	pid_t pid = forkpty(&master, NULL, &t, NULL);
	if (pid < 0)
		die("forkpty");
	if (pid == 0) {
		char buf[256];
		if (write(STDOUT_FILENO, "R", 1) != 1)
			_exit(1);
		/* like a shell waiting for keys: consume input until hangup */
		while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
			;
		_exit(0);
	}
	if (read(master, &c, 1) != 1 || c != 'R') {
		fprintf(stderr, "ptybench: session did not start\n");
		return 1;
	}
	double *lat = malloc(sizeof(double) * (size_t)count);
	if (!lat)
		die("malloc");
	/* warm-up round trips are not counted */
	for (long i = -100; i < count; i++) {
		char k = (char)('a' + (i & 15)), e;
		double t0 = now_s();
		if (write(master, &k, 1) != 1)
			die("write master");
		for (;;) {
			ssize_t n = read(master, &e, 1);
			if (n == 1)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			die("read echo");
		}
		double dt = now_s() - t0;
		if (e != k) {
			fprintf(stderr, "ptybench: echo '%c' for '%c'\n", e, k);
			return 1;
		}
		if (i >= 0)
			lat[i] = dt * 1e6;
	}
	kill(pid, SIGHUP);
	close(master);
	reap(pid);
	double sum = 0;
	for (long i = 0; i < count; i++)
		sum += lat[i];
	qsort(lat, (size_t)count, sizeof(double), cmp_d);
#define PCT(p) lat[(long)((double)(count - 1) * (p))]
	printf("mode=latency count=%ld p50_us=%.2f p90_us=%.2f p99_us=%.2f max_us=%.2f mean_us=%.2f\n",
	       count, PCT(0.50), PCT(0.90), PCT(0.99), lat[count - 1], sum / (double)count);
	free(lat);
	return 0;
}

/* -------------------------------------------------------------- flood */

struct session {
	int master;
	pid_t pid;
	uint64_t read;
	pthread_t thr;
};

static void *reader(void *arg)
{
	struct session *s = arg;

	s->read = drain(s->master);
	return NULL;
}

static int run_flood(int k, uint64_t bytes, size_t ws, double rate_mb, const char *loginuid)
{
	struct session ss[MAX_SESSIONS];
	struct termios raw;
	int pfd[2], go[2];
	uint64_t written = 0;
	int bad = 0;

	memset(&raw, 0, sizeof(raw));
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	if (pipe(pfd) || pipe(go))
		die("pipe");
	for (int i = 0; i < k; i++) {
		ss[i].pid = forkpty(&ss[i].master, NULL, &raw, NULL);
		if (ss[i].pid < 0)
			die("forkpty");
		if (ss[i].pid == 0) {
			char b;
			close(pfd[0]);
			close(go[1]);
			if (loginuid)
				set_loginuid(loginuid);
			/* start together, once every pty exists */
			if (read(go[0], &b, 1) < 0)
				_exit(1);
			uint64_t w = write_all(STDOUT_FILENO, bytes, ws, rate_mb * 1e6);
			if (write(pfd[1], &w, sizeof(w)) != sizeof(w))
				_exit(1);
			_exit(0);
		}
	}
	close(pfd[1]);
	close(go[0]);
	for (int i = 0; i < k; i++)
		if (pthread_create(&ss[i].thr, NULL, reader, &ss[i]))
			die("pthread_create");
	double t0 = now_s();
	close(go[1]); /* EOF on go: all sessions start */
	uint64_t rd = 0;
	for (int i = 0; i < k; i++) {
		pthread_join(ss[i].thr, NULL);
		rd += ss[i].read;
	}
	for (int i = 0; i < k; i++)
		if (reap(ss[i].pid))
			bad++;
	double secs = now_s() - t0;
	for (int i = 0; i < k; i++) {
		uint64_t w;
		if (read(pfd[0], &w, sizeof(w)) != sizeof(w))
			bad++;
		else
			written += w;
		close(ss[i].master);
	}
	if (bad) {
		fprintf(stderr, "ptybench: %d session(s) failed\n", bad);
		return 1;
	}
	char mode[32];
	snprintf(mode, sizeof(mode), "flood sessions=%d", k);
	print_rate(mode, written, rd, secs);
	return 0;
}

/* --------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: ptybench cat FILE\n"
		"       ptybench write --bytes N [--write-size W]\n"
		"       ptybench latency [--count N]\n"
		"       ptybench flood --sessions K --bytes N [--write-size W] [--rate MBPS]"
		" [--loginuid UID]\n"
		"       ptybench syscalls [--count N]\n");
	exit(2);
}

/* ------------------------------------------------------------ syscalls */

/*
 * System calls that never touch a terminal: read of /dev/zero, write to
 * /dev/null (numbers the capture programs look at, on fds they reject) and
 * getppid (a number they skip at once). Raw sys_enter/sys_exit programs run
 * for every system call of the host; this is what that costs everyone else.
 */
static int run_syscalls(long count)
{
	struct timespec t0, t1;
	char byte = 0;
	int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (zero < 0 || null < 0)
		die("open /dev/zero, /dev/null");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		if (read(zero, &byte, 1) != 1 || write(null, &byte, 1) != 1)
			die("read/write");
		(void)getppid();
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* CPU time too: the capture programs run on this process's CPU, and on a busy
	 * machine waiting for a core inflates wall time far more than they do. */
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
	printf("mode=syscalls count=%ld calls=%ld seconds=%.6f ns_per_call=%.1f cpu_ns_per_call=%.1f\n",
	       count, count * 3, secs, secs * 1e9 / (double)(count * 3), cpu * 1e9 / (double)(count * 3));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bytes", required_argument, NULL, 'b' },
		{ "write-size", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "sessions", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "loginuid", required_argument, NULL, 'l' },
		{ 0, 0, 0, 0 },
	};
	uint64_t bytes = 0;
	size_t ws = 65536;
	long count = 10000;
	int sessions = 1;
	double rate = 0;
	const char *loginuid = NULL;
	int c;

	if (argc < 2)
		usage();
	const char *mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'b': bytes = parse_size(optarg); break;
		case 'w': ws = (size_t)parse_size(optarg); break;
		case 'c': count = atol(optarg); break;
		case 's': sessions = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 'l': loginuid = optarg; break;
		default: usage();
		}
	}
	/* a dead reader must not kill a writer silently: errors are reported */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "cat")) {
		if (optind >= argc)
			usage();
		return run_cat(argv[optind]);
	}
	if (!strcmp(mode, "write")) {
		if (!bytes || !ws)
			usage();
		return run_write(bytes, ws);
	}
	if (!strcmp(mode, "latency")) {
		if (count < 1)
			usage();
		return run_latency(count);
	}
	if (!strcmp(mode, "syscalls")) {
		if (count < 1)
			usage();
		return run_syscalls(count);
	}
	if (!strcmp(mode, "flood")) {
		if (!bytes || !ws || sessions < 1 || sessions > MAX_SESSIONS)
			usage();
		return run_flood(sessions, bytes, ws, rate, loginuid);
	}
	usage();
	return 2;
}

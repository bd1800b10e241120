// SPDX-License-Identifier: GPL-2.0
/*
 * Backend "tracepoint": the raw sys_enter/sys_exit tracepoints, for kernels
 * where function tracing (fentry, kprobes) is unavailable or locked down.
 *
 * Raw tracepoints attach through bpf(BPF_RAW_TRACEPOINT_OPEN): no tracefs,
 * no perf_event_open, so a host that never mounted tracefs records from the
 * start and the daemon needs no CAP_SYS_ADMIN. One program sees every system
 * call of the host, so it looks at the call number first and returns at once
 * for anything else. Unlike the tp/syscalls tracepoints, which skip 32-bit
 * calls on x86, it also sees int 0x80 calls of 64-bit processes; their
 * convention is decided before their numbers are read.
 *
 * Output: write, writev, pwritev(2) to a tty, read back from the caller's
 * buffer at exit once the kernel says how much went through. Input on ptys:
 * bytes written into the master (what the slave's line discipline receives);
 * on other ttys (console, serial, virtual consoles) the receive path is
 * invisible here, so input is taken where a process reads it (READ_SIDE).
 * sendfile, splice and Linux AIO into a tty are counted (UNCAPTURED); io_uring
 * is not seen at all.
 *
 * The session's footprint (files, network, privilege: footprint.bpf.h) is
 * hooked into the same two programs through the same table of call kinds,
 * when the daemon turned it on.
 */
/* The terminals' identity cache (capture_common.bpf.h), where the kernel has all the full build needs. */
#ifndef TA_NO_TASK_STORAGE
#define TA_TTY_CACHE 1
#endif
/* Typed programs only: what hangs off a terminal is read with plain loads in the typed build. */
#define TA_TYPED_TTY 1
#include "capture_common.bpf.h"
#include "call_kinds.bpf.h"
#include "fd_flips.bpf.h"
#include "footprint.bpf.h"

#define TA_TIOCSTI 0x5412
#define TA_TIOCSWINSZ 0x5414
/* Setting a terminal's modes (tcsetattr and the older forms): TCSETS.., TCSETA.., TCSETS2.. */
#define TA_TCSETS 0x5402
#define TA_TCSETSF 0x5404
#define TA_TCSETA 0x5406
#define TA_TCSETAF 0x5408
#define TA_TCSETS2 0x402c542b
#define TA_TCSETSF2 0x402c542d
/* Linux AIO (linux/aio_abi.h): opcodes that write, and where struct iocb keeps things. */
#define TA_IOCB_CMD_PWRITE 1
#define TA_IOCB_CMD_PWRITEV 8
#define TA_IOCB_OFF_OPCODE 16
#define TA_IOCB_OFF_FILDES 20
#define TA_IOCB_OFF_BUF 24
#define TA_IOCB_OFF_NBYTES 32
/*
 * iocbs looked at per io_submit; a larger batch, or one whose iocbs cannot be
 * read here (a page not resident), is counted as a call_too_large loss.
 */
#define TA_AIO_MAX 8
/* fcntl commands that install a copy of an fd. */
#define TA_F_DUPFD 0
#define TA_F_DUPFD_CLOEXEC 1030

/*
 * What a pending call moves. TA_CALL_INJECT: a TIOCSTI ioctl, recorded at
 * exit and only when the kernel accepted it (a refused one was never typed).
 */
enum { TA_CALL_WRITE = 0, TA_CALL_READ = 1, TA_CALL_UNCAPTURED = 2, TA_CALL_INJECT = 3 };

/*
 * The record flags each kind of call adds. Looked up, not branched on: one
 * path through the exit's emission for every kind instead of one per flag.
 */
static const volatile __u16 ta_call_side_flags[4] = {
	[TA_CALL_READ] = TA_F_READ_SIDE,
	[TA_CALL_INJECT] = TA_F_INJECTED,
};

/*
 * A fingerprint of the first TA_DIGEST_MAX bytes of a write's buffer, taken
 * at entry and again at exit: the kernel copies from the buffer while the
 * call runs (a write held by TCOOFF copies nothing until it is released), so
 * a buffer changed in between means the recorded bytes may not be what the
 * terminal got. Keyed (ta_digest_word), eight words a step.
 */
struct ta_scratch {
	__u64 w[TA_DIGEST_MAX / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_scratch);
} ta_scratch SEC(".maps");

struct ta_digest_ctx {
	__u64 h;
	__u32 words;
	__u32 pad;
};

static int ta_digest_step(__u32 i, void *ctx)
{
	struct ta_digest_ctx *c = ctx;
	__u32 zero = 0;
	struct ta_scratch *s = bpf_map_lookup_elem(&ta_scratch, &zero);

	if (!s)
		return 1;
	for (int k = 0; k < 8; k++) {
		__u32 j = i * 8 + k;

		if (j >= c->words)
			return 1;
		c->h += ta_digest_word(s->w[j & (TA_DIGEST_MAX / 8 - 1)],
				       ta_digest_key[j & (TA_DIGEST_MAX / 8 - 1)]);
	}
	return 0;
}

/*
 * unreadable: what to return when the buffer cannot be read, 1 at entry and
 * 2 at exit, so that a buffer unreadable at both never compares equal.
 */
static __always_inline __u64 ta_digest_user(__u64 buf, __u64 count, __u64 unreadable)
{
	struct ta_digest_ctx c = { .h = 0 };
	__u32 zero = 0, n = count > TA_DIGEST_MAX ? TA_DIGEST_MAX : count;
	struct ta_scratch *s = bpf_map_lookup_elem(&ta_scratch, &zero);
	__u8 *b;

	asm volatile("" : "+r"(n));
	if (!s || n == 0 || n > TA_DIGEST_MAX)
		return 0;
	if (bpf_probe_read_user(s->w, n, (void *)buf))
		return unreadable;
	/* A short line: the same fingerprint without the loop (and its map lookup per step). */
	if (n <= TA_DIGEST_SMALL)
		return ta_digest_small((__u8 *)s->w, n);
	/* Zero the rest of the last word: what an earlier call left there is not data. */
	b = (__u8 *)s->w;
	for (int k = 0; k < 7; k++) {
		__u32 j = n + k;

		if ((j & 7) == 0)
			break;
		b[j & (TA_DIGEST_MAX - 1)] = 0;
	}
	c.words = (n + 7) / 8;
	c.h = n;
	TA_LOOP(TA_DIGEST_MAX / 64, ta_digest_step, &c);
	return c.h;
}

/*
 * Whether to watch a write on an fd that is no terminal at entry: another
 * thread sharing the fd table can make the fd name a terminal before the
 * kernel looks it up (flipping it between /dev/null and a tty). Threads of
 * terminal or login sessions are watched, and any thread of a table already
 * seen changing a terminal fd (fd_flips.bpf.h); other daemons are spared.
 */
static __always_inline bool ta_watch_non_tty(__u64 files)
{
	struct task_struct *task = TA_CUR_TASK();

	if (!files)
		return false;
	if (TA_TASK_READ(task, signal, tty) || TA_TASK_READ(task, sessionid) != TA_UNSET)
		return true;
	return bpf_map_lookup_elem(&ta_fd_flips, &files) != NULL;
}

static __always_inline int ta_enter_io(__u32 fd, __u64 buf, __u32 nr_segs, __u32 mode,
				       __u32 compat_iov, __u64 count)
{
	struct task_struct *task = TA_CUR_TASK();
	struct ta_task_state *ts;
	struct tty_struct *tty;
	struct file *f;
	__u64 files;

	f = ta_fd_file(fd);
	tty = ta_file_tty(f);
	/*
	 * Off a terminal only what writes to one is watched (writes, injections,
	 * sendfile and splice: a flip can give them a terminal during the call);
	 * pty input is taken where it enters, at the master (reading it again
	 * would double it).
	 */
	if (!tty ? mode == TA_CALL_READ : mode == TA_CALL_READ && ta_tty_is_pty(tty))
		return 0;
	files = ta_shared_files();
	/* An empty fd too: a terminal can be installed in it during the call. */
	if (!tty && !ta_watch_non_tty(files))
		return 0;
	/* The daemon's own output: asked only here, as most calls are off any terminal. */
	if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	ts = ta_task_state_get(true);
	if (!ts) {
		if (tty)
			ta_count_tty_loss(tty, mode == TA_CALL_WRITE || mode == TA_CALL_UNCAPTURED,
					  count, TA_DROP_NO_STATE);
		return 0;
	}
	ts->call.tty = (__u64)tty;
	ts->call.buf = buf;
	ts->call.nr_segs = nr_segs;
	ts->call.is_read = mode;
	ts->call.lflag = tty ? ta_tty_lflag(tty) : 0;
	ts->call.compat_iov = compat_iov;
	ts->call.file = (__u64)f;
	ts->call.count = count;
	ts->call.fd = fd;
	ts->call.nvcsw = TA_TASK_READ(task, nvcsw);
	ts->call.digest = 0;
	if (tty && (mode == TA_CALL_WRITE || mode == TA_CALL_INJECT) && !nr_segs)
		ts->call.digest = ta_digest_user(buf, count, 1);
	ts->call.files = files;
	ts->call.flips = 0;
	ts->call.flip_busy = 0;
	if (ts->call.files) {
		struct ta_flip_view v;

		ta_flips_view(ts->call.files, &v);
		ts->call.flips = v.started;
		ts->call.flip_busy = v.busy;
	}
	ts->call.active = 1;
	return 0;
}

/*
 * dup, dup2, dup3, fcntl(F_DUPFD*), close, close_range in a shared fd table:
 * counted as a change (fd_flips.bpf.h) if the table is hot or the change
 * involves a terminal, which makes it hot.
 */
static __always_inline int ta_fd_change(int kind, const struct ta_sys_args *s)
{
	struct tty_struct *tty = NULL;
	struct ta_task_state *ts;
	struct ta_fd_flips *fl;
	__u64 key;

	if (kind == TA_K_FCNTL && s->a[1] != TA_F_DUPFD && s->a[1] != TA_F_DUPFD_CLOEXEC)
		return 0;
	key = ta_shared_files();
	if (!key)
		return 0;
	/* close_range: the terminals in its range are not looked for; it counts as involving one. */
	if (kind != TA_K_CLOSE_RANGE) {
		tty = ta_fd_tty(s->a[0]);
		if (!tty && (kind == TA_K_DUP2 || kind == TA_K_DUP3))
			tty = ta_fd_tty(s->a[1]);
	}
	fl = bpf_map_lookup_elem(&ta_fd_flips, &key);
	if (!fl) {
		if (!tty && kind != TA_K_CLOSE_RANGE)
			return 0;
		fl = ta_flips_make(&key, (__u64)tty);
		if (!fl)
			return 0;
	}
	/* Without call state the change never finishes: the table's calls stay suspect. */
	ts = ta_task_state_get(true);
	__sync_fetch_and_add(&fl->started, 1);
	if (tty && key != TA_FLIP_GLOBAL)
		fl->tty = (__u64)tty;
	if (ts)
		ts->flip = key;
	return 0;
}

static __always_inline void ta_fd_change_done(struct ta_task_state *ts)
{
	__u64 key = ts->flip;
	struct ta_fd_flips *fl;

	ts->flip = 0;
	fl = key == TA_FLIP_GLOBAL ? ta_flips_global() : bpf_map_lookup_elem(&ta_fd_flips, &key);
	if (fl)
		__sync_fetch_and_add(&fl->finished, 1);
}

/* A table whose fd was seen naming another file at exit than at entry: hot from now on. */
static __always_inline void ta_flips_heat(__u64 files, __u64 tty)
{
	__u64 key = files;
	struct ta_fd_flips *fl;

	if (!files)
		return;
	fl = ta_flips_make(&key, tty);
	if (fl && tty && key != TA_FLIP_GLOBAL)
		fl->tty = tty;
}

/*
 * What the exit can vouch for: the fd still names the file it named at entry,
 * a plain write moved all it asked and its buffer is unchanged, and a call
 * too large or too scattered for the fingerprint did not block.
 *
 * TA_DIGEST_LATE: a plain write of at most TA_DIGEST_SMALL bytes is
 * fingerprinted again where its bytes are copied into the record
 * (ta_digest_small in TA_EMIT_CLASS): one read of the buffer instead of two,
 * and the bytes recorded are exactly the bytes compared, with no window
 * between the check and the copy for another thread to change them in.
 * Returned with the flags, not through a pointer: sys_exit's frame has no
 * slot to spare (see ta_exit_io).
 */
#define TA_DIGEST_LATE 0x10000u

static __always_inline __u32 ta_exit_suspect(const struct ta_pending_call *call, long ret,
					      struct file *now)
{
	struct task_struct *task = TA_CUR_TASK();

	if ((__u64)now != call->file)
		return TA_F_SUSPECT;
	if (call->is_read != TA_CALL_WRITE && call->is_read != TA_CALL_INJECT)
		return 0;
	if (!call->nr_segs && (__u64)ret != call->count)
		return TA_F_SUSPECT;
	if (!call->nr_segs && call->count <= TA_DIGEST_SMALL)
		return TA_DIGEST_LATE;
	if (!call->nr_segs && call->count <= TA_DIGEST_MAX)
		return ta_digest_user(call->buf, call->count, 2) == call->digest ? 0 : TA_F_SUSPECT;
	return TA_TASK_READ(task, nvcsw) != call->nvcsw ? TA_F_SUSPECT : 0;
}

static __always_inline int ta_exit_io(long ret)
{
	struct ta_task_state *ts = ta_task_state_get(false);
#ifdef TA_NO_TASK_STORAGE
	struct ta_pending_call copy;
	struct ta_pending_call *call = &copy;
#else
	struct ta_pending_call *call;
#endif
#ifndef TA_NO_BPF_LOOP
	struct ta_chunk_loop on_stack, *lc = &on_stack;
#else
	struct ta_chunk_loop *lc;
	__u32 zero = 0;
#endif
	struct ta_flip_view v = {};
	bool flipped = false;
	struct file *now;
	__u32 late = 0;
	__u16 flags = 0;

	if (!ts)
		return 0;
	if (ts->flip) {
		ta_fd_change_done(ts);
		/* The fallback's table holds a thread only while it is inside a call. */
		if (!ts->call.active)
			ta_task_state_done(ts);
		return 0;
	}
	if (!ts->call.active)
		return 0;
#ifdef TA_NO_TASK_STORAGE
	/* The fallback's table entry goes with ta_task_state_done: keep the call. */
	copy = ts->call;
#else
	/*
	 * Task storage outlives the call: read it in place. A copy took 112
	 * bytes of sys_exit's frame, which with bpf_loop's callback on top of it
	 * must stay within 512 bytes on 6.1.
	 */
	call = &ts->call;
#endif
	ts->call.active = 0;
	ta_task_state_done(ts);
	/*
	 * TIOCSTI returns 0 for its one byte taken. The count, not a constant 1:
	 * the verifier then sees the same unknown length as for a write, and
	 * checks the emission once for both.
	 */
	if (call->is_read == TA_CALL_INJECT) {
		if (ret != 0)
			return 0;
		ret = call->count;
	}
	if (ret <= 0)
		return 0;
	/*
	 * The fd before the changes' count: a change that put back the file the
	 * entry saw counted itself before it did, so it is in the count read
	 * after. Read the other way round, a flip back landing between the two
	 * reads left the call unflagged with the kernel's write gone elsewhere.
	 */
	now = ta_fd_file(call->fd);
	if (call->files) {
		/* A change of the fd table overlapped the call: the kernel may have seen another file. */
		ta_flips_view(call->files, &v);
		flipped = call->flip_busy || v.started != call->flips;
	}
	if (!call->tty) {
		/*
		 * A watched write: the fd names a terminal now, or a change let it
		 * name the table's terminal for a while. Where the data went is
		 * unknown: recorded there, suspect.
		 */
		struct tty_struct *tty = ta_file_tty(now);

		if (tty)
			ta_flips_heat(call->files, (__u64)tty);
		else if (flipped)
			tty = (struct tty_struct *)v.tty;
		if (!tty) {
			if (flipped) {
				struct task_struct *t = (struct task_struct *)bpf_get_current_task();

				ta_count_loss(BPF_CORE_READ(t, sessionid), BPF_CORE_READ(t, loginuid.val),
					      ret, TA_DROP_FD_CHANGED);
			}
			return 0;
		}
		call->tty = (__u64)tty;
		call->lflag = ta_tty_lflag(tty);
		call->digest = 0;
		flags = TA_F_SUSPECT;
	} else {
		/*
		 * Split at once: flags is only stored, never branched on, so the
		 * verifier need not tell its values apart; late is the one bit the
		 * exit branches on (6.1 ran out of its million instructions while the
		 * whole of both were branched on as one).
		 */
		late = ta_exit_suspect(call, ret, now);
		flags = (__u16)late;
		late = late >> 16;
		if ((__u64)now != call->file)
			ta_flips_heat(call->files, call->tty);
		if (flipped)
			flags |= TA_F_SUSPECT;
	}
	if (call->is_read == TA_CALL_UNCAPTURED) {
		ta_emit_uncaptured((struct tty_struct *)call->tty, ret, call->nr_segs);
		return 0;
	}
#ifdef TA_NO_BPF_LOOP
	/*
	 * The fallback's chunk loop runs on per-CPU scratch (ta_fb_chunk_step):
	 * the state is built there, not on this frame, which at 424 bytes with
	 * the step's on top made exactly 5.10's 512 (one spilled value more was
	 * a refused backend).
	 */
	lc = bpf_map_lookup_elem(&ta_loop_scratch, &zero);
	if (!lc) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		ta_count_loss(BPF_CORE_READ(t, sessionid), BPF_CORE_READ(t, loginuid.val), ret,
			      TA_DROP_NO_STATE);
		return 0;
	}
#endif
	if (!ta_prepare(&lc->em, (struct tty_struct *)call->tty,
			call->is_read ? TA_EV_TTY_INPUT : TA_EV_TTY_OUTPUT, TA_SRC_SYSCALL,
			ta_call_side_flags[call->is_read & 3] | flags, call->lflag))
		return 0;
	lc->em.buf = call->buf;
	lc->em.nr_segs = call->nr_segs;
	lc->em.user = call->compat_iov ? TA_MEM_USER_COMPAT_IOV : TA_MEM_USER;
	if (late) {
		/* A redaction marker copies no bytes: compare the buffer itself. */
		if (lc->em.tmpl.hdr.flags & TA_F_REDACTED) {
			if (ta_digest_user(call->buf, call->count, 2) != call->digest)
				lc->em.tmpl.hdr.flags |= TA_F_SUSPECT;
		} else {
			lc->em.digest = call->digest;
			lc->em.check_digest = 1;
		}
	}
	ta_emit_data(lc, ret);
	return 0;
}

/* ioctl: window size changes, and TIOCSTI (input pushed by a process). */
static __always_inline int ta_ioctl(__u32 fd, unsigned int cmd, __u64 arg)
{
	struct tty_struct *tty;
	bool set_modes = (cmd >= TA_TCSETS && cmd <= TA_TCSETSF) ||
			 (cmd >= TA_TCSETA && cmd <= TA_TCSETAF) ||
			 (cmd >= TA_TCSETS2 && cmd <= TA_TCSETSF2);

	if (cmd != TA_TIOCSWINSZ && cmd != TA_TIOCSTI && !set_modes)
		return 0;
	if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/*
	 * TIOCSTI: recorded at exit if the kernel takes it (it may refuse: not the
	 * caller's terminal, legacy_tiocsti off); an fd that names no terminal now
	 * is watched like a write's, since another thread can make it name one.
	 */
	if (cmd == TA_TIOCSTI)
		return ta_enter_io(fd, arg, 0, TA_CALL_INJECT, 0, 1);
	tty = ta_fd_tty(fd);
	if (!tty)
		return 0;
	if (set_modes) {
		ta_modes_set(tty);
		return 0;
	}
	if (cmd == TA_TIOCSWINSZ) {
		struct winsize ws = {};

		if (bpf_probe_read_user(&ws, sizeof(ws), (void *)arg))
			return 0;
		ta_emit_winsize(tty, &ws, TA_SRC_SYSCALL);
	}
	return 0;
}

/*
 * An io_submit whose iocbs were not all read: any of the others may have
 * written to a terminal. Counted as one call_too_large loss (no bytes known)
 * of the caller's session, for a caller in a recorded session only (a
 * database's AIO outside any session is no terminal's business).
 */
static __always_inline void ta_aio_unread(void)
{
	struct tty_struct *ctty;
	__u32 ses, auid;

	if (ta_caller_recorded(&ctty, &ses, &auid))
		ta_count_loss(ses, auid, 0, TA_DROP_CALL_TOO_LARGE);
}

/*
 * Linux AIO writes to a tty complete inside io_submit for a terminal, but
 * nothing returns per iocb: they are counted as uncaptured, with the bytes
 * they asked to write.
 */
static __always_inline int ta_io_submit(long nr, __u64 iocbpp, bool compat)
{
	bool unread = nr > TA_AIO_MAX;

	if (ta_is_self(bpf_get_current_pid_tgid() >> 32) || nr <= 0)
		return 0;
	for (int i = 0; i < TA_AIO_MAX; i++) {
		__u64 iocb = 0, nbytes = 0, iovp = 0;
		__u16 opcode = 0;
		__u32 fd = 0;
		struct tty_struct *tty;

		if (i >= nr)
			break;
		if (compat) {
			__u32 p32 = 0;

			if (bpf_probe_read_user(&p32, sizeof(p32), (void *)(iocbpp + 4 * i))) {
				unread = true;
				break;
			}
			iocb = p32;
		} else if (bpf_probe_read_user(&iocb, sizeof(iocb), (void *)(iocbpp + 8 * i))) {
			unread = true;
			break;
		}
		if (bpf_probe_read_user(&opcode, sizeof(opcode), (void *)(iocb + TA_IOCB_OFF_OPCODE)) ||
		    bpf_probe_read_user(&fd, sizeof(fd), (void *)(iocb + TA_IOCB_OFF_FILDES)) ||
		    bpf_probe_read_user(&nbytes, sizeof(nbytes), (void *)(iocb + TA_IOCB_OFF_NBYTES))) {
			unread = true;
			continue;
		}
		if (opcode != TA_IOCB_CMD_PWRITE && opcode != TA_IOCB_CMD_PWRITEV)
			continue;
		tty = ta_fd_tty(fd);
		if (!tty)
			continue;
		if (opcode == TA_IOCB_CMD_PWRITEV) {
			/* nbytes counts iovecs: the first one's length is all that is cheap to say. */
			struct iovec iov = {};

			if (!bpf_probe_read_user(&iovp, sizeof(iovp), (void *)(iocb + TA_IOCB_OFF_BUF)) &&
			    !compat && !bpf_probe_read_user(&iov, sizeof(iov), (void *)iovp))
				nbytes = iov.iov_len;
			else
				nbytes = 0;
		}
		ta_emit_uncaptured(tty, nbytes, TA_NR_io_submit);
	}
	if (unread)
		ta_aio_unread();
	return 0;
}

/* One dispatcher for every kind, in either convention. */
static __always_inline int ta_enter_call(int kind, long nr, bool compat, const struct ta_sys_args *s)
{
	switch (kind) {
	case TA_K_WRITE:
		return ta_enter_io(s->a[0], s->a[1], 0, TA_CALL_WRITE, 0, s->a[2]);
	case TA_K_READ:
		return ta_enter_io(s->a[0], s->a[1], 0, TA_CALL_READ, 0, s->a[2]);
	case TA_K_WRITEV:
		return s->a[2] ? ta_enter_io(s->a[0], s->a[1], s->a[2], TA_CALL_WRITE, compat, 0) : 0;
	case TA_K_READV:
		return s->a[2] ? ta_enter_io(s->a[0], s->a[1], s->a[2], TA_CALL_READ, compat, 0) : 0;
	case TA_K_SENDFILE:
		/* sendfile(out_fd, in_fd, ...): the data never passes through user memory. */
		return ta_enter_io(s->a[0], 0, nr, TA_CALL_UNCAPTURED, 0, 0);
	case TA_K_SPLICE:
		/* splice(fd_in, off_in, fd_out, off_out, len, flags) into a tty. */
		return ta_enter_io(s->a[2], 0, nr, TA_CALL_UNCAPTURED, 0, 0);
	case TA_K_IOCTL:
		return ta_ioctl(s->a[0], s->a[1], s->a[2]);
	case TA_K_IO_SUBMIT:
		return ta_io_submit(s->a[1], s->a[2], compat);
	case TA_K_DUP:
	case TA_K_DUP2:
	case TA_K_DUP3:
	case TA_K_FCNTL:
	case TA_K_CLOSE:
	case TA_K_CLOSE_RANGE:
		return ta_fd_change(kind, s);
	default:
		return 0;
	}
}

TA_SYSCALL_TP("sys_enter")
int ta_raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct ta_sys_args s;
	long nr = ctx->args[1];
	bool compat;
	int kind = ta_entry_kind(nr, &compat);
	__u32 props;

	if (kind == TA_K_NONE)
		return 0;
	props = ta_kind_props(kind);
	if (props & TA_KP_FOOTPRINT) {
		/*
		 * The footprint's entry is a program of its own, reached by a tail
		 * call for processes in a session (footprint.bpf.c): inlined here,
		 * its paths multiplied this one's past the verifier's limit, and as
		 * a function its frame added to this one's past 512 bytes on 6.1.
		 */
		if (ta_fp_mode && ta_fp_in_session())
			bpf_tail_call(ctx, &ta_fp_progs, 0);
		return 0;
	}
	/* Unix connects and binds are taken at their exit (unix_sockets.bpf.c). */
	if (!ta_syscall_io || (props & TA_KP_UNIX))
		return 0;
	ta_call_args(regs, compat, &s);
	return ta_enter_call(kind, nr, compat, &s);
}

TA_SYSCALL_TP("sys_exit")
int ta_raw_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	long ret = ctx->args[1];

	/* Only calls an entry could have left pending: cheaper than a map lookup for all. */
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = TA_REGS_READ(regs, orig_ax);
	__u32 props = ta_exit_props(nr);

	/* A number can name a footprint call in one convention and terminal I/O in another. */
	if (ta_fp_mode && (props & TA_KP_FOOTPRINT))
		ta_fp_exit(nr, ret);
	/*
	 * A unix connect or bind goes on in its own program (ta_exit_progs); no
	 * number is one in a convention and terminal I/O in another. The
	 * terminal I/O stays last: code after it multiplied 5.10's verification.
	 */
	if ((props & (TA_KP_UNIX | TA_KP_EXIT)) == TA_KP_UNIX) {
		bpf_tail_call(ctx, &ta_exit_progs, 0);
		return 0;
	}
	/* With a function backend this program is here for the footprint alone. */
	if (!ta_syscall_io || !(props & TA_KP_EXIT))
		return 0;
#endif
	return ta_exit_io(ret);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring's terminal writes, for the tracepoint backend: requests move data
 * without a system call each, so they are counted (UNCAPTURED, or an
 * io_uring_unseen loss) where the request completes or is submitted; the
 * data itself is not read. Also, for every backend, the requests of the
 * footprint's kinds, and unix connects and binds where the unix family's
 * functions are not hooked (unix_sockets.bpf.c). Raw tracepoints: the
 * system call programs' typed reads (TA_TYPED_TTY) are not for them, so they
 * are a source of their own.
 */
/* The terminals' identity cache (capture_common.bpf.h), shared with the system call programs. */
#ifndef TA_NO_TASK_STORAGE
#define TA_TTY_CACHE 1
#endif
#include "capture_common.bpf.h"
#include "footprint.bpf.h"
#include "unix_sockets.bpf.h"

/* io_uring opcodes (include/uapi/linux/io_uring.h) that move terminal data. */
#define TA_IORING_OP_READV 1
#define TA_IORING_OP_WRITEV 2
#define TA_IORING_OP_READ_FIXED 4
#define TA_IORING_OP_WRITE_FIXED 5
#define TA_IORING_OP_READ 22
#define TA_IORING_OP_WRITE 23
#define TA_IORING_OP_SPLICE 30
#define TA_IORING_OP_READ_MULTISHOT 49
#define TA_IORING_OP_READV_FIXED 60
#define TA_IORING_OP_WRITEV_FIXED 61

/* Opcodes of unix connects and binds (TA_IORING_OP_CONNECT is the footprint's). */
#define TA_IORING_OP_BIND 56

static __always_inline bool ta_uring_unix_op(__u8 op)
{
	return op == TA_IORING_OP_CONNECT || op == TA_IORING_OP_BIND;
}

/*
 * A connect or bind request that succeeded, where the unix family's
 * functions are not hooked (ta_unix_uring): recorded by the socket it
 * reached or bound, when that is a unix one. One that failed is not: its
 * address lives in a per-opcode layout that changes between kernels.
 */
static __always_inline void ta_uring_unix_done(struct file *file, __u8 op)
{
	struct sock *sk = ta_unix_sock(ta_file_socket(file));

	if (sk)
		ta_unix_record(op == TA_IORING_OP_CONNECT ? TA_UNIX_CONNECT : TA_UNIX_BIND, sk, 0, 0,
			       0, true, TA_SRC_SYSCALL);
}

static __always_inline bool ta_uring_read_op(__u8 op)
{
	return op == TA_IORING_OP_READV || op == TA_IORING_OP_READ_FIXED || op == TA_IORING_OP_READ ||
	       op == TA_IORING_OP_READ_MULTISHOT || op == TA_IORING_OP_READV_FIXED;
}

/* The opcodes that move terminal data. */
static __always_inline bool ta_uring_tty_op(__u8 op)
{
	return ta_uring_read_op(op) || op == TA_IORING_OP_WRITEV || op == TA_IORING_OP_WRITE_FIXED ||
	       op == TA_IORING_OP_WRITE || op == TA_IORING_OP_SPLICE ||
	       op == TA_IORING_OP_WRITEV_FIXED;
}

/*
 * io_uring moves data without a system call per request: the completion of
 * each request is where its file and result are known. Writes into a
 * terminal, and reads of a terminal whose input is taken on the read side,
 * are counted as uncaptured with the bytes the request moved (the data
 * itself is not read here). The second argument is the request from 5.19
 * on (its other arguments changed in 6.3); before, the tracepoint had no
 * request (ctx, user_data, res), and requests no completion entry: the
 * loader does not load this program there (agent/capture/capture.c).
 */
SEC("raw_tp/io_uring_complete")
int ta_raw_io_uring_complete(struct bpf_raw_tracepoint_args *ctx)
{
	struct io_kiocb *req = (struct io_kiocb *)ctx->args[1];
	struct tty_struct *tty;
	__u8 op;
	int res;

	/* A kernel without io_uring, or with an older request layout: nothing to read. */
	if (!bpf_core_type_exists(struct io_kiocb) || !bpf_core_field_exists(req->cqe))
		return 0;
	if (!req)
		return 0;
	op = BPF_CORE_READ(req, opcode);
	res = BPF_CORE_READ(req, cqe.res);
	/*
	 * A client reaching a shared terminal's server, or a server binding
	 * (unix_sockets.bpf.h); the footprint's kinds (opens, renames,
	 * connects...: footprint.bpf.h). None of them moves terminal data.
	 */
	if ((ta_unix_uring && ta_uring_unix_op(op)) || (ta_fp_mode && ta_fp_uring_op(op))) {
		struct file *file;

		if (ta_is_self(bpf_get_current_pid_tgid() >> 32))
			return 0;
		file = BPF_CORE_READ(req, file);
		if (ta_unix_uring && ta_uring_unix_op(op) && res == 0)
			ta_uring_unix_done(file, op);
		if (ta_fp_mode && ta_fp_uring_op(op))
			ta_fp_io_uring(file, op, res);
		return 0;
	}
	if (!ta_syscall_io)
		return 0;
	if (!ta_uring_tty_op(op))
		return 0;
	if (res <= 0 || ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	/* A raw tracepoint's program: through the helper (ta_file_tty). */
	tty = ta_file_tty_raw(BPF_CORE_READ(req, file));
	if (!tty)
		return 0;
	/* Pty input is taken at the master, whoever writes it. */
	if (ta_uring_read_op(op) && ta_tty_is_pty(tty))
		return 0;
	ta_emit_uncaptured(tty, res, TA_NR_io_uring_enter);
	return 0;
}

/* The request flags that mirror the submission's IOSQE_* bits (io_uring_types.h). */
#define TA_REQ_F_FIXED_FILE (1U << 0)
#define TA_REQ_F_CQE_SKIP (1U << 6)

/* One io_uring request of the caller's that cannot be followed: counted, no bytes known. */
static __always_inline void ta_uring_unseen(void)
{
	struct tty_struct *ctty;
	__u32 ses, auid;

	if (ta_caller_recorded(&ctty, &ses, &auid))
		ta_count_loss(ses, auid, 0, TA_DROP_URING_UNSEEN);
}

/*
 * A request submitted with IOSQE_CQE_SKIP_SUCCESS posts no completion when it
 * succeeds, so io_uring_complete never sees it. It is counted here, at
 * submission, before its file is looked up (that happens when it is issued):
 * an fd that names a terminal makes an uncaptured record with the bytes
 * unknown (the length lives in a per-opcode layout); a registered file, a
 * request of the footprint's kinds or a unix connect or bind taken at
 * completion, or an fd that names no terminal now (it may when the request
 * is issued: a request linked behind another is issued when that one
 * completes, after any dup2 of the caller's), one io_uring_unseen loss of a
 * recorded caller. A skipped request that fails posts its completion with
 * its error, which io_uring_complete leaves alone: its count here stands for
 * a write that may not have happened.
 */
static __always_inline int ta_uring_submitted(struct io_kiocb *req)
{
	struct tty_struct *tty;
	__u32 flags;
	__u8 op;

	/* The fd at submission (6.0 on); before, these requests are not followed. */
	if (!bpf_core_type_exists(struct io_kiocb) || !bpf_core_field_exists(req->cqe.fd) ||
	    !bpf_core_field_exists(req->flags) || !req)
		return 0;
	/* The low bits of a flags word that is 64 bits wide from 6.10 on (a little-endian read). */
	flags = BPF_CORE_READ(req, flags);
	if (!(flags & TA_REQ_F_CQE_SKIP) || ta_is_self(bpf_get_current_pid_tgid() >> 32))
		return 0;
	op = BPF_CORE_READ(req, opcode);
	if ((ta_fp_mode && ta_fp_uring_op(op)) || (ta_unix_uring && ta_uring_unix_op(op))) {
		ta_uring_unseen();
		return 0;
	}
	if (!ta_syscall_io || !ta_uring_tty_op(op))
		return 0;
	if (flags & TA_REQ_F_FIXED_FILE) {
		ta_uring_unseen();
		return 0;
	}
	tty = ta_file_tty_raw(ta_fd_file(BPF_CORE_READ(req, cqe.fd)));
	if (!tty) {
		ta_uring_unseen();
		return 0;
	}
	if (ta_uring_read_op(op) && ta_tty_is_pty(tty))
		return 0;
	ta_emit_uncaptured(tty, 0, TA_NR_io_uring_enter);
	return 0;
}

/* The tracepoint's name from 6.4 on; capture.c loads whichever of the two the kernel has. */
SEC("raw_tp/io_uring_submit_req")
int ta_raw_io_uring_submit_req(struct bpf_raw_tracepoint_args *ctx)
{
	return ta_uring_submitted((struct io_kiocb *)ctx->args[0]);
}

/* Its name before 6.4: the request first from 5.19 on (earlier kernels lack cqe.fd). */
SEC("raw_tp/io_uring_submit_sqe")
int ta_raw_io_uring_submit_sqe(struct bpf_raw_tracepoint_args *ctx)
{
	return ta_uring_submitted((struct io_kiocb *)ctx->args[0]);
}

/*
 * A completion that finds the completion queue full is kept on an overflow
 * list, and on recent kernels without passing io_uring_complete (older ones
 * traced it first: there it is counted twice, never missed). This tracepoint
 * names no request: one io_uring_unseen loss of the caller's session,
 * whatever the request was.
 */
SEC("raw_tp/io_uring_cqe_overflow")
int ta_raw_io_uring_cqe_overflow(struct bpf_raw_tracepoint_args *ctx)
{
	if (!ta_is_self(bpf_get_current_pid_tgid() >> 32))
		ta_uring_unseen();
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

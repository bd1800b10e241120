// SPDX-License-Identifier: GPL-2.0-or-later
/* Validation of raw ring-buffer records: every length is a claim. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "logfmt/record_types.h"
#include "check.h"

static size_t make_tty(uint8_t *buf, uint32_t len, uint64_t off, uint64_t total)
{
	struct ta_tty_event *e = (void *)buf;

	memset(buf, 0, sizeof(*e) + len);
	e->hdr.version = TA_EVENT_VERSION;
	e->hdr.kind = TA_EV_TTY_OUTPUT;
	e->hdr.source = TA_SRC_SYSCALL;
	e->hdr.size = (uint32_t)(sizeof(*e) + len);
	e->task.pid = 42;
	memcpy(e->task.comm, "0123456789abcdefXX", 16); /* not terminated */
	memcpy(e->tty.name, "pts7", 4);
	e->tty.driver_type = TA_TTY_DRIVER_PTY;
	e->len = len;
	e->offset = off;
	e->total_len = total;
	for (uint32_t i = 0; i < len; i++)
		e->data[i] = (uint8_t)i;
	return sizeof(*e) + len;
}

int main(void)
{
	uint8_t *buf = calloc(1, 65536);
	struct ta_event ev;
	struct ta_tty_event *e = (void *)buf;
	size_t n;

	n = make_tty(buf, 100, 0, 100);
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), 0);
	CHECK_EQ_INT(ev.len, 100);
	CHECK_EQ_INT(ev.data[99], 99);
	CHECK_EQ_INT(ev.task.pid, 42);
	CHECK_EQ_INT(ev.task.comm[15], 0);       /* forced termination */
	CHECK_EQ_STR(ev.tty.name, "pts7");
	CHECK_EQ_STR(ta_tty_kind_name(&ev.tty), "pty");

	/* Ring slots are larger than the record: accepted. */
	CHECK_EQ_INT(ta_event_decode(buf, n + 512, &ev), 0);
	/* Shorter than the header says. */
	CHECK_EQ_INT(ta_event_decode(buf, n - 1, &ev), -EBADMSG);
	CHECK_EQ_INT(ta_event_decode(buf, 3, &ev), -EBADMSG);
	CHECK_EQ_INT(ta_event_decode(NULL, 0, &ev), -EBADMSG);

	n = make_tty(buf, 100, 0, 100);
	e->len = 101;                                /* payload longer than the record */
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -EBADMSG);
	n = make_tty(buf, 100, 0, 100);
	e->len = TA_CHUNK_MAX + 1;
	e->hdr.size = (uint32_t)(sizeof(*e) + TA_CHUNK_MAX + 1);
	CHECK_EQ_INT(ta_event_decode(buf, 65536, &ev), -EBADMSG);
	n = make_tty(buf, 100, 50, 120);             /* chunk runs past the call's end */
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -EBADMSG);
	n = make_tty(buf, 100, UINT64_MAX - 10, UINT64_MAX); /* overflow attempt */
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -EBADMSG);
	n = make_tty(buf, 10, 0, 10);
	e->hdr.flags = TA_F_REDACTED;                /* redacted must carry no data */
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -EBADMSG);
	n = make_tty(buf, 10, 0, 10);
	e->hdr.version = 99;
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -EPROTONOSUPPORT);
	n = make_tty(buf, 10, 0, 10);
	e->hdr.kind = 77;
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -ENOTSUP);
	n = make_tty(buf, 10, 0, 10);
	e->hdr.size = 8;                             /* smaller than the fixed part */
	CHECK_EQ_INT(ta_event_decode(buf, n, &ev), -EBADMSG);

	/* exec: filename slot must hold a string; argv, cwd and exe bounded. */
	{
		struct ta_exec_event *x = (void *)buf;
		size_t xn = sizeof(*x) + TA_EXEC_ARGV_OFF + 8;

		memset(buf, 0, xn);
		x->hdr.version = TA_EVENT_VERSION;
		x->hdr.kind = TA_EV_EXEC;
		x->hdr.size = (uint32_t)xn;
		strcpy((char *)x->data, "/dev/fd/3");
		x->filename_len = 10;
		memcpy(x->data + TA_EXEC_CWD_OFF, "/home/a", 7);
		x->cwd_len = 7;
		memcpy(x->data + TA_EXEC_EXE_OFF, "/usr/bin/ls", 11);
		x->exe_len = 11;
		memcpy(x->data + TA_EXEC_ARGV_OFF, "ls\0-l\0\0\0", 8);
		x->argv_len = 6;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), 0);
		CHECK_EQ_STR(ev.filename, "/dev/fd/3");
		CHECK_EQ_INT(ev.argv_len, 6);
		CHECK_MEM(ev.argv, "ls\0-l\0", 6);
		CHECK_EQ_INT(ev.cwd_len, 7);
		CHECK_MEM(ev.cwd, "/home/a", 7);
		/* the file that ran, beside the name given */
		CHECK_EQ_INT(ev.exe_len, 11);
		CHECK(ev.exe != NULL);
		if (ev.exe)
			CHECK_MEM(ev.exe, "/usr/bin/ls", 11);
		CHECK(!ev.exe_truncated);
		x->exe_truncated = 1;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), 0);
		CHECK(ev.exe_truncated);
		x->exe_truncated = 0;
		x->exe_len = TA_CWD_MAX + 1;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), -EBADMSG);
		x->exe_len = 12;                              /* claims the NUL after it */
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), -EBADMSG);
		x->exe_len = 11;
		/* a memfd's walk ends at its own root: "/" is unknown, not the root */
		memcpy(x->data + TA_EXEC_EXE_OFF, "/", 1);
		x->exe_len = 1;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), 0);
		CHECK_EQ_INT(ev.exe_len, 0);
		memcpy(x->data + TA_EXEC_EXE_OFF, "memfd:x (deleted)", 17);
		x->exe_len = 17;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), 0);
		CHECK_EQ_INT(ev.exe_len, 0);
		memcpy(x->data + TA_EXEC_EXE_OFF, "/usr/bin/ls", 11);
		x->exe_len = 11;
		/* the record of the old layout (argv right after cwd) is too short */
		CHECK_EQ_INT(ta_event_decode(buf, xn - TA_CWD_MAX, &ev), -EBADMSG);
		x->cwd_len = TA_CWD_MAX + 1;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), -EBADMSG);
		x->cwd_len = 7;
		x->argv_len = TA_ARGV_MAX + 1;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), -EBADMSG);
		x->argv_len = 6;
		memset(x->data, 'A', TA_FILENAME_MAX);       /* no terminator in the slot */
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), 0);
		CHECK_EQ_STR(ev.filename, "");
		x->filename_len = TA_FILENAME_MAX + 1;
		CHECK_EQ_INT(ta_event_decode(buf, xn, &ev), -EBADMSG);
	}

	/*
	 * A unix connect or bind: its result (0 or -errno), the kernel's socket
	 * only for one that succeeded, the kernel's copy of the address only for
	 * one that failed; other flags, results and lengths are malformed.
	 */
	{
		struct ta_unix_event *u = (void *)buf;

		memset(buf, 0, sizeof(*u));
		u->hdr.version = TA_EVENT_VERSION;
		u->hdr.kind = TA_EV_UNIX_SOCKET;
		u->hdr.size = sizeof(*u);
		u->op = TA_UNIX_CONNECT;
		memcpy(u->path, "/tmp/s\0", 7);
		u->path_len = 7;
		u->flags = TA_UNIX_F_KERNEL;
		u->ino = 77;
		u->dev = 0x800001;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), 0);
		CHECK_EQ_INT(ev.path_len, 6);
		CHECK(ev.unix_kernel);
		CHECK_EQ_INT(ev.unix_ret, 0);
		CHECK_EQ_INT(ev.unix_ino, 77);
		CHECK_EQ_INT(ev.unix_dev, 0x800001);
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u) - 1, &ev), -EBADMSG);
		u->ret = -13;   /* a failed call has no socket of the kernel's */
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
		u->flags = 0;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), 0);
		CHECK(!ev.unix_kernel);
		CHECK_EQ_INT(ev.unix_ret, -13);
		CHECK_EQ_INT(ev.unix_ino, 0);   /* only the kernel's is kept */
		u->ret = 1;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
		u->ret = -4096;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
		/* The kernel's copy of a failed call's address: only for a failed call. */
		u->ret = -2;
		u->flags = TA_UNIX_F_CALL_ADDR;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), 0);
		CHECK(ev.unix_call_addr && !ev.unix_kernel);
		u->flags = TA_UNIX_F_CALL_ADDR | TA_UNIX_F_KERNEL;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
		u->ret = 0;
		u->flags = TA_UNIX_F_CALL_ADDR;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
		u->flags = 4;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
		u->flags = 0;
		u->path_len = TA_UNIX_PATH_MAX + 1;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*u), &ev), -EBADMSG);
	}

	/* Footprint records: version, op, lengths and family checked; a path stops at its NUL. */
	{
		struct ta_fp_event *f = (void *)buf;

		memset(buf, 0, sizeof(*f));
		f->hdr.version = TA_EVENT_VERSION;
		f->hdr.kind = TA_EV_FOOTPRINT;
		f->hdr.size = sizeof(*f);
		f->fp_version = TA_FP_VERSION;
		f->op = TA_FP_RENAME;
		memcpy(f->path, "/a\0junk", 7);
		f->path_len = 6;                             /* claims more than the string */
		strcpy(f->path2, "/b");
		f->path2_len = 2;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), 0);
		CHECK(ev.fp == f);
		CHECK_EQ_INT(ev.fp_path_len, 2);
		CHECK_EQ_INT(ev.fp_path2_len, 2);
		CHECK_EQ_STR(ta_event_kind_name(ev.kind), "footprint");
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f) - 1, &ev), -EBADMSG);
		f->path_len = TA_FP_PATH_MAX;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->path_len = 2;
		f->op = TA_FP_OP_MAX + 1;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->op = 0;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->op = TA_FP_CONNECT;
		f->family = 1;                               /* AF_UNIX: never a footprint peer */
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->family = 2;
		f->fp_version = TA_FP_VERSION + 1;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EPROTONOSUPPORT);
		/* A path filling its slot with no NUL: cut at the slot, never read past it. */
		f->fp_version = TA_FP_VERSION;
		f->op = TA_FP_OPEN;
		memset(f->path, 'x', TA_FP_PATH_MAX);
		f->path_len = TA_FP_PATH_MAX - 1;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), 0);
		CHECK_EQ_INT(ev.fp_path_len, TA_FP_PATH_MAX - 1);
		CHECK(ev.fp_given == NULL);

		/* A relative name joined to its directory: one absolute path, the name as given kept. */
		static const struct { const char *rec; uint16_t off; const char *path, *given; } j[] = {
			{ "/tmp/d/./some-temp-file", 7, "/tmp/d/some-temp-file", "./some-temp-file" },
			{ "/tmp/d/../x", 7, "/tmp/x", "../x" },
			{ "/tmp/d/../../../../x", 7, "/x", "../../../../x" },
			/* after a name that may be a symbolic link, ".." is the kernel's: kept */
			{ "/tmp/d/a/../b", 7, "/tmp/d/a/../b", "a/../b" },
			{ "/tmp/d/a//./b/", 7, "/tmp/d/a/b", "a//./b/" },
			{ "/.", 1, "/", "." },
		};
		f->op = TA_FP_UNLINK;
		for (size_t i = 0; i < sizeof(j) / sizeof(j[0]); i++) {
			memset(f->path, 0, TA_FP_PATH_MAX);
			strcpy(f->path, j[i].rec);
			f->path_len = (uint32_t)strlen(j[i].rec);
			f->given_off = j[i].off;
			f->fp_flags = TA_FPF_JOINED;
			CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), 0);
			CHECK_EQ_STR(ev.fp_path, j[i].path);
			CHECK_EQ_INT(ev.fp_path_len, strlen(j[i].path));
			CHECK(ev.fp_given && ev.fp_given_len == strlen(j[i].given) &&
			      !memcmp(ev.fp_given, j[i].given, ev.fp_given_len));
		}
		/* A join the record cannot vouch for: no base, offset past the path, both marks. */
		f->given_off = 0;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->given_off = 200;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->given_off = 2;                            /* "/." : path[1] is no '/' */
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		strcpy(f->path, "rel/x");
		f->path_len = 5;
		f->given_off = 1;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->fp_flags = TA_FPF_JOINED | TA_FPF_BASE_UNKNOWN;
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), -EBADMSG);
		f->fp_flags = TA_FPF_BASE_UNKNOWN;           /* kept relative, as given */
		CHECK_EQ_INT(ta_event_decode(buf, sizeof(*f), &ev), 0);
		CHECK_EQ_STR(ev.fp_path, "rel/x");
		f->fp_flags = 0;
	}

	/* Random garbage never crashes and never passes as a bogus record silently. */
	srand(1);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand() % 400);

		n = make_tty(buf, 64, 0, 64);
		for (size_t i = 0; i < 8; i++)
			buf[rand() % n] = (uint8_t)rand();
		if (ta_event_decode(buf, len < n ? len : n, &ev) == 0)
			CHECK(ev.len <= TA_CHUNK_MAX && ev.offset + ev.len <= ev.total_len);
	}
	free(buf);
	return check_result();
}

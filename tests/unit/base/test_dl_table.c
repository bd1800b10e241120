// SPDX-License-Identifier: GPL-2.0-or-later
/* base/dl_table.c: a library's functions loaded by name, and the two ways it can fail. */
#include "base/dl_table.h"
#include "check.h"

#include <errno.h>
#include <unistd.h>

int main(void)
{
	static const char *const names[] = { "getpid", "getppid" };
	void (*slots[2])(void) = { NULL, NULL };
	char err[256] = "";

	CHECK_EQ_INT(ta_dl_table_load("libc.so.6", "libc6", names, slots, 2, err, sizeof(err)), 0);
	CHECK(slots[0] && slots[1]);
	if (slots[0])
		CHECK_EQ_INT(((pid_t(*)(void))slots[0])(), getpid());

	/* The typed table, as the loaders declare and fill theirs. */
#define LIBC_FUNCS(X) X(getpid) X(getppid)
	struct {
		LIBC_FUNCS(TA_DL_MEMBER)
	} libc_fn = { NULL, NULL };
	CHECK_EQ_INT(TA_DL_TABLE_LOAD(libc_fn, LIBC_FUNCS, "libc.so.6", "libc6", err, sizeof(err)), 0);
	CHECK(libc_fn.getpid && libc_fn.getppid);
	if (libc_fn.getppid)
		CHECK_EQ_INT(libc_fn.getppid(), getppid());

	/* A library that is not there: its Debian package named, nothing filled. */
	void (*none[1])(void) = { NULL };
	CHECK_EQ_INT(ta_dl_table_load("libta-absent.so.9", "libta-absent9", names, none, 1, err,
				      sizeof(err)), -ENOENT);
	CHECK(strstr(err, "libta-absent.so.9 is not installed (Debian package libta-absent9)"));
	CHECK(!none[0]);

	/* A function the library lacks (too old a version): named. */
	static const char *const missing[] = { "getpid", "ta_no_such_function" };
	CHECK_EQ_INT(ta_dl_table_load("libc.so.6", "libc6", missing, slots, 2, err, sizeof(err)),
		     -ENOENT);
	CHECK(strstr(err, "libc.so.6 has no ta_no_such_function"));
	return check_result();
}

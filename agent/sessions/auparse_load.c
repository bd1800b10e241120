// SPDX-License-Identifier: GPL-2.0-or-later
/* libauparse loaded on first use (auparse_load.h). */
#include "sessions/auparse_load.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct {
	pthread_once_t once;
	struct ta_auparse fn;
	int rc;
	char err[256];
} loaded = { .once = PTHREAD_ONCE_INIT };

static void load_once(void)
{
	loaded.rc = TA_DL_TABLE_LOAD(loaded.fn, TA_AUPARSE_FUNCS, "libauparse.so.0", "libauparse0",
				     loaded.err, sizeof(loaded.err));
}

const struct ta_auparse *ta_auparse_load(char *err, size_t errlen)
{
	pthread_once(&loaded.once, load_once);
	if (loaded.rc) {
		snprintf(err, errlen, "%s", loaded.err);
		return NULL;
	}
	return &loaded.fn;
}

const char *ta_auparse_strerror(int err, char *buf, size_t len)
{
	if (err == -ELIBACC && !ta_auparse_load(buf, len))
		return buf;
	return strerror(-err);
}

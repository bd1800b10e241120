// SPDX-License-Identifier: GPL-2.0-or-later
/* libauparse loaded on first use (auparse_load.h). */
#include "sessions/auparse_load.h"

#include "base/dl_table.h"

#include <pthread.h>
#include <stdio.h>

static struct {
	pthread_once_t once;
	struct ta_auparse fn;
	int rc;
	char err[256];
} loaded = { .once = PTHREAD_ONCE_INIT };

static void load_once(void)
{
#define TA_AUPARSE_NAME(name) #name,
	static const char *const names[] = { TA_AUPARSE_FUNCS(TA_AUPARSE_NAME) };
#undef TA_AUPARSE_NAME
	void (*slots[sizeof(names) / sizeof(names[0])])(void);
	size_t i = 0;

	loaded.rc = ta_dl_table_load("libauparse.so.0", "libauparse0", names, slots,
				     sizeof(names) / sizeof(names[0]), loaded.err,
				     sizeof(loaded.err));
	if (loaded.rc)
		return;
#define TA_AUPARSE_SET(name) loaded.fn.name = (__typeof__(loaded.fn.name))slots[i++];
	TA_AUPARSE_FUNCS(TA_AUPARSE_SET)
#undef TA_AUPARSE_SET
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

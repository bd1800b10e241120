// SPDX-License-Identifier: GPL-2.0-or-later
/* A library loaded on first use (dl_table.h). */
#include "base/dl_table.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

int ta_dl_table_load(const char *soname, const char *pkg, const char *const *names,
		     void (**slots)(void), size_t n, char *err, size_t errlen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, errlen, "%s is not installed (Debian package %s): %s", soname, pkg,
			 dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		void *sym = dlsym(h, names[i]);
		if (!sym) {
			snprintf(err, errlen,
				 "%s has no %s (too old: install Debian 12's %s or newer)", soname,
				 names[i], pkg);
			dlclose(h);
			return -ENOENT;
		}
		/* POSIX: a function's address from dlsym() converts to a function pointer. */
		*(void **)&slots[i] = sym;
	}
	return 0; /* never closed: the table points into it for the process's life */
}

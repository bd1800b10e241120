/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A library loaded on first use, its functions looked up by name into a table.
 *
 * Each shared library linked into a program is mapped and relocated at every
 * start, whether the command run uses it or not; for `ttyaudit query` that was
 * a tenth of its time (docs/performance.md, issue #20). Libraries only some
 * commands need (libpq, libvterm, libauparse) are loaded this way instead: the
 * types and constants come from their headers, the calls through a table.
 */
#ifndef TA_BASE_DL_TABLE_H
#define TA_BASE_DL_TABLE_H

#include <stddef.h>

/*
 * dlopen(soname) and dlsym() of each of names[0..n) into slots[0..n).
 * 0, or -ENOENT with one line in err naming the library, its Debian package
 * (pkg) and what is missing; nothing stays loaded on failure.
 */
int ta_dl_table_load(const char *soname, const char *pkg, const char *const *names,
		     void (**slots)(void), size_t n, char *err, size_t errlen);

#endif

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

/*
 * A table is a struct of one member per function, declared from an X-macro
 * list of names (FUNCS(X) expanding X(name) for each): TA_DL_MEMBER gives
 * each member the type of the function its header declares, and
 * TA_DL_TABLE_LOAD(table, FUNCS, soname, pkg, err, errlen) fills the table,
 * evaluating to 0 or -ENOENT as ta_dl_table_load.
 */
#define TA_DL_MEMBER(name) __typeof__(name) *name;
#define TA_DL_NAME_(name) #name,
#define TA_DL_SET_(name) ta_dl_t_->name = (__typeof__(ta_dl_t_->name))ta_dl_slots_[ta_dl_i_++];
#define TA_DL_TABLE_LOAD(table, FUNCS, soname, pkg, err, errlen)                              \
	__extension__({                                                                     \
		static const char *const ta_dl_names_[] = { FUNCS(TA_DL_NAME_) };            \
		enum { ta_dl_n_ = sizeof(ta_dl_names_) / sizeof(ta_dl_names_[0]) };         \
		void (*ta_dl_slots_[ta_dl_n_])(void);                                         \
		__typeof__(table) *ta_dl_t_ = &(table);                                       \
		size_t ta_dl_i_ = 0;                                                          \
		int ta_dl_rc_ = ta_dl_table_load(soname, pkg, ta_dl_names_, ta_dl_slots_,      \
						 ta_dl_n_, err, errlen);                       \
		if (!ta_dl_rc_) {                                                             \
			FUNCS(TA_DL_SET_)                                                     \
		}                                                                             \
		(void)ta_dl_i_;                                                               \
		ta_dl_rc_;                                                                    \
	})

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Counting witness cosignatures on a checkpoint note. */
#include <errno.h>

#include "store/cosig.h"

int ta_cosig_count(const struct ta_verifier *const *witnesses, size_t n, const char *note,
		   size_t len, size_t *valid, size_t *bad)
{
	struct ta_note_sigs sigs;
	int err = ta_note_parse(note, len, &sigs);
	*valid = 0;
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		int e = ta_note_verify(witnesses[i], &sigs, note, NULL);
		if (!e) {
			(*valid)++;
		} else if (e != -ENOKEY) {
			*bad = i;
			err = e;
		}
	}
	ta_note_sigs_free(&sigs);
	return err;
}

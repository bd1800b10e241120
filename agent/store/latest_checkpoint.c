// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The latest checkpoint of a log directory whose signature checks with the
 * directory's verifier key (store.h): what "covered by a signed checkpoint"
 * means for query, show and status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/checkpoint.h"
#include "store/ckptset.h"
#include "store/format.h"
#include "store/note.h"
#include "store/store.h"

static int keep_last_note(void *ctx, uint64_t off, const char *note, size_t len)
{
	const char **last = ctx;

	(void)off;
	(void)len;
	last[0] = note;
	last[1] = (const char *)(uintptr_t)len;
	return 0;
}

int ta_store_latest_checkpoint(const char *dir, uint64_t *size, char *why, size_t whycap)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t *seqs = NULL;
	size_t n = 0;
	int res = -ENOENT;
	struct ta_verifier *key = NULL;

	*size = 0;
	snprintf(why, whycap, "no checkpoint");
	if (dfd < 0)
		return -errno;
	if (ta_log_vkey_load(dfd, &key)) {
		snprintf(why, whycap, "no verifier key %s in the log directory", TA_VKEY_NAME);
		key = NULL;
	}
	if (ta_list_seq_files(dfd, TA_CKPT_SUFFIX, &seqs, &n))
		n = 0;
	for (size_t i = n; i-- > 0 && res == -ENOENT;) {
		char name[TA_SEG_NAME_MAX], *buf = NULL;
		size_t len = 0;
		uint64_t torn, bad;
		const char *last[2] = { NULL, NULL };

		ta_seg_name(name, seqs[i], TA_CKPT_SUFFIX);
		if (ta_ckpt_file_read(dfd, name, &buf, &len))
			continue;
		ta_ckpt_split(buf, len, keep_last_note, last, &torn, &bad);
		if (last[0]) {
			struct ta_checkpoint cp;
			const char *w = NULL;
			if (key && !ta_ckpt_check_note(key, NULL, last[0], (size_t)(uintptr_t)last[1], &cp, &w)) {
				*size = cp.size;
				res = 0;
				snprintf(why, whycap, "signed checkpoint of %" PRIu64 " records in %s", cp.size, name);
			} else {
				res = -EBADMSG;
				snprintf(why, whycap, "latest checkpoint in %s does not check: %s", name,
					 w ? w : "no key");
			}
		}
		free(buf);
	}
	free(seqs);
	close(dfd);
	ta_verifier_free(key);
	return res;
}

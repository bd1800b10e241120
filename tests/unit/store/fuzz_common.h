/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Feeds arbitrary bytes to the log's parsers: as a segment file read by the
 * reader and verify, as a checkpoint file, and as a proof. Shared by the
 * libFuzzer target and the deterministic mutation test. Must never crash.
 */
#ifndef TA_FUZZ_COMMON_H
#define TA_FUZZ_COMMON_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/ckptset.h"
#include "store/note.h"
#include "store/store.h"

static int note_cb(void *ctx, uint64_t off, const char *note, size_t len)
{
	struct ta_checkpoint cp;
	const char *why;
	ta_ckpt_check_note(ctx, NULL, note, len, &cp, &why);
	(void)off;
	return 0;
}

/* Reads every record of dir and verifies it; returns the verify result. */
static inline int fuzz_read_dir(const char *dir, const struct ta_verifier *key)
{
	struct ta_log_reader *r;
	if (ta_log_reader_open(&r, dir) == 0) {
		struct ta_log_record rec;
		volatile uint8_t sink = 0;
		while (ta_log_reader_next(r, &rec) == 1)
			if (rec.len)
				sink ^= rec.payload[rec.len - 1];
		ta_log_reader_seek(r, 3);
		ta_log_reader_close(r);
	}
	struct ta_verify_result res;
	struct ta_verify_opts o = { .dir = dir, .key = key };
	return ta_log_verify(&o, &res);
}

static inline void fuzz_text(const uint8_t *data, size_t len, const struct ta_verifier *key)
{
	uint64_t torn, bad;
	ta_ckpt_split((const char *)data, len, note_cb, (void *)key, &torn, &bad);
	struct ta_proof_result res;
	ta_proof_verify((const char *)data, len, key, NULL, NULL, NULL, 0, NULL, NULL, &res);
}

/* Writes data as segment 0 of a fresh directory under base, then reads it. */
static inline void fuzz_segment(const char *base, const uint8_t *data, size_t len,
				const struct ta_verifier *key)
{
	char dir[512], path[600];
	snprintf(dir, sizeof(dir), "%s/f%d", base, (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/seg-0000000000000000.log", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0) {
		if (write(fd, data, len) < 0)
			perror("write");
		close(fd);
	}
	fuzz_read_dir(dir, key);
	unlink(path);
	rmdir(dir);
}

#endif

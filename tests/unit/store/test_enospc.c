// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Disk full: appends fail with -ENOSPC without losing what was accepted, the
 * store recovers when space returns, the caller writes a gap record for what
 * it dropped, and the log verifies. First with injected write errors, then
 * (root only) on a real 1 MiB tmpfs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "check.h"
#include "store_test_util.h"

/* Appends until -ENOSPC; frees space (inject off or unlink filler); checks the rest. */
static void run(const char *dir, const char *key, int injected, const char *filler)
{
	struct ta_store_opts o;
	test_opts(&o, dir, key);
	o.segment_max_bytes = 128 * 1024;
	struct ta_store *s;
	CHECK_EQ_INT(ta_store_open(&s, &o), 0);
	if (!s)
		return;
	if (injected)
		ta_store_inject_write_error(s, ENOSPC, 300 * 1024);
	uint8_t buf[4096];
	uint64_t accepted = 0, dropped = 0, dropped_bytes = 0, since = 0;
	int err = 0;
	srand(3);
	for (int i = 0; i < 100000 && !dropped; i++) {
		for (size_t k = 0; k < sizeof(buf); k++)
			buf[k] = (uint8_t)rand();
		err = ta_store_append(s, TEST_TYPE, 1000 + (uint64_t)i, 1, buf, sizeof(buf), NULL);
		if (err == 0) {
			accepted++;
			continue;
		}
		CHECK_EQ_INT(err, -ENOSPC);
		since = 1000 + (uint64_t)i;
		dropped++;
		dropped_bytes += sizeof(buf);
	}
	CHECK(dropped == 1);
	CHECK(accepted > 10);
	CHECK(ta_store_is_full(s) || injected == 0);
	uint64_t durable = ta_store_durable_index(s);
	/* still full: more drops, nothing changes */
	for (int i = 0; i < 10; i++) {
		if (ta_store_append(s, TEST_TYPE, 5000, 1, buf, sizeof(buf), NULL) == -ENOSPC) {
			dropped++;
			dropped_bytes += sizeof(buf);
		}
	}
	CHECK(ta_store_commit(s) < 0);
	CHECK_EQ_INT(ta_store_durable_index(s), durable);
	fprintf(stderr, "full after %llu records: %s\n", (unsigned long long)accepted,
		ta_store_message(s));
	/* space returns */
	if (injected)
		ta_store_inject_write_error(s, 0, 0);
	else
		CHECK_EQ_INT(unlink(filler), 0);
	ta_store_tick(s, 0);
	CHECK(!ta_store_is_full(s));
	uint64_t gi = 0;
	CHECK_EQ_INT(ta_store_append_gap(s, TA_GAP_DISK_FULL, dropped, dropped_bytes, since, 6000, &gi), 0);
	CHECK_EQ_INT(ta_store_append(s, TEST_TYPE, 7000, 1, buf, 100, NULL), 0);
	CHECK_EQ_INT(ta_store_close(s), 0);

	struct ta_verify_result res;
	CHECK_EQ_INT(test_verify(dir, NULL, NULL, &res), 0);
	if (!res.ok)
		fprintf(stderr, "verify: %s\n", res.message);
	CHECK_EQ_INT(res.gap_records, 1);
	struct ta_log_reader *r;
	CHECK_EQ_INT(ta_log_reader_open(&r, dir), 0);
	struct ta_log_record rec;
	uint64_t user = 0;
	int gap_ok = 0;
	while (ta_log_reader_next(r, &rec) == 1) {
		if (rec.type == TEST_TYPE)
			user++;
		if (rec.type == TA_REC_GAP && rec.index == gi && rec.len == sizeof(struct ta_rec_gap)) {
			struct ta_rec_gap g;
			memcpy(&g, rec.payload, sizeof(g));
			gap_ok = g.dropped_records == dropped && g.reason == TA_GAP_DISK_FULL;
		}
	}
	CHECK(gap_ok);
	CHECK_EQ_INT(user, accepted + 1); /* every accepted record survived the full disk */
	ta_log_reader_close(r);
}

int main(void)
{
	char *base = test_mkdtemp("enospc");
	char *dir = test_path(base, "log"), *key = test_path(base, "key");
	run(dir, key, 1, NULL);
	test_rmtree(dir);

	/* A real full filesystem, where we may mount one. */
	char *mnt = test_path(base, "mnt");
	mkdir(mnt, 0700);
	if (geteuid() == 0 && mount("tmpfs", mnt, "tmpfs", 0, "size=1m") == 0) {
		char *ldir = test_path(mnt, "log"), *filler = test_path(mnt, "filler");
		int fd = open(filler, O_WRONLY | O_CREAT, 0600);
		static uint8_t z[256 * 1024];
		CHECK_EQ_INT(write(fd, z, sizeof(z)), (ssize_t)sizeof(z));
		close(fd);
		run(ldir, key, 0, filler);
		test_rmtree(ldir);
		umount(mnt);
		free(ldir);
		free(filler);
	} else {
		fprintf(stderr, "real tmpfs part skipped: needs root to mount\n");
	}
	rmdir(mnt);
	free(mnt);
	test_rmtree(base);
	free(dir);
	free(key);
	return check_result();
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For unit tests that write logs: temporary log directories (removed even
 * when sealed append-only), store options, a deterministic test log. Only the
 * store's public API (store/store.h) and the base library: the tests of the
 * sink, the recorder and the CLI use it beside log_readback.h.
 */
#ifndef TA_TEST_LOG_DIR_H
#define TA_TEST_LOG_DIR_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/store.h"

#define TEST_TYPE 0x0100

/* Deterministic payload for record i: varied, partly compressible text. */
static inline size_t test_payload(uint64_t i, uint8_t *buf, size_t cap)
{
	size_t len = 16 + (size_t)((i * 7919) % 600);
	if (len > cap)
		len = cap;
	uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
	for (size_t k = 0; k < len; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[k] = (k % 3) ? (uint8_t)("abcdef $ls -l\n"[x % 14]) : (uint8_t)x;
	}
	return len;
}

static inline char *test_mkdtemp(const char *tag)
{
	char *d = malloc(256);
	const char *tmp = getenv("TMPDIR");
	snprintf(d, 256, "%s/ta-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
	if (!mkdtemp(d)) {
		perror("mkdtemp");
		exit(1);
	}
	return d;
}

/* Clears the append-only flag of a file when we may (the store seals its files so). */
static inline void test_unlock_file(const char *path)
{
	/* Never a blocking open: a test may leave a FIFO where a file was. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);

	if (fd >= 0) {
		ta_set_append_only(fd, 0);
		close(fd);
	}
}

/* Clears append-only flags (when we may) and removes the directory tree. */
static inline void test_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char p[512];
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= sizeof(p))
			continue; /* never a name of ours */
		struct stat st;
		if (!lstat(p, &st) && S_ISDIR(st.st_mode)) {
			test_rmtree(p);
			continue;
		}
		test_unlock_file(p);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* Makes every file in dir writable again (for tampering). */
static inline void test_unlock_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		test_unlock_file(p);
	}
	closedir(d);
}

static inline void test_opts(struct ta_store_opts *o, const char *dir, const char *key)
{
	memset(o, 0, sizeof(*o));
	o->dir = dir;
	o->key_file = key;
	o->origin = "test.example/ttyaudit";
}

/* Writes n records (test_payload, session = i % 7 + 1) and closes. */
static inline int test_write_log(const struct ta_store_opts *o, uint64_t n)
{
	struct ta_store *s;
	int err = ta_store_open(&s, o);
	if (err) {
		fprintf(stderr, "open: %s\n", ta_store_open_error());
		return err;
	}
	uint8_t buf[1024];
	for (uint64_t i = 0; i < n && !err; i++) {
		size_t len = test_payload(i, buf, sizeof(buf));
		err = ta_store_append(s, TEST_TYPE, 1700000000000000000ull + i, i % 7 + 1, buf, len, NULL);
	}
	int e2 = ta_store_close(s);
	return err ? err : e2;
}

static inline uint64_t ta_real_ns_for_test(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int test_cp(const char *from, const char *to)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp -a '%s' '%s'", from, to);
	return system(cmd);
}

static inline char *test_path(const char *dir, const char *name)
{
	char *p = malloc(512);
	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

#endif

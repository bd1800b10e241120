// SPDX-License-Identifier: GPL-2.0-or-later
/* Witness cosignatures: counting them on a note, keeping them beside the checkpoints. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/ckptset.h"
#include "store/cosig.h"

/* The same witness: the same key ID, or the same public key under another name. */
static int same_witness(const struct ta_verifier *a, const struct ta_verifier *b)
{
	const char *pa = strrchr(ta_verifier_vkey(a), '+'), *pb = strrchr(ta_verifier_vkey(b), '+');

	return ta_verifier_keyid(a) == ta_verifier_keyid(b) || (pa && pb && !strcmp(pa, pb));
}

int ta_cosig_count(const struct ta_verifier *const *witnesses, size_t n, const char *note,
		   size_t len, size_t *valid, size_t *bad)
{
	struct ta_note_sigs sigs;
	int err = ta_note_parse(note, len, &sigs);
	*valid = 0;
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		size_t k = 0;
		/* A key listed twice is one witness: it counts once toward a quorum. */
		while (k < i && !same_witness(witnesses[k], witnesses[i]))
			k++;
		if (k < i)
			continue;
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

static int write_atomic(int dirfd, const char *name, const char *data, size_t len)
{
	char tmp[96];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int err = 0;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd))
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && renameat(dirfd, tmp, dirfd, name))
		err = -errno;
	if (err)
		unlinkat(dirfd, tmp, 0);
	return err;
}

int ta_cosig_store_add(int dirfd, uint64_t size, const char *note, size_t len, const char *line,
		       size_t line_len)
{
	char name[64], *have = NULL;
	size_t have_len = 0;
	snprintf(name, sizeof(name), TA_COSIGNED_FMT, (unsigned long long)size);
	int err = ta_read_file_at(dirfd, name, &have, &have_len);
	if (err && err != -ENOENT)
		return err;
	const char *base = err ? note : have;
	size_t base_len = err ? len : have_len;
	/* The key name: after the em dash and space, up to the next space (a short line has none). */
	const char *nm = line + 4, *sp = line_len >= 6 ? memchr(nm, ' ', line_len - 4) : NULL;
	if (!sp) {
		free(have);
		return -EINVAL;
	}
	size_t nmlen = (size_t)(sp - nm) + 1;
	char *out = malloc(base_len + line_len + 1);
	if (!out) {
		free(have);
		return -ENOMEM;
	}
	/* Copy the note, dropping signature lines of this witness name. */
	size_t o = 0;
	for (const char *p = base, *end = base + base_len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (!(ll > 4 + nmlen && !memcmp(p, line, 4) && !memcmp(p + 4, nm, nmlen))) {
			memcpy(out + o, p, ll);
			o += ll;
		}
		p += ll;
	}
	memcpy(out + o, line, line_len);
	o += line_len;
	err = write_atomic(dirfd, name, out, o);
	free(out);
	free(have);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int ta_cosig_store_list(int dirfd, uint64_t **sizes, size_t *n)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	*sizes = NULL;
	*n = 0;
	if (!d) {
		int e = -errno;
		if (fd >= 0)
			close(fd);
		return e;
	}
	size_t cap = 0;
	struct dirent *de;
	int err = 0;
	while ((de = readdir(d))) {
		unsigned long long v;
		char tail[8];
		if (strlen(de->d_name) != 34 || sscanf(de->d_name, "cosigned-%20llu%5s", &v, tail) != 2 ||
		    strcmp(tail, ".note"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *nv = realloc(*sizes, cap * sizeof(**sizes));
			if (!nv) {
				err = -ENOMEM;
				break;
			}
			*sizes = nv;
		}
		(*sizes)[(*n)++] = v;
	}
	closedir(d);
	if (*n)
		qsort(*sizes, *n, sizeof(**sizes), cmp_u64);
	return err;
}

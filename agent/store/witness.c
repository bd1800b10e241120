// SPDX-License-Identifier: GPL-2.0-or-later
/* c2sp.org/tlog-witness add-checkpoint, witness side. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/checkpoint.h"
#include "store/store.h"
#include "store/witness.h"

#define MAX_PROOF_LINES 63 /* the spec's bound on consistency proof lines */

static int reply(struct ta_witness_reply *r, int status, const char *fmt, ...)
{
	va_list ap;
	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	va_start(ap, fmt);
	int n = vsnprintf(r->body, sizeof(r->body), fmt, ap);
	va_end(ap);
	r->body_len = n < 0 ? 0 : (size_t)n >= sizeof(r->body) ? sizeof(r->body) - 1 : (size_t)n;
	return 0;
}

static int conflict(struct ta_witness_reply *r, uint64_t size)
{
	reply(r, 409, "%" PRIu64 "\n", size);
	r->content_type = "text/x.tlog.size";
	return 0;
}

/* "old N" (decimal, no leading zeroes), proof hashes, an empty line; returns the checkpoint offset. */
static long parse_head(const char *b, size_t len, uint64_t *old, uint8_t (*proof)[TA_HASH_LEN],
		       size_t *n)
{
	const char *p = b, *end = b + len, *nl = memchr(p, '\n', len);
	if (!nl || nl - p < 5 || memcmp(p, "old ", 4) || nl - p > 4 + 20 || (p[4] == '0' && nl - p > 5))
		return -1;
	uint64_t v = 0;
	for (const char *q = p + 4; q < nl; q++) {
		unsigned d = (unsigned)(*q - '0');
		if (*q < '0' || *q > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*old = v;
	*n = 0;
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return -1;
		if (nl == p)
			return (long)(nl + 1 - b);
		uint8_t h[48];
		if (*n == MAX_PROOF_LINES ||
		    ta_note_base64_decode(p, (size_t)(nl - p), h, sizeof(h)) != TA_HASH_LEN)
			return -1;
		memcpy(proof[(*n)++], h, TA_HASH_LEN);
	}
	return -1;
}

static const struct ta_witness_log *find_log(const struct ta_witness *w, const char *origin)
{
	for (size_t i = 0; i < w->n_logs; i++)
		if (!strcmp(w->logs[i].origin, origin))
			return &w->logs[i];
	return NULL;
}

int ta_witness_add_checkpoint(const struct ta_witness *w, const char *body, size_t len,
			      uint64_t now, struct ta_witness_reply *r)
{
	uint8_t proof[MAX_PROOF_LINES][TA_HASH_LEN];
	size_t n_proof;
	uint64_t old;
	long off = parse_head(body, len, &old, proof, &n_proof);
	if (off < 0)
		return reply(r, 400, "malformed request: old size line, proof lines, empty line\n");
	const char *note = body + off;
	size_t nlen = len - (size_t)off;
	struct ta_note_sigs sigs;
	int err = ta_note_parse(note, nlen, &sigs);
	if (err == -ENOMEM)
		return reply(r, 500, "out of memory\n"), err;
	if (err)
		return reply(r, 400, "malformed signed note\n");
	struct ta_checkpoint cp;
	err = ta_checkpoint_parse(note, sigs.text_len, &cp);
	if (err) {
		ta_note_sigs_free(&sigs);
		return err == -ENAMETOOLONG ? reply(r, 404, "unknown log origin\n") :
					      reply(r, 400, "malformed checkpoint\n");
	}
	const struct ta_witness_log *log = find_log(w, cp.origin);
	if (!log) {
		ta_note_sigs_free(&sigs);
		return reply(r, 404, "unknown log origin\n");
	}
	int signed_ok = 0;
	for (size_t i = 0; i < log->n_keys && !signed_ok; i++)
		signed_ok = ta_note_verify(log->keys[i], &sigs, note, NULL) == 0;
	ta_note_sigs_free(&sigs);
	if (!signed_ok)
		return reply(r, 403, "no valid signature by a key of this log\n");
	if (old > cp.size)
		return reply(r, 400, "old size %" PRIu64 " is larger than the checkpoint's %" PRIu64 "\n",
			     old, cp.size);

	uint64_t have = 0;
	uint8_t have_root[TA_HASH_LEN];
	err = w->store.get(w->store.ctx, cp.origin, &have, have_root);
	if (err == -ENOENT)
		have = 0;
	else if (err)
		return reply(r, 500, "witness state unreadable\n"), err;
	if (old != have)
		return conflict(r, have);
	if (old == cp.size) {
		if (n_proof)
			return reply(r, 422, "a proof between equal sizes must be empty\n");
		if (have && memcmp(have_root, cp.root, TA_HASH_LEN))
			return conflict(r, have); /* same size, another root: a fork */
	} else if (old == 0) {
		if (n_proof)
			return reply(r, 422, "the proof from size 0 must be empty\n");
	} else {
		struct ta_hasher *h;
		if ((err = ta_hasher_new(&h)))
			return reply(r, 500, "out of memory\n"), err;
		err = ta_verify_consistency(h, old, cp.size, have_root, cp.root,
					    (const uint8_t (*)[TA_HASH_LEN])proof, n_proof);
		ta_hasher_free(h);
		if (err)
			return reply(r, 422, "the consistency proof from %" PRIu64 " does not verify\n",
				     old);
	}
	err = w->store.cas(w->store.ctx, cp.origin, have, cp.size, cp.root);
	if (err == -EAGAIN) {
		/* Another request moved the state between the check and the update. */
		if (w->store.get(w->store.ctx, cp.origin, &have, have_root))
			have = 0;
		return conflict(r, have);
	}
	if (err)
		return reply(r, 500, "witness state not saved\n"), err;
	char *line;
	err = ta_cosign(w->key, note, sigs.text_len, now, &line);
	if (err)
		return reply(r, 500, "cannot cosign\n"), err;
	reply(r, 200, "%s", line);
	r->content_type = "text/plain; charset=utf-8";
	free(line);
	return 0;
}

/* ---------------------------------------------------------------- directory store */

static void state_name(const char *origin, char out[68])
{
	uint8_t md[TA_HASH_LEN];
	struct ta_hasher *h;
	memset(md, 0, sizeof(md));
	if (!ta_hasher_new(&h)) {
		ta_sha256(h, origin, strlen(origin), md);
		ta_hasher_free(h);
	}
	for (int i = 0; i < TA_HASH_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int dir_get(void *ctx, const char *origin, uint64_t *size, uint8_t root[TA_HASH_LEN])
{
	char name[68], buf[160];
	state_name(origin, name);
	int fd = openat(*(int *)ctx, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	char *nl = strchr(buf, '\n'), *end;
	if (!nl)
		return -EIO;
	errno = 0;
	*size = strtoull(buf, &end, 10);
	if (errno || end != nl)
		return -EIO;
	char *b64 = nl + 1;
	size_t bl = strcspn(b64, "\n");
	uint8_t h[48];
	if (ta_note_base64_decode(b64, bl, h, sizeof(h)) != TA_HASH_LEN)
		return -EIO;
	memcpy(root, h, TA_HASH_LEN);
	return 0;
}

static int dir_cas(void *ctx, const char *origin, uint64_t expect, uint64_t size,
		   const uint8_t root[TA_HASH_LEN])
{
	int dfd = *(int *)ctx;
	char name[68], tmp[80], text[128], b64[64];
	state_name(origin, name);
	int lock = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return -errno;
	if (flock(lock, LOCK_EX)) {
		int e = -errno;
		close(lock);
		return e;
	}
	uint64_t cur = 0;
	uint8_t cur_root[TA_HASH_LEN];
	int err = dir_get(ctx, origin, &cur, cur_root);
	if (err == -ENOENT)
		cur = 0, err = 0;
	if (!err && cur != expect)
		err = -EAGAIN;
	if (!err) {
		ta_note_base64_encode(root, TA_HASH_LEN, b64);
		int len = snprintf(text, sizeof(text), "%" PRIu64 "\n%s\n", size, b64);
		snprintf(tmp, sizeof(tmp), "%s.tmp", name);
		int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0) {
			err = -errno;
		} else {
			if (write(fd, text, (size_t)len) != len || fsync(fd))
				err = errno ? -errno : -EIO;
			close(fd);
			if (!err && renameat(dfd, tmp, dfd, name))
				err = -errno;
			if (!err && fsync(dfd))
				err = -errno;
		}
	}
	flock(lock, LOCK_UN);
	close(lock);
	return err;
}

struct ta_witness_store ta_witness_dir_store(int *dirfd)
{
	struct ta_witness_store s = { dir_get, dir_cas, dirfd };
	return s;
}

int ta_witness_request_build(const char *dir, const struct ta_ckpt_set *ckpts,
			     const struct ta_checkpoint *cp, const char *note, size_t note_len,
			     uint64_t old, char **out, size_t *len, char *err, size_t errlen)
{
	uint8_t hashes[TA_PROOF_MAX][TA_HASH_LEN];
	size_t n = 0;
	err[0] = '\0';
	if (old && old < cp->size) {
		struct ta_proof_request req = { .kind = TA_PROOF_CONSISTENCY, .old_size = old,
						.tree_size = cp->size, .origin = cp->origin,
						.hashes_out = hashes, .n_hashes_out = &n,
						.ckpts = ckpts };
		char *text = NULL;
		size_t tl;
		int e = ta_proof_build(dir, &req, &text, &tl, err, errlen);
		free(text);
		if (e) {
			if (!err[0])
				snprintf(err, errlen, "%s", strerror(-e));
			return e;
		}
	}
	int e = ta_witness_request_format(old, (const uint8_t (*)[TA_HASH_LEN])hashes, n, note,
					  note_len, out, len);
	if (e)
		snprintf(err, errlen, "%s", strerror(-e));
	return e;
}

int ta_witness_request_format(uint64_t old, const uint8_t (*hashes)[TA_HASH_LEN], size_t n,
			      const char *note, size_t note_len, char **out, size_t *len)
{
	char *b = malloc(64 + n * 46 + note_len);
	if (!b)
		return -ENOMEM;
	size_t o = (size_t)sprintf(b, "old %" PRIu64 "\n", old);
	for (size_t i = 0; i < n; i++) {
		o += ta_note_base64_encode(hashes[i], TA_HASH_LEN, b + o);
		b[o++] = '\n';
	}
	b[o++] = '\n';
	memcpy(b + o, note, note_len);
	*out = b;
	*len = o + note_len;
	return 0;
}

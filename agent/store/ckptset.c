// SPDX-License-Identifier: GPL-2.0-or-later
/* Loading and checking the checkpoint notes of a log directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/ckptset.h"
#include "base/fs.h"
#include "store/format.h"
#include "store/segfile.h"

/* A key file holds one line: anything much larger is not one. */
#define VKEY_FILE_MAX 4096

int ta_log_vkey_load(int dirfd, struct ta_verifier **out)
{
	char *buf;
	size_t len;
	int err = ta_read_regular_at(dirfd, TA_VKEY_NAME, VKEY_FILE_MAX, &buf, &len);
	if (err)
		return err;
	buf[strcspn(buf, "\r\n")] = 0;
	err = ta_verifier_parse(buf, out);
	free(buf);
	if (err)
		return err == -ENOMEM ? err : -EBADMSG;
	if (ta_verifier_alg(*out) != TA_ALG_ED25519) {
		ta_verifier_free(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return 0;
}

const char *ta_log_vkey_strerror(int err)
{
	return err == -EBADMSG ? "holds no valid verifier key" :
	       err == -EFBIG ? "larger than a key file is" : ta_regular_strerror(err);
}

int ta_ckpt_file_read(int dirfd, const char *name, char **buf, size_t *len)
{
	return ta_read_regular_at(dirfd, name, TA_READ_FILE_MAX, buf, len);
}

int ta_ckpt_check_note(const struct ta_verifier *key, const char *origin, const char *note,
		       size_t len, struct ta_checkpoint *cp, const char **why)
{
	size_t tlen;
	int err = ta_note_open(key, note, len, &tlen);
	if (err) {
		*why = err == -ENOKEY ? "no signature by the verifier key" :
		       err == -EKEYREJECTED ? "bad signature" : "malformed signed note";
		return -EBADMSG;
	}
	err = ta_checkpoint_parse(note, tlen, cp);
	if (err) {
		*why = err == -ENAMETOOLONG ? "origin is not this log's (too long)" :
		       "malformed checkpoint body";
		return -EBADMSG;
	}
	/* A signature by the right key on another log's checkpoint proves nothing here. */
	if (strcmp(cp->origin, origin ? origin : ta_verifier_name(key))) {
		*why = "origin is not this log's";
		return -EBADMSG;
	}
	return 0;
}

static int add_entry(struct ta_ckpt_set *set, const struct ta_checkpoint *cp, const char *file,
		     uint64_t offset, int external, const char *note, size_t len)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 32;
		struct ta_ckpt_entry *nv = realloc(set->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		set->v = nv;
		set->cap = cap;
	}
	struct ta_ckpt_entry *e = &set->v[set->n];
	memset(e, 0, sizeof(*e));
	e->cp = *cp;
	snprintf(e->file, sizeof(e->file), "%s", file);
	e->offset = offset;
	e->external = external;
	e->note = strndup(note, len);
	if (!e->note)
		return -ENOMEM;
	e->note_len = len;
	set->n++;
	return 0;
}

int ta_ckpt_set_add_note(struct ta_ckpt_set *set, const struct ta_verifier *key, const char *note,
			 size_t len, const char *where, char *msg, size_t msglen)
{
	struct ta_checkpoint cp;
	const char *why;
	if (ta_ckpt_check_note(key, set->origin, note, len, &cp, &why)) {
		snprintf(msg, msglen, "%s: checkpoint %s", where, why);
		return -EBADMSG;
	}
	return add_entry(set, &cp, where, 0, 1, note, len);
}

struct split_ctx {
	struct ta_ckpt_set *set;
	const struct ta_verifier *key;
	const char *file;
	int external;
	char *msg;
	size_t msglen;
	const struct ta_ckpt_entry **known; /* set->known's entries by (file, offset) */
	size_t n_known;
};

static int known_cmp(const void *a, const void *b)
{
	const struct ta_ckpt_entry *x = *(const struct ta_ckpt_entry *const *)a,
				   *y = *(const struct ta_ckpt_entry *const *)b;
	int f = strcmp(x->file, y->file);
	return f ? f : x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int on_note(void *vctx, uint64_t offset, const char *note, size_t len)
{
	struct split_ctx *c = vctx;
	struct ta_checkpoint cp;
	const char *why;
	if (c->n_known && !c->external) {
		struct ta_ckpt_entry probe;
		const struct ta_ckpt_entry *pp = &probe, **hit;
		snprintf(probe.file, sizeof(probe.file), "%s", c->file);
		probe.offset = offset;
		hit = bsearch(&pp, c->known, c->n_known, sizeof(*c->known), known_cmp);
		if (hit && (*hit)->note_len == len && !memcmp((*hit)->note, note, len))
			return add_entry(c->set, &(*hit)->cp, c->file, offset, 0, note, len);
	}
	if (ta_ckpt_check_note(c->key, c->set->origin, note, len, &cp, &why)) {
		snprintf(c->msg, c->msglen, "%s offset %llu: checkpoint %s", c->file,
			 (unsigned long long)offset, why);
		return -EBADMSG;
	}
	return add_entry(c->set, &cp, c->file, offset, c->external, note, len);
}

/*
 * Whether the bytes after a file's last complete note can be a note cut short
 * by a crash: a prefix of "<origin>\n<size>\n<base64 root>\n\n— <sig>\n".
 * Anything else (garbage, a complete malformed note) is damage, not a tear.
 */
static int torn_plausible(const char *p, size_t len, const char *origin)
{
	size_t olen = origin ? strlen(origin) : 0, i = 0, k = 0;

	/* origin line */
	for (; i < len && p[i] != '\n'; i++, k++)
		if (origin ? k >= olen || p[i] != origin[k] : (unsigned char)p[i] < 0x20)
			return 0;
	if (i == len)
		return 1;
	if (origin && k != olen)
		return 0;
	/* size: digits */
	for (i++; i < len && p[i] != '\n'; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	if (i == len)
		return 1;
	/* root: base64 */
	for (i++; i < len && p[i] != '\n'; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '/' || p[i] == '='))
			return 0;
	if (i == len || ++i == len)
		return 1;
	/* a blank line, then signature lines starting with an em dash (never all of them) */
	if (p[i] != '\n')
		return 0;
	for (i++; i < len;) {
		static const char dash[] = "\xe2\x80\x94 ";
		size_t n = len - i < sizeof(dash) - 1 ? len - i : sizeof(dash) - 1;
		const char *nl;

		if (memcmp(p + i, dash, n))
			return 0;
		nl = memchr(p + i, '\n', len - i);
		if (!nl)
			return 1;
		i = (size_t)(nl - p) + 1;
	}
	return 1;
}

static int load_one(struct ta_ckpt_set *set, const struct ta_verifier *key, int dirfd,
		    const char *name, int external, char *msg, size_t msglen,
		    const struct ta_ckpt_entry **known, size_t n_known)
{
	char *buf;
	size_t len;
	/* Files the investigator names may be pipes (<(...)); the directory's are regular files. */
	int err = external ? ta_read_file_at(dirfd, name, &buf, &len) :
		  ta_ckpt_file_read(dirfd, name, &buf, &len);
	if (err) {
		snprintf(msg, msglen, "%s: cannot read: %s", name,
			 external ? strerror(-err) : ta_regular_strerror(err));
		/* A FIFO, device or link named like a checkpoint file is a bad checkpoint file. */
		return !external && (err == -EINVAL || err == -ELOOP) ? -EBADMSG : err;
	}
	struct split_ctx c = { set, key, name, external, msg, msglen, known, n_known };
	uint64_t torn, bad;
	size_t before = set->n;
	if (external && len && buf[len - 1] == '\n' && (len < 2 || buf[len - 2] != '\n')) {
		/* A lone note without the file separator. */
		err = on_note(&c, 0, buf, len);
		free(buf);
		return err;
	}
	err = ta_ckpt_split(buf, len, on_note, &c, &torn, &bad);
	if (err == -EBADMSG && !msg[0])
		snprintf(msg, msglen, "%s offset %llu: malformed checkpoint entry", name,
			 (unsigned long long)bad);
	if (!err && torn < len) {
		if (external) {
			snprintf(msg, msglen, "%s offset %llu: incomplete checkpoint note", name,
				 (unsigned long long)torn);
			err = -EBADMSG;
		} else if (torn_plausible(buf + torn, len - torn,
					  /* the log's origin: its notes', else the key's name */
					  set->n ? set->v[set->n - 1].cp.origin :
					  key ? ta_verifier_name(key) : NULL)) {
			set->torn_files++;
		} else {
			snprintf(msg, msglen, "%s offset %llu: malformed checkpoint entry (not a note "
				 "cut short by a crash)", name, (unsigned long long)torn);
			err = -EBADMSG;
		}
	}
	/* A file the investigator names must hold a note: an empty one proves nothing. */
	if (!err && external && set->n == before) {
		snprintf(msg, msglen, "%s: holds no checkpoint note (give a file `ttyaudit checkpoint` wrote)", name);
		err = -EBADMSG;
	}
	free(buf);
	return err;
}

int ta_ckpt_signed_size(int dirfd, const struct ta_verifier *key, uint64_t *size, char *msg,
			size_t msglen)
{
	struct ta_verifier *own = NULL;
	struct ta_ckpt_set set = { 0 };
	int err = 0;

	*size = 0;
	if (!key) {
		err = ta_log_vkey_load(dirfd, &own);
		if (err)
			return err;
		key = own;
	}
	err = ta_ckpt_set_load(dirfd, key, &set, msg, msglen);
	for (size_t i = 0; !err && i < set.n; i++)
		if (set.v[i].cp.size > *size)
			*size = set.v[i].cp.size;
	ta_ckpt_set_free(&set);
	ta_verifier_free(own);
	return err;
}

int ta_ckpt_set_load(int dirfd, const struct ta_verifier *key, struct ta_ckpt_set *set,
		     char *msg, size_t msglen)
{
	uint64_t *seqs;
	size_t n;
	msg[0] = 0;
	int err = ta_list_seq_files(dirfd, TA_CKPT_SUFFIX, &seqs, &n);
	if (err)
		return err;
	const struct ta_ckpt_entry **known = NULL;
	size_t n_known = 0;
	if (set->known && set->known->n && (known = malloc(set->known->n * sizeof(*known)))) {
		for (size_t i = 0; i < set->known->n; i++)
			if (!set->known->v[i].external)
				known[n_known++] = &set->known->v[i];
		qsort(known, n_known, sizeof(*known), known_cmp);
	}
	for (size_t i = 0; i < n && !err; i++) {
		char name[TA_SEG_NAME_MAX];
		ta_seg_name(name, seqs[i], TA_CKPT_SUFFIX);
		size_t before = set->n;
		err = load_one(set, key, dirfd, name, 0, msg, msglen, known, n_known);
		/* Within the directory, sizes never go down from file to file or note to note. */
		for (size_t k = before; !err && k < set->n; k++) {
			if (k > 0 && set->v[k].cp.size < set->v[k - 1].cp.size) {
				snprintf(msg, msglen, "%s offset %llu: checkpoint of size %llu after one of "
					 "size %llu (checkpoints out of order)", set->v[k].file,
					 (unsigned long long)set->v[k].offset,
					 (unsigned long long)set->v[k].cp.size,
					 (unsigned long long)set->v[k - 1].cp.size);
				err = -EBADMSG;
			}
		}
	}
	free(seqs);
	free(known);
	return err;
}

int ta_ckpt_set_add_file(struct ta_ckpt_set *set, const struct ta_verifier *key, const char *path,
			 int dirfd_or_at, char *msg, size_t msglen)
{
	msg[0] = 0;
	return load_one(set, key, dirfd_or_at, path, 1, msg, msglen, NULL, 0);
}

int ta_ckpt_set_add_claim(struct ta_ckpt_set *set, const char *origin, uint64_t size,
			  const uint8_t root[TA_HASH_LEN], const char *where)
{
	struct ta_checkpoint cp;

	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = size;
	memcpy(cp.root, root, TA_HASH_LEN);
	int err = add_entry(set, &cp, where, 0, 1, "", 0);
	if (!err)
		set->v[set->n - 1].claim = 1;
	return err;
}

void ta_ckpt_set_sort(struct ta_ckpt_set *set)
{
	/* Insertion sort: stable, and linear on the already ordered directory list. */
	for (size_t i = 1; i < set->n; i++) {
		struct ta_ckpt_entry t = set->v[i];
		size_t j = i;
		while (j > 0 && set->v[j - 1].cp.size > t.cp.size) {
			set->v[j] = set->v[j - 1];
			j--;
		}
		set->v[j] = t;
	}
}

void ta_ckpt_set_free(struct ta_ckpt_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->v[i].note);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

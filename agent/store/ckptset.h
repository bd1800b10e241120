/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checkpoints of a log directory (every seg-*.ckpt file) plus external
 * ones, each checked against the verifier key, in file order.
 */
#ifndef TA_STORE_CKPTSET_H
#define TA_STORE_CKPTSET_H

#include <stddef.h>
#include <stdint.h>

#include "store/checkpoint.h"
#include "store/note.h"
#include "store/store.h"

struct ta_ckpt_entry {
	struct ta_checkpoint cp;
	char file[256];      /* ckpt file name, or the external path */
	uint64_t offset;     /* byte offset of the note in file */
	int external;
	/* An unsigned root (an audit-trail anchor), never counted as signed: 1, or 2 when
	 * its writer had a login uid (not a daemon systemd started). */
	int claim;
	char *note;          /* the note text (NUL-terminated) */
	size_t note_len;
};

struct ta_ckpt_set {
	const char *origin;   /* the origin every note must carry; NULL: the key's name */
	struct ta_ckpt_entry *v;
	size_t n, cap;
	uint64_t torn_files;  /* files that end in an incomplete note */
	/*
	 * Optional, for a reader that loads the same directory again and again
	 * (the shipper, every round): an earlier set of it. A note found at the
	 * same file and offset with the same bytes is taken from it without
	 * checking its signature again. Not owned; not kept by the loaded set.
	 */
	const struct ta_ckpt_set *known;
};

/*
 * Loads and checks every checkpoint file of dirfd. On a bad note returns
 * -EBADMSG and writes "<file> offset <n>: <what>" into msg.
 */
int ta_ckpt_set_load(int dirfd, const struct ta_verifier *key, struct ta_ckpt_set *set,
		     char *msg, size_t msglen);
/* Adds a note file kept elsewhere (all notes in it; usually one). */
int ta_ckpt_set_add_file(struct ta_ckpt_set *set, const struct ta_verifier *key, const char *path,
			 int dirfd_or_at, char *msg, size_t msglen);
/* Adds one note held elsewhere than a file (the fleet's database); where names it in entries. */
int ta_ckpt_set_add_note(struct ta_ckpt_set *set, const struct ta_verifier *key, const char *note,
			 size_t len, const char *where, char *msg, size_t msglen);
/*
 * Checks one note: signed by key (other signatures ignored), a well-formed
 * checkpoint, of origin (NULL: the key's name). On failure *why says what.
 */
int ta_ckpt_check_note(const struct ta_verifier *key, const char *origin, const char *note,
		       size_t len, struct ta_checkpoint *cp, const char **why);
/*
 * Adds a root vouched for elsewhere without a signature (an anchor in the
 * audit trail); `where` names it in messages. Checked like an external
 * checkpoint: a log that does not match it was rolled back or rewritten.
 */
int ta_ckpt_set_add_claim(struct ta_ckpt_set *set, const char *origin, uint64_t size,
			  const uint8_t root[TA_HASH_LEN], const char *where);
/*
 * The log directory's own verifier key: the first line of its ttyaudit.vkey,
 * read as a regular file only (ta_read_regular_at: a FIFO there hung every
 * reader). -errno of the read, or -EBADMSG: it holds no Ed25519 verifier key.
 */
int ta_log_vkey_load(int dirfd, struct ta_verifier **out);
/* One phrase for its errors. */
const char *ta_log_vkey_strerror(int err);
/*
 * A checkpoint file of the directory, whole, read as a regular file only.
 * -errno (ta_regular_strerror).
 */
int ta_ckpt_file_read(int dirfd, const char *name, char **buf, size_t *len);
/*
 * The largest tree size any checkpoint file of dirfd signs (0: none). key NULL:
 * the directory's ttyaudit.vkey. -EBADMSG (msg says where) if a file is damaged.
 */
int ta_ckpt_signed_size(int dirfd, const struct ta_verifier *key, uint64_t *size, char *msg,
			size_t msglen);
/* Sorts by size (stable: file order within a size). */
void ta_ckpt_set_sort(struct ta_ckpt_set *set);
void ta_ckpt_set_free(struct ta_ckpt_set *set);

#endif

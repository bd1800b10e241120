/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tamper-evident log store (docs/log-format.md).
 *
 * A log directory holds segment files seg-<seq>.log of length-prefixed,
 * CRC-checked records, one RFC 6962 Merkle tree over all records of all
 * segments, and signed C2SP checkpoints in seg-<seq>.ckpt. Files are made
 * append-only (chattr +a) when the filesystem and capabilities allow.
 *
 * Every function returns 0 (or a count) or -errno; none prints. Where a
 * failure has more to say, ta_store_message() / the error structs hold one line
 * of text for the program boundary to log.
 *
 * Indexes: records are numbered from 0 in append order across the whole log.
 * An index given by ta_store_append() is final once ta_store_durable_index()
 * is above it; records not yet durable are lost by a crash (the next open
 * writes a TA_REC_RECOVERY record) and their indexes are then reused.
 */
#ifndef TA_STORE_H
#define TA_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ttyaudit/record.h"

#define TA_STORE_DEFAULT_DIR "/var/log/ttyaudit"

struct ta_store_opts {
	const char *dir;               /* log directory (created 0750 if absent) */
	const char *key_file;          /* Ed25519 signer key; created 0600 on first open.
					* NULL: <dir>/ttyaudit.key (keep it elsewhere in production) */
	const char *origin;            /* checkpoint origin line and key name for a new key;
					* NULL: the existing key's name, or for a new key
					* "<hostname>/ttyaudit/<8 random hex digits>" */
	uint32_t commit_interval_ms;   /* group commit: fdatasync at most this late (200) */
	uint32_t commit_max_records;   /* ... or after this many records (4096) */
	uint32_t checkpoint_every_records; /* checkpoint after this many records (100000) */
	uint32_t checkpoint_interval_ms;   /* ... or this long after new records (60000) */
	uint64_t segment_max_bytes;    /* rotate at this size (64 MiB) */
	uint32_t segment_max_age_s;    /* ... or age (86400) */
	uint64_t retain_max_bytes;     /* delete oldest segments above this total; 0 = unlimited */
	uint32_t retain_max_age_s;     /* ... or sealed longer ago than this; 0 = unlimited */
	int compression_level;         /* zstd level (1); 0 = default, < 0 fast levels */
	uint32_t compress_min_bytes;   /* try compression from this payload size (0 = 1024):
					* zstd on a few hundred bytes costs more than it saves */
	int no_append_only;            /* 1: do not try chattr +a (tests, filesystems without it) */
	int batch_threads;             /* ta_store_append_batch: 0 two threads if there are two
					* cores, 1 the caller's alone */
	/* Called after each checkpoint is durable (e.g. to anchor it in the audit trail). */
	void (*on_checkpoint)(void *ctx, const char *origin, uint64_t size,
			      const uint8_t root[32], const char *note);
	void *on_checkpoint_ctx;
};

struct ta_store;

/*
 * Opens or creates the log. Every open starts a new segment; if the last
 * segment ends in a torn write, the new segment's first records say where
 * (TA_REC_RECOVERY). -EBUSY if another writer holds the directory,
 * -EKEYREJECTED if the key is not the one the directory's ttyaudit.vkey names,
 * -ENOKEY if the key file is not a key (or not a regular file),
 * -EUCLEAN if records a signed checkpoint covers are gone or the checkpoints
 * are damaged (appending would fork the signed tree).
 * On failure *out is NULL; ta_store_open_error() explains the last failure.
 */
int ta_store_open(struct ta_store **out, const struct ta_store_opts *o);
const char *ta_store_open_error(void); /* thread-local line for the last failed open */

/*
 * Appends one record (type >= 0x0100; the store's own types are refused).
 * *index_out (optional) receives its index. Errors: -ENOSPC (or -EDQUOT): disk
 * full, the record was NOT added and the store keeps what it had; count what
 * you drop and call ta_store_append_gap() once appends work again. -EMSGSIZE:
 * payload above 16 MiB. -EIO: the store is broken (fsync failed); close it.
 */
int ta_store_append(struct ta_store *s, uint16_t type, uint64_t time_ns, uint64_t session,
		    const void *payload, size_t len, uint64_t *index_out);
/* One record of ta_store_append_batch(), as the arguments of ta_store_append(). */
struct ta_store_rec {
	uint16_t type;
	uint64_t time_ns;
	uint64_t session;
	const void *payload;
	size_t len;
};
/*
 * Appends n records in order, exactly as n calls of ta_store_append() would (the same bytes,
 * segments and checkpoints), compressing and hashing them on two threads when a second core
 * is free (opts.batch_threads); the buffer goes to the kernel after each part of the batch
 * (at most 4096 records, ending where the buffer reaches the 1 MiB at which a single append
 * flushes it), so a write error stops it after no more records than single appends.
 * Returns the number appended, n unless an error stopped the
 * batch part way (the records from there on were NOT added: call again with the rest to get
 * the error), or -errno if none was: the errors of ta_store_append(), and -EINVAL or
 * -EMSGSIZE for any record of the batch, checked before the first is added.
 * indexes (optional, n entries) receives each appended record's index (a new segment's own
 * records may fall between two of them).
 */
ssize_t ta_store_append_batch(struct ta_store *s, const struct ta_store_rec *recs, size_t n,
			      uint64_t *indexes);
/* Writes a TA_REC_GAP record for records the caller dropped since since_ns. */
int ta_store_append_gap(struct ta_store *s, uint32_t reason, uint64_t dropped_records,
			uint64_t dropped_bytes, uint64_t since_ns, uint64_t until_ns,
			uint64_t *index_out);
/* 1 while the store refuses appends because the disk was full. */
int ta_store_is_full(const struct ta_store *s);

/* Group commit now: writes and fdatasyncs; on success every record so far is durable. */
int ta_store_commit(struct ta_store *s);
/*
 * Hands the records appended so far to the kernel (write, no fdatasync): they
 * then survive the process being killed, not a power loss. 0 or -errno
 * (-ENOSPC: the disk is full, the bytes are held as by an append).
 */
int ta_store_write_out(struct ta_store *s);
/* Number of records acknowledged durable (records 0 .. n-1). */
uint64_t ta_store_durable_index(const struct ta_store *s);
/* Records appended (durable or not). */
uint64_t ta_store_size(const struct ta_store *s);

/*
 * Runs due timers: group commit, checkpoint, age rotation, retention.
 * now_ns is CLOCK_MONOTONIC (0: read it). Returns the milliseconds until the
 * next timer is due (for poll), or -errno.
 */
int ta_store_tick(struct ta_store *s, uint64_t now_ns);

/* Commits, then signs and stores a checkpoint of the whole log now. */
int ta_store_checkpoint(struct ta_store *s, char **note_out);
/* Forces rotation to a new segment now (commit + checkpoint + seal). */
int ta_store_rotate(struct ta_store *s);
/* Runs retention now (as ta_store_tick does when due). Returns segments deleted. */
int ta_store_retention(struct ta_store *s, uint64_t now_realtime_ns);

/* Commit, final checkpoint, close. Always frees s; returns the first error. */
int ta_store_close(struct ta_store *s);

/* The verifier key ("name+keyid+base64") of the store's signing key. */
const char *ta_store_vkey(const struct ta_store *s);
/*
 * The log directory, opened once at ta_store_open (valid until ta_store_close):
 * the daemon opens its other files there relative to it, not by name.
 */
int ta_store_dirfd(const struct ta_store *s);
/*
 * Whether segments are append-only: 0 yes, -errno if FS_APPEND_FL could not
 * be set (-EPERM: no CAP_LINUX_IMMUTABLE, -ENOTTY/-EOPNOTSUPP: filesystem),
 * -ECANCELED if disabled by opts. *msg (optional) gets a line saying why.
 */
int ta_store_append_only_status(const struct ta_store *s, const char **msg);
/* The last error's explanation (one line), or "" if none. */
const char *ta_store_message(const struct ta_store *s);

struct ta_store_stats {
	uint64_t records, durable, bytes_raw, bytes_stored, segments_created, checkpoints,
		fsyncs, segments_deleted, enospc_events;
};
void ta_store_get_stats(const struct ta_store *s, struct ta_store_stats *st);

/* Test hook: after `after_bytes` more bytes, writes fail with -err until cleared (err 0). */
void ta_store_inject_write_error(struct ta_store *s, int err, uint64_t after_bytes);

/* ------------------------------------------------------------------ reading */

struct ta_log_reader;

struct ta_log_record {
	uint64_t index;
	uint16_t type;
	uint8_t flags;            /* enum ta_log_record_flags, as stored */
	uint64_t time_ns;
	uint64_t session;
	const uint8_t *payload;   /* decompressed payload (stored bytes with TA_READER_RAW) */
	size_t len;
	const uint8_t *stored;    /* the record as stored: the bytes of its Merkle leaf */
	size_t stored_len;
	uint64_t segment_seq;     /* where: segment and byte offset of the record */
	uint64_t offset;
	const char *segment_name;
};

/* Where and why reading stopped. */
struct ta_log_error {
	int code;                 /* -errno */
	uint64_t segment_seq;
	char segment_name[48];
	uint64_t offset;
	uint64_t index;           /* index the record at offset should have */
	int torn_reason;          /* enum ta_torn_reason, or 0 */
	char what[256];
};

/*
 * The envelope of a record as stored (the bytes of its Merkle leaf, as the
 * shipper sends them): 0 with its index, type, flags, time and session in
 * *out (stored = rec; the payload is not decoded), or -EBADMSG if its length
 * or version does not match. For readers outside the store (the collector).
 */
struct ta_log_record;
int ta_stored_record_parse(const void *rec, size_t len, struct ta_log_record *out);

enum ta_log_record_flags {
	TA_LOG_REC_COMPRESSED = 0x01, /* stored zstd-compressed (the payload given is decompressed) */
};

enum ta_reader_flags {
	TA_READER_RAW = 1,        /* do not decompress: payload = stored bytes */
};

/* Read-only: never writes, locks or changes flags in dir. */
int ta_log_reader_open(struct ta_log_reader **out, const char *dir);
int ta_log_reader_open_flags(struct ta_log_reader **out, const char *dir, unsigned flags);
/*
 * 1 and *rec filled; 0 at the end of the log; -errno on a bad record
 * (-EBADMSG: corrupt, with the position in ta_log_reader_error()). A torn tail
 * of the last segment ends the log (0) and is described by
 * ta_log_reader_torn(). rec's pointers are valid until the next call.
 */
int ta_log_reader_next(struct ta_log_reader *r, struct ta_log_record *rec);
/* Positions the reader so the next record returned is index. -ENOENT if absent. */
int ta_log_reader_seek(struct ta_log_reader *r, uint64_t index);
/*
 * The index the next record read would carry; after a seek past the log's
 * end (-ENOENT), the number of records the log holds.
 */
uint64_t ta_log_reader_next_index(const struct ta_log_reader *r);

/*
 * Records from elsewhere than a log directory (the fleet's database holds each
 * record as stored, the bytes of its leaf): one record checked (envelope, CRC,
 * index unless expect_index is UINT64_MAX) and its payload decompressed into
 * the decoder's buffer, valid until the next call. -EBADMSG with *why.
 */
struct ta_rec_decoder;
int ta_rec_decoder_new(struct ta_rec_decoder **out);
void ta_rec_decoder_free(struct ta_rec_decoder *d);
/*
 * Payloads larger than max_raw (TA_REC_MAX_PAYLOAD by default) are refused,
 * -E2BIG, before anything is inflated: a reader of other parties' records
 * (the collector's session index) bounds what one small record makes it do.
 */
void ta_rec_decoder_set_max(struct ta_rec_decoder *d, size_t max_raw);
int ta_rec_decode(struct ta_rec_decoder *d, const uint8_t *stored, size_t len, uint64_t expect_index,
		  struct ta_log_record *rec, const char **why);
const struct ta_log_error *ta_log_reader_error(const struct ta_log_reader *r);
/* Non-NULL if the log ends in a torn tail (code 0, position and reason set). */
const struct ta_log_error *ta_log_reader_torn(const struct ta_log_reader *r);
/* Index of the first record present (> 0 after retention). */
uint64_t ta_log_reader_first_index(const struct ta_log_reader *r);
void ta_log_reader_close(struct ta_log_reader *r);

/* --------------------------------------------------------------- verifying */

struct ta_verifier;

/* A tree root vouched for outside the log, unsigned: an anchor in the audit trail. */
struct ta_root_claim {
	char origin[256];
	uint64_t size;
	uint8_t root[32];
	char where[128];           /* for messages: "audit log FILE serial N" */
	int login_uid;             /* its writer had an auid: not a daemon systemd started */
};

struct ta_verify_opts {
	const char *dir;
	const struct ta_verifier *key;     /* NULL: the directory's ttyaudit.vkey */
	const char *origin;                /* every checkpoint's origin; NULL: the key's name */
	const char *const *external;       /* checkpoint note files kept elsewhere */
	size_t n_external;
	/* Only those of the expected origin (origin, else the key's name) are checked. */
	const struct ta_root_claim *claims;
	size_t n_claims;
	int threads;                       /* hashing threads: 0 two if there are two cores, 1 one */
};

struct ta_verify_result {
	int ok;
	uint64_t records;           /* records present */
	uint64_t first_index;       /* first record present (retention) */
	uint64_t segments;
	uint64_t bytes;
	uint64_t checkpoints;       /* signed checkpoints whose root was checked */
	uint64_t checkpoints_sig_only; /* before the retained range: signature checked */
	/* Of those, the --checkpoint files (the first 8 named): the investigator's own. */
	uint64_t n_ext_sig_only;
	struct {
		char file[256];
		uint64_t size;
	} ext_sig_only[8];
	uint64_t latest_checkpoint; /* size of the largest signed checkpoint checked */
	uint8_t root[32];           /* root of the whole log */
	uint64_t retention_records, recovery_records, gap_records;
	int torn;                   /* the last segment ends in a torn tail */
	struct ta_log_error torn_at;
	int key_from_dir;           /* no key given: the directory's own vkey was used */
	uint64_t claims_checked;    /* anchors of this log's origin matched */
	uint64_t claims_login_uid;  /* of those, written by a process with a login uid */
	uint64_t claims_unchecked;  /* anchors of this log before its first record kept */
	uint64_t claims_foreign;    /* anchors of other logs, ignored */
	/* The first problem, when !ok: where and what (one line in message). */
	struct ta_log_error bad;
	char message[1024];
};

/* 0 if the log verifies, -EBADMSG if not (result->message says why), other -errno on I/O. */
int ta_log_verify(const struct ta_verify_opts *o, struct ta_verify_result *res);

/*
 * The latest verified checkpoint: the size of the newest checkpoint in dir
 * whose signature checks with the directory's verifier key. 0 and *size;
 * -ENOENT (no checkpoint), -EBADMSG (the newest one does not check: *size
 * stays 0) or -errno. why (one line for the program boundary) says which.
 * Checks the signature only, not the tree (ta_log_verify does that).
 */
int ta_store_latest_checkpoint(const char *dir, uint64_t *size, char *why, size_t whycap);

/* ----------------------------------------------------------------- proofs */

enum ta_proof_kind { TA_PROOF_INCLUSION = 1, TA_PROOF_CONSISTENCY = 2 };
struct ta_ckpt_set;

struct ta_proof_request {
	enum ta_proof_kind kind;
	const uint64_t *indexes;   /* inclusion: these records ... */
	size_t n_indexes;
	int by_session;            /* ... or all records with this session key */
	uint64_t session;
	uint64_t old_size;         /* consistency: from old_size ... */
	uint64_t tree_size;        /* ... to tree_size. Inclusion: 0 = latest checkpoint */
	const char *origin;        /* the log's checkpoints' origin; NULL: its key's name */
	/* by_session, optional: the session's records after tree_size (in no proof of it). */
	uint64_t *after_out;
	/* Consistency, optional: the proof's hashes (room for TA_PROOF_MAX) and their
	 * count, for protocols that carry them raw (a witness's add-checkpoint). */
	uint8_t (*hashes_out)[32];
	size_t *n_hashes_out;
	/* Optional: the log's checkpoints already loaded, checked and sorted
	 * (ta_ckpt_set_sort), instead of loading them with the directory's key. */
	const struct ta_ckpt_set *ckpts;
};

/*
 * Builds a proof from the log in dir and writes it as text (format in
 * docs/log-format.md) to *text_out (malloc'd). The tree size must be that of
 * a checkpoint in the log; the proof carries it. err (optional) explains.
 */
int ta_proof_build(const char *dir, const struct ta_proof_request *req, char **text_out,
		   size_t *len_out, char *err, size_t errlen);

/*
 * A log's leaves from elsewhere than a log directory (the fleet's database),
 * in index order. A leaf comes as its record's stored bytes (hashed here), or
 * as its hash, or both (then they must agree); the proof's records must come
 * with their bytes. The first leaf may start after 0 with seed, the compact
 * range of the leaves before it (retention).
 */
struct ta_proof_leaf {
	uint64_t index;
	const uint8_t *stored;     /* the record as stored, or NULL */
	size_t stored_len;
	const uint8_t *leaf;       /* its leaf hash (TA_HASH_LEN bytes), or NULL */
	const uint8_t *seed;
	unsigned n_seed;
};
struct ta_proof_source {
	/* 1 and *l (valid until the next call), 0 at the end, -errno with err filled. */
	int (*next)(void *ctx, struct ta_proof_leaf *l, char *err, size_t errlen);
	void *ctx;
};
/*
 * As ta_proof_build, from src against req->ckpts (required, sorted); an
 * inclusion proof names its records (req->indexes; not by_session).
 */
int ta_proof_build_from(const struct ta_proof_source *src, const struct ta_proof_request *req,
			char **text_out, size_t *len_out, char *err, size_t errlen);

struct ta_proof_result {
	enum ta_proof_kind kind;
	uint64_t tree_size, old_size;
	size_t n_records;          /* inclusion: records proven */
	size_t note_off, note_len; /* the checkpoint note within the proof text (cosignatures) */
	char message[512];
};
/* Per proven record, for printing. */
typedef void (*ta_proof_record_cb)(void *ctx, const struct ta_log_record *rec);
/*
 * Checks a proof offline: signatures with key on checkpoints of origin (NULL:
 * the key's name), the paths against the signed
 * root, optional trusted checkpoint notes (must be the proof's checkpoint, or
 * for consistency proofs its old one). 0 if valid, -EBADMSG if not.
 */
int ta_proof_verify(const char *text, size_t len, const struct ta_verifier *key,
		    const char *origin, const char *const *trusted, const size_t *trusted_len, size_t n_trusted,
		    ta_proof_record_cb cb, void *ctx, struct ta_proof_result *res);

#endif

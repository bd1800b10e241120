/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CLI's index: a cache of the session table (sessions sorted by start,
 * an auid-ordered view, where each session's records are, log-wide gaps),
 * written by `ttyaudit reindex` or after a query that had to read much of
 * the log. It is never trusted over the log: it only says where to look;
 * shown data is always re-read from the segments.
 *
 * File: 128-byte header (magic "TTYAIDX1", counts, the log position it
 * covers: end_index, last segment and its end offset), then sessions
 * (struct ta_sess), auid order (uint32 ordinals), refs (struct ta_ref),
 * gaps (struct ta_global_gap), shared-terminal links (struct
 * ta_shared_link) and attach/detach records (struct ta_shared_client),
 * string pool (each string its length, its bytes and a NUL: sesstab.h).
 * Native byte order: a cache for this host.
 */
#ifndef TA_INDEX_INDEX_H
#define TA_INDEX_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "index/sesstab.h"

#define TA_INDEX_MAGIC "TTYAIDX1"
#define TA_INDEX_VERSION 6 /* 5: lost events/bytes per session and loss gap; 6: pool
			    * strings with their lengths (ta_sesstab_strn) */

/*
 * What the index saw of each segment up to its last one: a sealed segment
 * whose size, inode or ctime differs was changed (damaged, replaced, cut)
 * after indexing, and one that is gone or new in the middle moves every
 * later index: either way the index no longer vouches for the log.
 */
struct ta_index_seg {
	uint64_t seq, size, ino, ctime_ns;
};

struct ta_index_hdr {
	char magic[8];
	uint32_t version, hdr_len;
	uint64_t n_sess, n_refs, n_gaps, pool_len;
	uint64_t end_index, last_seg_seq, last_seg_end, records;
	uint64_t off_sess, off_auid, off_refs, off_gaps, off_pool, file_len;
	uint64_t agent_starts;
	char backend[24];
	uint64_t n_links, n_clients, off_links, off_clients;
	uint64_t n_segs, off_segs;
};
_Static_assert(sizeof(struct ta_index_hdr) == 208, "index header layout");

struct ta_index {
	void *map;
	size_t len;
	int fd;                    /* kept for ta_index_read_sessions (-1: closed) */
	const struct ta_index_hdr *h;
	struct ta_sesstab view;    /* read-only: arrays point into the mapping */
	const uint32_t *by_auid;
	const struct ta_index_seg *segs;  /* h->n_segs */
};

/*
 * Writes t (finished) atomically to path (temp file + rename), with what the
 * segments of log_dir look like now (NULL: none; the index then cannot tell
 * a changed sealed segment).
 */
int ta_index_write(const struct ta_sesstab *t, const char *path, const char *log_dir);
/* Maps and checks an index file; -EBADMSG if it is not a sound one. */
int ta_index_open(struct ta_index *ix, const char *path);
void ta_index_close(struct ta_index *ix);
/*
 * Ordinals of sessions with this auid, in start order: *first and count. Each
 * ordinal is < view.n; a damaged index can still list another user's
 * session, so callers match the auid again.
 */
size_t ta_index_by_auid(const struct ta_index *ix, uint32_t auid, const uint32_t **first);
/*
 * Copies the sessions of these ordinals out of the index file with pread():
 * one user's sessions lie one per page across the index, and faulting each
 * page in maps 15 neighbours with it. -EBADMSG: an ordinal out of range.
 */
int ta_index_read_sessions(const struct ta_index *ix, const uint32_t *ords, size_t n,
			   struct ta_sess *out);
/* Copies the index into a mutable table (to add the log's tail); -EBADMSG if its sessions
 * are out of bounds or their refs not laid out as a finished table's (a damaged index). */
int ta_index_to_table(const struct ta_index *ix, struct ta_sesstab *t);

/*
 * Whether the index covers the whole log in dir: 1 fresh, 0 the log has
 * grown past it (read from ix->h->end_index on), -ESTALE if the log no longer
 * matches it (rebuild).
 */
int ta_index_check(const struct ta_index *ix, const char *dir);

/* Default places: <dir>/index/sessions.idx, else a per-user cache file. */
void ta_index_paths(const char *dir, char *in_log, size_t cap1, char *cache, size_t cap2);

#endif

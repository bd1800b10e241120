// SPDX-License-Identifier: GPL-2.0-or-later
/* The CLI's index file (index.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "index/index.h"
#include "store/log_dir.h"

static const struct ta_sesstab *sort_ctx;

static int cmp_auid(const void *a, const void *b)
{
	const struct ta_sess *x = &sort_ctx->s[*(const uint32_t *)a];
	const struct ta_sess *y = &sort_ctx->s[*(const uint32_t *)b];

	if (x->auid != y->auid)
		return x->auid < y->auid ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static uint64_t align8(uint64_t x)
{
	return (x + 7) & ~7ull;
}

/* The segments up to last_seq as they are now (see struct ta_index_seg). */
static int snapshot_segments(const char *dir, uint64_t last_seq, struct ta_index_seg **out,
			     size_t *n_out)
{
	uint64_t *seqs = NULL;
	size_t n = 0, k = 0;
	int err, dfd;

	*out = NULL;
	*n_out = 0;
	if (!dir)
		return 0;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	err = ta_list_segments(dfd, &seqs, &n);
	if (!err && n) {
		*out = calloc(n, sizeof(**out));
		if (!*out)
			err = -ENOMEM;
	}
	for (size_t i = 0; !err && i < n && seqs[i] <= last_seq; i++) {
		char name[TA_SEG_NAME_MAX];
		struct stat st;

		ta_seg_name(name, seqs[i], TA_SEG_SUFFIX);
		if (fstatat(dfd, name, &st, 0)) {
			err = -errno;
			break;
		}
		(*out)[k++] = (struct ta_index_seg){
			.seq = seqs[i], .size = (uint64_t)st.st_size, .ino = (uint64_t)st.st_ino,
			.ctime_ns = (uint64_t)st.st_ctim.tv_sec * 1000000000ull +
				    (uint64_t)st.st_ctim.tv_nsec,
		};
	}
	free(seqs);
	close(dfd);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	*n_out = k;
	return 0;
}

int ta_index_write(const struct ta_sesstab *t, const char *path, const char *log_dir)
{
	struct ta_index_hdr h;
	struct ta_index_seg *segs = NULL;
	size_t nsegs = 0;
	uint32_t *order = NULL;
	char tmp[4096];
	int fd, err = 0;
	static const uint8_t zero[8];

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, TA_INDEX_MAGIC, 8);
	h.version = TA_INDEX_VERSION;
	h.hdr_len = sizeof(h);
	h.n_sess = t->n;
	h.n_refs = t->keep_refs ? t->nrefs : 0;
	h.n_gaps = t->ngaps;
	h.pool_len = t->pool_len;
	h.end_index = t->end_index;
	h.last_seg_seq = t->last_seg_seq;
	h.last_seg_end = t->last_seg_end;
	h.records = t->records;
	h.agent_starts = t->agent_starts;
	snprintf(h.backend, sizeof(h.backend), "%.23s", t->backend);
	h.off_sess = sizeof(h);
	h.off_auid = h.off_sess + h.n_sess * sizeof(struct ta_sess);
	h.off_refs = align8(h.off_auid + h.n_sess * sizeof(uint32_t));
	h.off_gaps = h.off_refs + h.n_refs * sizeof(struct ta_ref);
	h.n_links = t->nlinks;
	h.n_clients = t->nclients;
	h.off_links = h.off_gaps + h.n_gaps * sizeof(struct ta_global_gap);
	h.off_clients = h.off_links + h.n_links * sizeof(struct ta_shared_link);
	err = snapshot_segments(log_dir, t->last_seg_seq, &segs, &nsegs);
	if (err)
		return err;
	h.n_segs = nsegs;
	h.off_segs = h.off_clients + h.n_clients * sizeof(struct ta_shared_client);
	h.off_pool = h.off_segs + h.n_segs * sizeof(struct ta_index_seg);
	h.file_len = h.off_pool + h.pool_len;

	if (t->n) {
		order = malloc(t->n * sizeof(*order));
		if (!order) {
			free(segs);
			return -ENOMEM;
		}
		for (size_t i = 0; i < t->n; i++)
			order[i] = (uint32_t)i;
		sort_ctx = t;
		qsort(order, t->n, sizeof(*order), cmp_auid);
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= sizeof(tmp)) {
		free(order);
		free(segs);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		err = -errno;
		free(order);
		free(segs);
		return err;
	}
	size_t pad = (size_t)(h.off_refs - (h.off_auid + h.n_sess * sizeof(uint32_t)));
	if (!err)
		err = ta_write_all(fd, &h, sizeof(h));
	if (!err && t->n)
		err = ta_write_all(fd, t->s, t->n * sizeof(struct ta_sess));
	if (!err && t->n)
		err = ta_write_all(fd, order, t->n * sizeof(uint32_t));
	if (!err && pad)
		err = ta_write_all(fd, zero, pad);
	if (!err && h.n_refs)
		err = ta_write_all(fd, t->refs, h.n_refs * sizeof(struct ta_ref));
	if (!err && h.n_gaps)
		err = ta_write_all(fd, t->gaps, h.n_gaps * sizeof(struct ta_global_gap));
	if (!err && h.n_links)
		err = ta_write_all(fd, t->links, h.n_links * sizeof(struct ta_shared_link));
	if (!err && h.n_clients)
		err = ta_write_all(fd, t->clients, h.n_clients * sizeof(struct ta_shared_client));
	if (!err && h.n_segs)
		err = ta_write_all(fd, segs, h.n_segs * sizeof(struct ta_index_seg));
	if (!err)
		err = ta_write_all(fd, t->pool, t->pool_len);
	free(order);
	free(segs);
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int ta_index_open(struct ta_index *ix, const char *path)
{
	struct stat st;
	int fd;

	memset(ix, 0, sizeof(*ix));
	ix->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(struct ta_index_hdr)) {
		close(fd);
		return -EBADMSG;
	}
	ix->len = (size_t)st.st_size;
	ix->map = mmap(NULL, ix->len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (ix->map == MAP_FAILED) {
		int err = -errno;
		close(fd);
		ix->map = NULL;
		return err;
	}
	ix->fd = fd;
	const struct ta_index_hdr *h = ix->map;
	const uint64_t L = ix->len;
	/* Every count and offset is a claim: check them all against the file. */
	if (memcmp(h->magic, TA_INDEX_MAGIC, 8) || h->version != TA_INDEX_VERSION ||
	    h->hdr_len != sizeof(*h) || h->file_len != L || h->n_sess > L / sizeof(struct ta_sess) ||
	    h->n_refs > L / sizeof(struct ta_ref) || h->n_gaps > L / sizeof(struct ta_global_gap) ||
	    h->off_sess != sizeof(*h) ||
	    h->off_auid != h->off_sess + h->n_sess * sizeof(struct ta_sess) ||
	    h->off_refs != align8(h->off_auid + h->n_sess * sizeof(uint32_t)) ||
	    h->off_gaps != h->off_refs + h->n_refs * sizeof(struct ta_ref) ||
	    h->n_links > L / sizeof(struct ta_shared_link) ||
	    h->n_clients > L / sizeof(struct ta_shared_client) ||
	    h->off_links != h->off_gaps + h->n_gaps * sizeof(struct ta_global_gap) ||
	    h->off_clients != h->off_links + h->n_links * sizeof(struct ta_shared_link) ||
	    h->n_segs > L / sizeof(struct ta_index_seg) ||
	    h->off_segs != h->off_clients + h->n_clients * sizeof(struct ta_shared_client) ||
	    h->off_pool != h->off_segs + h->n_segs * sizeof(struct ta_index_seg) ||
	    h->off_pool + h->pool_len != L || h->pool_len < 1 || h->pool_len > UINT32_MAX ||
	    ((const char *)ix->map)[L - 1] != '\0') {
		ta_index_close(ix);
		return -EBADMSG;
	}
	ix->h = h;
	ix->view.s = (struct ta_sess *)((char *)ix->map + h->off_sess);
	ix->view.n = h->n_sess;
	ix->view.refs = h->n_refs ? (struct ta_ref *)((char *)ix->map + h->off_refs) : NULL;
	ix->view.nrefs = h->n_refs;
	ix->view.keep_refs = h->n_refs > 0;
	ix->view.gaps = (struct ta_global_gap *)((char *)ix->map + h->off_gaps);
	ix->view.ngaps = h->n_gaps;
	ix->view.links = h->n_links ? (struct ta_shared_link *)((char *)ix->map + h->off_links) : NULL;
	ix->view.nlinks = h->n_links;
	ix->view.clients = h->n_clients ? (struct ta_shared_client *)((char *)ix->map + h->off_clients) : NULL;
	ix->view.nclients = h->n_clients;
	ix->view.pool = (char *)ix->map + h->off_pool;
	ix->view.pool_len = h->pool_len;
	ix->view.end_index = h->end_index;
	ix->view.records = h->records;
	ix->view.last_seg_seq = h->last_seg_seq;
	ix->view.last_seg_end = h->last_seg_end;
	ix->view.agent_starts = h->agent_starts;
	memcpy(ix->view.backend, h->backend, sizeof(h->backend));
	ix->view.backend[sizeof(h->backend) - 1] = '\0';
	ix->by_auid = (const uint32_t *)((char *)ix->map + h->off_auid);
	ix->segs = (const struct ta_index_seg *)((char *)ix->map + h->off_segs);
	/* Per-session claims (ordinals, ref ranges, counts) are checked where they are used
	 * (ta_index_by_auid, ta_sess_sane), so opening stays O(1) for a million sessions. */
	return 0;
}

void ta_index_close(struct ta_index *ix)
{
	if (ix->map)
		munmap(ix->map, ix->len);
	if (ix->fd >= 0)
		close(ix->fd);
	memset(ix, 0, sizeof(*ix));
	ix->fd = -1;
}

size_t ta_index_by_auid(const struct ta_index *ix, uint32_t auid, const uint32_t **first)
{
	size_t lo = 0, hi = ix->view.n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ix->by_auid[mid] >= ix->view.n) {
			*first = ix->by_auid;
			return 0; /* a damaged index: nothing from it */
		}
		if (ix->view.s[ix->by_auid[mid]].auid < auid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* The end by bisection too: a linear scan would touch every session (a page each). */
	size_t end = lo;
	hi = ix->view.n;
	while (end < hi) {
		size_t mid = (end + hi) / 2;
		if (ix->by_auid[mid] >= ix->view.n) {
			*first = ix->by_auid;
			return 0;
		}
		if (ix->view.s[ix->by_auid[mid]].auid <= auid)
			end = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < end; i++)
		if (ix->by_auid[i] >= ix->view.n) {
			*first = ix->by_auid;
			return 0;
		}
	*first = ix->by_auid + lo;
	return end - lo;
}

int ta_index_read_sessions(const struct ta_index *ix, const uint32_t *ords, size_t n,
			   struct ta_sess *out)
{
	if (ix->fd < 0)
		return -EBADF;
	for (size_t i = 0; i < n; i++) {
		if (ords[i] >= ix->view.n)
			return -EBADMSG;
		off_t off = (off_t)(ix->h->off_sess + (uint64_t)ords[i] * sizeof(struct ta_sess));
		ssize_t r = pread(ix->fd, &out[i], sizeof(out[i]), off);
		if (r != (ssize_t)sizeof(out[i]))
			return r < 0 ? -errno : -EBADMSG;
	}
	return 0;
}

int ta_index_to_table(const struct ta_index *ix, struct ta_sesstab *t)
{
	const struct ta_sesstab *v = &ix->view;
	uint64_t next_ref = 0;

	/*
	 * The copy is written to and finished again: each session must be within
	 * bounds and the refs laid out as finish left them (each session's run
	 * after the previous one's, all of them covered), or a damaged index
	 * writes past ref_sess and leaves entries of it unset.
	 */
	for (size_t i = 0; i < v->n; i++) {
		if (!ta_sess_sane(v, &v->s[i]) || v->s[i].refs_off != next_ref)
			return -EBADMSG;
		next_ref += v->s[i].refs_n;
	}
	if (next_ref != v->nrefs)
		return -EBADMSG;
	int err = ta_sesstab_init(t, v->keep_refs);

	if (err)
		return err;
	free(t->pool);
	t->pool = malloc(v->pool_len + 1);
	t->s = malloc((v->n ? v->n : 1) * sizeof(*t->s));
	t->refs = malloc((v->nrefs ? v->nrefs : 1) * sizeof(*t->refs));
	t->ref_sess = malloc((v->nrefs ? v->nrefs : 1) * sizeof(*t->ref_sess));
	t->gaps = malloc((v->ngaps ? v->ngaps : 1) * sizeof(*t->gaps));
	t->links = malloc((v->nlinks ? v->nlinks : 1) * sizeof(*t->links));
	t->clients = malloc((v->nclients ? v->nclients : 1) * sizeof(*t->clients));
	if (!t->pool || !t->s || !t->refs || !t->ref_sess || !t->gaps || !t->links || !t->clients) {
		ta_sesstab_free(t);
		return -ENOMEM;
	}
	memcpy(t->pool, v->pool, v->pool_len);
	t->pool_len = t->pool_cap = v->pool_len;
	memcpy(t->s, v->s, v->n * sizeof(*t->s));
	t->n = t->cap = v->n;
	if (v->nrefs)
		memcpy(t->refs, v->refs, v->nrefs * sizeof(*t->refs));
	t->nrefs = t->refcap = v->nrefs;
	for (size_t i = 0; i < v->n; i++)
		for (uint32_t k = 0; k < v->s[i].refs_n; k++)
			t->ref_sess[v->s[i].refs_off + k] = (uint32_t)i;
	memcpy(t->gaps, v->gaps, v->ngaps * sizeof(*t->gaps));
	t->ngaps = t->gapcap = v->ngaps;
	if (v->nlinks)
		memcpy(t->links, v->links, v->nlinks * sizeof(*t->links));
	t->nlinks = v->nlinks;
	t->linkcap = v->nlinks ? v->nlinks : 1;
	if (v->nclients)
		memcpy(t->clients, v->clients, v->nclients * sizeof(*t->clients));
	t->nclients = v->nclients;
	t->clientcap = v->nclients ? v->nclients : 1;
	t->records = v->records;
	t->end_index = v->end_index;
	t->last_seg_seq = v->last_seg_seq;
	t->last_seg_end = v->last_seg_end;
	t->agent_starts = v->agent_starts;
	/* The newest record time the index saw: a restart read after it gets its width. */
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].end_ns > t->last_time_ns)
			t->last_time_ns = v->s[i].end_ns;
	for (size_t g = 0; g < v->ngaps; g++)
		if (v->gaps[g].until_ns > t->last_time_ns)
			t->last_time_ns = v->gaps[g].until_ns;
	memcpy(t->backend, v->backend, sizeof(t->backend));
	if ((err = ta_sesstab_rebuild_hashes(t))) {
		ta_sesstab_free(t);
		return err;
	}
	return 0;
}
/* Whether the segments the index saw are still as they were (sealed ones unchanged). */
static int segments_unchanged(const struct ta_index *ix, int dfd, const uint64_t *seqs, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && seqs[i] <= ix->h->last_seg_seq; i++, k++) {
		const struct ta_index_seg *g = &ix->segs[k];
		char name[TA_SEG_NAME_MAX];
		struct stat st;

		if (k >= ix->h->n_segs || g->seq != seqs[i])
			return 0;
		ta_seg_name(name, seqs[i], TA_SEG_SUFFIX);
		if (fstatat(dfd, name, &st, 0) || (uint64_t)st.st_ino != g->ino)
			return 0;
		/* The last one indexed may have grown since; the caller checks its size. */
		if (seqs[i] == ix->h->last_seg_seq)
			continue;
		if ((uint64_t)st.st_size != g->size ||
		    (uint64_t)st.st_ctim.tv_sec * 1000000000ull + (uint64_t)st.st_ctim.tv_nsec !=
			    g->ctime_ns)
			return 0;
	}
	return k == ix->h->n_segs;
}

int ta_index_check(const struct ta_index *ix, const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t *seqs = NULL;
	size_t n = 0;
	int res = -ESTALE;
	struct stat st;
	char name[TA_SEG_NAME_MAX];

	if (dfd < 0)
		return -errno;
	if (ta_list_segments(dfd, &seqs, &n) || !n)
		goto out;
	if (!ix->h->records) {
		res = 0;
		goto out;
	}
	if (!ix->h->n_segs || !segments_unchanged(ix, dfd, seqs, n))
		goto out;
	ta_seg_name(name, ix->h->last_seg_seq, TA_SEG_SUFFIX);
	if (fstatat(dfd, name, &st, 0) || (uint64_t)st.st_size < ix->h->last_seg_end)
		goto out;
	res = (seqs[n - 1] == ix->h->last_seg_seq && (uint64_t)st.st_size == ix->h->last_seg_end) ? 1 : 0;
	/*
	 * Same size as indexed but changed since (an overwrite in place, a
	 * zeroed block): not the log the index describes; read it all again.
	 */
	if (res == 1) {
		const struct ta_index_seg *g = &ix->segs[ix->h->n_segs - 1];

		if (g->seq == ix->h->last_seg_seq && g->size == (uint64_t)st.st_size &&
		    (uint64_t)st.st_ctim.tv_sec * 1000000000ull + (uint64_t)st.st_ctim.tv_nsec !=
			    g->ctime_ns)
			res = -ESTALE;
	}
out:
	free(seqs);
	close(dfd);
	return res;
}

void ta_index_paths(const char *dir, char *in_log, size_t cap1, char *cache, size_t cap2)
{
	char real[4096];
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	uint64_t h = 1469598103934665603ull;

	snprintf(in_log, cap1, "%s/index/sessions.idx", dir);
	if (!realpath(dir, real))
		snprintf(real, sizeof(real), "%s", dir);
	for (const char *p = real; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	if (xdg && xdg[0] == '/')
		snprintf(cache, cap2, "%s/ttyaudit/%016llx.idx", xdg, (unsigned long long)h);
	else if (home && home[0] == '/')
		snprintf(cache, cap2, "%s/.cache/ttyaudit/%016llx.idx", home, (unsigned long long)h);
	else
		cache[0] = '\0';
}

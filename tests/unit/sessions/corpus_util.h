/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the sessions unit tests: read a corpus file, collect events. */
#ifndef TA_TEST_SESSIONS_CORPUS_UTIL_H
#define TA_TEST_SESSIONS_CORPUS_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fs.h"
#include "sessions/login_parse.h"

struct event_list {
	struct ta_login_event *v;
	size_t n, cap;
};

static inline void collect_event(const struct ta_login_event *ev, void *arg)
{
	struct event_list *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = *ev;
}

/* Whole file in memory; *len set. Exits the test (code 1) if unreadable. */
static inline char *read_corpus(const char *dir, const char *name, size_t *len)
{
	char path[4096], *buf;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ta_read_file_at(AT_FDCWD, path, &buf, len)) {
		fprintf(stderr, "cannot read corpus %s\n", path);
		exit(1);
	}
	return buf;
}

/* Feed data in chunks of `chunk` bytes (0: all at once); returns stats. */
static inline struct ta_login_parser_stats parse_all(const char *data, size_t len, size_t chunk,
						     struct event_list *out)
{
	struct ta_login_parser *p;
	struct ta_login_parser_stats st;

	if (ta_login_parser_new(collect_event, out, &p) < 0)
		abort();
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len; off += chunk)
		ta_login_parser_feed(p, data + off, len - off < chunk ? len - off : chunk);
	ta_login_parser_flush(p);
	ta_login_parser_get_stats(p, &st);
	ta_login_parser_free(p);
	return st;
}

/* A string field is sane: NUL inside its array, no control characters. */
static inline int field_sane(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);

	if (!nul)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static inline int event_sane(const struct ta_login_event *e)
{
	return field_sane(e->op, sizeof(e->op)) && field_sane(e->acct, sizeof(e->acct)) &&
	       field_sane(e->exe, sizeof(e->exe)) &&
	       field_sane(e->hostname, sizeof(e->hostname)) &&
	       field_sane(e->addr, sizeof(e->addr)) &&
	       field_sane(e->terminal, sizeof(e->terminal)) &&
	       ta_login_record_type_wanted(e->record_type) && e->pid != 0 &&
	       e->pid != TA_LOGIN_UNSET && e->time_sec > 0 && e->time_msec <= 999 &&
	       e->result <= TA_LOGIN_RES_FAILED;
}

/* A fresh directory under $TMPDIR (or /tmp); exits the test on failure. */
static inline char *make_temp_dir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *dir = malloc(4096);

	if (!base || !*base)
		base = "/tmp";
	snprintf(dir, 4096, "%s/%s.XXXXXX", base, tag);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

static inline void remove_temp_dir(char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(dir);
}

#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared parts of the ttyaudit commands (cli_util.h). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "base/clock.h"
#include "base/exitcodes.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/utf8.h"
#include "base/json.h"
#include "base/json_read.h"
#include "store/walk.h"
#include "view/asciicast.h"
#include "view/neutralise.h"

uint64_t cli_now_ns(void)
{
	return ta_now_ns(CLOCK_REALTIME);
}

int cli_log_error(const char *dir, int err)
{
	if (err == -EACCES || err == -EPERM) {
		ta_err(NULL, "cannot read the log in %s: permission denied (only root and members of "
		       "the 'ttyaudit' group may read it)", dir);
		return TA_EXIT_NOPERM;
	}
	if (err == -ENOENT || err == -ENOTDIR) {
		ta_err(NULL, "no log in %s: %s", dir, strerror(-err));
		return TA_EXIT_STORAGE;
	}
	if (err == -ENODATA) {
		ta_err(NULL, "no log in %s: it holds no segment or checkpoint file (ttyauditd has not "
		       "written there; --log-dir names the log directory)", dir);
		return TA_EXIT_STORAGE;
	}
	ta_err(NULL, "cannot read the log in %s: %s", dir, strerror(-err));
	return TA_EXIT_FAILURE;
}

/* Reads records from `from` to the end into t. */
static int read_log(struct cli_table *ct, struct ta_sesstab *t, const char *dir, uint64_t from)
{
	struct ta_walk w;
	struct ta_log_record rec;
	uint64_t last_time = 0;
	int err = ta_walk_open(&w, dir, 0), n;

	if (err)
		return err;
	if (from && (err = ta_walk_seek(&w, from))) {
		ta_walk_close(&w);
		return -ESTALE;
	}
	while ((n = ta_walk_next(&w, &rec)) != TA_WALK_END) {
		if (n < 0) {
			err = n;
			break;
		}
		if (n == TA_WALK_DAMAGE) {
			if (!ct->damage)
				ta_walk_describe(&w, ct->damage_line, sizeof(ct->damage_line));
			ct->damage++;
			ta_sesstab_damage(t, w.skipped_from, w.resumed_at, last_time);
			continue;
		}
		last_time = rec.time_ns;
		ct->tail_records++;
		if ((err = ta_sesstab_add(t, &rec)))
			break;
	}
	ta_walk_close(&w);
	return err;
}

static void try_write_index(struct cli_table *ct, const struct ta_sesstab *t, const char *dir,
			    const char *index_opt, int loud)
{
	char in_log[4096], cache[4096], dirpath[4096];
	int err;

	if (ct->damage)
		return; /* never cache a view of a damaged log */
	if (index_opt) {
		err = ta_index_write(t, index_opt, dir);
		if (err && loud)
			ta_warn(NULL, "cannot write the index %s: %s", index_opt, strerror(-err));
		if (!err)
			snprintf(ct->index_path, sizeof(ct->index_path), "%s", index_opt);
		return;
	}
	ta_index_paths(dir, in_log, sizeof(in_log), cache, sizeof(cache));
	snprintf(dirpath, sizeof(dirpath), "%s/index", dir);
	if (mkdir(dirpath, 0750) == 0 || errno == EEXIST) {
		if (!(err = ta_index_write(t, in_log, dir))) {
			snprintf(ct->index_path, sizeof(ct->index_path), "%s", in_log);
			return;
		}
	}
	if (cache[0] && !ta_mkdir_parent(cache, 0700) && !(err = ta_index_write(t, cache, dir))) {
		snprintf(ct->index_path, sizeof(ct->index_path), "%s", cache);
		return;
	}
	if (loud)
		ta_warn(NULL, "no writable place for the index (tried %s/index and the cache); "
			"use --index FILE", dir);
}

static int open_index(struct cli_table *ct, const char *dir, const char *index_opt)
{
	char in_log[4096], cache[4096];
	const char *cands[2];
	size_t nc = 0;

	ta_index_paths(dir, in_log, sizeof(in_log), cache, sizeof(cache));
	if (index_opt) {
		cands[nc++] = index_opt;
	} else {
		cands[nc++] = in_log;
		if (cache[0])
			cands[nc++] = cache;
	}
	for (size_t i = 0; i < nc; i++) {
		if (!ta_index_open(&ct->ix, cands[i])) {
			snprintf(ct->index_path, sizeof(ct->index_path), "%s", cands[i]);
			return 0;
		}
	}
	return -ENOENT;
}

int cli_log_open(const char *dir)
{
	int err = ta_walk_access(dir);
	return err ? cli_log_error(dir, err) : TA_EXIT_OK;
}

int cli_table_open(struct cli_table *ct, const char *dir, const char *index_opt, int mode,
		   int want_refs)
{
	int err, rc;

	memset(ct, 0, sizeof(*ct));
	/* Permission first: the index must not reveal a log the caller may not read. */
	if ((rc = cli_log_open(dir)) != TA_EXIT_OK)
		return rc;
	if ((mode == CLI_INDEX_AUTO || mode == CLI_INDEX_USE) && !open_index(ct, dir, index_opt)) {
		int fresh = ta_index_check(&ct->ix, dir);
		if (fresh == 1) {
			ct->have_index = 1;
			ct->t = &ct->ix.view;
			ct->source = "index";
			return TA_EXIT_OK;
		}
		if (fresh == 0 && !ta_index_to_table(&ct->ix, &ct->own)) {
			ct->have_own = 1;
			uint64_t from = ct->ix.h->end_index;
			ta_index_close(&ct->ix);
			err = read_log(ct, &ct->own, dir, from);
			if (!err) {
				ta_sesstab_finish(&ct->own);
				ct->t = &ct->own;
				ct->source = "index+log";
				if (ct->tail_records > 1000 && mode == CLI_INDEX_AUTO)
					try_write_index(ct, &ct->own, dir, index_opt, 0);
				return TA_EXIT_OK;
			}
			ta_sesstab_free(&ct->own);
			ct->have_own = 0;
			ct->tail_records = 0;
			ct->damage = 0;
		}
		if (ct->ix.map)
			ta_index_close(&ct->ix);
	}
	if (mode == CLI_INDEX_USE) {
		/* No index the commands would use: nothing to check, and no read of the log. */
		ct->source = "none";
		return TA_EXIT_OK;
	}
	if ((err = ta_sesstab_init(&ct->own, 1)))
		return TA_EXIT_FAILURE;
	ct->have_own = 1;
	err = read_log(ct, &ct->own, dir, 0);
	if (err)
		return cli_log_error(dir, err);
	if ((err = ta_sesstab_finish(&ct->own)))
		return cli_log_error(dir, err);
	ct->t = &ct->own;
	ct->source = "log";
	if (mode == CLI_INDEX_AUTO || mode == CLI_INDEX_REBUILD)
		try_write_index(ct, &ct->own, dir, index_opt, mode == CLI_INDEX_REBUILD);
	return TA_EXIT_OK;
}

int cli_index_check(const char *dir, const char *index_opt, char *path, size_t pcap, char *why,
		    size_t wcap)
{
	struct cli_table used, log;
	int rc = cli_table_open(&used, dir, index_opt, CLI_INDEX_USE, 1);

	if (rc != TA_EXIT_OK)
		return -EIO;
	snprintf(path, pcap, "%s", used.index_path);
	if (!strcmp(used.source, "none")) {
		cli_table_close(&used);
		return 0;
	}
	rc = cli_table_open(&log, dir, NULL, CLI_INDEX_NONE, 1);
	if (rc != TA_EXIT_OK) {
		cli_table_close(&used);
		return -EIO;
	}
	rc = ta_sesstab_same(used.t, log.t, why, wcap) ? 1 : -EBADMSG;
	cli_table_close(&log);
	cli_table_close(&used);
	return rc;
}

void cli_table_close(struct cli_table *ct)
{
	if (ct->have_own)
		ta_sesstab_free(&ct->own);
	if (ct->ix.map)
		ta_index_close(&ct->ix);
	memset(ct, 0, sizeof(*ct));
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512] = "";

	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		ta_err(NULL, "%s %s; run 'ttyaudit %s --help' for the options", cmd, msg, cmd);
	} else {
		ta_err(NULL, "%s: run 'ttyaudit %s --help' for the options", cmd, cmd);
	}
	return TA_EXIT_USAGE;
}

static int parse_local(const char *s, uint64_t *out)
{
	struct tm tm;
	const char *fmts[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
			       "%Y-%m-%dT%H:%M", "%Y-%m-%d" };

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(s, fmts[i], &tm);
		if (end && !*end) {
			tm.tm_isdst = -1;
			time_t t = mktime(&tm);
			if (t == (time_t)-1 || t < 0)
				return -EINVAL;
			*out = (uint64_t)t * 1000000000ull;
			return 0;
		}
	}
	return -EINVAL;
}

static uint64_t midnight(uint64_t now_ns, int days_back)
{
	time_t t = (time_t)(now_ns / 1000000000ull);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= days_back;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	return t < 0 ? 0 : (uint64_t)t * 1000000000ull;
}

int cli_parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	/* strtod also takes "nan", "inf" and hex; only digits, a point and an exponent are a number here. */
	if (!s[0] || strspn(s, "0123456789.eE+-") != strlen(s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v) || v < 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_time(const char *s, uint64_t now_ns, uint64_t *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "now")) {
		*out = now_ns;
		return 0;
	}
	if (!strcmp(s, "today")) {
		*out = midnight(now_ns, 0);
		return 0;
	}
	if (!strcmp(s, "yesterday")) {
		*out = midnight(now_ns, 1);
		return 0;
	}
	if (s[0] == '@') {
		double v;
		if (cli_parse_seconds(s + 1, 1e11, &v))
			return -EINVAL;
		*out = (uint64_t)(v * 1e9);
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		uint64_t mult = ta_duration_unit(end);
		if (mult && !errno && end != s) {
			uint64_t ago = (uint64_t)v * mult;
			if (v > 1000000000ull || ago * 1000000000ull > now_ns)
				return -EINVAL;
			*out = now_ns - ago * 1000000000ull;
			return 0;
		}
	}
	if (!ta_parse_rfc3339(s, out))
		return 0;
	return parse_local(s, out);
}

void cli_fmt_time(uint64_t ns, char *out, size_t cap, int utc)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns) {
		snprintf(out, cap, "-");
		return;
	}
	if (utc)
		gmtime_r(&t, &tm);
	else
		localtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

void cli_fmt_rfc3339(uint64_t ns, char *out, size_t cap)
{
	char b[TA_RFC3339_MAX];
	size_t n;

	if (cap >= TA_RFC3339_MAX) {
		ta_rfc3339(out, ns, 9);
		return;
	}
	if (!cap)
		return;
	n = ta_rfc3339(b, ns, 9);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, b, n);
	out[n] = '\0';
}

void cli_fmt_duration(uint64_t ns, char *out, size_t cap)
{
	uint64_t s = ns / 1000000000ull;

	if (s < 60)
		snprintf(out, cap, "%.1fs", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(out, cap, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else
		snprintf(out, cap, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
}

void cli_fmt_bytes(uint64_t n, char *out, size_t cap)
{
	if (n < 10000)
		snprintf(out, cap, "%" PRIu64, n);
	else if (n < 10000ull * 1024)
		snprintf(out, cap, "%.1fK", n / 1024.0);
	else if (n < 10000ull * 1024 * 1024)
		snprintf(out, cap, "%.1fM", n / 1048576.0);
	else
		snprintf(out, cap, "%.1fG", n / 1073741824.0);
}

int cli_parse_login_uid(const char *arg, uint32_t *uid)
{
	char *end;

	if (arg[0] >= '0' && arg[0] <= '9') {
		errno = 0;
		unsigned long v = strtoul(arg, &end, 10);
		if (!*end && !errno && v < UINT32_MAX) {
			*uid = (uint32_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

int cli_parse_user(const char *arg, uint32_t *uid)
{
	if (!cli_parse_login_uid(arg, uid))
		return 0;
	struct passwd *pw = getpwnam(arg);
	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	return 0;
}

int cli_user_option(const char *opt, const char *arg, uint32_t *uid)
{
	if (!cli_parse_user(arg, uid))
		return TA_EXIT_OK;
	ta_err(NULL, "%s: unknown user '%s': not in the password database; give a login name or a number",
	       opt, arg);
	return TA_EXIT_USAGE;
}

int cli_session_option(const char *opt, const char *arg, uint64_t *key, int *ses_only)
{
	if (!ta_sess_id_parse(arg, key, ses_only))
		return TA_EXIT_OK;
	ta_err(NULL, "%s: '%s' is not a session id", opt, arg);
	return TA_EXIT_USAGE;
}

const char *cli_user_name(const struct ta_sesstab *t, const struct ta_sess *s, char *buf, size_t cap,
			  size_t *len)
{
	if (s->user)
		return ta_sesstab_strn(t, s->user, len);
	*len = 1;
	if (s->auid == TA_ID_NONE)
		return "-";
	/*
	 * The name is the recording host's (the log's), or none: the passwd of
	 * the host where the log is read (an investigator's, a collector's)
	 * may give that number to someone else.
	 */
	snprintf(buf, cap, "%u", s->auid);
	*len = strlen(buf);
	return buf;
}

int cli_find_session(const struct cli_table *ct, const char *arg, size_t *ord)
{
	const struct ta_sesstab *t = ct->t;
	uint64_t key;
	int ses_only;

	if (ta_sess_id_parse(arg, &key, &ses_only)) {
		ta_err(NULL, "'%s' is not a session id (BOOT-SES as 'ttyaudit query' prints, or a number)",
		       arg);
		return TA_EXIT_USAGE;
	}
	if (!ses_only) {
		for (size_t i = 0; i < t->n; i++)
			if (t->s[i].key == key) {
				*ord = i;
				return TA_EXIT_OK;
			}
	} else {
		/* A bare audit session id: the latest session with it (ids restart at boot). */
		size_t found = SIZE_MAX, count = 0;
		for (size_t i = 0; i < t->n; i++)
			if (t->s[i].ses == (uint32_t)key) {
				found = i;
				count++;
			}
		if (found != SIZE_MAX) {
			if (count > 1) {
				char id[32];
				ta_sess_id(t->s[found].key, id, sizeof(id));
				ta_warn(NULL, "audit session %s exists in %zu boots; showing the latest (%s)",
					arg, count, id);
			}
			*ord = found;
			return TA_EXIT_OK;
		}
	}
	if (ct->damage) {
		ta_err(NULL, "no session '%s' in the intact part of the log; it may have been in the "
		       "damaged part: %s", arg, ct->damage_line);
		return TA_EXIT_CORRUPT;
	}
	ta_err(NULL, "no session '%s' in the log", arg);
	return TA_EXIT_NOTFOUND;
}

void cli_put_name(struct ta_buf *o, const char *name, size_t n)
{
	struct ta_buf shown;

	ta_buf_init(&shown);
	ta_neutralise(name, n, TA_NEUT_LINE, &shown);
	const char *p = (const char *)shown.p;
	if (shown.len && !memchr(p, ' ', shown.len) && !memchr(p, '\'', shown.len) &&
	    ta_utf8_columns(p, shown.len, 0)) {
		ta_buf_put(o, p, shown.len);
	} else {
		ta_buf_putc(o, '\'');
		for (size_t i = 0; i < shown.len; i++) {
			if (p[i] == '\'')
				ta_buf_puts(o, "'\\''");
			else
				ta_buf_putc(o, p[i]);
		}
		ta_buf_putc(o, '\'');
	}
	ta_buf_free(&shown);
}

void cli_pad(struct ta_buf *o, size_t from, unsigned width)
{
	for (unsigned c = ta_utf8_columns(o->p + from, o->len - from, 0); c < width; c++)
		ta_buf_putc(o, ' ');
}

int cli_flush(struct ta_buf *b, FILE *f)
{
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
		return -EIO;
	ta_buf_reset(b);
	return 0;
}

int cli_damage_exit(const struct cli_table *ct, uint64_t more, const char *more_line)
{
	uint64_t total = (ct ? ct->damage : 0) + more;
	const char *line = ct && ct->damage ? ct->damage_line : more_line;

	if (!total)
		return TA_EXIT_OK;
	ta_err(NULL, "the log is damaged (%" PRIu64 " place%s); the intact part was shown. First: %s",
	       total, total == 1 ? "" : "s", line ? line : "?");
	return TA_EXIT_CORRUPT;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ttyauditd.conf parser (docs/ttyauditd.conf.5): "key = value" lines, '#'
 * comments. Strict on purpose: a configuration that decides what an audit
 * tool records must never be half understood, so unknown keys, repeated
 * scalar keys and bad values are all errors with the file and line.
 */
#include "config/config_file.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/exitcodes.h"
#include "base/decimal.h"
#include "base/kv.h"

#define MAX_LINE 4096

enum key_id {
	K_LOG_DIR,
	K_BACKEND,
	K_RING_SIZE,
	K_RECORD_NOECHO,
	K_REQUIRE_KERNEL_CAPTURE,
	K_INCLUDE_UID,
	K_EXCLUDE_UID,
	K_INCLUDE_AUID,
	K_EXCLUDE_AUID,
	K_CHECKPOINT_INTERVAL,
	K_CHECKPOINT_RECORDS,
	K_COMMIT_INTERVAL_MS,
	K_COMMIT_MAX_RECORDS,
	K_SEGMENT_MAX_BYTES,
	K_SEGMENT_MAX_AGE,
	K_RETAIN_MAX_BYTES,
	K_RETAIN_MAX_AGE,
	K_COMPRESSION_LEVEL,
	K_KEY_FILE,
	K_JSONL,
	K_LOGIN_SOCKET,
	K_AUDIT_LOG,
	K_BTF,
	K_RULES_FILE,
	K_ALERTS_JSONL,
	K_FOOTPRINT,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	[K_LOG_DIR] = "log_dir",
	[K_BACKEND] = "backend",
	[K_RING_SIZE] = "ring_size",
	[K_RECORD_NOECHO] = "record_noecho",
	[K_REQUIRE_KERNEL_CAPTURE] = "require_kernel_capture",
	[K_INCLUDE_UID] = "include_uid",
	[K_EXCLUDE_UID] = "exclude_uid",
	[K_INCLUDE_AUID] = "include_auid",
	[K_EXCLUDE_AUID] = "exclude_auid",
	[K_CHECKPOINT_INTERVAL] = "checkpoint_interval",
	[K_CHECKPOINT_RECORDS] = "checkpoint_records",
	[K_COMMIT_INTERVAL_MS] = "commit_interval_ms",
	[K_COMMIT_MAX_RECORDS] = "commit_max_records",
	[K_SEGMENT_MAX_BYTES] = "segment_max_bytes",
	[K_SEGMENT_MAX_AGE] = "segment_max_age",
	[K_RETAIN_MAX_BYTES] = "retain_max_bytes",
	[K_RETAIN_MAX_AGE] = "retain_max_age",
	[K_COMPRESSION_LEVEL] = "compression_level",
	[K_KEY_FILE] = "key_file",
	[K_JSONL] = "jsonl",
	[K_LOGIN_SOCKET] = "login_socket",
	[K_AUDIT_LOG] = "audit_log",
	[K_BTF] = "btf",
	[K_RULES_FILE] = "rules_file",
	[K_ALERTS_JSONL] = "alerts_jsonl",
	[K_FOOTPRINT] = "footprint",
};

static bool is_rule_key(int k)
{
	return k == K_INCLUDE_UID || k == K_EXCLUDE_UID || k == K_INCLUDE_AUID ||
	       k == K_EXCLUDE_AUID;
}

static void rule_kind(int k, uint8_t *field, uint8_t *action)
{
	*field = (k == K_INCLUDE_UID || k == K_EXCLUDE_UID) ? TA_RULE_UID : TA_RULE_AUID;
	*action = (k == K_INCLUDE_UID || k == K_INCLUDE_AUID) ? TA_RULE_INCLUDE : TA_RULE_EXCLUDE;
}

/* ------------------------------------------------------------ value parsers */

/* "64M", "1G", "512K", "65536", "2GiB", "1T": bytes (binary multiples). */
static int parse_size64(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v;
	unsigned shift = 0;

	if (ta_parse_dec_u64(s, &end, &v))
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (shift && end[0] == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* "90", "90s", "15m", "12h", "30d", "2w": seconds. */
static int parse_duration(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v, mult = 1;

	if (ta_parse_dec_u64(s, &end, &v))
		return -EINVAL;
	if (*end && !(mult = ta_duration_unit(end)))
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *s, long *out)
{
	char *end;

	errno = 0;
	if (!*s || isspace((unsigned char)*s))
		return -EINVAL;
	*out = strtol(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ parser */

struct parse_ctx {
	struct ta_kv_reader *r;  /* the line being read, for messages */
	unsigned seen[K_COUNT];  /* line a scalar key was set on, 0 = not yet */
	struct ta_daemon_opts o;
	struct ta_store_opts store;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct parse_ctx *c, int key, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ta_kv_fail(c->r, key >= 0 ? key_names[key] : NULL, "%s", what);
}

static int set_path(struct parse_ctx *c, int k, const char *v, char *dst, size_t dst_len,
		    bool dash_ok)
{
	if (dash_ok && !strcmp(v, "-")) {
		snprintf(dst, dst_len, "%s", v);
		return 0;
	}
	if (v[0] != '/')
		return fail(c, k, "'%.200s' is not an absolute path", v);
	if (strlen(v) >= dst_len)
		return fail(c, k, "path is longer than %zu bytes", dst_len - 1);
	snprintf(dst, dst_len, "%s", v);
	return 0;
}

static int add_rules(struct parse_ctx *c, int k, const char *v)
{
	char list[MAX_LINE], *save = NULL, *item;
	uint8_t field, action;

	snprintf(list, sizeof(list), "%s", v);
	rule_kind(k, &field, &action);
	/* strtok_r would skip empty items silently; "1,,2" is a typo to report. */
	for (item = list; item; item = save) {
		struct ta_filter_rule *r;
		char *comma = strchr(item, ','), *e;

		save = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		while (isspace((unsigned char)*item))
			item++;
		for (e = item + strlen(item); e > item && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (!*item)
			return fail(c, k, "empty item in the list '%.200s'", v);
		if (c->o.capture.n_rules >= TA_FILTER_RULES)
			return fail(c, k, "too many include/exclude rules (at most %d in all)",
				    TA_FILTER_RULES);
		r = &c->o.capture.rules[c->o.capture.n_rules];
		memset(r, 0, sizeof(*r));
		if (ta_parse_id_range(item, &r->lo, &r->hi))
			return fail(c, k, "'%.200s' is not an id or range (N, N-M, N-)", item);
		r->field = field;
		r->action = action;
		c->o.capture.n_rules++;
	}
	return 0;
}

static int set_u32_range(struct parse_ctx *c, int k, uint64_t v, const char *text, uint64_t lo,
			 uint64_t hi, const char *what, uint32_t *dst)
{
	if (v < lo || v > hi)
		return fail(c, k, "'%.200s' is out of range (%s)", text, what);
	*dst = (uint32_t)v;
	return 0;
}

static int set_value(struct parse_ctx *c, int k, const char *v)
{
	struct ta_capture_opts *cap = &c->o.capture;
	struct ta_store_opts *st = &c->store;
	uint64_t n;
	uint32_t r32;
	long l;
	bool b;

	switch (k) {
	case K_LOG_DIR:
		return set_path(c, k, v, c->o.log_dir, sizeof(c->o.log_dir), false);
	case K_KEY_FILE:
		return set_path(c, k, v, c->o.key_file, sizeof(c->o.key_file), false);
	case K_JSONL:
		return set_path(c, k, v, c->o.jsonl_path, sizeof(c->o.jsonl_path), true);
	case K_LOGIN_SOCKET:
		return set_path(c, k, v, c->o.login_socket, sizeof(c->o.login_socket), false);
	case K_AUDIT_LOG:
		return set_path(c, k, v, c->o.audit_log, sizeof(c->o.audit_log), false);
	case K_BTF:
		return set_path(c, k, v, cap->btf_path, sizeof(cap->btf_path), false);
	case K_RULES_FILE:
		return set_path(c, k, v, c->o.rules_file, sizeof(c->o.rules_file), false);
	case K_ALERTS_JSONL:
		return set_path(c, k, v, c->o.alerts_jsonl, sizeof(c->o.alerts_jsonl), false);
	case K_BACKEND:
		if (ta_backend_parse(v, &cap->backend))
			return fail(c, k, "unknown backend '%.200s' (auto, fentry, kprobe, tracepoint)",
				    v);
		return 0;
	case K_RING_SIZE:
		if (ta_parse_size(v, &r32) || r32 < 4096 || (r32 & (r32 - 1)))
			return fail(c, k, "'%.200s' is not a power of two between 4K and 2G", v);
		cap->ring_bytes = r32;
		return 0;
	case K_FOOTPRINT:
		if (ta_footprint_parse(v, &cap->footprint))
			return fail(c, k, "'%.200s' is not off, on or all", v);
		return 0;
	case K_RECORD_NOECHO:
		if (parse_bool(v, &b))
			return fail(c, k, "'%.200s' is not a boolean (yes/no, true/false, on/off, 1/0)",
				    v);
		cap->redact_noecho = !b;
		return 0;
	case K_REQUIRE_KERNEL_CAPTURE:
		if (parse_bool(v, &b))
			return fail(c, k, "'%.200s' is not a boolean (yes/no, true/false, on/off, 1/0)",
				    v);
		cap->require_kernel_capture = b;
		return 0;
	case K_INCLUDE_UID:
	case K_EXCLUDE_UID:
	case K_INCLUDE_AUID:
	case K_EXCLUDE_AUID:
		return add_rules(c, k, v);
	case K_CHECKPOINT_INTERVAL:
	{
		/* Milliseconds too: a shipped host's lag waits for its checkpoint (docs/fleet.md). */
		const char *end;
		if (!ta_parse_dec_u64(v, &end, &n) && !strcmp(end, "ms"))
			;
		else if (parse_duration(v, &n) || n > UINT64_MAX / 1000)
			return fail(c, k, "'%.200s' is not a duration (Nms, N, Ns, Nm, Nh, Nd)", v);
		else
			n *= 1000;
		return set_u32_range(c, k, n, v, 100, 86400000, "100ms to 1d",
				     &st->checkpoint_interval_ms);
	}
	case K_CHECKPOINT_RECORDS: {
		const char *end;

		if (ta_parse_dec_u64(v, &end, &n) || *end)
			return fail(c, k, "'%.200s' is not a number", v);
		return set_u32_range(c, k, n, v, 1, UINT32_MAX, "1 to 4294967295",
				     &st->checkpoint_every_records);
	}
	case K_COMMIT_INTERVAL_MS: {
		const char *end;

		if (ta_parse_dec_u64(v, &end, &n) || (*end && strcmp(end, "ms")))
			return fail(c, k, "'%.200s' is not a number of milliseconds", v);
		return set_u32_range(c, k, n, v, 1, 60000, "1 to 60000 ms", &st->commit_interval_ms);
	}
	case K_COMMIT_MAX_RECORDS: {
		const char *end;

		if (ta_parse_dec_u64(v, &end, &n) || *end)
			return fail(c, k, "'%.200s' is not a number", v);
		return set_u32_range(c, k, n, v, 1, 1000000, "1 to 1000000",
				     &st->commit_max_records);
	}
	case K_SEGMENT_MAX_BYTES:
		if (parse_size64(v, &n) || n < (64u << 10) || n > (1ull << 40))
			return fail(c, k, "'%.200s' is not a size between 64K and 1T", v);
		st->segment_max_bytes = n;
		return 0;
	case K_RETAIN_MAX_BYTES:
		if (parse_size64(v, &n))
			return fail(c, k, "'%.200s' is not a size (N, NK, NM, NG, NT; 0 = unlimited)",
				    v);
		st->retain_max_bytes = n;
		return 0;
	case K_SEGMENT_MAX_AGE:
		if (parse_duration(v, &n))
			return fail(c, k, "'%.200s' is not a duration (N, Ns, Nm, Nh, Nd, Nw)", v);
		return set_u32_range(c, k, n, v, 1, UINT32_MAX, "1s to 136 years",
				     &st->segment_max_age_s);
	case K_RETAIN_MAX_AGE:
		if (parse_duration(v, &n))
			return fail(c, k,
				    "'%.200s' is not a duration (N, Ns, Nm, Nh, Nd, Nw; 0 = unlimited)",
				    v);
		return set_u32_range(c, k, n, v, 0, UINT32_MAX, "0 to 136 years",
				     &st->retain_max_age_s);
	case K_COMPRESSION_LEVEL:
		if (parse_int(v, &l) || l < -7 || l > 19)
			return fail(c, k, "'%.200s' is not a zstd level between -7 and 19", v);
		st->compression_level = (int)l;
		return 0;
	}
	return fail(c, -1, "internal error: key %d has no parser", k);
}

static int lookup_key(const char *name)
{
	for (int k = 0; k < K_COUNT; k++)
		if (!strcmp(name, key_names[k]))
			return k;
	return -1;
}

/* One setting of the file (ta_kv_fn). */
static int on_setting(void *ctx, struct ta_kv_reader *r, const char *key, const char *val)
{
	struct parse_ctx *c = ctx;
	int k;

	c->r = r;
	k = lookup_key(key);
	if (k < 0)
		return fail(c, -1, "unknown key '%.200s'", key);
	if (!*val)
		return fail(c, k, "no value");
	if (!is_rule_key(k)) {
		if (c->seen[k])
			return fail(c, k, "set again (first set on line %u)", c->seen[k]);
		c->seen[k] = r->line;
	}
	return set_value(c, k, val);
}

static struct parse_ctx *parse_begin(const struct ta_daemon_opts *o,
				     const struct ta_store_opts *store)
{
	struct parse_ctx *c = calloc(1, sizeof(*c));

	if (c) {
		c->o = *o;
		c->store = *store;
	}
	return c;
}

/*
 * Retention shorter than one segment deletes each segment as soon as it is
 * sealed, and at start every sealed one: "retain_max_age = 30" (seconds, for
 * 30d) or "retain_max_bytes = 20" (bytes, for 20G) wiped the log's history.
 * Both are refused, with the line they were set on. The store's defaults
 * stand for segment sizes the file leaves unset.
 */
static int check_retention(struct parse_ctx *c, const char *name, char *err, size_t err_len)
{
	const struct ta_store_opts *st = &c->store;
	uint64_t seg_bytes = st->segment_max_bytes ? st->segment_max_bytes : 64ull << 20;
	uint32_t seg_age = st->segment_max_age_s ? st->segment_max_age_s : 86400;

	if (st->retain_max_bytes && st->retain_max_bytes < seg_bytes) {
		snprintf(err, err_len, "%s:%u: %s: %" PRIu64 " bytes is less than one segment "
			 "(segment_max_bytes, %" PRIu64 "): every sealed segment would be deleted; "
			 "give a unit (20G) or 0 for no limit", name, c->seen[K_RETAIN_MAX_BYTES],
			 key_names[K_RETAIN_MAX_BYTES], st->retain_max_bytes, seg_bytes);
		return -EINVAL;
	}
	if (st->retain_max_age_s && st->retain_max_age_s < seg_age) {
		snprintf(err, err_len, "%s:%u: %s: %" PRIu32 " s is shorter than one segment "
			 "(segment_max_age, %" PRIu32 " s): every sealed segment would be deleted; "
			 "give a unit (30d) or 0 for no limit", name, c->seen[K_RETAIN_MAX_AGE],
			 key_names[K_RETAIN_MAX_AGE], st->retain_max_age_s, seg_age);
		return -EINVAL;
	}
	return 0;
}

static int parse_end(struct parse_ctx *c, int rc, struct ta_daemon_opts *o,
		     struct ta_store_opts *store)
{
	if (!rc) {
		*o = c->o;
		*store = c->store;
	}
	free(c);
	return rc;
}

int ta_config_text_parse(struct ta_daemon_opts *o, struct ta_store_opts *store, const char *name,
			 const char *text, size_t len, char *err, size_t err_len)
{
	struct parse_ctx *c = parse_begin(o, store);

	if (!c)
		return -ENOMEM;
	int rc = ta_kv_parse_text(name, text, len, on_setting, c, err, err_len);

	if (!rc)
		rc = check_retention(c, name, err, err_len);
	return parse_end(c, rc, o, store);
}

int ta_config_file_load(struct ta_daemon_opts *o, struct ta_store_opts *store, const char *path,
			unsigned flags, char *err, size_t err_len)
{
	struct parse_ctx *c = parse_begin(o, store);
	unsigned kv = ((flags & TA_CONFIG_OPTIONAL) ? TA_KV_OPTIONAL : 0) |
		      ((flags & TA_CONFIG_CHECK_PERMS) ? TA_KV_CHECK_PERMS : 0);

	if (!c)
		return -ENOMEM;
	int rc = ta_kv_parse_file(path, kv, on_setting, c, err, err_len);

	if (!rc)
		rc = check_retention(c, path, err, err_len);
	return parse_end(c, rc, o, store);
}

/* ------------------------------------------------------- build and reload */

/*
 * Takes --config FILE / --config=FILE out of argv into a new vector (argv[0]
 * kept, NULL-terminated). Stops looking at "--".
 */
static int strip_config_arg(int argc, char **argv, char ***out, int *out_argc, const char **path,
			    char *err, size_t err_len)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	int n = 0;
	bool rest = false;

	if (!v)
		return -ENOMEM;
	*path = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if (i == 0 || rest) {
			v[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			rest = true;
			v[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--config")) {
			if (i + 1 >= argc) {
				snprintf(err, err_len, "option '--config' needs a value");
				free(v);
				return -EINVAL;
			}
			val = argv[++i];
		} else if (!strncmp(a, "--config=", 9)) {
			val = a + 9;
		} else {
			v[n++] = argv[i];
			continue;
		}
		if (*path) {
			snprintf(err, err_len, "--config given more than once");
			free(v);
			return -EINVAL;
		}
		if (!*val) {
			snprintf(err, err_len, "--config: empty file name");
			free(v);
			return -EINVAL;
		}
		*path = val;
	}
	v[n] = NULL;
	*out = v;
	*out_argc = n;
	return 0;
}

int ta_config_build(struct ta_daemon_opts *o, struct ta_store_opts *store, int argc, char **argv,
		    char *path_out, size_t path_len, char *err, size_t err_len, int *exit_code,
		    void *out)
{
	struct ta_daemon_opts *scratch;
	const char *path;
	char **args;
	int nargs, rc;
	unsigned flags = TA_CONFIG_CHECK_PERMS;

	err[0] = '\0';
	if (path_len)
		path_out[0] = '\0';
	*exit_code = TA_EXIT_USAGE;
	rc = strip_config_arg(argc, argv, &args, &nargs, &path, err, err_len);
	if (rc)
		return rc;
	/* The command line first on its own: usage errors, --help and --version
	 * do not depend on the file being right. */
	scratch = malloc(sizeof(*scratch));
	if (!scratch) {
		free(args);
		return -ENOMEM;
	}
	ta_daemon_opts_defaults(scratch);
	rc = ta_daemon_opts_parse(scratch, nargs, args, err, err_len, out);
	free(scratch);
	if (rc != TA_OPTS_RUN)
		goto done;

	if (!path) {
		path = TA_DEFAULT_CONFIG_FILE;
		flags |= TA_CONFIG_OPTIONAL;
	}
	ta_daemon_opts_defaults(o);
	memset(store, 0, sizeof(*store));
	*exit_code = TA_EXIT_CONFIG;
	rc = ta_config_file_load(o, store, path, flags, err, err_len);
	if (rc)
		goto done;
	if (path_len && access(path, F_OK) == 0)
		snprintf(path_out, path_len, "%s", path);
	*exit_code = TA_EXIT_USAGE;
	rc = ta_daemon_opts_parse(o, nargs, args, err, err_len, out);
done:
	if (rc == TA_OPTS_RUN || rc == TA_OPTS_EXIT)
		*exit_code = TA_EXIT_OK;
	free(args);
	return rc;
}

static void add_name(char *buf, size_t len, const char *name)
{
	size_t n = strlen(buf);

	snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

/* The rules of one key, in order, compared between two settings. */
static bool rules_equal(const struct ta_capture_opts *a, const struct ta_capture_opts *b, int k)
{
	uint8_t field, action;
	uint32_t i = 0, j = 0;

	rule_kind(k, &field, &action);
	for (;;) {
		while (i < a->n_rules && (a->rules[i].field != field || a->rules[i].action != action))
			i++;
		while (j < b->n_rules && (b->rules[j].field != field || b->rules[j].action != action))
			j++;
		if (i >= a->n_rules || j >= b->n_rules)
			return i >= a->n_rules && j >= b->n_rules;
		if (a->rules[i].lo != b->rules[j].lo || a->rules[i].hi != b->rules[j].hi)
			return false;
		i++;
		j++;
	}
}

void ta_config_diff(const struct ta_daemon_opts *cur, const struct ta_store_opts *cs,
		    const struct ta_daemon_opts *next, const struct ta_store_opts *ns,
		    struct ta_config_diff *d)
{
	const struct ta_capture_opts *a = &cur->capture, *b = &next->capture;

	memset(d, 0, sizeof(*d));
	/* run time */
	if (a->redact_noecho != b->redact_noecho)
		add_name(d->applied, sizeof(d->applied), key_names[K_RECORD_NOECHO]);
	for (int k = K_INCLUDE_UID; k <= K_EXCLUDE_AUID; k++)
		if (!rules_equal(a, b, k))
			add_name(d->applied, sizeof(d->applied), key_names[k]);
	d->capture_live = d->applied[0] != '\0';

	/* restart */
#define RESTART_IF(cond, k) \
	do { if (cond) add_name(d->restart, sizeof(d->restart), key_names[k]); } while (0)
	RESTART_IF(strcmp(cur->log_dir, next->log_dir), K_LOG_DIR);
	RESTART_IF(a->backend != b->backend, K_BACKEND);
	RESTART_IF(a->require_kernel_capture != b->require_kernel_capture,
		   K_REQUIRE_KERNEL_CAPTURE);
	RESTART_IF(a->ring_bytes != b->ring_bytes, K_RING_SIZE);
	RESTART_IF(a->footprint != b->footprint, K_FOOTPRINT);
	RESTART_IF(cs->checkpoint_interval_ms != ns->checkpoint_interval_ms, K_CHECKPOINT_INTERVAL);
	RESTART_IF(cs->checkpoint_every_records != ns->checkpoint_every_records,
		   K_CHECKPOINT_RECORDS);
	RESTART_IF(cs->commit_interval_ms != ns->commit_interval_ms, K_COMMIT_INTERVAL_MS);
	RESTART_IF(cs->commit_max_records != ns->commit_max_records, K_COMMIT_MAX_RECORDS);
	RESTART_IF(cs->segment_max_bytes != ns->segment_max_bytes, K_SEGMENT_MAX_BYTES);
	RESTART_IF(cs->segment_max_age_s != ns->segment_max_age_s, K_SEGMENT_MAX_AGE);
	RESTART_IF(cs->retain_max_bytes != ns->retain_max_bytes, K_RETAIN_MAX_BYTES);
	RESTART_IF(cs->retain_max_age_s != ns->retain_max_age_s, K_RETAIN_MAX_AGE);
	RESTART_IF(cs->compression_level != ns->compression_level, K_COMPRESSION_LEVEL);
	RESTART_IF(strcmp(cur->key_file, next->key_file), K_KEY_FILE);
	RESTART_IF(strcmp(cur->jsonl_path, next->jsonl_path), K_JSONL);
	RESTART_IF(strcmp(cur->login_socket, next->login_socket), K_LOGIN_SOCKET);
	RESTART_IF(strcmp(cur->audit_log, next->audit_log), K_AUDIT_LOG);
	RESTART_IF(strcmp(cur->capture.btf_path, next->capture.btf_path), K_BTF);
	RESTART_IF(strcmp(cur->alerts_jsonl, next->alerts_jsonl), K_ALERTS_JSONL);
	/* rules_file: the rules are read again on every SIGHUP, from the new path if it moved */
	if (strcmp(cur->rules_file, next->rules_file))
		add_name(d->applied, sizeof(d->applied), key_names[K_RULES_FILE]);
#undef RESTART_IF
}

int ta_config_reload(const struct ta_daemon_opts *cur, const struct ta_store_opts *cur_store,
		     int argc, char **argv, struct ta_daemon_opts *next,
		     struct ta_store_opts *next_store, struct ta_config_diff *diff, char *err,
		     size_t err_len)
{
	struct ta_daemon_opts *n = malloc(sizeof(*n));
	struct ta_store_opts ns;
	int rc, code;

	if (!n)
		return -ENOMEM;
	rc = ta_config_build(n, &ns, argc, argv, NULL, 0, err, err_len, &code, stderr);
	if (rc != TA_OPTS_RUN) {
		free(n);
		return rc < 0 ? rc : -EINVAL;
	}
	ta_config_diff(cur, cur_store, n, &ns, diff);
	/* What runs from now on: the old settings with the new run-time ones. */
	*next = *cur;
	*next_store = *cur_store;
	next->capture.redact_noecho = n->capture.redact_noecho;
	memcpy(next->capture.rules, n->capture.rules, sizeof(next->capture.rules));
	next->capture.n_rules = n->capture.n_rules;
	memcpy(next->rules_file, n->rules_file, sizeof(next->rules_file));
	free(n);
	return 0;
}

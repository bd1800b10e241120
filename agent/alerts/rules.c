// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rules file (docs/alerts.md): "rule = NAME" starts a rule, the keys
 * after it until the next "rule" describe it. Read with the configuration's
 * line reader, so errors read "FILE:LINE: KEY: message" like the
 * configuration's, and every rule is checked complete when the next starts.
 */
#include "alerts/rules_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/kv.h"
#include "config/options.h"

struct parse_ctx {
	const char *log_dir;         /* what ${log_dir} in a pattern stands for */
	struct ta_alert_rules *rs;
	struct ta_alert_rule *cur;   /* NULL before the first "rule =" */
	unsigned seen_line[24];      /* per key of the current rule: line it was set on */
	uint64_t cost;               /* regcomp's cost of the patterns so far (RE_FILE_COST_MAX) */
};

static const char *const on_names[] = {
	[TA_ALERT_ON_EXEC] = "exec", [TA_ALERT_ON_INPUT] = "input",
	[TA_ALERT_ON_OUTPUT] = "output", [TA_ALERT_ON_SESSION] = "session",
	[TA_ALERT_ON_FOOTPRINT] = "footprint", [TA_ALERT_ON_WATCH] = "watch",
	[TA_ALERT_ON_ATTACH] = "attach",
};

static const char *const rule_keys[] = {
	"rule", "on", "argv", "path", "exe", "line", "unless", "uid", "auid", "other_user", "no_login",
	"severity", "rate", "description", "op", "peer", "argv_cut",
};

static int key_index(const char *k)
{
	for (size_t i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++)
		if (!strcmp(k, rule_keys[i]))
			return (int)i;
	return -1;
}

static int parse_yes_no(const char *v, enum tristate *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = T_YES;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = T_NO;
	else
		return -EINVAL;
	return 0;
}

/*
 * ${log_dir} in a pattern is the daemon's log directory, its special
 * characters escaped, so the shipped rules follow the configuration.
 */
static int expand(const char *v, const char *log_dir, char *out, size_t cap)
{
	static const char var[] = "${log_dir}";
	size_t o = 0;

	while (*v) {
		if (!strncmp(v, var, sizeof(var) - 1)) {
			for (const char *d = log_dir; *d; d++) {
				if (strchr(".[]()*+?{}|^$\\", *d) && o + 1 < cap)
					out[o++] = '\\';
				if (o + 1 >= cap)
					return -ENAMETOOLONG;
				out[o++] = *d;
			}
			v += sizeof(var) - 1;
			continue;
		}
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = *v++;
	}
	out[o] = '\0';
	return 0;
}

/*
 * glibc's regcomp copies an atom or group once for each repetition it expands
 * ("x+" is "xx*", "x{2,5}" five copies), in time quadratic in the copies, so
 * stacked or nested repetitions multiply: "a++++..." of a few hundred bytes
 * took minutes and all memory to compile; and an anchor repeated, alone or in
 * a group ("(^|/)*++++", "((^|/)*){1,40}"), made its closure computation
 * explode (both found by fuzz_alert_rules). The copies are counted as regcomp
 * makes them, bounded by RE_COPIES_MAX (about a tenth of a second), and a
 * repeated anchor (which matches nothing more than the anchor alone) is
 * refused, before regcomp sees the pattern.
 */
#define RE_COPIES_MAX 1000u
#define RE_DEPTH_MAX 64
/*
 * And the file as a whole: regcomp's time and memory grow with the square of a
 * pattern's nodes (once expanded), about 8 MiB and 40 ms for ".{1,999}", and
 * 256 rules of three such patterns took 6 GiB and 40 s, on the drain's thread
 * at SIGHUP. The squares are summed over the file and bounded by RE_FILE_COST_MAX:
 * eight patterns at the bound above (about 64 MiB, a third of a second); the
 * shipped rules use a few thousandths of it.
 */
#define RE_FILE_COST_MAX (8ull * RE_COPIES_MAX * RE_COPIES_MAX)
/* "{m}", "{m,}" or "{m,n}" at p: the copies regcomp makes, and its length; 0 if not one. */
static size_t interval(const char *p, uint64_t *copies)
{
	const char *q = p + 1;
	uint64_t m = 0, n = 0;
	int has_n = 0;

	if (!isdigit((unsigned char)*q))
		return 0;
	while (isdigit((unsigned char)*q) && m <= RE_COPIES_MAX)
		m = m * 10 + (uint64_t)(*q++ - '0');
	if (*q == ',') {
		q++;
		while (isdigit((unsigned char)*q) && n <= RE_COPIES_MAX) {
			n = n * 10 + (uint64_t)(*q++ - '0');
			has_n = 1;
		}
	} else {
		n = m;
		has_n = 1;
	}
	if (*q != '}')
		return 0;
	*copies = has_n ? (n > m ? n : m) : m + 1;
	if (!*copies)
		*copies = 1;
	return (size_t)(q + 1 - p);
}

static int re_too_costly(const char *p, uint64_t *nodes)
{
	/* Per open group: its nodes and whether it holds an anchor; last: the atom before p. */
	uint64_t sum[RE_DEPTH_MAX + 1] = { 0 }, last = 0, copies = 0;
	bool anchor[RE_DEPTH_MAX + 1] = { false }, last_anchor = false;
	int d = 0;

	while (*p) {
		uint64_t f = 0;
		size_t n = 1;
		bool atom = true;

		switch (*p) {
		case '(':
			if (d == RE_DEPTH_MAX)
				return 1;
			sum[++d] = 0;
			anchor[d] = false;
			last = 0;
			atom = false;
			break;
		case ')':
			if (!d)
				break; /* unbalanced: an atom here, regcomp judges it */
			last = sum[d] + 1;
			last_anchor = anchor[d--];
			sum[d] += last;
			anchor[d] |= last_anchor;
			atom = false;
			break;
		case '[':
			/* A bracket expression is one atom: "[]x]", "[^]x]", "[[:alpha:]]". */
			if (p[n] == '^')
				n++;
			if (p[n] == ']')
				n++;
			while (p[n] && p[n] != ']') {
				if (p[n] == '[' && (p[n + 1] == ':' || p[n + 1] == '.' || p[n + 1] == '=')) {
					const char *e = strchr(p + n + 2, p[n + 1]);
					while (e && e[1] != ']')
						e = strchr(e + 1, p[n + 1]);
					if (!e)
						return 0; /* unterminated: regcomp refuses it */
					n = (size_t)(e + 2 - p);
					continue;
				}
				n++;
			}
			if (p[n])
				n++;
			break;
		case '\\':
			n = p[1] ? 2 : 1;
			break;
		case '+':
			f = 2;
			break;
		case '*':
		case '?':
			f = 1;
			break;
		case '{':
			n = interval(p, &f);
			if (!n)
				n = 1; /* not an interval: a literal '{' */
			break;
		case '|':
			last = 0;
			last_anchor = false;
			atom = false;
			break;
		case '^':
		case '$':
			sum[d] += 1;
			anchor[d] = true;
			last = 1;
			last_anchor = true;
			atom = false;
			break;
		}
		if (f) {
			if (last_anchor)
				return 1;
			copies += last * (f - 1);
			sum[d] += last * (f - 1);
			last *= f;
		} else if (atom) {
			sum[d] += 1;
			last = 1;
			last_anchor = false;
		}
		if (copies > RE_COPIES_MAX || last > RE_COPIES_MAX * 16)
			return 1;
		p += n;
	}
	/* The nodes regcomp makes: the whole pattern, and any group left open. */
	*nodes = 0;
	for (int i = 0; i <= d; i++)
		*nodes += sum[i];
	return 0;
}

/*
 * POSIX ERE, compiled without sub-matches (flags REG_NOSUB) except line
 * patterns: unless is tried on what they matched. glibc accepts back-references
 * (\1..\9) in EREs too; they are refused because they make matching
 * exponential, and rules must never hold recording up. req: where to put
 * what a matching text must hold (required.h), or NULL.
 */
static int compile(struct parse_ctx *c, struct ta_kv_reader *r, const char *key, const char *v,
		   regex_t *re, bool *has, int flags, struct ta_re_required *req)
{
	char msg[256], pat[8192];
	uint64_t nodes = 0;
	int rc;

	if (*has)
		return ta_kv_fail(r, key, "set twice in one rule");
	for (const char *p = v; *p; p++) {
		if (*p != '\\')
			continue;
		if (p[1] >= '1' && p[1] <= '9')
			return ta_kv_fail(r, key, "back-references (\\%c) are not allowed: they make "
					  "matching exponential", p[1]);
		if (p[1])
			p++;
	}
	if (expand(v, c->log_dir ? c->log_dir : TA_DEFAULT_LOG_DIR, pat, sizeof(pat)))
		return ta_kv_fail(r, key, "pattern too long once ${log_dir} is put in");
	if (re_too_costly(pat, &nodes))
		return ta_kv_fail(r, key, "pattern too complex: its repetitions expand to more than "
				  "%u copies (stacked or nested +, {m,n}), repeat an anchor (^ or $), "
				  "or its groups nest deeper than %d", RE_COPIES_MAX, RE_DEPTH_MAX);
	c->cost += nodes * nodes;
	if (c->cost > RE_FILE_COST_MAX)
		return ta_kv_fail(r, key, "the file's patterns are too costly together: compiling "
				  "them would take more than about 64 MiB and a third of a second "
				  "(make long {m,n} repetitions shorter)");
	rc = regcomp(re, pat, REG_EXTENDED | flags);
	if (rc) {
		regerror(rc, re, msg, sizeof(msg));
		return ta_kv_fail(r, key, "bad regular expression '%.200s': %s", v, msg);
	}
	if (req)
		ta_re_required(pat, req);
	*has = true;
	return 0;
}

/* "10/1m", "1/30s", "5/1h": N hits per period, N at once at most. */
static int parse_rate(const char *v, uint32_t *burst, uint32_t *period)
{
	char *end;
	unsigned long n, p;
	unsigned long mult = 1;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end != '/' || n == 0 || n > 100000 || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	p = strtoul(end + 1, &end, 10);
	if (errno || p == 0)
		return -EINVAL;
	if (*end && !(mult = ta_duration_unit(end)))
		return -EINVAL;
	if (p > 86400 * 7 / mult)
		return -EINVAL;
	*burst = (uint32_t)n;
	*period = (uint32_t)(p * mult);
	return 0;
}

static void rule_free(struct ta_alert_rule *r)
{
	if (r->has_argv)
		regfree(&r->argv_re);
	if (r->has_path)
		regfree(&r->path_re);
	if (r->has_op)
		regfree(&r->op_re);
	if (r->has_peer)
		regfree(&r->peer_re);
	if (r->has_line)
		regfree(&r->line_re);
	if (r->has_unless)
		regfree(&r->unless_re);
}

/* A rule is complete when its kind is known and its conditions fit that kind. */
static int finish_rule(struct parse_ctx *c, struct ta_kv_reader *r)
{
	struct ta_alert_rule *x = c->cur;
	unsigned save = r->line;
	int rc = 0;
	bool exec_or_fp = x && (x->on == TA_ALERT_ON_EXEC || x->on == TA_ALERT_ON_FOOTPRINT);

	if (!x)
		return 0;
	r->line = x->line;
	if (!x->on)
		rc = ta_kv_fail(r, "rule", "'%s' has no 'on' (exec, input, output, session, attach, "
				"footprint)", x->name);
	else if ((x->has_argv || x->exe[0]) && x->on != TA_ALERT_ON_EXEC)
		rc = ta_kv_fail(r, "rule", "'%s': argv and exe need on = exec", x->name);
	else if (x->argv_cut == T_YES && (!x->has_argv || (!x->has_path && !x->exe[0])))
		rc = ta_kv_fail(r, "rule", "'%s': argv_cut needs argv, and path or exe", x->name);
	else if ((x->has_path || x->has_uid) && !exec_or_fp)
		rc = ta_kv_fail(r, "rule", "'%s': path and uid need on = exec or on = footprint",
				x->name);
	else if ((x->has_op || x->has_peer) && x->on != TA_ALERT_ON_FOOTPRINT)
		rc = ta_kv_fail(r, "rule", "'%s': op and peer need on = footprint", x->name);
	else if (x->other_user != T_ANY && !exec_or_fp && x->on != TA_ALERT_ON_ATTACH)
		rc = ta_kv_fail(r, "rule", "'%s': other_user needs on = exec, footprint or attach",
				x->name);
	else if (x->has_unless && !exec_or_fp && x->on != TA_ALERT_ON_INPUT &&
		 x->on != TA_ALERT_ON_OUTPUT)
		rc = ta_kv_fail(r, "rule", "'%s': unless needs on = exec, footprint, input or output",
				x->name);
	else if (x->has_line && x->on != TA_ALERT_ON_INPUT && x->on != TA_ALERT_ON_OUTPUT)
		rc = ta_kv_fail(r, "rule", "'%s': line needs on = input or on = output", x->name);
	else if ((x->on == TA_ALERT_ON_INPUT || x->on == TA_ALERT_ON_OUTPUT) && !x->has_line)
		rc = ta_kv_fail(r, "rule", "'%s': on = %s needs a line pattern", x->name,
				on_names[x->on]);
	else if (x->on == TA_ALERT_ON_EXEC && !x->has_argv && !x->has_path && !x->exe[0] &&
		 !x->has_uid && x->other_user == T_ANY)
		rc = ta_kv_fail(r, "rule", "'%s': on = exec needs argv, path, exe, uid or other_user",
				x->name);
	else if (x->on == TA_ALERT_ON_FOOTPRINT && !x->has_op && !x->has_path && !x->has_peer &&
		 !x->has_uid && x->other_user == T_ANY)
		rc = ta_kv_fail(r, "rule", "'%s': on = footprint needs op, path, peer, uid or "
				"other_user", x->name);
	else if (x->on == TA_ALERT_ON_SESSION && !x->has_auid && x->no_login == T_ANY)
		rc = ta_kv_fail(r, "rule", "'%s': on = session needs auid or no_login", x->name);
	r->line = save;
	if (!rc)
		c->rs->any[x->on] = true;
	return rc;
}

static int start_rule(struct parse_ctx *c, struct ta_kv_reader *r, const char *v)
{
	struct ta_alert_rule *x;
	int rc = finish_rule(c, r);

	if (rc)
		return rc;
	if (strlen(v) >= sizeof(x->name))
		return ta_kv_fail(r, "rule", "name longer than %zu bytes", sizeof(x->name) - 1);
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return ta_kv_fail(r, "rule", "'%.200s': names hold letters, digits, '-', '_', '.'",
					  v);
	for (size_t i = 0; i < c->rs->n; i++)
		if (!strcmp(c->rs->r[i].name, v))
			return ta_kv_fail(r, "rule", "'%s' defined again (first on line %u)", v,
					  c->rs->r[i].line);
	if (c->rs->n >= TA_ALERT_RULES_MAX)
		return ta_kv_fail(r, "rule", "too many rules (at most %d)", TA_ALERT_RULES_MAX);
	x = &c->rs->r[c->rs->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", v);
	x->line = r->line;
	x->severity = "medium";
	x->burst = TA_ALERT_DEFAULT_BURST;
	x->period_s = TA_ALERT_DEFAULT_PERIOD_S;
	x->slot = (uint16_t)(c->rs->n - 1);
	c->cur = x;
	memset(c->seen_line, 0, sizeof(c->seen_line));
	return 0;
}

static int on_setting(void *ctx, struct ta_kv_reader *r, const char *key, const char *v)
{
	static const char *const severities[] = { "low", "medium", "high", "critical" };
	struct parse_ctx *c = ctx;
	struct ta_alert_rule *x = c->cur;
	int k = key_index(key);

	if (k < 0)
		return ta_kv_fail(r, NULL, "unknown key '%.200s'", key);
	if (!*v)
		return ta_kv_fail(r, key, "no value");
	if (k == 0)
		return start_rule(c, r, v);
	if (!x)
		return ta_kv_fail(r, key, "before the first 'rule = NAME'");
	if (c->seen_line[k])
		return ta_kv_fail(r, key, "set again in rule '%s' (first set on line %u)", x->name,
				  c->seen_line[k]);
	c->seen_line[k] = r->line;
	if (!strcmp(key, "on")) {
		for (int i = TA_ALERT_ON_EXEC; i <= TA_ALERT_ON_MAX; i++)
			if (i != TA_ALERT_ON_WATCH && !strcmp(v, on_names[i]))
				x->on = (uint8_t)i;
		if (!x->on)
			return ta_kv_fail(r, key, "'%.200s' is not exec, input, output, session, attach "
					  "or footprint", v);
		return 0;
	}
	if (!strcmp(key, "argv"))
		return compile(c, r, key, v, &x->argv_re, &x->has_argv, REG_NOSUB, NULL);
	if (!strcmp(key, "path"))
		return compile(c, r, key, v, &x->path_re, &x->has_path, REG_NOSUB, NULL);
	if (!strcmp(key, "line"))
		return compile(c, r, key, v, &x->line_re, &x->has_line, 0, &x->line_req);
	if (!strcmp(key, "op"))
		return compile(c, r, key, v, &x->op_re, &x->has_op, REG_NOSUB, NULL);
	if (!strcmp(key, "peer"))
		return compile(c, r, key, v, &x->peer_re, &x->has_peer, REG_NOSUB, NULL);
	if (!strcmp(key, "unless"))
		return compile(c, r, key, v, &x->unless_re, &x->has_unless, REG_NOSUB, NULL);
	if (!strcmp(key, "exe")) {
		if (v[0] != '/' || strlen(v) >= sizeof(x->exe))
			return ta_kv_fail(r, key, "'%.200s' is not an absolute path (under %zu bytes)",
					  v, sizeof(x->exe));
		snprintf(x->exe, sizeof(x->exe), "%s", v);
		return 0;
	}
	if (!strcmp(key, "uid") || !strcmp(key, "auid")) {
		bool uid = key[0] == 'u';

		if (ta_parse_id_range(v, uid ? &x->uid_lo : &x->auid_lo, uid ? &x->uid_hi : &x->auid_hi))
			return ta_kv_fail(r, key, "'%.200s' is not an id or range (N, N-M, N-)", v);
		*(uid ? &x->has_uid : &x->has_auid) = true;
		return 0;
	}
	if (!strcmp(key, "other_user") || !strcmp(key, "no_login") || !strcmp(key, "argv_cut")) {
		enum tristate *t = key[0] == 'o' ? &x->other_user :
				   key[0] == 'n' ? &x->no_login : &x->argv_cut;

		if (parse_yes_no(v, t))
			return ta_kv_fail(r, key, "'%.200s' is not yes or no", v);
		return 0;
	}
	if (!strcmp(key, "severity")) {
		for (size_t i = 0; i < 4; i++)
			if (!strcmp(v, severities[i])) {
				x->severity = severities[i];
				return 0;
			}
		return ta_kv_fail(r, key, "'%.200s' is not low, medium, high or critical", v);
	}
	if (!strcmp(key, "rate")) {
		if (parse_rate(v, &x->burst, &x->period_s))
			return ta_kv_fail(r, key, "'%.200s' is not N/PERIOD (10/1m, 1/30s; at most "
					  "100000 per up to 7 days)", v);
		return 0;
	}
	/* description: refused, not cut (a cut could split a character in two) */
	if (strlen(v) >= sizeof(x->description))
		return ta_kv_fail(r, key, "longer than %zu bytes (it is written into every alert: "
				  "shorten it)", sizeof(x->description) - 1);
	snprintf(x->description, sizeof(x->description), "%s", v);
	return 0;
}

static int rules_new(struct ta_alert_rules **out)
{
	struct ta_alert_rules *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return -ENOMEM;
	rs->r = calloc(TA_ALERT_RULES_MAX, sizeof(*rs->r));
	if (!rs->r) {
		free(rs);
		return -ENOMEM;
	}
	*out = rs;
	return 0;
}

static int parse_done(struct parse_ctx *c, int rc, const char *name, unsigned last_line,
		      struct ta_alert_rules **out, char *err, size_t err_len)
{
	struct ta_kv_reader r = { .name = name, .line = last_line, .err = err, .err_len = err_len };

	if (!rc)
		rc = finish_rule(c, &r);
	if (rc) {
		ta_alert_rules_free(c->rs);
		return rc;
	}
	*out = c->rs;
	return 0;
}

int ta_alert_rules_parse(struct ta_alert_rules **out, const char *name, const char *text,
			 size_t len, const char *log_dir, char *err, size_t err_len)
{
	struct parse_ctx c = { .log_dir = log_dir };
	int rc = rules_new(&c.rs);

	if (rc)
		return rc;
	rc = ta_kv_parse_text(name, text, len, on_setting, &c, err, err_len);
	return parse_done(&c, rc, name, 0, out, err, err_len);
}

int ta_alert_rules_load(struct ta_alert_rules **out, const char *path, bool optional,
			const char *log_dir, char *err, size_t err_len)
{
	struct parse_ctx c = { .log_dir = log_dir };
	int rc = rules_new(&c.rs);

	if (rc)
		return rc;
	rc = ta_kv_parse_file(path, TA_KV_CHECK_PERMS | (optional ? TA_KV_OPTIONAL : 0), on_setting,
			      &c, err, err_len);
	return parse_done(&c, rc, path, 0, out, err, err_len);
}

size_t ta_alert_rules_count(const struct ta_alert_rules *rs)
{
	return rs ? rs->n : 0;
}

void ta_alert_rules_free(struct ta_alert_rules *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_free(&rs->r[i]);
	free(rs->r);
	free(rs);
}

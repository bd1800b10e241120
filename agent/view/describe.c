// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One line for each event of a transcript that is not terminal data (exec,
 * login, gap, attach, footprint, alert...): what show, follow, export and
 * query --grep print for it, before neutralising.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_read.h"
#include "logfmt/footprint.h"
#include "logfmt/record_types.h"
#include "ttyaudit/log_records.h"
#include "ttyaudit/record.h"
#include "view/transcript.h"

/*
 * The describe lines take the recorded values whole, by length: a NUL in one
 * (JSON's \u0000) stays a byte of the line, which the neutraliser shows (\x00),
 * instead of ending the value there ("root\u0000x" shown as "root"); and at any
 * length, decoded into buffers as long as the record, which no value of it can
 * outgrow (a string decoded is never longer than its JSON text). Fixed buffers
 * cut them unmarked: a working directory of 300 bytes showed as its first 255.
 */
struct scratch {
	char *s, *x, *k; /* k: kv's own */
	size_t cap;
};

/* A string member's bytes into buf: their length, 0 if it is absent or not a string. */
static size_t member(const struct ta_jobj *o, const char *key, char *buf, size_t cap)
{
	long n = ta_jobj_str(o, key, buf, cap);

	return n > 0 ? (size_t)n : 0;
}

/*
 * A recorded value as one word: as it is when plain, else quoted as a shell
 * would ('it'\''s'), so that a file named "x failed (Permission denied)" or a
 * socket path holding " pid 1 uid 0" never reads as more of the line.
 */
static void put_word(struct ta_buf *out, const char *w, size_t n)
{
	int plain = n != 0;

	for (size_t i = 0; i < n && plain; i++) {
		char c = w[i];
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			(c && strchr("-_./=:,+@%", c));
	}
	if (plain) {
		ta_buf_put(out, w, n);
		return;
	}
	ta_buf_putc(out, '\'');
	for (size_t i = 0; i < n; i++) {
		if (w[i] == '\'')
			ta_buf_puts(out, "'\\''");
		else
			ta_buf_putc(out, w[i]);
	}
	ta_buf_putc(out, '\'');
}

/* What follows a path's last slash: the name a program is known by (*n: its length). */
static const char *last_component(const char *p, size_t *n)
{
	const char *slash = memrchr(p, '/', *n);

	if (slash) {
		*n -= (size_t)(slash + 1 - p);
		return slash + 1;
	}
	return p;
}

static void kv(struct ta_buf *out, const struct ta_jobj *o, const char *key, const char *label,
	       const struct scratch *sc)
{
	uint64_t u;
	long n;

	/* Quoted unless plain: a path holding " pid 1 uid 0" must not read as more fields. */
	if ((n = ta_jobj_str(o, key, sc->k, sc->cap)) > 0) {
		ta_buf_printf(out, " %s ", label);
		put_word(out, sc->k, (size_t)n);
	} else if (!ta_jobj_u64(o, key, &u))
		ta_buf_printf(out, " %s %" PRIu64, label, u);
}

/* Members shown as "label value", in this order; a list ends with a NULL key. */
struct kv_name {
	const char *key, *label;
};

static const struct kv_name login_kvs[] = {
	{ "user", "user" }, { "auid", "auid" }, { "host", "from" }, { "addr", "addr" },
	{ "login_program", "via" }, { "terminal", "terminal" }, { "result", "result" }, { NULL, NULL },
};

static const struct kv_name note_kvs[] = {
	{ "bytes", "bytes" }, { "syscall", "syscall" }, { "acct", "account" }, { "host", "from" },
	{ "addr", "addr" }, { "result", "result" }, { "pid", "pid" }, { NULL, NULL },
};

static void kv_list(struct ta_buf *out, const struct ta_jobj *o, const struct kv_name *l,
		    const struct scratch *sc)
{
	for (; l->key; l++)
		kv(out, o, l->key, l->label, sc);
}

/* tr->who's name of auid (and its session key), or "auid N" when there is no resolver. */
static void put_name(const struct ta_transcript *tr, uint32_t auid, uint64_t key, struct ta_buf *out)
{
	char nb[64];
	size_t n;

	if (!tr->who) {
		ta_buf_printf(out, "auid %" PRIu32, auid);
		return;
	}
	/* By length: a recorded name may hold a NUL, which the neutraliser shows. */
	const char *name = tr->who(tr->who_ctx, auid, key, nb, sizeof(nb), &n);
	ta_buf_put(out, name, n);
}

/* "bob" or "auid 1001" (the person of an attach/detach/attribution), "nobody known" if null. */
static void put_who(const struct ta_transcript *tr, const struct ta_jobj *o, struct ta_buf *out)
{
	uint64_t auid, ses;

	if (ta_jobj_u64(o, "auid", &auid) || auid >= TA_ID_NONE) {
		ta_buf_puts(out, "nobody known");
		return;
	}
	if (ta_jobj_u64(o, "ses", &ses) || ses >= TA_ID_NONE)
		ses = TA_ID_NONE;
	uint64_t key = (tr->key & 0xffffffff00000000ull) | ses;
	put_name(tr, (uint32_t)auid, key, out);
	if (ses < TA_ID_NONE) {
		char id[32];
		ta_sess_id(key, id, sizeof(id));
		ta_buf_printf(out, " (session %s)", id);
	}
}

/*
 * "file open wronly,creat /etc/passwd", "net connect tcp 192.0.2.1:4444",
 * "priv setuid -> uid 0 euid 0 [root]": what a footprint record says, with
 * who did it. Failed calls end in "failed (errno N)".
 */
static void describe_footprint(const struct ta_jobj *o, struct ta_buf *out, const struct scratch *sc)
{
	char op[32], *s = sc->s;
	size_t cap = sc->cap;
	uint64_t port = 0, v;
	int root = 0, flag = 0;
	const char *cls;
	uint16_t code;
	size_t n;

	/* The operation is what the call was only if the name is whole ("open\u0000x" is none). */
	code = ta_jobj_cstr(o, "op", op, sizeof(op)) > 0 ? ta_fp_op_parse(op) : 0;
	cls = ta_fp_op_is_privilege(code) ? "priv" : ta_fp_op_is_network(code) ? "net" : "file";
	ta_buf_printf(out, "%s ", cls);
	put_word(out, s, member(o, "op", s, cap));
	if (ta_fp_op_is_network(code)) {
		char *proto = sc->s, *addr = sc->x;
		size_t pn = member(o, "proto", proto, cap), an = member(o, "addr", addr, cap);
		int v6 = memchr(addr, ':', an) != NULL;

		ta_jobj_u64(o, "port", &port);
		if (an) {
			ta_buf_putc(out, ' ');
			put_word(out, proto, pn);
			ta_buf_puts(out, v6 ? " [" : " ");
			put_word(out, addr, an);
			ta_buf_printf(out, "%s:%" PRIu64, v6 ? "]" : "", port);
		}
	} else if (ta_fp_op_is_privilege(code)) {
		if ((n = member(o, "path", s, cap))) {
			ta_buf_putc(out, ' ');
			put_word(out, s, n);
		}
		ta_buf_puts(out, " ->");
		if (!ta_jobj_u64(o, "ruid", &v))
			ta_buf_printf(out, " uid %" PRIu64, v);
		if (!ta_jobj_u64(o, "euid", &v))
			ta_buf_printf(out, " euid %" PRIu64, v);
		if (!ta_jobj_u64(o, "rgid", &v))
			ta_buf_printf(out, " gid %" PRIu64, v);
		if (!ta_jobj_u64(o, "egid", &v))
			ta_buf_printf(out, " egid %" PRIu64, v);
		if (code == TA_FP_CAPSET && (n = member(o, "cap_effective", s, cap))) {
			ta_buf_puts(out, " caps ");
			put_word(out, s, n);
		}
		if (!ta_jval_bool(ta_jobj_get(o, "root"), &root) && root)
			ta_buf_puts(out, " [root]");
	} else {
		if ((n = member(o, "flags", s, cap))) {
			ta_buf_putc(out, ' ');
			put_word(out, s, n);
		}
		if ((n = member(o, "mode", s, cap))) {
			ta_buf_putc(out, ' ');
			put_word(out, s, n);
		}
		if (code == TA_FP_CHOWN) {
			ta_buf_puts(out, " to");
			kv(out, o, "owner", "uid", sc);
			kv(out, o, "group", "gid", sc);
		}
		long pn;
		if ((pn = ta_jobj_str(o, "path", s, cap)) >= 0) {
			ta_buf_putc(out, ' ');
			put_word(out, s, (size_t)pn);
		}
		if ((pn = ta_jobj_str(o, "path2", s, cap)) >= 0) {
			ta_buf_puts(out, " -> ");
			put_word(out, s, (size_t)pn);
		}
	}
	if ((n = member(o, "via", s, cap))) {
		ta_buf_puts(out, " via ");
		put_word(out, s, n);
	}
	if (!ta_jval_bool(ta_jobj_get(o, "uncaptured"), &flag) && flag)
		ta_buf_puts(out, " [what it named not captured]");
	if (!ta_jval_bool(ta_jobj_get(o, "compat32"), &flag) && flag)
		ta_buf_puts(out, " [32-bit call]");
	if (!ta_jobj_u64(o, "errno", &v))
		ta_buf_printf(out, " failed (%s)", strerror((int)(v < 4096 ? v : 0)));
	kv(out, o, "pid", "pid", sc);
	kv(out, o, "uid", "uid", sc);
	kv(out, o, "comm", "comm", sc);
}

/* The kinds whose data is a JSON record. */
static int kind_is_json(uint8_t kind)
{
	switch (kind) {
	case TA_TEV_EXEC: case TA_TEV_LOGIN: case TA_TEV_LOGOUT: case TA_TEV_NOTE: case TA_TEV_GAP:
	case TA_TEV_ATTACH: case TA_TEV_DETACH: case TA_TEV_ATTRIB: case TA_TEV_FOOTPRINT:
	case TA_TEV_ALERT:
		return 1;
	default:
		return 0;
	}
}

static void describe(const struct ta_transcript *tr, const struct ta_tev *e, struct ta_buf *out,
		     const struct scratch *sc)
{
	const char *d = (const char *)ta_tev_data(tr, e);
	struct ta_jobj o;
	char *s = sc->s;
	size_t n, cap = sc->cap;
	int json = kind_is_json(e->kind) && e->len && d[0] == '{' && !ta_jobj_parse(&o, d, e->len);

	switch (e->kind) {
	case TA_TEV_WINSIZE:
		ta_buf_printf(out, "window size %ux%u (rows x cols)", e->rows, e->cols);
		return;
	case TA_TEV_DAMAGE:
		ta_buf_put(out, d, e->len);
		return;
	case TA_TEV_EXEC:
		if (!json) {
			ta_buf_puts(out, "exec (record does not decode)");
			return;
		}
		ta_buf_puts(out, "exec");
		{
			const struct ta_jval *argv = ta_jobj_get(&o, "argv");
			struct ta_jarr_iter it;
			struct ta_jval el;
			long an;
			if (!ta_jarr_begin(argv, &it))
				while (ta_jarr_next(&it, &el) == 1) {
					if ((an = ta_jval_str(&el, s, cap)) < 0)
						continue;
					ta_buf_putc(out, ' ');
					put_word(out, s, (size_t)an);
				}
			int trunc = 0;
			if (!ta_jval_bool(ta_jobj_get(&o, "argv_truncated"), &trunc) && trunc)
				ta_buf_puts(out, " [argv truncated]");
			ta_buf_puts(out, "  [");
			size_t fn = member(&o, "filename", s, cap);
			if (fn)
				put_word(out, s, fn);
			/*
			 * The file that ran, where the name given calls it something
			 * else (a symlink ~/x to sudo, fexecve's /dev/fd/N). Only the last
			 * components are compared: /bin/ls running /usr/bin/ls (a merged
			 * /usr) is noise on every line; the record has both in full.
			 */
			char *x = sc->x;
			int cut = 0;
			ta_jval_bool(ta_jobj_get(&o, "exe_truncated"), &cut);
			size_t xn = member(&o, "exe", x, cap), xl = xn, sl = fn;
			const char *xc = last_component(x, &xl), *fc = last_component(s, &sl);
			if (xn && (cut || !fn || xl != sl || memcmp(xc, fc, xl))) {
				/* the end of a longer path: its start was not kept */
				ta_buf_puts(out, cut ? " exe ..." : " exe ");
				put_word(out, x, xn);
			}
		}
		kv(out, &o, "pid", "pid", sc);
		kv(out, &o, "uid", "uid", sc);
		kv(out, &o, "cwd", "cwd", sc);
		ta_buf_puts(out, "]");
		return;
	case TA_TEV_GAP:
		if (!json) {
			ta_buf_put(out, d, e->len);
			return;
		}
		if (e->flags & TA_TEV_F_DESCRIBED) {
			long tn = ta_jobj_str(&o, "text", s, cap);
			if (tn > 0)
				ta_buf_put(out, s, (size_t)tn);
			return;
		}
		{
			char *reason = sc->x;
			uint64_t ev = 0, by = 0;
			/* "gap" says nothing more; another loss name ("discontinuity") is shown */
			const char *gap = ta_rec_type_name(TA_REC_LOSS);
			size_t tn = member(&o, "type", s, cap), rn = member(&o, "reason", reason, cap);
			int named = tn && (tn != strlen(gap) || memcmp(s, gap, tn));
			ta_jobj_u64(&o, "events", &ev);
			ta_jobj_u64(&o, "bytes", &by);
			if (named) {
				put_word(out, s, tn);
				ta_buf_puts(out, ": ");
			}
			ta_buf_printf(out, "%" PRIu64 " events, %" PRIu64 " bytes lost (", ev, by);
			if (rn)
				put_word(out, reason, rn);
			else
				ta_buf_puts(out, "unknown");
			ta_buf_putc(out, ')');
			uint64_t cby = 0;
			if (!ta_jobj_u64(&o, "copied_bytes", &cby) && cby)
				ta_buf_printf(out, "; %" PRIu64 " of the bytes written by another session",
					      cby);
		}
		return;
	case TA_TEV_LOGIN:
	case TA_TEV_LOGOUT:
		if (!json) {
			ta_buf_puts(out, e->kind == TA_TEV_LOGIN ? "login (record does not decode)" :
								 "logout (record does not decode)");
			return;
		}
		ta_buf_puts(out, e->kind == TA_TEV_LOGIN ? "login" : "logout");
		kv_list(out, &o, login_kvs, sc);
		return;
	case TA_TEV_NOTE:
		if (!json) {
			ta_buf_puts(out, "record (does not decode)");
			return;
		}
		if ((n = member(&o, "type", s, cap)))
			put_word(out, s, n);
		else
			ta_buf_puts(out, "record");
		kv_list(out, &o, note_kvs, sc);
		return;
	case TA_TEV_ATTACH:
	case TA_TEV_DETACH:
		if (!json) {
			ta_buf_puts(out, e->kind == TA_TEV_ATTACH ? "attach (record does not decode)"
								  : "detach (record does not decode)");
			return;
		}
		put_who(tr, &o, out);
		if (e->kind == TA_TEV_ATTACH) {
			ta_buf_puts(out, " attached");
			if ((n = member(&o, "tty", s, cap))) {
				ta_buf_puts(out, " from ");
				put_word(out, s, n);
			}
		} else {
			ta_buf_puts(out, " detached");
		}
		if ((n = member(&o, "server", s, cap))) {
			ta_buf_puts(out, e->kind == TA_TEV_ATTACH ? " to " : " from ");
			put_word(out, s, n);
		}
		if (e->kind == TA_TEV_ATTACH) {
			const struct ta_jval *argv = ta_jobj_get(&o, "argv");
			struct ta_jarr_iter it;
			struct ta_jval el;
			int first = 1;
			long an;
			if (!ta_jarr_begin(argv, &it))
				while (ta_jarr_next(&it, &el) == 1) {
					if ((an = ta_jval_str(&el, s, cap)) < 0)
						continue;
					ta_buf_puts(out, first ? " (" : " ");
					put_word(out, s, (size_t)an);
					first = 0;
				}
			if (!first)
				ta_buf_putc(out, ')');
			else if ((n = member(&o, "argv_unknown", s, cap))) {
				/* The tracker saw the exec, then had to forget its argv. */
				ta_buf_puts(out, " (argv unknown: ");
				put_word(out, s, n);
				ta_buf_putc(out, ')');
			}
		} else if ((n = member(&o, "reason", s, cap))) {
			ta_buf_puts(out, " (");
			put_word(out, s, n);
			ta_buf_putc(out, ')');
		}
		kv(out, &o, "pid", "pid", sc);
		return;
	case TA_TEV_FOOTPRINT:
		if (!json) {
			ta_buf_puts(out, "footprint (record does not decode)");
			return;
		}
		describe_footprint(&o, out, sc);
		return;
	case TA_TEV_ALERT:
		if (!json) {
			ta_buf_puts(out, "ALERT (record does not decode)");
			return;
		}
		{
			uint64_t k = 0;
			int lifted = 0;

			ta_buf_puts(out, "ALERT ");
			put_word(out, s, member(&o, "rule", s, cap));
			ta_buf_puts(out, " (");
			put_word(out, s, member(&o, "severity", s, cap));
			ta_buf_putc(out, ')');
			if (!ta_jval_bool(ta_jobj_get(&o, "rate_limit_lifted"), &lifted) && lifted) {
				ta_jobj_u64(&o, "suppressed", &k);
				ta_buf_printf(out, ": %" PRIu64 " hits suppressed by its rate limit", k);
				if ((n = member(&o, "subject", s, cap))) {
					ta_buf_puts(out, ", the first: ");
					put_word(out, s, n);
				}
				kv(out, &o, "auid", "auid", sc);
				return;
			}
			if ((n = member(&o, "subject", s, cap))) {
				ta_buf_puts(out, ": ");
				put_word(out, s, n);
			}
			if (!ta_jobj_u64(&o, "suppressed", &k) && k)
				ta_buf_printf(out, " (+%" PRIu64 " suppressed before)", k);
			kv(out, &o, "pid", "pid", sc);
		}
		return;
	case TA_TEV_ATTRIB: {
		if (!json) {
			ta_buf_puts(out, "attribution (record does not decode)");
			return;
		}
		char *conf = sc->s, *pane = sc->x;
		size_t cn = member(&o, "confidence", conf, cap), pn = member(&o, "pane", pane, cap);
		uint64_t by = 0, owner = TA_ID_NONE, oa = TA_ID_NONE, skipped = 0;
		ta_jobj_u64(&o, "bytes", &by);
		ta_jobj_u64(&o, "pane_owner_ses", &owner);
		ta_jobj_u64(&o, "pane_owner_auid", &oa);
		put_who(tr, &o, out);
		ta_buf_printf(out, " typed %" PRIu64 " bytes into ", by);
		put_word(out, pane, pn);
		if (owner < TA_ID_NONE) {
			char id[32];
			uint64_t pk = (tr->key & 0xffffffff00000000ull) | owner;
			ta_sess_id(pk, id, sizeof(id));
			ta_buf_printf(out, " (session %s", id);
			if (oa < TA_ID_NONE) {
				ta_buf_puts(out, " of ");
				if (tr->who)
					put_name(tr, (uint32_t)oa, pk, out);
			}
			ta_buf_putc(out, ')');
		}
		ta_buf_puts(out, ", ");
		put_word(out, conf, cn);
		if ((n = member(&o, "server", s, cap))) {
			ta_buf_puts(out, " via ");
			put_word(out, s, n);
		}
		/* Said from a partial view: attached clients past the tracker's cap. */
		if (!ta_jobj_u64(&o, "candidates_skipped", &skipped) && skipped)
			ta_buf_printf(out, ", %" PRIu64 " attached clients not looked at", skipped);
		return;
	}
	default:
		return;
	}
}

void ta_tev_describe(const struct ta_transcript *tr, const struct ta_tev *e, struct ta_buf *out)
{
	/* Only a JSON record has values to decode: the others take no buffers. */
	struct scratch sc = { .cap = kind_is_json(e->kind) ? (size_t)e->len + 1 : 1 };
	char *all = malloc(3 * sc.cap);

	if (!all) {
		ta_buf_puts(out, "(not shown: out of memory)");
		return;
	}
	sc.s = all;
	sc.x = all + sc.cap;
	sc.k = all + 2 * sc.cap;
	describe(tr, e, out, &sc);
	free(all);
}

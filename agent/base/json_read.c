// SPDX-License-Identifier: GPL-2.0-or-later
/* A strict, allocation-free reader for flat JSON objects (json_read.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/json_read.h"

struct cur {
	const char *p, *end;
};

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* At a '"': skips to after the closing quote, checking escapes. */
static int skip_string(struct cur *c)
{
	if (c->p >= c->end || *c->p != '"')
		return -EBADMSG;
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -EBADMSG;
		if (ch == '\\') {
			if (c->p + 1 >= c->end)
				return -EBADMSG;
			char e = c->p[1];
			if (e == 'u') {
				if (c->end - c->p < 6)
					return -EBADMSG;
				for (int i = 2; i < 6; i++)
					if (hexval(c->p[i]) < 0)
						return -EBADMSG;
				c->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || e == '\0')
				return -EBADMSG;
			c->p += 2;
			continue;
		}
		c->p++;
	}
	return -EBADMSG;
}

static int skip_number(struct cur *c)
{
	const char *s = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p >= c->end)
		return -EBADMSG;
	if (*c->p == '0') {
		c->p++;
	} else if (*c->p >= '1' && *c->p <= '9') {
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	} else {
		return -EBADMSG;
	}
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -EBADMSG;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -EBADMSG;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	return c->p > s ? 0 : -EBADMSG;
}

static int lit(struct cur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return -EBADMSG;
	c->p += n;
	return 0;
}

static int value(struct cur *c, struct ta_jval *v, int depth);

static int container(struct cur *c, char open, char close, int depth)
{
	if (depth >= TA_JSON_MAX_DEPTH)
		return -EBADMSG;
	c->p++; /* open */
	ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		struct ta_jval v;
		ws(c);
		if (open == '{') {
			if (skip_string(c))
				return -EBADMSG;
			ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -EBADMSG;
			c->p++;
		}
		if (value(c, &v, depth + 1))
			return -EBADMSG;
		ws(c);
		if (c->p >= c->end)
			return -EBADMSG;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		return -EBADMSG;
	}
}

static int value(struct cur *c, struct ta_jval *v, int depth)
{
	const char *s;
	int err;

	ws(c);
	if (c->p >= c->end)
		return -EBADMSG;
	s = c->p;
	switch (*c->p) {
	case '"':
		v->type = TA_J_STR;
		err = skip_string(c);
		break;
	case '{':
		v->type = TA_J_OBJ;
		err = container(c, '{', '}', depth);
		break;
	case '[':
		v->type = TA_J_ARR;
		err = container(c, '[', ']', depth);
		break;
	case 't':
		v->type = TA_J_BOOL;
		err = lit(c, "true");
		break;
	case 'f':
		v->type = TA_J_BOOL;
		err = lit(c, "false");
		break;
	case 'n':
		v->type = TA_J_NULL;
		err = lit(c, "null");
		break;
	default:
		v->type = TA_J_NUM;
		err = skip_number(c);
		break;
	}
	if (err)
		return -EBADMSG;
	v->p = s;
	v->n = (size_t)(c->p - s);
	return 0;
}

static const struct ta_jval *find_member(const struct ta_jobj *o, const char *key, size_t kl)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->m[i].kn == kl && !memcmp(o->m[i].k, key, kl))
			return &o->m[i].v;
	return NULL;
}

int ta_jobj_parse(struct ta_jobj *o, const char *s, size_t len)
{
	struct cur c = { s, s + len };

	o->n = 0;
	if (!s)
		return -EBADMSG;
	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -EBADMSG;
	c.p++;
	ws(&c);
	if (c.p < c.end && *c.p == '}') {
		c.p++;
		goto tail;
	}
	for (;;) {
		struct ta_jval v;
		const char *k;
		size_t kn;

		ws(&c);
		k = c.p + 1;
		if (skip_string(&c))
			return -EBADMSG;
		kn = (size_t)(c.p - 1 - k);
		ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return -EBADMSG;
		c.p++;
		if (value(&c, &v, 1))
			return -EBADMSG;
		/*
		 * What another reader (jq, a SIEM) sees must be what we see: a
		 * second member of the same name, or a name written with escapes
		 * ("\u0066ilename"), would show one value here and another there.
		 * The log's names are plain words, so both are refused, and so are
		 * members beyond those kept (a name we read could hide past them).
		 */
		if (memchr(k, '\\', kn) || o->n == TA_JOBJ_MAX || find_member(o, k, kn)) {
			o->n = 0;
			return -EBADMSG;
		}
		o->m[o->n].k = k;
		o->m[o->n].kn = kn;
		o->m[o->n].v = v;
		o->n++;
		ws(&c);
		if (c.p >= c.end)
			return -EBADMSG;
		if (*c.p == ',') {
			c.p++;
			continue;
		}
		if (*c.p == '}') {
			c.p++;
			break;
		}
		return -EBADMSG;
	}
tail:
	ws(&c);
	if (c.p != c.end) {
		o->n = 0;
		return -EBADMSG;
	}
	return 0;
}

const struct ta_jval *ta_jobj_get(const struct ta_jobj *o, const char *key)
{
	return find_member(o, key, strlen(key));
}

/* Appends the UTF-8 of cp if it fits whole; returns bytes written (0 if no room). */
static size_t put_utf8(char *out, size_t room, uint32_t cp)
{
	char t[4];
	size_t n = ta_utf8_encode(cp, t);

	if (n > room)
		return 0;
	memcpy(out, t, n);
	return n;
}

static int hex4(const char *p, const char *end, uint32_t *v)
{
	uint32_t x = 0;

	if (end - p < 4)
		return -EBADMSG;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return -EBADMSG;
		x = x << 4 | (uint32_t)h;
	}
	*v = x;
	return 0;
}

int ta_json_u_escape(const char *p, const char *end, uint32_t *cp, size_t *len)
{
	uint32_t lo;

	if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, end, cp))
		return -EBADMSG;
	*len = 6;
	if (*cp >= 0xd800 && *cp <= 0xdbff && end - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
	    !hex4(p + 8, end, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
		*len = 12;
	} else if (*cp >= 0xd800 && *cp <= 0xdfff) {
		*cp = 0xfffd;
	}
	return 0;
}

/* ta_jval_str; *cut: whether the value did not fit whole. */
static long decode_str(const struct ta_jval *v, char *out, size_t cap, int *cut)
{
	const char *p, *end;
	size_t o = 0;
	int full = 0;

	if (!v || v->type != TA_J_STR || v->n < 2)
		return -EINVAL;
	if (!cap)
		return -EINVAL;
	p = v->p + 1;
	end = v->p + v->n - 1;
	while (p < end) {
		uint32_t cp;
		size_t w;

		if (*p != '\\') {
			/* Raw bytes: copy a whole UTF-8 sequence or stop. */
			size_t l = 1;
			unsigned char b = (unsigned char)*p;
			if (b >= 0xc0)
				while (p + l < end && ((unsigned char)p[l] & 0xc0) == 0x80 && l < 4)
					l++;
			if (!full && o + l <= cap - 1) {
				memcpy(out + o, p, l);
				o += l;
			} else {
				full = 1;
			}
			p += l;
			continue;
		}
		if (p + 1 >= end)
			return -EBADMSG;
		switch (p[1]) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u': {
			size_t ul;
			if (ta_json_u_escape(p, end, &cp, &ul))
				return -EBADMSG;
			p += ul - 2; /* the "\\u" itself below */
			break;
		}
		default:
			return -EBADMSG;
		}
		p += 2;
		if (!full) {
			w = put_utf8(out + o, cap - 1 - o, cp);
			if (!w)
				full = 1;
			o += w;
		}
	}
	out[o] = '\0';
	*cut = full;
	return (long)o;
}

long ta_jval_str(const struct ta_jval *v, char *out, size_t cap)
{
	int cut;

	return decode_str(v, out, cap, &cut);
}

long ta_jval_cstr(const struct ta_jval *v, char *out, size_t cap)
{
	int cut = 0;
	long n = decode_str(v, out, cap, &cut);

	if (n < 0) {
		if (cap)
			out[0] = '\0';
		return n;
	}
	if (cut || memchr(out, '\0', (size_t)n)) {
		out[0] = '\0';
		return cut ? -ERANGE : -EILSEQ;
	}
	return n;
}

int ta_jval_u64(const struct ta_jval *v, uint64_t *out)
{
	uint64_t x = 0;

	if (!v || v->type != TA_J_NUM || !v->n)
		return -EINVAL;
	for (size_t i = 0; i < v->n; i++) {
		char ch = v->p[i];
		if (ch < '0' || ch > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - (uint64_t)(ch - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(ch - '0');
	}
	*out = x;
	return 0;
}

int ta_jval_bool(const struct ta_jval *v, int *out)
{
	if (!v || v->type != TA_J_BOOL)
		return -EINVAL;
	*out = v->p[0] == 't';
	return 0;
}

/* The string member key, out emptied first: NULL when it is missing or not a string. */
static const struct ta_jval *str_member(const struct ta_jobj *o, const char *key, char *out,
					size_t cap)
{
	const struct ta_jval *v = ta_jobj_get(o, key);

	if (cap)
		out[0] = '\0';
	return v && v->type == TA_J_STR ? v : NULL;
}

long ta_jobj_str(const struct ta_jobj *o, const char *key, char *out, size_t cap)
{
	const struct ta_jval *v = str_member(o, key, out, cap);

	return v ? ta_jval_str(v, out, cap) : -ENOENT;
}

long ta_jobj_cstr(const struct ta_jobj *o, const char *key, char *out, size_t cap)
{
	const struct ta_jval *v = str_member(o, key, out, cap);

	return v ? ta_jval_cstr(v, out, cap) : -ENOENT;
}

int ta_jobj_u64(const struct ta_jobj *o, const char *key, uint64_t *out)
{
	const struct ta_jval *v = ta_jobj_get(o, key);

	if (!v || v->type == TA_J_NULL)
		return -ENOENT;
	return ta_jval_u64(v, out);
}

int ta_jarr_begin(const struct ta_jval *v, struct ta_jarr_iter *it)
{
	if (!v || v->type != TA_J_ARR || v->n < 2)
		return -EINVAL;
	it->p = v->p + 1;
	it->end = v->p + v->n - 1;
	it->first = 1;
	return 0;
}

int ta_jarr_next(struct ta_jarr_iter *it, struct ta_jval *elem)
{
	struct cur c = { it->p, it->end };

	ws(&c);
	if (c.p >= c.end)
		return 0;
	if (!it->first) {
		if (*c.p != ',')
			return -EBADMSG;
		c.p++;
	}
	if (value(&c, elem, 1))
		return -EBADMSG;
	it->first = 0;
	it->p = c.p;
	return 1;
}

static int digits(const char **p, const char *end, int n, int *out)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (*p >= end || **p < '0' || **p > '9')
			return -EINVAL;
		x = x * 10 + (**p - '0');
		(*p)++;
	}
	*out = x;
	return 0;
}

int ta_parse_rfc3339(const char *s, uint64_t *ns_out)
{
	const char *p = s, *end = s + strlen(s);
	int Y, M, D, h, m, sec;
	uint64_t frac = 0;
	int fdig = 0;
	long off = 0;
	struct tm tm = { 0 };

	if (digits(&p, end, 4, &Y) || p >= end || *p++ != '-' || digits(&p, end, 2, &M) ||
	    p >= end || *p++ != '-' || digits(&p, end, 2, &D) || p >= end ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		return -EINVAL;
	p++;
	if (digits(&p, end, 2, &h) || p >= end || *p++ != ':' || digits(&p, end, 2, &m) ||
	    p >= end || *p++ != ':' || digits(&p, end, 2, &sec))
		return -EINVAL;
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p >= '0' && *p <= '9') {
			if (fdig < 9) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				fdig++;
			}
			p++;
		}
	}
	while (fdig < 9) {
		frac *= 10;
		fdig++;
	}
	if (p < end && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int oh, om, neg = *p == '-';
		p++;
		if (digits(&p, end, 2, &oh) || p >= end || *p++ != ':' || digits(&p, end, 2, &om))
			return -EINVAL;
		off = (oh * 3600L + om * 60L) * (neg ? -1 : 1);
	} else {
		return -EINVAL;
	}
	if (p != end || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || t - off < 0)
		return -EINVAL;
	/* Past 2554 nanoseconds wrap: a far year read as another time (of others' logs). */
	if ((uint64_t)(t - off) > (UINT64_MAX - frac) / 1000000000ull)
		return -ERANGE;
	*ns_out = (uint64_t)(t - off) * 1000000000ull + frac;
	return 0;
}

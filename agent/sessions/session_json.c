// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON payloads for session start/update/end, failed logins and plugin
 * drops (keys documented in docs/sessions.md). Output is always valid JSON:
 * strings are escaped, bytes that are not UTF-8 become U+FFFD, auditd's
 * "unset" values become null.
 */
#include "common/json.h"
#include "sessions/session_table.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct jbuf {
	char *p;
	size_t cap, len;
	bool overflow;
	bool first; /* no comma before the next key */
};

static void put(struct jbuf *b, const char *s, size_t n)
{
	if (b->overflow || b->len + n >= b->cap) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct jbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void putf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->overflow = true;
		return;
	}
	put(b, tmp, (size_t)n);
}


static void put_jstring(struct jbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l;

		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(b, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			putf(b, "\\u%04x", c);
			i++;
		} else if ((l = ta_utf8_len(s + i, n - i)) == 0) {
			puts_(b, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
		} else {
			put(b, str + i, l);
			i += l;
		}
	}
	put(b, "\"", 1);
}

static void key(struct jbuf *b, const char *k)
{
	if (!b->first)
		put(b, ",", 1);
	b->first = false;
	put_jstring(b, k);
	put(b, ":", 1);
}

static void kv_str(struct jbuf *b, const char *k, const char *v)
{
	key(b, k);
	if (!v || !v[0] || strcmp(v, "?") == 0 || strcmp(v, "(none)") == 0)
		puts_(b, "null");
	else
		put_jstring(b, v);
}

static void kv_u32(struct jbuf *b, const char *k, uint32_t v)
{
	key(b, k);
	if (v == TA_LOGIN_UNSET)
		puts_(b, "null");
	else
		putf(b, "%" PRIu32, v);
}

static void kv_u64(struct jbuf *b, const char *k, uint64_t v)
{
	key(b, k);
	putf(b, "%" PRIu64, v);
}

static void kv_bool(struct jbuf *b, const char *k, bool v)
{
	key(b, k);
	puts_(b, v ? "true" : "false");
}

/* RFC 3339 UTC with milliseconds, or null for "unknown" (0). */
static void kv_time(struct jbuf *b, const char *k, int64_t sec, uint32_t msec)
{
	struct tm tm;
	time_t t = (time_t)sec;

	key(b, k);
	if (sec <= 0 || !gmtime_r(&t, &tm)) {
		puts_(b, "null");
		return;
	}
	putf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"", tm.tm_year + 1900,
	     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	     msec > 999 ? 999 : msec);
}

static const char *result_name(uint16_t r)
{
	switch (r) {
	case TA_LOGIN_RES_SUCCESS:
		return "success";
	case TA_LOGIN_RES_FAILED:
		return "failed";
	default:
		return NULL;
	}
}

static int finish(struct jbuf *b)
{
	put(b, "}", 1);
	if (b->overflow) {
		if (b->cap)
			b->p[0] = '\0';
		return -ENOSPC;
	}
	return (int)b->len;
}

static void begin(struct jbuf *b, char *buf, size_t cap, const char *type)
{
	b->p = buf;
	b->cap = cap;
	b->len = 0;
	b->overflow = cap == 0;
	b->first = true;
	if (cap)
		buf[0] = '\0';
	put(b, "{", 1);
	kv_str(b, "type", type);
}

int ta_session_json(const struct ta_session *s, enum ta_session_json_kind kind,
		    char *buf, size_t cap)
{
	struct jbuf b;
	const char *type = kind == TA_SESSION_JSON_START ? "session_start" :
			   kind == TA_SESSION_JSON_UPDATE ? "session_update" :
			   kind == TA_SESSION_JSON_END ? "session_end" : NULL;

	if (!type)
		return -EINVAL;
	begin(&b, buf, cap, type);
	kv_str(&b, "boot_id", s->boot_id);
	kv_u32(&b, "ses", s->ses);
	kv_u32(&b, "auid", s->auid);
	kv_str(&b, "user", s->user);
	kv_str(&b, "login_program", s->login_program);
	kv_str(&b, "exe", s->exe);
	kv_bool(&b, "login_verified", ta_login_service(s->login_program));
	kv_u32(&b, "login_pid", s->login_pid ? s->login_pid : TA_LOGIN_UNSET);
	kv_str(&b, "host", s->host);
	kv_str(&b, "addr", s->addr);
	kv_str(&b, "terminal", s->terminal);
	kv_str(&b, "result", result_name(s->result));
	kv_str(&b, "state", s->state == TA_SESSION_CLOSED ? "closed" : "open");
	kv_bool(&b, "backfilled", s->backfilled);
	kv_bool(&b, "observed", s->observed);
	kv_time(&b, "start_time", s->start_sec, s->start_msec);
	key(&b, "start_serial");
	if (s->start_serial)
		putf(&b, "%" PRIu64, s->start_serial);
	else
		puts_(&b, "null");
	if (kind == TA_SESSION_JSON_END) {
		kv_time(&b, "end_time", s->end_sec, s->end_msec);
		key(&b, "end_serial");
		if (s->end_serial)
			putf(&b, "%" PRIu64, s->end_serial);
		else
			puts_(&b, "null");
		key(&b, "duration_ms");
		/* Times are claims from records: no overflow on absurd ones. */
		if (s->start_sec > 0 && s->end_sec >= s->start_sec &&
		    s->end_sec - s->start_sec < INT64_MAX / 1000 - 1) {
			int64_t ms = (s->end_sec - s->start_sec) * 1000 +
				     ((int64_t)s->end_msec - (int64_t)s->start_msec);
			putf(&b, "%" PRId64, ms < 0 ? 0 : ms);
		} else {
			puts_(&b, "null");
		}
	}
	kv_u32(&b, "nested_opens", s->nested_opens);
	key(&b, "ttys");
	put(&b, "[", 1);
	for (uint32_t i = 0; i < s->n_ttys && i < TA_SESSION_MAX_TTYS; i++) {
		if (i)
			put(&b, ",", 1);
		put_jstring(&b, s->ttys[i]);
	}
	put(&b, "]", 1);
	kv_u32(&b, "ttys_dropped", s->ttys_dropped);
	return finish(&b);
}

int ta_login_failed_json(const struct ta_login_event *ev, const char *boot_id,
			 char *buf, size_t cap)
{
	struct jbuf b;
	const char *tn = ta_login_record_type_name(ev->record_type);
	char unknown[32];

	if (!tn) {
		snprintf(unknown, sizeof(unknown), "UNKNOWN[%" PRIu32 "]", ev->record_type);
		tn = unknown;
	}
	begin(&b, buf, cap, "login_failed");
	kv_str(&b, "boot_id", boot_id);
	kv_str(&b, "record_type", tn);
	kv_time(&b, "time", ev->time_sec, ev->time_msec);
	kv_u64(&b, "serial", ev->serial);
	kv_str(&b, "op", ev->op);
	kv_str(&b, "acct", ev->acct);
	kv_u32(&b, "id", ev->id);
	kv_u32(&b, "pid", ev->pid);
	kv_u32(&b, "uid", ev->uid);
	kv_u32(&b, "auid", ev->auid);
	kv_u32(&b, "ses", ev->ses);
	kv_str(&b, "exe", ev->exe);
	kv_str(&b, "host", ev->hostname);
	kv_str(&b, "addr", ev->addr);
	kv_str(&b, "terminal", ev->terminal);
	kv_str(&b, "result", result_name(ev->result));
	return finish(&b);
}

int ta_login_dropped_json(const struct ta_login_event *ev, const char *boot_id,
			  char *buf, size_t cap)
{
	struct jbuf b;

	begin(&b, buf, cap, "login_records_dropped");
	kv_str(&b, "boot_id", boot_id);
	kv_u64(&b, "dropped", ev->dropped);
	kv_u64(&b, "dropped_total", ev->dropped_total);
	kv_time(&b, "first_drop_time", ev->first_drop_sec, 0);
	kv_time(&b, "last_drop_time", ev->last_drop_sec, 0);
	return finish(&b);
}

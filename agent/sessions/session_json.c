// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON payloads for session start/update/end, failed logins and plugin
 * drops (keys documented in docs/sessions.md), written with the one JSON
 * writer (common/json.h: its UTF-8 policy); auditd's "unset" values become
 * null.
 */
#include "base/clock.h"
#include "base/json.h"
#include "logfmt/record_types.h"
#include "sessions/session_table.h"
#include "ttyaudit/log_records.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* auditd's "unset" strings are null. */
static void kv_str(struct ta_json *j, const char *k, const char *v)
{
	ta_json_key(j, k);
	if (!v || !v[0] || strcmp(v, "?") == 0 || strcmp(v, "(none)") == 0)
		ta_json_null(j);
	else
		ta_json_str(j, v);
}

static void kv_u32(struct ta_json *j, const char *k, uint32_t v)
{
	ta_json_key(j, k);
	if (v == TA_LOGIN_UNSET)
		ta_json_null(j);
	else
		ta_json_u64(j, v);
}

static void kv_u64(struct ta_json *j, const char *k, uint64_t v)
{
	ta_json_key(j, k);
	ta_json_u64(j, v);
}

/* 0: null (an absent serial). */
static void kv_serial(struct ta_json *j, const char *k, uint64_t v)
{
	ta_json_key(j, k);
	if (v)
		ta_json_u64(j, v);
	else
		ta_json_null(j);
}

static void kv_bool(struct ta_json *j, const char *k, bool v)
{
	ta_json_key(j, k);
	ta_json_bool(j, v);
}

/* RFC 3339 UTC with milliseconds, or null for "unknown" (0). */
static void kv_time(struct ta_json *j, const char *k, int64_t sec, uint32_t msec)
{
	char b[TA_RFC3339_MAX];

	ta_json_key(j, k);
	if (sec <= 0 || (uint64_t)sec > UINT64_MAX / 1000000000ull - 1) {
		ta_json_null(j);
		return;
	}
	ta_rfc3339(b, (uint64_t)sec * 1000000000ull + (uint64_t)(msec > 999 ? 999 : msec) * 1000000ull, 3);
	ta_json_str(j, b);
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

/* The whole object, "type" first, into buf: what the wrappers below return. */
static int to_buf(struct ta_json *j, char *buf, size_t cap)
{
	int n = -ENOSPC;

	if (!j->oom && j->len < cap && j->len <= INT32_MAX) {
		memcpy(buf, j->buf, j->len);
		buf[j->len] = '\0';
		n = (int)j->len;
	} else if (cap) {
		buf[0] = '\0';
	}
	ta_json_free(j);
	return n;
}

static void begin(struct ta_json *j, const char *type)
{
	ta_json_init(j);
	ta_json_obj_begin(j);
	ta_json_key(j, "type");
	ta_json_str(j, type);
}

/* The record's name from the one record-type table (logfmt/record_types). */
static const char *session_type(enum ta_session_json_kind kind)
{
	return kind == TA_SESSION_JSON_START ? ta_rec_type_name(TA_REC_SESSION_START) :
	       kind == TA_SESSION_JSON_UPDATE ? ta_rec_type_name(TA_REC_SESSION_UPDATE) :
	       kind == TA_SESSION_JSON_END ? ta_rec_type_name(TA_REC_SESSION_END) : NULL;
}

int ta_session_json_members(struct ta_json *j, const struct ta_login_session *s,
			    enum ta_session_json_kind kind)
{
	if (!session_type(kind))
		return -EINVAL;
	kv_str(j, "boot_id", s->boot_id);
	kv_u32(j, "ses", s->ses);
	kv_u32(j, "auid", s->auid);
	kv_str(j, "user", s->user);
	kv_str(j, "login_program", s->login_program);
	kv_str(j, "exe", s->exe);
	kv_bool(j, "login_verified", ta_login_service(s->login_program));
	kv_u32(j, "login_pid", s->login_pid ? s->login_pid : TA_LOGIN_UNSET);
	kv_str(j, "host", s->host);
	kv_str(j, "addr", s->addr);
	kv_str(j, "terminal", s->terminal);
	kv_str(j, "result", result_name(s->result));
	kv_str(j, "state", s->state == TA_SESSION_CLOSED ? "closed" : "open");
	kv_bool(j, "backfilled", s->backfilled);
	kv_bool(j, "observed", s->observed);
	kv_time(j, "start_time", s->start_sec, s->start_msec);
	kv_serial(j, "start_serial", s->start_serial);
	if (kind == TA_SESSION_JSON_END) {
		kv_time(j, "end_time", s->end_sec, s->end_msec);
		kv_serial(j, "end_serial", s->end_serial);
		ta_json_key(j, "duration_ms");
		/* Times are claims from records: no overflow on absurd ones. */
		if (s->start_sec > 0 && s->end_sec >= s->start_sec &&
		    s->end_sec - s->start_sec < INT64_MAX / 1000 - 1) {
			int64_t ms = (s->end_sec - s->start_sec) * 1000 +
				     ((int64_t)s->end_msec - (int64_t)s->start_msec);
			ta_json_i64(j, ms < 0 ? 0 : ms);
		} else {
			ta_json_null(j);
		}
	}
	kv_u32(j, "nested_opens", s->nested_opens);
	ta_json_key(j, "ttys");
	ta_json_arr_begin(j);
	for (uint32_t i = 0; i < s->n_ttys && i < TA_SESSION_MAX_TTYS; i++)
		ta_json_str(j, s->ttys[i]);
	ta_json_arr_end(j);
	kv_u32(j, "ttys_dropped", s->ttys_dropped);
	return 0;
}

int ta_session_json(const struct ta_login_session *s, enum ta_session_json_kind kind,
		    char *buf, size_t cap)
{
	struct ta_json j;
	const char *type = session_type(kind);

	if (!type)
		return -EINVAL;
	begin(&j, type);
	ta_session_json_members(&j, s, kind);
	ta_json_obj_end(&j);
	return to_buf(&j, buf, cap);
}

void ta_login_failed_json_members(struct ta_json *j, const struct ta_login_event *ev,
				  const char *boot_id)
{
	const char *tn = ta_login_record_type_name(ev->record_type);
	char unknown[32];

	if (!tn) {
		snprintf(unknown, sizeof(unknown), "UNKNOWN[%" PRIu32 "]", ev->record_type);
		tn = unknown;
	}
	kv_str(j, "boot_id", boot_id);
	kv_str(j, "record_type", tn);
	kv_time(j, "time", ev->time_sec, ev->time_msec);
	kv_u64(j, "serial", ev->serial);
	kv_str(j, "op", ev->op);
	kv_str(j, "acct", ev->acct);
	kv_u32(j, "id", ev->id);
	kv_u32(j, "pid", ev->pid);
	kv_u32(j, "uid", ev->uid);
	kv_u32(j, "auid", ev->auid);
	kv_u32(j, "ses", ev->ses);
	kv_str(j, "exe", ev->exe);
	kv_str(j, "host", ev->hostname);
	kv_str(j, "addr", ev->addr);
	kv_str(j, "terminal", ev->terminal);
	kv_str(j, "result", result_name(ev->result));
}

int ta_login_failed_json(const struct ta_login_event *ev, const char *boot_id,
			 char *buf, size_t cap)
{
	struct ta_json j;

	begin(&j, ta_rec_type_name(TA_REC_LOGIN_FAILED));
	ta_login_failed_json_members(&j, ev, boot_id);
	ta_json_obj_end(&j);
	return to_buf(&j, buf, cap);
}

void ta_login_dropped_json_members(struct ta_json *j, const struct ta_login_event *ev,
				   const char *boot_id)
{
	kv_str(j, "boot_id", boot_id);
	kv_u64(j, "dropped", ev->dropped);
	kv_u64(j, "dropped_total", ev->dropped_total);
	kv_time(j, "first_drop_time", ev->first_drop_sec, 0);
	kv_time(j, "last_drop_time", ev->last_drop_sec, 0);
}

int ta_login_dropped_json(const struct ta_login_event *ev, const char *boot_id,
			  char *buf, size_t cap)
{
	struct ta_json j;

	begin(&j, "login_records_dropped");
	ta_login_dropped_json_members(&j, ev, boot_id);
	ta_json_obj_end(&j);
	return to_buf(&j, buf, cap);
}

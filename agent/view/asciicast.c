// SPDX-License-Identifier: GPL-2.0-or-later
/* asciicast v2 writer and reader (asciicast.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/json_read.h"
#include "view/asciicast.h"
#include "view/neutralise.h"
#include "view/shown.h"

static void emit_line(struct ta_cast_writer *w)
{
	ta_buf_putc(&w->line, '\n');
	fwrite(w->line.p, 1, w->line.len, w->f);
	ta_buf_reset(&w->line);
	w->events++;
}

static double clamp_t(struct ta_cast_writer *w, double t)
{
	if (t < w->last_t)
		t = w->last_t;
	w->last_t = t;
	return t;
}

int ta_cast_begin(struct ta_cast_writer *w, FILE *f, unsigned width, unsigned height,
		  uint64_t timestamp_s, const char *title, const char *term)
{
	int fitted;

	memset(w, 0, sizeof(*w));
	w->f = f;
	ta_buf_init(&w->line);
	if (!width || !height) {
		width = 80;
		height = 24;
	}
	fitted = ta_screen_fit(&height, &width);
	ta_buf_printf(&w->line, "{\"version\": 2, \"width\": %u, \"height\": %u, \"timestamp\": %llu",
		      width, height, (unsigned long long)timestamp_s);
	if (title) {
		ta_buf_puts(&w->line, ", \"title\": ");
		ta_json_text(&w->line, (const uint8_t *)title, strlen(title));
	}
	if (term) {
		ta_buf_puts(&w->line, ", \"env\": {\"TERM\": ");
		ta_json_text(&w->line, (const uint8_t *)term, strlen(term));
		ta_buf_puts(&w->line, "}");
	}
	ta_buf_puts(&w->line, "}");
	ta_buf_putc(&w->line, '\n');
	fwrite(w->line.p, 1, w->line.len, f);
	ta_buf_reset(&w->line);
	return fitted;
}

static void event(struct ta_cast_writer *w, double t, char kind, const uint8_t *d, size_t n)
{
	ta_buf_printf(&w->line, "[%.6f, \"%c\", ", clamp_t(w, t), kind);
	w->replaced += ta_json_text(&w->line, d, n);
	ta_buf_putc(&w->line, ']');
	emit_line(w);
}

void ta_cast_data(struct ta_cast_writer *w, double t, char kind, const void *data, size_t len)
{
	int k = kind == 'i';
	const uint8_t *p = data;
	uint8_t *buf = NULL;
	size_t n = len;

	if (w->npend[k]) {
		buf = malloc(len + 4);
		if (!buf)
			return;
		memcpy(buf, w->pend[k], w->npend[k]);
		memcpy(buf + w->npend[k], data, len);
		n = len + w->npend[k];
		p = buf;
		w->npend[k] = 0;
	}
	/* Keep an incomplete character at the end for the next event. */
	size_t cut = n;
	for (size_t back = 1; back <= 3 && back <= n; back++) {
		uint8_t c = p[n - back];
		if ((c & 0xc0) == 0x80)
			continue;
		if (c >= 0xc0) {
			uint32_t cp;
			if (ta_utf8_decode(p + n - back, back, &cp) < 0)
				cut = n - back;
		}
		break;
	}
	if (cut < n) {
		memcpy(w->pend[k], p + cut, n - cut);
		w->npend[k] = (uint8_t)(n - cut);
		w->pend_t[k] = t;
	}
	if (cut)
		event(w, t, kind, p, cut);
	free(buf);
}

int ta_cast_resize(struct ta_cast_writer *w, double t, unsigned cols, unsigned rows)
{
	int fitted = ta_screen_fit(&rows, &cols);

	ta_buf_printf(&w->line, "[%.6f, \"r\", \"%ux%u\"]", clamp_t(w, t), cols, rows);
	emit_line(w);
	return fitted;
}

void ta_cast_marker(struct ta_cast_writer *w, double t, const char *label)
{
	ta_buf_printf(&w->line, "[%.6f, \"m\", ", clamp_t(w, t));
	ta_json_text(&w->line, (const uint8_t *)label, strlen(label));
	ta_buf_putc(&w->line, ']');
	emit_line(w);
}

int ta_cast_end(struct ta_cast_writer *w)
{
	for (int k = 0; k < 2; k++)
		if (w->npend[k]) {
			event(w, w->pend_t[k], k ? 'i' : 'o', w->pend[k], w->npend[k]);
			w->npend[k] = 0;
		}
	ta_buf_free(&w->line);
	return fflush(w->f) || ferror(w->f) ? -EIO : 0;
}

int ta_cast_parse_header(const char *line, size_t len, struct ta_cast_header *h)
{
	struct ta_jobj o;
	uint64_t v;

	memset(h, 0, sizeof(*h));
	if (ta_jobj_parse(&o, line, len))
		return -EBADMSG;
	if (ta_jobj_u64(&o, "version", &v) || v != 2)
		return -EBADMSG;
	h->version = 2;
	if (ta_jobj_u64(&o, "width", &v) || !v || v > TA_SCREEN_MAX_SIDE)
		return -EBADMSG;
	h->width = (unsigned)v;
	if (ta_jobj_u64(&o, "height", &v) || !v || v > TA_SCREEN_MAX_SIDE)
		return -EBADMSG;
	h->height = (unsigned)v;
	if (!ta_jobj_u64(&o, "timestamp", &v))
		h->timestamp = v;
	return 0;
}

int ta_cast_parse_event(const char *line, size_t len, struct ta_cast_event *ev)
{
	struct ta_jval arr = { TA_J_ARR, line, len }, el;
	struct ta_jarr_iter it;
	char num[64];

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	arr.n = len;
	ta_buf_reset(&ev->data);
	if (len < 2 || line[0] != '[' || line[len - 1] != ']' || ta_jarr_begin(&arr, &it))
		return -EBADMSG;
	if (ta_jarr_next(&it, &el) != 1 || el.type != TA_J_NUM || el.n >= sizeof(num))
		return -EBADMSG;
	memcpy(num, el.p, el.n);
	num[el.n] = '\0';
	char *end;
	ev->t = strtod(num, &end);
	/* 1e999 is a JSON number but no time: strtod gives infinity. */
	if (*end || ev->t < 0 || !isfinite(ev->t))
		return -EBADMSG;
	/* The code whole: "o\u0000x" is no output event. */
	if (ta_jarr_next(&it, &el) != 1 || ta_jval_cstr(&el, ev->code, sizeof(ev->code)) <= 0)
		return -EBADMSG;
	if (ta_jarr_next(&it, &el) != 1 || el.type != TA_J_STR)
		return -EBADMSG;
	if (ta_buf_reserve(&ev->data, el.n + 1))
		return -ENOMEM;
	long n = ta_jval_str(&el, (char *)ev->data.p, el.n + 1);
	if (n < 0)
		return -EBADMSG;
	ev->data.len = (size_t)n;
	if (ta_jarr_next(&it, &el) != 0)
		return -EBADMSG;
	return 0;
}

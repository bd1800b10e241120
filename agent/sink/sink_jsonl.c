// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON Lines sink: one object per line, written through a large buffer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/trusted_path.h"
#include "base/fs.h"
#include "base/json.h"
#include "sink/sink.h"

#define JSONL_BUFFER (1u << 20)

struct jsonl_sink {
	struct ta_sink base;
	int fd;
	int own_fd;
	struct ta_json line;
	char *out;
	size_t out_len;
};

static int jsonl_flush(struct ta_sink *base)
{
	struct jsonl_sink *s = (struct jsonl_sink *)base;
	int err = ta_write_all(s->fd, s->out, s->out_len);

	/* A failed write keeps the buffer: the caller counts it and retries. */
	if (!err)
		s->out_len = 0;
	return err;
}

static int append_line(struct jsonl_sink *s)
{
	int err;

	if (s->line.oom)
		return -ENOMEM;
	if (s->out_len + s->line.len + 1 > JSONL_BUFFER) {
		err = jsonl_flush(&s->base);
		if (err)
			return err;
	}
	if (s->line.len + 1 > JSONL_BUFFER) {
		err = ta_write_all(s->fd, s->line.buf, s->line.len);
		return err ? err : ta_write_all(s->fd, "\n", 1);
	}
	memcpy(s->out + s->out_len, s->line.buf, s->line.len);
	s->out_len += s->line.len;
	s->out[s->out_len++] = '\n';
	return 0;
}

static int jsonl_event(struct ta_sink *base, const struct ta_event *ev, uint64_t realtime_ns)
{
	struct jsonl_sink *s = (struct jsonl_sink *)base;

	ta_json_reset(&s->line);
	ta_event_to_json(&s->line, ev, realtime_ns);
	return append_line(s);
}

static int jsonl_record(struct ta_sink *base, const struct ta_record *rec)
{
	struct jsonl_sink *s = (struct jsonl_sink *)base;
	const char *obj = rec->json;
	size_t len = rec->len;

	/* {"v":1,"type":T,"time":..., <fields of obj>} */
	ta_json_reset(&s->line);
	ta_json_obj_begin(&s->line);
	ta_json_key(&s->line, "v");
	ta_json_u64(&s->line, 1);
	ta_json_key(&s->line, "type");
	ta_json_str(&s->line, ta_record_name(rec));
	ta_json_key(&s->line, "time");
	ta_json_time(&s->line, rec->realtime_ns);
	/* Splice in the object's members after our own. */
	if (len > 2 && obj[0] == '{' && obj[len - 1] == '}')
		ta_json_raw(&s->line, obj + 1, len - 2);
	ta_json_obj_end(&s->line);
	return append_line(s);
}

static void jsonl_close(struct ta_sink *base)
{
	struct jsonl_sink *s = (struct jsonl_sink *)base;

	jsonl_flush(base);
	if (s->own_fd) {
		fsync(s->fd);
		close(s->fd);
	}
	ta_json_free(&s->line);
	free(s->out);
	free(s);
}

static const struct ta_sink_ops jsonl_ops = {
	.event = jsonl_event,
	.record = jsonl_record,
	.flush = jsonl_flush,
	.close = jsonl_close,
};

/* A JSON Lines sink writing to fd, which it closes at the end if own. */
static int jsonl_on_fd(struct ta_sink **out, int fd, int own)
{
	struct jsonl_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->out = malloc(JSONL_BUFFER);
	if (!s->out) {
		free(s);
		return -ENOMEM;
	}
	s->fd = fd;
	s->own_fd = own;
	ta_json_init(&s->line);
	s->base.ops = &jsonl_ops;
	*out = &s->base;
	return 0;
}

int ta_sink_jsonl_open(struct ta_sink **out, const char *path, char *why, size_t why_len)
{
	int fd, rc;

	if (!strcmp(path, "-"))
		return jsonl_on_fd(out, STDOUT_FILENO, 0);
	fd = ta_open_trusted_append(path, why, why_len);
	if (fd < 0)
		return fd;
	rc = jsonl_on_fd(out, fd, 1);
	if (rc)
		close(fd);
	return rc;
}

int ta_sink_jsonl_open_fd(struct ta_sink **out, int fd)
{
	return jsonl_on_fd(out, fd, 1);
}

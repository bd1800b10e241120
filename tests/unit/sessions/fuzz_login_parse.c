// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the plugin's input path: arbitrary bytes as auditd's
 * event stream -> parser -> events -> wire round trip -> session table.
 * Also decodes the input as wire messages. Aborts on any insane event.
 *
 * Built with -fsanitize=fuzzer when the compiler has it (clang):
 *   fuzz_login_parse CORPUS_DIR
 * and always as a standalone replayer (TA_FUZZ_STANDALONE) that runs the
 * given files through the same function, so the harness itself is tested.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_util.h"
#include "sessions/session_table.h"

struct fuzz_ctx {
	struct ta_session_table *table;
	size_t events;
};

static void on_event(const struct ta_login_event *ev, void *arg)
{
	struct fuzz_ctx *c = arg;
	unsigned char buf[TA_LOGIN_WIRE_MAX];
	struct ta_login_event back;
	struct ta_login_session *s;
	char json[8192];
	int n;

	if (!event_sane(ev))
		abort();
	n = ta_login_wire_encode(ev, 1, buf, sizeof(buf));
	if (n <= 0 || ta_login_wire_decode(buf, (size_t)n, &back) != n)
		abort();
	if (strcmp(back.acct, ev->acct) || strcmp(back.terminal, ev->terminal) ||
	    back.ses != ev->ses || back.serial != ev->serial)
		abort();
	n = ta_session_apply(c->table, ev, &s);
	if (n < 0 && n != -ENOSPC)
		abort();
	if (s && ta_session_json(s, TA_SESSION_JSON_END, json, sizeof(json)) < 0)
		abort();
	if (n == TA_SESSION_LOGIN_FAILED &&
	    ta_login_failed_json(ev, "boot", json, sizeof(json)) < 0)
		abort();
	c->events++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_ctx c = { 0 };
	struct ta_login_parser *p;
	struct ta_login_event ev;
	size_t chunk;

	if (ta_session_table_new("00000000-0000-0000-0000-000000000000", 64, &c.table) < 0)
		return 0;
	if (ta_login_parser_new(on_event, &c, &p) < 0) {
		ta_session_table_free(c.table);
		return 0;
	}
	/* The first byte picks how the stream is cut into reads. */
	chunk = size ? (size_t)data[0] % 64 + 1 : 1;
	if (size && data[0] >= 192)
		chunk = size;
	for (size_t off = 0; off < size; off += chunk)
		ta_login_parser_feed(p, (const char *)data + off,
				     size - off < chunk ? size - off : chunk);
	ta_login_parser_flush(p);
	ta_login_parser_free(p);
	ta_session_table_free(c.table);

	/* The same bytes as wire messages (the daemon's input). */
	for (size_t off = 0; off < size;) {
		int n = ta_login_wire_decode(data + off, size - off, &ev);

		if (n <= 0)
			break;
		if (ev.msg_type == TA_LOGIN_MSG_RECORD &&
		    (!memchr(ev.acct, 0, sizeof(ev.acct)) || !memchr(ev.exe, 0, sizeof(ev.exe))))
			abort();
		off += (size_t)n;
	}
	return 0;
}

#ifdef TA_FUZZ_STANDALONE
int main(int argc, char **argv)
{
	int files = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char *buf;
		long n;

		if (!f) {
			fprintf(stderr, "cannot open %s\n", argv[i]);
			return 1;
		}
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc((size_t)n + 1);
		if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
			return 1;
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)n);
		free(buf);
		files++;
	}
	fprintf(stderr, "%d inputs replayed through the fuzz target\n", files);
	return files > 0 ? 0 : 1;
}
#endif

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * make_log: writes a small log with the store API for the CLI tests, as the
 * daemon would (agent_start, session records, terminal batches, exec, loss),
 * in three segments. Session 7 (auid 4242, "alice" from 10.1.2.3 via sshd)
 * types "echo hi\r", sees hostile escape sequences, types a password
 * (redacted, 9 bytes), runs a command and resizes; session 8 (auid 1000) has
 * no login records; session 9 (auid 4242) is in the last segment only.
 *
 *   make_log DIR
 *
 * Prints the expected streams of session 7 as JSON on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt/tty_batch.h"
#include "store/store.h"
#include "ttyaudit/log_records.h"

#define BOOT32 0x5e1c0a42u
#define T0 1767268800000000000ull /* 2026-01-01T12:00:00Z */

static struct ta_store *st;

static void die(const char *what, int err)
{
	fprintf(stderr, "make_log: %s: %d %s\n", what, err, st ? ta_store_message(st) : ta_store_open_error());
	exit(1);
}

static void json(uint16_t type, uint64_t t, uint32_t ses, const char *obj)
{
	int err = ta_store_append(st, type, t, ta_session_key(BOOT32, ses), obj, strlen(obj), NULL);
	if (err)
		die("append json", err);
}

static void tty_id(struct ta_tty_id *id, unsigned minor)
{
	memset(id, 0, sizeof(*id));
	id->major = 136;
	id->minor = minor;
	id->index = (int)minor;
	snprintf(id->name, sizeof(id->name), "pts%u", minor);
}

static void entry(struct ta_batch_builder *b, uint8_t kind, uint64_t t, const void *d, size_t n,
		  uint16_t flags, uint32_t orig)
{
	struct ta_tty_entry e = { .kind = kind, .source = 1, .flags = flags, .len = (uint32_t)n,
				  .orig_len = orig ? orig : (uint32_t)n, .pid = 4321, .uid = 4242 };
	snprintf(e.comm, sizeof(e.comm), "bash");
	if (ta_batch_add(b, &e, t, d))
		die("batch add", -1);
}

static void flush(struct ta_batch_builder *b, uint32_t ses)
{
	size_t len;
	const void *p = ta_batch_payload(b, &len);
	int err = ta_store_append(st, TA_REC_TTY_DATA, b->hdr.start_ns, ta_session_key(BOOT32, ses),
				  p, len, NULL);
	if (err)
		die("append batch", err);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_log DIR\n");
		return 2;
	}
	struct ta_store_opts o = { .dir = argv[1], .no_append_only = 1, .origin = "test/ttyaudit" };
	int err = ta_store_open(&st, &o);
	if (err)
		die("open", err);
	json(TA_REC_AGENT_START, T0, UINT32_MAX,
	     "{\"type\":\"agent_start\",\"version\":\"0.1.0\",\"backend\":\"tracepoint\",\"pid\":1}");
	json(TA_REC_SESSION_START, T0 + 1000000, 7,
	     "{\"type\":\"session_start\",\"boot_id\":\"5e1c0a42-0000-4000-8000-000000000000\","
	     "\"ses\":7,\"auid\":4242,\"user\":\"alice\",\"login_program\":\"sshd\",\"exe\":\"/usr/sbin/sshd\","
	     "\"host\":\"client.example\",\"addr\":\"10.1.2.3\",\"terminal\":\"ssh\",\"result\":\"success\","
	     "\"start_time\":\"2026-01-01T12:00:00.001Z\"}");

	struct ta_batch_builder b;
	struct ta_tty_id id;
	ta_batch_init(&b);
	tty_id(&id, 3);
	uint64_t t = T0 + 2000000;
	ta_batch_begin(&b, &id, 7, 4242, t);
	uint16_t ws[4] = { 24, 80, 0, 0 };
	entry(&b, TA_ENTRY_WINSIZE, t, ws, sizeof(ws), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 1000, "$ ", 2, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t + 500000000, "echo hi\r", 8, TA_F_ECHO, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 500100000, "echo hi\r\n", 9, 0, 0);
	flush(&b, 7);
	ta_store_rotate(st);

	/* Session 8 interleaves; no login records. */
	tty_id(&id, 4);
	ta_batch_begin(&b, &id, 8, 1000, t + 600000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 600000000, "other session\r\n", 15, 0, 0);
	flush(&b, 8);

	/* Hostile output: OSC title, OSC 52 clipboard, cursor up + erase, DCS, 8-bit CSI,
	 * UTF-8 C1, bidi override. Split across two entries mid-UTF-8. */
	static const char hostile1[] = "hi\r\n\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07"
				       "\x1b[1A\x1b[2K\x1bP+q544e\x1b\\\x9b" "31m\xc2\x9b" "0m\xe2\x80";
	static const char hostile2[] = "\xae" "txt.exe\r\n";
	tty_id(&id, 3);
	ta_batch_begin(&b, &id, 7, 4242, t + 700000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 700000000, hostile1, sizeof(hostile1) - 1, 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 700000100, hostile2, sizeof(hostile2) - 1, 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 800000000, "Password: ", 10, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t + 900000000, NULL, 0, TA_F_REDACTED | TA_F_ICANON, 9);
	entry(&b, TA_ENTRY_OUTPUT, t + 950000000, "\r\n", 2, 0, 0);
	flush(&b, 7);
	json(TA_REC_EXEC, t + 960000000, 7,
	     "{\"v\":1,\"type\":\"exec\",\"pid\":4400,\"uid\":0,\"auid\":4242,\"ses\":7,\"tty\":\"pts3\","
	     "\"filename\":\"/usr/bin/sudo\",\"argv\":[\"sudo\",\"cat\",\"/etc/shadow\"],\"argv_truncated\":false}");
	json(TA_REC_LOSS, t + 970000000, 7,
	     "{\"type\":\"gap\",\"reason\":\"ring_full\",\"ses\":7,\"auid\":4242,\"events\":3,\"bytes\":1234}");
	ta_store_rotate(st);

	ta_batch_begin(&b, &id, 7, 4242, t + 1000000000);
	uint16_t ws2[4] = { 40, 100, 0, 0 };
	entry(&b, TA_ENTRY_WINSIZE, t + 1000000000, ws2, sizeof(ws2), 0, 0);
	entry(&b, TA_ENTRY_OUTPUT, t + 1100000000, "bye \xe2\x9c\x93\r\n", 9, 0, 0);
	flush(&b, 7);
	json(TA_REC_SESSION_END, t + 1200000000, 7,
	     "{\"type\":\"session_end\",\"ses\":7,\"auid\":4242,\"user\":\"alice\",\"end_time\":\"2026-01-01T12:00:01.202Z\"}");
	tty_id(&id, 5);
	ta_batch_begin(&b, &id, 9, 4242, t + 2000000000);
	entry(&b, TA_ENTRY_OUTPUT, t + 2000000000, "third session\n", 14, 0, 0);
	entry(&b, TA_ENTRY_INPUT, t + 2100000000, "exit\n", 5, TA_F_ECHO, 0);
	flush(&b, 9);
	ta_batch_free(&b);
	err = ta_store_close(st);
	if (err)
		die("close", err);
	printf("{\"session\":\"5e1c0a42-7\"}\n");
	return 0;
}

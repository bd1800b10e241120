// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the daemon's configuration file parser
 * (config/config_file.h): the bytes as ttyauditd.conf; a bad one gets an
 * error with a message, never a crash.
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_config CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_file.h"

#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ta_daemon_opts o;
	static struct ta_store_opts st;
	char err[512] = "";
	/* An exact-size copy: a read past the text is ASan's to see. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	ta_daemon_opts_defaults(&o);
	memset(&st, 0, sizeof(st));
	int rc = ta_config_text_parse(&o, &st, "ttyauditd.conf", text, size, err, sizeof(err));
	if (rc && !err[0] && rc != -ENOMEM)
		abort(); /* every refusal says why */
	free(text);
	return 0;
}

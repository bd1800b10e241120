// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the alert rules parser (alerts.h): the bytes as a
 * rules file; a bad one gets an error with a message, never a crash.
 *
 * Built with -fsanitize=fuzzer where the compiler has it (clang):
 *   fuzz_alert_rules CORPUS_DIR
 * and always as a replayer (TA_FUZZ_STANDALONE) of the committed corpus.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ta_alert_rules *rs = NULL;
	char err[512] = "";
	/* An exact-size copy: a read past the text is ASan's to see. */
	char *text = malloc(size ? size : 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	int rc = ta_alert_rules_parse(&rs, "rules.conf", text, size, "/var/log/ttyaudit", err,
				      sizeof(err));
	if (rc && !err[0] && rc != -ENOMEM)
		abort(); /* every refusal says why */
	if (!rc) {
		ta_alert_rules_count(rs);
		ta_alert_rules_free(rs);
	}
	free(text);
	return 0;
}

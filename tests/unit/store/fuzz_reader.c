// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target (built only with clang -fsanitize=fuzzer): the first byte
 * chooses the parser, the rest is a segment file, or checkpoint/proof text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fuzz_common.h"

#define VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ta_verifier *key;
	static char base[64];
	if (!key) {
		ta_verifier_parse(VKEY, &key);
		snprintf(base, sizeof(base), "/tmp/ta-fuzz-XXXXXX");
		if (!mkdtemp(base))
			abort();
	}
	if (!size)
		return 0;
	if (data[0] & 1)
		fuzz_segment(base, data + 1, size - 1, key);
	else
		fuzz_text(data + 1, size - 1, key);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The one base64 codec (agent/base/base64.c): round trips, and every malformed input refused. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "base/base64.h"

int main(void)
{
	uint8_t all[256], back[256];
	char enc[TA_BASE64_LEN(256) + 1];

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= 256; len++) {
		size_t e = ta_base64_encode(all, len, enc);

		CHECK_EQ_INT(e, TA_BASE64_LEN(len));
		CHECK_EQ_INT(enc[e], '\0');
		CHECK_EQ_INT(ta_base64_decode(enc, e, back, sizeof(back), TA_BASE64_CANONICAL), (long)len);
		CHECK_MEM(back, all, len);
	}
	CHECK_EQ_INT(ta_base64_encode("", 0, enc), 0);
	CHECK_EQ_STR(enc, "");
	ta_base64_encode("ABC", 3, enc);
	CHECK_EQ_STR(enc, "QUJD");
	ta_base64_encode("A", 1, enc);
	CHECK_EQ_STR(enc, "QQ==");

	CHECK_EQ_INT(ta_base64_decode("", 0, back, sizeof(back), 0), 0);
	CHECK_EQ_INT(ta_base64_decode("abc", 3, back, sizeof(back), 0), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("ab=c", 4, back, sizeof(back), 0), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("a===", 4, back, sizeof(back), 0), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("a*cd", 4, back, sizeof(back), 0), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("ab!d", 4, back, sizeof(back), 0), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("ab==abcd", 8, back, sizeof(back), 0), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("ab\0d", 4, back, sizeof(back), 0), -EINVAL);
	/* Bits under the padding: ignored by default (as Go), refused when canonical. */
	CHECK_EQ_INT(ta_base64_decode("QR==", 4, back, sizeof(back), 0), 1);
	CHECK_EQ_INT(back[0], 'A');
	CHECK_EQ_INT(ta_base64_decode("QR==", 4, back, sizeof(back), TA_BASE64_CANONICAL), -EINVAL);
	CHECK_EQ_INT(ta_base64_decode("QUI=", 4, back, sizeof(back), TA_BASE64_CANONICAL), 2);
	CHECK_EQ_INT(ta_base64_decode("QUJ=", 4, back, sizeof(back), TA_BASE64_CANONICAL), -EINVAL);
	/* A bounded output. */
	CHECK_EQ_INT(ta_base64_decode("QUJD", 4, back, 2, 0), -ENOSPC);
	CHECK_EQ_INT(ta_base64_decode("QUJD", 4, back, 3, 0), 3);
	return check_result();
}

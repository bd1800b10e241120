// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CRC32C: the record checksum. The fast path (three lanes joined by the
 * shift operator) must give the table's result for every length and
 * alignment around its lane boundaries, and both the standard check value.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "store/crc32c.h"

int main(void)
{
	/* RFC 3720 B.4 / the catalogue's check value of CRC-32C. */
	CHECK_EQ_INT(ta_crc32c(0, "123456789", 9), 0xE3069283u);
	CHECK_EQ_INT(ta_crc32c_portable(0, "123456789", 9), 0xE3069283u);
	static uint8_t zeros[32];
	CHECK_EQ_INT(ta_crc32c(0, zeros, 32), 0x8A9136AAu); /* RFC 3720 B.4: 32 bytes of 0 */

	size_t cap = 70000;
	uint8_t *buf = malloc(cap + 16);
	CHECK(buf != NULL);
	if (!buf)
		return check_result();
	srand(7);
	for (size_t i = 0; i < cap + 16; i++)
		buf[i] = (uint8_t)rand();
	int bad = 0;
	/* Every length up to a few rounds of 3 lanes, at several alignments, from two seeds. */
	for (size_t len = 0; len < 5000; len++)
		for (size_t off = 0; off < 8; off += 3)
			bad += ta_crc32c(0, buf + off, len) != ta_crc32c_portable(0, buf + off, len) ||
			       ta_crc32c(0x1234567u, buf + off, len) !=
				       ta_crc32c_portable(0x1234567u, buf + off, len);
	/* Record-sized and larger buffers. */
	for (size_t len = 5000; len < cap; len += 1237)
		bad += ta_crc32c(0, buf + 5, len) != ta_crc32c_portable(0, buf + 5, len);
	CHECK_EQ_INT(bad, 0);
	/* A CRC continued over pieces is the CRC of the whole. */
	uint32_t c = ta_crc32c(0, buf, 4000);
	c = ta_crc32c(c, buf + 4000, 20000);
	CHECK_EQ_INT(c, ta_crc32c_portable(0, buf, 24000));
	/* One flipped bit anywhere in a long buffer changes it. */
	uint32_t whole = ta_crc32c(0, buf, 16384);
	buf[9000] ^= 0x10;
	CHECK(ta_crc32c(0, buf, 16384) != whole);
	free(buf);
	return check_result();
}

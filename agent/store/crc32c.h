/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CRC32C (Castagnoli), the per-record checksum: SSE4.2 when the CPU has it. */
#ifndef TA_STORE_CRC32C_H
#define TA_STORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t ta_crc32c(uint32_t crc, const void *buf, size_t len);
/* The same by table only: the reference the fast path is tested against. */
uint32_t ta_crc32c_portable(uint32_t crc, const void *buf, size_t len);

#endif

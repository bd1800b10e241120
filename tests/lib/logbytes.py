# SPDX-License-Identifier: GPL-2.0-or-later
"""Byte-level helpers for tests that damage or forge log records (docs/log-format.md)."""


def crc32c(data):
    """A record's CRC: CRC32C (Castagnoli), which zlib does not have."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

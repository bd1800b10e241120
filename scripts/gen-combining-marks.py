#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Prints the tables of agent/base/utf8.c's ta_cp_combining: the ranges of Unicode's
non-spacing and enclosing marks (general categories Mn and Me) from this Python's
unicodedata, and which 64-code-point blocks of the BMP hold any. Paste them over the old
ones when moving to a newer Unicode."""
import unicodedata

MARKS = ("Mn", "Me")


def wrapped(items):
    lines, cur = [], "\t"
    for item in items:
        if len(cur) + len(item) > 96:
            lines.append(cur.rstrip())
            cur = "\t"
        cur += item
    lines.append(cur.rstrip())
    return "\n".join(lines)


def main():
    marks = [cp for cp in range(0x300, 0x110000) if unicodedata.category(chr(cp)) in MARKS]
    ranges = []
    for cp in marks:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    blocks = [0] * 16
    for cp in marks:
        if cp < 0x10000:
            blocks[cp >> 12] |= 1 << ((cp >> 6) & 63)
    print(f"/* Unicode {unicodedata.unidata_version}: {len(ranges)} ranges */")
    print(wrapped(f"{{ 0x{lo:x}, 0x{hi:x} }}, " for lo, hi in ranges))
    print(wrapped(f"0x{w:016x}ULL, " for w in blocks))


if __name__ == "__main__":
    main()

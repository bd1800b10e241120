#!/usr/bin/env python3
"""Closing line for CI from meson's test log: 'N passed, N failed, N skipped'."""
import json
import sys

passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
if passed + failed == 0:
    print("no test ran", file=sys.stderr)
    sys.exit(1)
print(f"{passed} passed, {failed} failed, {skipped} skipped")

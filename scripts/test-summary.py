#!/usr/bin/env python3
"""Closing line for CI from meson's test logs: 'N passed, N failed, N skipped'.

    test-summary.py [--label WORD:] TESTLOG.json...

Counts the results of every log given, summed; with --label the line starts
with that one word (a per-build line), without it the line is the total CI reads.
"""
import json
import sys

args = sys.argv[1:]
label = ""
if len(args) >= 2 and args[0] == "--label":
    label = args[1] + " "
    args = args[2:]
passed = failed = skipped = 0
for path in args:
    with open(path) as f:
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
print(f"{label}{passed} passed, {failed} failed, {skipped} skipped")

#!/usr/bin/env python3
"""Closing line for CI from meson's test logs: 'N passed, N failed, N skipped'.

    test-summary.py [--label WORD:] TESTLOG.json...

Counts the results of every log given, summed; with --label the line starts
with that one word (a per-build line), without it the line is the total CI reads.
The total is preceded by one line per test that did not pass, naming its build
and its result, and the last lines of its output: CI keeps only the end of the
output, where the failures of the first build had scrolled away.
"""
import os
import json
import sys

args = sys.argv[1:]
label = ""
if len(args) >= 2 and args[0] == "--label":
    label = args[1] + " "
    args = args[2:]
passed = failed = skipped = 0
not_passed = []
TAIL_LINES = 12  # of each failed test's output, so CI's tail says why
for path in args:
    build = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    with open(path) as f:
        for line in f:
            test = json.loads(line)
            r = test["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
                tail = (test.get("stdout") or "").splitlines()[-TAIL_LINES:]
                not_passed.append((f"{build}: {test.get('name', '?')} {r}", tail))
if passed + failed == 0:
    print("no test ran", file=sys.stderr)
    sys.exit(1)
if not label:
    for name, tail in not_passed:
        print(f"not passed: {name}")
        for line in tail:
            print(f"  | {''.join(c if c.isprintable() else '?' for c in line)}")
print(f"{label}{passed} passed, {failed} failed, {skipped} skipped")

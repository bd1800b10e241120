#!/usr/bin/env python3
"""Closing line for CI from meson's test logs: 'N passed, N failed, N skipped'.

    test-summary.py [--label WORD:] TESTLOG.json...

Counts the results of every log given, summed; with --label the line starts
with that one word (a per-build line), without it the line is the total CI reads.
The total is preceded by one line per test that did not pass, naming its build
and its result, the lines of its output that name a failed check ("FAIL ...",
"not ok ..."), and its last lines: CI keeps only the end of the output, where
the failures of the first build had scrolled away, and a harness's own logs,
printed after its checks, would hide which check failed.
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
TAIL_LINES = 8    # of each failed test's output, so CI's tail says why
FAILED_CHECKS = 10  # lines naming a failed check, each cut to CHECK_CHARS
CHECK_CHARS = 300
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
                out = (test.get("stdout") or "").splitlines()
                checks = [l[:CHECK_CHARS] for l in out
                          if l.startswith(("FAIL", "not ok"))][:FAILED_CHECKS]
                not_passed.append((f"{build}: {test.get('name', '?')} {r}",
                                   checks + ["..."] * bool(checks) + out[-TAIL_LINES:]))
if passed + failed == 0:
    print("no test ran", file=sys.stderr)
    sys.exit(1)
if not label:
    for name, tail in not_passed:
        print(f"not passed: {name}")
        for line in tail:
            print(f"  | {''.join(c if c.isprintable() else '?' for c in line)}")
print(f"{label}{passed} passed, {failed} failed, {skipped} skipped")

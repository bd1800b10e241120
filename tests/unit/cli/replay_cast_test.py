#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""replay --asciicast reads its file twice (checked whole, then played): anything but a
regular file is refused with one line and exit 2 (a pipe was used up by the check, and
then nothing played).

    replay_cast_test.py TTYAUDIT
"""
import os
import subprocess
import sys
import tempfile

TTYAUDIT = sys.argv[1]
failures = 0
HEADER = '{"version": 2, "width": 80, "height": 24}\n'
REFUSED = "needs a regular file: it is read twice; save it first"


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def replay(*args, stdin=subprocess.DEVNULL, data=None):
    p = subprocess.run([TTYAUDIT, "replay", *args], input=data,
                       stdin=None if data is not None else stdin, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def cast(path, *events):
    with open(path, "w") as f:
        f.write(HEADER + "".join(e + "\n" for e in events))
    return path


def not_files(top):
    ok = cast(os.path.join(top, "ok.cast"), '[0.1, "o", "hello\\r\\n"]')
    rc, out, err = replay("--no-wait", "--asciicast", ok)
    check(rc == 0 and out == "hello\r\n", f"a regular file plays ({rc} {out!r} {err})")
    rc, out, err = replay("--no-wait", "--asciicast", "/dev/stdin", data=open(ok, "rb").read())
    check(rc == 2 and out == "" and err.count("\n") == 1 and REFUSED in err,
          f"a pipe is refused before anything plays ({rc} {out!r} {err})")
    fifo = os.path.join(top, "fifo.cast")
    os.mkfifo(fifo)
    for what in (top, fifo):
        rc, out, err = replay("--no-wait", "--asciicast", what)
        check(rc == 2 and out == "" and err.count("\n") == 1 and f"cannot play {what}: {REFUSED}"
              in err, f"{what} is refused, one line ({rc} {out!r} {err})")


with tempfile.TemporaryDirectory(prefix="ta-replay-cast-") as top:
    not_files(top)
if failures:
    print(f"{failures} checks failed", file=sys.stderr)
    sys.exit(1)
print("ok")

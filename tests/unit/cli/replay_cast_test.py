#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""replay --asciicast reads its file twice (checked whole, then played): anything but a
regular file is refused with one line and exit 2 (a pipe was used up by the check, and
then nothing played); an event time that is no finite number is no cast; a gap of any
finite length is waited for, not skipped (the wait's conversion overflowed).

    replay_cast_test.py TTYAUDIT
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

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


def times(top):
    inf = cast(os.path.join(top, "inf.cast"), '[0.1, "o", "a"]', '[1e999, "o", "b"]')
    rc, out, err = replay("--no-wait", "--asciicast", inf)
    check(rc == 2 and out == "" and "not an asciicast v2 file" in err,
          f"an event at 1e999 (infinity) is no cast ({rc} {out!r} {err})")
    huge = cast(os.path.join(top, "huge.cast"), '[0.0, "o", "a"]', '[1e300, "o", "b"]')
    rc, out, err = replay("--max-idle", "0.2", "--asciicast", huge)
    check(rc == 0 and out == "ab", f"--max-idle caps a gap of 1e300 s ({rc} {out!r} {err})")
    # Without --max-idle the gap is waited for: (time_t)1e300 made the sleep fail at once.
    p = subprocess.Popen([TTYAUDIT, "replay", "--asciicast", huge], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    waiting = p.poll() is None
    p.send_signal(signal.SIGTERM)
    try:
        out, _ = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    check(waiting and out == b"a" and p.returncode == 128 + signal.SIGTERM,
          f"a gap of 1e300 s is waited for, and SIGTERM ends it ({waiting} {out!r} {p.returncode})")


with tempfile.TemporaryDirectory(prefix="ta-replay-cast-") as top:
    not_files(top)
    times(top)
if failures:
    print(f"{failures} checks failed", file=sys.stderr)
    sys.exit(1)
print("ok")

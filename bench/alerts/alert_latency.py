#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Alert latency: from the keystroke that completes a matching line (Enter,
written into a real pty running bash) to the op=ttyaudit-alert record in
auditd's log. Starts its own auditd (only if none is registered with the
kernel) and the real ttyauditd. Prints p50 / p99 / max of
  - file: until the record is in auditd's log file (polled every 2 ms),
  - stamp: the audit record's own time stamp (ms) minus the keystroke,
and never passes or fails on time.

usage: alert_latency.py [--n N]   (root; TA_BUILD_DIR = the build directory)"""

import os
import pty
import shutil
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "tests", "integration"))
from capturelib import Daemon  # noqa: E402
from auditdlib import Auditd  # noqa: E402

RULES = ("rule = bench-latency\non = input\nline = ttyaudit-latency-[0-9]+$\n"
         "rate = 100000/1s\nseverity = low\n")


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    n = 200
    if "--n" in sys.argv:
        n = int(sys.argv[sys.argv.index("--n") + 1])
    if os.geteuid() != 0:
        print("alert_latency: needs root (BPF, auditd)")
        return 77
    t = tempfile.mkdtemp(prefix="ta-alert-lat-")
    os.chmod(t, 0o755)
    rules = os.path.join(t, "rules.conf")
    with open(rules, "w") as f:
        f.write(RULES)
    auditd = Auditd(t)
    d = None
    pid = None
    try:
        why = auditd.start()
        if why:
            print(f"alert_latency: not measured: {why}")
            return 77
        d = Daemon("--rules-file", rules).start()
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"],
                       {"PATH": "/usr/bin:/bin", "TERM": "dumb", "HOME": t})
        time.sleep(1)
        log = open(auditd.log, "rb")
        log.seek(0, os.SEEK_END)
        buf = b""
        file_ms, stamp_ms = [], []
        for i in range(n):
            tag = f"ttyaudit-latency-{i}".encode()
            os.write(fd, b"true||" + tag)
            time.sleep(0.03)
            t0 = time.time()
            os.write(fd, b"\r")
            end = t0 + 5
            found = None
            while time.time() < end and found is None:
                buf += log.read()
                for line in buf.split(b"\n"):
                    if b"op=ttyaudit-alert" in line and b'"true||' + tag + b'"' in line:
                        found = line
                        break
                if found is None:
                    time.sleep(0.002)
            t1 = time.time()
            try:
                os.read(fd, 65536)
            except OSError:
                pass
            if found is None:
                print(f"alert_latency: no audit record for line {i} within 5 s")
                continue
            file_ms.append((t1 - t0) * 1000)
            stamp = found.split(b"msg=audit(", 1)[1].split(b":", 1)[0]
            stamp_ms.append((float(stamp) - t0) * 1000)
            buf = b""
            time.sleep(0.05)
        for name, v in (("keystroke -> record in auditd's log file", file_ms),
                        ("keystroke -> audit record's time stamp", stamp_ms)):
            if v:
                print(f"{name:44s} p50 {pct(v, 50):7.1f}  p99 {pct(v, 99):7.1f}  "
                      f"max {max(v):7.1f} ms  ({len(v)} of {n})")
        return 0
    finally:
        if pid:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except OSError:
                pass
        if d and d.proc and d.proc.poll() is None:
            d.stop()
        auditd.stop()
        os.system(f"chattr -R -a {t} 2>/dev/null")
        shutil.rmtree(t, ignore_errors=True)
        if d:
            os.system(f"chattr -R -a {d.dir} 2>/dev/null")
            shutil.rmtree(d.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

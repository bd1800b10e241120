#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the session footprint costs (issue 18): fp_workload (create, rename
twice, read-only open, chmod, unlink per iteration) inside a recorded session
(a pty and an audit session of its own) and outside any (no terminal, no
audit session), with ttyauditd (tracepoint backend) running with
--footprint off, on and all, and without ttyauditd. The configurations are run in an order that
rotates every round; each figure is min / median / max of ns per iteration
over the rounds, and the ratio to footprint off is per round.

usage (root): fpbench.py BUILD_DIR [ROUNDS [ITERATIONS]]
Figures only: nothing passes or fails."""

import os
import pty
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from capturelib import read_until_exit  # noqa: E402

MODES = ("none", "off", "on", "all")  # none: no ttyauditd at all


def run_in_session(argv, auid):
    """argv on a new pty with loginuid auid (a new audit session); its output."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            with open("/proc/self/loginuid", "w") as f:
                f.write(str(auid))
            os.execv(argv[0], argv)
        finally:
            os._exit(127)
    out = read_until_exit(pid, fd, 3600)
    os.close(fd)
    return out.decode().strip().splitlines()[-1]


def run_outside(argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True,
                          stdin=subprocess.DEVNULL, start_new_session=True).stdout.strip()


class Daemon:
    def __init__(self, build, mode):
        self.dir = tempfile.mkdtemp(prefix="ta-fpbench-")
        self.proc = subprocess.Popen(
            [os.path.join(build, "agent/daemon/ttyauditd"), "--foreground", "--backend",
             "tracepoint", "--log-dir", self.dir, "--login-socket",
             os.path.join(self.dir, "login.sock"), "--footprint", mode],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.dir, "err"), "wb"))
        # Up once it wrote its first segment and status.
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(open(os.path.join(self.dir, "err")).read())
            if any(n.startswith("seg-") and n.endswith(".ckpt") for n in os.listdir(self.dir)):
                break
            time.sleep(0.1)
        time.sleep(1.0)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["chattr", "-R", "-a", self.dir], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def stats(v):
    return f"{min(v):9.1f} {statistics.median(v):9.1f} {max(v):9.1f}"


def main():
    if os.geteuid() != 0 or len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    iters = sys.argv[3] if len(sys.argv) > 3 else "20000"
    work = tempfile.mkdtemp(prefix="ta-fpbench-work-", dir="/dev/shm")
    wl = [os.path.join(build, "bench/footprint/fp_workload"), work, iters]
    res = {(m, w): [] for m in MODES for w in ("in", "out")}
    ratio = {(m, w): [] for m in MODES for w in ("in", "out")}
    try:
        for r in range(rounds):
            order = MODES[r % len(MODES):] + MODES[:r % len(MODES)]
            got = {}
            for m in order:
                d = Daemon(build, m) if m != "none" else None
                try:
                    got[(m, "in")] = float(run_in_session(wl, 50000 + r))
                    got[(m, "out")] = float(run_outside(wl))
                finally:
                    if d:
                        d.stop()
            for k, v in got.items():
                res[k].append(v)
                ratio[k].append(v / got[("off", k[1])])
            print(f"round {r + 1}/{rounds}: " +
                  " ".join(f"{m}/{w}={got[(m, w)]:.0f}" for m in MODES for w in ("in", "out")),
                  file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"fp_workload, {iters} iterations x 7 watched calls, {rounds} rounds "
          "(ns/iteration: min median max; ratio to footprint off: min median max)")
    for w, name in (("in", "inside a session"), ("out", "outside any session")):
        for m in MODES:
            print(f"  {name:20s} footprint {m:3s}  {stats(res[(m, w)])}   "
                  f"x {min(ratio[(m, w)]):.3f} {statistics.median(ratio[(m, w)]):.3f} "
                  f"{max(ratio[(m, w)]):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ttyauditd killed with SIGKILL during heavy terminal output, many times in a
row on one log directory: after each restart the log verifies and holds every
record the daemon had acknowledged as durable before the kill."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from capturelib import Failures, binary  # noqa: E402

ROUNDS = 6


def start(log_dir):
    err = open(os.path.join(log_dir + ".err"), "ab")
    p = subprocess.Popen([binary("agent/daemon/ttyauditd"), "--foreground", "--log-dir", log_dir],
                         stdout=subprocess.DEVNULL, stderr=err)
    status = os.path.join(log_dir, "ttyauditd.status")
    deadline = time.time() + 60
    while time.time() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"ttyauditd exited with {p.returncode}")
        try:
            with open(status) as f:
                if json.load(f)["pid"] == p.pid:
                    return p
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise RuntimeError("ttyauditd did not start")


def verify(log_dir):
    p = subprocess.run([binary("agent/cli/ttyaudit"), "verify", "--log-dir", log_dir, "--json"],
                       capture_output=True, timeout=300)
    try:
        return p.returncode, json.loads(p.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return p.returncode, {"error": p.stderr.decode(errors="replace")}


def main():
    if os.geteuid() != 0:
        print("SKIPPED: needs root to load BPF programs", file=sys.stderr)
        return 77
    f = Failures("daemon_sigkill")
    log_dir = os.path.join(tempfile.mkdtemp(prefix="ta-crash-"), "log")
    previous = 0
    for rnd in range(ROUNDS):
        d = start(log_dir)
        stop = threading.Event()

        def writer():
            while not stop.is_set():
                subprocess.run([binary("tests/lib/ta-ptydrive"), "--loginuid", str(6000 + rnd),
                                "--tag", f"K{rnd}", "--big", str(8 << 20)],
                               capture_output=True, timeout=120)

        t = threading.Thread(target=writer)
        t.start()
        time.sleep(2.5 + 0.37 * rnd)  # kill at a different moment each round
        with open(os.path.join(log_dir, "ttyauditd.status")) as s:
            acked = json.load(s).get("durable_records", 0)
        os.kill(d.pid, signal.SIGKILL)
        d.wait()
        stop.set()
        t.join()
        rc, res = verify(log_dir)
        f.check(rc == 0 and res.get("ok"), f"round {rnd}: verify passes after SIGKILL ({res})")
        f.check(res.get("records", 0) >= acked,
                f"round {rnd}: the {acked} records acknowledged durable are all there "
                f"({res.get('records')})")
        f.check(acked > previous, f"round {rnd}: the daemon recorded and acknowledged more "
                f"({previous} -> {acked})")
        previous = res.get("records", acked)
    # A clean stop after the crashes: the log still verifies, with every restart in it.
    d = start(log_dir)
    d.send_signal(signal.SIGTERM)
    f.check(d.wait(timeout=120) == 0, "a clean stop after the crashes exits 0")
    rc, res = verify(log_dir)
    f.check(rc == 0 and res.get("ok"), f"final verify passes ({res})")
    print(f"daemon_sigkill: {ROUNDS} kills, {res.get('records')} records, "
          f"{res.get('recoveries')} torn tails recovered, {res.get('segments')} segments",
          file=sys.stderr)
    subprocess.run(["chattr", "-R", "-a", log_dir], capture_output=True)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

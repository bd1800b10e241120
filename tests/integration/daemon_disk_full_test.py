#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The log's disk fills up while terminals keep writing: ttyauditd keeps
draining the kernel, says so loudly, counts what it drops, and when space
returns it writes again and records the gap; the log still verifies."""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from capturelib import Daemon, Failures, binary  # noqa: E402


def write_output(nbytes):
    # Random bytes as hex: terminal-safe, and not much smaller once compressed.
    subprocess.run(["script", "-qc", f"head -c {nbytes // 2} /dev/urandom | od -An -tx1 -v",
                    "/dev/null"], stdout=subprocess.DEVNULL, check=True, timeout=120)


def main():
    if os.geteuid() != 0:
        print("SKIPPED: needs root (tmpfs mount, BPF)", file=sys.stderr)
        return 77
    f = Failures("daemon_disk_full")
    top = tempfile.mkdtemp(prefix="ta-full-")
    log_dir = os.path.join(top, "log")
    os.mkdir(log_dir)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0750", "tmpfs", log_dir]).returncode:
        print("SKIPPED: cannot mount a tmpfs here", file=sys.stderr)
        return 77
    # Space that "returns" later: enough for everything the store buffered meanwhile.
    reserve = os.path.join(log_dir, "reserve")
    filler = os.path.join(log_dir, "filler")
    try:
        with open(reserve, "wb") as fh:
            fh.write(b"\0" * (12 << 20))
        d = Daemon("--log-dir", log_dir).start()
        with open(filler, "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        write_output(4 << 20)
        time.sleep(3)
        err = d.stderr()
        f.check("cannot write" in err and "counted until space returns" in err,
                f"the daemon says the disk is full ({err[-400:]!r})")
        f.check(d.proc.poll() is None, "the daemon keeps running")
        os.unlink(filler)
        os.unlink(reserve)
        write_output(64 << 10)
        time.sleep(3)
        err = d.stderr()
        f.check("takes records again" in err, "the daemon says when space returned")
        rc = d.stop()
        f.check(rc == 0, f"clean stop ({rc})")
        recs = d.records()
        f.check(sum(r.get("bytes_output", 0) for r in recs if r["type"] == "agent_stop") >= 4 << 20,
                "the kernel side kept draining while the disk was full")
        v = subprocess.run([binary("agent/cli/ttyaudit"), "verify", "--log-dir", log_dir, "--json"],
                           capture_output=True, text=True)
        res = json.loads(v.stdout.strip().splitlines()[-1]) if v.stdout.strip() else {}
        f.check(v.returncode == 0 and res.get("ok"), f"the log verifies ({v.stdout} {v.stderr})")
        f.check(res.get("gaps", 0) >= 1, f"the dropped records are a gap record in the log ({res})")
    finally:
        subprocess.run(["umount", "-l", log_dir])
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

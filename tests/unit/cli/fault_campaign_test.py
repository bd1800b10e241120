#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The readers' part of issue 13's fault campaign: a real log (make_log) is
damaged in seeded, reproducible ways (bit flips, zeroed blocks, cuts, deleted
segments, garbage in segments and checkpoint files, a damaged index), and
every reader runs on it: query (index, no index, --grep), show (text and
JSON), export (asciicast with markers, JSON), status, verify, follow.
- nothing crashes: no signal, no sanitizer report (the sanitizer build runs
  this test too), only documented exit codes, errors on prefixed lines;
- damage is never hidden: when verify finds a segment damaged, query,
  status and follow say so with exit 8 (with or without an index built
  before the damage), naming the segment; two kinds are verify's alone
  (a deleted first segment, which readers cannot tell from retention, and
  bytes past a sealed segment's end, which only verify matches with recovery
  records): verify must report them;
- a malformed checkpoint file is reported by verify;
- nothing false: on an intact log every reader exits 0.
    fault_campaign_test.py TTYAUDIT MAKE_LOG
TA_FAULT_ROUNDS sets the number of damaged logs (default 40; bench/run.sh
runs the long form on the sanitizer build); TA_FAULT_SEED the seed."""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "integration"))
from capturelib import Failures  # noqa: E402

TTYAUDIT, MAKE_LOG = sys.argv[1], sys.argv[2]
ROUNDS = int(os.environ.get("TA_FAULT_ROUNDS", "40"))
SEED = int(os.environ.get("TA_FAULT_SEED", "13"))
SANITIZER = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer")
# 0 ok, 7 verify found damage, 8 damage met (intact part shown), 9 no such session
ALLOWED = {0, 7, 8, 9}
F = Failures("cli_fault_campaign")
check = F.check


def run(*args):
    p = subprocess.run([TTYAUDIT, *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def segments(d, ext):
    return sorted(f for f in os.listdir(d) if f.startswith("seg-") and f.endswith(ext))


def damage(rng, d, index):
    """One seeded damage; returns (what, touches a segment file)."""
    segs, ckpts = segments(d, ".log"), segments(d, ".ckpt")
    kind = rng.choice(["flip", "zero", "cut", "delete", "garbage", "ckpt", "index"])
    if kind == "index" and not os.path.exists(index):
        kind = "flip"
    if kind == "ckpt":
        name = rng.choice(ckpts)
        with open(os.path.join(d, name), "ab") as f:
            f.write(rng.choice([b"ttyaudit/x\n1\nAAAA\n\n\xe2\x80\x94 k AAAA\n",
                                bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))]))
        return f"{kind} {name}", False
    if kind == "index":
        size = os.path.getsize(index)
        with open(index, "r+b") as f:
            f.seek(rng.randrange(size))
            f.write(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
        return "index", False
    name = rng.choice(segs)
    path = os.path.join(d, name)
    size = os.path.getsize(path)
    if kind == "delete":
        os.unlink(path)
        # The first segment gone looks like retention to a reader that has not yet met
        # the retention record: verify's alone to tell (it does).
        return f"{kind} {name}", name != segs[0]
    if kind == "cut":
        os.truncate(path, rng.randrange(size))
        return f"{kind} {name}", True
    with open(path, "r+b") as f:
        if kind == "garbage":
            f.seek(0, 2)
            f.write(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
            # Bytes past a sealed segment's end look like a tail a recovery left: only
            # verify matches them with recovery records (it does).
            return f"{kind} {name}", name == segs[-1]
        at = rng.randrange(size)
        f.seek(at)
        if kind == "zero":
            f.write(b"\0" * min(size - at, rng.randrange(1, 512)))
        else:
            f.seek(at)
            b = f.read(1)
            f.seek(at)
            f.write(bytes([b[0] ^ (1 << rng.randrange(8))]))
    return f"{kind} {name} at {at}", True


def readers(d, index, sessions):
    """(name, argv) of every reader run on a log."""
    D = ["--log-dir", d]
    cmds = [("query", ["query", *D, "--index", index]),
            ("query --no-index", ["query", *D, "--no-index", "--json"]),
            ("query --grep", ["query", *D, "--index", index, "--grep", "e"]),
            ("status", ["status", *D, "--json"]),
            ("verify", ["verify", *D, "--json"]),
            ("follow", ["follow", *D, "--from-start", "--timeout", "0.1"])]
    for s in sessions:
        cmds += [(f"show {s}", ["show", *D, "--index", index, s]),
                 (f"show --json {s}", ["show", *D, "--no-index", "--json", s]),
                 (f"export asciicast {s}", ["export", *D, "--index", index, "--format",
                                            "asciicast", "--markers", s]),
                 (f"export json {s}", ["export", *D, "--no-index", "--format", "json", s])]
    return cmds


def main():
    top = tempfile.mkdtemp(prefix="ta-fault-")
    try:
        base = os.path.join(top, "base")
        subprocess.run([MAKE_LOG, base], check=True, capture_output=True)
        subprocess.run(["chattr", "-R", "-a", base], capture_output=True)
        rc, out, err = run("query", "--log-dir", base, "--no-index", "--json")
        sessions = [json.loads(line)["session"] for line in out.splitlines() if line.strip()]
        check(rc == 0 and len(sessions) >= 3, f"the base log lists its sessions ({rc} {err})")
        # The intact log: every reader exits 0.
        index = os.path.join(top, "base.idx")
        for name, argv in readers(base, index, sessions):
            rc, out, err = run(*argv)
            check(rc == 0 and not any(s in err for s in SANITIZER),
                  f"intact log: {name} exits 0 ({rc} {err[-300:]})")
        rng = random.Random(SEED)
        hidden = 0
        for i in range(ROUNDS):
            d = os.path.join(top, f"r{i}")
            shutil.copytree(base, d, ignore=shutil.ignore_patterns("index"))
            idx = os.path.join(top, f"r{i}.idx")
            if rng.random() < 0.5:  # an index built before the damage, which readers re-check
                run("query", "--log-dir", d, "--index", idx)
            what, on_segment = damage(rng, d, idx)
            results = {}
            for name, argv in readers(d, idx, sessions):
                rc, out, err = run(*argv)
                results[name] = (rc, err)
                check(rc in ALLOWED, f"round {i} ({what}): {name} exits with a documented code "
                      f"({rc}: {err[-300:]})")
                check(not any(s in err for s in SANITIZER),
                      f"round {i} ({what}): {name}: no sanitizer report ({err[-600:]})")
                check(all(line.startswith("ttyaudit: ") for line in err.splitlines()),
                      f"round {i} ({what}): {name}: errors are prefixed lines ({err[-300:]})")
            vrc = results["verify"][0]
            if on_segment and vrc == 7:
                for name in ("query", "query --no-index", "status", "follow"):
                    rc, err = results[name]
                    ok = check(rc == 8 and ".log" in err,
                               f"round {i} ({what}): verify finds damage, {name} says so "
                               f"with exit 8 and the segment ({rc}: {err[-300:]})")
                    hidden += not ok
            if not on_segment and what.split()[0] in ("delete", "garbage"):
                check(vrc == 7, f"round {i} ({what}): verify reports what readers cannot tell "
                      f"({vrc}: {results['verify'][1][-300:]})")
            if what.split()[0] == "ckpt":
                check(vrc == 7, f"round {i} ({what}): verify reports a damaged checkpoint file "
                      f"({vrc}: {results['verify'][1][-300:]})")
            subprocess.run(["rm", "-rf", d, idx])
        print(f"fault campaign: {ROUNDS} damaged logs (seed {SEED}), "
              f"{ROUNDS * len(readers(base, index, sessions))} reader runs; damage hidden "
              f"{hidden} times", file=sys.stderr)
    finally:
        subprocess.run(["chattr", "-R", "-a", top], capture_output=True)
        shutil.rmtree(top, ignore_errors=True)
    return F.result()


if __name__ == "__main__":
    sys.exit(main())

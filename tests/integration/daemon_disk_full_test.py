#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The log's disk fills up while terminals keep writing: ttyauditd keeps
draining the kernel, says so loudly, counts what it drops, and when space
returns it writes again and records the gap; the log still verifies.
The numbers agree everywhere: the daemon's message, `status`, the store's gap
records; the writer's session holds its own disk_full gap, `show` (text and
JSON) prints every gap its header counts, and what it wrote equals what was
recorded plus what the gaps say was lost."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from capturelib import Daemon, Failures, binary, gap_views, remove_tree, same_loss  # noqa: E402
from auditdlib import wait_until  # noqa: E402


def write_output(nbytes, auid):
    """Random bytes as hex (terminal-safe, hardly compressible) from a login session of
    its own (auid): od writes nbytes/2/16 lines of 49 bytes. Returns the session id."""
    # script's stdin stays open and silent until it is done: at end of file script types
    # the EOF character into the session (one byte of input the test did not write).
    p = subprocess.Popen(["sh", "-c", f"echo {auid} > /proc/self/loginuid && cat /proc/self/sessionid"
                          f" >&2 && exec script -qc 'head -c {nbytes // 2} /dev/urandom | "
                          f"od -An -tx1 -v' /dev/null"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        err = p.stderr.read()
        if p.wait(timeout=120):
            raise RuntimeError(f"the writer failed: {err!r}")
    finally:
        p.stdin.close()
    return int(err.decode().split()[0])


def cli(*args):
    return subprocess.run([binary("agent/cli/ttyaudit"), *args], capture_output=True, text=True)


def session_numbers(log_dir, ses):
    """Recorded output bytes, lost bytes by reason, the header's gap count, and the GAP
    lines of `show` (text) and of `show --json` for the session."""
    q = [json.loads(l) for l in cli("query", "--log-dir", log_dir, "--json").stdout.splitlines()
         if l.startswith("{")]
    row = next((r for r in q if r.get("ses") == ses), {})
    lost = {}
    for line in cli("export", "--log-dir", log_dir, "--format", "json", str(ses)).stdout.splitlines():
        try:
            rec = json.loads(line).get("record") or {}
        except ValueError:
            continue
        if rec.get("type") == "gap" and "bytes" in rec:
            lost[rec.get("reason")] = lost.get(rec.get("reason"), 0) + rec["bytes"]
    text = cli("show", "--log-dir", log_dir, str(ses)).stdout
    js = cli("show", "--log-dir", log_dir, "--json", str(ses)).stdout
    text_gaps = sum(1 for l in text.splitlines() if "GAP" in l)
    json_gaps = sum(1 for l in js.splitlines() if '"type":"gap"' in l)
    return row, lost, text_gaps, json_gaps


def logged_loss(log_dir, reason):
    """(events, bytes) of every gap record of this reason in the log, each record once, net
    of copies (as status counts them): from `export --format json` of every session whose
    gaps say something was lost; gaps of no session are left to status's unattributed_*."""
    q = [json.loads(l) for l in cli("query", "--log-dir", log_dir, "--json").stdout.splitlines()
         if l.startswith("{")]
    seen = {}
    for row in q:
        if not row.get("lost_events") and not row.get("lost_bytes"):
            continue
        out = cli("export", "--log-dir", log_dir, "--format", "json", row["session"]).stdout
        for line in out.splitlines()[1:]:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            rec = e.get("record") if isinstance(e.get("record"), dict) else {}
            # A gap of no session shown inside this one's span is counted by status apart.
            if e.get("type") == "gap" and rec.get("reason") == reason and rec.get("ses") is not None:
                seen[e["index"]] = (rec.get("events", 0) - rec.get("copied_events", 0),
                                    rec.get("bytes", 0) - rec.get("copied_bytes", 0))
    return sum(v[0] for v in seen.values()), sum(v[1] for v in seen.values())


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
        ses_full = write_output(4 << 20, 7301)
        # Said from the writer's once-a-second housekeeping, after the output is drained.
        wait_until(lambda: "counted until space returns" in d.stderr(), 60)
        err = d.stderr()
        f.check("cannot write" in err and "counted until space returns" in err,
                f"the daemon says the disk is full ({err[-400:]!r})")
        f.check(d.proc.poll() is None, "the daemon keeps running")
        os.unlink(filler)
        os.unlink(reserve)
        write_output(64 << 10, 7302)
        wait_until(lambda: "takes records again" in d.stderr(), 60)
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

        st = json.loads(cli("status", "--log-dir", log_dir, "--json").stdout or "{}")
        m = re.search(r"the (\d+) dropped records \((\d+) bytes\) are recorded as a gap", err)
        f.check(m is not None and st.get("store_gap_records") == int(m.group(1)) and
                st.get("store_gap_bytes") == int(m.group(2)),
                f"the daemon's message and status give the same numbers ({m and m.groups()}, "
                f"{st.get('store_gap_records')}, {st.get('store_gap_bytes')})")
        row, lost, text_gaps, json_gaps = session_numbers(log_dir, ses_full)
        f.check(lost.get("disk_full", 0) > 0,
                f"the writer's session {ses_full} holds its disk_full gap ({lost})")
        f.check(row.get("gaps", -1) == text_gaps == json_gaps,
                f"show prints every gap the header counts: header {row.get('gaps')}, text "
                f"{text_gaps}, json {json_gaps}")
        _, texts, _, markers, views = gap_views(log_dir, ses_full)
        f.check(sorted(texts) == sorted(markers) and any("disk_full" in t for t in markers),
                f"the asciicast export marks every gap show prints, with the same words and "
                f"numbers ({texts} vs {markers})")
        # The same numbers everywhere: query, show (header, GAP lines), show --json (session
        # line, gap events), export json, asciicast markers; and they are the gap records'.
        same, nums = same_loss(views)
        f.check(same and nums["query"][1] == sum(lost.values()),
                f"session {ses_full}: every reader says the same loss, the gap records' "
                f"{sum(lost.values())} bytes ({nums}; gap events without their fields: "
                f"{views['malformed'][:2]})")
        print(f"session {ses_full}: lost (events, bytes) per view: {nums}", file=sys.stderr)
        # status: each loss once, by reason: the disk_full gap records of every session.
        by_reason = {r["reason"]: r for r in st.get("lost_by_reason", [])}
        full = by_reason.get("disk_full", {})
        ev, by = logged_loss(log_dir, "disk_full")
        # Events of no session (another terminal's process outside any login, lost on the same
        # full disk) are in no session's rows: status says how many of its figures they are.
        ev += full.get("unattributed_events", 0)
        by += full.get("unattributed_bytes", 0)
        f.check((full.get("events"), full.get("bytes")) == (ev, by) and by >= lost["disk_full"],
                f"status's disk_full loss is the sum of every session's disk_full gaps and "
                f"those of no session ({full} vs {ev} events, {by} bytes)")
        print(f"status: disk_full {full}; the sessions' disk_full gaps: {ev} events, {by} bytes",
              file=sys.stderr)
        written = (4 << 20) // 2 // 16 * 49
        recorded = row.get("bytes_out", 0)
        f.check(recorded + sum(lost.values()) == written,
                f"written = recorded + lost in session {ses_full}: {written} = {recorded} + {lost}")
        f.check(st.get("lost_bytes", 0) >= lost.get("disk_full", 0),
                f"status counts the session's loss ({st.get('lost_bytes')})")
    finally:
        subprocess.run(["umount", "-l", log_dir])
        remove_tree(top)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

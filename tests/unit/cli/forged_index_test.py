#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A session index rewritten by whoever can write its place (DIR/index, root on the host):
no key is needed, the segments are untouched, and query, show and --grep print what it lists.
verify now rebuilds the table from the log and fails on an index that says anything else;
show does not follow an index that lists a record twice or out of order.

make_log's log: session 5e1c0a42-7 is alice's (auid 4242, from client.example), its record 7
the command `sudo cat /etc/shadow`, its record 8 a gap.

    forged_index_test.py TTYAUDIT MAKE_LOG
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from clicheck import Checks, remove_tree  # noqa: E402

TTYAUDIT, MAKE_LOG = sys.argv[1], sys.argv[2]
SESSION = "5e1c0a42-7"


check = Checks(show_ok=True)


def run(*args):
    p = subprocess.run([TTYAUDIT, *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def fresh(top, name):
    d = os.path.join(top, name)
    subprocess.run([MAKE_LOG, d], check=True, capture_output=True)
    rc, _, err = run("reindex", "--log-dir", d)
    check(rc == 0, f"{name}: reindex ({rc} {err.strip()})")
    return d, os.path.join(d, "index", "sessions.idx")


def refs(idx):
    """(offset in the file, record index) of each ref (struct ta_index_hdr, struct ta_ref)."""
    n_refs = struct.unpack_from("<Q", idx, 24)[0]
    off_refs = struct.unpack_from("<Q", idx, 96)[0]
    return [(off_refs + 32 * i, struct.unpack_from("<Q", idx, off_refs + 32 * i)[0])
            for i in range(n_refs)]


top = tempfile.mkdtemp(prefix="ta-forged-index-")
try:
    # An index written from the log says what it says: also once the log has grown past it.
    d, idx = fresh(top, "honest")
    rc, out, err = run("verify", "--log-dir", d)
    check(rc == 0 and out.startswith("OK:"), f"verify with the index reindex wrote: OK ({rc} {out}{err})")
    subprocess.run(["chattr", "-R", "-a", d], capture_output=True)
    subprocess.run([MAKE_LOG, d], check=True, capture_output=True)  # more records after it
    rc, out, err = run("verify", "--log-dir", d)
    check(rc == 0 and out.startswith("OK:"), f"...and once the log grew past it ({rc} {out}{err})")

    # Names in the string pool rewritten: a user and a host no record holds.
    d, idx = fresh(top, "renamed")
    with open(idx, "rb") as f:
        b = f.read()
    with open(idx, "wb") as f:
        f.write(b.replace(b"alice", b"bobby").replace(b"client.example", b"hostx.example1"))
    rc, out, err = run("query", "--log-dir", d)
    check("bobby" in out, f"the forged index is what query prints (the attack: {out.strip()[:200]})")
    rc, out, err = run("verify", "--log-dir", d)
    check(rc == 7 and out.startswith("FAILED: the session index ") and idx in out and
          f"session {SESSION}: user differs" in out and "reindex" in out,
          f"verify fails on it, naming the index and what differs ({rc} {out}{err})")
    rc, out, err = run("verify", "--log-dir", d, "--json")
    doc = json.loads(out) if out.strip() else {}
    check(rc == 7 and doc.get("ok") is False and doc.get("file") == "index",
          f"verify --json: not ok, file 'index' ({rc} {out})")
    rc, out, err = run("query", "--log-dir", d, "--no-index")
    check(rc == 0 and "alice" in out and "bobby" not in out, f"--no-index reads the log ({out.strip()[:200]})")

    # The ref of record 7 (the command) replaced by a copy of record 8's (a gap).
    d, idx = fresh(top, "hidden")
    b = bytearray(open(idx, "rb").read())
    where = dict((i, off) for off, i in refs(b))
    check(7 in where and 8 in where, f"the index lists records 7 and 8 ({sorted(where)[:20]})")
    if 7 in where and 8 in where:
        b[where[7]:where[7] + 32] = b[where[8]:where[8] + 32]
        open(idx, "wb").write(b)
    rc, out, err = run("show", "--log-dir", d, SESSION)
    gaps = sum(1 for line in out.splitlines() if "#| GAP:" in line)
    check(rc == 0 and "/etc/shadow" in out and gaps == 1 and "out of order; reading the log" in err,
          f"show reads the log instead: the command is there, the gap once ({rc}, {gaps} gaps, {err.strip()})")
    rc, out, err = run("verify", "--log-dir", d)
    check(rc == 7 and f"session {SESSION}: refs differs" in out, f"verify fails on it ({rc} {out}{err})")
finally:
    remove_tree(top)
check.exit()

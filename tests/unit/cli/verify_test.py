#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ttyaudit verify against an attacker who can change the log directory (make_log's
log: checkpoints of 1, 4, 9 and 15 records, origin test/ttyaudit): audit-trail anchors
still bind a log whose checkpoint files are gone, and count apart from signatures; a
retention record counts only when signed.

    verify_test.py TTYAUDIT MAKE_LOG
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from clicheck import Checks, remove_tree  # noqa: E402
from logbytes import crc32c  # noqa: E402

TTYAUDIT, MAKE_LOG = sys.argv[1], sys.argv[2]
DAEMON = "/usr/sbin/ttyauditd"

check = Checks()


def run(*args):
    p = subprocess.run([TTYAUDIT, *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def checkpoints(d):
    """(size, base64 root) of every checkpoint note in d's .ckpt files."""
    out = []
    for name in sorted(f for f in os.listdir(d) if f.endswith(".ckpt")):
        lines = open(os.path.join(d, name)).read().split("\n")
        for i, line in enumerate(lines):
            if line == "test/ttyaudit" and i + 2 < len(lines):
                out.append((int(lines[i + 1]), lines[i + 2]))
    return out


def audit_log(path, anchors, exe=DAEMON, uid=0, auid=4294967295, origin="test/ttyaudit",
              node=None, mode="w", text=""):
    """TRUSTED_APP lines as auditd logs ttyauditd's anchors (sessions/anchor.h); with node,
    as an aggregating auditd logs another machine's (name_format); text: the sender's own,
    before op=."""
    prefix = f"node={node} " if node else ""
    with open(path, mode) as f:
        for serial, (size, root) in enumerate(anchors, 10):
            f.write(f"{prefix}type=TRUSTED_APP msg=audit(1700000000.{serial:03d}:{serial}): pid=4321 "
                    f"uid={uid} auid={auid} ses=4294967295 subj=unconfined msg='{text}op=ttyaudit-checkpoint "
                    f"origin=\"{origin}\" size={size} root={root} exe=\"{exe}\" hostname=? addr=? "
                    f"terminal=? res=success'\n")
    return path


def copy(base, name):
    d = os.path.join(top, name)
    shutil.copytree(base, d)
    return d


def anchors(base, key):
    """Anchors are checked by the origin the investigator trusts, apart from signatures."""
    cps = checkpoints(base)
    check([s for s, _ in cps] == [1, 4, 9, 15], f"make_log's checkpoints: {cps}")
    A = ["--key", key, "--anchor-exe", DAEMON]
    alog = audit_log(os.path.join(top, "audit.log"), cps)

    # A file with no audit record in it is named by mistake: said, not read as 0 anchors.
    other = os.path.join(top, "passwd-copy")
    with open(other, "w") as fh:
        fh.write("root:x:0:0:root:/root:/bin/bash\n")
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log", other)
    check(rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "holds no audit record" in err,
          f"a file that is no audit log: exit 2, one line ({rc} {out} {err})")
    empty = os.path.join(top, "rotated-audit.log")
    open(empty, "w").close()
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log", empty)
    check(rc == 0 and "0 anchors matched" in out, f"an empty trail (just rotated) holds none ({rc} {out} {err})")

    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log", alog, "--json")
    j = json.loads(out) if rc == 0 else {}
    check(rc == 0 and j.get("anchors_checked") == 4 and j.get("checkpoints") == 4,
          f"the intact log: 4 anchors matched, 4 checkpoints ({rc} {out} {err})")

    # Rolled back, checkpoint files deleted: the anchors still name this log.
    d = copy(base, "rolled")
    os.unlink(os.path.join(d, "seg-0000000000000002.log"))
    for f in os.listdir(d):
        if f.endswith(".ckpt"):
            os.unlink(os.path.join(d, f))
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", alog)
    check(rc == 7 and "rolled back" in out and "anchor" in out,
          f"rolled back without checkpoint files: the anchor of 15 fails it ({rc} {out})")
    # Not rolled back, only the checkpoint files deleted: no signed checkpoint is a failure.
    d = copy(base, "unsigned")
    for f in os.listdir(d):
        if f.endswith(".ckpt"):
            os.unlink(os.path.join(d, f))
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", alog)
    check(rc == 7 and "no signed checkpoint" in out, f"no checkpoint file left: fails ({rc} {out})")
    rc, out, err = run("verify", "--log-dir", d, *A)
    check(rc == 7 and "no signed checkpoint" in out, f"...also without anchors ({rc} {out})")
    # A record of the last segment rewritten (its CRC fixed), the checkpoints deleted: the
    # anchor of 15 records disagrees.
    seg = os.path.join(d, "seg-0000000000000002.log")
    data = bytearray(open(seg, "rb").read())
    at = 64 + int.from_bytes(data[64:68], "little")  # the record after the segment start
    n = int.from_bytes(data[at:at + 4], "little")
    data[at + 40] ^= 1
    data[at + n - 4:at + n] = crc32c(data[at:at + n - 4]).to_bytes(4, "little")
    open(seg, "wb").write(data)
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", alog)
    check(rc == 7 and "anchor" in out and "root differs" in out,
          f"a record rewritten with its CRC fixed: an anchor's root differs ({rc} {out})")

    # Anchors are not signatures: they raise neither the count nor the latest checkpoint.
    d = copy(base, "tail")
    os.unlink(os.path.join(d, "seg-0000000000000002.ckpt"))
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", alog, "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("latest_checkpoint") == 9 and j.get("checkpoints") == 3
          and j.get("anchors_checked") == 4, f"anchors count apart from checkpoints ({rc} {out})")
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", alog)
    check(rc == 0 and "note: 6 records after the latest checkpoint are not yet signed" in out
          and "4 anchors matched this log" in out, f"the unsigned tail is still named ({out})")

    # Who wrote an anchor: the daemon's full path as root, else it is ignored.
    for what, kw in (("another program named ttyauditd", {"exe": "/tmp/x/ttyauditd"}),
                     ("a non-root ttyauditd", {"uid": 1000}),
                     # the kernel's uid is the first; the sender's text cannot replace it
                     ("a non-root sender whose text says uid=0",
                      {"uid": 1000, "auid": 1000, "text": "uid=0 auid=4294967295 "})):
        forged = audit_log(os.path.join(top, "forged.log"), cps, **kw)
        rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", forged, "--json")
        j = json.loads(out) if out.strip() else {}
        check(rc == 0 and j.get("anchors_checked") == 0 and j.get("anchors_ignored") == 4,
              f"anchors of {what} are ignored ({rc} {out})")
    lu = audit_log(os.path.join(top, "login.log"), cps, auid=0)
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", lu)
    check(rc == 0 and "4 anchors matched" in out and "4 matched anchors were written by a daemon "
          "with a login uid" in out, f"anchors of a daemon with a login uid are reported ({out})")
    # Anchors that do not parse (a size with a sign, a root in the URL-safe alphabet) are
    # counted and named, whoever wrote them: a rollback spelled so said "0 anchors", OK.
    odd = audit_log(os.path.join(top, "malformed.log"), [("+99", cps[-1][1]),
                    (99, "_" * 42 + "8=")])
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", odd, "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("anchors_malformed") == 2 and j.get("anchors_checked") == 0,
          f"malformed anchors are counted ({rc} {out})")
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", odd)
    check(rc == 0 and "note: 2 anchors are malformed" in out, f"...and named ({rc} {out})")
    # Not a file: auparse read a directory as a trail with no anchor, and verify said OK.
    os.mkfifo(os.path.join(top, "fifo.log"))
    for what in (top, os.path.join(top, "fifo.log")):
        rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", what, "-q")
        check(rc == 2 and err.count("\n") == 1 and f"cannot read anchors from {what}: not a "
              "regular file" in err, f"--audit-log {what}: refused, one line ({rc} {err})")
    # Another origin is another log's, whatever the log's own files say.
    other = audit_log(os.path.join(top, "other.log"), cps, origin="other/ttyaudit")
    rc, out, err = run("verify", "--log-dir", d, *A, "--audit-log", other, "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("anchors_other_logs") == 4, f"anchors of other logs ({out})")

    # An aggregating auditd's trail: root on another node can write an anchor naming this
    # log's origin with any root. Whose anchors count is the investigator's to say.
    agg = audit_log(os.path.join(top, "aggregated.log"), cps, node="hosta")
    bad_root = cps[0][1]
    audit_log(agg, [(15, bad_root)], node="hostb", mode="a")
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log", agg)
    check(rc == 2 and "several nodes" in err and "hosta" in err and "hostb" in err
          and "--anchor-node" in err, f"a trail of two nodes: which one is asked ({rc} {err})")
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log", agg,
                       "--anchor-node", "hosta", "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("anchors_checked") == 4 and j.get("anchors_other_nodes") == 1,
          f"--anchor-node hosta: its 4 anchors count, hostb's forged one does not ({rc} {out})")
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log", agg,
                       "--anchor-node", "hostb")
    check(rc == 7 and "node hostb" in out and "root differs" in out,
          f"--anchor-node hostb: its anchor fails the log, naming the node ({rc} {out})")
    # One node alone, as a host's own auditd with name_format=hostname writes: no question.
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log",
                       audit_log(os.path.join(top, "onenode.log"), cps, node="hosta"), "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("anchors_checked") == 4, f"one node's trail ({rc} {out} {err})")
    # A node= that is no host name (an escape sequence for the investigator's terminal).
    rc, out, err = run("verify", "--log-dir", base, *A, "--audit-log",
                       audit_log(os.path.join(top, "escnode.log"), cps, node="h\x1b[2Jx"), "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("anchors_checked") == 0 and "\x1b" not in out + err,
          f"an anchor whose node= is no host name is malformed ({rc} {out} {err})")


def note(d, size):
    """The signed note of that size from d's checkpoint files, as `ttyaudit checkpoint` prints it."""
    for name in sorted(f for f in os.listdir(d) if f.endswith(".ckpt")):
        lines = open(os.path.join(d, name)).read().split("\n")
        for i in range(len(lines) - 4):
            if lines[i] == "test/ttyaudit" and lines[i + 1] == str(size):
                sigs = []
                for line in lines[i + 4:]:
                    if not line:
                        break
                    sigs.append(line)
                return "\n".join(lines[i:i + 3]) + "\n\n" + "\n".join(sigs) + "\n"
    return None


def retention(base, key):
    """A retention record counts only below a signed checkpoint; unchecked notes are named."""
    ext = os.path.join(top, "four.note")
    open(ext, "w").write(note(base, 4))
    # A forged retention record appended to the unsigned tail, the first segment deleted.
    d = copy(base, "forged-retention")
    s1 = open(os.path.join(d, "seg-0000000000000001.log"), "rb").read()
    start_hash = s1[64 + 36 + 48:64 + 36 + 48 + 32]  # seg 1's SEGMENT_START: the tree at 4
    check(int.from_bytes(s1[24:32], "little") == 4, "segment 1 starts at record 4")
    payload = (struct.pack("<IIQQQQQII", 1, 1, 0, 0, 0, 4, 914, 1, 0) + start_hash)
    rec = struct.pack("<IBBHQQQI", 40 + len(payload), 1, 0, 3, 15, 1767268800000000000, 0,
                      len(payload)) + payload
    rec += struct.pack("<I", crc32c(rec))
    with open(os.path.join(d, "seg-0000000000000002.log"), "ab") as f:
        f.write(rec)
    for f in ("seg-0000000000000000.log", "seg-0000000000000000.ckpt"):
        os.unlink(os.path.join(d, f))
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 7 and "covered by no signed checkpoint" in out,
          f"a retention record in the unsigned tail hides nothing ({rc} {out})")
    rc, out, err = run("verify", "--log-dir", d, "--key", key, "--checkpoint", ext)
    check(rc == 7, f"...nor the investigator's checkpoint of 4 ({rc} {out})")

    # Real retention (the writer signs the record before deleting): the investigator's
    # checkpoint from before it can only be signature-checked, and text output says so.
    d = copy(base, "retained")
    subprocess.run([MAKE_LOG, d, "retention"], check=True, capture_output=True)
    rc, out, err = run("verify", "--log-dir", d, "--key", key, "--checkpoint", ext)
    check(rc == 0 and f"note: --checkpoint {ext} (4 records) could only have its signature checked"
          in out and "deleted by retention" in out, f"an unchecked --checkpoint is named ({rc} {out} {err})")
    rc, out, err = run("verify", "--log-dir", d, "--key", key, "--checkpoint", ext, "--json")
    j = json.loads(out) if out.strip() else {}
    check(rc == 0 and j.get("external_signature_only") == 1, f"...and counted in JSON ({out})")


def sparse_tail(base, key):
    """A last segment made huge and sparse: damage found at once, not read to its end."""
    import resource
    import time
    d = copy(base, "sparse")
    seg = os.path.join(d, "seg-0000000000000002.log")
    size = os.path.getsize(seg)
    os.truncate(seg, size + (1 << 30))
    t = time.monotonic()
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    took = time.monotonic() - t
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, the largest child yet
    check(rc == 7 and f"seg-0000000000000002.log offset {size} record 15: {1 << 30} bytes of zeros "
          "after the last record" in out, f"1 GiB of zeros is damage, not a torn tail ({rc} {out})")
    check(took < 10 and rss < 200 * 1024, f"...found without reading it all ({took:.1f} s, {rss} KiB)")
    # A torn tail of zeros a write can leave is still one, and the writer recovers it.
    os.truncate(seg, size + 4096)
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 0 and "torn write" in out, f"4 KiB of zeros is a torn tail ({rc} {out})")
    os.truncate(seg, size + (1 << 30))
    subprocess.run([MAKE_LOG, d], check=True, capture_output=True)  # the store reopens the log
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 0 and "recoveries" in out, f"the store recovers past the zeros ({rc} {out})")


def terminal_bytes(base, key):
    """A signature line of an unknown key named with C1 CSI, a bidi override and DEL, added
    to a genuine note without the key: the note is malformed (docs/log-format.md §6), so
    checkpoint and prove, which print notes byte for byte, never write it to a terminal."""
    d = copy(base, "c1name")
    genuine = open(os.path.join(d, "seg-0000000000000002.ckpt"), "rb").read()[:-1]
    evil = "\u2014 \u009b2J\u009b1;31mFORGED\u009b0m\u202egnp.exe\x7f AAAAAAAA\n".encode()
    forged = os.path.join(d, "seg-0000000000000003.ckpt")
    open(forged, "wb").write(genuine + evil + b"\n")
    bad = (b"\xc2\x9b", b"\xe2\x80\xae", b"\x7f")
    for args in (["checkpoint"], ["prove", "--session", "5e1c0a42-9"], ["verify", "--key", key]):
        p = subprocess.run([TTYAUDIT, *args, "--log-dir", d], capture_output=True, timeout=120)
        said = p.stdout + p.stderr
        check(p.returncode == 7 and b"seg-0000000000000003.ckpt offset 0: checkpoint malformed "
              b"signed note" in said and not any(b in said for b in bad),
              f"{args[0]}: a note with C1, bidi and DEL in a key name is malformed "
              f"({p.returncode} {said[-300:]!r})")
    ext = os.path.join(top, "c1name.note")
    open(ext, "wb").write(note(base, 15).encode() + evil)
    rc, out, err = run("verify", "--log-dir", base, "--key", key, "--checkpoint", ext)
    check(rc == 7 and "checkpoint malformed signed note" in out, f"...and as --checkpoint ({rc} {out})")


def long_tail(base, key):
    """A tail that is no record but does not start with zeros is held to the same bound:
    6 bytes (an impossible length field) are a torn tail, the same made 1 GiB (sparse) is
    damage, found at once; the store still recovers past it."""
    d = copy(base, "long-tail")
    seg = os.path.join(d, "seg-0000000000000002.log")
    size = os.path.getsize(seg)
    with open(seg, "ab") as fh:
        fh.write(b"\x00" * 5 + b"\x01")
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 0 and f"torn write at seg-0000000000000002.log offset {size}" in out,
          f"6 bytes that are no record are a torn tail ({rc} {out})")
    os.truncate(seg, size + (1 << 30))
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 7 and f"seg-0000000000000002.log offset {size} record 15: bad record length, "
          "and more bytes follow than one write can leave (not a torn tail)" in out,
          f"1 GiB that starts with no record is damage, not a torn tail ({rc} {out})")
    for cmd in (["query", "--no-index"], ["status"]):
        rc, out, err = run(*cmd, "--log-dir", d)
        check(rc == 8 and "not a torn tail" in err, f"{cmd[0]}: the long tail is damage ({rc} {err})")
    # The bound is one write: 1 MiB plus the largest record (16 MiB + 40 bytes).
    one_write = (1 << 20) + 40 + (16 << 20)
    os.truncate(seg, size + one_write)
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 0 and "torn write" in out, f"a tail of one write is a torn tail ({rc} {out})")
    os.truncate(seg, size + one_write + 1)
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 7 and "not a torn tail" in out, f"a byte more is damage ({rc} {out})")
    subprocess.run([MAKE_LOG, d], check=True, capture_output=True)  # the store reopens the log
    rc, out, err = run("verify", "--log-dir", d, "--key", key)
    check(rc == 0 and "recoveries" in out, f"the store recovers past the long tail ({rc} {out})")


top = tempfile.mkdtemp(prefix="ta-verify-")
try:
    base = os.path.join(top, "log")
    subprocess.run([MAKE_LOG, base], check=True, capture_output=True)
    subprocess.run(["chattr", "-R", "-a", base], capture_output=True)
    key = os.path.join(top, "pub.vkey")
    shutil.copy(os.path.join(base, "ttyaudit.vkey"), key)
    anchors(base, key)
    empty = os.path.join(top, "empty.note")
    open(empty, "w").close()
    rc, out, err = run("verify", "--log-dir", base, "--key", key, "--checkpoint", empty)
    check(rc == 7 and "holds no checkpoint note" in out, f"an empty --checkpoint file ({rc} {out})")
    retention(base, key)
    terminal_bytes(base, key)
    sparse_tail(base, key)
    long_tail(base, key)
finally:
    remove_tree(top)
check.exit("ok")

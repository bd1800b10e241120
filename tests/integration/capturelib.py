# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the capture tests: run the real ttyauditd, read what it wrote,
and rebuild each terminal's byte streams from the records."""

import atexit
import base64
import json
import os
import pty
import pwd
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid


class Failures:
    """Collects failed checks; a test passes only if it checked something and nothing failed."""

    def __init__(self, name):
        self.name = name
        self.failed = []
        self.count = 0

    def check(self, cond, what):
        self.count += 1
        if not cond:
            self.failed.append(what)
            print(f"FAIL: {what}", file=sys.stderr)
        return cond

    def result(self):
        if self.count == 0:
            print("no checks ran", file=sys.stderr)
            return 1
        print(f"{self.name}: {self.count} checks, {len(self.failed)} failed", file=sys.stderr)
        return 1 if self.failed else 0


def build_dir():
    return os.environ["TA_BUILD_DIR"]


def binary(rel):
    return os.path.join(build_dir(), rel)


def pattern(n):
    """The big write of ta-ptydrive: byte i is (i * 7 + i // 251) & 0xff."""
    return bytes(((i * 7 + i // 251) & 0xFF) for i in range(n))


def expected_output(tag, big):
    return (f"{tag} READY\n{tag} GOT:hello {tag}\n{tag} PASSWORD?\n"
            f"{tag} PWLEN:{len('s3cret-' + tag)}\n").encode() + pattern(big) + \
        f"iov-one|iov-two|iov-three\n{tag}-exec arg two words\n".encode()


def remove_tree(path):
    """Removes a test's directory: the daemon's segments are append-only (chattr +a), and
    a daemon that was killed leaves its audit watch rules on the directory behind."""
    if not path or not os.path.isdir(path):
        return
    try:
        rules = subprocess.run(["auditctl", "-l"], capture_output=True, text=True).stdout
    except OSError:
        rules = ""
    for line in rules.splitlines():
        if line.startswith("-a ") and f"dir={path}" in line:
            subprocess.run(["auditctl", "-d", *line.split()[1:]], capture_output=True)
    subprocess.run(["chattr", "-R", "-a", path], capture_output=True)
    shutil.rmtree(path, ignore_errors=True)


class Daemon:
    """ttyauditd in the foreground, writing JSON Lines to a temp file."""

    def __init__(self, *args, stderr=None, wrap=()):
        self.dir = tempfile.mkdtemp(prefix="ta-capture-")
        self.jsonl = os.path.join(self.dir, "events.jsonl")
        self.errpath = os.path.join(self.dir, "stderr.txt")
        # The log shares the private temporary directory (root's, 0700) with the socket.
        self.log_dir = self.dir
        self.args = [*wrap, binary("agent/daemon/ttyauditd"), "--foreground",
                     "--log-dir", self.log_dir, "--jsonl", self.jsonl,
                     "--login-socket", os.path.join(self.dir, "login.sock"), *args]
        # The fallback programs (no bpf_loop, no task storage) are tested on this kernel too.
        if os.environ.get("TA_TEST_PROGRAMS"):
            self.args += ["--programs", os.environ["TA_TEST_PROGRAMS"]]
        self.stderr_target = stderr
        self.proc = None
        atexit.register(self.cleanup)

    def cleanup(self):
        """At the test's exit, on every path: the daemon stopped, its directory gone
        (TA_KEEP=1 keeps it for a look)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not os.environ.get("TA_KEEP"):
            remove_tree(self.dir)

    def start(self, timeout=60):
        err = self.stderr_target if self.stderr_target is not None else open(self.errpath, "wb")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ttyauditd exited with {self.proc.returncode}: {self.stderr()}")
            if any(r["type"] == "agent_start" for r in self.records(quiet=True)):
                return self
            time.sleep(0.1)
        raise RuntimeError("ttyauditd did not start in time")

    def stop(self, sig=signal.SIGTERM, timeout=120):
        time.sleep(0.3)  # let the last writes reach the ring buffer
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def stderr(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def records(self, quiet=False):
        out = []
        try:
            with open(self.jsonl, "rb") as f:
                for line in f:
                    if line.endswith(b"\n"):
                        out.append(json.loads(line))
        except FileNotFoundError:
            if not quiet:
                raise
        return out


def run_ptydrive(*args):
    p = subprocess.run([binary("tests/lib/ta-ptydrive"), *args], capture_output=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"ta-ptydrive failed: {p.stderr.decode(errors='replace')}")
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def tty_name(facts):
    """ta-ptydrive says "pts/3"; the kernel's tty->name is "pts3"."""
    return facts["tty"].replace("/", "")


def stream(records, tty, kind, ses=None):
    """Concatenated payload of one terminal and direction, in recorded order;
    with ses, only that session's (ptys are reused by later sessions)."""
    key = "ses" if kind == "output" else "owner_ses"
    out = bytearray()
    for r in records:
        if r["type"] == kind and r.get("tty") == tty and "data" in r and \
                (ses is None or r.get(key) == ses):
            out += base64.b64decode(r["data"])
    return bytes(out)


def opost(data, oflag, column=0):
    """What the terminal showed for data written with output modes oflag (the JSONL
    "oflag" list), as n_tty's do_output_char does it. Returns (bytes, column)."""
    if "opost" not in oflag:
        return data, column
    out = bytearray()
    for c in data:
        if c == 0x0A:
            if "onlret" in oflag:
                column = 0
            if "onlcr" in oflag:
                column = 0
                out += b"\r\n"
                continue
        elif c == 0x0D:
            if "onocr" in oflag and column == 0:
                continue
            if "ocrnl" in oflag:
                c = 0x0A
                if "onlret" in oflag:
                    column = 0
            else:
                column = 0
        elif c == 0x09:
            spaces = 8 - (column & 7)
            column += spaces
            if "xtabs" in oflag:
                out += b" " * spaces
                continue
        elif c == 0x08:
            column = max(0, column - 1)
        elif not (c < 0x20 or 0x7F <= c < 0xA0):
            if "olcuc" in oflag and 0x61 <= c <= 0x7A:
                c -= 0x20
            if c & 0xC0 != 0x80:
                column += 1
        out.append(c)
    return bytes(out), column


def shown_stream(records, tty, ses):
    """The output of one terminal and session as the terminal showed it (exports, replay)."""
    out, column = bytearray(), 0
    for r in records:
        if r["type"] == "output" and r.get("tty") == tty and "data" in r and r.get("ses") == ses:
            data, column = opost(base64.b64decode(r["data"]), r.get("oflag", []), column)
            out += data
    return bytes(out)


def of_type(records, kind, **match):
    return [r for r in records if r["type"] == kind and all(r.get(k) == v for k, v in match.items())]


def unix_result_checks(f, where, facts, recs, unix_fn=False):
    """`ta-hostile unix UID` (facts) against the records: each connect and bind of its child
    recorded at its exit with its result (ret, errno); one that succeeded named by the kernel's
    socket (path_from "kernel", its inode), one that failed by its address (path_from "call",
    the kernel's copy, where the unix family's functions are hooked: unix_fn, the fentry
    and kprobe backends; else "caller", its buffer); the socket served in a user namespace under the
    root-only socket's name recorded with its own inode, not the real socket's; the 32-bit
    socketcall too where int 0x80 exists; io_uring's connect and bind (6.11 on) by the sockets
    they reached, where io_uring's completions can be read or unix_fn."""
    import errno
    # By process: io_uring's requests may complete in one of its io_uring workers (threads).
    mine = [r for r in of_type(recs, "unix_socket") if r.get("tgid") == facts["pid"]]
    failed_from = "call" if unix_fn else "caller"

    def rec(op, path, ret):
        """The first record of that call (the refused connect is made twice where int 0x80 is)."""
        hit = [r for r in mine if r.get("op") == op and r.get("path") == path and r.get("ret") == ret]
        return hit[0] if hit else {"found": 0}
    f.check(facts["denied"] == errno.EACCES and facts["ok"] == 0 and facts["missing"] == errno.ENOENT
            and facts["bind_busy"] == errno.EADDRINUSE, f"{where}: the calls ended as planned: {facts}")
    r = rec("connect", facts["priv"], -errno.EACCES)
    f.check(r.get("errno") == errno.EACCES and r.get("path_from") == failed_from and "inode" not in r,
            f"{where}: the refused connect is recorded with EACCES and its address "
            f"(path_from {failed_from}): {r}")
    r = rec("connect", facts["pub"], 0)
    f.check(r.get("path_from") == "kernel" and r.get("inode") == facts["pub_inode"],
            f"{where}: the connect that succeeded names the server's socket by its inode "
            f"({facts['pub_inode']}): {r}")
    r = rec("connect", facts["missing_path"], -errno.ENOENT)
    f.check(r.get("errno") == errno.ENOENT and r.get("path_from") == failed_from,
            f"{where}: the connect to a missing path: ENOENT ({r})")
    r = rec("bind", facts["pub"], -errno.EADDRINUSE)
    f.check(r.get("errno") == errno.EADDRINUSE, f"{where}: the bind over a live socket: EADDRINUSE ({r})")
    if facts["socketcall"] != 1:  # int 0x80 exists there
        sc = [x for x in mine if x.get("op") == "connect" and x.get("path") == facts["priv"]
              and x.get("ret") == -errno.EACCES]
        f.check(facts["socketcall"] == -errno.EACCES and len(sc) == 2 and
                all(x.get("errno") == errno.EACCES and x.get("path_from") == failed_from for x in sc),
                f"{where}: the refused connect by 32-bit socketcall too: {facts['socketcall']} {sc}")
    if facts["spoof"] == 0:  # unprivileged user namespaces exist there
        r = rec("connect", facts["priv"], 0)
        f.check(r.get("path_from") == "kernel" and r.get("inode") == facts["spoof_inode"] and
                r.get("inode") != facts["priv_inode"],
                f"{where}: a socket served under the root-only socket's name in a user namespace is "
                f"recorded with its own inode ({facts['spoof_inode']}), not the real one's "
                f"({facts['priv_inode']}): {r}")
    else:
        print(f"{where}: no unprivileged user namespace here ({facts['spoof']}): spoof not tried")
    # io_uring's requests: seen in the unix family's functions, else at their completion,
    # which kernels before 5.19 do not name (hooks_missing says so).
    starts = of_type(recs, "agent_start")
    missing = starts[-1].get("hooks_missing", "") if starts else ""
    uring_seen = unix_fn or "io_uring_complete" not in missing
    conns = [x for x in mine if x.get("op") == "connect" and x.get("path") == facts["pub"]
             and x.get("ret") == 0]
    if facts["uring_connect"] == 0 and uring_seen:
        f.check(len(conns) == 2 and all(x.get("inode") == facts["pub_inode"] for x in conns),
                f"{where}: the connect by io_uring is recorded too, by the socket it reached: {conns}")
    else:
        print(f"{where}: io_uring connect {facts['uring_connect']}, its completions "
              f"{'seen' if uring_seen else 'not readable'}: not checked")
    r = rec("bind", facts["uring_bound"], 0)
    if facts["uring_bind"] == 0 and uring_seen:
        f.check(r.get("path_from") == "kernel" and r.get("inode") == facts["uring_bound_inode"],
                f"{where}: the bind by io_uring is recorded, by the socket it bound "
                f"({facts['uring_bound_inode']}): {r}")
    else:
        print(f"{where}: io_uring bind {facts['uring_bind']} (IORING_OP_BIND is 6.11's): not checked")
    binds = [x for x in mine if x.get("op") == "bind" and x.get("ret") == 0
             and x.get("path") != facts["uring_bound"]]
    f.check(len(binds) == (1 if facts["spoof"] == 0 else 0),
            f"{where}: an autobind (no name given) names no server: {binds}")


def lost_bytes(records):
    return sum(r.get("bytes", 0) for r in records if r["type"] == "gap")


def outside_gaps(records, tty, ses, exp):
    """Compares every recorded output byte of a session's terminal with what was
    written there, when some of it was lost: each chunk is placed in exp at its
    call's start plus its offset (a call starts where its first recorded chunk is
    found after what came before), and must equal exp there. Returns (differ,
    holes): recorded bytes that differ from (or cannot be placed in) exp, and
    bytes of exp that no recorded chunk covers (the gaps must account for them)."""
    cursor, start, differ, covered = 0, {}, 0, 0
    for r in records:
        if r["type"] != "output" or r.get("tty") != tty or r.get("ses") != ses or \
                not r.get("data"):
            continue
        data = base64.b64decode(r["data"])
        call, off = r.get("call"), r.get("offset", 0)
        if off == 0 or call not in start:  # a new call (ids may be reused)
            pos = exp.find(data, cursor)
            if pos < 0:
                differ += len(data)
                continue
            start[call] = pos - off
        pos = start[call] + off
        if pos < cursor or exp[pos:pos + len(data)] != data:
            differ += len(data)
            continue
        covered += len(data)
        cursor = pos + len(data)
    return differ, len(exp) - covered


def drive_shell(argv, lines, env=None, timeout=20, settle=0.3):
    """Run argv on a new pty, type lines with pauses between them, return all it showed."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env or os.environ)
    time.sleep(0.5 + settle)
    for line in lines:
        os.write(fd, line)
        time.sleep(settle)
    return read_until_exit(pid, fd, timeout, kill=True)


def converse(argv, steps, env=None, timeout=60, settle=0.3):
    """Run argv on a new pty and hold a conversation with it: steps are (pattern, bytes);
    each waits for the regex pattern (bytes; None: no wait) in output after the last match,
    then `settle` seconds, then types the bytes. Typed text belongs to the terminal mode
    it meets, so a password waits for its prompt (PAM prints the prompt before it turns
    echo off and flushes typed-ahead input: hence the settle). Returns all it showed;
    the child is killed if it has not exited by the end."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env or os.environ)
    out, pos = b"", 0
    for want, data in steps:
        if want is not None:
            rx, end, m = re.compile(want), time.time() + timeout, None
            while time.time() < end:
                m = rx.search(out, pos)
                if m:
                    break
                if select.select([fd], [], [], 0.2)[0]:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        break
                    out += chunk
            if not m:
                print(f"converse: {want!r} not seen; output ends {out[-200:]!r}", file=sys.stderr)
                break  # the caller's checks say what is missing
            pos = m.end()
            time.sleep(settle)
        os.write(fd, data)
    return out + read_until_exit(pid, fd, timeout, kill=True)


def read_until_exit(pid, fd, timeout, kill=False):
    """What the child on the pty master fd shows until it exits (or timeout: with
    kill, it is then killed); reaps it."""
    out = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif os.waitpid(pid, os.WNOHANG)[0]:
            return out
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    return out


GAP_FIELDS = ("reason", "since", "until", "events", "bytes")
LOST_LINE = re.compile(r"(\d+) events, (\d+) bytes lost")
LOST_HEADER = re.compile(r"  gaps \d+ \(lost (\d+) events, (\d+) B\)")


def gap_views(log_dir, ses):
    """How the readers show a session's gaps: the header count of `query --json`, the
    texts of `show`'s GAP lines, the gap events of `show --json`, the markers of
    `export --format asciicast --markers` whose text is one of those GAP lines, and
    what each reader says was lost, as (events, bytes) per view: query's JSON row,
    show's header and the sum of its GAP lines, show --json's session line and the sum
    of its gap events, the same of `export --format json`, the sum of the asciicast
    gap markers. Gap events whose fields are missing are listed under "malformed"."""
    def cli(*args):
        return subprocess.run([binary("agent/cli/ttyaudit"), *args, "--log-dir", log_dir],
                              capture_output=True, timeout=300).stdout.decode(errors="replace")

    def lost_in(lines):
        ev = by = 0
        for line in lines:
            m = LOST_LINE.search(line)
            if m:
                ev += int(m.group(1))
                by += int(m.group(2))
        return ev, by

    def json_view(out, numbers, malformed):
        rows = []
        for line in out.splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass
        head = rows[0] if rows else {}
        gaps = [e for e in rows[1:] if e.get("type") == "gap"]
        malformed += [e for e in gaps if not all(k in e for k in GAP_FIELDS)]
        numbers.append((head.get("lost_events"), head.get("lost_bytes")))
        numbers.append((sum(e.get("events") or 0 for e in gaps),
                        sum(e.get("bytes") or 0 for e in gaps)))
        return len(gaps)

    rows = [json.loads(line) for line in cli("query", "--json").splitlines()
            if line.startswith("{")]
    row = next((r for r in rows if r.get("ses") == ses), {})
    lost = {"query": (row.get("lost_events"), row.get("lost_bytes"))}
    show = cli("show", str(ses)).splitlines()
    texts = [line.split("GAP: ", 1)[1] for line in show if "GAP: " in line]
    head = next((LOST_HEADER.search(line) for line in show if LOST_HEADER.search(line)), None)
    lost["show header"] = (int(head.group(1)), int(head.group(2))) if head else None
    lost["show GAP lines"] = lost_in(texts)
    malformed, nums = [], []
    json_gaps = json_view(cli("show", "--json", str(ses)), nums, malformed)
    lost["show --json session"], lost["show --json gap events"] = nums
    nums = []
    json_view(cli("export", "--format", "json", str(ses)), nums, malformed)
    lost["export json session"], lost["export json gap events"] = nums
    wanted, markers = set(texts), []
    for line in cli("export", "--format", "asciicast", "--markers", str(ses)).splitlines()[1:]:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if ev[1] == "m" and ev[2] in wanted:
            markers.append(ev[2])
    lost["asciicast markers"] = lost_in(markers)
    lost["malformed"] = malformed
    return row, texts, json_gaps, markers, lost


def same_loss(lost):
    """Whether every view of gap_views says the same (events, bytes): (bool, the views)."""
    views = {k: v for k, v in lost.items() if k != "malformed"}
    return len(set(views.values())) == 1 and not lost["malformed"], views


class Session:
    """bash on a new pty, in an audit session with login uid auid; runs one script."""

    def __init__(self, auid, script, timeout=60):
        self.auid = auid
        pid, fd = pty.fork()
        if pid == 0:
            try:
                with open("/proc/self/loginuid", "w") as f:
                    f.write(str(auid))
                os.execv("/bin/bash", ["bash", "--norc", "--noprofile", "-c", script])
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.ses = None
        # The kernel sets the session id before the login uid: read it after seeing the uid.
        end = time.time() + 30
        while time.time() < end:
            try:
                with open(f"/proc/{pid}/loginuid") as f:
                    if int(f.read()) == auid:
                        with open(f"/proc/{pid}/sessionid") as f:
                            self.ses = int(f.read())
                        break
            except (OSError, ValueError):
                break
            time.sleep(0.01)
        self.out = read_until_exit(pid, fd, timeout, kill=True)
        os.close(fd)


class Scratch:
    """A private directory (and a user, a sudoers entry allowing /usr/bin/true, a listener),
    removed on every way out."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ta-fp-")
        os.chmod(self.dir, 0o755)
        self.user = None
        self.sudoers = None
        self.socks = []

    def make_user(self):
        self.user = "tafp" + uuid.uuid4().hex[:10]
        subprocess.run(["useradd", "-M", "-N", "-s", "/bin/sh", self.user], check=True,
                       capture_output=True)
        self.sudoers = f"/etc/sudoers.d/ttyaudit-fp-{os.getpid()}"
        with open(self.sudoers, "w") as f:
            f.write(f"{self.user} ALL=(ALL) NOPASSWD: /usr/bin/true, /bin/true\n")
        os.chmod(self.sudoers, 0o440)
        return pwd.getpwnam(self.user)

    def listener(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        self.socks.append(s)
        return s

    def close(self):
        for s in self.socks:
            s.close()
        if self.sudoers and os.path.exists(self.sudoers):
            os.unlink(self.sudoers)
        if self.user:
            subprocess.run(["pkill", "-KILL", "-u", self.user], capture_output=True)
            subprocess.run(["userdel", self.user], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

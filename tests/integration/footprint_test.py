#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A session's footprint (issue 18) under the real ttyauditd and the real
kernel: a shell on a real pty, in an audit session of its own (loginuid
written as login programs do), writes, renames, deletes, chmods and chowns
real files, connects and accepts real TCP connections, and changes privilege
(setpriv, and sudo run by an unprivileged user). Each call must be in the
log with the session's auid/ses, the process's pid/uid and the terminal;
processes outside any session must not be; show/query/export render them;
hostile names are neutralised; a flood of opens neither blinds the terminal
capture nor goes unaccounted.

usage: footprint_test.py CASE   (TA_BUILD_DIR set; root)
CASE: kinds, outside, render, modes, flood, share, rename_race, relative, other_roads"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capturelib import Daemon, Failures, Scratch, Session, binary  # noqa: E402


def skip(why):
    print(f"SKIPPED: {why}")
    sys.exit(77)


def on_sigterm(signum, frame):
    raise SystemExit(1)  # run the finally blocks (meson's timeout sends SIGTERM)


def cli(*args):
    p = subprocess.run([binary("agent/cli/ttyaudit"), *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def footprints(records, **match):
    return [r for r in records if r["type"] == "footprint" and
            all(r.get(k) == v for k, v in match.items())]


def footprint_lost(records, ses):
    """Footprint calls of the session counted as lost (gap records): in the kernel (their
    ring full) or in the daemon (the session over its share of the log writer's queue while
    the log fell behind: docs/capture.md, "The log's write rate")."""
    return sum(r.get("events", 0) for r in records if r["type"] == "gap" and
               r.get("reason") in ("footprint_ring_full", "queue_share") and r.get("ses") == ses)


def attributed(f, r, s, what):
    """auid, ses, uid and a terminal: as everything else of the session."""
    f.check(r.get("auid") == s.auid, f"{what}: auid {r.get('auid')} == {s.auid}")
    f.check(r.get("ses") == s.ses, f"{what}: ses {r.get('ses')} == {s.ses}")
    f.check(isinstance(r.get("pid"), int) and r["pid"] > 1, f"{what}: a pid")
    f.check(str(r.get("tty", "")).startswith("pts"), f"{what}: the session's pty ({r.get('tty')})")


def run_daemon(*args):
    d = Daemon("--backend", "tracepoint", *args)
    try:
        return d.start()
    except BaseException:
        finish(d)  # a daemon that did not come up is not left behind
        raise


def finish(d):
    """Stop the daemon if still running and remove its (append-only) log."""
    if d is None:
        return
    if d.proc and d.proc.poll() is None:
        d.proc.terminate()
        try:
            d.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            d.proc.kill()
            d.proc.wait()
    subprocess.run(["chattr", "-R", "-a", d.dir], capture_output=True)
    shutil.rmtree(d.dir, ignore_errors=True)


def case_kinds(f):
    sc = Scratch()
    d = None
    try:
        pw = sc.make_user()
        lst = sc.listener()
        lport = lst.getsockname()[1]
        acc_port_file = os.path.join(sc.dir, "accport")
        base = os.path.join(sc.dir, "f")
        # The accepting side: a python server in the session; the test connects to it.
        server = ("import socket,sys;s=socket.socket();s.bind(('127.0.0.1',0));s.listen(1);"
                  f"open('{acc_port_file}','w').write(str(s.getsockname()[1]));"
                  "c,a=s.accept();c.close()")
        script = f"""
echo data > {base}.new
echo more >> {base}.new
mv {base}.new {base}.moved
chmod 640 {base}.moved
chown {pw.pw_uid}:{pw.pw_gid} {base}.moved
mkdir {base}.dir
rmdir {base}.dir
cat {base}.moved > /dev/null
rm {base}.moved
exec 3<>/dev/tcp/127.0.0.1/{lport}
exec 3>&-
python3 -c "{server}" &
wait
setpriv --reuid={pw.pw_uid} --regid={pw.pw_gid} --clear-groups \
    sudo -n /usr/bin/true && echo SUDO-OK
setpriv --reuid=65534 --regid=65534 --clear-groups true
echo DONE
"""
        d = run_daemon()
        auid = 40000 + os.getpid() % 20000

        def connect_when_listening():
            for _ in range(300):
                try:
                    with open(acc_port_file) as fp:
                        port = int(fp.read())
                    with socket.create_connection(("127.0.0.1", port), timeout=5):
                        return
                except (OSError, ValueError):
                    time.sleep(0.05)
        import threading
        t = threading.Thread(target=connect_when_listening)
        t.start()
        s = Session(auid, script)
        t.join()
        conn, _ = lst.accept()
        conn.close()
        f.check(s.ses is not None, "the session got an audit session id")
        f.check(b"DONE" in s.out, f"the script ran ({s.out[-300:]!r})")
        f.check(b"SUDO-OK" in s.out, f"sudo ran as the unprivileged user ({s.out[-300:]!r})")
        d.stop()
        recs = [r for r in d.records() if r.get("ses") == s.ses]
        fp = footprints(recs)

        def one(what, **m):
            hits = footprints(recs, **m)
            if f.check(len(hits) >= 1, f"{what} recorded ({m})"):
                attributed(f, hits[0], s, what)
            return hits[0] if hits else {}

        r = one("create", op="open", path=f"{base}.new", flags="wronly,creat,trunc")
        f.check(r.get("uid") == 0 and r.get("ret", -1) >= 0, "create: uid 0, succeeded")
        one("append", op="open", path=f"{base}.new", flags="wronly,creat,append")
        r = one("rename", op="rename", path2=f"{base}.moved")
        f.check(r.get("path") == f"{base}.new", "rename: both names")
        f.check(r.get("comm") == "mv", f"rename: by mv ({r.get('comm')})")
        one("chmod", op="chmod", mode="0640")
        r = one("chown", op="chown")
        f.check(r.get("owner") == pw.pw_uid and r.get("group") == pw.pw_gid, "chown: the ids")
        one("mkdir", op="mkdir", path=f"{base}.dir")
        one("rmdir", op="rmdir", path=f"{base}.dir")
        one("unlink", op="unlink", path=f"{base}.moved")
        f.check(not [x for x in fp if x["op"] == "open" and x.get("path") == f"{base}.moved"],
                "a read-only open is not recorded by default")
        r = one("connect", op="connect", addr="127.0.0.1", port=lport)
        f.check(r.get("proto") == "tcp", f"connect: tcp ({r.get('proto')})")
        r = one("accept", op="accept", addr="127.0.0.1")
        f.check(r.get("proto") == "tcp" and r.get("comm", "").startswith("python"),
                f"accept: tcp, by python ({r})")
        # sudo: a set-user-ID exec by the user, then root reached inside sudo
        r = one("exec of sudo", op="exec_setid")
        f.check(r.get("euid") == 0 and r.get("ruid") == pw.pw_uid and r.get("root") is True,
                f"sudo's exec: euid 0 for uid {pw.pw_uid}, marked root ({r})")
        roots = [x for x in fp if x["op"] == "setuid" and x.get("ruid") == 0 and
                 x.get("euid") == 0 and x.get("comm") == "sudo"]
        f.check(len(roots) >= 1, "sudo reaching uid 0 (setuid with ruid=euid=0)")
        drops = [x for x in fp if x["op"] == "setuid" and x.get("euid") == 65534 and
                 x.get("comm") == "setpriv"]
        f.check(len(drops) >= 1, "setpriv dropping to 65534 is a setuid record")
        f.check(all(x.get("ses") == s.ses and x.get("auid") == auid for x in fp),
                "every footprint record of the session carries its auid")
        # The session is found as privileged, and by the user it logged in as.
        rc, out, err = cli("query", "--log-dir", d.log_dir, "--user", str(auid), "--privileged",
                           "--json")
        rows = [json.loads(x) for x in out.splitlines() if x.strip()]
        f.check(rc == 0 and len(rows) == 1 and rows[0].get("ses") == s.ses,
                f"query --user {auid} --privileged lists the session ({rc} {err} {rows})")
        rc, out, err = cli("show", "--log-dir", d.log_dir, rows[0]["session"] if rows else "x")
        f.check(b"priv exec_setid /usr/bin/sudo" in out and b"[root]" in out,
                "show has sudo's set-user-ID exec, marked root")
    finally:
        finish(d)
        sc.close()


def case_outside(f):
    """Processes outside any recorded session (no terminal, no audit session) pay nothing."""
    sc = Scratch()
    d = None
    try:
        f.check(open("/proc/self/loginuid").read().strip() == "4294967295",
                "the test itself runs outside any audit session")
        d = run_daemon()
        path = os.path.join(sc.dir, "outside")
        p = subprocess.run(["sh", "-c", f"echo x > {path}; mv {path} {path}.2; rm {path}.2"],
                           stdin=subprocess.DEVNULL, start_new_session=True)
        f.check(p.returncode == 0, "the outside commands ran")
        s = Session(40000 + os.getpid() % 20000 + 1, f"echo y > {path}.in; rm {path}.in")
        d.stop()
        recs = d.records()
        out = [r for r in footprints(recs) if str(r.get("path", "")).startswith(path) and
               not r["path"].startswith(path + ".in")]
        f.check(not out, f"nothing outside a session is recorded ({out[:2]})")
        f.check(footprints(recs, path=f"{path}.in", ses=s.ses),
                "the same calls inside a session are")
    finally:
        finish(d)
        sc.close()


HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\nfake-line"


def case_render(f):
    """show's #| lines, --json, query's filters, asciicast markers; a hostile file name."""
    sc = Scratch()
    d = None
    rules = os.path.join(sc.dir, "rules.conf")
    tag = uuid.uuid4().hex[:8]
    with open(rules, "w") as fp:
        fp.write(f"rule = fp-{tag}\non = footprint\nop = ^unlink$\npath = {tag}\n"
                 "severity = high\n")
    os.chmod(rules, 0o600)
    try:
        lst = sc.listener()
        port = lst.getsockname()[1]
        hostile = os.path.join(sc.dir, HOSTILE)
        base = os.path.join(sc.dir, f"r-{tag}")
        d = run_daemon("--rules-file", rules)
        # The name reaches the shell through the environment: no quoting to get wrong.
        os.environ["TA_FP_HOSTILE"] = hostile
        script = (f'echo a > {base}; rm {base}; printf x > "$TA_FP_HOSTILE"; '
                  f"exec 3<>/dev/tcp/127.0.0.1/{port}; echo END-{tag}")
        s = Session(40000 + os.getpid() % 20000 + 2, script)
        f.check(os.path.exists(hostile), "the hostile name was created")
        f.check(f"END-{tag}".encode() in s.out, "the script ran")
        d.stop()
        rc, out, err = cli("query", "--log-dir", d.log_dir, "--json", "--no-index")
        rows = [json.loads(x) for x in out.splitlines() if x.strip()]
        sid = [r["session"] for r in rows if str(r["session"]).endswith(f"-{s.ses}")]
        if not f.check(len(sid) == 1, f"query lists the session ({rc} {err} {rows[:3]})"):
            return
        sid = sid[0]
        rc, out, err = cli("show", "--log-dir", d.log_dir, sid)
        text = out.decode(errors="replace")
        fp_lines = [x for x in text.splitlines() if x.startswith("#|") or "#|" in x[:40]]
        f.check(rc == 0, f"show ran ({err})")
        f.check(any(f"file unlink {base}" in x for x in fp_lines),
                f"show has the unlink inline ({fp_lines[:8]})")
        f.check(any(f"net connect tcp 127.0.0.1:{port}" in x for x in fp_lines),
                "show has the connect inline")
        f.check(any(f"ALERT fp-{tag} (high)" in x for x in fp_lines),
                "show has the alert the unlink raised")
        f.check(b"\x1b]0;pwned" not in out and b"\x07" not in out,
                "no escape sequence of the file name reaches the terminal")
        f.check(not any(x.startswith("fake-line") for x in text.splitlines()),
                "a newline in the file name does not start a line of its own")
        rc, out, err = cli("show", "--log-dir", d.log_dir, "--json", sid)
        evs = [json.loads(x) for x in out.splitlines() if x.strip()]
        fpj = [e for e in evs if e.get("type") == "footprint"]
        f.check(any(e["record"].get("path") == hostile for e in fpj),
                "show --json keeps the exact name")
        f.check(any(e.get("type") == "alert" for e in evs), "show --json has the alert")
        for args, want in ((["--file", base], True), (["--file", f"r-{tag}"], True),
                           (["--file", base + ".nope"], False),
                           (["--connect", f"127.0.0.1:{port}"], True),
                           (["--connect", f"localhost:{port}"], True),
                           (["--connect", "192.0.2.1"], False),
                           (["--alerts"], True), (["--privileged"], False)):
            rc, out, err = cli("query", "--log-dir", d.log_dir, "--session", sid, "--json", *args)
            got = any(x.strip() for x in out.splitlines())
            f.check(rc == 0 and got == want, f"query {args}: {'listed' if want else 'not listed'}"
                    f" ({rc} {err})")
        rc, out, err = cli("query", "--log-dir", d.log_dir, "--connect", "[::1")
        f.check(rc == 2 and "--connect" in err, f"a bad --connect is one usage error ({rc} {err})")
        cast = os.path.join(sc.dir, "s.cast")
        rc, out, err = cli("export", "--log-dir", d.log_dir, "--format", "asciicast",
                           "--markers", "--output", cast, sid)
        if f.check(rc == 0, f"export ran ({err})"):
            with open(cast, "rb") as fp:
                lines = fp.read().splitlines()
            markers = [json.loads(x)[2] for x in lines[1:] if json.loads(x)[1] == "m"]
            f.check(any(f"file unlink {base}" in m for m in markers),
                    f"the asciicast has the footprint as markers ({markers[:5]})")
            f.check(not any("\x1b" in m or "\x07" in m for m in markers),
                    "markers are neutralised")
    finally:
        finish(d)
        sc.close()


def case_modes(f):
    """--footprint all records read-only opens; off records nothing."""
    for mode, want_read, want_any in (("all", True, True), ("off", False, False)):
        sc = Scratch()
        d = None
        try:
            path = os.path.join(sc.dir, "read-me")
            with open(path, "w") as fp:
                fp.write("x\n")
            d = run_daemon("--footprint", mode)
            s = Session(40000 + os.getpid() % 20000 + 3, f"cat {path} >/dev/null; rm {path}")
            d.stop()
            recs = footprints(d.records(), ses=s.ses)
            reads = [r for r in recs if r["op"] == "open" and r.get("path") == path and
                     r.get("flags") == "rdonly"]
            f.check(bool(reads) == want_read, f"--footprint {mode}: read-only open "
                    f"{'recorded' if want_read else 'not recorded'}")
            f.check(bool(recs) == want_any, f"--footprint {mode}: footprint "
                    f"{'recorded' if want_any else 'not recorded'} ({len(recs)})")
            start = [r for r in d.records() if r["type"] == "agent_start"]
            f.check(start and start[0].get("footprint") == mode,
                    f"agent_start says footprint {mode}")
        finally:
            finish(d)
            sc.close()


def case_flood(f):
    """200000 creates in a session: terminal output intact, every footprint record kept or counted."""
    sc = Scratch()
    d = None
    n = 200000
    try:
        path = os.path.join(sc.dir, "flood")
        tag = uuid.uuid4().hex[:8]
        prog = (f"import os\nfor i in range({n}):\n"
                f"    os.close(os.open('{path}', os.O_WRONLY | os.O_CREAT, 0o600))\n"
                f"    if i % 20000 == 0: print('TICK-{tag}', i, flush=True)\n"
                f"print('END-{tag}', flush=True)\n")
        prog_path = os.path.join(sc.dir, "flood.py")
        with open(prog_path, "w") as fp:
            fp.write(prog)
        d = run_daemon()
        s = Session(40000 + os.getpid() % 20000 + 4, f"python3 {prog_path}", timeout=300)
        f.check(f"END-{tag}".encode() in s.out, "the flood ran")
        d.stop()
        recs = d.records()
        mine = footprints(recs, ses=s.ses, path=path, op="open")
        lost = footprint_lost(recs, s.ses)
        out = b"".join(
            __import__("base64").b64decode(r["data"]) for r in recs
            if r["type"] == "output" and r.get("ses") == s.ses and "data" in r)
        f.check(out.count(f"TICK-{tag}".encode()) == n // 20000 and f"END-{tag}".encode() in out,
                "every line of terminal output was captured despite the flood")
        # Other footprint of the session (python starting) may be among the lost: a few more.
        f.check(n <= len(mine) + lost <= n + 100,
                f"recorded {len(mine)} + counted lost {lost} == {n} (give or take startup)")
        print(f"flood: {len(mine)} recorded, {lost} counted as lost", file=sys.stderr)
    finally:
        finish(d)
        sc.close()


def case_share(f):
    """One person creates a file in a loop (a record a call) while the drain is stalled and
    another person writes one file meanwhile: the footprint ring is shared per person, so
    the other's record is kept and nothing is counted lost under its session; the flood
    loses its own records, counted under its session."""
    sc = Scratch()
    d = flood = None
    base = 40000 + os.getpid() % 20000
    try:
        path, victim_path = os.path.join(sc.dir, "flood"), os.path.join(sc.dir, "victim")
        loop = (f"import os\nwhile True:\n"
                f"    os.close(os.open('{path}', os.O_WRONLY | os.O_CREAT, 0o600))\n")
        d = run_daemon()
        flood = subprocess.Popen(
            ["sh", "-c", f'echo {base + 5} > /proc/self/loginuid || exit 1; exec python3 -c "$0"',
             loop], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(1.0)
        os.kill(d.proc.pid, signal.SIGSTOP)  # a drain that stalls: the ring keeps what comes
        try:
            time.sleep(1.0)
            s = Session(base + 6, f"echo victim > {victim_path}")
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)
        os.killpg(flood.pid, signal.SIGKILL)
        flood.wait()
        d.stop()
        recs = d.records()
        mine = footprints(recs, ses=s.ses, path=victim_path, op="open")
        f.check(len(mine) == 1, f"the other person's write is recorded ({len(mine)})")
        f.check(footprint_lost(recs, s.ses) == 0,
                f"nothing is counted lost under its session ({footprint_lost(recs, s.ses)})")
        flood_ses = {r.get("ses") for r in footprints(recs, path=path)}
        cut = sum(footprint_lost(recs, ses) for ses in flood_ses)
        print(f"share: {sum(len(footprints(recs, ses=x, path=path)) for x in flood_ses)} of the "
              f"flood's records kept, {cut} counted lost", file=sys.stderr)
        f.check(len(flood_ses) == 1 and cut > 0,
                f"the flood lost its own records, counted under its session ({cut})")
    finally:
        if flood and flood.poll() is None:
            os.killpg(flood.pid, signal.SIGKILL)
            flood.wait()
        if d and d.proc and d.proc.poll() is None:
            os.kill(d.proc.pid, signal.SIGCONT)
        finish(d)
        sc.close()


def case_rename_race(f):
    """Two processes of a session rename the same names back and forth at once: every
    rename is recorded with the names its caller gave, or counted as lost."""
    sc = Scratch()
    d = None
    n = 2000
    try:
        a, b = os.path.join(sc.dir, "a"), os.path.join(sc.dir, "b")
        open(a, "w").close()
        prog = (f"import os,sys\nok=0\nfor i in range({n}):\n"
                f"    try:\n        os.rename(sys.argv[1], sys.argv[2]); ok+=1\n"
                f"    except OSError: pass\nprint('DONE', ok)\n")
        pp = os.path.join(sc.dir, "race.py")
        with open(pp, "w") as fp:
            fp.write(prog)
        d = run_daemon()
        s = Session(40000 + os.getpid() % 20000 + 5,
                    f"python3 {pp} {a} {b} & python3 {pp} {b} {a} & wait")
        d.stop()
        recs = d.records()
        mine = footprints(recs, ses=s.ses, op="rename")
        lost = footprint_lost(recs, s.ses)
        f.check(s.out.count(b"DONE") == 2, "both racers ran")
        good = [r for r in mine if (r.get("path"), r.get("path2")) in ((a, b), (b, a))]
        f.check(len(good) == len(mine), "every rename record names what its caller gave")
        f.check(len(mine) + lost >= 2 * n, f"{len(mine)} recorded + {lost} lost >= {2 * n}")
        ok = [r for r in mine if r.get("ret") == 0]
        fails = [r for r in mine if r.get("ret", 0) < 0 and r.get("errno") == 2]
        f.check(len(ok) + len(fails) == len(mine), "results: done, or ENOENT (the other won)")
    finally:
        finish(d)
        sc.close()


def case_relative(f):
    """Names relative to the working directory or to a dirfd, from a real pty: recorded as
    absolute paths (the base directory joined with the name, marked, the name as given
    kept), matched so by rules and by query --file."""
    sc = Scratch()
    d = None
    tag = uuid.uuid4().hex[:8]
    base = os.path.realpath(sc.dir)
    rules = os.path.join(sc.dir, "rules.conf")
    with open(rules, "w") as fp:
        fp.write(f"rule = rel-{tag}\non = footprint\nop = ^open$\n"
                 f"path = ^{re.escape(base)}/some-temp-file$\nseverity = high\n")
    os.chmod(rules, 0o600)
    at = ("import os,sys;fd=os.open(sys.argv[1],os.O_RDONLY|os.O_DIRECTORY);"
          "os.close(os.open('at-file',os.O_WRONLY|os.O_CREAT,0o600,dir_fd=fd));"
          "os.unlink('at-file',dir_fd=fd)")
    script = f"""
cd {base}
echo x >> ./some-temp-file
mkdir sub
cd sub
mv ../some-temp-file ./moved
chmod 600 moved
cd /
python3 -c "{at}" {base}
cd {base}/sub/../sub
rm moved
cd ..
rmdir sub
echo END-{tag}
"""
    try:
        d = run_daemon("--rules-file", rules)
        s = Session(40000 + os.getpid() % 20000 + 6, script)
        f.check(f"END-{tag}".encode() in s.out, f"the script ran ({s.out[-300:]!r})")
        d.stop()
        recs = d.records()
        mine = footprints(recs, ses=s.ses)

        def one(what, **m):
            hits = footprints(mine, **m)
            f.check(len(hits) >= 1, f"{what} recorded as {m} "
                    f"({[(x['op'], x.get('path'), x.get('path_given')) for x in mine][:12]})")
            return hits[0] if hits else {}

        r = one("append to ./some-temp-file", op="open", path=f"{base}/some-temp-file",
                flags="wronly,creat,append")
        f.check(r.get("path_given") == "./some-temp-file" and r.get("path_joined") == "cwd",
                f"the open keeps the name as given, joined to the cwd ({r})")
        r = one("mv ../some-temp-file ./moved", op="rename", path=f"{base}/some-temp-file",
                path2=f"{base}/sub/moved")
        f.check(r.get("path_given") == "../some-temp-file" and r.get("path2_given") == "./moved"
                and r.get("path2_joined") == "cwd", f"the rename keeps both names as given ({r})")
        one("chmod moved", op="chmod", path=f"{base}/sub/moved", path_given="moved")
        r = one("openat(dirfd, 'at-file')", op="open", path=f"{base}/at-file")
        f.check(r.get("path_joined") == "dirfd" and r.get("path_given") == "at-file" and
                isinstance(r.get("dirfd"), int) and r["dirfd"] >= 0,
                f"the openat is joined to its dirfd's directory, not the cwd / ({r})")
        one("unlinkat(dirfd, 'at-file')", op="unlink", path=f"{base}/at-file",
            path_joined="dirfd")
        one("rm moved (cwd reached through sub/../sub)", op="unlink", path=f"{base}/sub/moved")
        one("mkdir sub", op="mkdir", path=f"{base}/sub", path_given="sub")
        one("rmdir sub", op="rmdir", path=f"{base}/sub")
        f.check(not [x for x in mine if x.get("path") and not x["path"].startswith("/")],
                "no relative path is left in the session's footprint")
        alerts = [x for x in recs if x["type"] == "alert" and x.get("rule") == f"rel-{tag}"]
        f.check(len(alerts) == 1 and f"{base}/some-temp-file" in alerts[0].get("subject", ""),
                f"the rule on the absolute path fired once for ./some-temp-file ({alerts})")
        rc, out, err = cli("query", "--log-dir", d.log_dir, "--json", "--no-index")
        sid = [json.loads(x)["session"] for x in out.splitlines() if x.strip()]
        sid = [x for x in sid if str(x).endswith(f"-{s.ses}")]
        if not f.check(len(sid) == 1, f"query lists the session ({rc} {err})"):
            return
        for want_file, want in ((f"{base}/some-temp-file", True), (f"{base}/sub/moved", True),
                                (f"{base}/at-file", True), (f"{base}/nope", False),
                                ("/some-temp-file", False)):
            rc, out, err = cli("query", "--log-dir", d.log_dir, "--session", sid[0], "--json",
                               "--file", want_file)
            got = any(x.strip() for x in out.splitlines())
            f.check(rc == 0 and got == want,
                    f"query --file {want_file}: {'listed' if want else 'not listed'} ({rc} {err})")
        rc, out, err = cli("show", "--log-dir", d.log_dir, sid[0])
        f.check(f"file open wronly,creat,append {base}/some-temp-file".encode() in out,
                "show prints the absolute path")
    finally:
        finish(d)
        sc.close()


def case_other_roads(f):
    """The roads around a native system call: 32-bit calls (int 0x80) of a 64-bit process are
    recorded like native ones (marked compat32), io_uring's opens, connects and unlinks are
    recorded from their completion (via io_uring; what they named marked uncaptured, the
    connect's peer read from its socket). Nothing of either is silent."""
    sc = Scratch()
    d = None
    try:
        lst = sc.listener()
        port = lst.getsockname()[1]
        base = os.path.realpath(sc.dir)
        p1, p2, p3 = (os.path.join(base, x) for x in ("i80-a", "i80-b", "uring-a"))
        tool = binary("tests/lib/ta-fpcalls")
        d = run_daemon()
        s = Session(40000 + os.getpid() % 20000 + 7,
                    f"{tool} int80 {p1} {p2} {port}; echo RC80=$?; "
                    f"{tool} uring {p3} {port}; echo RCURING=$?")
        out = s.out.decode(errors="replace")
        d.stop()
        mine = footprints(d.records(), ses=s.ses)
        if "RC80=77" in out:
            print("int 0x80: not on this kernel", file=sys.stderr)
        else:
            f.check("RC80=0" in out, f"the 32-bit calls ran ({out[-400:]!r})")
            for what, m in (("open", dict(op="open", path=p1, flags="wronly,creat")),
                            ("rename", dict(op="rename", path=p1, path2=p2)),
                            ("unlink", dict(op="unlink", path=p2)),
                            ("socketcall connect", dict(op="connect", addr="127.0.0.1",
                                                        port=port))):
                hits = [x for x in footprints(mine, **m) if x.get("compat32") is True]
                f.check(len(hits) == 1, f"32-bit {what} recorded, marked compat32 "
                        f"({[(x['op'], x.get('path'), x.get('compat32')) for x in mine][:10]})")
        if "RCURING=77" in out:
            print("io_uring: not on this kernel", file=sys.stderr)
        else:
            f.check("RCURING=0" in out and "openat=" in out, f"io_uring ran ({out[-400:]!r})")
            ur = [x for x in mine if x.get("via") == "io_uring"]
            f.check(any(x["op"] == "open" and x.get("uncaptured") is True and x.get("ret", -1) >= 0
                        for x in ur), f"io_uring's open recorded, marked uncaptured ({ur})")
            f.check(any(x["op"] == "unlink" and x.get("ret") == 0 for x in ur),
                    "io_uring's unlink recorded")
            f.check(any(x["op"] == "connect" and x.get("addr") == "127.0.0.1" and
                        x.get("port") == port and not x.get("uncaptured") for x in ur),
                    "io_uring's connect recorded with its peer")
            rc, out2, err = cli("query", "--log-dir", d.log_dir, "--json", "--no-index")
            sid = [json.loads(x)["session"] for x in out2.splitlines() if x.strip()]
            sid = [x for x in sid if str(x).endswith(f"-{s.ses}")]
            if f.check(len(sid) == 1, "query lists the session"):
                rc, text, err = cli("show", "--log-dir", d.log_dir, sid[0])
                f.check(b"file open via io_uring [what it named not captured]" in text,
                        "show says what io_uring's open left unknown")
    finally:
        finish(d)
        sc.close()


def main():
    if os.geteuid() != 0:
        skip("needs root (BPF, loginuid, useradd)")
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    for tool in ("setpriv", "sudo", "python3", "useradd", "userdel"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    try:
        with open("/proc/self/loginuid") as fp:
            if fp.read().strip() != "4294967295":
                skip("this test runs inside an audit session: its children cannot start one")
    except OSError:
        skip("no /proc/self/loginuid (kernel without audit)")
    signal.signal(signal.SIGTERM, on_sigterm)
    case = sys.argv[1]
    f = Failures(f"footprint_{case}")
    fn = globals().get(f"case_{case}")
    if not fn:
        print(f"unknown case {case}", file=sys.stderr)
        return 2
    fn(f)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

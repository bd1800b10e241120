#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The exports play as the terminal showed them, in the players people use.

The real ttyauditd records a bash in a tmux pane; the pane's screen is captured
live (tmux capture-pane). The session is then exported and played back in
fresh tmux panes of the same size through Debian's asciinema (`cat` and
`play`) and util-linux scriptreplay, and in asciinema-player (npm) in headless
Chromium; every rendered screen must equal the live one. Line output that a
program wrote as "\\n" reached the screen as "\\r\\n" (ONLCR): an export that
passed the written bytes on would draw a staircase here.

Needs root, tmux, asciinema, scriptreplay, chromium and npm (scripts/deps.sh
test); exit 77 without them. asciinema-player is installed into the build
directory with npm install --prefix.
"""
import html
import http.server
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capturelib import Daemon, Failures, binary, build_dir  # noqa: E402

PLAYER_VERSION = "3"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


class Tmux:
    """A private tmux server (own socket) with one session of a fixed size."""

    def __init__(self, tmp, name, command):
        self.sock = os.path.join(tmp, name + ".sock")
        subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null", "new-session", "-d", "-x", "80",
                        "-y", "24", "-s", name, command], check=True, timeout=30)

    def keys(self, *keys):
        subprocess.run(["tmux", "-S", self.sock, "send-keys", *keys], check=True, timeout=30)

    def screen(self):
        p = subprocess.run(["tmux", "-S", self.sock, "capture-pane", "-p"], capture_output=True,
                           timeout=30, check=True)
        return normal(p.stdout.decode("utf-8", "replace").split("\n"))

    def kill(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=30)


def normal(lines):
    """Rows without trailing blanks, trailing empty rows dropped."""
    rows = [r.replace("\xa0", " ").rstrip() for r in lines]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def wait_file(path, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def cli(*args):
    p = subprocess.run([binary("agent/cli/ttyaudit"), *args], capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def play_in_tmux(tmp, name, command, timeout=60):
    """Runs command in a fresh 80x24 pane; the pane's screen once it has finished."""
    done = os.path.join(tmp, name + ".done")
    t = Tmux(tmp, name, f"{command}; touch {done}; exec sleep 600")
    try:
        if not wait_file(done, timeout):
            return None
        time.sleep(0.3)
        return t.screen()
    finally:
        t.kill()


def install_player(f):
    """asciinema-player from npm into the build directory; its bundle directory or None."""
    prefix = os.path.join(build_dir(), "npm-players")
    bundle = os.path.join(prefix, "node_modules", "asciinema-player", "dist", "bundle")
    if not os.path.exists(os.path.join(bundle, "asciinema-player.min.js")):
        p = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
                            "--no-save", "asciinema-player@" + PLAYER_VERSION],
                           capture_output=True, timeout=600)
        if p.returncode != 0:
            f.check(False, "npm install asciinema-player failed: " + p.stderr.decode(errors="replace")[-500:])
            return None
    return bundle


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/bundle/asciinema-player.css"></head><body>
<div id="p"></div><pre id="result">pending</pre>
<script src="/bundle/asciinema-player.min.js"></script>
<script>
const rows = () => [...document.querySelectorAll('.ap-line')].map(l => l.textContent);
const player = AsciinemaPlayer.create({data: CAST}, document.getElementById('p'),
                                      {autoPlay: true, speed: 20, idleTimeLimit: 0.1});
// Read the rows once the player says it has ended and they have not changed for 1 s
// (virtual time). Rows still for a while were not enough: on a loaded machine the
// player's clock fell behind the page's and the rows stood still half-way.
let ended = false, last = '', still = 0;
player.addEventListener('ended', () => { ended = true; });
const iv = setInterval(() => {
  const now = JSON.stringify(rows());
  still = (ended && now === last && now.trim() !== '[]') ? still + 1 : 0;
  last = now;
  if (still >= 10) { document.getElementById('result').textContent = now; clearInterval(iv); }
}, 100);
</script></body></html>
"""


def browser_screen(f, tmp, cast_text):
    """The rows asciinema-player draws for the cast in headless Chromium, or None."""
    bundle = install_player(f)
    if not bundle:
        return None
    site = os.path.join(tmp, "site")
    os.makedirs(site)
    os.symlink(bundle, os.path.join(site, "bundle"))
    with open(os.path.join(site, "index.html"), "w") as fp:
        fp.write(PAGE.replace("CAST", json.dumps(cast_text)))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=site, **kw)

        def log_message(self, *a):
            pass

    # The player parses in a Web Worker, which Chromium does not start for file:// pages.
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        p = subprocess.run(["chromium", *CHROMIUM_FLAGS, "--user-data-dir=" + os.path.join(tmp, "chromium"),
                            "--virtual-time-budget=60000", "--dump-dom",
                            f"http://127.0.0.1:{srv.server_address[1]}/index.html"],
                           capture_output=True, timeout=300)
    finally:
        srv.shutdown()
        srv.server_close()
    m = re.search(r'<pre id="result">([^<]*)</pre>', p.stdout.decode("utf-8", "replace"))
    if not m or m.group(1) == "pending":
        f.check(False, "asciinema-player in chromium drew nothing: rc %d %s" %
                (p.returncode, p.stderr.decode(errors="replace")[-300:]))
        return None
    return normal(json.loads(html.unescape(m.group(1))))


def jsonl_docs_check(f, records):
    """Every key of the daemon's JSON Lines is in docs/events-jsonl.md for its type."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "docs",
                        "events-jsonl.md")
    with open(path, encoding="utf-8") as fp:
        text = fp.read()
    ticks = lambda t: set(re.findall(r"`([a-z_0-9]+)`", t))  # noqa: E731
    paras = text.split("\n\n")
    common = ticks(next(p for p in paras if p.startswith("Common keys:")))
    cap_para = next(p for p in paras if p.startswith("Capture events ("))
    cap_types = ticks(cap_para[:cap_para.index(")")])
    capture = ticks(cap_para)
    per_type = {}
    for line in text.splitlines():
        cells = line.split("|")
        if line.startswith("| `") and len(cells) >= 3:
            for t in ticks(cells[1]):
                per_type[t] = ticks(cells[2])
    seen = {}
    for r in records:
        seen.setdefault(r.get("type"), set()).update(r.keys())
    for t, keys in sorted(seen.items(), key=lambda kv: str(kv[0])):
        doc = common | per_type.get(t, set()) | (capture if t in cap_types else set())
        f.check(t in per_type or t in cap_types, "docs/events-jsonl.md describes type %r" % t)
        f.check(not (keys - doc), "%s: keys docs/events-jsonl.md does not list: %s" % (t, sorted(keys - doc)))


def main():
    if os.geteuid() != 0:
        print("needs root (runs ttyauditd)", file=sys.stderr)
        return 77
    missing = [t for t in ("tmux", "asciinema", "scriptreplay", "chromium", "npm") if not shutil.which(t)]
    if missing:
        print("missing %s (scripts/deps.sh test installs them)" % ", ".join(missing), file=sys.stderr)
        return 77
    f = Failures("players")
    tmp = tempfile.mkdtemp(prefix="ta-players-")
    luid = random.randint(60000, 64000)
    d = Daemon().start()
    live = None
    try:
        t = Tmux(tmp, "live", f"sh -c 'echo {luid} > /proc/self/loginuid && "
                 "exec env PS1=\"$ \" HOME=/ bash --norc --noprofile -i'")
        try:
            time.sleep(1.0)
            for line in ["printf 'alpha\\nbeta\\ngamma\\n'", "seq 1 4", "printf 'col\\tumn\\n'",
                         "echo 'last line'"]:
                t.keys("-l", line)
                t.keys("Enter")
                time.sleep(0.5)
            time.sleep(1.0)
            live = t.screen()
        finally:
            t.kill()
    finally:
        d.stop()
    try:
        jsonl_docs_check(f, d.records())
        f.check(live is not None and "beta" in live and "gamma" in live and "3" in live,
                "the live pane shows the lines at column 0: %r" % live)
        rc, out, err = cli("query", "--log-dir", d.dir, "--user", str(luid), "--json")
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        f.check(rc == 0 and len(rows) == 1, "one session of auid %d: %d %r %s" % (luid, rc, rows, err))
        if not rows:
            return f.result()
        sid = rows[0]["session"]
        # show: each command typed is one i| line, readline's echo of it is not repeated.
        rc, out, err = cli("show", "--log-dir", d.dir, sid)
        # (tmux send-keys types into the pane: show marks such input i[none]|.)
        typed = [re.split(r" i(?:\[[^]]*\])?\| ", l, 1)[1] for l in out.splitlines()
                 if re.search(r" i(?:\[[^]]*\])?\| ", l)]
        f.check(rc == 0 and typed == [r"printf 'alpha\\nbeta\\ngamma\\n'\r", r"seq 1 4\r",
                                      r"printf 'col\\tumn\\n'\r", r"echo 'last line'\r"],
                "show: one input line per Enter %r\n%s" % (typed, out))
        f.check(not any(" o| seq 1 4" in l or " o| echo 'last" in l for l in out.splitlines()),
                "show: the echo of the keys is folded into the input line\n%s" % out)
        cast = os.path.join(tmp, "s.cast")
        ts, tm = os.path.join(tmp, "s.ts"), os.path.join(tmp, "s.tm")
        rc, _, err = cli("export", "--log-dir", d.dir, sid, "--format", "asciicast", "-o", cast)
        f.check(rc == 0, "export asciicast: %d %s" % (rc, err))
        rc, _, err = cli("export", "--log-dir", d.dir, sid, "--format", "typescript", "-o", ts,
                         "--timing", tm)
        f.check(rc == 0, "export typescript: %d %s" % (rc, err))

        players = {
            "asciinema cat": f"asciinema cat {cast}",
            "asciinema play": f"asciinema play -s 10 -i 0.1 {cast}",
            "scriptreplay": f"scriptreplay --timing {tm} --typescript {ts} --divisor 20",
            "ttyaudit replay": f"{binary('agent/cli/ttyaudit')} replay --log-dir {d.dir} {sid} "
                               "--speed 20 --no-resize 2>/dev/null",
        }
        for name, cmd in players.items():
            shown = play_in_tmux(tmp, name.replace(" ", "-"), cmd)
            if name == "ttyaudit replay" and shown is not None:
                # replay leaves the cursor on a new line of its own after the session's screen.
                shown = normal(shown)
            f.check(shown == live, "%s draws the live screen:\n  live %r\n  got  %r" % (name, live, shown))
        # show --screen (libvterm) draws the same screen.
        rc, out, err = cli("show", "--log-dir", d.dir, sid, "--screen")
        if rc == 1 and "without libvterm" in err:
            print("show --screen not checked: built without libvterm", file=sys.stderr)
        else:
            # Each row after "| " ("|" alone when blank), so that no row passes for a header.
            rows = [r[2:] if r.startswith("| ") else "" if r == "|" else r for r in out.split("\n")[1:]]
            f.check(rc == 0 and normal(rows) == live,
                    "show --screen draws the live screen:\n  live %r\n  got  %r" % (live, out))
        with open(cast, encoding="utf-8") as fp:
            cast_text = fp.read()
        shown = browser_screen(f, tmp, cast_text)
        if shown is not None:
            f.check(shown == live, "asciinema-player (chromium) draws the live screen:\n  live %r\n  got  %r"
                    % (live, shown))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if os.environ.get("TA_KEEP_LOGS"):
            print("log kept in " + d.dir, file=sys.stderr)
        else:
            subprocess.run(["chattr", "-R", "-a", d.dir], capture_output=True)  # the store's append-only files
            shutil.rmtree(d.dir, ignore_errors=True)
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

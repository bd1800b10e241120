#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""replay gives the investigator's terminal back on every way out.

In a tmux pane, replay plays a recording that switches to the alternate
screen, hides the cursor and leaves it mid-line; it is ended by its end, by
q, by Ctrl-C and by SIGTERM. After each, the pane's terminal modes (stty -g)
are as before, the main screen is back, the cursor visible and at the start
of a line.

  replay_restore_test.py TTYAUDIT    (exit 77 without tmux)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TTYAUDIT = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def tmux(sock, *args):
    return subprocess.run(["tmux", "-S", sock, *args], capture_output=True, text=True, timeout=30)


def wait_file(path, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return True
        time.sleep(0.1)
    return False


def case(tmp, cast, how, want_y=None):
    """want_y: the row the cursor must end on (None: any)."""
    d = os.path.join(tmp, how + ("-main" if want_y is not None else ""))
    os.makedirs(d)
    sock = os.path.join(d, "sock")
    pid, before, after, rcf = (os.path.join(d, n) for n in ("pid", "before", "after", "rc"))
    speed = "20" if how == "end" else "1"
    inner = f'echo \\$\\$ > {pid}; exec {TTYAUDIT} replay --asciicast {cast} --speed {speed} 2>/dev/null'
    # The outer shell shares the pane's process group: it must survive the Ctrl-C meant for replay.
    cmd = (f"sh -c 'trap \"\" INT; stty -g > {before}; sh -c \"{inner}\"; echo $? > {rcf}; stty -g > {after}; "
           "exec sleep 600'")
    tmux(sock, "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", cmd)
    try:
        check(wait_file(pid, 10), "%s: replay started" % how)
        time.sleep(1.5)
        if how == "q":
            tmux(sock, "send-keys", "q")
        elif how == "ctrl-c":
            tmux(sock, "send-keys", "C-c")
        elif how == "sigterm":
            with open(pid) as fp:
                os.kill(int(fp.read()), 15)
        check(wait_file(after, 20), "%s: replay ended" % how)
        time.sleep(0.3)
        fmt = tmux(sock, "display-message", "-p",
                   "#{alternate_on} #{cursor_flag} #{cursor_x} #{cursor_y}").stdout.split()
        with open(before) as b, open(after) as a:
            check(b.read() == a.read(), "%s: the terminal modes (stty -g) are restored" % how)
        check(fmt[:1] == ["0"], "%s: back on the main screen %r" % (how, fmt))
        check(fmt[1:2] == ["1"], "%s: the cursor is visible %r" % (how, fmt))
        check(fmt[2:3] == ["0"], "%s: the cursor is at the start of a line %r" % (how, fmt))
        if want_y is not None:
            check(fmt[3:4] == [str(want_y)], "%s: the cursor is on the line after the replay's %r" % (how, fmt))
        with open(rcf) as fp:
            rc = int(fp.read())
        check(rc == (143 if how == "sigterm" else 0), "%s: exit code %d" % (how, rc))
    finally:
        tmux(sock, "kill-server")


def main():
    if not shutil.which("tmux"):
        print("needs tmux (scripts/deps.sh test)", file=sys.stderr)
        return 77
    tmp = tempfile.mkdtemp(prefix="ta-replay-")
    try:
        cast = os.path.join(tmp, "s.cast")
        with open(cast, "w") as fp:
            fp.write(json.dumps({"version": 2, "width": 80, "height": 24}) + "\n")
            # Alternate screen, hidden cursor, application cursor keys, a line left unfinished.
            fp.write(json.dumps([0.1, "o", "\x1b[?1049h\x1b[?25l\x1b[?1h\x1b=\x1b[5;10Hfull screen"]) + "\n")
            fp.write(json.dumps([8.0, "o", "late"]) + "\n")
        for how in ("end", "q", "ctrl-c", "sigterm"):
            case(tmp, cast, how)
        # On the main screen the cursor stays where the recording left it, then a new line.
        main_cast = os.path.join(tmp, "m.cast")
        with open(main_cast, "w") as fp:
            fp.write(json.dumps({"version": 2, "width": 80, "height": 24}) + "\n")
            fp.write(json.dumps([0.1, "o", "\x1b[2J\x1b[5;10Hmid line"]) + "\n")
            fp.write(json.dumps([8.0, "o", "late"]) + "\n")
        case(tmp, main_cast, "q", want_y=5)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failures" % len(failures), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

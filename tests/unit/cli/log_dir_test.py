#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every reader of a log directory on files that are not what their names say:
a FIFO named like the verifier key, a checkpoint file or a segment is never
opened for a read that waits (each command ends within seconds, with its
documented exit code and one error line). And on no log at all (a missing
directory, a file, a directory with no segment and no checkpoint file): exit
6 and one line from every command; a log without its own key: 7.

    log_dir_test.py TTYAUDIT MAKE_LOG
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from clicheck import Checks, remove_tree  # noqa: E402

TTYAUDIT, MAKE_LOG = sys.argv[1], sys.argv[2]
SES7 = "5e1c0a42-7"


check = Checks()


def run(*args, timeout=10):
    """Exit code, stdout, stderr; a command still running after timeout s is killed: rc None."""
    try:
        p = subprocess.run([TTYAUDIT, *args], capture_output=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None, "", "(killed after %d s)" % timeout
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def one_error(rc, out, err, code, stream_out=False):
    """rc is code and the error is one line: on stderr, or (verify) a FAILED line on stdout."""
    lines = (out if stream_out else err).strip().splitlines()
    return rc == code and len(lines) == 1 and (not stream_out or lines[0].startswith("FAILED: "))


# The readers, with what each must answer for a FIFO in place of the key, of a checkpoint
# file, of the last segment: 0 (it reads on: the key only marks rows checkpointed), 7 (a log
# that fails verification) or 8 (damage met, the intact part shown).
READERS = [
    (["verify"], 7, 7, 7),
    (["checkpoint"], 7, 7, 0),
    (["prove", "--session", SES7], 7, 7, 7),
    (["status"], 0, 0, 8),
    (["query", "--no-index"], 0, 0, 8),
    (["query"], 0, 0, 8),
    (["reindex"], 0, 0, 8),
    (["show", SES7], 0, 0, 8),
    (["export", SES7, "--format", "json"], 0, 0, 8),
    (["follow", "--from-start", "--timeout", "0.2"], 0, 0, 8),
]
FIFOS = ["ttyaudit.vkey", "seg-0000000000000002.ckpt", "seg-0000000000000002.log"]


def fifo_in_log(base, top):
    for k, name in enumerate(FIFOS):
        d = os.path.join(top, "fifo-%d" % k)
        shutil.copytree(base, d)
        os.unlink(os.path.join(d, name))
        os.mkfifo(os.path.join(d, name))
        for args, *codes in READERS:
            code = codes[k]
            rc, out, err = run(args[0], "--log-dir", d, *args[1:])
            what = "%s with a FIFO as %s" % (" ".join(args), name)
            if rc is None:
                check(False, "%s: hangs %s" % (what, err))
            elif code == 0:
                check(rc == 0, "%s: exit 0 (%s %r)" % (what, rc, err))
            else:
                check(one_error(rc, out, err, code, args[0] == "verify"),
                      "%s: exit %d, one error line (%s %r %r)" % (what, code, rc, out[-300:], err))
                # show and export say only that the session's part of the log is damaged
                text = out if args[0] == "verify" else err
                check(args[0] in ("show", "export") or (name in text and "not a regular file" in text),
                      "%s: the file is named, and why (%r)" % (what, text[-400:]))


# Every command that reads a log directory (follow waits in an existing one: see no_log).
COMMANDS = [r[0] for r in READERS if r[0][0] != "follow"] + [
    ["prove", "--record", "1"], ["replay", SES7, "--no-wait"],
    ["checkpoint", "--cosigned"],  # the log's key first: no log, no key
]


def no_log(base, top):
    empty = os.path.join(top, "empty")
    os.mkdir(empty)
    # What a writer that died before its first segment leaves: its lock and key files.
    keyonly = os.path.join(top, "key-only")
    os.mkdir(keyonly)
    shutil.copy(os.path.join(base, "ttyaudit.vkey"), keyonly)
    open(os.path.join(keyonly, ".lock"), "w").close()
    afile = os.path.join(top, "a-file")
    open(afile, "w").close()
    for d in (empty, keyonly, afile, os.path.join(top, "missing")):
        for args in COMMANDS:
            rc, out, err = run(args[0], "--log-dir", d, *args[1:])
            check(one_error(rc, out, err, 6) and "no log in " + d in err and out == "",
                  "%s in %s: exit 6, one line (%s %r %r)" % (" ".join(args), d, rc, out, err))
        rc, out, err = run("follow", "--log-dir", d, "--timeout", "0.2")
        want = 0 if os.path.isdir(d) else 6
        check(rc == want, "follow in %s: %s (%s %r)" % (d, "waits" if want == 0 else "exit 6", rc, err))
    # Checkpoints without segments are a log whose segments are gone: verify fails it.
    nosegs = os.path.join(top, "no-segments")
    shutil.copytree(base, nosegs, ignore=shutil.ignore_patterns("*.log", "index"))
    rc, out, err = run("verify", "--log-dir", nosegs)
    check(rc == 7, "verify of checkpoints without segments: 7 (%s %r)" % (rc, out))
    # A log whose own key was deleted: what verify says (7), never a bad command line (2).
    nokey = os.path.join(top, "no-key")
    shutil.copytree(base, nokey)
    os.unlink(os.path.join(nokey, "ttyaudit.vkey"))
    for args in (["checkpoint"], ["prove", "--record", "1"]):
        rc, out, err = run(args[0], "--log-dir", nokey, *args[1:])
        check(one_error(rc, out, err, 7) and "ttyaudit.vkey" in err,
              "%s without the log's key: exit 7, one line (%s %r)" % (args[0], rc, err))
    rc, out, err = run("verify", "--log-dir", nokey)
    check(one_error(rc, out, err, 7, True) and "ttyaudit.vkey" in out,
          "verify without the log's key: 7 (%s %r)" % (rc, out))


top = tempfile.mkdtemp(prefix="ta-logdir-")
# Removed on every way out: meson's timeout sends SIGTERM.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
try:
    base = os.path.join(top, "log")
    subprocess.run([MAKE_LOG, base], check=True, capture_output=True)
    subprocess.run(["chattr", "-R", "-a", base], capture_output=True)
    fifo_in_log(base, top)
    no_log(base, top)
finally:
    remove_tree(top)
check.exit("ok")

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Messages of audisp-ttyaudit that never reached ttyauditd. The plugin numbers its
messages (the wire header's seq); messages it wrote into a connection that closed
before ttyauditd read them are lost without the plugin knowing, and its next
connection goes on from a later number. ttyauditd writes such a jump as an
audit_records_dropped gap; a jump back (another plugin process, which starts from 0)
is none.

The real ttyauditd; this process speaks the plugin's side of the wire
(include/ttyaudit/login_wire.h): DROPPED messages, 48 bytes, which ttyauditd writes
as gaps themselves, so their place in the log is known.

usage: seq_gap_test.py   (TA_BUILD_DIR set; root)"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from capturelib import Daemon, Failures  # noqa: E402

MAGIC, VERSION, DROPPED = 0x474C4154, 1, 2


def dropped(seq, n):
    """A DROPPED message: n records dropped, numbered seq."""
    now = int(time.time())
    return struct.pack("<IHHII", MAGIC, VERSION, DROPPED, 48, seq) + struct.pack("<QQqq", n, n, now, now)


def send(path, *msgs):
    """One connection: the messages, then closed."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        for m in msgs:
            s.sendall(m)
        time.sleep(0.3)


def gaps(d):
    return [r.get("dropped") for r in d.records() if r.get("reason") == "audit_records_dropped"]


def main():
    f = Failures("seq_gap")
    d = Daemon().start()
    sock = os.path.join(d.dir, "login.sock")
    try:
        send(sock, dropped(0, 1), dropped(1, 2))
        send(sock, dropped(5, 7))          # 2, 3 and 4 never arrived
        send(sock, dropped(0, 11))         # another plugin process: from 0 again
        send(sock, dropped(1, 13), dropped(2, 17))
        deadline = time.time() + 20
        want = [1, 2, 3, 7, 11, 13, 17]
        while time.time() < deadline and gaps(d) != want:
            time.sleep(0.2)
        f.check(gaps(d) == want, f"the plugin's own drops, and the 3 messages its counter skipped, "
                                 f"as gaps in their place: {gaps(d)} (want {want})")
        f.check("3 messages of audisp-ttyaudit" in d.stderr(), "said in the daemon's log")
    finally:
        d.stop()
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

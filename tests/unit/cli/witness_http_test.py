#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""witness-submit against witnesses that do not play fair, each a thread of this test on
127.0.0.1 (a free port) answering with a real cosignature (witness_server's, of make_log's
latest checkpoint): one that sends a valid reply a byte at a time is cut off at --timeout
(exit 1) and the next witness is still asked; one that keeps the connection open after a
complete reply (Content-Length or chunked) is cosigned at once; one whose refusal holds
terminal controls has them escaped in STATE-DIR/alarms.log as on stderr; one whose name
the resolver never answers for (a name server on a loopback address of this test that
reads queries and answers none, in a mount namespace of its own) is cut off at --timeout
too, not after the resolver's own timeouts.

    witness_http_test.py TTYAUDIT MAKE_LOG WITNESS_SERVER
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "lib"))
from clicheck import Checks  # noqa: E402
import threading
import time

TTYAUDIT, MAKE_LOG, WITNESS_SERVER = sys.argv[1:4]
NAME = "witness.example/w1"


check = Checks()


# A refusal whose text would retitle the terminal, clear it, overwrite the alarm line (CR),
# colour it (an 8-bit CSI, a C1 in UTF-8) and hide what follows, with a bidi override.
HOSTILE = (b"\x1b]0;owned\x07\x1b[2J\x1b[H\rALL WITNESSES OK \x9b31m\xc2\x9b1m"
           b"\xe2\x80\xae\x7f\x1b[8m")


def reply(status, body, extra=b""):
    return (b"HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n%s\r\n"
            % (status, len(body), extra)) + body


class Witness:
    """Answers every POST in one way (mode) until closed."""

    def __init__(self, mode, cosig):
        self.mode, self.cosig, self.stop = mode, cosig, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def close(self):
        self.stop.set()
        self.sock.close()

    def serve(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.handle, args=(c,), daemon=True).start()

    def read_request(self, c):
        data = b""
        while b"\r\n\r\n" not in data:
            data += c.recv(65536) or b"\r\n\r\n"
        head, _, body = data.partition(b"\r\n\r\n")
        clen = [int(v) for k, _, v in (l.partition(b":") for l in head.split(b"\r\n"))
                if k.lower() == b"content-length"]
        while clen and len(body) < clen[0]:
            body += c.recv(65536) or b"x" * clen[0]

    def handle(self, c):
        ok = reply(200, self.cosig)
        try:
            c.settimeout(10)
            self.read_request(c)
            if self.mode == "slow":  # each byte well within --timeout, the whole far past it
                for i in range(len(ok)):
                    if self.stop.wait(0.4):
                        break
                    c.sendall(ok[i:i + 1])
            elif self.mode == "keepalive":
                c.sendall(ok)
                self.stop.wait(60)
            elif self.mode == "chunked":  # two chunks and the last, then kept open
                b = self.cosig
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
                          b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (5, b[:5], len(b) - 5, b[5:]))
                self.stop.wait(60)
            elif self.mode == "escape":
                c.sendall(reply(403, HOSTILE + b"\r\n"))
            else:
                c.sendall(ok)
        except OSError:
            pass
        finally:
            c.close()


def submit(tmp, state, witnesses, timeout, limit=60):
    """witness-submit to [(url, vkey file)]: (exit code, stdout, stderr, seconds), or exit
    None when it was still running after limit seconds (then killed)."""
    args = [TTYAUDIT, "witness-submit", "--log-dir", os.path.join(tmp, "log"),
            "--state-dir", os.path.join(tmp, state), "--timeout", str(timeout)]
    for url, vkey in witnesses:
        args += ["--witness", url, "--witness-key", vkey]
    start = time.monotonic()
    try:
        p = subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=limit)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, str(e.stdout or ""), str(e.stderr or "")
    took = time.monotonic() - start
    print("$ %s\n%s%s(exit %s after %.1f s)" % (" ".join(args), out, err, rc, took),
          file=sys.stderr)
    return rc, out, err, took


def real_cosignature(tmp):
    """witness_server's cosignature line of the log's latest checkpoint; writes its key."""
    os.mkdir(os.path.join(tmp, "wstate"))
    srv = subprocess.Popen([WITNESS_SERVER, os.path.join(tmp, "wstate"),
                            os.path.join(tmp, "w.key"), NAME, "test/ttyaudit",
                            os.path.join(tmp, "log", "ttyaudit.vkey")],
                           stdout=subprocess.PIPE, text=True)
    try:
        port, vkey = srv.stdout.readline().strip(), srv.stdout.readline().strip()
        with open(os.path.join(tmp, "w.vkey"), "w") as f:
            f.write(vkey + "\n")
        rc = submit(tmp, "real", [("http://127.0.0.1:" + port, os.path.join(tmp, "w.vkey"))],
                    10)[0]
        check(rc == 0, "the real witness cosigns (exit %s)" % rc)
    finally:
        srv.kill()
        srv.wait()
    for note in glob.glob(os.path.join(tmp, "real", "cosigned-*.note")):
        for line in open(note, "rb").read().split(b"\n"):
            if line.startswith("\u2014 ".encode() + NAME.encode() + b" "):
                return line + b"\n"
    return None


def kept(tmp, state, cosig):
    notes = glob.glob(os.path.join(tmp, state, "cosigned-*.note"))
    return len(notes) == 1 and cosig in open(notes[0], "rb").read()


def main():
    tmp = tempfile.mkdtemp(prefix="ta-witness-http-")
    servers = []
    try:
        subprocess.run([MAKE_LOG, os.path.join(tmp, "log")], check=True, timeout=60,
                       stdout=subprocess.DEVNULL)
        cosig = real_cosignature(tmp)
        check(cosig is not None, "witness_server's cosignature line")
        if cosig is None:
            return
        wkey = os.path.join(tmp, "w.vkey")

        def witness(mode):
            servers.append(Witness(mode, cosig))
            return (servers[-1].url, wkey)

        # a valid reply, in time: cosigned
        rc, out, _, _ = submit(tmp, "ok", [witness("ok")], 5)
        check(rc == 0 and "cosigned the checkpoint" in out, "a plain reply is cosigned")
        check(kept(tmp, "ok", cosig), "the plain reply's cosignature is kept")

        # a reply dripped a byte at a time: cut off at --timeout, the next witness still asked
        rc, out, err, took = submit(tmp, "slow", [witness("slow"), witness("ok")], 2, limit=20)
        check(rc == 1, "a witness slower than --timeout is a failure (exit %s)" % rc)
        check(took < 2 + 4, "--timeout 2 bounds the whole exchange (%.1f s)" % took)
        check("no complete reply within 2 s" in err, "the failure says the time ran out")
        check("cosigned the checkpoint" in out, "the witness after the slow one is asked")

        # a complete reply on a connection kept open: the body's end ends the read
        for mode in ("keepalive", "chunked"):
            rc, out, err, took = submit(tmp, mode, [witness(mode)], 3, limit=20)
            check(rc == 0 and "cosigned the checkpoint" in out,
                  "%s: a complete reply is cosigned (exit %s)" % (mode, rc))
            check(took < 3, "%s: without waiting for the close (%.1f s)" % (mode, took))
            check(kept(tmp, mode, cosig), "%s: the cosignature is kept" % mode)

        # a refusal's text is escaped before it is written anywhere
        rc, _, err, _ = submit(tmp, "escape", [witness("escape")], 5)
        check(rc == 7, "a 403 is an alarm (exit %s)" % rc)
        with open(os.path.join(tmp, "escape", "alarms.log"), "rb") as f:
            alarm = f.read()
        check(alarm.count(b"\n") == 1 and alarm.endswith(b"\n"), "one alarm line")
        bad = sorted({b for b in alarm[:-1] if b < 0x20 or b == 0x7f})
        check(not bad, "no control byte in alarms.log but its newline (%s)" % bad)
        try:
            text = alarm.decode("utf-8")  # a raw 8-bit CSI would not be UTF-8
        except UnicodeDecodeError as e:
            check(False, "alarms.log is UTF-8 (%s)" % e)
            text = alarm.decode("utf-8", "replace")
        check(not any(0x80 <= ord(ch) < 0xa0 or ch == "\u202e" for ch in text),
              "no C1 or bidi character in alarms.log")
        shown = r"(\e]0;owned\a\e[2J\e[H\rALL WITNESSES OK \x9b31m\u{009b}1m\u{202e}\x7f\e[8m)"
        check(text.endswith(shown + "\n"), "alarms.log shows the escapes")
        check(shown in err, "stderr shows the same escapes")
        blackhole_dns(tmp, wkey)
    finally:
        for s in servers:
            s.close()
        shutil.rmtree(tmp, ignore_errors=True)


def blackhole_dns(tmp, wkey):
    """A witness named by a host whose name server never answers: --timeout bounds the lookup."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("the unanswered lookup needs root (a mount namespace, port 53)", file=sys.stderr)
        check(False, "the unanswered lookup could be run")
        return
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    addr = "127.%d.%d.%d" % ((os.getpid() >> 16) % 200 + 20, (os.getpid() >> 8) % 256, os.getpid() % 250 + 2)
    dns.bind((addr, 53))
    dns.settimeout(0.2)
    queries = []
    done = threading.Event()

    def swallow():
        while not done.is_set():
            try:
                queries.append(dns.recv(4096))
            except socket.timeout:
                pass
    reader = threading.Thread(target=swallow, daemon=True)
    reader.start()
    resolv = os.path.join(tmp, "resolv.conf")
    with open(resolv, "w") as f:
        # The resolver's own bound: 30 s a try, 5 tries, far past --timeout.
        f.write("nameserver %s\noptions timeout:30 attempts:5\n" % addr)
    args = [TTYAUDIT, "witness-submit", "--log-dir", os.path.join(tmp, "log"), "--state-dir",
            os.path.join(tmp, "dns"), "--timeout", "2", "--witness", "http://witness-dns.example:8080",
            "--witness-key", wkey]
    start = time.monotonic()
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/resolv.conf && exec "$@"',
                            resolv, *args], capture_output=True, text=True, errors="replace", timeout=60)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired:
        rc, err = None, "(killed after 60 s)"
    took = time.monotonic() - start
    done.set()
    reader.join()
    dns.close()
    print("unanswered lookup: exit %s after %.1f s: %s" % (rc, took, err.strip()), file=sys.stderr)
    check(queries, "the lookup asked the test's name server (%d queries)" % len(queries))
    check(rc == 1 and took < 2 + 4, "--timeout 2 bounds an unanswered lookup (exit %s, %.1f s)" % (rc, took))
    check("cannot resolve witness-dns.example: no answer within 2 s" in err,
          "the failure says the lookup ran out of time (%r)" % err)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # meson's timeout: clean up too
main()
check.exit()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Alert delivery to NATS (issue 18): the recorder has no network access, so the
unprivileged shipper publishes the alert records it reads from the log on
ttyaudit.<h>.alerts at once, whether or not JetStream and a collector are
there. A real nats-server on a free 127.0.0.1 port (no JetStream: the records
cannot be shipped, the alerts still go), a log written by the project's store,
the real ttyaudit-ship, and a subscriber speaking NATS's own protocol. Checks:
every alert of the log arrives once with its origin, index and message id, no
other record does, alerts appended while the shipper runs arrive within
seconds, and --no-alerts publishes none.

Usage: alerts_test.py SHIP WRITER
"""
import hashlib, json, os, signal, socket, subprocess, sys, time, uuid

from pg_engine import nats_or_skip
from fleetlib import Run, check, failures, free_port, wait_port

SHIP, WRITER = sys.argv[1:3]
NATS = nats_or_skip()


class Sub:
    """A NATS subscriber in NATS's text protocol (HMSG: headers and payload)."""

    def __init__(self, port, subject):
        self.s = socket.create_connection(('127.0.0.1', port), 5)
        self.buf = b''
        self.msgs = []
        self._line()  # INFO
        self.s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,'
                       b'"no_responders":true,"protocol":1}\r\n'
                       + f'SUB {subject} 1\r\nPING\r\n'.encode())
        while self._line() != b'PONG':
            pass

    def _line(self):
        while b'\r\n' not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def _take(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def poll(self, until, want):
        """Reads messages until there are want of them or the time is up."""
        while len(self.msgs) < want and time.time() < until:
            self.s.settimeout(max(0.05, until - time.time()))
            try:
                line = self._line()
            except socket.timeout:
                break
            if line == b'PING':
                self.s.sendall(b'PONG\r\n')
            elif line.startswith(b'HMSG '):
                parts = line.split()
                hlen, tlen = int(parts[-2]), int(parts[-1])
                raw = self._take(tlen)
                hdr = {}
                for h in raw[:hlen].decode().split('\r\n')[1:]:
                    if ':' in h:
                        k, v = h.split(':', 1)
                        hdr[k.strip()] = v.strip()
                self.msgs.append((parts[1].decode(), hdr, raw[hlen:], time.time()))
            elif line.startswith(b'MSG '):
                self.msgs.append((line.split()[1].decode(), {}, self._take(int(line.split()[-1])),
                                  time.time()))
        return self.msgs


run = Run('ta-fleet-alerts-')
T, start = run.T, run.start
rc = 1
try:
    port = free_port()
    nats = start([NATS, '-a', '127.0.0.1', '-p', str(port)], 'nats.log')
    wait_port(port)
    tag = uuid.uuid4().hex[:8]
    origin = f'alerts-{tag}/ttyaudit'
    h = hashlib.sha256(origin.encode()).hexdigest()[:16]
    logdir = os.path.join(T, 'log')
    os.mkdir(logdir)
    key = os.path.join(T, 'host.key')
    wvkey = subprocess.run([WRITER, '--cosigner', os.path.join(T, 'w.key'), 'collector-' + tag],
                           capture_output=True, text=True, check=True).stdout.strip()

    def write(n):
        subprocess.run([WRITER, logdir, key, origin, str(n), f'alerts:rule-{tag}'],
                       capture_output=True, text=True, check=True)

    write(50)                       # five alerts (records 0, 10, ... 40 of the writer)
    sub = Sub(port, 'ttyaudit.*.alerts')

    def shipper(state, *extra):
        return start([SHIP, '--log-dir', logdir, '--state', os.path.join(T, state),
                      '--nats', f'nats://127.0.0.1:{port}', '--witness-key', wvkey,
                      '--poll-ms', '100', *extra], f'ship-{state}.log')

    t0 = time.time()
    ship = shipper('s1')
    msgs = sub.poll(time.time() + 60, 5)
    check(len(msgs) == 5, f'the five alerts of the log arrived ({len(msgs)}) in '
          f'{time.time() - t0:.2f} s, with no JetStream and no collector')
    bodies = [json.loads(m[2]) for m in msgs]
    check(sorted(b['n'] for b in bodies) == [0, 10, 20, 30, 40] and
          all(b['rule'] == f'rule-{tag}' for b in bodies), f'each is its alert record ({bodies[:2]})')
    check(all(m[0] == f'ttyaudit.{h}.alerts' for m in msgs), f'on ttyaudit.{h}.alerts')
    check(all(m[1].get('Ttyaudit-Origin') == origin for m in msgs), 'each names its origin')
    idx = [int(m[1].get('Ttyaudit-Index', -1)) for m in msgs]
    check(all(m[1].get('Nats-Msg-Id') == f'{origin}/{i}' for m, i in zip(msgs, idx)) and
          len(set(idx)) == 5, f'each has its log index and message id origin/index ({idx})')
    # Appended while the shipper runs: at once.
    write(20)
    t1 = time.time()  # after the writer: its key load, signing and fsync are not the shipper's
    msgs = sub.poll(time.time() + 30, 7)
    check(len(msgs) == 7, f'alerts appended later arrive ({len(msgs) - 5} of 2)')
    if len(msgs) == 7:
        print(f'delivery after append: {msgs[-1][3] - t1:.2f} s')
        check(msgs[-1][3] - t1 < 5, 'within seconds')
    time.sleep(1)
    # (A subscriber of '>' would answer the shipper's JetStream publishes and stall them.)
    on_alerts = sub.poll(time.time() + 0.5, 1000)
    check(len(on_alerts) == 7 and all(json.loads(m[2]).get('type') == 'alert' for m in on_alerts),
          f'only the alert records went out on the alerts subject ({len(on_alerts)})')
    check(ship.poll() is None, 'the shipper keeps running while JetStream is absent')
    ship.send_signal(signal.SIGTERM); ship.wait(10)
    # --no-alerts: a shipper from the start of the log publishes none.
    ship2 = shipper('s2', '--no-alerts')
    time.sleep(3)
    msgs = sub.poll(time.time() + 0.5, 8)
    check(len(msgs) == 7, f'--no-alerts publishes no alert ({len(msgs) - 7})')
    ship2.send_signal(signal.SIGTERM); ship2.wait(10)
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

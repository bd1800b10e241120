#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The shipper alone, against one nats-server on a free 127.0.0.1 port with no
JetStream and no collector (what a host sees while its fleet tier is away): a log
written by the project's store, the real ttyaudit-ship. Checks: a shipper whose
first round fails before it published anything (restarted on a log it had
published, its checkpoint waiting for a cosignature, the collector not
answering) retries instead of crashing; a state file that says more records were
shipped than the log holds (another log's) stops it with exit 6, not a silent skip;
a password in the --nats URL is warned of, once.

Usage: ship_test.py SHIP WRITER
"""
import os, subprocess, sys, time

from pg_engine import nats_or_skip
from fleetlib import Run, check, failures, free_port, stop, wait_port

SHIP, WRITER = sys.argv[1:3]
NATS = nats_or_skip()

run = Run('ta-fleet-ship-')
T, start = run.T, run.start
rc = 1
try:
    port = free_port()
    start([NATS, '-a', '127.0.0.1', '-p', str(port)], 'nats.log')
    wait_port(port)
    origin = 'ship-test/ttyaudit'
    logdir = os.path.join(T, 'log')
    os.mkdir(logdir)
    size = int(subprocess.run([WRITER, logdir, os.path.join(T, 'host.key'), origin, '50', 'ship'],
                              capture_output=True, text=True, check=True).stdout)
    wvkey = subprocess.run([WRITER, '--cosigner', os.path.join(T, 'w.key'), 'collector-test'],
                           capture_output=True, text=True, check=True).stdout.strip()

    def shipper(state, *extra, url=f'nats://127.0.0.1:{port}'):
        return start([SHIP, '--log-dir', logdir, '--state', os.path.join(T, state), '--nats', url,
                      '--witness-key', wvkey, '--poll-ms', '100', '--no-alerts', *extra],
                     f'ship-{state}.log')

    # ---- a first round that fails before publishing: everything published before the
    # restart (the state says so), the checkpoint not cosigned, no collector to ask.
    with open(os.path.join(T, 'restart'), 'w') as f:
        f.write(f'next {size}\ncheckpoint {size}\nacked 0\n')
    p = shipper('restart')
    time.sleep(3)  # rounds: 250 ms, then 500, 1000 ms apart
    alive = p.poll() is None
    code = stop(p)
    log = open(p.logname, errors='replace').read()
    check(alive and code == 0 and 'asking the collector' in log,
          f'a restarted shipper whose first round fails before publishing retries '
          f'(alive {alive}, exit {code}; {log.strip().splitlines()[-1:]})')

    # ---- a state file that is another log's (this one replaced or restored): it says more
    # records were shipped than the log holds; taken as it was, they were skipped in silence
    with open(os.path.join(T, 'ahead'), 'w') as f:
        f.write(f'next {size + 1000}\ncheckpoint {size + 1000}\nacked {size + 1000}\n')
    p = shipper('ahead', '--until-acked')
    try:
        code = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        code = stop(p)
    log = open(p.logname, errors='replace').read()
    check(code == 6 and f'says {size + 1000} records were shipped, but the log holds {size}' in log,
          f'a state ahead of the log: exit 6, said (exit {code}; {log.strip().splitlines()[-2:]})')

    # ---- a password in the --nats URL: one warning line at start (argv is public), none
    # for a URL without one; the shipper runs either way (this server has no users)
    for name, url, want in (('pw', f'nats://host-a:s3cret@127.0.0.1:{port}', 1),
                            ('plain', f'nats://127.0.0.1:{port}', 0)):
        p = shipper(name, url=url)
        time.sleep(1.5)
        alive = p.poll() is None
        stop(p)
        warned = [l for l in open(p.logname, errors='replace') if 'carries a password' in l]
        check(alive and len(warned) == want and all('s3cret' not in l for l in warned),
              f'--nats {url}: {want} warning line(s) about its password ({warned})')
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

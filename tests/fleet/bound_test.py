#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A bound per host in the fleet's stream (docs/fleet.md, "A bound per host"). The stream
used to keep every message of every host with no limit: a host (its root) publishing on
its own subject as fast as it can filled JetStream's storage, and then every host's
publications were refused. Now the stream is a work queue (a message leaves once a
collector committed and acknowledged it) holding at most --host-pending messages per
subject, new ones refused past that: the flood stops at the flooding host's own bound.

One nats-server with JetStream and a user per host, a PostgreSQL of the test's own, the
real collector and shipper. Checks: the stream the collector makes (work queue,
deny-delete, deny-purge, the bound); host A's flood held to its bound while nothing
collects; host B, shipping a log longer than its bound meanwhile, is refused past it,
says so once, and, once a collector runs, has every record stored and its log cosigned;
the drained stream is empty; --host-pending given changes an existing stream's bound;
a stream made without a bound (as older collectors made it) is said, not changed.

Usage: bound_test.py SHIP COLLECTOR WRITER SCHEMA
"""
import json, os, subprocess, sys, time

from fleetlib import (check, collector_tier, failures, host_publish, js_api, log_has, ohash,
                      start_collector, stop, temp_run)
from pg_engine import nats_or_skip, postgres_or_skip

SHIP, COLLECTOR, WRITER, SCHEMA = sys.argv[1:5]
NATS = nats_or_skip()
PGBIN, PGUSER = postgres_or_skip()

ORIGINS = {'a': 'host-a/bound', 'b': 'host-b/bound'}
BOUND = 4


def per_subject(port):
    """Messages the stream holds per subject."""
    r = js_api(port, '$JS.API.STREAM.INFO.TTYAUDIT', b'{"subjects_filter":">"}')
    return r.get('state', {}).get('subjects') or {}, r


def flood(port, user, subject, n):
    """n messages of 1 KiB published on subject as user; b'' once the server has read them."""
    return host_publish(port, user, [(subject, [(b'Nats-Msg-Id', b'flood-%d' % k)], os.urandom(1024))
                                     for k in range(n)])


run = temp_run('ta-fleet-bound-')
T, start = run.T, run.start
rc = 1
try:
    pg, port, url, wvkey, col_argv = collector_tier(run, PGBIN, PGUSER, SCHEMA, NATS, ORIGINS, WRITER,
                                                    COLLECTOR, 'collector-bound')

    def collector(log, *extra):
        return start_collector(run, col_argv + list(extra), log)

    # ---- the stream a collector makes
    stop(collector('collector-1.log', '--host-pending', str(BOUND)))
    cfg = js_api(port, '$JS.API.STREAM.INFO.TTYAUDIT').get('config', {})
    want = {'retention': 'workqueue', 'discard': 'new', 'discard_new_per_subject': True,
            'max_msgs_per_subject': BOUND, 'deny_delete': True, 'deny_purge': True}
    check(all(cfg.get(k) == v for k, v in want.items()),
          f'the stream: a work queue, deny-delete, deny-purge, {BOUND} messages per subject, new ones '
          f'refused past it ({ {k: cfg.get(k) for k in want} })')

    sizes = {}
    for u, o in ORIGINS.items():
        d = os.path.join(T, 'logs', u)
        os.makedirs(d)
        sizes[u] = int(subprocess.run([WRITER, d, os.path.join(T, u + '.key'), o, '3000', 'bound'],
                                      capture_output=True, text=True, check=True).stdout)
        subprocess.run([COLLECTOR, '--dsn', pg.dsn('ttyadmin'), '--enrol', os.path.join(d, 'ttyaudit.vkey'),
                        '--origin', o], capture_output=True, text=True, check=True)

    # ---- nothing collects: host A floods its own subject
    sa = f'ttyaudit.{ohash(ORIGINS["a"])}.records'
    e = flood(port, 'host-a', sa, 200)
    held, info = per_subject(port)
    check(e == b'' and held.get(sa) == BOUND,
          f'host A published 200 messages on its own subject: the stream holds {BOUND} ({held.get(sa)}, '
          f'{info.get("state", {}).get("messages")} in all)')

    # ---- host B ships meanwhile: refused past its bound, says so once
    sb = f'ttyaudit.{ohash(ORIGINS["b"])}.records'
    p = start([SHIP, '--log-dir', os.path.join(T, 'logs', 'b'), '--state', os.path.join(T, 'b.state'),
               '--nats', url, '--user', 'host-b', '--password-file', os.path.join(T, 'pw-host-b'),
               '--witness-key', wvkey, '--poll-ms', '100', '--resend-ms', '2000', '--no-alerts',
               '--until-acked'], 'ship-b.log')
    said = log_has(p.logname, 'the stream holds as many of this host', 30)
    held, _ = per_subject(port)
    check(said and held.get(sb) == BOUND,
          f'host B is refused past its bound ({held.get(sb)} held) and its shipper says why')
    time.sleep(3)  # several refused rounds
    blog = open(p.logname, errors='replace').read()
    check(blog.count('the stream holds as many of this host') == 1,
          f'said once while it lasts ({blog.count("the stream holds as many of this host")} times)')

    # ---- a collector runs: B's log stored and cosigned, nothing lost
    col = collector('collector-2.log')
    try:
        code = p.wait(120)
    except subprocess.TimeoutExpired:
        stop(p)
        code = 'none: still waiting after 120 s'
    nb, ob = sizes['b'], ORIGINS['b']
    check(code == 0, f'B\'s shipper finishes: its log cosigned (exit {code})')
    check(pg.until(f"SELECT count(*) FROM records WHERE origin = '{ob}'", str(nb), 10),
          f'all {nb} records of B stored')
    check(pg.psql(f"SELECT max(size) FROM checkpoints WHERE origin = '{ob}' AND cosignature IS NOT NULL")
          == str(nb), f'B\'s checkpoint of size {nb} cosigned')
    blog = open(p.logname, errors='replace').read()
    check('shipping again from record' in blog, 'B\'s shipper says when it ships again')
    end, n = time.time() + 60, None
    while time.time() < end:
        n = js_api(port, '$JS.API.STREAM.INFO.TTYAUDIT').get('state', {}).get('messages')
        if n == 0:
            break
        time.sleep(0.5)
    check(n == 0, f'what the collector acknowledged left the stream ({n} messages left)')
    check(pg.psql(f"SELECT count(*) > 0 FROM evidence WHERE origin = '{ORIGINS['a']}'") == 't',
          'A\'s flood is kept as evidence against A')
    # An idle collector keeps one pull request waiting. (It used to spin on another request's
    # status: hundreds waiting, "Exceeded MaxWaiting" warnings, cosignatures half a minute late.)
    waiting = []
    for _ in range(10):
        waiting.append(js_api(port, '$JS.API.CONSUMER.INFO.TTYAUDIT.collectors').get('num_waiting'))
        time.sleep(0.3)
    stop(col)
    clog = open(col.logname, errors='replace').read()
    check(all(w is not None and w <= 2 for w in waiting) and 'MaxWaiting' not in clog,
          f'the idle collector keeps at most two pull requests waiting ({waiting}; '
          f'{clog.count("MaxWaiting")} "Exceeded MaxWaiting" lines)')

    # ---- --host-pending given changes an existing stream's bound
    c = collector('collector-3.log', '--host-pending', '8')
    stop(c)
    got = js_api(port, '$JS.API.STREAM.INFO.TTYAUDIT').get('config', {}).get('max_msgs_per_subject')
    check(got == 8 and log_has(c.logname, 'messages waiting per host subject 8 (was 4)', 1),
          f'--host-pending 8 changes the stream\'s bound ({got})')

    # ---- a stream made without a bound is said, and left as it is
    d = js_api(port, '$JS.API.STREAM.DELETE.TTYAUDIT')
    old = {'name': 'TTYAUDIT', 'subjects': ['ttyaudit.*.records', 'ttyaudit.*.checkpoints'],
           'retention': 'limits', 'storage': 'file', 'num_replicas': 1, 'deny_delete': True,
           'deny_purge': True, 'discard': 'old'}
    r = js_api(port, '$JS.API.STREAM.CREATE.TTYAUDIT', json.dumps(old).encode())
    check(d.get('success') and 'error' not in r, f'a stream as older collectors made it ({r.get("error")})')
    c = collector('collector-4.log')
    stop(c)
    log = open(c.logname, errors='replace').read()
    cfg = js_api(port, '$JS.API.STREAM.INFO.TTYAUDIT').get('config', {})
    check('has no bound per host' in log and cfg.get('retention') == 'limits',
          'the collector says the stream has no bound per host, and leaves it')
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

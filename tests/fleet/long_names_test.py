#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A login name longer than 255 bytes. A host signs what it likes, and the session table
(index/sesstab.c, the CLI's and the collector's) kept a string member through a 256-byte
buffer: a name of 8 000 bytes was shown as its first 255, with no mark, and
`query --user` of the name the log recorded found nothing, on the host and in the fleet.
Now the table keeps every value whole.

A name PostgreSQL's session index cannot hold (a key of more than about 2 700 bytes after
compression): the batch holding it was refused (SQLSTATE 54000) at every redelivery, and its
message kept a place in every host's window for good. Now a text longer than the index's
bound is no fact of the index: the session is marked not decoded, and query --fleet reads
that host in full. A name of exactly the bound is indexed.

One nats-server with JetStream, a PostgreSQL of the test's own, the real collector, shipper
and CLI. Host X logs in a user with a 6 000-byte name that does not compress (CJK text),
host Y one with a name of the bound's 2 048 bytes, host B one named bob.

Usage: long_names_test.py SHIP COLLECTOR WRITER SCHEMA CLI
"""
import json, os, random, subprocess, sys

from fleetlib import check, collector_tier, failures, start_collector, stop, temp_run
from pg_engine import nats_or_skip, postgres_or_skip

SHIP, COLLECTOR, WRITER, SCHEMA, CLI = sys.argv[1:6]
NATS = nats_or_skip()
PGBIN, PGUSER = postgres_or_skip()

ORIGINS = {'x': 'host-x/ttyaudit', 'y': 'host-y/ttyaudit', 'b': 'host-b/ttyaudit'}
# Three bytes a character, and random: PostgreSQL's compression leaves it as long.
CJK = random.Random(7)
LONG = ''.join(chr(CJK.randrange(0x4e00, 0x9fff)) for _ in range(2000))
BOUND = 2048  # TA_SF_TEXT_MAX (agent/index/sessfacts.h)
EDGE = ''.join(chr(CJK.randrange(0x4e00, 0x9fff)) for _ in range(BOUND // 3)) + 'yy'
assert len(LONG.encode()) == 6000 and len(EDGE.encode()) == BOUND

run = temp_run('ta-fleet-names-')
T = run.T
rc = 1
try:
    pg, port, url, wvkey, col_argv = collector_tier(run, PGBIN, PGUSER, SCHEMA, NATS, ORIGINS, WRITER,
                                                    COLLECTOR, 'collector-names')
    pg.psql("CREATE ROLE investigator LOGIN PASSWORD 'pw-investigator' IN ROLE ttyaudit_investigator")
    col = start_collector(run, col_argv, 'collector.log')
    for name, value in (('long-name', LONG), ('edge-name', EDGE)):
        with open(os.path.join(T, name), 'w') as f:
            f.write(value)
    TAGS = {'x': f'login:@{T}/long-name:7', 'y': f'login:@{T}/edge-name:5', 'b': 'login:bob:3'}
    sizes = {}
    for u, o in ORIGINS.items():
        d = os.path.join(T, 'logs', u)
        os.makedirs(d)
        sizes[u] = int(subprocess.run([WRITER, d, os.path.join(T, u + '.key'), o, '40', TAGS[u]],
                                      capture_output=True, text=True, check=True).stdout)
        subprocess.run([COLLECTOR, '--dsn', pg.dsn('ttyadmin'), '--enrol', os.path.join(d, 'ttyaudit.vkey'),
                        '--origin', o], capture_output=True, text=True, check=True)

    for u, o in ORIGINS.items():
        p = run.start([SHIP, '--log-dir', os.path.join(T, 'logs', u), '--state', os.path.join(T, u + '.state'),
                       '--nats', url, '--user', 'host-' + u, '--password-file', os.path.join(T, 'pw-host-' + u),
                       '--witness-key', wvkey, '--poll-ms', '100', '--resend-ms', '2000', '--no-alerts',
                       '--until-acked'], f'ship-{u}.log')
        try:
            code = p.wait(60)
        except subprocess.TimeoutExpired:
            stop(p)
            code = 'none: still waiting after 60 s'
        stored = pg.psql(f"SELECT count(*) FROM records WHERE origin = '{o}'")
        check(code == 0 and stored == str(sizes[u]),
              f'{o}: every record stored ({stored} of {sizes[u]}) and its log cosigned (shipper exit {code})')
    refused = pg.psql("SELECT count(*) FROM evidence WHERE kind = 'db-refused'")
    check(refused == '0', f'nothing kept as refused by the database ({refused} rows)')
    undecodable = pg.psql(f"SELECT undecodable FROM host_index WHERE origin = '{ORIGINS['x']}'")
    indexed = pg.psql(f"SELECT count(*) FROM sessions WHERE origin = '{ORIGINS['x']}' AND "
                      f"cardinality(users) > 0")
    check(undecodable == '1' and indexed == '0',
          f'the 6 000-byte name is no fact of the index ({indexed} sessions with a name), and '
          f'X\'s session is marked not decoded ({undecodable} keys)')
    undecodable = pg.psql(f"SELECT undecodable FROM host_index WHERE origin = '{ORIGINS['y']}'")
    whole = pg.psql(f"SELECT count(*) FROM sessions WHERE origin = '{ORIGINS['y']}' AND "
                    f"users @> ARRAY['{EDGE}']")
    check(undecodable == '0' and whole == '1',
          f'the index holds a name of {BOUND} bytes whole ({whole} sessions), and Y is read '
          f'through it ({undecodable} keys not decoded)')

    def query(*a, where=('--fleet', pg.dsn('investigator'))):
        r = subprocess.run([CLI, 'query', *where, *a, '--json'], capture_output=True, text=True)
        return r.returncode, [json.loads(l) for l in r.stdout.splitlines()], r.stderr.strip()

    code, rows, err = query('--user', LONG)
    check(code == 0 and len(rows) == 1 and rows[0].get('user') == LONG and
          rows[0].get('origin') == ORIGINS['x'],
          f'query --fleet --user of the 6 000-byte name: X\'s session '
          f'(exit {code}, {len(rows)} rows, {err[:200]}, {[(r.get("origin"), r.get("records"), len(r.get("user") or "")) for r in rows]})')
    code, rows, err = query('--user', LONG, where=('--log-dir', os.path.join(T, 'logs', 'x')))
    check(code == 0 and len(rows) == 1 and rows[0].get('user') == LONG,
          f'query --user of that name in X\'s own log: its session, the name whole '
          f'(exit {code}, {len(rows)} rows, {err[:200]})')
    # Its first 255 bytes: 85 characters of three bytes each.
    code, rows, err = query('--user', LONG[:85], where=('--log-dir', os.path.join(T, 'logs', 'x')))
    check(code == 2 and not rows, f'its first 255 bytes name no session (exit {code}, {len(rows)} rows)')
    code, rows, err = query('--user', EDGE)
    check(code == 0 and [(r.get('origin'), r.get('user')) for r in rows] == [(ORIGINS['y'], EDGE)],
          f'query --fleet --user of the {BOUND}-byte name: Y\'s session (exit {code}, '
          f'{[r.get("origin") for r in rows]}, {err[:200]})')
    code, rows, err = query('--user', 'bob')
    check(code == 0 and [r.get('origin') for r in rows] == [ORIGINS['b']],
          f'query --fleet --user bob: B\'s session (exit {code}, {[r.get("origin") for r in rows]}, {err[:200]})')
    stop(col)
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

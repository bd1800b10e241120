#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A login name longer than 255 bytes. A host signs what it likes, and the session table
(index/sesstab.c, the CLI's and the collector's) kept a string member through a 256-byte
buffer: a name of 8 000 bytes was shown as its first 255, with no mark, and
`query --user` of the name the log recorded found nothing, on the host and in the fleet.
Now the table keeps every value whole.

One nats-server with JetStream, a PostgreSQL of the test's own, the real collector, shipper
and CLI. Host X logs in a user with an 8 000-byte name, host B one named bob.

Usage: long_names_test.py SHIP COLLECTOR WRITER SCHEMA CLI
"""
import json, os, random, string, subprocess, sys

from fleetlib import check, collector_tier, failures, start_collector, stop, temp_run
from pg_engine import nats_or_skip, postgres_or_skip

SHIP, COLLECTOR, WRITER, SCHEMA, CLI = sys.argv[1:6]
NATS = nats_or_skip()
PGBIN, PGUSER = postgres_or_skip()

ORIGINS = {'x': 'host-x/ttyaudit', 'b': 'host-b/ttyaudit'}
LONG = ''.join(random.Random(7).choice(string.ascii_letters + string.digits) for _ in range(8000))

run = temp_run('ta-fleet-names-')
T = run.T
rc = 1
try:
    pg, port, url, wvkey, col_argv = collector_tier(run, PGBIN, PGUSER, SCHEMA, NATS, ORIGINS, WRITER,
                                                    COLLECTOR, 'collector-names')
    pg.psql("CREATE ROLE investigator LOGIN PASSWORD 'pw-investigator' IN ROLE ttyaudit_investigator")
    col = start_collector(run, col_argv, 'collector.log')
    with open(os.path.join(T, 'long-name'), 'w') as f:
        f.write(LONG)
    TAGS = {'x': f'login:@{T}/long-name:7', 'b': 'login:bob:3'}
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
    whole = pg.psql(f"SELECT count(*) FROM sessions WHERE origin = '{ORIGINS['x']}' AND "
                    f"users @> ARRAY['{LONG}']")
    check(undecodable == '0' and whole == '1',
          f'the session index holds the whole name ({whole} sessions), and X is read through it '
          f'({undecodable} keys not decoded)')

    def query(*a, where=('--fleet', pg.dsn('investigator'))):
        r = subprocess.run([CLI, 'query', *where, *a, '--json'], capture_output=True, text=True)
        return r.returncode, [json.loads(l) for l in r.stdout.splitlines()], r.stderr.strip()

    code, rows, err = query('--user', LONG)
    check(code == 0 and len(rows) == 1 and rows[0].get('user') == LONG and
          rows[0].get('origin') == ORIGINS['x'],
          f'query --fleet --user of the 8 000-byte name: X\'s session '
          f'(exit {code}, {len(rows)} rows, {err[:200]}, {[(r.get("origin"), r.get("records"), len(r.get("user") or "")) for r in rows]})')
    code, rows, err = query('--user', LONG, where=('--log-dir', os.path.join(T, 'logs', 'x')))
    check(code == 0 and len(rows) == 1 and rows[0].get('user') == LONG,
          f'query --user of that name in X\'s own log: its session, the name whole '
          f'(exit {code}, {len(rows)} rows, {err[:200]})')
    code, rows, err = query('--user', LONG[:255], where=('--log-dir', os.path.join(T, 'logs', 'x')))
    check(code == 2 and not rows, f'its first 255 bytes name no session (exit {code}, {len(rows)} rows)')
    code, rows, err = query('--user', 'bob')
    check(code == 0 and [r.get('origin') for r in rows] == [ORIGINS['b']],
          f'query --fleet --user bob: B\'s session (exit {code}, {[r.get("origin") for r in rows]}, {err[:200]})')
    stop(col)
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

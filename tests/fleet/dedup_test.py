#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Message ids another host cannot take. JetStream keeps one duplicate table per
stream, keyed by Nats-Msg-Id whatever the subject: host A, publishing on its own
subject with its own credentials, sent the ids host B's shipper would use
("<origin>/<first>-<last>", ".../checkpoint/<size>/<old>") before B shipped, and
JetStream dropped B's messages as duplicates while telling B they were published.
B's checkpoints then waited forever and nothing of B was cosigned, with no alarm.
Now every id ends with its body's digest (fleet/batch.h), and the collector refuses
a message whose id is not its own host's and body's, as evidence against its host.

One nats-server with JetStream and a user per host allowed its own subjects only,
a PostgreSQL of the test's own, the real collector and shipper. Checks: B's records
are all stored and its log cosigned after A's squatting; the collector raised an
alarm naming A and kept evidence of A's messages; B's shipper saw no Duplicate
acknowledgement of a message it had not published, and counts and says them when
it has (run again without its state); of A's junk the collector keeps each
message's hash, length and first 4 KiB, at most 4 MiB an hour, the rest counted.

Usage: dedup_test.py SHIP COLLECTOR WRITER SCHEMA
"""
import hashlib, os, re, socket, subprocess, sys, time

from fleetlib import check, collector_tier, failures, ohash, pong, start_collector, stop, temp_run
from pg_engine import nats_or_skip, postgres_or_skip

SHIP, COLLECTOR, WRITER, SCHEMA = sys.argv[1:5]
NATS = nats_or_skip()
PGBIN, PGUSER = postgres_or_skip()

ORIGINS = {'a': 'host-a/ttyaudit', 'b': 'host-b/ttyaudit'}


def squat(port, user, subject, ids, bodies=None):
    """Publishes a message per id on subject as user (core NATS: JetStream takes each into the
    stream), of one byte or bodies[i]; returns the server's error line, or b'' once it has
    taken them all."""
    sock = socket.create_connection(('127.0.0.1', port), 10)
    f = sock.makefile('rb')
    f.readline()  # INFO
    sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"user":"%s","pass":"pw-%s"}\r\n'
                 % (user.encode(), user.encode()))
    out = []
    for k, i in enumerate(ids):
        body = bodies[k] if bodies else b'x'
        hdr = b'NATS/1.0\r\nNats-Msg-Id: ' + i.encode() + b'\r\nTtyaudit-Index: 0\r\n\r\n'
        out.append(b'HPUB %s %d %d\r\n%s%s\r\n' % (subject.encode(), len(hdr), len(hdr) + len(body), hdr, body))
    sock.sendall(b''.join(out) + b'PING\r\n')
    return pong(sock, f)


run = temp_run('ta-fleet-dedup-')
T, start = run.T, run.start
rc = 1
try:
    pg, port, url, wvkey, col_argv = collector_tier(run, PGBIN, PGUSER, SCHEMA, NATS, ORIGINS, WRITER,
                                                    COLLECTOR, 'collector-dedup')
    # The collector's default deduplication window (10 minutes): the one the attack used.
    # A's bursts (2 048 and 1 200 messages) go past the stream's default bound per host
    # (fleet_host_bound tests it): here every message must reach the collector.
    col = start_collector(run, col_argv + ['--host-pending', '4096'], 'collector.log')
    sizes = {}
    for u, o in ORIGINS.items():
        d = os.path.join(T, 'logs', u)
        os.makedirs(d)
        sizes[u] = int(subprocess.run([WRITER, d, os.path.join(T, u + '.key'), o, '300', 'dedup'],
                                      capture_output=True, text=True, check=True).stdout)
        subprocess.run([COLLECTOR, '--dsn', pg.dsn('ttyadmin'), '--enrol', os.path.join(d, 'ttyaudit.vkey'),
                        '--origin', o], capture_output=True, text=True, check=True)

    # ---- host A takes the ids B's shipper would use, on A's own subject (the reviewer's
    # repro: records from 0, records with their checkpoint, checkpoints alone; and the
    # second batch's, B's log being longer than one batch).
    ob = ORIGINS['b']
    ids = [i for L in range(512) for i in (f'{ob}/0-{L}', f'{ob}/0-{L}/checkpoint/{L + 1}/0',
                                           f'{ob}/checkpoint/{L + 1}/0')]
    ids += [i for L in range(256, 512) for i in (f'{ob}/256-{L}', f'{ob}/256-{L}/checkpoint/{L + 1}/0')]
    e = squat(port, 'host-a', f'ttyaudit.{ohash(ORIGINS["a"])}.records', ids)
    check(e == b'', f'host A published {len(ids)} messages with B\'s ids on its own subject ({e!r})')

    # ---- then B ships: every record stored, its log cosigned
    p = start([SHIP, '--log-dir', os.path.join(T, 'logs', 'b'), '--state', os.path.join(T, 'b.state'),
               '--nats', url, '--user', 'host-b', '--password-file', os.path.join(T, 'pw-host-b'),
               '--witness-key', wvkey, '--poll-ms', '100', '--resend-ms', '2000', '--no-alerts',
               '--until-acked'], 'ship-b.log')
    try:
        code = p.wait(60)
    except subprocess.TimeoutExpired:
        stop(p)
        code = 'none: still waiting after 60 s'
    nb = sizes['b']
    check(code == 0, f'B\'s shipper finishes: its log cosigned (exit {code})')
    check(pg.until(f"SELECT count(*) FROM records WHERE origin = '{ob}'", str(nb), 10),
          f'all {nb} records of B stored ({pg.psql(f"SELECT count(*) FROM records WHERE origin = {chr(39)}{ob}{chr(39)}")})')
    check(pg.psql(f"SELECT max(size) FROM checkpoints WHERE origin = '{ob}' AND cosignature IS NOT NULL")
          == str(nb), f'B\'s checkpoint of size {nb} cosigned')
    check(pg.until("SELECT count(*) > 0 FROM evidence WHERE origin = 'host-a/ttyaudit' AND kind = 'msgid'",
                   't', 30), 'A\'s messages kept as evidence against A (kind msgid)')
    check(pg.psql(f"SELECT count(*) FROM evidence WHERE origin = '{ob}'") == '0', 'no evidence against B')
    def dup_new(log):
        """The shipper's count of Duplicate acknowledgements of messages it had not published."""
        m = re.search(r'duplicates, (\d+) of them never published before', log)
        return int(m.group(1)) if m else None
    blog = open(p.logname, errors='replace').read()
    check(dup_new(blog) == 0 and 'JetStream already held' not in blog,
          'B\'s shipper had no Duplicate acknowledgement of a message it had not published '
          f'({blog.strip().splitlines()[-1][:160] if blog.strip() else ""})')
    # ---- B's shipper again without its state (as after a crash before its first save):
    # JetStream holds every message, each acknowledged as a Duplicate never published by
    # this process: counted, and said in one warning line.
    os.unlink(os.path.join(T, 'b.state'))
    p = start(p.args, 'ship-b2.log')
    try:
        code = p.wait(60)
    except subprocess.TimeoutExpired:
        stop(p)
        code = 'none: still waiting after 60 s'
    blog = open(p.logname, errors='replace').read().strip().splitlines()
    said = [l for l in blog if 'JetStream already held message host-b/ttyaudit/' in l]
    check(code == 0 and len(said) == 1 and blog and (dup_new(blog[-1]) or 0) > 0,
          f'B\'s shipper without its state: its Duplicate acknowledgements counted and said once '
          f'(exit {code}, {said[:1]}, {blog[-1][:160] if blog else ""})')

    # ---- evidence of a host that sends junk: of each message its hash, length and first
    # 4 KiB; at most 4 MiB of a host's evidence an hour, the rest counted, said once.
    oa, n_junk = ORIGINS['a'], 1200
    junk = [hashlib.sha512(b'%d' % k).digest() * 80 for k in range(n_junk)]   # 5 KiB each
    jids = [f'{oa}/0-0/{hashlib.sha256(b).hexdigest()[:32]}' for b in junk]
    e = squat(port, 'host-a', f'ttyaudit.{ohash(oa)}.records', jids, junk)
    mal = f"FROM evidence WHERE origin = '{oa}' AND kind = 'malformed'"
    pg.until(f"SELECT over > 0 FROM evidence_budget WHERE origin = '{oa}'", 't', 60)
    time.sleep(1)
    kept, stored, longest, lengths = pg.psql(
        f"SELECT count(*), sum(octet_length(message)), max(octet_length(message)), "
        f"string_agg(DISTINCT length::text, ',') {mal}").split('|')
    # (A run across the hour's end has two budgets.)
    over, hours = pg.psql(f"SELECT sum(over), count(*) FROM evidence_budget WHERE origin = '{oa}'").split('|')
    one = pg.psql(f"SELECT encode(sha256, 'hex') {mal} ORDER BY id LIMIT 1")
    # (The budget also paid A's repeated alarm lines above: fewer than 1024 pieces fit.)
    check(e == b'' and 900 <= int(kept) <= 1024 * int(hours) and int(stored) <= int(hours) * 4 << 20 and
          longest == '4096' and
          lengths == '5120' and one == hashlib.sha256(junk[0]).hexdigest() and
          int(kept) + int(over or 0) == n_junk,
          f'{n_junk} junk messages of 5 KiB: {kept} kept (first 4 KiB each, {stored} bytes, the '
          f'received length {lengths} and hash), {over} past the hourly budget counted')
    stop(col)
    log = open(col.logname, errors='replace').read()
    said = [l for l in log.splitlines() if f'ALARM {oa}: its evidence this hour passed' in l]
    junk_alarms = [l for l in log.splitlines() if f'ALARM {oa}: records message of 5120' in l]
    check(len(said) == int(hours) and len(junk_alarms) == int(kept),
          f'one line says the budget is passed, one ALARM line per piece kept ({len(said)}, '
          f'{len(junk_alarms)})')
    alarms = [l for l in log.splitlines() if 'ALARM host-a/ttyaudit' in l and 'another origin' in l]
    check(len(alarms) > 0, f'the collector raised an alarm naming host A ({alarms[:1]})')
    last = log.strip().splitlines()[-1] if log.strip() else ''
    check(f"message ids not their host's or body's {len(ids)}," in last and
          f"evidence budget, not kept {int(over or 0)})" in last,
          f'the collector counted A\'s {len(ids)} messages and the evidence past the budget '
          f'({last[:400]})')
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checkpoints that wait hold none of the window every host shares (docs/fleet.md,
"Checkpoints that wait"). A checkpoint whose records are not all stored yet (or whose
predecessor is not cosigned yet) used to go back to JetStream with a delay, and a message
delivered and not acknowledged counts against the consumer's MaxAckPending, which all
collectors and all hosts share: a host signing checkpoints far beyond its records (its root
can) filled that window for minutes at a time, and no host's messages were delivered. Now
such a checkpoint is acknowledged and waits in PostgreSQL (table parked), at most
TA_COLLECT_PARKED_MAX per host, and the collectors try it again from there.

One nats-server with JetStream and a user per host, a PostgreSQL of the test's own, the
real collector and shipper. The consumer is made here with a window of 16 messages, so
that 40 waiting checkpoints would fill it. Checks: host X's 40 checkpoints beyond its
records wait in PostgreSQL, the consumer holds none of them; host A's log, shipped
meanwhile, is stored and cosigned; A's own checkpoint sent before its records waits and
is taken once they come; X past its bound of waiting checkpoints has the rest dropped,
said and counted; a parked checkpoint the database refuses when it is tried again (here a
constraint the test adds) is taken out and kept as evidence, and the collector goes on.

Usage: waiting_test.py SHIP COLLECTOR WRITER SCHEMA CLI
"""
import base64, os, subprocess, sys, time

from fleetlib import (check, collector_tier, failures, host_publish, js_api, log_has, ohash,
                      sealed, sign_note, start_collector, stop, temp_run)
from pg_engine import nats_or_skip, postgres_or_skip

SHIP, COLLECTOR, WRITER, SCHEMA, CLI = sys.argv[1:6]
NATS = nats_or_skip()
PGBIN, PGUSER = postgres_or_skip()

ORIGINS = {'a': 'host-a/waiting', 'x': 'host-x/waiting', 'c': 'host-c/waiting'}
WINDOW = 16          # the consumer's MaxAckPending, made small here
PARKED_MAX = 64      # TA_COLLECT_PARKED_MAX (collector.h)


def checkpoint_msg(origin, keyfile, size, tag, note=None):
    """A checkpoints message of origin (subject, headers, body) as its shipper makes one:
    "old 0", then note, or a note of size signed with the host's key over a root of no
    records it sent. tag: a number, the id's last part (a shipper's old size)."""
    if note is None:
        note = sign_note(keyfile, b'%s\n%d\n%s\n' % (origin.encode(), size,
                                                     base64.b64encode(bytes([size % 251]) * 32)))
    body = b'old 0\n\n' + note
    return (f'ttyaudit.{ohash(origin)}.checkpoints',
            [(b'Nats-Msg-Id', sealed(f'{origin}/checkpoint/{size}/{tag}', body)), (b'Ttyaudit-Old', b'0')],
            body)


run = temp_run('ta-fleet-waiting-')
T, start = run.T, run.start
rc = 1
try:
    pg, port, url, wvkey, col_argv = collector_tier(run, PGBIN, PGUSER, SCHEMA, NATS, ORIGINS, WRITER,
                                                    COLLECTOR, 'collector-waiting')

    def collector(log):
        return start_collector(run, col_argv, log)

    sizes, keys = {}, {}
    for u, o in ORIGINS.items():
        d = os.path.join(T, 'logs', u)
        os.makedirs(d)
        keys[u] = os.path.join(T, u + '.key')
        sizes[u] = int(subprocess.run([WRITER, d, keys[u], o, '600', 'waiting'],
                                      capture_output=True, text=True, check=True).stdout)
        subprocess.run([COLLECTOR, '--dsn', pg.dsn('ttyadmin'), '--enrol', os.path.join(d, 'ttyaudit.vkey'),
                        '--origin', o], capture_output=True, text=True, check=True)

    # ---- the stream as a collector makes it; the consumer made again with a small window
    stop(collector('collector-1.log'))
    d = js_api(port, '$JS.API.CONSUMER.DELETE.TTYAUDIT.collectors')
    r = js_api(port, '$JS.API.CONSUMER.DURABLE.CREATE.TTYAUDIT.collectors',
               b'{"stream_name":"TTYAUDIT","config":{"durable_name":"collectors","ack_policy":"explicit",'
               b'"ack_wait":2000000000,"max_ack_pending":%d}}' % WINDOW)
    check(d.get('success') and r.get('config', {}).get('max_ack_pending') == WINDOW,
          f'the consumer, with a window of {WINDOW} ({r.get("error")})')

    # ---- X signs 40 checkpoints far beyond its records (it sent none); A's own checkpoint
    # comes before A's records
    ox, oa = ORIGINS['x'], ORIGINS['a']
    far = [checkpoint_msg(ox, keys['x'], 100000 + i, i) for i in range(40)]
    note_a = subprocess.run([CLI, 'checkpoint', '--log-dir', os.path.join(T, 'logs', 'a')],
                            capture_output=True, check=True).stdout
    early = checkpoint_msg(oa, None, sizes['a'], 1, note_a)
    check(host_publish(port, 'host-x', far) == b'' and host_publish(port, 'host-a', [early]) == b'',
          'X published 40 checkpoints beyond its records, A its checkpoint before its records')
    col = collector('collector-2.log')
    waiting = "SELECT count(*) FROM parked WHERE origin = '%s'"
    check(pg.until(waiting % ox, '40', 30) and pg.until(waiting % oa, '1', 5),
          f'they wait in PostgreSQL (X {pg.psql(waiting % ox)}, A {pg.psql(waiting % oa)})')
    pending = js_api(port, '$JS.API.CONSUMER.INFO.TTYAUDIT.collectors').get('num_ack_pending')
    check(pending == 0, f'the consumer holds none of them ({pending} messages delivered, not '
          f'acknowledged, of a window of {WINDOW})')

    # ---- A ships meanwhile: its messages are delivered, its log stored and cosigned, and its
    # early checkpoint taken once its records came
    p = start([SHIP, '--log-dir', os.path.join(T, 'logs', 'a'), '--state', os.path.join(T, 'a.state'),
               '--nats', url, '--user', 'host-a', '--password-file', os.path.join(T, 'pw-host-a'),
               '--witness-key', wvkey, '--poll-ms', '100', '--no-alerts', '--until-acked'], 'ship-a.log')
    try:
        code = p.wait(60)
    except subprocess.TimeoutExpired:
        stop(p)
        code = 'none: still waiting after 60 s'
    na = sizes['a']
    check(code == 0 and pg.psql(f"SELECT count(*) FROM records WHERE origin = '{oa}'") == str(na) and
          pg.psql(f"SELECT max(size) FROM checkpoints WHERE origin = '{oa}' AND cosignature IS NOT NULL")
          == str(na), f'A\'s {na} records stored and cosigned while X\'s checkpoints wait (shipper exit {code})')
    check(pg.until(waiting % oa, '0', 15),
          f'A\'s checkpoint that came before its records is taken once they are stored '
          f'({pg.psql(waiting % oa)} waiting)')

    # ---- a parked checkpoint the database refuses when tried again (here a constraint the test
    # adds on parked itself: C's checkpoint may be parked once, not again) would fail every
    # batch that takes it: it is taken out of parked alone, kept as evidence, and stalls nothing.
    oc = ORIGINS['c']
    pg.psql(f"ALTER TABLE parked ADD CONSTRAINT waiting_test_refuse_c CHECK (origin <> '{oc}' OR tries < 2)")
    dropped_sql = (f"SELECT count(*) FROM evidence WHERE origin = '{oc}' AND kind = 'db-refused' AND "
                   "alarm LIKE '%it was a parked checkpoint, now dropped%'")
    check(host_publish(port, 'host-c', [checkpoint_msg(oc, keys['c'], 100000, 0)]) == b'' and
          pg.until(dropped_sql, '1', 30) and pg.until(waiting % oc, '0', 5),
          f'C\'s parked checkpoint the database refuses when tried again is taken out '
          f'({pg.psql(waiting % oc)} waiting) and kept as evidence ({pg.psql(dropped_sql)})')
    # X's, taken with it at times, are tried alone then, and stay.
    innocent = pg.psql(f"SELECT count(*) FROM evidence WHERE kind = 'db-refused' AND origin <> '{oc}'")
    check(innocent == '0' and pg.psql(waiting % ox) == '40',
          f'the other parked checkpoints are not blamed ({innocent} evidence rows), and wait on '
          f'(X {pg.psql(waiting % ox)})')
    # Its evidence refused as well (a constraint on evidence now): it is still taken out of
    # parked, alone, and the collector says so; no evidence row is half written.
    pg.psql(f"ALTER TABLE evidence ADD CONSTRAINT waiting_test_refuse_c_evidence "
            f"CHECK (origin IS DISTINCT FROM '{oc}' OR kind <> 'db-refused') NOT VALID")
    check(host_publish(port, 'host-c', [checkpoint_msg(oc, keys['c'], 100001, 0)]) == b'' and
          log_has(col.logname, 'is dropped without evidence', 30) and
          pg.until(waiting % oc, '0', 5) and pg.psql(dropped_sql) == '1' and
          pg.psql(waiting % ox) == '40',
          f'a parked checkpoint whose evidence is refused too is taken out without it '
          f'({pg.psql(waiting % oc)} waiting, {pg.psql(dropped_sql)} evidence, X {pg.psql(waiting % ox)})')
    pg.psql("ALTER TABLE evidence DROP CONSTRAINT waiting_test_refuse_c_evidence")
    # Its evidence failing for another reason than its data (here a trigger that fails C's
    # with a serialization failure): the row is taken out of parked only with its evidence,
    # in one transaction, so it stays parked meanwhile (it was deleted first, the evidence
    # then lost), and is taken out with it once the evidence can be written.
    pg.psql("CREATE FUNCTION waiting_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'waiting test' USING ERRCODE = 'serialization_failure'; END $$")
    pg.psql(f"CREATE TRIGGER waiting_test_fail BEFORE INSERT ON evidence FOR EACH ROW WHEN "
            f"(NEW.origin = '{oc}' AND NEW.kind = 'db-refused') EXECUTE FUNCTION waiting_test_fail()")
    host_publish(port, 'host-c', [checkpoint_msg(oc, keys['c'], 100002, 0)])
    held = pg.until(waiting % oc, '1', 15) and not pg.until(waiting % oc, '0', 3)
    check(held and pg.psql(dropped_sql) == '1',
          f'a parked checkpoint whose evidence cannot be written yet stays parked '
          f'({pg.psql(waiting % oc)} waiting, {pg.psql(dropped_sql)} evidence)')
    pg.psql("DROP TRIGGER waiting_test_fail ON evidence")
    pg.psql("DROP FUNCTION waiting_test_fail()")
    check(pg.until(dropped_sql, '2', 30) and pg.until(waiting % oc, '0', 5),
          f'then it is taken out with its evidence ({pg.psql(waiting % oc)} waiting, '
          f'{pg.psql(dropped_sql)} evidence)')
    pg.psql("ALTER TABLE parked DROP CONSTRAINT waiting_test_refuse_c")

    # ---- a checkpoint request past 64 KiB (a note padded with extension lines): refused
    # whole, not parked to be read again at every try
    big = sign_note(keys['x'], b'%s\n%d\n%s\n' % (ox.encode(), 300000, base64.b64encode(b'\x07' * 32)) +
                    b''.join(b'pad %d %s\n' % (k, b'p' * 90) for k in range(800)))
    malformed = f"SELECT count(*) FROM evidence WHERE origin = '{ox}' AND kind = 'malformed'"
    check(host_publish(port, 'host-x', [checkpoint_msg(ox, None, 300000, 0, big)]) == b'' and
          pg.until(malformed, '1', 15) and pg.psql(waiting % ox) == '40',
          f'a checkpoint request of {len(big) + 7} bytes is refused as malformed, not parked '
          f'({pg.psql(malformed)} evidence rows, X {pg.psql(waiting % ox)} waiting)')

    # ---- X past its bound: the rest dropped (its shipper would send them again), said, counted
    more = [checkpoint_msg(ox, keys['x'], 200000 + i, i) for i in range(100)]
    check(host_publish(port, 'host-x', more) == b'', 'X published 100 more')
    check(pg.until(waiting % ox, str(PARKED_MAX), 30) and
          log_has(col.logname, 'checkpoints waiting already', 15),
          f'X keeps at most {PARKED_MAX} waiting ({pg.psql(waiting % ox)}), and the collector says so')
    n = None
    for _ in range(100):
        n = js_api(port, '$JS.API.STREAM.INFO.TTYAUDIT').get('state', {}).get('messages')
        if n == 0:
            break
        time.sleep(0.2)
    check(n == 0, f'every message was acknowledged ({n} left in the stream)')
    stop(col)
    last = open(col.logname, errors='replace').read()
    dropped = last.split('checkpoints past their host\'s waiting bound, dropped ')[-1].split(';')[0]
    check(dropped.isdigit() and int(dropped) == 140 - PARKED_MAX,
          f'the collector counts the checkpoints dropped past the bound ({dropped})')
    rc = 1 if failures else 0
finally:
    rc = run.finish(rc)
sys.exit(rc)

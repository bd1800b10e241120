# SPDX-License-Identifier: GPL-2.0-or-later
"""query --fleet through the session index when the selected sessions outnumber one records
statement (agent/cli/fleet_index.c: runs of whole hosts, about 4 096 sessions each): a
PostgreSQL of the test's own, filled in the collector's schema by fleet_query_fill (real
record envelopes over 90 days, so over several monthly partitions), 4 hosts x 2 500 sessions
of one user. Every output must equal that of the hosts read in full (host_index.complete =
false: the reader that does not use the index), and the records must come in two statements
(hosts 1-2, then 3-4), each naming only the partitions its sessions span.

Usage: index_runs_test.py CLI FILL SCHEMA"""
import datetime, os, re, subprocess, sys

from fleetlib import Postgres, check, failures, logged_during, temp_run
from pg_engine import postgres_or_skip

CLI, FILL, SCHEMA = sys.argv[1:4]
HOSTS, PER_HOST, DAYS = 4, 2500, 90
# The records statement, as the server logs it (log_min_duration_statement = 0).
RECORDS_STMT = 'execute <unnamed>: SELECT s.n, r.idx, r.stored FROM unnest('
PLAN_OF_RECORDS = 'Query Text: SELECT s.n, r.idx, r.stored FROM unnest('


def main():
    pgbin, pguser = postgres_or_skip()
    run = temp_run('ta-fleet-runs-')
    rc = 1
    try:
        pg = Postgres(run, pgbin, pguser, SCHEMA)
        pg.psql("CREATE ROLE investigator LOGIN PASSWORD 'pw-investigator' IN ROLE ttyaudit_investigator")
        pg.psql(f"SELECT ttyaudit_add_partitions((now() - interval '{DAYS + 31} days')::date, 6)")
        sess = os.path.join(run.T, 'sessions.copy')
        fill = subprocess.Popen([FILL, str(HOSTS), str(PER_HOST), '1', '4', str(DAYS), sess],
                                stdout=subprocess.PIPE)
        r = subprocess.run([f'{pgbin}/psql', '-h', '127.0.0.1', '-p', str(pg.port), '-U', 'ttyadmin', '-d',
                            'fleet', '-v', 'ON_ERROR_STOP=1', '-Atqc',
                            'COPY records (origin, idx, ts, time_ns, type, session, stored) FROM STDIN'],
                           stdin=fill.stdout, capture_output=True, text=True,
                           env=dict(os.environ, PGPASSWORD='pw-ttyadmin'))
        fill.stdout.close()
        if fill.wait() or r.returncode:
            raise RuntimeError(f'fill: {r.stderr.strip()}')
        pg.psql(f"\\copy sessions (origin, session, first_ts, last_ts, records, auids, users, hosts, ttys, "
                f"related, global) FROM '{sess}'")
        pg.psql("INSERT INTO enrolment (origin, subject_hash, vkey) SELECT origin, substr(md5(origin), 1, 16), "
                "'test+00000000+AAAA' FROM (SELECT DISTINCT origin FROM sessions) o")
        pg.psql("INSERT INTO host_index (origin, records, lo, hi) SELECT origin, sum(records), 0, "
                "sum(records) - 1 FROM sessions GROUP BY origin")
        pg.psql("ANALYZE")
        months = int(pg.psql("SELECT count(DISTINCT date_trunc('month', ts)) FROM records"))
        check(months >= 3, f'the records span {months} monthly partitions (3 or more)')

        dsn = pg.dsn('investigator')
        logf = os.path.join(run.T, 'pg', 'log')

        def query(*args):
            """(exit code, output, records statements the server ran for it, the partitions
            their plans name)."""
            q, log = logged_during(logf, lambda: subprocess.run([CLI, 'query', '--fleet', dsn] + list(args),
                                                                  capture_output=True, text=True))
            parts = set()
            for plan in log.split(PLAN_OF_RECORDS)[1:]:
                lines = plan.split('\n')[1:]
                for l in lines[:next((i for i, l in enumerate(lines) if not l.startswith(('\t', ' '))),
                                     len(lines))]:
                    parts.update(re.findall(r'\bon (records_\w+)', l))
            return q.returncode, q.stdout + q.stderr, log.count(RECORDS_STMT), parts

        # Each statement and its plan in the server's log (auto_explain: the plan as run).
        pg.psql("ALTER ROLE investigator SET log_min_duration_statement = 0; "
                "ALTER ROLE investigator SET session_preload_libraries = 'auto_explain'; "
                "ALTER ROLE investigator SET auto_explain.log_min_duration = 0")
        cases = [('--user', 'user00000'), ('--user', 'user00000', '--json'), ('--user', '10000'),
                 ('--since', (datetime.date.today() - datetime.timedelta(days=DAYS // 2)).isoformat()), ('--user', 'user00000', '--origin', 'host-00003')]
        indexed = {c: query(*c) for c in cases}
        rc0, out, stmts, _ = indexed[cases[0]]
        rows = len(out.splitlines()) - 1
        check(rc0 == 0 and rows == HOSTS * PER_HOST,
              f'query --user through the index: exit {rc0}, {rows} sessions listed ({HOSTS * PER_HOST})')
        check(stmts == 2, f'their records came in {stmts} statements (2: hosts 1-2, then 3-4; a host is never split)')
        _, _, stmts, parts = indexed[cases[4]]
        # The plan names only the partitions of the host's sessions' times, not all of them.
        span = set(pg.psql("SELECT 'records_' || to_char(m, 'YYYYMM') FROM generate_series("
                           "(SELECT date_trunc('month', min(first_ts)) FROM sessions WHERE origin LIKE "
                           "'host-00003%'), (SELECT max(last_ts) FROM sessions WHERE origin LIKE "
                           "'host-00003%'), interval '1 month') m").split())
        every = set(pg.psql("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                            "WHERE i.inhparent = 'records'::regclass").split())
        check(stmts == 1 and parts == span and len(every) > len(span),
              f'one host: one records statement ({stmts}), whose plan names the partitions its sessions '
              f'span, {sorted(parts)}, of {len(every)}')

        pg.psql("UPDATE host_index SET complete = false")
        for c in cases:
            rcf, full, stmts, _ = query(*c)
            rci, out, _, _ = indexed[c]
            check(rcf == rci == 0 and full == out and stmts == 0,
                  f'query --fleet {" ".join(c)}: the index gives what the hosts read in full give '
                  f'(exit {rci}/{rcf}, {len(out.splitlines())} lines)')
        rc = 1 if failures else 0
    except Exception as e:
        check(False, str(e))
        rc = 1
    return run.finish(rc)


if __name__ == '__main__':
    sys.exit(main())

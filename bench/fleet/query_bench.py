"""Fleet query benchmark (docs/performance.md, "Fleet tier"): ttyaudit query --fleet DSN --user U
against a PostgreSQL holding a large fleet in the collector's schema.

It starts its own PostgreSQL (initdb + pg_ctl in a temporary directory, 127.0.0.1, as the fleet
tests do), applies schema.sql, fills it with fleet_query_fill's records (real envelopes: login,
terminal batches, logout) and the session index rows a collector would have merged, then runs
the CLI as a program for random users and prints p50/p99/max of its wall-clock time, and the
statements' in-database times (auto_explain, EXPLAIN ANALYZE) of one run.

Fill shortcuts, none of which the query sees: fsync=off, synchronous_commit=off, wal_level=minimal;
the records indexes are built after COPY; leaves are not filled (query does not read them); one
checkpoint per host. Figures only: nothing passes or fails on time.

Usage: query_bench.py TTYAUDIT FILL SCHEMA
Environment: TA_FLEETQ_HOSTS (1000), TA_FLEETQ_SESSIONS (sessions per host, 1000),
TA_FLEETQ_USERS (5000), TA_FLEETQ_RECORDS (records per session on average, 10),
TA_FLEETQ_QUERIES (200), TA_FLEETQ_DAYS (28).
TA_FLEETQ_DATA=DIR keeps the filled database in DIR (not removed at the end) and reuses it when
DIR holds one already (the fill is skipped; schema.sql is applied again, as an upgrade would).
TA_FLEETQ_BASE=TTYAUDIT alternates each query between the two programs (A/B in one sitting, on
the same users) and prints both figures.
TA_FLEETQ_SHARED_BUFFERS (6GB): the server's shared_buffers, sized to hold what the query reads (the
session index and the records partitions with their session index, ~4.6 GB here), which is then
loaded with pg_prewarm before the timed runs: a database host whose memory holds its working set,
as the steady state of a collector's database answering investigators. This machine's page cache
is not kept (the hypervisor reclaims it): without this, 10-50 % of a query's pages come from disk.
TA_FLEETQ_PREWARM=0 skips the prewarm (figures then depend on what the page cache holds).
TA_FLEETQ_TLS (1): the server also takes TLS, and a second role, investigator_cert, logs in with a
client certificate (a CA made here with openssl, P-256): the same users are queried over TLS with
certificate authentication, directly and through the pooler (TLS to the pooler, which checks the
certificate and hands the program a warm server connection). The plain runs say sslmode=disable.
TA_FLEETQ_HUGEPAGES (1): shared_buffers in 2 MB huge pages, reserved (vm.nr_hugepages) for the run
and given back at its end: a new backend (one per query here) otherwise maps every 4 kB page of the
buffers it reads, one page fault each (a quarter of its time in this query). 0: the kernel's pages.
"""
import os, random, shutil, signal, socket, subprocess, sys, tempfile, time

CLI, FILL, SCHEMA = sys.argv[1:4]
env = lambda k, d: int(os.environ.get(k, d))
HOSTS, PER_HOST, USERS = env('TA_FLEETQ_HOSTS', 1000), env('TA_FLEETQ_SESSIONS', 1000), env('TA_FLEETQ_USERS', 5000)
PER_SES, QUERIES, DAYS = env('TA_FLEETQ_RECORDS', 10), env('TA_FLEETQ_QUERIES', 200), env('TA_FLEETQ_DAYS', 28)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fleet'))
from pg_engine import postgres_or_skip
PGBIN, PGUSER = postgres_or_skip()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))

def free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

KEEP = os.environ.get('TA_FLEETQ_DATA')
BASE = os.environ.get('TA_FLEETQ_BASE')
if KEEP:
    T = os.path.abspath(KEEP)
    os.makedirs(T, exist_ok=True)
else:
    base = tempfile.gettempdir()
    if not os.stat(base).st_mode & 0o001:
        base = '/var/tmp'
    T = tempfile.mkdtemp(prefix='ta-fleetq-', dir=base)
os.chmod(T, 0o755)
pgport, pgdata = free_port(), os.path.join(T, 'pg')
FILLED = os.path.join(T, 'filled')   # the fill's summary line: the database is complete
reuse = bool(KEEP) and os.path.exists(FILLED)

def as_pg(argv):
    return subprocess.run(['runuser', '-u', 'postgres', '--'] + argv, capture_output=True, text=True)

def psql(sql, user='ttyadmin', stdin=None, **kw):
    r = subprocess.run([f'{PGBIN}/psql', '-h', '127.0.0.1', '-p', str(pgport), '-U', user, '-d', 'fleet',
                        '-v', 'ON_ERROR_STOP=1', '-Atq', '-c', sql], capture_output=True, text=True, stdin=stdin,
                       env=dict(os.environ, PGPASSWORD='pw-' + user), **kw)
    if r.returncode:
        raise RuntimeError(f'psql {sql[:80]!r}: {r.stderr.strip()}')
    return r.stdout.strip()

TLS = os.environ.get('TA_FLEETQ_TLS', '1') != '0'
TLSDIR = os.path.join(T, 'tls')

def make_tls():
    """A CA, the server's certificate (127.0.0.1) and investigator_cert's client certificate,
    P-256. The server's key is the postgres user's; the client's, root's (the program's)."""
    os.makedirs(TLSDIR, exist_ok=True)
    def ossl(*a):
        subprocess.run(['openssl'] + list(a), check=True, capture_output=True)
    ca, cakey = f'{TLSDIR}/ca.crt', f'{TLSDIR}/ca.key'
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
         '-subj', '/CN=ttyaudit bench CA', '-keyout', cakey, '-out', ca)
    with open(f'{TLSDIR}/san.ext', 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\n')
    for name, cn, ext in (('server', '127.0.0.1', ['-extfile', f'{TLSDIR}/san.ext']),
                          ('client', 'investigator_cert', [])):
        ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', f'/CN={cn}',
             '-keyout', f'{TLSDIR}/{name}.key', '-out', f'{TLSDIR}/{name}.csr')
        ossl('x509', '-req', '-in', f'{TLSDIR}/{name}.csr', '-CA', ca, '-CAkey', cakey, '-CAcreateserial',
             '-days', '2', *ext, '-out', f'{TLSDIR}/{name}.crt')
    for n in os.listdir(TLSDIR):
        os.chmod(os.path.join(TLSDIR, n), 0o600 if n.endswith('.key') else 0o644)
    os.chown(f'{TLSDIR}/server.key', PGUSER.pw_uid, PGUSER.pw_gid)
    os.chmod(TLSDIR, 0o755)

def cert_dsn(port):
    return (f'host=127.0.0.1 port={port} dbname=fleet user=investigator_cert sslmode=verify-full '
            f'sslrootcert={TLSDIR}/ca.crt sslcert={TLSDIR}/client.crt sslkey={TLSDIR}/client.key')

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]

def timed_query(prog, dsn, i, u, what):
    """One `query --fleet --user` as a program, user u by name (even i) or by login uid (odd i):
    its wall-clock ms and its result."""
    who = f'user{u:05d}' if i % 2 == 0 else str(10000 + u)
    s = time.perf_counter()
    r = subprocess.run([prog, 'query', '--fleet', dsn, '--user', who], capture_output=True, text=True)
    ms = (time.perf_counter() - s) * 1000
    if r.returncode:
        raise RuntimeError(f'{what}: query --user {who}: exit {r.returncode}: {r.stderr.strip()}')
    return ms, r

def pooled(dsn_fmt, users, tls=False):
    """The same queries through a connection pooler (pgbouncer, session pooling: each program
    still starts, connects and authenticates with scram-sha-256, to the pooler, which hands it
    a server connection an earlier program warmed; the deployment docs/fleet.md describes for
    investigators). Skipped without pgbouncer or with TA_FLEETQ_POOLER=0."""
    bouncer = shutil.which('pgbouncer') or ('/usr/sbin/pgbouncer' if os.path.exists('/usr/sbin/pgbouncer') else None)
    if not bouncer or os.environ.get('TA_FLEETQ_POOLER', '1') == '0':
        print('bench: through pgbouncer: skipped (no pgbouncer, or TA_FLEETQ_POOLER=0)', flush=True)
        return
    bport, bdir = free_port(), os.path.join(T, 'pgbouncer-tls' if tls else 'pgbouncer')
    os.makedirs(bdir, exist_ok=True)
    # The role's SCRAM secret: the pooler checks clients with it and logs in to the server with
    # the keys the client proved (no password stored in clear).
    secret = psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'investigator'")
    with open(os.path.join(bdir, 'userlist.txt'), 'w') as f:
        f.write(f'"investigator" "{secret}"\n"investigator_cert" ""\n')
    ini = os.path.join(bdir, 'pgbouncer.ini')
    # With TLS: the pooler checks the client's certificate (its CN is the user) and logs in
    # to the server as investigator (scram-sha-256, once per server connection).
    forced = ' user=investigator password=pw-investigator' if tls else ''
    tls_conf = (f'client_tls_sslmode = verify-full\nclient_tls_ca_file = {TLSDIR}/ca.crt\n'
                f'client_tls_cert_file = {TLSDIR}/server.crt\nclient_tls_key_file = {TLSDIR}/server.key\n'
                ) if tls else ''
    with open(ini, 'w') as f:
        f.write(f'''[databases]
fleet = host=127.0.0.1 port={pgport} dbname=fleet{forced}
[pgbouncer]
{tls_conf}
listen_addr = 127.0.0.1
listen_port = {bport}
unix_socket_dir =
auth_type = {'cert' if tls else 'scram-sha-256'}
auth_file = {bdir}/userlist.txt
pool_mode = session
default_pool_size = 2
logfile = {bdir}/pgbouncer.log
pidfile = {bdir}/pgbouncer.pid
''')
    for n in os.listdir(bdir):
        os.chown(os.path.join(bdir, n), PGUSER.pw_uid, PGUSER.pw_gid)
    os.chown(bdir, PGUSER.pw_uid, PGUSER.pw_gid)
    proc = subprocess.Popen(['runuser', '-u', 'postgres', '--', bouncer, ini],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', bport), 0.2).close(); break
            except OSError:
                time.sleep(0.1)
        pdsn = cert_dsn(bport) if tls else dsn_fmt.format(port=bport)
        subprocess.run([CLI, 'query', '--fleet', pdsn, '--user', 'user00000'], capture_output=True)
        t, load = [], os.getloadavg()[0]
        for i, u in enumerate(users):
            t.append(timed_query(CLI, pdsn, i, u, 'through pgbouncer')[0])
        how = 'TLS and a client certificate' if tls else 'scram-sha-256'
        print(f'bench: query --fleet --user through pgbouncer (session pooling), the same {len(t)} users: '
              f'p50 {pct(t, 50):.1f} ms, p99 {pct(t, 99):.1f} ms, max {max(t):.1f} ms (the program: start, '
              f'connection with {how} to the pooler, statements, output); load average '
              f'{load:.1f} before, {os.getloadavg()[0]:.1f} after', flush=True)
    finally:
        proc.terminate()
        proc.wait(10)

rc = 1
hugepages_before = None
try:
    if reuse:
        print(f'bench: reusing the database in {T}', flush=True)
    else:
        if os.path.exists(pgdata):
            shutil.rmtree(pgdata)
        os.mkdir(pgdata); os.chown(pgdata, PGUSER.pw_uid, PGUSER.pw_gid)
        pwf = os.path.join(T, 'pgpw'); open(pwf, 'w').write('pw-ttyadmin\n'); os.chmod(pwf, 0o644)
        r = as_pg([f'{PGBIN}/initdb', '-D', pgdata, '-U', 'ttyadmin', '--pwfile', pwf, '-A', 'scram-sha-256'])
        if r.returncode:
            raise RuntimeError('initdb: ' + r.stderr)
    shared_buffers = os.environ.get('TA_FLEETQ_SHARED_BUFFERS', '6GB')
    huge = 'off'
    if os.environ.get('TA_FLEETQ_HUGEPAGES', '1') != '0':
        units = {'MB': 1, 'GB': 1024}
        mb = int(shared_buffers[:-2]) * units[shared_buffers[-2:]]
        hugepages_before = int(open('/proc/sys/vm/nr_hugepages').read())
        want = mb // 2 * 11 // 10 + 64   # the buffers and the rest of the shared memory
        if hugepages_before < want:
            with open('/proc/sys/vm/nr_hugepages', 'w') as f:
                f.write(str(want))
        got = int(open('/proc/sys/vm/nr_hugepages').read())
        huge = 'on' if got >= want else 'off'
        print(f'bench: huge pages {got} reserved ({huge})', flush=True)
    opts = (f'-p {pgport} -k {pgdata} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off '
            '-c wal_level=minimal -c max_wal_senders=0 -c max_wal_size=8GB -c checkpoint_timeout=1h '
            f'-c maintenance_work_mem=512MB -c shared_buffers={shared_buffers} -c huge_pages={huge}')
    if TLS:
        make_tls()
        opts += (f' -c ssl=on -c ssl_cert_file={TLSDIR}/server.crt -c ssl_key_file={TLSDIR}/server.key'
                 f' -c ssl_ca_file={TLSDIR}/ca.crt')
        # investigator_cert: TLS and its certificate only (first match); everyone else as initdb set.
        hba = os.path.join(pgdata, 'pg_hba.conf')
        lines = [l for l in open(hba).read().splitlines(True) if 'investigator_cert' not in l]
        with open(hba, 'w') as f:
            f.write('hostssl fleet investigator_cert 127.0.0.1/32 cert\n'
                    'host fleet investigator_cert 0.0.0.0/0 reject\n' + ''.join(lines))
    r = as_pg([f'{PGBIN}/pg_ctl', '-D', pgdata, '-w', '-l', os.path.join(pgdata, 'log'), '-o', opts, 'start'])
    if r.returncode:
        raise RuntimeError('pg_ctl: ' + r.stderr + r.stdout)
    if not reuse:
        subprocess.run([f'{PGBIN}/psql', '-h', '127.0.0.1', '-p', str(pgport), '-U', 'ttyadmin', '-d', 'postgres',
                        '-c', 'CREATE DATABASE fleet'], check=True, capture_output=True,
                       env=dict(os.environ, PGPASSWORD='pw-ttyadmin'))
    # Applied again on a kept database: the upgrade path of an existing one.
    subprocess.run([f'{PGBIN}/psql', '-h', '127.0.0.1', '-p', str(pgport), '-U', 'ttyadmin', '-d', 'fleet',
                    '-v', 'ON_ERROR_STOP=1', '-q', '-f', SCHEMA], check=True, capture_output=True,
                   env=dict(os.environ, PGPASSWORD='pw-ttyadmin'))
    if TLS:
        psql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'investigator_cert') THEN "
             "CREATE ROLE investigator_cert LOGIN IN ROLE ttyaudit_investigator; END IF; END $$")
    if reuse:
        psql('ALTER ROLE investigator RESET ALL')   # a run stopped before its cleanup
        psql('ANALYZE')
        print(open(FILLED).read().strip(), flush=True)
    else:
        psql("CREATE ROLE investigator LOGIN PASSWORD 'pw-investigator' IN ROLE ttyaudit_investigator")
        # Months back to the span's start, so that records land in monthly partitions, not the default.
        psql(f"SELECT ttyaudit_add_partitions((now() - interval '{DAYS + 31} days')::date, 4)")

        n_rec_est = HOSTS * PER_HOST * PER_SES
        print(f'bench: filling {HOSTS} hosts x {PER_HOST} sessions (~{n_rec_est} records), {USERS} users, '
              f'{DAYS} days', flush=True)
        t0 = time.time()
        # Indexes after the data: built once instead of maintained row by row.
        psql('DROP INDEX records_origin_idx; DROP INDEX records_session')
        sess_file = os.path.join(T, 'sessions.copy')
        os.chmod(T, 0o755)
        gen = subprocess.Popen([FILL, str(HOSTS), str(PER_HOST), str(USERS), str(PER_SES), str(DAYS), sess_file],
                               stdout=subprocess.PIPE)
        psql('COPY records (origin, idx, ts, time_ns, type, session, stored) FROM STDIN', stdin=gen.stdout)
        gen.stdout.close()
        if gen.wait():
            raise RuntimeError('fleet_query_fill failed')
        t_rec = time.time() - t0
        with open(sess_file) as f:
            psql('COPY sessions (origin, session, first_ts, last_ts, records, auids, users, hosts, ttys, related, '
                 'global) FROM STDIN', stdin=f)
        psql("INSERT INTO enrolment (origin, subject_hash, vkey) SELECT origin, substr(md5(origin), 1, 16), "
             "'bench+00000000+AAAA' FROM (SELECT DISTINCT origin FROM sessions) o")
        psql("INSERT INTO host_index (origin, records, lo, hi) SELECT origin, sum(records), 0, sum(records) - 1 "
             "FROM sessions GROUP BY origin")
        # 50 cosigned checkpoints per host (a real host has one every few seconds to minutes).
        psql("INSERT INTO checkpoints (origin, size, root, note, cosignature, cosigned_at) SELECT origin, "
             "records * k / 50, '\\x00', 'bench checkpoint\n', '— bench cosignature\n', now() FROM host_index, "
             "generate_series(1, 50) k")
        t_idx = time.time()
        psql('CREATE INDEX records_origin_idx ON records (origin, idx)')
        psql('CREATE INDEX records_session ON records (origin, session, idx)')
        psql('VACUUM ANALYZE')
        t1 = time.time()
        n_rec = int(psql('SELECT sum(records) FROM host_index'))
        n_ses = int(psql('SELECT count(*) FROM sessions'))
        size = psql("SELECT pg_size_pretty(pg_database_size('fleet')) || ', records ' || "
                    "pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_inherits i JOIN pg_class c "
                    "ON c.oid = i.inhrelid WHERE i.inhparent = 'records'::regclass") + \
            ', sessions with its indexes ' + psql("SELECT pg_size_pretty(pg_total_relation_size('sessions'))")
        line = (f'bench: filled {n_rec} records, {n_ses} sessions in {t1 - t0:.0f} s (records COPY {t_rec:.0f} s, '
                f'indexes and analyze {t1 - t_idx:.0f} s); database {size}')
        print(line, flush=True)
        open(FILLED, 'w').write(line + '\n')

    if os.environ.get('TA_FLEETQ_PREWARM', '1') != '0':
        # What query --fleet --user reads, into shared_buffers (records_origin_idx is for full reads).
        t0 = time.time()
        psql('CREATE EXTENSION IF NOT EXISTS pg_prewarm')
        blocks = psql("SELECT sum(pg_prewarm(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = "
                      "c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') AND "
                      "c.relname NOT LIKE 'records%origin_idx%'")
        print(f'bench: prewarmed {int(blocks or 0) * 8 // 1024} MB into shared_buffers '
              f'({psql("SHOW shared_buffers")}) in {time.time() - t0:.0f} s', flush=True)
    dsn = f'host=127.0.0.1 port={pgport} dbname=fleet user=investigator password=pw-investigator sslmode=disable'
    rnd = random.Random(17)
    users = [rnd.randrange(USERS) for _ in range(QUERIES)]
    # One warm-up run per form (the database's caches, the CLI's pages), not counted.
    subprocess.run([CLI, 'query', '--fleet', dsn, '--user', 'user00000'], capture_output=True)
    progs = [('this build', CLI)] + ([('base', BASE)] if BASE else [])
    times = {name: [] for name, _ in progs}
    rows = []
    load = [os.getloadavg()[0]]
    for i, u in enumerate(users):
        # A/B: the two programs alternate which goes first, on the same user.
        for name, prog in (progs if i % 2 == 0 else progs[::-1]):
            ms, r = timed_query(prog, dsn, i, u, name)
            times[name].append(ms)
            if name == 'this build':
                rows.append(len(r.stdout.splitlines()) - 1)
    load.append(os.getloadavg()[0])
    for name, _ in progs:
        t = times[name]
        print(f'bench: query --fleet --user ({name}), {len(t)} random users (half by name, half by login uid), '
              f'{sum(rows) / len(rows):.0f} sessions listed on average (max {max(rows)}): '
              f'p50 {pct(t, 50):.1f} ms, p99 {pct(t, 99):.1f} ms, max {max(t):.1f} ms '
              f'(the program: start, connection with scram-sha-256, statements, output); '
              f'load average {load[0]:.1f} before, {load[1]:.1f} after', flush=True)
    pooled(dsn.replace(f'port={pgport}', 'port={port}'), users)
    if TLS:
        cdsn = cert_dsn(pgport)
        subprocess.run([CLI, 'query', '--fleet', cdsn, '--user', 'user00000'], capture_output=True)
        t, load = [], os.getloadavg()[0]
        for i, u in enumerate(users):
            t.append(timed_query(CLI, cdsn, i, u, 'TLS, certificate')[0])
        print(f'bench: query --fleet --user over TLS with a client certificate (a new backend each), the '
              f'same {len(t)} users: p50 {pct(t, 50):.1f} ms, p99 {pct(t, 99):.1f} ms, max {max(t):.1f} ms; '
              f'load average {load:.1f} before, {os.getloadavg()[0]:.1f} after', flush=True)
        pooled(None, users, tls=True)
    # What a program pays before any query work: start, connection (a new backend, scram-sha-256),
    # one statement (the enrolled hosts), here on a machine shared with other work.
    base = []
    for _ in range(40):
        s = time.perf_counter()
        subprocess.run([CLI, 'query', '--fleet', dsn, '--origin', 'no-such-host'], capture_output=True)
        base.append((time.perf_counter() - s) * 1000)
    print(f'bench: baseline, the same program that connects and asks one statement (--origin matching '
          f'no host), 40 runs: p50 {pct(base, 50):.1f} ms, p99 {pct(base, 99):.1f} ms; load average '
          f'{os.getloadavg()[0]:.1f}', flush=True)
    # The index's answer is the whole host's: one host of the first user read in full too.
    who = f'user{users[0]:05d}'
    one = subprocess.run([CLI, 'query', '--fleet', dsn, '--user', who, '--json'], capture_output=True, text=True)
    origin = one.stdout.split('"origin":"')[1].split('"')[0] if '"origin":"' in one.stdout else None
    if origin:
        a = subprocess.run([CLI, 'query', '--fleet', dsn, '--user', who, '--origin', origin], capture_output=True)
        psql(f"UPDATE host_index SET complete = false WHERE origin = '{origin}'")
        b = subprocess.run([CLI, 'query', '--fleet', dsn, '--user', who, '--origin', origin], capture_output=True)
        psql(f"UPDATE host_index SET complete = true WHERE origin = '{origin}'")
        same = a.returncode == b.returncode == 0 and a.stdout == b.stdout and a.stdout.count(b'\n') > 1
        print(f'bench: {who} on {origin}: the index\'s rows {"equal" if same else "DIFFER FROM"} '
              f'those of the host read in full', flush=True)
    # One more run with EXPLAIN ANALYZE of each statement in the server's log.
    # (Set for the role only now: the timed runs pay no logging and no library load.)
    psql("ALTER ROLE investigator SET session_preload_libraries = 'auto_explain'; "
         "ALTER ROLE investigator SET auto_explain.log_min_duration = 0; "
         "ALTER ROLE investigator SET auto_explain.log_analyze = on; "
         "ALTER ROLE investigator SET auto_explain.log_buffers = on; "
         "ALTER ROLE investigator SET log_min_duration_statement = 0")
    logf = os.path.join(pgdata, 'log')
    mark = os.path.getsize(logf)
    s = time.perf_counter()
    subprocess.run([CLI, 'query', '--fleet', dsn, '--user', f'user{users[0]:05d}'], capture_output=True)
    wall = (time.perf_counter() - s) * 1000
    time.sleep(0.5)
    with open(logf, errors='replace') as f:
        f.seek(mark)
        log = f.read()
    durs, prep = [], []
    for line in log.splitlines():
        # The extended protocol logs parse, bind (planning: a new backend's first plans also load
        # the catalog caches) and execute apart.
        if 'duration: ' in line and ' ms' in line and 'plan:' not in line:
            try:
                d = float(line.split('duration: ')[1].split(' ms')[0])
            except ValueError:
                continue
            (durs if ('execute' in line or 'statement:' in line) else prep).append(d)
    plans = [p for p in log.split('duration: ') if 'plan:' in p]
    print(f'bench: one run, user{users[0]:05d}: {wall:.1f} ms as a program; {len(durs)} statements, '
          f'{sum(durs):.1f} ms executing in the database (the slowest {max(durs) if durs else 0:.1f} ms), '
          f'{sum(prep):.1f} ms parsing and planning', flush=True)
    for p in plans:
        head = p.split('\n')[0]
        print(f'bench:   EXPLAIN (ANALYZE, BUFFERS) {head.strip()[:70]}')
        for l in p.split('\n')[1:]:
            if l.startswith('\t') or l.startswith('  '):
                print(f'bench:     {l.strip()}')
    psql('ALTER ROLE investigator RESET ALL')
    rc = 0
    if os.environ.get('TA_FLEETQ_HOLD'):
        # Debugging aid: keep the database running for a while (the DSN above).
        print(f'bench: holding {dsn} for {os.environ["TA_FLEETQ_HOLD"]} s', flush=True)
        time.sleep(int(os.environ['TA_FLEETQ_HOLD']))
except Exception as e:
    print(f'bench: {e}', file=sys.stderr)
finally:
    if os.path.exists(os.path.join(pgdata, 'postmaster.pid')):
        as_pg([f'{PGBIN}/pg_ctl', '-D', pgdata, '-m', 'fast' if KEEP else 'immediate', 'stop'])
    if not KEEP:
        shutil.rmtree(T, ignore_errors=True)
    if hugepages_before is not None:
        with open('/proc/sys/vm/nr_hugepages', 'w') as f:
            f.write(str(hugepages_before))
sys.exit(rc)

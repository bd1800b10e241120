#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fleet tier end to end with the real engines: NATS JetStream servers and a
PostgreSQL made with initdb + pg_ctl, on 127.0.0.1 with free ports in a
temporary directory, logs written by the project's store, the real shipper and
collector. Cases (each checks that nothing acknowledged is lost): normal
shipping of two hosts, NATS stopped and restarted mid-stream, a duplicate
replay, a forked host log, publishing under another host's subject (refused by
NATS permissions, and refused by the collector when permissions allow it), an
unknown host, a collector killed mid-batch while another shares the consumer.

TLS to NATS with a CA made here with openssl; delete and purge attempts. Records
acknowledged by a forged PubAck and never stored: the shipper publishes them again.

Fleet show and export: a session read from PostgreSQL renders exactly as from
the host's own log (text, --json, the export formats), damage marked (exit 8).

Usage: fleet_test.py SHIP COLLECTOR WRITER SCHEMA TTYAUDIT MAKE_LOG
"""
import base64, os, shutil, signal, socket, subprocess, sys, tempfile, time, hashlib, json

SHIP, COLLECTOR, WRITER, SCHEMA, CLI, MAKE_LOG = sys.argv[1:7]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pg_engine import nats_or_skip, postgres_or_skip
NATS = nats_or_skip()
from fleetlib import logged_during, nats_users, pong, sealed, sign_note
PGBIN, PGUSER = postgres_or_skip()

procs = []          # every server and program we start, killed on every exit path
# SIGTERM (meson's timeout, a user) unwinds through the cleanup below too.
signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
failures = []

def free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        failures.append(what)

def ohash(origin):
    return hashlib.sha256(origin.encode()).hexdigest()[:16]

# PostgreSQL runs as its own user: the temporary directory must be reachable by it.
base = tempfile.gettempdir()
if not os.stat(base).st_mode & 0o001:
    base = '/var/tmp'
T = tempfile.mkdtemp(prefix='ta-fleet-', dir=base)
os.chmod(T, 0o755)

def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            try: p.wait(5)
            except Exception: pass
    pgdata = os.path.join(T, 'pg')
    if os.path.exists(os.path.join(pgdata, 'postmaster.pid')):
        subprocess.run(['runuser', '-u', 'postgres', '--', f'{PGBIN}/pg_ctl', '-D', pgdata,
                        '-m', 'immediate', 'stop'], capture_output=True)
    shutil.rmtree(T, ignore_errors=True)

def start(argv, log, **kw):
    f = open(os.path.join(T, log), 'ab')
    p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, **kw)
    p.logname = os.path.join(T, log)
    procs.append(p)
    return p

# ---------------------------------------------------------------- PostgreSQL
pgport = free_port()
pgdata = os.path.join(T, 'pg')
os.mkdir(pgdata); os.chown(pgdata, PGUSER.pw_uid, PGUSER.pw_gid)
def as_pg(argv, **kw):
    return subprocess.run(['runuser', '-u', 'postgres', '--'] + argv, capture_output=True, text=True, **kw)

def psql(sql, user='ttyadmin', db='fleet'):
    r = subprocess.run([f'{PGBIN}/psql', '-h', '127.0.0.1', '-p', str(pgport), '-U', user, '-d', db,
                        '-v', 'ON_ERROR_STOP=1', '-Atq', '-c', sql],
                       capture_output=True, text=True, env=dict(os.environ, PGPASSWORD='pw-' + user))
    if r.returncode:
        raise RuntimeError(f'psql {sql!r}: {r.stderr.strip()}')
    return r.stdout.strip()

def psql_until(sql, ok, secs=60):
    """psql(sql) once ok(value) holds, or its last value after secs: what the collectors
    do after a shipper stops is asynchronous, and a loaded machine takes its time."""
    t0 = time.time()
    while True:
        v = psql(sql)
        if ok(v) or time.time() - t0 > secs:
            return v
        time.sleep(0.3)

NODES = 3
# NATS users with the permissions of one host each: name -> origin.
HOSTS = {'a': 'host-a/ttyaudit', 'b': 'host-b/ttyaudit', 'e': 'host-e/ttyaudit', 'x': 'host-x/ttyaudit',
         'y': 'host-y/ttyaudit'}
ports = [(free_port(), free_port(), free_port()) for _ in range(NODES)]  # client, cluster, monitor

def nats_conf(i):
    port, cport, mport = ports[i]
    hosts = dict(HOSTS)
    routes = ', '.join(f'"nats-route://127.0.0.1:{p[1]}"' for j, p in enumerate(ports) if j != i)
    lines = [f'server_name: n{i}', f'listen: 127.0.0.1:{port}', f'http: 127.0.0.1:{mport}',
             f'jetstream {{ store_dir: "{T}/js{i}" }}',
             *([f'prof_port: {int(os.environ["TA_FLEET_NATS_PROF"]) + i}']   # pprof, for the bench
               if os.environ.get('TA_FLEET_NATS_PROF') else []),
             f'cluster {{ name: ta, listen: 127.0.0.1:{cport}, routes: [{routes}] }}',
             f'tls {{ cert_file: "{T}/server.crt", key_file: "{T}/server.key" }}',
             'authorization { users = [', *nats_users(hosts), '  { user: rogue, password: pw-rogue }',
             ']}']
    path = os.path.join(T, f'nats-{i}.conf')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path

nats = [None] * NODES
def nats_start(i):
    nats[i] = start([NATS, '-c', nats_conf(i)], f'nats-{i}.log')
    for _ in range(300):  # 30 s: a loaded 2-core machine starts servers slowly
        try:
            socket.create_connection(('127.0.0.1', ports[i][0]), 0.2).close(); return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError('nats-server did not start')

def nats_kill(i):
    nats[i].send_signal(signal.SIGKILL); nats[i].wait()

def stream_leader():
    """The node that leads the stream, from the servers' monitoring endpoint."""
    import urllib.request
    for i in range(NODES):
        if nats[i].poll() is not None:
            continue
        try:
            j = json.load(urllib.request.urlopen(
                f'http://127.0.0.1:{ports[i][2]}/jsz?accounts=true&streams=true', timeout=2))
        except OSError:
            continue
        for acc in j.get('account_details') or []:
            for st in acc.get('stream_detail') or []:
                if st.get('name') == 'TTYAUDIT' and st.get('cluster', {}).get('leader'):
                    return int(st['cluster']['leader'][1:])
    return None

def inbox(user):
    """The reply subjects a user may subscribe to: a host its own (agent/fleet/fleet.h)."""
    u = user[len('host-'):] if user.startswith('host-') else None
    return f'_INBOX.{ohash(HOSTS[u])}' if u in HOSTS else '_INBOX'

def nats_raw(user, headers=False):
    """A connection in NATS's own protocol with user's credentials, over TLS, as a host's
    own code could make: (socket, file)."""
    import ssl
    raw = socket.create_connection(('127.0.0.1', ports[0][0]), 5)
    raw.recv(4096)  # INFO, in the clear; then TLS
    sock = ssl.create_default_context(cafile=CA).wrap_socket(raw, server_hostname='localhost')
    conn = '{"user":"%s","pass":"pw-%s","verbose":false,"pedantic":false,"headers":%s}' % (
        user, user, 'true' if headers else 'false')
    sock.sendall(f'CONNECT {conn}\r\n'.encode())
    return sock, sock.makefile('rb')

def js_api(user, subject, body=b''):
    """One JetStream API request over the plain NATS protocol; returns the reply payload."""
    sock, f = nats_raw(user)
    ib = inbox(user) + '.t'
    sock.sendall(f'SUB {ib} 1\r\nPUB {subject} {ib} {len(body)}\r\n'.encode() + body + b'\r\nPING\r\n')
    try:
        while True:
            line = f.readline()
            if not line:
                return b''
            if line.startswith(b'-ERR'):
                return line.strip()
            if line.startswith(b'MSG'):
                return f.read(int(line.split()[-1]))
    except socket.timeout:
        return b'(no reply)'
    finally:
        sock.close()

def collectors_idle(secs=60):
    """Waits until the collectors' consumer has no message left to deliver and none
    delivered but unanswered, and no checkpoint waits in parked (one waiting for its turn
    counts until it is done: cosigned, or dropped after its last try)."""
    end = time.time() + secs
    while time.time() < end:
        try:
            ci = json.loads(js_api('collector', '$JS.API.CONSUMER.INFO.TTYAUDIT.collectors'))
            if (ci.get('num_pending') == 0 and ci.get('num_ack_pending') == 0 and
                    psql('SELECT count(*) FROM parked') == '0'):
                return True
        except ValueError:
            pass
        time.sleep(0.5)
    return False

def listen_count(sock, what, secs):
    """How many times `what` arrives on sock within secs."""
    import ssl
    data, end = b'\r\n', time.time() + secs
    sock.settimeout(0.5)
    try:
        while time.time() < end:
            try:
                chunk = sock.recv(65536)
            except (socket.timeout, ssl.SSLError):
                continue
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    return data.count(what)

def ack_flood(user, subject, n, listen=3.0):
    """n acknowledgement requests as fast as a host's own code can send them, one reply
    inbox; the number of answers within `listen` seconds."""
    sock, _ = nats_raw(user)
    ib = inbox(user) + '.flood'
    sock.sendall(f'SUB {ib} 1\r\n'.encode() + f'PUB {subject} {ib} 0\r\n\r\n'.encode() * n +
                 b'PING\r\n')
    return listen_count(sock, f'\r\nMSG {ib} '.encode(), listen)

def ack_misdirected(user, subject, reply, spy, listen=3.0):
    """user asks on its ack subject for an answer at `reply`; how many messages `spy`, a
    subscriber of `reply`, receives."""
    ssock, sf = nats_raw(spy)
    ssock.sendall(f'SUB {reply} 1\r\nPING\r\n'.encode())
    while not sf.readline().startswith(b'PONG'):
        pass
    sock, f = nats_raw(user)
    sock.sendall(f'PUB {subject} {reply} 0\r\n\r\nPING\r\n'.encode())
    while not f.readline().startswith((b'PONG', b'-ERR')):
        pass
    sock.close()
    return listen_count(ssock, f'\r\nMSG {reply} '.encode(), listen)

def nats_pub(user, subject, body, headers):
    """Publishes one message with headers as a host's own code could (its credentials, any
    bytes); returns the server's error line, or b'' once it has taken the message (PONG)."""
    sock, f = nats_raw(user, headers=True)
    hdr = b'NATS/1.0\r\n' + b''.join(k + b': ' + v + b'\r\n' for k, v in headers) + b'\r\n'
    sock.sendall(b'HPUB ' + subject.encode() + f' {len(hdr)} {len(hdr) + len(body)}\r\n'.encode() +
                 hdr + body + b'\r\nPING\r\n')
    return pong(sock, f)

def url(user):
    return ','.join(f'tls://localhost:{p[0]}' for p in ports)

# TLS: a CA made here, the servers' certificate for localhost and 127.0.0.1.
CA = os.path.join(T, 'ca.crt')
def ossl(*a):
    subprocess.run(['openssl'] + list(a), check=True, capture_output=True)

def make_ca():
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
         '-subj', '/CN=ttyaudit test CA', '-keyout', f'{T}/ca.key', '-out', CA)
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost',
         '-keyout', f'{T}/server.key', '-out', f'{T}/server.csr')
    with open(f'{T}/san.ext', 'w') as f:
        f.write('subjectAltName=DNS:localhost,IP:127.0.0.1\n')
    ossl('x509', '-req', '-in', f'{T}/server.csr', '-CA', CA, '-CAkey', f'{T}/ca.key', '-CAcreateserial',
         '-days', '2', '-extfile', f'{T}/san.ext', '-out', f'{T}/server.crt')

def pwfile(user):
    # Written once, whole: a shipper starting while the file was being rewritten for the
    # next one read an empty password and retried its log-in forever (the lag benchmark
    # lost hosts that way, and the NATS servers burnt CPU on their TLS handshakes).
    p = os.path.join(T, f'pw-{user}')
    if not os.path.exists(p):
        with open(p + '.tmp', 'w') as f: f.write(f'pw-{user}\n')
        os.replace(p + '.tmp', p)
    return p

collectors = []
def collector_start(tag, batch=os.environ.get('TA_FLEET_COLLECTOR_BATCH', '200'), binary=None):
    p = start([binary or COLLECTOR, '--nats', url('collector'), '--user', 'collector', '--password-file',
               pwfile('collector'), '--dsn', dsn('collector'), '--cosigner-key', wkey,
               '--ca', CA, '--ack-wait-ms', '2000', '--dedup-ms', '1000', '--batch', batch,
               '--replicas', str(NODES),
               # The ingest benchmark fills the stream before a collector runs: no bound per host
               # (given to this build's, which make the stream; another build may not know it).
               *(['--host-pending', '100000000'] if BENCH and not binary else [])],
              f'collector-{tag}.log')
    collectors.append(p)
    return p

def stop_and_log(c):
    """Stops a collector; its last line (the counters). It finishes its batch first: after
    the replays one may hold a few ten thousand duplicate records (slow under sanitizers)."""
    c.send_signal(signal.SIGTERM); c.wait(60)
    return open(c.logname).read().strip().split('\n')[-1]

def dsn(user):
    return f'host=127.0.0.1 port={pgport} dbname=fleet user={user} password=pw-{user}'

def make_log(name, origin, count, tag='orig'):
    d = os.path.join(T, 'logs', name)
    os.makedirs(d, exist_ok=True)
    r = subprocess.run([WRITER, d, os.path.join(T, 'logs', name + '.key'), origin, str(count), tag],
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f'writer: {r.stderr}')
    return d, int(r.stdout)

def append(name, origin, count, tag):
    d = os.path.join(T, 'logs', name)
    r = subprocess.run([WRITER, d, os.path.join(T, 'logs', name + '.key'), origin, str(count), tag],
                       capture_output=True, text=True, check=True)
    return int(r.stdout)

def ship(name, user, origin=None, until=True, timeout=90, extra=(), binary=None):
    d = os.path.join(T, 'logs', name)
    argv = [binary or SHIP, '--log-dir', d, '--state', os.path.join(T, name + '.state'), '--nats', url(user),
            '--user', user, '--password-file', pwfile(user), '--witness-key', wvkey,
            '--ca', CA, '--poll-ms', '100', '--resend-ms', '3000'] + list(extra)
    if origin:
        argv += ['--origin', origin]
    if until:
        argv.append('--until-acked')
    p = start(argv, f'ship-{name}.log')
    if until:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait()
            return None
    return p

def state(name):
    try:
        with open(os.path.join(T, name + '.state')) as f:
            return dict(l.split() for l in f if l.strip())
    except FileNotFoundError:
        return {}

def local_root(d, size):
    """The root of the host's own checkpoint of size, from its checkpoint files."""
    for fn in sorted(os.listdir(d)):
        if fn.endswith('.ckpt'):
            lines = open(os.path.join(d, fn)).read().split('\n')
            for i in range(len(lines) - 2):
                if lines[i + 1] == str(size) and lines[i].endswith('/ttyaudit'):
                    return base64.b64decode(lines[i + 2]).hex()
    return None

def stored(origin):
    return psql(f"SELECT count(*), coalesce(max(idx), -1) FROM leaves WHERE origin = '{origin}'")

def verified(origin, size, d):
    n = psql(f"SELECT count(*) FROM records WHERE origin = '{origin}'")
    st = psql(f"SELECT size, encode(root, 'hex') FROM log_state WHERE origin = '{origin}'")
    cos = psql(f"SELECT max(size) FROM checkpoints WHERE origin = '{origin}' AND cosignature IS NOT NULL")
    return n == str(size) and st == f'{size}|{local_root(d, size)}' and cos == str(size)

def enrol(name, origin):
    r = subprocess.run([COLLECTOR, '--dsn', dsn('ttyadmin'), '--enrol',
                        os.path.join(T, 'logs', name, 'ttyaudit.vkey'), '--origin', origin],
                       capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f'enrol {name}: {r.stderr}')

def cpu_s(pids):
    """CPU seconds (user + system) the processes used so far."""
    tick, total = os.sysconf('SC_CLK_TCK'), 0
    for pid in pids:
        try:
            f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
            total += int(f[11]) + int(f[12])
        except (OSError, IndexError):
            pass
    return total / tick

def engine_pids():
    """The PostgreSQL processes (the postmaster and its children) and the NATS servers."""
    def ppid_cmd(p):
        try:
            st = open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()
            return int(st[1]), open(f'/proc/{p}/cmdline', 'rb').read()
        except (OSError, IndexError, ValueError):
            return None, b''
    procs_now = {int(p): ppid_cmd(p) for p in os.listdir('/proc') if p.isdigit()}
    master = {p for p, (_, cmd) in procs_now.items() if pgdata.encode() in cmd and b'postgres' in cmd}
    pg = sorted(master | {p for p, (pp, _) in procs_now.items() if pp in master})
    return pg, [x.pid for x in nats if x is not None and x.poll() is None]

def bench(n, c1, c2, runs=3):
    """Figures, not a test (bench/fleet): per run, a fresh host of n records; the shipper's
    publish rate with no collector running, then what one collector ingests (verify, commit,
    cosign) from the stream. Medians over the runs. With TA_FLEET_BENCH_BASE=COLLECTOR, each
    run also measures that other build of the collector on a host of its own (alternating
    which goes first) and the median of the per-run ratios is printed."""
    import statistics
    for c in (c1, c2):
        c.send_signal(signal.SIGTERM); c.wait(10)
    batch = os.environ.get('TA_FLEET_BATCH', '1000')
    variants = [('this', COLLECTOR, SHIP)]
    if os.environ.get('TA_FLEET_BENCH_BASE'):
        # The base build's shipper with it (TA_FLEET_BENCH_BASE_SHIP) when the wire format differs.
        variants.append(('base', os.environ['TA_FLEET_BENCH_BASE'],
                         os.environ.get('TA_FLEET_BENCH_BASE_SHIP', SHIP)))
    rates = {tag: [] for tag, _, _ in variants}
    ship_by = {tag: [] for tag, _, _ in variants}
    ship_rates, mbs, ready_rates, cpus = [], [], {}, {}
    for k in range(runs):
        for tag, binary, shipper in (variants if k % 2 == 0 else variants[::-1]):
            name, origin = f'bench{k}{tag}', f'bench-{k}-{tag}/ttyaudit'
            d, size = make_log(name, origin, n)
            enrol(name, origin)
            t0 = time.time()
            p = ship(name, 'rogue', until=False, binary=shipper)
            while int(state(name).get('next', 0)) < size and time.time() - t0 < 600:
                time.sleep(0.1)
            t_ship = time.time() - t0
            p.send_signal(signal.SIGTERM); p.wait(10)
            mb = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith('.log')) / 1e6
            pg0, nats0 = engine_pids()
            cpu0 = (cpu_s(pg0), cpu_s(nats0))
            t0 = time.time()
            c = collector_start(name, batch=batch, binary=binary)
            # Ready: connected to NATS and PostgreSQL, stream and consumer looked up (it says so).
            t_ready = None
            while psql(f"SELECT max(size) FROM checkpoints WHERE origin = '{origin}' "
                       "AND cosignature IS NOT NULL") != str(size) and time.time() - t0 < 600:
                if t_ready is None and 'collecting from stream' in open(c.logname).read():
                    t_ready = time.time() - t0
                time.sleep(0.1)
            t_col = time.time() - t0
            t_ready = t_ready or 0.0
            pg1, nats1 = engine_pids()
            cpu = (cpu_s([c.pid]), cpu_s(pg1) - cpu0[0], cpu_s(nats1) - cpu0[1])
            c.send_signal(signal.SIGTERM); c.wait(10)
            print(f'bench: run {k + 1} {tag}: CPU seconds while ingesting: collector {cpu[0]:.2f}, '
                  f'PostgreSQL {cpu[1]:.2f} (living processes), NATS servers {cpu[2]:.2f}; per record: '
                  f'{cpu[0] / size * 1e6:.1f} + {cpu[1] / size * 1e6:.1f} + {cpu[2] / size * 1e6:.1f} = '
                  f'{sum(cpu) / size * 1e6:.1f} us', flush=True)
            ship_rates.append(size / t_ship); rates[tag].append(size / t_col)
            ship_by[tag].append(size / t_ship)
            ready_rates.setdefault(tag, []).append(size / (t_col - t_ready))
            cpus.setdefault(tag, []).append(sum(cpu) / size * 1e6)
            if tag == 'this':
                mbs.append(mb / t_col)
            print(f'bench: run {k + 1} {tag}: {size} records ({mb:.1f} MB of segments): shipper '
                  f'{size / t_ship:.0f} records/s; collector {size / t_col:.0f} records/s, '
                  f'{mb / t_col:.2f} MB/s ({t_col:.2f} s from its start; {size / (t_col - t_ready):.0f} '
                  f'records/s, {mb / (t_col - t_ready):.2f} MB/s from ready at {t_ready:.2f} s)', flush=True)
    med = statistics.median
    r = rates['this']
    for tag in ship_by:
        print(f'bench: {tag}: shipper publishes {med(ship_by[tag]):.0f} records/s (median of '
              f'{len(ship_by[tag])}; TLS, R{NODES}; until its state file says so)')
    print(f'bench: one collector verifies, commits and cosigns {med(r):.0f} records/s, '
          f'{med(mbs):.2f} MB/s (median of {runs}, min {min(r):.0f}, max {max(r):.0f}; batch {batch}); '
          f'{med(r) / 20000:.2f} of the 20 000 records/s goal')
    for tag in rates:
        print(f'bench: {tag}: from the collector\'s ready line {med(ready_rates[tag]):.0f} records/s (median); '
              f'CPU per record (collector + PostgreSQL + NATS) median {med(cpus[tag]):.1f} us, '
              f'i.e. {2e6 / med(cpus[tag]):.0f} records/s if both cores did nothing else')
    if 'base' in rates:
        ratios = [a / b for a, b in zip(r, rates['base'])]
        print(f'bench: base collector {med(rates["base"]):.0f} records/s (median); this / base: '
              f'median {med(ratios):.2f} (per run: {", ".join(f"{x:.2f}" for x in ratios)})')

def demo(logdir):
    """scripts/fleet-demo.sh: the whole tier shipping one log until interrupted."""
    if logdir:
        d = os.path.join(T, 'logs', 'demo')
        os.makedirs(os.path.dirname(d), exist_ok=True)
        os.symlink(os.path.abspath(logdir), d)
    else:
        d, _ = make_log('demo', 'demo-host/ttyaudit', 5000)
    enrol('demo', DEMO_ORIGIN)
    p = ship('demo', 'host-demo', until=False)
    print(f'''fleet demo: three nats-server nodes on {url('x')} (TLS, CA {CA}),
  PostgreSQL: psql "{dsn('investigator')}"
  shipping {d} as {DEMO_ORIGIN}; shipper state {os.path.join(T, 'demo.state')}
  try: SELECT origin, size, cosignature IS NOT NULL FROM checkpoints ORDER BY received_at DESC LIMIT 5;
  logs in {T}; Ctrl-C stops everything and removes it.''', flush=True)
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while p.poll() is None:
            time.sleep(5)
            print(f"fleet demo: {state('demo')}", flush=True)
    except KeyboardInterrupt:
        pass

DEMO = os.environ.get('TA_FLEET_DEMO')
DEMO_ORIGIN = None
if DEMO is not None:
    from pathlib import Path
    DEMO_ORIGIN = (Path(DEMO, 'ttyaudit.vkey').read_text().split('+')[0].strip() if DEMO
                   else 'demo-host/ttyaudit')
    HOSTS['demo'] = DEMO_ORIGIN
def lag_bench(hosts, seconds=30, rate=20):
    """Shipping lag: hosts writers at rate records/s each, a checkpoint a second, one shipper
    per host; lag = the collector's cosignature of the first checkpoint covering a record
    minus the record's time. Each log's first record (index 0) is the harness's, written
    while the hosts are set up, seconds before any shipper runs: not counted."""
    dirs = []
    for i in range(hosts):
        d, _ = make_log(f'lag{i}', f'lag-{i}/ttyaudit', 1)
        enrol(f'lag{i}', f'lag-{i}/ttyaudit')
        dirs.append(d)
    # The shippers first, connected, then the writers: a host's shipper is a service that
    # runs before its terminals do. Started together, the first second of each host's
    # records (3 % of them) waited for 50 processes' TLS log-ins: a lag of start-up, not of
    # shipping, and it was the p99.
    shippers = [ship(f'lag{i}', 'rogue', until=False, extra=['--poll-ms', '500']) for i in range(hosts)]
    t0 = time.time()
    while time.time() - t0 < 120 and not all(
            ' shipping ' in open(os.path.join(T, f'ship-lag{i}.log')).read() for i in range(hosts)):
        time.sleep(0.2)
    print(f'bench: {hosts} shippers connected in {time.time() - t0:.1f} s', flush=True)
    writers = [start([WRITER, d, os.path.join(T, 'logs', f'lag{i}.key'), f'lag-{i}/ttyaudit',
                      str(seconds * rate), 'lag', str(rate)], f'writer-lag{i}.log')
               for i, d in enumerate(dirs)]
    for w in writers:
        w.wait(seconds * 4)
    t0 = time.time()
    while time.time() - t0 < 120 and any(state(f'lag{i}').get('acked') != state(f'lag{i}').get('checkpoint')
                                         or state(f'lag{i}').get('acked') in (None, '0') for i in range(hosts)):
        time.sleep(1)
    pg, ns = engine_pids()
    print(f'bench: CPU seconds over the run: shippers {cpu_s([p.pid for p in shippers]):.1f}, '
          f'collectors {cpu_s([c.pid for c in collectors if c.poll() is None]):.1f}, '
          f'PostgreSQL {cpu_s(pg):.1f} (living processes), NATS servers {cpu_s(ns):.1f}', flush=True)
    for p in shippers:
        p.send_signal(signal.SIGTERM); p.wait(10)
    # A shipper's failed round waits in the retry backoff (250 ms, doubling): seconds of lag.
    import collections, re
    warn = [l.split('ship: ')[-1] for i in range(hosts)
            for l in open(os.path.join(T, f'ship-lag{i}.log')).read().splitlines() if 'warning' in l]
    kinds = collections.Counter(re.sub(r'[0-9a-f]{16}|\d+', 'N', w)[:90] for w in warn)
    print(f'bench: shipper warnings {len(warn)}: {kinds.most_common(3)}', flush=True)
    asks = [re.search(r'asked the collector (\d+) times \((\d+) took 0.5 s or more, the longest (\d+) ms', 
                      open(os.path.join(T, f'ship-lag{i}.log')).read()) for i in range(hosts)]
    asks = [tuple(map(int, m.groups())) for m in asks if m]
    if asks:
        print(f'bench: shippers asked the collector {sum(a[0] for a in asks)} times, '
              f'{sum(a[1] for a in asks)} took >= 0.5 s, the longest {max(a[2] for a in asks)} ms '
              f'(a round waits for its answer)', flush=True)
    for c in collectors:
        if c.poll() is None:
            last = stop_and_log(c).split("collector: ")[-1]
            stream = [l.split('collector: ')[-1] for l in open(c.logname).read().splitlines()
                      if 'after entering the stream' in l]
            print(f'bench: collector {c.pid}: {last}; {"".join(stream[-1:])}', flush=True)
    r = psql("""SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 3),
                       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 3),
                       round(max(lag)::numeric, 3), round((max(lag) FILTER (WHERE idx > 1))::numeric, 3)
                FROM (SELECT r.idx, extract(epoch FROM (SELECT min(c.cosigned_at) FROM checkpoints c
                        WHERE c.origin = r.origin AND c.size > r.idx) - r.ts) AS lag
                      FROM records r WHERE r.origin LIKE 'lag-%' AND r.type = 256 AND r.idx > 0) x""")
    n, p50, p99, mx, mx_later = r.split('|')
    ck = os.environ.get('TA_FLEET_CKPT_MS', '1000')
    print(f'bench: shipping lag with {hosts} hosts x {rate} records/s, checkpoint every {ck} ms: '
          f'p50 {p50} s, p99 {p99} s, max {mx} s over {n} records (write to cosignature); '
          f'max {mx_later} s after each writer\'s first record ({hosts} writers start at once)')
    # Where the tail comes from: a checkpoint's row is written when a collector first verifies
    # it; a cosignature much later means its chain's predecessor was not cosigned yet (409,
    # negatively acknowledged and redelivered).
    r = psql("""SELECT count(*), count(*) FILTER (WHERE w > 0.5),
                       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w)::numeric, 3),
                       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY w)::numeric, 3)
                FROM (SELECT extract(epoch FROM cosigned_at - received_at) AS w FROM checkpoints
                      WHERE origin LIKE 'lag-%' AND cosigned_at IS NOT NULL) x""")
    n, late, w50, w99 = r.split('|')
    print(f'bench: checkpoints cosigned after their first verification: p50 {w50} s, p99 {w99} s; '
          f'{late} of {n} more than 0.5 s later (their chained predecessor was not cosigned yet)')
    # The host's and the stream's share: from the last record a checkpoint covers (written
    # at most one commit interval, 50 ms, before the checkpoint) to its first verification.
    r = psql("""SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w)::numeric, 3),
                       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY w)::numeric, 3),
                       round(max(w)::numeric, 3)
                FROM (SELECT extract(epoch FROM c.received_at - r.ts) AS w FROM checkpoints c
                      JOIN records r ON r.origin = c.origin AND r.idx = c.size - 1
                      WHERE c.origin LIKE 'lag-%' AND c.size > 1) x""")
    h50, h99, hmax = r.split('|')
    print(f'bench: from the last record a checkpoint covers to its first verification: '
          f'p50 {h50} s, p99 {h99} s, max {hmax} s (the host, the stream and the collectors\' fetch)')

LAG = int(os.environ.get('TA_FLEET_LAG', '0'))
BENCH = int(os.environ.get('TA_FLEET_BENCH', '0'))
rc = 1
try:
    pwf = os.path.join(T, 'pgpw'); open(pwf, 'w').write('pw-ttyadmin\n'); os.chmod(pwf, 0o644)
    r = as_pg([f'{PGBIN}/initdb', '-D', pgdata, '-U', 'ttyadmin', '--pwfile', pwf, '-A', 'scram-sha-256'])
    if r.returncode:
        raise RuntimeError('initdb: ' + r.stderr)
    # TLS too, with the CA made here: investigators may use it (sslmode=verify-full), and
    # investigator_cert logs in with a client certificate only.
    make_ca()
    shutil.copy(f'{T}/server.key', f'{T}/pg-server.key')
    os.chown(f'{T}/pg-server.key', PGUSER.pw_uid, PGUSER.pw_gid)
    os.chmod(f'{T}/pg-server.key', 0o600)
    hba = os.path.join(pgdata, 'pg_hba.conf')
    rest = open(hba).read()
    with open(hba, 'w') as f:
        f.write('hostssl fleet investigator_cert 127.0.0.1/32 cert\n'
                'host all investigator_cert 0.0.0.0/0 reject\n' + rest)
    r = as_pg([f'{PGBIN}/pg_ctl', '-D', pgdata, '-w', '-l', os.path.join(pgdata, 'log'), '-o',
               f'-p {pgport} -k {pgdata} -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on '
               f'-c ssl_cert_file={T}/server.crt -c ssl_key_file={T}/pg-server.key -c ssl_ca_file={CA}',
               'start'])
    if r.returncode:
        raise RuntimeError('pg_ctl: ' + r.stderr + r.stdout)
    # UTF8, as a distribution's cluster is: text columns refuse bytes that are not UTF-8.
    psql("CREATE DATABASE fleet ENCODING 'UTF8' TEMPLATE template0", db='postgres')
    subprocess.run([f'{PGBIN}/psql', '-h', '127.0.0.1', '-p', str(pgport), '-U', 'ttyadmin', '-d', 'fleet',
                    '-v', 'ON_ERROR_STOP=1', '-q', '-f', SCHEMA], check=True, capture_output=True,
                   env=dict(os.environ, PGPASSWORD='pw-ttyadmin'))
    # The schema upgrades a database of the previous one (no session index) and is idempotent.
    psql('CREATE DATABASE upgrade', db='postgres')
    psql("CREATE TABLE records (origin text NOT NULL, idx bigint NOT NULL, ts timestamptz NOT NULL, "
         "time_ns bigint NOT NULL, type integer NOT NULL, session bigint NOT NULL, stored bytea NOT NULL) "
         "PARTITION BY RANGE (ts); CREATE TABLE records_default PARTITION OF records DEFAULT; "
         "CREATE TABLE sessions (origin text NOT NULL, session bigint NOT NULL, first_ts timestamptz NOT NULL, "
         "last_ts timestamptz NOT NULL, records bigint NOT NULL, PRIMARY KEY (origin, session)); "
         "INSERT INTO records VALUES ('old-host', 0, '2020-01-01', 0, 256, 7, '\\x00'), ('old-host', 1, '2020-01-01', 0, 256, 7, '\\x00'); "
         "INSERT INTO sessions VALUES ('old-host', 7, now(), now(), 2); "
         # evidence as an older schema kept it: no hash, the same piece twice (two collectors)
         "CREATE TABLE evidence (id bigserial PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now(), "
         "subject text NOT NULL, origin text, kind text NOT NULL, idx bigint, alarm text NOT NULL, "
         "message bytea NOT NULL); INSERT INTO evidence (subject, origin, kind, idx, alarm, message) VALUES "
         "('s', 'old-host', 'fork', 3, 'a', '\\x01'), ('s', 'old-host', 'fork', 3, 'a', '\\x01'), "
         "('s', NULL, 'subject', NULL, 'a', '\\x01'), ('s', NULL, 'subject', NULL, 'a', '\\x01'), "
         "('s', 'old-host', 'fork', 4, 'a', '\\x01')", db='upgrade')
    for i in range(2):
        r = subprocess.run([f'{PGBIN}/psql', '-h', '127.0.0.1', '-p', str(pgport), '-U', 'ttyadmin', '-d',
                            'upgrade', '-v', 'ON_ERROR_STOP=1', '-q', '-f', SCHEMA], capture_output=True, text=True,
                           env=dict(os.environ, PGPASSWORD='pw-ttyadmin'))
        check(r.returncode == 0, f'schema.sql on an older database, time {i + 1}: {r.stderr.strip()[:300]}')
    check(psql("SELECT count(*), count(sha256), sum(length) FROM evidence", db='upgrade') == '3|3|3' and
          psql("SELECT count(*) FROM pg_indexes WHERE indexname IN ('evidence_once', 'checkpoints_cosigned')",
               db='upgrade') == '2',
          'the upgrade keeps each piece of evidence once, with its hash and length; the unique '
          'index and the cosigned checkpoints\' index exist')
    check(psql("SELECT records, lo, hi, complete FROM host_index", db='upgrade') == '2|0|1|f'
          and psql("SELECT auids, users, global FROM sessions", db='upgrade') == '{}|{}|f'
          and psql("SHOW jit", db='upgrade') == 'off',
          'the schema upgrades an older database (twice): the index columns, the host not fully '
          'indexed, no JIT')
    # Retention through the index: the oldest month's partition dropped, its records taken out of
    # the session index and of host_index (the host keeps being read through the index).
    psql("TRUNCATE records, sessions, host_index; SELECT ttyaudit_add_partitions('2020-01-01', 2); "
         "INSERT INTO records VALUES ('h', 0, '2020-01-10', 0, 256, 7, '\\x00'), "
         "('h', 1, '2020-01-20', 0, 256, 7, '\\x00'), ('h', 2, '2020-02-02', 0, 256, 7, '\\x00'), "
         "('h', 3, '2020-02-03', 0, 256, 8, '\\x00'); "
         "INSERT INTO sessions (origin, session, first_ts, last_ts, records) VALUES "
         "('h', 7, '2020-01-10', '2020-02-02', 3), ('h', 8, '2020-02-03', '2020-02-03', 1); "
         "INSERT INTO host_index (origin, records, lo, hi) VALUES ('h', 4, 0, 3)", db='upgrade')
    check(psql("SELECT ttyaudit_drop_partition('records_202001')", db='upgrade') == '2'
          and psql("SELECT records, lo, hi FROM host_index", db='upgrade') == '2|2|3'
          and psql("SELECT session, records FROM sessions ORDER BY session", db='upgrade') == '7|1\n8|1'
          and psql("SELECT count(*) FROM pg_class WHERE relname = 'records_202001'", db='upgrade') == '0',
          'ttyaudit_drop_partition: the partition dropped, the session index and host_index follow')
    try:
        psql("SELECT ttyaudit_drop_partition('sessions')", db='upgrade'); refused = False
    except RuntimeError as e:
        refused = 'is not a partition of records' in str(e)
    check(refused, 'ttyaudit_drop_partition refuses a table that is not a records partition')
    psql('DROP DATABASE upgrade', db='postgres')
    psql("CREATE ROLE collector LOGIN PASSWORD 'pw-collector' IN ROLE ttyaudit_collector")
    psql("CREATE ROLE investigator LOGIN PASSWORD 'pw-investigator' IN ROLE ttyaudit_investigator")
    check(psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'collector'") == 'f',
          'the collector logs in without superuser')

    for i in range(NODES):
        nats_start(i)
    wkey = os.path.join(T, 'collector.key')
    # Two collectors share the consumer; the first creates the stream and its key.
    c1 = collector_start('1')
    for _ in range(100):
        if os.path.exists(wkey): break
        time.sleep(0.1)
    time.sleep(0.5)
    # The witness vkey is what the collector logged at start.
    wvkey = None
    for _ in range(300):
        for l in open(os.path.join(T, 'collector-1.log')):
            if 'witness key ' in l:
                wvkey = l.strip().split('witness key ')[1].rstrip(')')
        if wvkey: break
        time.sleep(0.1)
    check(wvkey is not None, 'the collector says its witness key')
    c2 = collector_start('2')
    if DEMO is not None:
        demo(DEMO)
        raise StopIteration
    if LAG:
        lag_bench(LAG)
        raise StopIteration
    if BENCH:
        bench(BENCH, c1, c2)
        raise StopIteration

    # ---- normal shipping of two hosts
    da, na = make_log('a', 'host-a/ttyaudit', 2500)
    db, nb = make_log('b', 'host-b/ttyaudit', 1200)
    enrol('a', 'host-a/ttyaudit'); enrol('b', 'host-b/ttyaudit')
    pa = ship('a', 'host-a'); pb = ship('b', 'host-b')
    check(pa is not None and pb is not None and pa.returncode == 0 and pb.returncode == 0,
          'shippers finish: every checkpoint cosigned')
    check(state('a').get('acked') == str(na) and state('b').get('acked') == str(nb),
          'acked sizes are the logs\' sizes')
    # Each request's consistency proof came from the tree the shipper keeps while reading
    # (not a pass over the log from record 0); the collector's witness checked every one.
    import re
    m = re.search(r'consistency proofs (\d+) kept, (\d+) from the log; checkpoints with their records (\d+)',
                  open(os.path.join(T, 'ship-a.log')).read())
    check(m is not None and int(m.group(1)) >= 2 and m.group(2) == '0',
          f'the shipper built its consistency proofs from what it read ({m and m.group(0)})')
    # Each checkpoint went in the message of the records it covers ("TAB2"): one collector
    # takes both, and the collectors verified and cosigned every one of them (below).
    check(m is not None and int(m.group(3)) >= 2,
          f'checkpoints travelled with their records ({m and m.group(0)})')
    check(verified('host-a/ttyaudit', na, da) and verified('host-b/ttyaudit', nb, db),
          'PostgreSQL holds every record and the hosts\' roots, cosigned')
    check(psql("SELECT count(*) FROM sessions WHERE origin = 'host-a/ttyaudit' AND session <> 0") == '5',
          'session index: 5 sessions')
    # Each record of a batch message fed the session index as a record of its own: every one
    # decoded, none missing (else query --fleet reads those hosts in full).
    check(psql("SELECT string_agg(origin || ' ' || records || ' ' || lo || '-' || hi || ' ' || undecodable, ', ' "
               "ORDER BY origin) FROM host_index")
          == f'host-a/ttyaudit {na} 0-{na - 1} 0, host-b/ttyaudit {nb} 0-{nb - 1} 0',
          'host_index: each batched record counted and decoded')
    check(psql('SELECT count(*) FROM evidence') == '0', 'no evidence on honest hosts')
    st = json.loads(subprocess.run([CLI, 'status', '--log-dir', da, '--ship-state',
                                    os.path.join(T, 'a.state'), '--json'],
                                   capture_output=True, text=True).stdout or '{}')
    check(st.get('ship_cosigned') == na and st.get('ship_backlog') == 0,
          f'ttyaudit status shows a shipped, backlog 0 ({st.get("ship_cosigned")}, {st.get("ship_backlog")})')
    check(psql('SELECT count(*) FROM records', user='investigator') == str(na + nb),
          'the investigator role reads')
    # The recorder's checkpoint wakes the shipper (inotify on the log directory): polling once
    # a minute, records appended to b are published and cosigned within seconds.
    pw = ship('b', 'host-b', until=False, extra=['--poll-ms', '60000'])
    time.sleep(1)  # its first round, on a log with nothing new
    t0 = time.time()
    nb2 = append('b', 'host-b/ttyaudit', 300, 'woken')
    while psql(f"SELECT count(*) FROM checkpoints WHERE origin = 'host-b/ttyaudit' AND size = {nb2} "
               "AND cosignature IS NOT NULL") != '1' and time.time() - t0 < 30:
        time.sleep(0.1)
    took = time.time() - t0
    pw.send_signal(signal.SIGTERM); pw.wait(10)
    check(took < 20 and verified('host-b/ttyaudit', nb2, db),
          f'a checkpoint written wakes the shipper: {nb2 - nb} records cosigned {took:.1f} s after '
          f'the append began, with a poll of 60 s')
    try:
        psql("DELETE FROM records", user='investigator'); denied = False
    except RuntimeError:
        denied = True
    check(denied, 'the investigator role cannot delete')

    # ---- records acknowledged but never stored: a NATS without JetStream where a subscriber of
    # the host's subjects answers every publication with a PubAck (any NATS principal allowed
    # to subscribe there can; so can a man in the middle without TLS). The shipper takes its
    # records as published; pointed at the real stream afterwards, it resends the checkpoint,
    # then publishes the records again from the cosigned size: all of them end up cosigned.
    import threading
    df, nf = make_log('fa', 'host-fa/ttyaudit', 700)
    enrol('fa', 'host-fa/ttyaudit')
    fport = free_port()
    start([NATS, '-a', '127.0.0.1', '-p', str(fport)], 'nats-fake.log')
    for _ in range(300):
        try:
            socket.create_connection(('127.0.0.1', fport), 0.2).close(); break
        except OSError:
            time.sleep(0.1)
    fake_acks = [0]
    def fake_jetstream():
        fs = socket.create_connection(('127.0.0.1', fport), 10)
        ff = fs.makefile('rb')
        ff.readline()  # INFO
        h = ohash('host-fa/ttyaudit')
        fs.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n' +
                   f'SUB ttyaudit.{h}.records 1\r\nSUB ttyaudit.{h}.checkpoints 2\r\n'.encode())
        try:
            for line in ff:
                w = line.split()
                if w[:1] == [b'PING']:
                    fs.sendall(b'PONG\r\n')
                elif w[:1] in ([b'MSG'], [b'HMSG']):
                    ff.read(int(w[-1]) + 2)
                    if len(w) == (6 if w[0] == b'HMSG' else 5):
                        fake_acks[0] += 1
                        ack = b'{"stream":"TTYAUDIT","seq":%d}' % fake_acks[0]
                        fs.sendall(b'PUB ' + w[3] + b' %d\r\n' % len(ack) + ack + b'\r\n')
        except (OSError, ValueError):
            pass
    threading.Thread(target=fake_jetstream, daemon=True).start()
    time.sleep(0.5)
    pf = start([SHIP, '--log-dir', df, '--state', os.path.join(T, 'fa.state'), '--nats',
                f'nats://127.0.0.1:{fport}', '--witness-key', wvkey, '--poll-ms', '100', '--no-alerts'],
               'ship-fa-fake.log')
    t0 = time.time()
    while state('fa').get('next') != str(nf) and time.time() - t0 < 30:
        time.sleep(0.2)
    pf.send_signal(signal.SIGTERM); pf.wait(10)
    check(state('fa') == {'next': str(nf), 'checkpoint': str(nf), 'acked': '0', 'backlog': str(nf)}
          and fake_acks[0] > 0 and stored('host-fa/ttyaudit') == '0|-1',
          f'forged PubAcks: the shipper took {nf} records as published, none is in the stream '
          f'({state("fa")}, {fake_acks[0]} acks)')
    t0 = time.time()
    pr = ship('fa', 'rogue', timeout=120)
    took = time.time() - t0
    flog = open(os.path.join(T, 'ship-fa.log')).read()
    rewinds = [l for l in flog.splitlines() if 'publishing them again' in l]
    check(pr is not None and pr.returncode == 0 and state('fa').get('acked') == str(nf)
          and verified('host-fa/ttyaudit', nf, df),
          f'on the real stream the shipper rewinds: every record cosigned after {took:.1f} s '
          f'({pr and pr.returncode}, {state("fa")})')
    check(len(rewinds) == 1 and f'records 0..{nf - 1} were acknowledged by JetStream' in rewinds[0]
          and 'rewinds 1' in flog.splitlines()[-1],
          f'one warning names the range published again, and the last line counts it ({rewinds})')
    check(psql("SELECT count(*) FROM evidence WHERE origin = 'host-fa/ttyaudit'") == '0',
          'a rewind is no fork: no evidence for the host')

    # ---- fleet query: the investigator's CLI on the collector's PostgreSQL
    dq1, _ = make_log('q1', 'host-q1/ttyaudit', 40, 'login:alice:7')
    append('q1', 'host-q1/ttyaudit', 30, 'login:bob:8')
    dq2, _ = make_log('q2', 'host-q2/ttyaudit', 25, 'login:alice:9')
    enrol('q1', 'host-q1/ttyaudit'); enrol('q2', 'host-q2/ttyaudit')
    p1, p2 = ship('q1', 'rogue'), ship('q2', 'rogue')
    check(p1 is not None and p2 is not None and p1.returncode == 0 and p2.returncode == 0,
          'hosts q1 and q2 shipped (logins of alice on both, bob on q1)')
    inv = dsn('investigator')
    def query(*a):
        return subprocess.run([CLI, 'query'] + list(a), capture_output=True, text=True)
    r = query('--fleet', inv, '--user', 'alice', '--json')
    rows = [json.loads(l) for l in r.stdout.splitlines()]
    check(r.returncode == 0 and sorted(x['origin'] for x in rows) == ['host-q1/ttyaudit', 'host-q2/ttyaudit']
          and all(x['user'] == 'alice' and x['checkpointed'] for x in rows),
          f'query --fleet --user alice: her sessions on both hosts, cosigned ({r.returncode}, {r.stderr.strip()})')
    loc = query('--log-dir', dq1, '--no-index', '--user', 'alice', '--json')
    local = [json.loads(l) for l in loc.stdout.splitlines()]
    fleet_q1 = [{k: v for k, v in x.items() if k != 'origin'} for x in rows if x['origin'] == 'host-q1/ttyaudit']
    check(loc.returncode == 0 and len(local) == 1 and local == fleet_q1,
          'the fleet\'s answer for q1 is the local log\'s, plus the host')
    # Over TLS, the server's certificate verified; and logged in by a client certificate.
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj',
         '/CN=investigator_cert', '-keyout', f'{T}/inv.key', '-out', f'{T}/inv.csr')
    ossl('x509', '-req', '-in', f'{T}/inv.csr', '-CA', CA, '-CAkey', f'{T}/ca.key', '-CAcreateserial',
         '-days', '2', '-out', f'{T}/inv.crt')
    os.chmod(f'{T}/inv.key', 0o600)
    psql("CREATE ROLE investigator_cert LOGIN IN ROLE ttyaudit_investigator")
    for how, tdsn in (('scram-sha-256 over TLS', f'{inv} sslmode=verify-full sslrootcert={CA}'),
                      ('a client certificate', f'host=127.0.0.1 port={pgport} dbname=fleet '
                       f'user=investigator_cert sslmode=verify-full sslrootcert={CA} '
                       f'sslcert={T}/inv.crt sslkey={T}/inv.key')):
        t = query('--fleet', tdsn, '--user', 'alice', '--json')
        check(t.returncode == 0 and [json.loads(l) for l in t.stdout.splitlines()] == rows,
              f'query --fleet with {how}: the same rows ({t.returncode}, {t.stderr.strip()[:200]})')
    r = query('--fleet', inv, '--user', 'alice')
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 3 and lines[0].split()[:3] == ['HOST', 'SESSION', 'USER(AUID)']
          and lines[1].startswith('host-q') and 'alice(1007)' in r.stdout and 'alice(1009)' in r.stdout,
          'the text rows are the local ones led by the host')
    r = query('--fleet', inv, '--user', '1008', '--json')
    check(r.returncode == 0 and [json.loads(l)['origin'] for l in r.stdout.splitlines()] == ['host-q1/ttyaudit'],
          'query --fleet --user by login uid: bob on q1 only')
    r = query('--fleet', inv, '--user', 'alice', '--origin', 'q2', '--json')
    check(r.returncode == 0 and [json.loads(l)['origin'] for l in r.stdout.splitlines()] == ['host-q2/ttyaudit'],
          '--origin chooses hosts')
    r = query('--fleet', inv, '--since', '@' + str(int(time.time()) + 3600))
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 1, '--since after every session: the header only')
    bad = [(['--fleet', inv, '--user', 'mallory'], 2, 'no session of the fleet has the login name'),
           (['--fleet', inv, '--origin', 'no-such-host'], 2, 'no enrolled host'),
           (['--fleet', inv, '--grep', '('], 2, '--grep:'),
           (['--fleet', inv, '--no-index'], 2, 'not with --log-dir'),
           (['--origin', 'q1'], 2, 'give --fleet DSN too'),
           (['--fleet', "host='unterminated"], 2, 'not a PostgreSQL connection string'),
           (['--fleet', 'colour=blue'], 2, 'not a PostgreSQL connection string'),
           (['--fleet', inv.replace('pw-investigator', 'wrong')], 4, 'password authentication failed'),
           (['--fleet', f'host=127.0.0.1 port={free_port()} dbname=fleet user=investigator connect_timeout=3'],
            6, 'fleet database')]
    for argv, code, text in bad:
        r = query(*argv)
        err = r.stderr.strip().split('\n')
        check(r.returncode == code and len(err) == 1 and text in err[0] and not r.stdout,
              f'query {argv[-2:]!r}: exit {code} and one line ({r.returncode}: {err[:2]})')
    # No JIT in the fleet's database (schema.sql: a statement past jit_above_cost would be compiled
    # for milliseconds each time), even for a role whose jit_above_cost is 0; a connection's own
    # options still decide for it. The server logs each plan.
    logf = os.path.join(pgdata, 'log')
    def plans_and_jit(d):
        r, log = logged_during(logf, lambda: query('--fleet', d, '--user', 'alice'), 0.5)
        return r, log.count('plan:'), log.count('JIT:')
    psql("ALTER ROLE investigator SET session_preload_libraries = 'auto_explain'; "
         "ALTER ROLE investigator SET auto_explain.log_min_duration = 0; "
         "ALTER ROLE investigator SET auto_explain.log_analyze = on; "
         "ALTER ROLE investigator SET jit_above_cost = 0")
    try:
        r, plans, jits = plans_and_jit(inv)
        check(r.returncode == 0 and plans >= 1 and jits == 0,
              f'query --fleet: its statement is not JIT-compiled ({r.returncode}, {plans} plans, {jits} compiled)')
        if psql('SET jit = on; SELECT pg_jit_available()') == 't':
            r, plans, jits = plans_and_jit(inv + " options='-c jit=on'")
            check(r.returncode == 0 and plans >= 1 and jits >= 1,
                  f"a DSN's options='-c jit=on' compiles ({r.returncode}, {plans} plans, {jits} compiled)")
        else:
            print('note: this PostgreSQL has no JIT: the jit=on half not checked')
    finally:
        psql('ALTER ROLE investigator RESET ALL')

    # ---- fleet show and export: the same rendering as from the host's own log
    view_hosts = {'view': 'host-view/ttyaudit', 'shared': 'host-shared/ttyaudit'}
    for n, origin in view_hosts.items():
        r = subprocess.run([MAKE_LOG, os.path.join(T, 'logs', n), 'shared' if n == 'shared' else 'plain',
                            origin], capture_output=True, text=True)
        check(r.returncode == 0, f'make_log {n}: {r.stderr.strip()}')
        enrol(n, origin)
        p = ship(n, 'rogue')
        check(p is not None and p.returncode == 0, f'host {n} shipped for show --fleet')
    utc = dict(os.environ, TZ='UTC')
    def cli(*a):
        return subprocess.run([CLI] + list(a), capture_output=True, env=utc)
    # Escapes, a redacted password, a resize, a gap (view); a shared pane and its typist (shared).
    shows = [('view', s) for s in ('5e1c0a42-7', '5e1c0a42-8', '5e1c0a42-9')] + \
            [('shared', s) for s in ('5e1c0a42-10', '5e1c0a42-11')]
    for n, sid in shows:
        d, origin = os.path.join(T, 'logs', n), view_hosts[n]
        for opts in ([], ['--json'], ['--input-only'], ['--output-only'], ['--raw-order'], ['--screen']):
            loc = cli('show', '--log-dir', d, *opts, sid)
            fl = cli('show', '--fleet', inv, '--origin', origin, *opts, sid)
            # (session 8 typed nothing: its --input-only is empty on both)
            check(loc.returncode in (0, 8) and (loc.stdout or opts == ['--input-only']) and fl.returncode == loc.returncode
                  and fl.stdout == loc.stdout,
                  f'show --fleet {n} {sid} {opts}: as the local show ({fl.returncode} vs {loc.returncode}, '
                  f'{len(fl.stdout)} vs {len(loc.stdout)} bytes, {fl.stderr[:200]!r})')
        for fmt in ('asciicast', 'json'):
            loc = cli('export', '--log-dir', d, '--format', fmt, '--markers', sid)
            fl = cli('export', '--fleet', inv, '--origin', origin, '--format', fmt, '--markers', sid)
            check(loc.returncode == 0 and loc.stdout and fl.returncode == 0 and fl.stdout == loc.stdout,
                  f'export --fleet {n} {sid} --format {fmt}: as the local export ({fl.returncode}, '
                  f'{fl.stderr[:200]!r})')
        tl, tf = os.path.join(T, 'timing-loc'), os.path.join(T, 'timing-fleet')
        loc = cli('export', '--log-dir', d, '--format', 'typescript', '--timing', tl, sid)
        fl = cli('export', '--fleet', inv, '--origin', origin, '--format', 'typescript', '--timing', tf, sid)
        check(loc.returncode == 0 and fl.returncode == 0 and fl.stdout == loc.stdout
              and open(tl).read() == open(tf).read(), f'export --fleet {n} {sid} typescript and timing as local')
        rl, rf = os.path.join(T, 'replay-loc'), os.path.join(T, 'replay-fleet')
        loc = cli('replay', '--log-dir', d, '--no-wait', '-o', rl, sid)
        fl = cli('replay', '--fleet', inv, '--origin', origin, '--no-wait', '-o', rf, sid)
        check(loc.returncode == 0 and fl.returncode == 0 and os.path.getsize(rl) > 0
              and open(rl, 'rb').read() == open(rf, 'rb').read(),
              f'replay --fleet {n} {sid}: the local playback byte for byte ({fl.returncode}, {fl.stderr[:200]!r})')
    # The session's table comes through the session index: not every record of its host is
    # read (the build before read them all for each show). Rows the records' partitions gave
    # out, from the statistics a backend reports when it ends.
    def records_read():
        return int(psql("SELECT coalesce(sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)), 0) "
                        "FROM pg_stat_user_tables WHERE relname LIKE 'records%'"))
    host_total = int(psql("SELECT count(*) FROM records WHERE origin = 'host-view/ttyaudit'"))
    before = records_read()
    r = cli('show', '--fleet', inv, '--origin', 'host-view/ttyaudit', '5e1c0a42-8')
    time.sleep(1.5)  # the statistics are flushed at most once a second
    read = records_read() - before
    check(r.returncode == 0 and read < host_total,
          f'show --fleet of one session reads {read} of the records\' rows, fewer than its host\'s '
          f'{host_total} ({r.returncode})')
    # Its transcript reads the session's own records and the gaps inside it (by index), not
    # every record of its span; a span is read only when the database differs from the table
    # (the damage below). The statements as the server logs them.
    SPAN_STMT, SESSION_STMT = 'AND idx BETWEEN $2 AND $3 ORDER BY idx', 'AND session = $2 AND idx BETWEEN'
    def statements(*a):
        r, log = logged_during(logf, lambda: cli(*a), 0.3)
        return r, log.count('execute <unnamed>: SELECT idx, stored FROM records WHERE origin = $1 ' + SPAN_STMT), \
            log.count('execute <unnamed>: SELECT idx, stored FROM records WHERE origin = $1 ' + SESSION_STMT)
    psql("ALTER ROLE investigator SET log_min_duration_statement = 0")
    try:
        r, spans, by_session = statements('show', '--fleet', inv, '--origin', 'host-view/ttyaudit', '5e1c0a42-7')
        check(r.returncode == 0 and by_session == 1 and spans == 0,
              f'show --fleet: the session\'s records and gaps, not its span ({by_session} by session, '
              f'{spans} spans, {r.returncode})')
        r, spans, by_session = statements('query', '--fleet', inv, '--origin', 'host-view/ttyaudit', '--user',
                                          'alice', '--grep', 'echo')
        check(r.returncode == 0 and r.stdout and by_session >= 1 and spans == 0,
              f'query --fleet --user --grep: each session\'s records, no span ({by_session} by session, '
              f'{spans} spans, {r.returncode})')
    finally:
        psql("ALTER ROLE investigator RESET log_min_duration_statement")
    fj = cli('show', '--fleet', inv, '--origin', 'host-view', '--json', '5e1c0a42-7')
    check(fj.returncode == 0 and json.loads(fj.stdout.split(b'\n')[0])['checkpointed'] is True,
          'show --fleet --json: the session is covered by a cosigned checkpoint (the only origin containing host-view)')
    # Damage in the fleet's copy: a record that does not decode, then one missing; exit 8, marked in place.
    idxs = psql("SELECT idx FROM records WHERE origin = 'host-view/ttyaudit' "
                "AND (session & 4294967295) = 7 ORDER BY idx").split()
    mid = idxs[len(idxs) // 2]
    psql(f"CREATE TABLE saved_rec AS SELECT * FROM records WHERE origin = 'host-view/ttyaudit' AND idx = {mid}")
    try:
        psql(f"UPDATE records SET stored = '\\x00'::bytea WHERE origin = 'host-view/ttyaudit' AND idx = {mid}")
        for how in ('does not decode', 'missing'):
            if how == 'missing':
                psql(f"DELETE FROM records WHERE origin = 'host-view/ttyaudit' AND idx = {mid}")
            r = cli('show', '--fleet', inv, '--origin', 'host-view/ttyaudit', '5e1c0a42-7')
            err = r.stderr.decode().strip().split('\n')
            check(r.returncode == 8 and len(err) == 1 and 'damaged in session 5e1c0a42-7' in err[0]
                  and f'record {mid}'.encode() in r.stdout and r.stdout.startswith(b'# session 5e1c0a42-7'),
                  f'show --fleet, a record that {how}: intact part shown, damage marked, exit 8 '
                  f'({r.returncode}: {err[:2]})')
            r = cli('export', '--fleet', inv, '--origin', 'host-view/ttyaudit', '--format', 'json', '5e1c0a42-7')
            check(r.returncode == 8 and b'"damage"' in r.stdout, f'export --fleet, a record that {how}: exit 8')
    finally:
        psql(f"DELETE FROM records WHERE origin = 'host-view/ttyaudit' AND idx = {mid}")
        psql("INSERT INTO records SELECT * FROM saved_rec")
        psql("DROP TABLE saved_rec")
    r = cli('show', '--fleet', inv, '--origin', 'host-view/ttyaudit', '5e1c0a42-7')
    check(r.returncode == 0, 'show --fleet after the record is put back: exit 0')
    # ---- verify --fleet: each host's copy checked as verify checks a local log
    vd, vo = os.path.join(T, 'logs', 'view'), 'host-view/ttyaudit'
    vkey = os.path.join(vd, 'ttyaudit.vkey')
    loc = json.loads(cli('verify', '--log-dir', vd, '--key', vkey, '--json').stdout)
    def fverify(*a):
        r = cli('verify', '--fleet', inv, *a)
        return r, [json.loads(l) for l in r.stdout.splitlines()] if '--json' in a else None
    r, js = fverify('--origin', vo, '--key', vkey, '--witness', wvkey, '--json')
    check(r.returncode == 0 and len(js) == 1 and js[0]['ok'] and js[0]['origin'] == vo
          and js[0]['root'] == loc['root'] and js[0]['records'] == loc['records']
          and js[0]['latest_checkpoint'] == loc['latest_checkpoint'] and js[0]['cosigned_checkpoint'] == loc['records']
          and js[0]['cosignatures_checked'] and js[0]['records_missing'] == 0,
          f'verify --fleet --witness: the local root, records and checkpoints, cosigned ({r.returncode}, '
          f'{js}, {loc}, {r.stderr[:300]!r})')
    r = cli('verify', '--fleet', inv, '--witness', wvkey)
    lines = r.stdout.decode().splitlines()
    enrolled = psql('SELECT origin FROM enrolment ORDER BY origin').split()
    oks = [l for l in lines if ': OK: records 0..' in l]
    check(r.returncode == 0 and [l.split(': OK')[0] for l in oks] == enrolled
          and sum('carries 1 of the 1 required cosignatures' in l for l in lines) == len(enrolled)
          and 'enrolled in the fleet database' in r.stderr.decode(),
          f'verify --fleet: every enrolled host OK and cosigned, the warning about enrolled keys '
          f'({r.returncode}, {lines[:3]}, {r.stderr[:200]!r})')
    r = cli('verify', '--fleet', inv, '--origin', vo, '-q')
    check(r.returncode == 0 and not r.stdout and not r.stderr, 'verify --fleet -q: silent when it verifies')
    # export --fleet --with-proof: the local proof's records, against the cosigned checkpoint
    lp, fp = os.path.join(T, 'proof-loc'), os.path.join(T, 'proof-fleet')
    rl = cli('export', '--log-dir', vd, '--format', 'json', '-o', lp, '--with-proof', '5e1c0a42-7')
    rf = cli('export', '--fleet', inv, '--origin', vo, '--format', 'json', '-o', fp, '--with-proof', '5e1c0a42-7')
    recs = lambda p: [l for l in open(p + '.proof').read().splitlines() if l.startswith(('record ', 'path '))]
    check(rl.returncode == 0 and rf.returncode == 0 and recs(lp) and recs(fp) == recs(lp)
          and open(fp).read() == open(lp).read(),
          f'export --fleet --with-proof: the local export and the local proof\'s records ({rf.returncode}, {rf.stderr[:300]!r})')
    r = cli('verify-proof', fp + '.proof', '--key', vkey, '--witness', wvkey)
    check(r.returncode == 0 and b'1 valid cosignatures' in r.stdout,
          f'verify-proof --witness accepts the fleet proof ({r.returncode}, {r.stdout[-200:]!r}, {r.stderr[:200]!r})')
    r = cli('verify-proof', lp + '.proof', '--key', vkey, '--witness', wvkey)
    check(r.returncode == 7, 'verify-proof --witness refuses the local proof (no cosignature): the fleet one carries it')
    # Damage in PostgreSQL: verify --fleet fails with the local exit code (7) and names the record.
    sidx = psql(f"SELECT idx FROM records WHERE origin = '{vo}' AND (session & 4294967295) = 7 ORDER BY idx").split()
    mid = sidx[len(sidx) // 2]
    psql(f"CREATE TABLE saved_rec AS SELECT * FROM records WHERE origin = '{vo}' AND idx = {mid}")
    psql(f"CREATE TABLE saved_leaf AS SELECT * FROM leaves WHERE origin = '{vo}' AND idx = {mid}")
    psql(f"CREATE TABLE saved_ck AS SELECT * FROM checkpoints WHERE origin = '{vo}'")
    def restore():
        psql(f"DELETE FROM records WHERE origin = '{vo}' AND idx = {mid}")
        psql("INSERT INTO records SELECT * FROM saved_rec")
        psql(f"UPDATE leaves SET leaf = (SELECT leaf FROM saved_leaf) WHERE origin = '{vo}' AND idx = {mid}")
        psql(f"UPDATE checkpoints c SET cosignature = s.cosignature FROM saved_ck s "
             f"WHERE c.origin = s.origin AND c.size = s.size")
    try:
        tampers = [
            ('a byte of a record changed',
             f"UPDATE records SET stored = set_byte(stored, length(stored) - 9, get_byte(stored, length(stored) - 9) # 1) "
             f"WHERE origin = '{vo}' AND idx = {mid}", 7, f'record {mid}: '),
            ('a record inserted twice', f"INSERT INTO records SELECT * FROM saved_rec", 7,
             f'record {mid}: the database holds it twice'),
            ('a record deleted and its leaf changed',
             f"DELETE FROM records WHERE origin = '{vo}' AND idx = {mid}; UPDATE leaves SET leaf = "
             f"sha256('forged'::bytea) WHERE origin = '{vo}' AND idx = {mid}", 7, 'root differs from the tree'),
            ('a cosignature changed',
             f"UPDATE checkpoints SET cosignature = overlay(cosignature placing CASE WHEN substr(cosignature, "
             f"length(cosignature) - 10, 1) = 'A' THEN 'B' ELSE 'A' END from length(cosignature) - 10 for 1) "
             f"WHERE origin = '{vo}'", 7, 'cosignature: the cosignature of witness'),
            ('a record deleted (as by retention)', f"DELETE FROM records WHERE origin = '{vo}' AND idx = {mid}",
             0, 'no longer in the database'),
        ]
        for how, sql, code, text in tampers:
            psql(sql)
            r = cli('verify', '--fleet', inv, '--origin', vo, '--key', vkey, '--witness', wvkey)
            out = r.stdout.decode()
            check(r.returncode == code and text in out and out.startswith(vo + (': OK' if code == 0 else ': FAILED')),
                  f'verify --fleet, {how}: exit {code}, named ({r.returncode}: {out[:300]!r} {r.stderr[:200]!r})')
            if code:
                rj = cli('verify', '--fleet', inv, '--origin', vo, '--key', vkey, '--witness', wvkey, '--json')
                j = json.loads(rj.stdout)
                check(rj.returncode == 7 and j['ok'] is False and text in j['error'], f'verify --fleet --json, {how}')
            if how.startswith('a byte'):
                r = cli('export', '--fleet', inv, '--origin', vo, '--format', 'json', '-o', fp + '2',
                        '--with-proof', '5e1c0a42-7')
                check(r.returncode == 1 and b'does not hash to its leaf' in r.stderr
                      and not os.path.exists(fp + '2.proof'),
                      f'export --fleet --with-proof refuses a changed record ({r.returncode}, {r.stderr[:300]!r})')
            restore()
    finally:
        restore()
        psql("DROP TABLE saved_rec; DROP TABLE saved_leaf; DROP TABLE saved_ck")
    r = cli('verify', '--fleet', inv, '--origin', vo, '--key', vkey, '--witness', wvkey)
    check(r.returncode == 0, f'verify --fleet after the database is put back: exit 0 ({r.stdout[:200]!r})')
    r = cli('verify', '--fleet', inv, '--origin', vo, '--key', os.path.join(T, 'logs', 'shared', 'ttyaudit.vkey'))
    check(r.returncode == 7 and b'no signature by the verifier key' in r.stdout,
          f'verify --fleet --key of another host: exit 7 ({r.stdout[:200]!r})')
    for argv, code, text in [(['--fleet', inv, '--log-dir', T], 2, 'not with --log-dir'),
                             (['--fleet', inv, '--origin', 'no-such-host'], 2, 'no enrolled host'),
                             (['--fleet', f'host=127.0.0.1 port={free_port()} dbname=fleet '
                               'user=investigator connect_timeout=3'], 6, 'fleet database'),
                             (['--fleet', inv.replace('pw-investigator', 'wrong')], 4, 'password authentication')]:
        r = cli('verify', *argv)
        err = r.stderr.decode().strip().split('\n')
        check(r.returncode == code and len(err) == 1 and text in err[0] and not r.stdout,
              f'verify {argv[1:3]!r}..: exit {code} and one line ({r.returncode}: {err[:2]})')
    # query --fleet --grep / --commands: the local answers, each led by the host
    for n, origin in view_hosts.items():
        d = os.path.join(T, 'logs', n)
        for opts in (['--grep', 'echo'], ['--grep', 'SUDO', '-i'], ['--grep', 'no-such-text-zz'], ['--commands']):
            loc = cli('query', '--log-dir', d, *opts, '--json')
            fl = cli('query', '--fleet', inv, '--origin', origin, *opts, '--json')
            rows = [json.loads(l) for l in fl.stdout.splitlines()]
            check(loc.returncode == 0 and fl.returncode == 0 and all(x.pop('origin') == origin for x in rows)
                  and rows == [json.loads(l) for l in loc.stdout.splitlines()],
                  f'query --fleet {opts} on {n}: the local rows plus the host ({fl.returncode}, '
                  f'{len(rows)} rows, {fl.stderr[:200]!r})')
    loc = cli('query', '--log-dir', os.path.join(T, 'logs', 'view'), '--commands')
    fl = cli('query', '--fleet', inv, '--origin', 'host-view', '--commands')
    check(fl.returncode == 0 and loc.stdout and [l[25:] for l in fl.stdout.splitlines()] == loc.stdout.splitlines()
          and all(l.startswith(b'host-view/ttyaudit ') for l in fl.stdout.splitlines()),
          'query --fleet --commands (text): the local lines led by the host')
    # query --fleet through the session index: for every filter the index narrows (user, host,
    # times, tty, session, and with --grep), exactly the local answer (rows, text, exit code).
    idx_hosts = {'q1': 'host-q1/ttyaudit', 'q2': 'host-q2/ttyaudit', **view_hosts}
    compared = 0
    for n, origin in idx_hosts.items():
        d = os.path.join(T, 'logs', n)
        every = [json.loads(l) for l in cli('query', '--log-dir', d, '--no-index', '--json').stdout.splitlines()]
        check(every, f'{n}: the local log has sessions')
        opts_list = [['--user', 'mallory'], ['--user', '4242'], ['--host', 'no-such-host'],
                     ['--tty', 'no-such-tty'], ['--session', '5e1c0a42-99999']]
        for x in every:
            if x.get('user'):
                opts_list += [['--user', x['user']], ['--user', x['user'], '--grep', 'e']]
            if x.get('auid') is not None:
                opts_list.append(['--user', str(x['auid'])])
            for k in ('host', 'addr'):
                if x.get(k):
                    opts_list += [['--host', x[k]], ['--host', x[k][:-1]]]
            for t in x.get('ttys', []) + ([x['terminal']] if x.get('terminal') else []):
                opts_list += [['--tty', t], ['--tty', '/dev/' + t]]
            opts_list += [['--since', x['start']], ['--until', x['start']], ['--since', x['end']],
                          ['--until', x['end']], ['--since', x['start'], '--until', x['end']],
                          ['--session', x['session']]]
            if x.get('user'):
                # (after every session: no row, but the name exists, so exit 0 as locally)
                opts_list += [['--user', x['user'], '--since', x['start']],
                              ['--user', x['user'], '--since', '@4102444800']]
        seen = set()
        for opts in opts_list:
            if tuple(opts) in seen:
                continue
            seen.add(tuple(opts))
            loc = cli('query', '--log-dir', d, '--no-index', *opts, '--json')
            fl = cli('query', '--fleet', inv, '--origin', origin, *opts, '--json')
            rows = [json.loads(l) for l in fl.stdout.splitlines()]
            ok = (fl.returncode == loc.returncode and all(x.pop('origin') == origin for x in rows)
                  and rows == [json.loads(l) for l in loc.stdout.splitlines()]
                  and bool(fl.stderr) == bool(loc.stderr))
            lt = cli('query', '--log-dir', d, '--no-index', *opts)
            ft = cli('query', '--fleet', inv, '--origin', origin, *opts)
            ok = ok and ft.returncode == lt.returncode and \
                [l[25:] for l in ft.stdout.splitlines()] == lt.stdout.splitlines()
            check(ok, f'query --fleet {opts} on {n}: the local answer ({fl.returncode} vs {loc.returncode}, '
                      f'{len(rows)} rows, {fl.stderr[:200]!r} vs {loc.stderr[:200]!r})')
            compared += 1
    check(compared > 40, f'{compared} filter sets compared with the local answers')
    # The index is what answers: a session's facts removed, the filter no longer finds it; a host
    # whose records predate the index (complete = false) is read in full and found again.
    q2 = 'host-q2/ttyaudit'
    saved = psql(f"SELECT session || ':' || auids::text FROM sessions WHERE origin = '{q2}' AND auids <> '{{}}'")
    psql(f"UPDATE sessions SET auids = '{{}}' WHERE origin = '{q2}'")
    r = query('--fleet', inv, '--user', '1009', '--json')
    check(r.returncode == 0 and not r.stdout, f'--user 1009 with the index emptied: not found (the index answers)')
    psql(f"UPDATE host_index SET complete = false WHERE origin = '{q2}'")
    r = query('--fleet', inv, '--user', '1009', '--json')
    check(r.returncode == 0 and [json.loads(l)['origin'] for l in r.stdout.splitlines()] == [q2],
          '--user 1009 on a host not fully indexed: read in full, found')
    for line in saved.splitlines():
        ses, arr = line.split(':', 1)
        psql(f"UPDATE sessions SET auids = '{arr}' WHERE origin = '{q2}' AND session = {ses}")
    psql(f"UPDATE host_index SET complete = true WHERE origin = '{q2}'")
    # A record missing from a host (a hole): that host is read in full, damage reported as before.
    ridx = psql(f"SELECT max(idx) - 1 FROM records WHERE origin = '{q2}'")
    psql(f"CREATE TABLE saved_q2 AS SELECT * FROM records WHERE origin = '{q2}' AND idx = {ridx}")
    try:
        psql(f"DELETE FROM records WHERE origin = '{q2}' AND idx = {ridx}")
        r = query('--fleet', inv, '--user', 'alice', '--origin', 'q2', '--json')
        check(r.returncode == 8 and r.stdout and 'damaged' in r.stderr,
              f'query --fleet --user on a host with a hole: read in full, exit 8 ({r.returncode}, {r.stderr[:200]!r})')
    finally:
        psql(f"INSERT INTO records SELECT * FROM saved_q2"); psql("DROP TABLE saved_q2")
    r = query('--fleet', inv, '--user', 'alice', '--origin', 'q2', '--json')
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 1, 'and exit 0 once the record is back')
    wrong = inv.replace('pw-investigator', 'wrong')
    gone = f'host=127.0.0.1 port={free_port()} dbname=fleet user=investigator connect_timeout=3'
    bad = [(['show', '--fleet', inv, '5e1c0a42-7'], 2, 'needs --origin HOST'),
           (['show', '--origin', 'host-view', '5e1c0a42-7'], 2, 'give --fleet DSN too'),
           (['show', '--fleet', inv, '--origin', 'no-such-host', '5e1c0a42-7'], 2, 'no enrolled host'),
           (['show', '--fleet', inv, '--origin', 'host-', '5e1c0a42-7'], 2, 'give one exactly'),
           (['show', '--fleet', inv, '--origin', 'host-view', '5e1c0a42-99'], 9, "no session '5e1c0a42-99'"),
           (['show', '--fleet', inv, '--origin', 'host-view', 'nonsense'], 2, 'not a session id'),
           (['show', '--fleet', inv, '--origin', 'host-view', '--log-dir', T, '5e1c0a42-7'], 2, 'not with --log-dir'),
           (['show', '--fleet', 'colour=blue', '--origin', 'host-view', '5e1c0a42-7'], 2,
            'not a PostgreSQL connection string'),
           (['show', '--fleet', wrong, '--origin', 'host-view', '5e1c0a42-7'], 4, 'password authentication failed'),
           (['show', '--fleet', gone, '--origin', 'host-view', '5e1c0a42-7'], 6, 'fleet database'),
           (['replay', '--fleet', inv, '5e1c0a42-7'], 2, 'needs --origin HOST'),
           (['replay', '--origin', 'host-view', '5e1c0a42-7'], 2, 'give --fleet DSN too'),
           (['replay', '--fleet', gone, '--origin', 'host-view', '5e1c0a42-7'], 6, 'fleet database'),
           (['export', '--fleet', inv, '--origin', 'host-view', '5e1c0a42-7'], 2, 'needs --format'),
           (['export', '--fleet', gone, '--origin', 'host-view', '--format', 'json', '5e1c0a42-7'], 6,
            'fleet database')]
    for argv, code, text in bad:
        r = cli(*argv)
        err = r.stderr.decode().strip().split('\n')
        check(r.returncode == code and len(err) == 1 and text in err[0] and not r.stdout,
              f'{argv[0]} {argv[1:3]!r}..: exit {code} and one line ({r.returncode}: {err[:2]})')

    # ---- NATS stopped and restarted mid-stream
    # Enough records that the kill lands mid-stream: batched, asynchronous publishing
    # ships a few thousand records in a fraction of a second.
    nb = append('b', 'host-b/ttyaudit', 60000, 'more')
    pb = ship('b', 'host-b', until=False)
    t0 = time.time()
    while int(state('b').get('next', 0)) < 2500 and time.time() - t0 < 30:
        time.sleep(0.05)
    for i in range(NODES):
        nats_kill(i)
    at_kill = int(state('b').get('next', 0))
    time.sleep(3)
    check(pb.poll() is None, 'the shipper waits while NATS is down')
    st = json.loads(subprocess.run([CLI, 'status', '--log-dir', db, '--ship-state',
                                    os.path.join(T, 'b.state'), '--json'],
                                   capture_output=True, text=True).stdout or '{}')
    check(st.get('ship_backlog', 0) > 0, f'ttyaudit status shows the backlog ({st.get("ship_backlog")})')
    for i in range(NODES):
        nats_start(i)
    t0 = time.time()
    while not (state('b').get('acked') == str(nb) and state('b').get('next') == str(nb)) and time.time() - t0 < 180:
        time.sleep(0.2)
    check(2500 <= at_kill < nb, f'all NATS nodes killed mid-stream (at record {at_kill} of {nb})')
    check(verified('host-b/ttyaudit', nb, db), 'after the restart every record of b is stored and cosigned')
    pb.send_signal(signal.SIGTERM); pb.wait(10)

    # ---- duplicate replay: the shipper forgets its position and ships it all again
    os.unlink(os.path.join(T, 'a.state'))
    pa = ship('a', 'host-a')
    check(pa is not None and pa.returncode == 0, 'a replay finishes')
    check(verified('host-a/ttyaudit', na, da) and psql('SELECT count(*) FROM evidence') == '0',
          'a replay changes nothing and raises nothing')
    # ---- a replay whose batches have other bounds than the first time (a shipper that
    # restarts from a saved position): JetStream sees new message ids, the collectors see
    # every record again, overlapping the batches they have; duplicates by index, no fork
    with open(os.path.join(T, 'a.state'), 'w') as f:
        f.write('next 37\ncheckpoint 0\nacked 0\n')
    pa = ship('a', 'host-a')
    log_a = open(os.path.join(T, 'ship-a.log')).read()
    check(pa is not None and pa.returncode == 0 and 'from record 37' in log_a,
          'a replay from record 37 (batches 37-292, ...) finishes')
    check(verified('host-a/ttyaudit', na, da) and psql('SELECT count(*) FROM evidence') == '0',
          'batches overlapping the stored ones with other bounds change nothing and raise nothing')
    time.sleep(0.5)
    dups = sum(int(l.split('duplicates ')[1].split(',')[0]) for c in collectors if c.poll() is None
               for l in [stop_and_log(c)] if 'duplicates ' in l)
    check(dups >= na // 2 + (na - 37),
          f'past the deduplication window the collectors found the duplicates, every record of the '
          f'shifted replay among them ({dups} >= {na // 2} + {na - 37})')
    c1, c2 = collector_start('1b'), collector_start('2b')

    # ---- kill a collector mid-batch; the other one and redelivery finish the work
    na = append('a', 'host-a/ttyaudit', 30000, 'big')
    pa = ship('a', 'host-a', until=False)
    t0 = time.time()
    while int(psql("SELECT count(*) FROM leaves WHERE origin = 'host-a/ttyaudit'")) < 5000 and time.time() - t0 < 60:
        time.sleep(0.05)
    c1.send_signal(signal.SIGKILL); c1.wait()
    leader = stream_leader()
    check(leader is not None, f'the stream has a leader (n{leader})')
    if leader is not None:
        nats_kill(leader)
    # On the two nodes left, with one collector and redelivery: every record cosigned. The
    # budget is generous for a loaded 2-core machine; the shipper must never stall on an
    # answer it cannot use (it once looped on an ALARM and stopped resending).
    t0 = time.time()
    while state('a').get('acked') != str(na) and time.time() - t0 < 150:
        time.sleep(0.2)
    took = time.time() - t0
    check(state('a').get('acked') == str(na) and verified('host-a/ttyaudit', na, da),
          'a collector and the stream leader killed mid-batch: every record stored and cosigned '
          f'on the two nodes left ({took:.0f} s)')
    alarms = [l for l in open(os.path.join(T, 'ship-a.log')) if 'ALARM' in l]
    check(not alarms, f'no ALARM from the shipper on an honest collector ({alarms[:1]})')
    if leader is not None:
        nats_start(leader)
    pa.send_signal(signal.SIGTERM); pa.wait(10)
    c1 = collector_start('3')

    # ---- a host that forks its log: snapshot, ship more, then roll back and write other records
    de, ne = make_log('e', 'host-e/ttyaudit', 2000)
    enrol('e', 'host-e/ttyaudit')
    snap = os.path.join(T, 'e-snapshot')
    shutil.copytree(de, snap)
    ne = append('e', 'host-e/ttyaudit', 1000, 'orig2')
    pe = ship('e', 'host-e')
    check(pe is not None and pe.returncode == 0 and verified('host-e/ttyaudit', ne, de), f'host e shipped {ne}')
    shutil.rmtree(de); shutil.copytree(snap, de)
    append('e', 'host-e/ttyaudit', 1500, 'forged')
    os.unlink(os.path.join(T, 'e.state'))
    pe = ship('e', 'host-e', timeout=8)
    check(pe is None, 'the forked log is never acknowledged')
    ev = psql_until("SELECT count(*) FROM evidence WHERE origin = 'host-e/ttyaudit' AND kind = 'fork'",
                    lambda v: int(v) >= 2)
    # A short deduplication window: the forged records reach the collector too.
    check(int(ev) >= 2, f'the forked records and checkpoint are kept as evidence ({ev} rows)')
    dup = psql("SELECT count(*) FROM (SELECT 1 FROM evidence GROUP BY origin, kind, idx, message "
               "HAVING count(*) > 1) x")
    check(dup == '0', f'each piece of evidence is kept once, however often its message came ({dup} repeated)')
    check(psql("SELECT size FROM log_state WHERE origin = 'host-e/ttyaudit'") == str(ne) and
          psql("SELECT max(size) FROM checkpoints WHERE origin = 'host-e/ttyaudit' AND cosignature IS NOT NULL") == str(ne),
          f'the collector\'s tree of e and its cosignatures stay at the honest {ne}')
    check(psql(f"SELECT count(*) FROM records WHERE origin = 'host-e/ttyaudit' AND idx < {ne} "
               "AND encode(stored, 'escape') LIKE '%forged%'") == '0',
          'no forged record replaced an honest one')
    r = subprocess.run([CLI, 'verify', '--fleet', dsn('investigator'), '--origin', 'host-e/ttyaudit', '--key',
                        os.path.join(snap, 'ttyaudit.vkey'), '--witness', wvkey, '--json'], capture_output=True)
    j = json.loads(r.stdout or b'{}')
    check(r.returncode == 0 and j.get('latest_checkpoint') == ne and j.get('cosigned_checkpoint') == ne,
          f'verify --fleet after the fork: e verifies up to the honest {ne}, cosigned ({r.returncode}, {j})')

    # ---- publishing under another host's subject: host e writes a log that claims
    # a's origin (with e's own key) and ships it with e's credentials, then with a
    # rogue's that NATS lets publish anywhere
    make_log('imp', 'host-a/ttyaudit', 300, 'impostor')
    n_before = stored('host-a/ttyaudit')
    # Evidence of a only: e's forged records may still be arriving from the case before.
    ev_a = "SELECT count(*) FROM evidence WHERE origin = 'host-a/ttyaudit' OR kind = 'unknown-origin'"
    ev_before = int(psql(ev_a))
    pe = ship('imp', 'host-e', timeout=5)
    check(pe is None and state('imp').get('next', '0') == '0' and stored('host-a/ttyaudit') == n_before and
          int(psql(ev_a)) == ev_before,
          'NATS permissions refuse host e on host a\'s subject')
    pe = ship('imp', 'rogue', timeout=6)
    check(pe is None and stored('host-a/ttyaudit') == n_before, 'a permitted rogue publisher changes nothing of a')
    check(verified('host-a/ttyaudit', na, da), 'a\'s records, tree and cosignatures are intact')
    kinds = psql_until("SELECT coalesce(string_agg(DISTINCT kind, ','), '') FROM evidence "
                       "WHERE origin = 'host-a/ttyaudit'",
                       lambda v: 'bad-checkpoint' in v and 'fork' in v)
    check('bad-checkpoint' in kinds and 'fork' in kinds, f'and is kept as evidence ({kinds})')

    # ---- an unknown host
    make_log('f', 'host-f/ttyaudit', 100)
    pf = ship('f', 'rogue', timeout=5)
    check(pf is None and int(psql_until("SELECT count(*) FROM evidence WHERE kind = 'unknown-origin'",
                                        lambda v: int(v) >= 1)) >= 1,
          'an unknown origin is refused and kept as evidence')

    # ---- a hostile host: root on x replaces its shipper and publishes on its own subjects
    # what it likes. Nothing of it may stop the collectors, reach other hosts or their query,
    # or put a terminal's control bytes in a log. Its recorder's login record names a user in
    # bytes that are not UTF-8: the session index cannot hold them as text (a UTF8 database
    # refused the whole batch, at every redelivery); the host is then read in full.
    check(psql("SHOW server_encoding") == 'UTF8', 'the fleet database is UTF8')
    make_log('x', 'host-x/ttyaudit', 20, b'login:mal\xfflory:3')
    enrol('x', 'host-x/ttyaudit')
    px = ship('x', 'host-x', timeout=60)
    check(px is not None and px.returncode == 0 and
          psql("SELECT undecodable > 0 FROM host_index WHERE origin = 'host-x/ttyaudit'") == 't',
          'a login name that is not UTF-8 is stored and cosigned; its host is read in full')
    r = subprocess.run([CLI, 'query', '--fleet', inv, '--origin', 'host-x', '--user', '1003', '--json'],
                       capture_output=True)
    check(r.returncode == 0 and len(r.stdout.splitlines()) == 1 and b'\xff' not in r.stdout,
          f'query --fleet finds that session by login uid, its name escaped ({r.returncode}, {r.stdout[-200:]!r})')
    # ---- a pane with more typists than the session index keeps for a session (a host claims
    # one attribution record per made-up typist): the list stops growing at 257 values and the
    # host is read in full. Every merge used to rewrite and compare the whole list, in a
    # transaction the other collectors wait on.
    make_log('y', 'host-y/ttyaudit', 300, 'typists')
    enrol('y', 'host-y/ttyaudit')
    py = ship('y', 'host-y', timeout=60)
    rel = psql("SELECT cardinality(related) FROM sessions WHERE origin = 'host-y/ttyaudit' AND session = 1")
    r = subprocess.run([CLI, 'query', '--fleet', inv, '--origin', 'host-y', '--json'], capture_output=True)
    check(py is not None and py.returncode == 0 and rel == '257' and
          psql("SELECT undecodable > 0 FROM host_index WHERE origin = 'host-y/ttyaudit'") == 't' and
          r.returncode == 0 and len(r.stdout.splitlines()) == 301,
          f'a pane of 300 typists: its list in the index stops at 257 ({rel}), its host is read in '
          f'full, and query --fleet still lists every session ({r.returncode}, {len(r.stdout.splitlines())})')
    def wait_for(sql, want, secs=30):
        return psql_until(sql, lambda v: v == want, secs) == want
    xs = ohash('host-x/ttyaudit')
    # Junk the host sent before (any number of malformed messages are kept): each new piece of
    # evidence is looked up by the unique index evidence_once, not compared with all the others.
    psql("INSERT INTO evidence (subject, origin, kind, alarm, message, sha256) SELECT 'junk', 'host-x/ttyaudit', "
         "'malformed', 'junk', int8send(g), sha256(int8send(g)) FROM generate_series(1, 30000) g; ANALYZE evidence")
    # A record index past PostgreSQL's bigint: stored negative, it made every investigator's
    # query --fleet --user fail (the host's hole check overflowed). Any record's bytes will do.
    rec = bytearray(bytes.fromhex(psql("SELECT encode(stored, 'hex') FROM records WHERE "
                                       "origin = 'host-b/ttyaudit' AND idx = 5")))
    rec[8:16] = (2 ** 63).to_bytes(8, 'little')
    body = b'TAB1' + (2 ** 63).to_bytes(8, 'big') + (1).to_bytes(4, 'big') + len(rec).to_bytes(4, 'big') + rec
    e = nats_pub('host-x', f'ttyaudit.{xs}.records', body,
                 [(b'Nats-Msg-Id', sealed(f'host-x/ttyaudit/{2 ** 63}-{2 ** 63}', body)), (b'Ttyaudit-Index', str(2 ** 63).encode())])
    check(e == b'' and wait_for("SELECT count(*) FROM evidence WHERE origin = 'host-x/ttyaudit' AND "
                                "kind = 'malformed' AND alarm LIKE '%beyond 2^63%'", '1'),
          f'a record index beyond 2^63 - 1 is refused as malformed ({e!r})')
    check(psql("SELECT count(*) FROM leaves WHERE idx < 0") == '0', 'no negative index stored')
    r = query('--fleet', inv, '--user', 'alice', '--json')
    check(r.returncode == 0 and len(r.stdout.splitlines()) >= 2,
          f'query --fleet --user alice still answers for the fleet ({r.returncode}, {r.stderr.strip()[:200]})')
    # What an older collector stored of such a record: the host's smallest index negative.
    psql("UPDATE host_index SET lo = '-9223372036854775808', records = records + 1 "
         "WHERE origin = 'host-x/ttyaudit'")
    r = query('--fleet', inv, '--user', 'alice', '--json')
    psql("UPDATE host_index SET lo = 0, records = records - 1 WHERE origin = 'host-x/ttyaudit'")
    check(r.returncode == 0 and len(r.stdout.splitlines()) >= 2,
          f'and with a negative index in host_index ({r.returncode}, {r.stderr.strip()[:200]})')
    # A header's bytes in the alarm (the line and the evidence row's text), and a signed
    # checkpoint of a size past the bigint (its statements failed the whole batch, forever).
    rec5 = bytes.fromhex(psql("SELECT encode(stored, 'hex') FROM records WHERE origin = 'host-b/ttyaudit' AND idx = 5"))
    body = b'TAB1' + (5).to_bytes(8, 'big') + (1).to_bytes(4, 'big') + len(rec5).to_bytes(4, 'big') + rec5
    e1 = nats_pub('host-x', f'ttyaudit.{xs}.records', body,
                  [(b'Nats-Msg-Id', sealed('host-x/ttyaudit/5-5', body)), (b'Ttyaudit-Index', b'\xff\x1b[2J\x1b]0;pwned\x07')])
    note = sign_note(os.path.join(T, 'logs', 'x.key'),
                     b'host-x/ttyaudit\n%d\n%s\n' % (2 ** 63 + 1, base64.b64encode(b'\x01' * 32)))
    e2 = nats_pub('host-x', f'ttyaudit.{xs}.checkpoints', b'old 0\n\n' + note,
                  [(b'Nats-Msg-Id', sealed(f'host-x/ttyaudit/checkpoint/{2 ** 63 + 1}/0',
                                           b'old 0\n\n' + note)), (b'Ttyaudit-Old', b'0')])
    check(e1 == b'' and e2 == b'' and
          wait_for("SELECT count(*) FROM evidence WHERE origin = 'host-x/ttyaudit' AND kind = 'malformed' "
                   "AND subject <> 'junk'", '2') and
          wait_for("SELECT count(*) FROM evidence WHERE origin = 'host-x/ttyaudit' AND "
                   "kind = 'bad-checkpoint' AND alarm LIKE '%beyond 2^63%'", '1'),
          f'a header of control bytes and a checkpoint past 2^63 are kept as evidence ({e1!r}, {e2!r})')
    # The collector's keep-once lookup (collect.c, evidence_of) is the unique index's: an insert
    # of the same evidence does nothing, among the junk.
    same = ("INSERT INTO evidence (subject, origin, kind, alarm, message, sha256) VALUES ('junk', "
            "'host-x/ttyaudit', 'malformed', 'again', int8send(7), sha256(int8send(7))) ON CONFLICT "
            "(coalesce(origin, ''), kind, coalesce(idx, -1), sha256) DO NOTHING")
    plan = psql("EXPLAIN " + same)
    check(psql("SELECT indisunique FROM pg_index WHERE indexrelid = 'evidence_once'::regclass") == 't' and
          'Conflict Arbiter Indexes: evidence_once' in plan and psql(same + " RETURNING id") == '',
          f'the same evidence is kept once, by the unique index evidence_once ({plan[:200]!r})')
    logs = b''.join(open(c.logname, 'rb').read() for c in collectors)
    check(b'\x1b' not in logs and b'\xff' not in logs and b'index header ??[2J?]0;pwned?' in logs,
          'the header\'s bytes reach the collectors\' logs as printable ASCII only')
    nb3 = append('b', 'host-b/ttyaudit', 50, 'after-x')
    pb = ship('b', 'host-b', timeout=60)
    check(pb is not None and pb.returncode == 0 and verified('host-b/ttyaudit', nb3, db),
          'another host is still stored and cosigned after all of x\'s messages')

    # ---- checkpoints older than a host's tree. One of a size stored before (a shipper
    # restarted behind sends its old ones again) is answered from its row; one of another
    # size is checked against the host's leaves, O(size), so a host signing old sizes at
    # will could make every collector read its whole log at each message: those reads are
    # spaced, and the checkpoints wait their turn. None is lost.
    def older_counts():
        """Stops the collectors; their counts of older checkpoints read from leaves and
        delayed; starts two new ones."""
        read = delayed = 0
        for c in [c for c in collectors if c.poll() is None]:
            last = stop_and_log(c)
            read += int(last.split('older checkpoints read from leaves ')[1].split(';')[0])
            delayed += int(last.split('older checkpoints waiting for a leaf read ')[1].split(')')[0])
        collector_start(f'older{len(collectors)}'); collector_start(f'older{len(collectors)}')
        return read, delayed
    # Another host's checkpoints still waiting their turn would be read by the next
    # collectors: counted from an empty queue, the reads are these checks' own.
    check(collectors_idle(240), 'the collectors have no message left before the older checkpoints')
    older_counts()
    bs = ohash('host-b/ttyaudit')
    known = psql("SELECT translate(encode(convert_to(note, 'UTF8'), 'base64'), E'\\n', '') FROM checkpoints "
                 "WHERE origin = 'host-b/ttyaudit' AND "
                 "size < (SELECT size FROM log_state WHERE origin = 'host-b/ttyaudit') "
                 "ORDER BY size LIMIT 5").split('\n')
    known = [b'old 0\n\n' + base64.b64decode(n) for n in known if n]
    es = [nats_pub('host-b', f'ttyaudit.{bs}.checkpoints', k,
                   [(b'Nats-Msg-Id', sealed('host-b/ttyaudit/checkpoint/%s/0' % k.split(b'\n')[3].decode(), k)),
                    (b'Ttyaudit-Old', b'0')])
          for k in known]
    time.sleep(3)
    read, delayed = older_counts()
    check(len(es) == 5 and es == [b''] * 5 and read == 0 and
          psql("SELECT count(*) FROM evidence WHERE origin = 'host-b/ttyaudit'") == '0',
          f'5 older checkpoints of stored sizes are answered from their rows: no leaf read, no '
          f'evidence ({es}, {read} read)')
    sx0 = int(psql("SELECT size FROM log_state WHERE origin = 'host-x/ttyaudit'"))
    sizes = [int(v) for v in psql(
        f"SELECT s FROM generate_series(1, {sx0 - 1}) s WHERE NOT EXISTS (SELECT 1 FROM checkpoints "
        f"WHERE origin = 'host-x/ttyaudit' AND size = s) ORDER BY s DESC LIMIT 10").split()]
    for k in sizes:   # another tree's root: each is a fork, kept as evidence
        note = sign_note(os.path.join(T, 'logs', 'x.key'),
                         b'host-x/ttyaudit\n%d\n%s\n' % (k, base64.b64encode(b'\x02' * 32)))
        nats_pub('host-x', f'ttyaudit.{xs}.checkpoints', b'old 0\n\n' + note,
                 [(b'Nats-Msg-Id', sealed(f'host-x/ttyaudit/checkpoint/{k}/0', b'old 0\n\n' + note)), (b'Ttyaudit-Old', b'0')])
    forks = ("SELECT count(*) FROM evidence WHERE origin = 'host-x/ttyaudit' AND kind = 'fork' AND idx IN (" +
             ','.join(map(str, sizes)) + ")")
    ok = wait_for(forks, str(len(sizes)), 90)
    read, delayed = older_counts()
    check(len(sizes) == 10 and ok and read >= 10,
          f'10 older checkpoints of sizes never stored, each another tree: each read from the leaves '
          f'once and kept as a fork, none lost ({psql(forks)} kept, {read} read, {delayed} delayed)')

    # ---- a second note for a size already cosigned (the same tree, an extension line added,
    # signed with the host's key and sent with old = that size): the witness would cosign it
    # and the row would keep the first note under the second's cosignature, so that every proof
    # exported against it stopped verifying. The stored note and cosignature are kept, and the
    # second note is evidence.
    bsize, bnote, bcos = psql("SELECT size, translate(encode(convert_to(note, 'UTF8'), 'base64'), "
                              "E'\\n', ''), md5(cosignature) FROM checkpoints WHERE origin = 'host-b/ttyaudit' "
                              "AND cosignature IS NOT NULL ORDER BY size DESC LIMIT 1").split('|', 2)
    head = base64.b64decode(bnote).split(b'\n\n')[0] + b'\n'
    second = sign_note(os.path.join(T, 'logs', 'b.key'), head + b'note: a second one\n')
    body = b'old %s\n\n' % bsize.encode() + second
    e = nats_pub('host-b', f'ttyaudit.{bs}.checkpoints', body,
                 [(b'Nats-Msg-Id', sealed(f'host-b/ttyaudit/checkpoint/{bsize}/{bsize}', body)), (b'Ttyaudit-Old', bsize.encode())])
    kept = wait_for("SELECT count(*) FROM evidence WHERE origin = 'host-b/ttyaudit' AND "
                    f"kind = 'bad-checkpoint' AND idx = {bsize} AND alarm LIKE '%a second note%'", '1')
    after = psql(f"SELECT translate(encode(convert_to(note, 'UTF8'), 'base64'), E'\\n', ''), md5(cosignature) "
                 f"FROM checkpoints WHERE origin = 'host-b/ttyaudit' AND size = {bsize}").split('|', 1)
    check(e == b'' and kept and after == [bnote, bcos],
          f'a second note for cosigned size {bsize}: evidence, the stored note and cosignature kept '
          f'({e!r}, {kept}, {after == [bnote, bcos]})')

    # ---- a record that inflates far beyond what a recorder writes (2 MiB of zeros in a few
    # hundred bytes): stored and verified like any other, not decoded for the session index.
    nb = append('x', 'host-x/ttyaudit', 1, 'bomb')
    bx = ship('x', 'host-x', timeout=60)
    bomb_stored = wait_for("SELECT count(*) FROM records WHERE origin = 'host-x/ttyaudit' AND "
                           f"idx = {nb - 1} AND type = 256 AND octet_length(stored) < 4096", '1')
    # ---- and many records each inflating as far as the index decodes one (1 MiB): a batch's
    # records inflate within a budget set by their bytes; the rest are stored, not decoded.
    ni = append('x', 'host-x/ttyaudit', 400, 'inflate')
    ix = ship('x', 'host-x', timeout=90)
    inflate_stored = wait_for("SELECT count(*) FROM records WHERE origin = 'host-x/ttyaudit' AND "
                              f"idx >= {ni - 400} AND idx < {ni} AND octet_length(stored) < 4096", '400')

    # ---- a host's hole past every checkpoint: its last record arrives before the ones before it
    # (published alone, as a host whose shipper skipped them would). verify --fleet says which
    # records have not arrived and verifies the rest; it used to call it database damage.
    h0 = int(psql("SELECT size FROM log_state WHERE origin = 'host-x/ttyaudit'"))
    hn = append('x', 'host-x/ttyaudit', 20, 'hole')
    segs = sorted(f for f in os.listdir(os.path.join(T, 'logs', 'x')) if f.endswith('.log'))
    raw = open(os.path.join(T, 'logs', 'x', segs[-1]), 'rb').read()
    pos, last = 64, None  # the segment header, then records led by their length
    while pos + 4 <= len(raw):
        rl = int.from_bytes(raw[pos:pos + 4], 'little')
        if rl < 4 or pos + rl > len(raw):
            break
        last, pos = raw[pos:pos + rl], pos + rl
    lidx = int.from_bytes(last[8:16], 'little')
    body = b'TAB1' + lidx.to_bytes(8, 'big') + (1).to_bytes(4, 'big') + len(last).to_bytes(4, 'big') + last
    e = nats_pub('host-x', f'ttyaudit.{xs}.records', body,
                 [(b'Nats-Msg-Id', sealed(f'host-x/ttyaudit/{lidx}-{lidx}', body)), (b'Ttyaudit-Index', str(lidx).encode())])
    held = wait_for(f"SELECT count(*) FROM records WHERE origin = 'host-x/ttyaudit' AND idx = {lidx}", '1')
    r = cli('verify', '--fleet', inv, '--origin', 'host-x/ttyaudit', '--json')
    hv = json.loads(r.stdout or b'{}')
    check(e == b'' and held and lidx == hn - 1 and r.returncode == 0 and hv.get('ok') and
          hv.get('records_not_arrived') == lidx - h0 and hv.get('records_held_past_hole') == 1,
          f'verify --fleet: records sent past a hole no checkpoint covers are a note, not damage '
          f'({r.returncode}, {hv}, {r.stderr[-300:]!r})')
    hx = ship('x', 'host-x', timeout=60)
    r = cli('verify', '--fleet', inv, '--origin', 'host-x/ttyaudit', '--json')
    hv = json.loads(r.stdout or b'{}')
    check(hx is not None and hx.returncode == 0 and r.returncode == 0 and hv.get('records') == hn and
          hv.get('records_held_past_hole') == 0,
          f'the hole filled: every record verified ({r.returncode}, {hv})')

    # ---- a host that floods its acknowledgement subject: each collector asks the database for
    # it at most 50 times a second (each a query on the one thread that answers every host) and
    # answers the rest with its last answer; another host's shipper is answered meanwhile.
    flood_answers = ack_flood('host-x', f'ttyaudit.{xs}.ack', 3000)
    ack_ok = ship('a', 'host-a', timeout=60)
    # ---- a host that names another host's inbox, or subject, as its reply address: the
    # collector, publishing with its own rights, put x's answer there; now it answers a host's
    # own inbox only (and counts the rest).
    a_h = ohash('host-a/ttyaudit')
    spied = [ack_misdirected('host-x', f'ttyaudit.{xs}.ack', f'_INBOX.{a_h}.spy', 'host-a'),
             ack_misdirected('host-x', f'ttyaudit.{xs}.ack', f'ttyaudit.{a_h}.checkpoints', 'rogue')]

    # ---- checkpoints far beyond the host's stored leaves, signed as often as the host likes:
    # each waits for records that never come. Each delivery used to read every stored leaf from
    # the collector's tree size up; now one leaf's probe defers it, having read nothing.
    sx1 = int(psql("SELECT size FROM log_state WHERE origin = 'host-x/ttyaudit'"))
    far = sign_note(os.path.join(T, 'logs', 'x.key'),
                    b'host-x/ttyaudit\n%d\n%s\n' % (sx1 + 100000, base64.b64encode(b'\x03' * 32)))
    # Five messages of the same bytes: ids that differ in their old size (which the collector
    # takes from the request, not the id), or JetStream would keep one.
    es = [nats_pub('host-x', f'ttyaudit.{xs}.checkpoints', b'old 0\n\n' + far,
                   [(b'Nats-Msg-Id', sealed(f'host-x/ttyaudit/checkpoint/{sx1 + 100000}/{i}', b'old 0\n\n' + far)),
                    (b'Ttyaudit-Old', b'0')]) for i in range(5)]
    probes = too_large = over_budget = from_last = foreign = parked = over_bound = 0
    time.sleep(5)
    for c in [c for c in collectors if c.poll() is None]:
        last = stop_and_log(c)
        probes += int(last.split("of them found by one leaf's probe, nothing read, ")[1].split(';')[0])
        parked += int(last.split("checkpoints parked ")[1].split(',')[0])
        over_bound += int(last.split("checkpoints past their host's waiting bound, dropped ")[1].split(';')[0])
        too_large += int(last.split("records too large to index ")[1].split(';')[0])
        over_budget += int(last.split("inflation budget, not indexed ")[1].split(';')[0])
        from_last += int(last.split("a second) ")[1].split(';')[0])
        foreign += int(last.split("not the host's inbox) ")[1].split(';')[0])
    check(flood_answers >= 2900 and from_last >= 2500 and ack_ok is not None and
          ack_ok.returncode == 0,
          f'3000 acknowledgement requests of one host: {flood_answers} answered, {from_last} of '
          f'them with its last answer, not a query; another host\'s shipper answered meanwhile')
    # The five far checkpoints are one request (the same bytes): one row.
    check(parked >= 1 and over_bound == 0,
          f'checkpoints waited in PostgreSQL ({parked} parked), and none of any host was dropped past '
          f'its bound of waiting checkpoints in this run, the kills and restarts before included '
          f'({over_bound})')
    check(spied == [0, 0] and foreign == 2,
          f'a request naming another host\'s inbox or subject as its reply address is not answered '
          f'there ({spied} answers seen, {foreign} counted)')
    check(bx is not None and bx.returncode == 0 and bomb_stored and too_large >= 1,
          f'a record that inflates to 2 MiB is stored, and not decoded for the index '
          f'({bomb_stored}, {too_large} records too large to index)')
    check(ix is not None and ix.returncode == 0 and inflate_stored and 100 <= over_budget <= 400,
          f'400 records inflating 1 MiB each: stored, and {over_budget} of them past their batch\'s '
          f'inflation budget not decoded for the index ({inflate_stored})')
    collector_start(f'far{len(collectors)}'); collector_start(f'far{len(collectors)}')
    check(es == [b''] * 5 and probes >= 5 and
          psql("SELECT count(*) FROM evidence WHERE origin = 'host-x/ttyaudit' AND idx = %d" % (sx1 + 100000)) == '0',
          f'5 checkpoints beyond the stored leaves wait, each found missing by one leaf\'s probe '
          f'({es}, {probes} probes)')

    # ---- a message the database refuses (here a constraint the test adds; in the field any
    # value a check of the database refuses) stalls no other host: the batch is taken again
    # one message at a time, the refused message is kept as evidence (once) and comes back
    # every 15 s until the database takes it: its records are not lost. The
    # collectors are paused while both hosts publish, so that their messages share a batch.
    sx = int(psql("SELECT size FROM log_state WHERE origin = 'host-x/ttyaudit'"))
    live = [c for c in collectors if c.poll() is None]
    psql("ALTER TABLE records ADD CONSTRAINT fleet_test_refuse_x "
         f"CHECK (origin <> 'host-x/ttyaudit' OR idx < {sx})")
    nx = append('x', 'host-x/ttyaudit', 30, 'refused')
    nb4 = append('b', 'host-b/ttyaudit', 30, 'beside-x')
    for c in live:
        c.send_signal(signal.SIGSTOP)
    try:
        shx = ship('x', 'host-x', until=False)
        shb = ship('b', 'host-b', until=False)
        time.sleep(2)   # both shippers' messages are in the stream
    finally:
        for c in live:
            c.send_signal(signal.SIGCONT)
    cos = "SELECT coalesce(max(size), 0) FROM checkpoints WHERE origin = '{}' AND cosignature IS NOT NULL"
    check(wait_for(cos.format('host-b/ttyaudit'), str(nb4), 60) and
          wait_for("SELECT count(*) > 0 FROM evidence WHERE origin = 'host-x/ttyaudit' AND "
                   "kind = 'db-refused'", 't', 30) and
          int(psql(cos.format('host-x/ttyaudit'))) <= sx,
          f'a message the database refuses is kept as evidence, and b is cosigned beside it '
          f'(b {psql(cos.format("host-b/ttyaudit"))} of {nb4}, x {psql(cos.format("host-x/ttyaudit"))})')
    logs = b''.join(open(c.logname, 'rb').read() for c in collectors)
    check(b'one at a time' in logs, 'the collector took that batch one message at a time')
    refused = "SELECT count(*) FROM evidence WHERE origin = 'host-x/ttyaudit' AND kind = 'db-refused'"
    alarms = lambda: sum(open(c.logname, 'rb').read().count(b'refused this message alone') for c in collectors)
    n_refused, n_alarms = psql(refused), alarms()
    t0 = time.time()  # the refused messages come back once more (after 15 s), still refused
    while alarms() <= n_alarms and time.time() - t0 < 75:
        time.sleep(0.5)
    check(psql(refused) == n_refused and alarms() > n_alarms,
          f'each refused message comes back and is kept once ({n_refused} rows, then {psql(refused)}; '
          f'alarms {n_alarms}, then {alarms()})')
    psql("ALTER TABLE records DROP CONSTRAINT fleet_test_refuse_x")
    check(wait_for(cos.format('host-x/ttyaudit'), str(nx), 90) and verified('host-x/ttyaudit', nx,
                                                                            os.path.join(T, 'logs', 'x')),
          f'once the database takes them, x\'s records come again and are cosigned '
          f'({psql(cos.format("host-x/ttyaudit"))} of {nx})')
    for p in (shx, shb):
        p.send_signal(signal.SIGTERM); p.wait(10)

    # ---- delete and purge attempts: the stream refuses them, hosts may not even ask
    r = js_api('rogue', '$JS.API.STREAM.PURGE.TTYAUDIT')
    check(b'error' in r and b'purge' in r.lower(), f'the stream refuses a purge ({r[:80]!r})')
    r = js_api('rogue', '$JS.API.STREAM.MSG.DELETE.TTYAUDIT', b'{"seq":1}')
    check(b'error' in r and b'delete' in r.lower(), f'the stream refuses a message delete ({r[:80]!r})')
    r = js_api('host-a', '$JS.API.STREAM.DELETE.TTYAUDIT')
    check(b'Permissions Violation' in r, f'a host may not ask to delete the stream ({r[:80]!r})')
    check(psql("SELECT count(*) FROM records WHERE origin = 'host-a/ttyaudit'") == str(na),
          'a\'s records are all still there')
    r = subprocess.run([CLI, 'verify', '--fleet', dsn('investigator'), '--origin', 'host-a/ttyaudit', '--key',
                        os.path.join(da, 'ttyaudit.vkey'), '--witness', wvkey, '--json'], capture_output=True)
    j = json.loads(r.stdout or b'{}')
    check(r.returncode == 0 and j.get('records') == na and j.get('cosigned_checkpoint') == na,
          f'verify --fleet at the end: a verifies, every record cosigned ({r.returncode}, {j})')

    # ---- a host named with what a terminal obeys or does not show: no key takes such a name
    # (docs/log-format.md section 6: a note holding one is malformed, as checkpoint and prove
    # print notes byte for byte), so no such host is enrolled, and nothing says it raw
    zo = 'host-z\u009b2J\u202eabc/ttyaudit'
    dz = os.path.join(T, 'logs', 'z')
    os.makedirs(dz, exist_ok=True)
    r = subprocess.run([WRITER, dz, os.path.join(T, 'logs', 'z.key'), zo, '5', 'orig'], capture_output=True)
    check(r.returncode != 0 and b'\xc2\x9b' not in r.stderr and b'\xe2\x80\xae' not in r.stderr,
          f'no signing key is made under such a name ({r.returncode}, {r.stderr[:300]!r})')
    pk = b'\x01' + os.urandom(32)
    keyid = hashlib.sha256(zo.encode() + b'\n' + pk).digest()[:4]
    with open(os.path.join(dz, 'ttyaudit.vkey'), 'w') as f:
        f.write(f'{zo}+{keyid.hex()}+{base64.b64encode(pk).decode()}\n')
    r = subprocess.run([COLLECTOR, '--dsn', dsn('ttyadmin'), '--enrol', os.path.join(dz, 'ttyaudit.vkey'),
                        '--origin', zo], capture_output=True)
    check(r.returncode != 0 and b'\xc2\x9b' not in r.stderr and b'\xe2\x80\xae' not in r.stderr and
          psql("SELECT count(*) FROM enrolment WHERE origin LIKE 'host-z%'") == '0',
          f'nor is a verifier key of that name enrolled ({r.returncode}, {r.stderr[:300]!r})')

    rc = 0 if not failures else 1
except StopIteration:
    rc = 0
except Exception as e:
    print(f'FAIL {e}', flush=True)
    failures.append(str(e))
    rc = 1
finally:
    if failures:
        for name in sorted(os.listdir(T)):
            if name.endswith('.log'):
                print(f'--- {name}'); print(open(os.path.join(T, name), errors='replace').read()[-3000:])
    cleanup()
print('fleet: ' + ('all cases passed' if not failures else f'{len(failures)} failed'))
sys.exit(rc)

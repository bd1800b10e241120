# SPDX-License-Identifier: GPL-2.0-or-later
"""What the shipper's own tests share (ship_test.py, alerts_test.py, dedup_test.py):
checks that are counted, a free 127.0.0.1 port, processes logged into the test's
directory, stopped and shown when something failed; a PostgreSQL server of the
test's own."""
import base64, hashlib, json, os, shutil, signal, socket, subprocess, sys, tempfile, time

failures = []


def check(cond, what):
    print(('ok   ' if cond else 'FAIL ') + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(port, tries=300):
    """Until something listens on 127.0.0.1:port (up to tries tenths of a second)."""
    for _ in range(tries):
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close(); return True
        except OSError:
            time.sleep(0.1)
    return False


def ohash(origin):
    """The subjects' <h> of an origin (agent/fleet/fleet.h)."""
    return hashlib.sha256(origin.encode()).hexdigest()[:16]


def nats_users(hosts):
    """nats-server authorization entries as docs/fleet.md configures a fleet: the collectors'
    user, and per host (name -> origin) a user host-<name> (password pw-host-<name>) that may
    publish on its own subjects and read its own inbox only."""
    users = ['  { user: collector, password: pw-collector, permissions: { '
             'publish: { allow: ["$JS.API.>", "$JS.ACK.>", "_INBOX.>"] }, '
             'subscribe: { allow: ["ttyaudit.*.ack", "_INBOX.>"] } } }']
    for u, o in hosts.items():
        h = ohash(o)
        users.append(f'  {{ user: host-{u}, password: pw-host-{u}, permissions: {{ '
                     f'publish: {{ allow: ["ttyaudit.{h}.records", "ttyaudit.{h}.checkpoints", '
                     f'"ttyaudit.{h}.ack", "ttyaudit.{h}.alerts"] }}, subscribe: {{ allow: ["_INBOX.{h}.>"] }} }} }}')
    return users


def jetstream_with_users(run, nats, origins):
    """One nats-server with JetStream in run's directory, on a free 127.0.0.1 port, with the
    users of docs/fleet.md (nats_users: each host publishes on its own subjects only), their
    passwords in run.T/pw-<user>; returns (port, url) once it listens."""
    T, port = run.T, free_port()
    conf = os.path.join(T, 'nats.conf')
    with open(conf, 'w') as f:
        f.write(f'listen: 127.0.0.1:{port}\njetstream {{ store_dir: "{T}/js" }}\n'
                'authorization { users = [\n' + '\n'.join(nats_users(origins)) + '\n]}\n')
    for u in ['collector'] + [f'host-{h}' for h in origins]:
        with open(os.path.join(T, 'pw-' + u), 'w') as f:
            f.write(f'pw-{u}\n')
    run.start([nats, '-c', conf], 'nats.log')
    check(wait_port(port), 'nats-server listens')
    return port, f'nats://127.0.0.1:{port}'


def js_api(port, subject, body=b''):
    """One JetStream API request to the server of jetstream_with_users as the collectors'
    user; the reply as JSON."""
    sock = socket.create_connection(('127.0.0.1', port), 10)
    f = sock.makefile('rb')
    try:
        f.readline()  # INFO
        sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"user":"collector","pass":"pw-collector"}\r\n'
                     b'SUB _INBOX.t 1\r\nPUB %s _INBOX.t %d\r\n%s\r\n' % (subject.encode(), len(body), body))
        while True:
            line = f.readline()
            if not line or line.startswith(b'-ERR'):
                return {'error': line.decode(errors='replace').strip()}
            if line.startswith(b'MSG'):
                return json.loads(f.read(int(line.split()[-1])))
    finally:
        sock.close()

def witness_key(run, writer, name):
    """A cosigner key in run.T/collector.key (fleet_writer --cosigner): (path, its vkey)."""
    path = os.path.join(run.T, 'collector.key')
    vkey = subprocess.run([writer, '--cosigner', path, name], capture_output=True, text=True,
                          check=True).stdout.strip()
    return path, vkey


def sealed(prefix, body):
    """A message id as a shipper makes it (fleet/batch.h): prefix, then the body's digest
    (the collector refuses a message whose id is not its host's and body's)."""
    return f'{prefix}/{hashlib.sha256(body).hexdigest()[:32]}'.encode()


def sign_note(keyfile, text):
    """A signed note of text with a host's key file (PRIVATE+KEY+name+id+base64(1 || seed))."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    _, _, name, kid, b64 = open(keyfile).read().strip().split('+', 4)
    sig = Ed25519PrivateKey.from_private_bytes(base64.b64decode(b64)[1:]).sign(text)
    return text + b'\n\xe2\x80\x94 ' + name.encode() + b' ' + base64.b64encode(bytes.fromhex(kid) + sig) + b'\n'


def pong(sock, f):
    """After a NATS PING on sock (f its reader): the server's error line, or b'' once it
    answered PONG, having taken what came before. Closes sock."""
    try:
        while True:
            line = f.readline()
            if not line or line.startswith(b'-ERR'):
                return line.strip() or b'(closed)'
            if line.startswith(b'PONG'):
                return b''
    finally:
        sock.close()


def host_publish(port, user, msgs):
    """Messages (subject, [(header, value)], body) published in core NATS as user (password
    pw-<user>) of the server of jetstream_with_users, as a host's own code could: no
    acknowledgement asked. b'' once the server has read them all, else its error line."""
    sock = socket.create_connection(('127.0.0.1', port), 10)
    f = sock.makefile('rb')
    f.readline()  # INFO
    out = [b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"user":"%s","pass":"pw-%s"}\r\n'
           % (user.encode(), user.encode())]
    for subject, headers, body in msgs:
        hdr = b'NATS/1.0\r\n' + b''.join(k + b': ' + v + b'\r\n' for k, v in headers) + b'\r\n'
        out.append(b'HPUB %s %d %d\r\n%s%s\r\n' % (subject.encode(), len(hdr), len(hdr) + len(body),
                                                     hdr, body))
    sock.sendall(b''.join(out) + b'PING\r\n')
    return pong(sock, f)


def stop(p):
    """SIGTERM, then its exit status (None if it had to be killed)."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill(); p.wait(); return None
    return p.returncode


class Run:
    """A test's temporary directory (T) and the processes it started there."""

    def __init__(self, prefix, dir=None):
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
        self.T = tempfile.mkdtemp(prefix=prefix, dir=dir)
        self.procs = []
        self.cleanups = []  # called first by finish (servers that leave as daemons)

    def start(self, argv, log):
        f = open(os.path.join(self.T, log), 'ab')
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT)
        p.logname = os.path.join(self.T, log)
        self.procs.append(p)
        return p

    def finish(self, rc):
        """Kills what still runs, shows the logs when something failed (or TA_SHOW_LOGS),
        removes the directory; prints the count of failures and returns the exit code."""
        for f in self.cleanups:
            try:
                f()
            except Exception as e:  # the rest is cleaned up still
                print(f'clean-up: {e}')
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        if failures or rc or os.environ.get('TA_SHOW_LOGS'):
            for f in os.listdir(self.T):
                if f.endswith('.log'):
                    print(f'--- {f}\n' + open(os.path.join(self.T, f), errors='replace').read()[-2000:])
        shutil.rmtree(self.T, ignore_errors=True)
        print(f'{len(failures)} failed')
        return rc


class Postgres:
    """A PostgreSQL server in run's directory (initdb + pg_ctl as the postgres user, on a free
    127.0.0.1 port), stopped by run.finish; database fleet made with schema; logins
    ttyadmin (its owner) and collector (ttyaudit_collector), passwords pw-<user>."""

    def __init__(self, run, pgbin, pguser, schema):
        self.bin, self.port = pgbin, free_port()
        data = os.path.join(run.T, 'pg')
        os.chmod(run.T, 0o755)
        os.mkdir(data)
        os.chown(data, pguser.pw_uid, pguser.pw_gid)
        pwf = os.path.join(run.T, 'pgpw')
        with open(pwf, 'w') as f:
            f.write('pw-ttyadmin\n')
        os.chmod(pwf, 0o644)
        self._as_pg(['initdb', '-D', data, '-U', 'ttyadmin', '--pwfile', pwf, '-A', 'scram-sha-256'])
        run.cleanups.append(lambda: subprocess.run(
            ['runuser', '-u', 'postgres', '--', f'{pgbin}/pg_ctl', '-D', data, '-m', 'immediate', 'stop'],
            capture_output=True) if os.path.exists(os.path.join(data, 'postmaster.pid')) else None)
        self._as_pg(['pg_ctl', '-D', data, '-w', '-l', os.path.join(data, 'log'), '-o',
                     f'-p {self.port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off', 'start'])
        self.psql("CREATE DATABASE fleet ENCODING 'UTF8' TEMPLATE template0", db='postgres')
        self.psql(None, file=schema)
        self.psql("CREATE ROLE collector LOGIN PASSWORD 'pw-collector' IN ROLE ttyaudit_collector")

    def _as_pg(self, argv):
        r = subprocess.run(['runuser', '-u', 'postgres', '--', f'{self.bin}/{argv[0]}'] + argv[1:],
                           capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f'{argv[0]}: {r.stderr}{r.stdout}')

    def dsn(self, user):
        return f'host=127.0.0.1 port={self.port} dbname=fleet user={user} password=pw-{user}'

    def psql(self, sql, db='fleet', file=None):
        """One statement (or a file) as ttyadmin; its unaligned output."""
        r = subprocess.run([f'{self.bin}/psql', '-h', '127.0.0.1', '-p', str(self.port), '-U', 'ttyadmin',
                            '-d', db, '-v', 'ON_ERROR_STOP=1', '-Atq'] + (['-f', file] if file else ['-c', sql]),
                           capture_output=True, text=True, env=dict(os.environ, PGPASSWORD='pw-ttyadmin'))
        if r.returncode:
            raise RuntimeError(f'psql {sql or file!r}: {r.stderr.strip()}')
        return r.stdout.strip()

    def until(self, sql, want, secs=60):
        """Whether psql(sql) gives want within secs (the collectors work asynchronously)."""
        t0 = time.time()
        while self.psql(sql) != want:
            if time.time() - t0 > secs:
                return False
            time.sleep(0.3)
        return True


def log_has(path, text, secs):
    """Whether the file at path holds text within secs (a process says it in its log)."""
    end = time.time() + secs
    while True:
        if text in open(path, errors='replace').read():
            return True
        if time.time() >= end:
            return False
        time.sleep(0.1)


def logged_during(path, fn, settle=0.0):
    """fn()'s result and what the file at path (a server's log) gained while it ran, read
    settle seconds after it returned."""
    mark = os.path.getsize(path)
    result = fn()
    time.sleep(settle)
    with open(path, errors='replace') as f:
        f.seek(mark)
        return result, f.read()


def temp_run(prefix):
    """A Run in the temporary directory, or in /var/tmp when that one is not world-writable
    (PostgreSQL runs as its own user and must reach the test's directory)."""
    base = tempfile.gettempdir()
    return Run(prefix, dir=base if os.stat(base).st_mode & 0o001 else '/var/tmp')


def collector_tier(run, pgbin, pguser, schema, nats, origins, writer, collector, name):
    """In run's directory: a PostgreSQL with schema, one nats-server with JetStream and the
    users of origins (jetstream_with_users), a witness key named name. Returns (pg, port, url,
    wvkey, argv): argv is the collector's command line with the collectors' credentials, the
    database and the key, redelivering after 2 s."""
    pg = Postgres(run, pgbin, pguser, schema)
    port, url = jetstream_with_users(run, nats, origins)
    wkey, wvkey = witness_key(run, writer, name)
    argv = [collector, '--nats', url, '--user', 'collector', '--password-file',
            os.path.join(run.T, 'pw-collector'), '--dsn', pg.dsn('collector'), '--cosigner-key', wkey,
            '--ack-wait-ms', '2000']
    return pg, port, url, wvkey, argv


def start_collector(run, argv, log):
    """The collector of argv started in run, once it says it collects (checked)."""
    p = run.start(argv, log)
    check(log_has(p.logname, 'collecting from stream', 30), f'the collector runs ({log})')
    return p

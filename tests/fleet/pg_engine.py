"""The engines the fleet tests and benchmarks start themselves: nats-server, and the PostgreSQL
server (initdb + pg_ctl in a temporary directory, run as the postgres user): where their programs
are, or exit 77 (meson: SKIP) saying what is missing."""
import os, pwd, shutil, sys


def nats_or_skip():
    """The nats-server program, or exit 77 with the reason."""
    nats = shutil.which('nats-server') or '/usr/sbin/nats-server'
    if not os.path.exists(nats):
        print('SKIP: nats-server not installed (scripts/deps.sh test)'); sys.exit(77)
    return nats


def postgres_or_skip():
    """(bin directory, the postgres user's passwd entry), or exit 77 with the reason."""
    pgbin = None
    root = '/usr/lib/postgresql'
    for d in sorted(os.listdir(root), reverse=True) if os.path.isdir(root) else []:
        if os.path.exists(f'{root}/{d}/bin/initdb'):
            pgbin = f'{root}/{d}/bin'
            break
    if not pgbin:
        print('SKIP: PostgreSQL server not installed (scripts/deps.sh test)'); sys.exit(77)
    if os.geteuid() != 0:
        print('SKIP: needs root to run PostgreSQL as its own user'); sys.exit(77)
    try:
        return pgbin, pwd.getpwnam('postgres')
    except KeyError:
        print('SKIP: no postgres user to run the server as'); sys.exit(77)

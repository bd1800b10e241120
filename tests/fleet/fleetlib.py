# SPDX-License-Identifier: GPL-2.0-or-later
"""What the shipper's own tests share (ship_test.py, alerts_test.py): checks that
are counted, a free 127.0.0.1 port, processes logged into the test's directory,
stopped and shown when something failed."""
import os, shutil, signal, socket, subprocess, sys, tempfile, time

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

    def __init__(self, prefix):
        signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
        self.T = tempfile.mkdtemp(prefix=prefix)
        self.procs = []

    def start(self, argv, log):
        f = open(os.path.join(self.T, log), 'ab')
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT)
        p.logname = os.path.join(self.T, log)
        self.procs.append(p)
        return p

    def finish(self, rc):
        """Kills what still runs, shows the logs when something failed (or TA_SHOW_LOGS),
        removes the directory; prints the count of failures and returns the exit code."""
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

# SPDX-License-Identifier: GPL-2.0-or-later
"""A real auditd for tests and benchmarks, with its own configuration, log and
(optionally) audisp-ttyaudit, started only when no other auditd is registered
with the kernel, so that nobody else's is disturbed."""

import os
import shutil
import signal
import subprocess
import time


def audit_status(key):
    p = subprocess.run(["auditctl", "-s"], capture_output=True, text=True)
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == key:
            return parts[1]
    return None


def wait_until(cond, timeout, step=0.2):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return False


class Auditd:
    """A real auditd with its own configuration and log, only if none is registered."""

    def __init__(self, t):
        self.t = t
        # a directory of its own: auditd makes its log's directory 0700, and t
        # may hold files other users must reach (ssh keys of a test user)
        self.log = os.path.join(t, "log", "audit.log")
        self.proc = None
        self.old_enabled = audit_status("enabled")

    def start(self, plugin=None, sock=None):
        """None when running, else why not."""
        if not shutil.which("auditd") or not shutil.which("auditctl"):
            return "auditd is not installed"
        pid = audit_status("pid")
        if pid is None:
            return "the kernel has no audit support"
        if pid != "0":
            return f"another auditd (pid {pid}) is registered; not disturbing it"
        os.makedirs(os.path.join(self.t, "plugins"), exist_ok=True)
        os.makedirs(os.path.dirname(self.log), exist_ok=True)
        if plugin:
            # audisp-ttyaudit hands login records and watch events to the daemon at sock
            os.makedirs(os.path.join(self.t, "bin"), exist_ok=True)
            copy = os.path.join(self.t, "bin", "audisp-ttyaudit")
            if os.path.abspath(plugin) != copy:
                shutil.copy(plugin, copy)
            os.chmod(copy, 0o750)
            pconf = os.path.join(self.t, "plugins", "ttyaudit.conf")
            with open(pconf, "w") as f:
                f.write(f"active = yes\ndirection = out\npath = {copy}\ntype = always\n"
                        f"args = socket={sock} auditd_conf={self.t}/auditd.conf\n"
                        "format = string\n")
            os.chmod(pconf, 0o640)
        conf = os.path.join(self.t, "auditd.conf")
        with open(conf, "w") as f:
            f.write(f"local_events = yes\nwrite_logs = yes\nlog_file = {self.log}\n"
                    "log_format = ENRICHED\nflush = INCREMENTAL_ASYNC\nfreq = 1\n"
                    "max_log_file = 50\nnum_logs = 2\nmax_log_file_action = ROTATE\n"
                    "space_left = 2\nspace_left_action = IGNORE\nadmin_space_left = 1\n"
                    "admin_space_left_action = IGNORE\ndisk_full_action = IGNORE\n"
                    "disk_error_action = IGNORE\nname_format = NONE\nq_depth = 2000\n"
                    f"overflow_action = SYSLOG\nmax_restarts = 10\nplugin_dir = {self.t}/plugins\n"
                    "end_of_event_timeout = 2\n")
        os.chmod(conf, 0o640)
        out = open(os.path.join(self.t, "auditd.out"), "wb")
        self.proc = subprocess.Popen([shutil.which("auditd"), "-n", "-c", self.t, "-s", "enable"],
                                     stdout=out, stderr=out)
        if not wait_until(lambda: audit_status("pid") == str(self.proc.pid), 60):
            self.stop()
            return "auditd did not register with the kernel"
        return None

    def records(self, needle):
        try:
            with open(self.log, errors="replace") as f:
                return [line for line in f if needle in line]
        except OSError:
            return []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.old_enabled is not None and self.old_enabled != "2":
            subprocess.run(["auditctl", "-e", self.old_enabled], capture_output=True)

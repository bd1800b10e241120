# SPDX-License-Identifier: GPL-2.0-or-later
"""What the CLI's test scripts share: a check that counts what failed, the verdict at the
end, and the removal of a temporary tree holding logs (the store seals its files
append-only)."""
import shutil
import subprocess
import sys


class Checks:
    """check(cond, what): a failure printed (FAIL) and counted; with show_ok, every check
    is printed on stdout, passed ones as 'ok'."""

    def __init__(self, show_ok=False):
        self.failures = 0
        self.show_ok = show_ok

    def __call__(self, cond, what):
        if self.show_ok:
            print(("ok   " if cond else "FAIL ") + what)
        elif not cond:
            print("FAIL:", what, file=sys.stderr)
        if not cond:
            self.failures += 1

    def exit(self, ok_line=None):
        """Exits 1 with the count of failed checks, else 0 (printing ok_line, if given)."""
        if self.failures:
            print(f"{self.failures} checks failed", file=sys.stderr)
            sys.exit(1)
        if ok_line:
            print(ok_line)
        sys.exit(0)


def remove_tree(top):
    subprocess.run(["chattr", "-R", "-a", top], capture_output=True)
    shutil.rmtree(top, ignore_errors=True)

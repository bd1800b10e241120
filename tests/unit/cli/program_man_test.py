#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Each program's man page names, in its OPTIONS section, every option its --help shows, and
no option the program lacks (ttyaudit(1) and its commands: man_help_test.py).

  program_man_test.py PROGRAM MAN [PROGRAM MAN ...]
"""
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")
failures = []


def plain(s):
    """roff to text: fonts dropped, \\- as -."""
    return re.sub(r"\\f[BIRP]", "", s).replace("\\-", "-")


args = sys.argv[1:]
if not args or len(args) % 2:
    sys.exit("usage: program_man_test.py PROGRAM MAN [PROGRAM MAN ...]")
for prog, man in zip(args[0::2], args[1::2]):
    p = subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=30)
    helped = set(OPT.findall(p.stdout))
    sect = plain(open(man, encoding="utf-8").read()).split("\n.SH OPTIONS", 1)
    documented = set(OPT.findall(sect[1].split("\n.SH ", 1)[0])) if len(sect) == 2 else set()
    name = prog.rsplit("/", 1)[-1]
    for what, ok in ((f"{name} --help exits 0", p.returncode == 0),
                     (f"{name}: --help shows options ({len(helped)})", len(helped) >= 3),
                     (f"{man}: options its --help shows are documented: "
                      f"{sorted(helped - documented)} missing", helped <= documented),
                     (f"{man}: documents only options {name} has: "
                      f"{sorted(documented - helped)} not in --help", documented <= helped)):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)
print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)

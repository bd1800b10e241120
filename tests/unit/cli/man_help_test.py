#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ttyaudit(1) lists every option each command's --help shows, and no other;
its EXAMPLES use only options their command has.

  man_help_test.py TTYAUDIT TTYAUDIT_1
"""
import re
import subprocess
import sys

TTYAUDIT, MAN = sys.argv[1:3]
COMMANDS = ["query", "show", "replay", "export", "follow", "status", "reindex", "verify", "prove",
            "verify-proof", "checkpoint", "witness-submit"]
OPT = re.compile(r"(?<![\w-])(--?[a-z][a-z0-9-]*)")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def help_options(cmd):
    """Options on the Usage lines and in the option column of --help."""
    p = subprocess.run([TTYAUDIT, cmd, "--help"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "%s --help exits 0" % cmd)
    opts, usage = set(), True
    for line in p.stdout.splitlines():
        if not line.strip():
            usage = False
            continue
        if usage:
            opts.update(OPT.findall(line))
        elif re.match(r"^ {2,4}-", line):
            column = re.split(r"\s{2,}", line.strip())[0]
            opts.update(OPT.findall(column))
    return opts


def man_text():
    with open(MAN, encoding="utf-8") as f:
        return f.read()


def plain(s):
    """roff to text: fonts dropped, \\- as -."""
    return re.sub(r"\\f[BIRP]", "", s).replace("\\-", "-").replace("\\e", "\\")


def man_options(text):
    """{command: options} from the .TP tags of each .SS of the OPTIONS section."""
    sect = text.split("\n.SH OPTIONS", 1)
    check(len(sect) == 2, "the man page has an OPTIONS section")
    if len(sect) < 2:
        return {}
    body = sect[1].split("\n.SH ", 1)[0]
    out, cur, tag_next = {}, None, False
    for line in body.splitlines():
        m = re.match(r'\.SS "?([^"]+)"?', line)
        if m:
            cur = out.setdefault(plain(m.group(1)), set())
            continue
        if line.startswith(".TP"):
            tag_next = True
            continue
        if tag_next and cur is not None:
            cur.update(OPT.findall(plain(line)))
        tag_next = False
    return out


def main():
    text = man_text()
    man = man_options(text)
    for cmd in COMMANDS:
        have = help_options(cmd) - {"--help", "-h"}
        doc = man.get(cmd)
        check(doc is not None, "ttyaudit(1) OPTIONS has no subsection for %s" % cmd)
        if doc is None:
            continue
        check(not (have - doc), "%s: options --help shows that ttyaudit(1) lacks: %s" % (cmd, sorted(have - doc)))
        check(not (doc - have), "%s: options ttyaudit(1) lists that --help does not show: %s"
              % (cmd, sorted(doc - have)))
    ex = text.split("\n.SH EXAMPLES", 1)
    check(len(ex) == 2, "the man page has an EXAMPLES section")
    if len(ex) == 2:
        lines = [plain(l[3:]) for l in ex[1].split("\n.SH ", 1)[0].splitlines() if l.startswith(".B ttyaudit ")]
        check(len(lines) >= 8, "EXAMPLES shows at least 8 commands (%d)" % len(lines))
        for l in lines:
            words = l.split()
            cmd = words[1]
            check(cmd in COMMANDS, "example of a known command: %s" % l)
            if cmd in COMMANDS:
                bad = set(OPT.findall(" ".join(words[2:]))) - help_options(cmd)
                check(not bad, "example uses options %s has not: %s (%s)" % (cmd, sorted(bad), l))
    print("%d failures" % len(failures), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

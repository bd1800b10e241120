#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""docs/cli.md "JSON output" lists every field the CLI's JSON has, and no other.

Runs the real ttyaudit on logs written by make_log (plain, shared, damaged)
and collects the keys of every object it prints: sessions, shared-session
rows, commands, events and their typed_by, status, verify (ok and failed).
Each documented object's field list must equal the keys seen. Also checks
that JSON time fields are safe for JSON readers (no integer above 2^53).

  json_docs_test.py TTYAUDIT MAKE_LOG DOCS_CLI_MD
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TTYAUDIT, MAKE_LOG, DOCS = sys.argv[1:4]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def run(*args):
    p = subprocess.run([TTYAUDIT, *args], capture_output=True, timeout=60, env=dict(os.environ, TZ="UTC"))
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def documented():
    """{object: set(fields)} from the tables after <!-- json-object: NAME --> markers."""
    out, cur = {}, None
    with open(DOCS, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"<!-- json-object: (\w+) -->", line)
            if m:
                cur = out.setdefault(m.group(1), set())
                continue
            if cur is None:
                continue
            if not line.startswith("|"):
                if line.strip() and not line.startswith("<!--"):
                    cur = None
                continue
            first = line.split("|")[1]
            if set(first.strip()) <= {"-"} or first.strip() == "field":
                continue
            cur.update(re.findall(r"`([a-z_0-9]+)`", first))
    return out


def big_ints(v, path="$"):
    """Integers a JavaScript reader would round."""
    if isinstance(v, bool):
        return []
    if isinstance(v, int):
        return [path] if abs(v) > 2 ** 53 else []
    if isinstance(v, dict):
        return [p for k, x in v.items() for p in big_ints(x, path + "." + k)]
    if isinstance(v, list):
        return [p for i, x in enumerate(v) for p in big_ints(x, "%s[%d]" % (path, i))]
    return []


def main():
    seen = {k: set() for k in ("session", "typed_in_by", "command", "event", "typed_by", "status",
                               "lost_by_reason", "verify")}
    objects = []

    def lines(out):
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        objects.extend(rows)
        return rows

    top = tempfile.mkdtemp(prefix="ta-jsondocs-")
    try:
        log, shl, bad = (os.path.join(top, n) for n in ("log", "shared", "bad"))
        subprocess.run([MAKE_LOG, log], check=True, capture_output=True)
        subprocess.run([MAKE_LOG, shl, "shared"], check=True, capture_output=True)
        for d in (log, shl):
            rc, out, err = run("query", "--log-dir", d, "--json")
            check(rc == 0, "query --json: %d %s" % (rc, err))
            for r in lines(out):
                seen["session"] |= r.keys()
            rc, out, _ = run("query", "--log-dir", d, "--commands", "--json")
            for r in lines(out):
                seen["command"] |= r.keys()
            rc, out, _ = run("status", "--log-dir", d, "--json")
            for r in lines(out):
                seen["status"] |= r.keys()
                for x in r.get("lost_by_reason", []):
                    seen["lost_by_reason"] |= x.keys()
            rc, out, _ = run("verify", "--log-dir", d, "--json")
            for r in lines(out):
                seen["verify"] |= r.keys()
        rc, out, _ = run("query", "--log-dir", shl, "--user", "1001", "--json")
        for r in lines(out):
            seen["session"] |= r.keys()
            if "typed_in_by" in r:
                seen["typed_in_by"] |= r["typed_in_by"].keys()
        sessions = [(log, "5e1c0a42-7"), (log, "5e1c0a42-9"), (shl, "5e1c0a42-10"), (shl, "5e1c0a42-11")]
        for d, sid in sessions:
            for cmd in (["show", "--log-dir", d, sid, "--json"],
                        ["export", "--log-dir", d, sid, "--format", "json"]):
                rc, out, err = run(*cmd)
                check(rc == 0, "%s: %d %s" % (" ".join(cmd), rc, err))
                rows = lines(out)
                if rows:
                    seen["session"] |= rows[0].keys()
                for e in rows[1:]:
                    seen["event"] |= e.keys()
                    if "typed_by" in e:
                        seen["typed_by"] |= e["typed_by"].keys()
                    check(isinstance(e.get("time_ns"), str) and e["time_ns"].isdigit(),
                          "time_ns is a decimal string: %r" % e.get("time_ns"))
        # The three commands agree on whether a session is covered by a checkpoint.
        rc, out, _ = run("query", "--log-dir", log, "--json")
        q = {r["session"]: r["checkpointed"] for r in map(json.loads, out.splitlines())}
        for sid in q:
            _, s1, _ = run("show", "--log-dir", log, sid, "--json")
            _, s2, _ = run("export", "--log-dir", log, sid, "--format", "json")
            check(json.loads(s1.splitlines()[0])["checkpointed"] == q[sid] ==
                  json.loads(s2.splitlines()[0])["checkpointed"], "checkpointed agrees for " + sid)
        check(any(q.values()), "some session is checkpointed %r" % q)
        # A damaged copy: verify --json says what failed.
        shutil.copytree(log, bad)
        seg = os.path.join(bad, "seg-0000000000000001.log")
        with open(seg, "r+b") as f:
            f.seek(200)
            b = f.read(1)
            f.seek(200)
            f.write(bytes([b[0] ^ 0xFF]))
        rc, out, _ = run("verify", "--log-dir", bad, "--json")
        rows = lines(out)
        check(rc != 0 and rows and rows[0].get("ok") is False, "verify of a damaged log fails: %d %r" % (rc, out))
        for r in rows:
            seen["verify"] |= r.keys()
    finally:
        shutil.rmtree(top, ignore_errors=True)

    docs = documented()
    for name, keys in seen.items():
        doc = docs.get(name)
        check(doc is not None, "docs/cli.md has no json-object table for %s" % name)
        if doc is None:
            continue
        check(not (keys - doc), "%s: fields in the output that docs/cli.md does not list: %s"
              % (name, sorted(keys - doc)))
        check(not (doc - keys), "%s: fields docs/cli.md lists that the output never has: %s"
              % (name, sorted(doc - keys)))
    for extra in sorted(set(docs) - set(seen)):
        check(False, "docs/cli.md documents an object the test does not see: " + extra)
    for o in objects:
        bad_paths = big_ints(o)
        check(not bad_paths, "integers above 2^53 in %s" % bad_paths)
    print("%d objects, %d failures" % (len(objects), len(failures)), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

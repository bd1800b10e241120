#!/usr/bin/env python3
"""Checks the VM capture runs of one kernel: each backend's recording against
what ta-ptydrive typed and showed, and all backends against each other."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from capturelib import (Failures, expected_output, of_type, stream, tty_name,  # noqa: E402
                        unix_result_checks)
from capture_test import session_checks  # noqa: E402

BACKENDS = ("fentry", "kprobe", "tracepoint")


def load(path):
    out = []
    with open(path, "rb") as f:
        for line in f:
            if line.endswith(b"\n"):
                out.append(json.loads(line))
    return out


def hostile_checks(f, where, d, recs):
    """The held writers (capture-guest.sh): all held, all shown once released, and each one
    recorded on the attacker's terminal or counted lost (no_call_state)."""
    try:
        with open(os.path.join(d, "hostile.out")) as fp:
            lines = [json.loads(x) for x in fp if x.strip()]
    except (OSError, ValueError) as e:
        f.check(False, f"{where}: the hostile user's writers ran ({e})")
        return
    held = lines[0] if lines else {}
    shown = lines[1].get("shown", -1) if len(lines) > 1 else -1
    f.check(held.get("threads") == 2000, f"{where}: 2000 writers held by TCOOFF ({held})")
    f.check(shown == 2000, f"{where}: every held write reached the screen ({shown})")
    att_ttys = [t.replace("/", "") for t in held.get("ttys", [held.get("tty", "")])]
    recorded = sum(len(stream(recs, t, "output")) for t in att_ttys)
    lost = sum(r.get("bytes", 0) for r in recs
               if r["type"] == "gap" and r.get("reason") in ("no_call_state", "return_missed"))
    f.check(recorded + lost >= shown, f"{where}: the attacker's writes are recorded or counted "
            f"({recorded} recorded, {lost} counted lost, {shown} shown)")


def default_pool_checks(f, series, work):
    """The kprobe backend with the kernel's default pool of return-probe instances
    (--kretprobe-pool 0), which the hostile writers on 64 terminals empty: the victim's session loses
    calls, but every byte written or typed is recorded, redacted or counted in a gap of its
    session (return_missed), and the attacker's writes are recorded or counted."""
    where = f"{series}/kprobe-default-pool"
    d = os.path.join(work, "kprobe-default-pool")
    try:
        recs = load(os.path.join(d, "events.jsonl"))
        facts = json.load(open(os.path.join(d, "facts.json")))
        err = open(os.path.join(d, "daemon.err"), errors="replace").read()
    except (OSError, ValueError) as e:
        f.check(False, f"{where}: results missing ({e})")
        return
    start = of_type(recs, "agent_start")
    f.check(len(start) == 1 and start[0]["backend"] == "kprobe", f"{where}: ran with kprobe")
    f.check("the kernel's default pool" in err, f"{where}: the daemon said its return probes "
            f"have the kernel's default pool")
    tty, ses, tag = tty_name(facts), facts["ses"], "V"
    out = stream(recs, tty, "output", ses)
    inp = of_type(recs, "input", tty=tty, owner_ses=ses)
    typed = b"".join(__import__("base64").b64decode(r["data"]) for r in inp if "data" in r)
    red = sum(r["total"] for r in inp if r.get("redacted"))
    gaps = [g for g in of_type(recs, "gap") if g.get("ses") == ses]
    lost = sum(g.get("bytes", 0) for g in gaps)
    want = len(expected_output(tag, 1048576)) + len(f"hello {tag}\n") + len(f"s3cret-{tag}\n")
    f.check(len(out) + len(typed) + red + lost == want,
            f"{where}: recorded + redacted + lost == written + typed ({len(out)} + {len(typed)} + "
            f"{red} + {lost} vs {want}; gaps {[(g.get('reason'), g.get('bytes')) for g in gaps]})")
    f.check(f"s3cret-{tag}".encode() not in typed, f"{where}: the password is not in the record")
    # 64 terminals hold 64 calls inside n_tty_write, more than the default pool: calls are
    # skipped, and counted.
    f.check(any(g.get("reason") == "return_missed" for g in gaps),
            f"{where}: the victim's skipped calls are counted as return_missed")
    hostile_checks(f, where, d, recs)


def ldisc_checks(f, where, d, recs, counted):
    """ta-hostile ldisc (login uid 1002) gave its pty N_NULL and put N_TTY back: the function
    backends, which read n_tty's functions only, count it as an `ldisc` loss of its session;
    the tracepoint backend reads the calls themselves whatever the discipline."""
    try:
        out = json.loads(open(os.path.join(d, "ldisc.out")).read().splitlines()[-1])
    except (OSError, ValueError, IndexError) as e:
        f.check(False, f"{where}: ta-hostile ldisc ran ({e})")
        return
    f.check(out.get("set") == 0 and out.get("back") == 0,
            f"{where}: the pty took N_NULL and N_TTY again ({out})")
    gaps = [r for r in recs if r["type"] == "gap" and r.get("reason") == "ldisc"]
    mine = [g for g in gaps if g.get("auid") == 1002]
    if counted:
        f.check(len(mine) == 1 and mine[0].get("events") == 1 and not mine[0].get("bytes"),
                f"{where}: the change of line discipline is an `ldisc` loss of its session "
                f"({gaps})")
    else:
        f.check(not gaps, f"{where}: no `ldisc` loss where the calls themselves are read ({gaps})")


def main():
    series, work = sys.argv[1], sys.argv[2]
    f = Failures(f"vm-capture-{series}")
    seen = {}
    for b in BACKENDS:
        d = os.path.join(work, b)
        try:
            recs = load(os.path.join(d, "events.jsonl"))
            facts = json.load(open(os.path.join(d, "facts.json")))
        except (OSError, ValueError) as e:
            f.check(False, f"{series}/{b}: results missing ({e}); daemon said: "
                    f"{open(os.path.join(d, 'daemon.err'), errors='replace').read()[-600:] if os.path.exists(os.path.join(d, 'daemon.err')) else 'nothing'}")
            continue
        start = of_type(recs, "agent_start")
        f.check(len(start) == 1 and start[0]["backend"] == b,
                f"{series}/{b}: the daemon ran with backend {b} "
                f"({start[0]['backend'] if start else 'no agent_start'})")
        f.check(facts["auid"] == 1001, f"{series}/{b}: the session logged in as 1001")
        # The probes pick the programs (docs/capture.md): a probe that failed where the kernel
        # has what the full programs need would pass every other check with the fallback's.
        want = "fallback" if series == "5.10" else "full"
        got = start[0].get("programs") if start else None
        f.check(got == want, f"{series}/{b}: the {want} programs were loaded ({got!r}; kernel "
                f"lacks {start[0].get('kernel_lacks') if start else '?'!r})")
        # Their typed build where the kernel has bpf_rdonly_cast (6.2 on).
        typed = start[0].get("typed_reads") if start else None
        f.check(typed is (series not in ("5.10", "6.1")),
                f"{series}/{b}: the typed build loaded exactly where bpf_rdonly_cast is ({typed!r})")
        if b == "tracepoint" and start:
            # 5.10's io_uring requests carry no completion entry: the completion hook has
            # nothing to read there, and the daemon says io_uring writes are not counted.
            missing = start[0].get("hooks_missing", "")
            f.check(("io_uring_complete" in missing) == (series == "5.10"),
                    f"{series}/tracepoint: io_uring's completion hook named missing only where "
                    f"requests lack a completion entry ({missing!r})")
        try:
            bset = open(os.path.join(d, "bounding-set")).read().strip()
        except OSError:
            bset = ""
        f.check(bset.startswith("-all,") and ("sys_admin" not in bset) == (b != "kprobe"),
                f"{series}/{b}: ran with the unit's bounding set"
                f"{' and CAP_SYS_ADMIN' if b == 'kprobe' else ', without CAP_SYS_ADMIN'} ({bset!r})")
        session_checks(f, recs, facts, "V", 1048576)
        hostile_checks(f, f"{series}/{b}", d, recs)
        try:
            unix = json.loads(open(os.path.join(d, "unix.out")).read().splitlines()[-1])
        except (OSError, ValueError, IndexError) as e:
            f.check(False, f"{series}/{b}: ta-hostile unix ran ({e})")
        else:
            unix_result_checks(f, f"{series}/{b}", unix, recs, b != "tracepoint")
        if b != "tracepoint":
            # The same with the footprint off: the unix calls' program attached itself.
            try:
                unix = json.loads(open(os.path.join(d, "unix-nofp.out")).read().splitlines()[-1])
                nofp = load(os.path.join(d, "nofp.jsonl"))
            except (OSError, ValueError, IndexError) as e:
                f.check(False, f"{series}/{b}: ta-hostile unix ran with --footprint off ({e})")
            else:
                unix_result_checks(f, f"{series}/{b} --footprint off", unix, nofp, b != "tracepoint")
        ldisc_checks(f, f"{series}/{b}", d, recs, b != "tracepoint")
        if b == "kprobe":
            err = open(os.path.join(d, "daemon.err"), errors="replace").read()
            f.check("return probes: 4096 instances per return probe" in err,
                    f"{series}/kprobe: the return probes got a pool of 4096 instances "
                    f"(docs/capture.md, \"Return probes\")")
        tty = tty_name(facts)
        console = b"".join(stream(recs, t, "output") for t in {r.get("tty") for r in recs
                                                               if r.get("tty_kind") in ("serial", "console")})
        f.check(f"console-marker-{b}".encode() in console,
                f"{series}/{b}: a write to /dev/console is recorded on the console's tty")
        f.check(f"serial-marker-{b}".encode() in console,
                f"{series}/{b}: a write to the serial tty is recorded")
        seen[b] = {
            "output": stream(recs, tty, "output"),
            "input": stream(recs, tty, "input"),
            "redacted": [r["total"] for r in of_type(recs, "input", tty=tty) if r.get("redacted")],
            "exec": [r["argv"] for r in of_type(recs, "exec") if r.get("tty") == tty],
            "winsize": [(r["rows"], r["cols"]) for r in of_type(recs, "winsize", tty=tty)
                        if r["pid"] == facts["pid"]],
            "sources": sorted({r["source"] for r in recs if r["type"] in ("output", "input")}),
        }
        f.check(seen[b]["sources"] == [b], f"{series}/{b}: events came from {b} hooks "
                f"({seen[b]['sources']})")
    if os.path.isdir(os.path.join(work, "kprobe-default-pool")):
        default_pool_checks(f, series, work)
    if len(seen) == len(BACKENDS):
        ref = seen["tracepoint"]
        for b in ("fentry", "kprobe"):
            for key in ("output", "input", "redacted", "exec", "winsize"):
                f.check(seen[b][key] == ref[key],
                        f"{series}: {b} and tracepoint recorded the same {key} "
                        f"({len(seen[b][key])} vs {len(ref[key])})")
    return f.result()


if __name__ == "__main__":
    sys.exit(main())

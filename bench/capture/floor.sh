#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# floor.sh: the floor of the tracepoint backend for short terminal writes
# (docs/performance.md, "The floor").
#
#   bench/capture/floor.sh [--build DIR] [--base DIR] [--rounds N] [--lines N]
#                          [--states "off empty full"]
#
# The workload: `script -qc` of perl writing N lines (default 1 000 000) with
# autoflush, one 24-byte write() each, to the pty script makes. Run with
#   off    nothing attached (by this script: it notes other recorders),
#   empty  two empty raw_tracepoint programs on sys_enter/sys_exit (empty_tp.c),
#   full   ttyauditd recording (tracepoint backend, whatever --build built),
#   fullstats  the same with kernel.bpf_stats_enabled=1 (adds a clock read per
#          program run) and the programs' ns per run printed,
#   base, basestats  the same as full and fullstats with the build given by
#          --base (another commit's build: an A/B of two builds in one sitting),
# in rotating order, N rounds (default 3). One line per run:
#   run ROUND STATE wall_s=.. cpu_s=.. call_ns=.. load=..
# (cpu_s: user+sys of script and perl together; call_ns: CPU ns per call of a
# loop of read(/dev/zero), write(/dev/null), getppid(): the mechanism's cost
# on calls that never touch a terminal), then the medians, and for
# "full" the capture programs' ns per run from bpf_stats, and their ns per line
# of the workload (all they ran during it, divided by N). Needs root.
# Never run it beside bench/run.sh or a VM (docs/HACKING.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$here/../../build
base=''
rounds=3 lines=1000000 states='off empty full'
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --lines) lines=$2; shift 2 ;;
    --states) states=$2; shift 2 ;;
    *) echo "usage: floor.sh [--build DIR] [--base DIR] [--rounds N] [--lines N] [--states LIST]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "floor.sh: needs root (BPF)" >&2; exit 1; }
# Every build a state runs is there before the first run.
for st in $states; do
    case $st in full*) dir=$build ;; base*) dir=$base ;; *) continue ;; esac
    [ -n "$dir" ] && [ -x "$dir/agent/daemon/ttyauditd" ] || {
        echo "floor.sh: state $st: no ttyauditd in '$dir': build it there (ninja -C DIR), or name a build directory with --build or --base" >&2
        exit 2
    }
done
work=$(mktemp -d /tmp/ta-floor.XXXXXX)
tpid='' dpid=''
cleanup() {
    [ -n "$tpid" ] && kill -TERM "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null || true
    [ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null || true
    chattr -R -a "$work" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cc -O2 -Wall -o "$work/empty_tp" "$here/empty_tp.c" || { echo "floor.sh: cannot build empty_tp" >&2; exit 1; }
cc -O2 -Wall -pthread -o "$work/ptybench" "$here/ptybench.c" -lutil || { echo "floor.sh: cannot build ptybench" >&2; exit 1; }
stats_was=$(sysctl -n kernel.bpf_stats_enabled)

start() {
    case $1 in
    empty)
        "$work/empty_tp" > "$work/tp.out" & tpid=$!
        for _ in $(seq 50); do grep -q attached "$work/tp.out" && return 0; sleep 0.1; done
        echo "floor.sh: empty_tp did not attach" >&2; exit 1 ;;
    full|fullstats|base|basestats)
        daemon=$build/agent/daemon/ttyauditd
        case $1 in base*) daemon=$base/agent/daemon/ttyauditd ;; esac
        mkdir -p "$work/log"
        "$daemon" --foreground --log-dir "$work/log" 2> "$work/daemon.err" & dpid=$!
        for _ in $(seq 600); do grep -q 'capture: recording with backend' "$work/daemon.err" && break; sleep 0.1; done
        grep -q 'recording with backend tracepoint' "$work/daemon.err" ||
            { cat "$work/daemon.err" >&2; echo "floor.sh: ttyauditd not recording with tracepoints" >&2; exit 1; } ;;
    esac
}
stop() {
    [ -n "$tpid" ] && { kill -TERM "$tpid"; wait "$tpid" || true; tpid=''; }
    [ -n "$dpid" ] && { kill -TERM "$dpid"; wait "$dpid" || true; dpid=''; chattr -R -a "$work/log"; rm -rf "$work/log"; }
    return 0
}
# The capture programs' "NAME NS RUNS" while the daemon runs (ids it loaded: named ta_raw_sys_*).
progs() { bpftool prog show -j | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name", "").startswith("ta_raw_sys_") and p.get("run_cnt"):
        print(p["name"], p.get("run_time_ns", 0), p["run_cnt"])'; }

raw=$work/raw
echo "note lines=$lines rounds=$rounds kernel=$(uname -r) others=$(pgrep -xc ttyauditd || true) load=$(cut -d' ' -f1-3 /proc/loadavg)"
workload="perl -e '\$|=1; print \"abcdefghijklmnopqrstuvw\\n\" for 1..$lines'"
set -- $states
for r in $(seq 1 "$rounds"); do
    # rotate the order each round, so a trend in the machine's load falls on every state
    order=("$@")
    for _ in $(seq 2 "$r"); do order=("${order[@]:1}" "${order[0]}"); done
    for st in "${order[@]}"; do
        start "$st"
        stats=''
        case $st in *stats) stats=1 ;; esac
        [ -n "$stats" ] && { sysctl -qw kernel.bpf_stats_enabled=1; progs > "$work/p0"; }
        line=$( { TIMEFORMAT='%R %U %S'; time script -qc "$workload" /dev/null < /dev/null > /dev/null; } 2>&1 )
        set -- $line
        extra=''
        if [ -n "$stats" ]; then
            # ns a run, and the programs' ns a line: everything they ran meanwhile, the host's other calls too
            extra=$(progs | awk -v lines="$lines" 'NR == FNR {ns[$1] = $2; c[$1] = $3; next}
                ($1 in ns) && $3 > c[$1] {printf " %s_ns=%.0f %s_line_ns=%.0f", $1, ($2 - ns[$1]) / ($3 - c[$1]),
                                          $1, ($2 - ns[$1]) / lines}' "$work/p0" -)
            sysctl -qw kernel.bpf_stats_enabled="$stats_was"
        fi
        # the mechanism per call, off any terminal: CPU ns per call of a read/write/getppid loop
        call=$("$work/ptybench" syscalls --count 1000000 | sed -n 's/.*cpu_ns_per_call=\([0-9.]*\).*/\1/p')
        echo "run $r $st wall_s=$1 cpu_s=$(echo "$2 $3" | awk '{printf "%.3f", $1 + $2}') call_ns=$call load=$(cut -d' ' -f1 /proc/loadavg)$extra" | tee -a "$raw"
        stop
        set -- $states
    done
done
# median (min..max) of field F (wall_s, cpu_s) of state ST's runs
stat() { awk -v st="$1" -v f="$2" '$3 == st {for (i = 4; i <= NF; i++) if (index($i, f "=") == 1) print substr($i, length(f) + 2)}' "$raw" |
    sort -n | awk '{v[NR] = $1} END {printf "%s (%s..%s)", v[int((NR + 1) / 2)], v[1], v[NR]}'; }
for st in $states; do
    echo "median $st wall_s=$(stat "$st" wall_s) cpu_s=$(stat "$st" cpu_s) call_ns=$(stat "$st" call_ns)"
done

#!/bin/sh
# Guest side of `bench/capture/vm-progs.sh --floor`: what a function backend
# (fentry, kprobe) costs system calls that never touch a terminal, and the
# short-line workload, with the footprint off and on. The raw sys_enter and
# sys_exit tracepoints put every system call of the host on the kernel's slow
# path as soon as any program is attached to them; the function backends
# attach `sys_exit` for unix sockets (tmux and screen clients) and both for
# the footprint. States, in an order that rotates every round: off (no
# daemon), BACKEND with --footprint off, BACKEND with --footprint on. Per
# state and round, /results/floor.txt gets
#   ROUND STATE syscalls <ptybench syscalls line>
#   ROUND STATE lines <ptybench write line>
# ta.backends= (first one only; default fentry), ta.rounds= (default 4),
# ta.lines= (bytes of 24-byte writes, default 1M), ta.calls= (default 200000).
# The build: /usr/bin/ttyauditd.
set -u
R=${RESULTS:-/results}
b=$(echo "${TA_BACKENDS:-fentry}" | cut -d, -f1)
rounds=${TA_ROUNDS:-4} bytes=${TA_LINES:-1M} calls=${TA_CALLS:-200000}
out=$R/floor.txt
: > "$out"
uname -r > "$R/uname.txt"

# ROUND STATE [FOOTPRINT]
run_state() {
    dpid=''
    if [ $# -gt 2 ]; then
        log=/tmp/daemon-$1-$2.err
        ttyauditd --foreground --backend "$b" --footprint "$3" --log-dir /tmp/log-$1-$2 2> "$log" &
        dpid=$!
        i=0
        until grep -q 'capture: recording with backend' "$log" 2>/dev/null; do
            kill -0 $dpid 2>/dev/null && [ $i -lt 3000 ] || {
                echo "$1 $2 daemon not ready: $(tail -n1 "$log")" >> "$out"; return 1; }
            sleep 0.1
            i=$((i + 1))
        done
    fi
    echo "$1 $2 syscalls $(ptybench syscalls --count "$calls")" >> "$out"
    echo "$1 $2 lines $(ptybench write --bytes "$bytes" --write-size 24)" >> "$out"
    if [ -n "$dpid" ]; then
        kill -TERM $dpid
        wait $dpid
    fi
}

# a first pass warms TCG's translation cache; not a figure
ptybench syscalls --count "$calls" > /dev/null
ptybench write --bytes "$bytes" --write-size 24 > /dev/null
r=1
while [ $r -le "$rounds" ]; do
    case $((r % 3)) in
        1) order="off fp-off fp-on" ;;
        2) order="fp-off fp-on off" ;;
        0) order="fp-on off fp-off" ;;
    esac
    for s in $order; do
        case $s in
            off) run_state $r off ;;
            fp-off) run_state $r "$b-footprint-off" off ;;
            fp-on) run_state $r "$b-footprint-on" on ;;
        esac
    done
    r=$((r + 1))
done
exit 0

#!/bin/sh
# Guest side of the capture benchmark in the qemu VM (bench/capture/vm.sh
# packs it with tests/vm/mkinitramfs.sh as the guest script). Runs the pty
# workloads with ttyauditd off and on, alternating (off,on then on,off), for
# the backend named by ta.backend= on the kernel command line, and writes
# every ptybench line, tagged, to /results/timings.txt:
#   ROUND STATE WORKLOAD <ptybench key=value line>
# plus the daemon's stderr per round and its stop line.
# Sizes come from ta.bytes= (default 32M, 64 KiB writes; the same size of
# base64 noise through `ptybench cat`), ta.small= (default 4M of 64-byte
# writes), ta.lines= (default 6M of 24-byte writes: short lines, one write()
# each), ta.lat= (default 5000 round trips) and
# ta.rounds= (default 5). A first round (ROUND 0, daemon off) only warms up
# TCG's translation cache and is not a figure. Under TCG absolute speed means
# little; the on/off ratio is the figure.
set -u
R=${RESULTS:-/results}
b=${TA_BACKEND:?ta.backend= missing on the kernel command line}
bytes=${TA_BYTES:-32M} small=${TA_SMALL:-4M} lines=${TA_LINES:-6M} lat=${TA_LAT:-5000}
rounds=${TA_ROUNDS:-5}
out=$R/timings.txt
: > "$out"
# Worst case for compression, as on the host: base64 of random bytes in 76-column lines.
noise=/tmp/noise.txt
n=${bytes%M}
head -c $((n * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 > "$noise"
uname -r > "$R/uname.txt"
nproc > "$R/nproc.txt" 2>/dev/null || true

workloads() { # ROUND STATE
    for w in write noise small lines latency; do
        case $w in
            write) line=$(ptybench write --bytes "$bytes" --write-size 64K) ;;
            noise) line=$(ptybench cat "$noise") ;;
            small) line=$(ptybench write --bytes "$small" --write-size 64) ;;
            lines) line=$(ptybench write --bytes "$lines" --write-size 24) ;;
            latency) line=$(ptybench latency --count "$lat") ;;
        esac
        echo "$1 $2 $w $line" | tee -a "$out"
    done
}

daemon_on() { # ROUND
    # a fresh directory per round: the old one's files are append-only
    mkdir -p /tmp/log-$1
    ttyauditd --foreground --backend "$b" --log-dir /tmp/log-$1 2> "$R/daemon-$1.err" &
    dpid=$!
    i=0
    while [ $i -lt 3000 ]; do
        grep -q 'capture: recording with backend' "$R/daemon-$1.err" 2>/dev/null && return 0
        kill -0 $dpid 2>/dev/null || { echo "daemon died" >> "$out"; return 1; }
        sleep 0.1
        i=$((i + 1))
    done
    echo "daemon not ready" >> "$out"
    return 1
}

daemon_off() { # ROUND
    kill -TERM $dpid
    wait $dpid
    echo "$1 stop $(tail -n1 "$R/daemon-$1.err")" >> "$out"
    chattr -R -a /tmp/log-$1 2>/dev/null && rm -rf /tmp/log-$1 2>/dev/null
}

workloads 0 warmup
r=1
while [ $r -le "$rounds" ]; do
    if [ $((r % 2)) = 1 ]; then
        workloads $r off
        daemon_on $r || exit 1
        workloads $r on
        daemon_off $r
    else
        daemon_on $r || exit 1
        workloads $r on
        daemon_off $r
        workloads $r off
    fi
    r=$((r + 1))
done
exit 0

#!/bin/sh
# Guest side of bench/capture/vm-progs.sh: the capture programs' own time per
# terminal write, two builds of ttyauditd compared in one boot (the figure of
# a change to the programs, where the on/off ratio of vm-guest.sh is too
# noisy under TCG). For each backend in ta.backends= (comma-separated,
# default fentry,kprobe) and each of ta.rounds= rounds (default 4), both
# builds in turn, the order swapped every round: the daemon started with
# that backend, kernel.bpf_stats_enabled on, `ptybench write` of ta.lines=
# bytes (default 1M) in 24-byte writes, and every program's run_time_ns and
# run_cnt (from the daemon's program descriptors in /proc/PID/fdinfo) read
# before and after. Writes /results/progs.txt, one line per program that ran:
#   ROUND BACKEND BUILD prog=ID runs=N ns=T
# and one per run: ROUND BACKEND BUILD writes=W ns_per_write=X (all programs).
# The builds: /usr/bin/ttyauditd ("this") and /usr/bin/ttyauditd-base ("base").
set -u
R=${RESULTS:-/results}
backends=$(echo "${TA_BACKENDS:-fentry,kprobe}" | tr ',' ' ')
rounds=${TA_ROUNDS:-4} bytes=${TA_LINES:-1M}
out=$R/progs.txt
: > "$out"
uname -r > "$R/uname.txt"
echo 1 > /proc/sys/kernel/bpf_stats_enabled ||
    { echo "cannot turn on kernel.bpf_stats_enabled: this kernel gives no program run times" >> "$out"; exit 1; }

# PID: "id runtime runs" for each BPF program the process holds.
progs() {
    for f in /proc/"$1"/fdinfo/*; do
        awk '/^prog_id:/{id=$2} /^run_time_ns:/{t=$2} /^run_cnt:/{c=$2}
             END{if (id != "") print id, t, c}' "$f" 2>/dev/null
    done | sort -n
}

# ROUND BACKEND BUILD BINARY
measure() {
    log=/tmp/daemon-$1-$2-$3.err
    # a directory per run: a log's files are append-only, and busybox removes none
    "$4" --foreground --backend "$2" --log-dir /tmp/log-$1-$2-$3 2> "$log" &
    dpid=$!
    i=0
    until grep -q 'capture: recording with backend' "$log" 2>/dev/null; do
        kill -0 $dpid 2>/dev/null && [ $i -lt 3000 ] || {
            echo "$1 $2 $3 daemon not ready: $(tail -n1 "$log")" >> "$out"
            cp "$log" "$R/"; return 1; }
        sleep 0.1
        i=$((i + 1))
    done
    progs $dpid > /tmp/before
    line=$(ptybench write --bytes "$bytes" --write-size 24)
    progs $dpid > /tmp/after
    kill -TERM $dpid
    wait $dpid
    # busybox has no join(1): the "before" lines first, then the "after" ones
    cat /tmp/before /tmp/after | awk -v tag="$1 $2 $3" -v line="$line" -v nb="$(wc -l < /tmp/before)" '
        NR <= nb { t0[$1] = $2; c0[$1] = $3; next }
        { runs = $3 - c0[$1]; ns = $2 - t0[$1]
          if (runs > 0) { print tag, "prog=" $1, "runs=" runs, "ns=" ns; total += ns } }
        END { n = split(line, kv, " "); w = 0
              for (i = 1; i <= n; i++) if (kv[i] ~ /^bytes_written=/) { sub(/^bytes_written=/, "", kv[i]); w = int(kv[i] / 24) }
              if (w > 0) printf "%s writes=%d ns_per_write=%.0f\n", tag, w, total / w
              else print tag, "no writes in:", line }' >> "$out"
}

r=1
while [ $r -le "$rounds" ]; do
    for b in $backends; do
        if [ $((r % 2)) = 1 ]; then
            measure $r $b this /usr/bin/ttyauditd
            measure $r $b base /usr/bin/ttyauditd-base
        else
            measure $r $b base /usr/bin/ttyauditd-base
            measure $r $b this /usr/bin/ttyauditd
        fi
    done
    r=$((r + 1))
done
exit 0

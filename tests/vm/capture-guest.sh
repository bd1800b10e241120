#!/bin/sh
# Guest side of the VM capture test (see capture.sh): record one scripted pty
# session with the backend named by TA_BACKEND and leave the records, the
# session's facts and the daemon's diagnostics in /results.
set -u
R=/results
mkdir -p "$R"
b=${TA_BACKEND:?ta.backend= missing on the kernel command line}
# A fresh host: nothing mounted tracefs or debugfs (only systemd would).
umount /sys/kernel/debug 2>/dev/null
umount /sys/kernel/tracing 2>/dev/null
# The unit's LimitMEMLOCK=infinity: kernels before 5.11 charge BPF memory to it.
ulimit -l unlimited
# The unit's capability bounding set (ta.caps=bpf,perfmon,...), as systemd would apply it.
wrap=""
if [ -n "${TA_CAPS:-}" ]; then
    bset=-all
    for c in $(echo "$TA_CAPS" | tr ',' ' '); do bset="$bset,+$c"; done
    # util-linux setpriv, shipped under its own name: busybox has a smaller applet of that name.
    wrap="/usr/local/bin/ta-setpriv --bounding-set=$bset --inh-caps=-all --no-new-privs --"
    echo "$bset" > "$R/bounding-set"
fi
# start_daemon NAME [OPTION...]: ttyauditd with the backend, its records in $R/NAME.jsonl and
# its diagnostics in $R/daemon-NAME.err (daemon.err for "events"); $pid; back once it records.
start_daemon() {
    name=$1
    shift
    err="$R/daemon-$name.err"
    [ "$name" = events ] && err="$R/daemon.err"
    mkdir -p "/tmp/log-$name"
    $wrap ttyauditd --foreground --backend "$b" ${TA_VERBOSE:+--verbose} \
        ${TA_KRETPROBE_POOL:+--kretprobe-pool "$TA_KRETPROBE_POOL"} --log-dir "/tmp/log-$name" \
        --jsonl "$R/$name.jsonl" "$@" 2> "$err" &
    pid=$!
    i=0
    while [ $i -lt 1200 ]; do
        grep -q '"agent_start"' "$R/$name.jsonl" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
}
start_daemon events
# A hostile unprivileged user (uid 2000) holds writers blocked in write() on a pty of its own
# while the session runs: with task storage there is no shared table to fill, and the fallback
# programs' table gives one uid at most 512 calls in progress; the session must stay exact.
# ta.hostile_ttys=T spreads them over T terminals: T calls held inside n_tty_write at once.
hpid=""
if command -v ta-hostile >/dev/null; then
    mkfifo /tmp/hold
    /usr/local/bin/ta-setpriv --reuid 2000 --regid 2000 --clear-groups -- \
        ta-hostile block 2000 "${TA_HOSTILE_TTYS:-1}" < /tmp/hold > "$R/hostile.out" 2> "$R/hostile.err" &
    hpid=$!
    exec 3> /tmp/hold
    i=0
    while [ $i -lt 600 ] && ! grep -q threads "$R/hostile.out" 2>/dev/null; do
        kill -0 $hpid 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
fi
ta-ptydrive --loginuid 1001 --tag V --big 1048576 > "$R/facts.json" 2> "$R/ptydrive.err"
echo $? > "$R/ptydrive.rc"
if [ -n "$hpid" ]; then
    exec 3>&-
    wait $hpid
    echo $? > "$R/hostile.rc"
fi
# Unix connects and binds that fail beside ones that succeed, each recorded with its result.
if command -v ta-hostile >/dev/null; then
    ta-hostile unix 2000 > "$R/unix.out" 2> "$R/unix.err"
fi
# A terminal given another line discipline (TIOCSETD): the function backends count it.
if command -v ta-hostile >/dev/null; then
    ta-hostile ldisc 1002 > "$R/ldisc.out" 2> "$R/ldisc.err"
fi
# The console: through /dev/console (which skips tty_write) and through the serial tty.
echo "console-marker-$b" > /dev/console
echo "serial-marker-$b" > /dev/ttyS0
sleep 1
kill -TERM $pid
wait $pid
echo $? > "$R/daemon.rc"
# Without the footprint a function backend leaves raw sys_exit alone, and the unix calls'
# program is attached itself instead of reached by the dispatcher's tail call.
if [ "$b" != tracepoint ] && command -v ta-hostile >/dev/null; then
    start_daemon nofp --footprint off
    ta-hostile unix 2000 > "$R/unix-nofp.out" 2> "$R/unix-nofp.err"
    sleep 1
    kill -TERM $pid
    wait $pid
fi
exit 0

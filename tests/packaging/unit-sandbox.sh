#!/bin/bash
# unit-sandbox.sh UNIT TTYAUDITD
#
# Runs the real daemon (as root, on the running kernel) the way the unit's
# sandbox would, as far as that can be done without systemd as PID 1:
#   - capability bounding set = the unit's CapabilityBoundingSet=, no new
#     privileges (setpriv);
#   - Type=notify: READY=1 must arrive on $NOTIFY_SOCKET;
#   - traffic on a pty is recorded, SIGHUP reloads (ExecReload=), SIGTERM
#     stops with status 0;
#   - every system call it made (strace -f) must be allowed by the unit's
#     SystemCallFilter= lines, expanded with `systemd-analyze syscall-filter`.
# Needs root, strace, setpriv, script, python3; skips (77) without them.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
unit=${1:?usage: unit-sandbox.sh UNIT TTYAUDITD}
daemon=${2:?usage: unit-sandbox.sh UNIT TTYAUDITD}
[ "$(id -u)" = 0 ] || skip "needs root (loads BPF programs)"
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
need strace strace
need setpriv util-linux
need script bsdutils
need python3 python3-minimal

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/ta-sandbox.XXXXXX")
pid=; spid=; npid=
cleanup() {
    # Every step runs whatever the one before it did: under set -e a failed kill
    # would end the trap early and leave the listener holding meson's pipe.
    set +e
    [ -n "$npid" ] && kill "$npid" 2>/dev/null
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        timeout 30 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    [ -n "$spid" ] && kill -KILL "$spid" 2>/dev/null
    chattr -R -a "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the unit's capability bounding set, as setpriv wants it
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[ -n "$caps" ] || die "no CapabilityBoundingSet= in $unit"
bset=-all
for c in $caps; do
    c=${c#CAP_}
    bset+=",+${c,,}"
done
echo "bounding set: $bset"
# ... and its Nice=, which systemd applies before the daemon starts.
nice_val=$(sed -n 's/^Nice=//p' "$unit")
nice_val=${nice_val:-0}

# --- notify socket listener
python3 - "$tmp/notify" "$tmp/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(4096) + b"\n")
PY
npid=$!
for _ in $(seq 50); do [ -S "$tmp/notify" ] && break; sleep 0.1; done
[ -S "$tmp/notify" ] || die "notify listener did not start"

mkdir -m 0700 "$tmp/state"
cat >"$tmp/ttyauditd.conf" <<CONF
log_dir = $tmp/log
key_file = $tmp/state/signing.key
ring_size = 4M
CONF
# Can this file system hold append-only files at all (with every capability)?
touch "$tmp/probe"
append_ok=0
chattr +a "$tmp/probe" 2>/dev/null && append_ok=1 && chattr -a "$tmp/probe"

NOTIFY_SOCKET=$tmp/notify nice -n "$nice_val" setpriv --bounding-set="$bset" --inh-caps=-all \
    --no-new-privs -- strace -f -qq -o "$tmp/trace" -- "$daemon" --foreground --config "$tmp/ttyauditd.conf" \
    >"$tmp/out" 2>&1 &
spid=$!   # setpriv, which becomes strace; the daemon is strace's child
for _ in $(seq 100); do
    pid=$(pgrep -P "$spid" -x ttyauditd || true)
    [ -n "$pid" ] && break
    sleep 0.1
done
[ -n "$pid" ] || { pid=$spid; die "ttyauditd did not start under strace"; }
for _ in $(seq 600); do
    grep -q '^READY=1' "$tmp/notify.log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
grep -q '^READY=1' "$tmp/notify.log" 2>/dev/null || {
    cat "$tmp/out" >&2; die "no READY=1 on NOTIFY_SOCKET within 120 s"; }
echo "READY=1 received"

# Traffic on a pty, then a reload that changes a filter and the ring size.
script -qc 'echo sandbox-hello-$((6*7))' /dev/null >/dev/null
echo 'exclude_uid = 54321' >>"$tmp/ttyauditd.conf"
sed -i 's/^ring_size = 4M/ring_size = 8M/' "$tmp/ttyauditd.conf"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q 'reloaded' "$tmp/out" && break; sleep 0.2; done
sleep 1
kill -TERM "$pid"
# strace exits with its tracee's status.
rc=0; timeout 60 tail --pid="$spid" -f /dev/null || die "ttyauditd did not stop within 60 s"
wait "$spid" || rc=$?
pid=
cat "$tmp/out"
[ "$rc" = 0 ] || die "ttyauditd exited with $rc"
grep -q 'recording with backend' "$tmp/out" || die "no backend chosen"
grep -q 'could not drop capabilities' "$tmp/out" && die "capability drop failed"
grep -q 'config: reloaded: applied exclude_uid' "$tmp/out" || die "SIGHUP did not apply the filter"
grep -q 'only taken at restart.*ring_size' "$tmp/out" || die "SIGHUP did not name ring_size as restart-only"
grep -q ': error:' "$tmp/out" && die "errors in the daemon's output"
if [ "$append_ok" = 1 ]; then
    grep -q 'not append-only' "$tmp/out" && die "segments not append-only under the unit's capabilities"
fi
events=$(sed -n 's/.*stopping (SIGTERM): \([0-9]*\) events.*/\1/p' "$tmp/out")
[ "${events:-0}" -gt 0 ] || die "nothing recorded (events=${events:-none})"
grep -q '^STOPPING=1' "$tmp/notify.log" || die "no STOPPING=1 on NOTIFY_SOCKET"

# --- system calls used vs. the unit's filter
used=$(sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p' "$tmp/trace" | sort -u)
[ -n "$used" ] || die "strace saw no system calls"
expand() {  # names and @groups (which may hold @groups) -> names
    local w
    for w in "$@"; do
        case "$w" in
            @*) # shellcheck disable=SC2046
                expand $(systemd-analyze syscall-filter "$w" | sed -n 's/^ \+\([-@a-z0-9_]\+\)$/\1/p') ;;
            *) echo "$w" ;;
        esac
    done
}
allow=; deny=
while IFS= read -r l; do
    v=${l#SystemCallFilter=}
    if [ "${v:0:1}" = "~" ]; then deny+=" ${v:1}"; else allow+=" $v"; fi
done < <(grep '^SystemCallFilter=' "$unit")
# systemd always lets these through (see SystemCallFilter= in systemd.exec(5)).
always="execve exit exit_group getrlimit rt_sigreturn sigreturn"
# shellcheck disable=SC2086
allowed=$( { expand $allow; echo $always | tr ' ' '\n'; } | sort -u)
# shellcheck disable=SC2086
denied=$(expand $deny | sort -u)
bad=
for s in $used; do
    if ! grep -qxF "$s" <<<"$allowed" || { grep -qxF "$s" <<<"$denied" && ! grep -qw "$s" <<<"$always"; }; then
        bad+=" $s"
    fi
done
echo "system calls used ($(wc -w <<<"$used")): $(echo $used)"
[ -z "$bad" ] || die "system calls outside the unit's SystemCallFilter=:$bad"
echo "ok: capabilities, notify, reload, stop and every system call fit the unit"

# --- the set is the smallest: without any one capability of it, the daemon
# either refuses to start (exit 4) or says what it can no longer do.
case " $caps " in *CAP_SYS_ADMIN*) die "CAP_SYS_ADMIN is in the unit's bounding set" ;; esac
anchors_ok=1
grep -q 'into the audit trail' "$tmp/out" && anchors_ok=0
watch_ok=1
grep -q 'cannot watch' "$tmp/out" && watch_ok=0
without() {  # CAP: run the daemon with the unit's set less CAP; its output in $tmp/without.out
    local drop=$1 set=-all c p i
    for c in $caps; do
        [ "$c" = "$drop" ] && continue
        c=${c#CAP_}
        set+=",+${c,,}"
    done
    chattr -R -a "$tmp/log-w" 2>/dev/null || true
    rm -rf "$tmp/log-w"
    setpriv --bounding-set="$set" --inh-caps=-all --no-new-privs -- "$daemon" --foreground \
        --log-dir "$tmp/log-w" --key-file "$tmp/state/w.key" --login-socket "$tmp/w.sock" \
        >"$tmp/without.out" 2>&1 &
    p=$!
    pid=$p
    for i in $(seq 600); do
        grep -q 'recording with backend' "$tmp/without.out" && break
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    sleep 1
    kill -TERM "$p" 2>/dev/null || true
    wcode=0; wait "$p" || wcode=$?
    pid=
}
for c in $caps; do
    without "$c"
    case $c in
        CAP_BPF|CAP_PERFMON)
            [ "$wcode" = 4 ] && grep -q 'missing privilege' "$tmp/without.out" ||
                { cat "$tmp/without.out" >&2; die "without $c: expected exit 4 'missing privilege', got $wcode"; } ;;
        CAP_LINUX_IMMUTABLE)
            if [ "$append_ok" = 1 ]; then
                grep -q 'not append-only' "$tmp/without.out" ||
                    { cat "$tmp/without.out" >&2; die "without $c: no warning that segments are not append-only"; }
            else
                echo "note: this file system has no append-only flag; $c not checked"
            fi ;;
        CAP_AUDIT_WRITE)
            if [ "$anchors_ok" = 1 ]; then
                grep -q 'into the audit trail' "$tmp/without.out" ||
                    { cat "$tmp/without.out" >&2; die "without $c: no warning that anchors cannot be written"; }
            else
                echo "note: anchors fail here even with $c (no audit); not checked"
            fi ;;
        CAP_AUDIT_CONTROL)
            # Without it the audit watches on the log, key, binary and config
            # cannot be installed (nor removed at stop): no alert when others
            # read, change, chattr -a or delete the log.
            if [ "$watch_ok" = 1 ]; then
                grep -q 'cannot watch .*needs CAP_AUDIT_CONTROL' "$tmp/without.out" ||
                    { cat "$tmp/without.out" >&2; die "without $c: no warning that the daemon's files cannot be watched"; }
            else
                echo "note: audit watches fail here even with $c (no audit); not checked"
            fi ;;
        *) die "$c in the unit's set has no reason in this test: add one, or drop it" ;;
    esac
    echo "without $c: $(grep -m1 -E 'missing privilege|not append-only|audit trail|cannot watch' "$tmp/without.out" || echo degraded)"
done
echo "ok: each capability of the unit's bounding set is needed"


#!/bin/bash
# capture.sh SERIES TTYAUDITD PTYDRIVE [WORKDIR [HOSTILE]]
#
# Boots Debian's stock SERIES kernel (5.10, 6.1 or 6.12) under qemu TCG once per
# capture backend (fentry, kprobe, tracepoint), records the same scripted pty
# session with each (capture-guest.sh), then checks every recording against
# what was typed and shown and that all backends recorded the same streams
# (check_capture.py). With HOSTILE (tests/lib/ta-hostile), an unprivileged
# user holds writers blocked in write() meanwhile: the session stays exact, and
# with the kprobe backend's default pool of return-probe instances (a fourth
# boot) every lost byte is counted. Exit 0 pass, 1 fail, 77 SKIPPED (no qemu).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

skip() { echo "SKIPPED: $*"; exit 77; }
[ $# -ge 3 ] || { echo "usage: capture.sh SERIES TTYAUDITD PTYDRIVE [WORKDIR [HOSTILE]]" >&2; exit 2; }
series=$1 daemon=$2 driver=$3 hostile=${5:-}
[ "$(uname -m)" = x86_64 ] || skip "host is $(uname -m); the guest binaries are x86_64"
[ "$(id -u)" = 0 ] || skip "needs root (apt-get installs of qemu and kernels)"
ta_need qemu-system-x86_64 qemu-system-x86 || skip "qemu-system-x86_64 cannot be installed"
ta_need cpio cpio || skip "cpio cannot be installed"

if [ $# -ge 4 ]; then
    work=$4; rm -rf "$work"; mkdir -p "$work"
else
    work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fi

ta_need setpriv util-linux || skip "setpriv cannot be installed"
"$here/mkinitramfs.sh" "$work/capture.cpio.gz" --bin "$daemon" --bin "$driver" \
    ${hostile:+--bin "$hostile"} \
    --bin "$(command -v setpriv):/usr/local/bin/ta-setpriv" --script "$here/capture-guest.sh" >/dev/null
# Every backend runs with no more than the unit's capability bounding set.
unit="$here/../../systemd/ttyauditd.service"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed 's/^CAP_//' | tr 'A-Z' 'a-z' |
       paste -sd, -)
[ -n "$caps" ] || { echo "vm-capture: no CapabilityBoundingSet= in $unit" >&2; exit 1; }

# kprobes attach through perf_event_open, which Debian's perf_event_paranoid=3 keeps for
# CAP_SYS_ADMIN: that backend alone gets it (docs/service.md).
backend_caps() { if [ "$1" = kprobe ]; then echo "$caps,sys_admin"; else echo "$caps"; fi; }

# 5.10 loads the fallback programs, whose bounded loops take its verifier longer under TCG
# (about 5 minutes for the tracepoint backend's).
timeout=420
[ "$series" = 5.10 ] && timeout=540
rc=0
# A guest kernel that dies while booting, before /init (our code) runs, says nothing about
# the capture: TCG now and then panics in a device probe. A guest kernel whose CPUs all hang
# (the VM times out, the console reports a soft lockup) says nothing either: under TCG with
# two vCPUs, 5.10 once locked both up at the jump label in syscall_trace_enter that attaching
# a raw tracepoint patches (the daemon in bpf(), the other CPU entering a system call), an
# emulator artifact of cross-CPU code patching. Nor does a guest kernel that stops while
# booting and never reaches /init (6.1 once printed nothing after 1.36 s of its boot for the
# whole 420 s). Those cases, and only they, get one more boot, said on stderr; a failure once
# /init has started, or the same hang twice, is a result.
# run_backend DIR BACKEND [KERNEL-ARGS]: one boot, its results in $work/DIR.
run_backend() {
    local d=$1 b=$2 extra=${3:-} vrc attempt console
    for attempt in 1 2; do
        vrc=0
        "$here/run-vm.sh" --kernel "$series" --initramfs "$work/capture.cpio.gz" \
            --results "$work/$d" --timeout "$timeout" \
            --append "ta.backend=$b ta.caps=$(backend_caps "$b")${extra:+ $extra}" || vrc=$?
        console="$work/$d/_vm/console.log"
        [ "$attempt" = 1 ] || break
        if [ "$vrc" = 99 ] && ! grep -q 'ta-init:' "$console" 2>/dev/null; then
            echo "vm-capture: $series/$d: the guest kernel died before /init; booting it once more" >&2
        elif [ "$vrc" = 98 ] && grep -q 'soft lockup' "$console" 2>/dev/null; then
            echo "vm-capture: $series/$d: the guest kernel's CPUs hung (soft lockup, the VM timed" \
                 "out); booting it once more" >&2
        elif [ "$vrc" = 98 ] && ! grep -q 'ta-init:' "$console" 2>/dev/null; then
            echo "vm-capture: $series/$d: the guest kernel stopped before /init (the VM timed" \
                 "out); booting it once more" >&2
        else
            break
        fi
    done
    return "$vrc"
}
for b in fentry kprobe tracepoint; do
    if ! run_backend "$b" "$b"; then
        echo "vm-capture: $series/$b: the VM run failed" >&2
        rc=1
    fi
done
# The kprobe backend once more with the kernel's default pool of return-probe instances, which
# the hostile writers, spread over 64 terminals, empty: what is lost then must be counted
# (return_missed), never silent.
if [ -n "$hostile" ] &&
   ! run_backend kprobe-default-pool kprobe "ta.kretprobe_pool=0 ta.hostile_ttys=64"; then
    echo "vm-capture: $series/kprobe-default-pool: the VM run failed" >&2
    rc=1
fi
python3 "$here/check_capture.py" "$series" "$work" || rc=1
exit $rc

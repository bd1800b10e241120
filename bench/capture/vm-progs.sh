#!/bin/bash
# vm-progs.sh --build DAEMON --base DAEMON [--kernels "6.12 6.1"]
#             [--backends fentry,kprobe] [--rounds N] [--lines SIZE] [--work DIR]
# vm-progs.sh --floor --build DAEMON [--kernels ...] [--backends fentry] [--rounds N] ...
#
# The capture programs' time per terminal write for two builds of ttyauditd,
# in qemu VMs booting Debian's stock kernels (tests/vm), where the function
# backends load (this host refuses them): bpf_stats' run_time_ns of every
# program over a `ptybench write` of 24-byte writes, the builds alternating
# in one boot (bench/capture/vm-progs-guest.sh says what is measured).
# Under TCG the absolute figures mean little; the two builds' ratio, in the
# same boot, is the figure. Root (apt-get for qemu on first use).
# Prints per kernel, backend and build the min / median / max over the
# rounds of the programs' ns per write, and leaves the raw lines in
# WORK/KERNEL/progs.txt. Exit 0, or 1 if a VM run failed, 2 on usage.
#
# --floor: one build, no base: what the first of --backends costs system
# calls off any terminal and the short-line workload, daemon off, footprint
# off and footprint on (bench/capture/vm-floor-guest.sh): min / median / max
# over the rounds of ptybench's CPU ns per call and the workload's seconds;
# raw lines in WORK/KERNEL/floor.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
usage() { [ $# -eq 0 ] || echo "vm-progs: $*" >&2; sed -n '2,4p' "$0" >&2; exit 2; }
# OPTION VALUE: the value, or a usage error naming the option that lacks one
value() { [ -n "${2-}" ] || usage "$1 needs a value"; echo "$2"; }
floor='' build='' base='' kernels='6.12 6.1' backends='fentry,kprobe' rounds=4 lines=1M work=''
while [ $# -gt 0 ]; do
    case $1 in
        --floor) floor=1 ;;
        --build) build=$(value --build "${2-}") || exit 2; shift ;;
        --base) base=$(value --base "${2-}") || exit 2; shift ;;
        --kernels) kernels=$(value --kernels "${2-}") || exit 2; shift ;;
        --backends) backends=$(value --backends "${2-}") || exit 2; shift ;;
        --rounds) rounds=$(value --rounds "${2-}") || exit 2; shift ;;
        --lines) lines=$(value --lines "${2-}") || exit 2; shift ;;
        --work) work=$(value --work "${2-}") || exit 2; shift ;;
        *) usage "unknown option '$1'" ;;
    esac
    shift
done
[ -x "$build" ] || usage "--build: '$build' is not an executable ttyauditd (ninja -C build agent/daemon/ttyauditd)"
[ -n "$floor" ] || [ -x "$base" ] ||
    usage "--base: '$base' is not an executable ttyauditd (the build to compare with; not needed with --floor)"
[ -n "$work" ] || work=$(mktemp -d /tmp/vm-progs.XXXXXX)
mkdir -p "$work"
cc -O2 -Wall -static -pthread -o "$work/ptybench" "$here/ptybench.c" -lutil
# KERNEL: the figures of one boot's raw lines
summarize_floor() {
    echo "kernel $(cat "$work/$1/uname.txt" 2>/dev/null || echo "$1"): min / median / max over the rounds"
    for what in 'syscalls cpu_ns_per_call' 'lines seconds'; do
        set -- "$1" $what
        awk -v w="$2" -v key="$3" '$3 == w { for (i = 4; i <= NF; i++) if (index($i, key "=") == 1) v[$2] = v[$2] " " substr($i, length(key) + 2) }
             END { for (s in v) print s, v[s] }' "$work/$1/floor.txt" | sort | while read -r st vals; do
            echo "$vals" | tr ' ' '\n' | sort -g | awk -v t="  $st, $2 $3" \
                '{ a[NR] = $1 } END { printf "%s: %s / %s / %s (%d rounds)\n", t, a[1], a[int((NR + 1) / 2)], a[NR], NR }'
        done
    done
    grep 'not ready' "$work/$1/floor.txt" || true
}
summarize_progs() {
    echo "kernel $(cat "$work/$1/uname.txt" 2>/dev/null || echo "$1"): programs' ns per 24-byte write, min / median / max"
    awk '$5 ~ /^ns_per_write=/ { sub(/^ns_per_write=/, "", $5); v[$2 " " $3] = v[$2 " " $3] " " $5 }
         END { for (k in v) print k, v[k] }' "$work/$1/progs.txt" | sort | while read -r b which vals; do
        echo "$vals" | tr ' ' '\n' | sort -n | awk -v t="  $b $which" \
            '{ a[NR] = $1 } END { printf "%s: %d / %d / %d (%d rounds)\n", t, a[1], a[int((NR + 1) / 2)], a[NR], NR }'
    done
    grep -v 'prog=' "$work/$1/progs.txt" | grep -v 'ns_per_write=' || true
}

if [ -n "$floor" ]; then
    mode=floor
    bins=(--bin "$build:/usr/bin/ttyauditd")
else
    mode=progs
    bins=(--bin "$build:/usr/bin/ttyauditd" --bin "$base:/usr/bin/ttyauditd-base")
fi
"$src/tests/vm/mkinitramfs.sh" "$work/$mode.cpio.gz" "${bins[@]}" --bin "$work/ptybench" \
    --script "$here/vm-$mode-guest.sh"
rc=0
for k in $kernels; do
    if ! "$src/tests/vm/run-vm.sh" --kernel "$k" --initramfs "$work/$mode.cpio.gz" \
            --results "$work/$k" --timeout 1500 \
            --append "ta.backends=$backends ta.rounds=$rounds ta.lines=$lines" > "$work/$k.log" 2>&1; then
        echo "vm-progs: $k: run failed (see $work/$k.log)" >&2
        rc=1
    fi
    [ -f "$work/$k/$mode.txt" ] && "summarize_$mode" "$k"
done
exit $rc

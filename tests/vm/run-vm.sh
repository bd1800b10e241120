#!/bin/bash
# run-vm.sh --kernel SERIES --initramfs FILE --results DIR
#           [--timeout SECS] [--mem SIZE] [--smp N] [--append "ARGS"]
#
# Boots a stock Debian 12 cloud kernel (SERIES 6.1 or 6.12, see
# fetch-kernel.sh; or a path to a vmlinuz) with an initramfs from
# mkinitramfs.sh under qemu-system-x86_64 -accel tcg -cpu max (never KVM),
# waits for it to power off, unpacks the guest's /results into DIR and exits
# with the guest script's exit code.
#
#   --timeout SECS  wall-clock limit for the whole VM (default 300). The
#                   guest script gets until SECS-30 of guest uptime (at least
#                   2/3 of SECS) and is then killed (exit code 124).
#   --mem SIZE      guest memory (default 1G); --smp N (default 2)
#   --append ARGS   extra kernel command-line arguments
# Environment: TA_VM_CACHE (kernel cache, see fetch-kernel.sh),
#   TA_VM_RESULTS_DISK_SIZE (sparse results disk, default 2G),
#   TA_VM_VERBOSE=1 copies the guest console to stderr as it runs,
#   TA_VM_QEMU (qemu binary, default qemu-system-x86_64).
#
# DIR must be absent, empty, or a previous run's results dir (then wiped).
# DIR gets the files of the guest's /results, and DIR/_vm/ gets
#   console.log  the kernel console (ttyS0: boot log and the script's output)
#   serial1.txt  the frame from the guest (ttyS1): exit code, size, sha256,
#                and the results themselves in base64 if the NVMe results
#                disk was missing or too small
#   info         kernel=, init_uptime= (s of guest uptime at /init),
#                done_uptime=, wall_s= (host seconds for the whole VM), rc=
#
# Exit codes: the guest script's (0..255; 124 = killed at its deadline,
# 125 = /results could not be packed), or from the harness itself:
#   77  SKIPPED: qemu cannot be had (printed as "SKIPPED: <reason>")
#   96  bad usage or the kernel/initramfs cannot be had
#   97  qemu failed to start or died with an error
#   98  the VM did not finish within --timeout (killed)
#   99  the VM ended without sending results (boot failure, panic, init died)
#       or the results were corrupt
# On 96..99 one line "run-vm: ..." says why, then the console's last lines.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

usage() { sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 96; }
fail() { local code=$1; shift; echo "run-vm: $*" >&2; exit "$code"; }

kernel='' initrd='' results='' timeout=300 mem=1G smp=2 append=''
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || usage
    case "$1" in
        --kernel) kernel=$2 ;;
        --initramfs) initrd=$2 ;;
        --results) results=$2 ;;
        --timeout) timeout=$2 ;;
        --mem) mem=$2 ;;
        --smp) smp=$2 ;;
        --append) append=$2 ;;
        *) echo "run-vm: unknown argument '$1'" >&2; usage ;;
    esac
    shift 2
done
[ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$results" ] || usage
[[ $timeout =~ ^[0-9]+$ ]] && [ "$timeout" -ge 20 ] || fail 96 "--timeout must be an integer >= 20"
[ -f "$initrd" ] || fail 96 "initramfs $initrd not found"

qemu=${TA_VM_QEMU:-qemu-system-x86_64}
if ! command -v "$qemu" >/dev/null 2>&1; then
    if [ -z "${TA_VM_QEMU:-}" ]; then
        ta_need qemu-system-x86_64 qemu-system-x86 >/dev/null 2>&1 || true
    fi
    command -v "$qemu" >/dev/null 2>&1 || { echo "SKIPPED: $qemu is not installed and could not be installed"; exit 77; }
fi

series=
if [ -f "$kernel" ]; then
    vmlinuz=$kernel
else
    series=$kernel
    vmlinuz=$("$here/fetch-kernel.sh" "$series") || fail 96 "cannot get the $series kernel"
fi

# Stale files must not pass for this run's: DIR must be empty, or hold a
# previous run-vm.sh result (it has _vm/), which is wiped.
if [ -d "$results" ] && [ -n "$(ls -A "$results")" ]; then
    [ -d "$results/_vm" ] || fail 96 "results dir $results is not empty (and not a previous run's)"
    find "$results" -mindepth 1 -delete
fi
mkdir -p "$results/_vm"
results=$(cd "$results" && pwd)
vmdir=$results/_vm
console=$vmdir/console.log serial1=$vmdir/serial1.txt
rm -f "$console" "$serial1" "$vmdir/info" "$vmdir/qemu.err"
# The guest writes its results tar.gz raw onto this sparse NVMe disk (the
# cloud kernels build NVMe in; virtio is a module on 6.1).
disk=$vmdir/results.disk
truncate -s "${TA_VM_RESULTS_DISK_SIZE:-2G}" "$disk"
trap 'rm -f "$disk"' EXIT

nonce=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
deadline=$((timeout - 30))
[ "$deadline" -ge $((timeout * 2 / 3)) ] || deadline=$((timeout * 2 / 3))
cmdline="console=ttyS0 panic=-1 oops=panic no_timer_check random.trust_cpu=on"
cmdline+=" ta.deadline=$deadline ta.nonce=$nonce${series:+ ta.series=$series}"
[ -z "$append" ] || cmdline+=" $append"

show_tail() {
    echo "---- last lines of $console ----" >&2
    if [ -s "$console" ]; then tail -n "${1:-25}" "$console" | tr -d '\r' >&2; else echo "(empty)" >&2; fi
    echo "----" >&2
}

start=$(date +%s.%N)
set +e
timeout --kill-after=10 "$timeout" "$qemu" \
    -accel tcg -cpu max -smp "$smp" -m "$mem" \
    -nodefaults -nographic -no-reboot -monitor none \
    -serial "file:$console" -serial "file:$serial1" \
    -drive "file=$disk,if=none,id=results,format=raw" -device nvme,drive=results,serial=taresults \
    -kernel "$vmlinuz" -initrd "$initrd" -append "$cmdline" \
    </dev/null >"$vmdir/qemu.err" 2>&1 &
qpid=$!
tailpid=
if [ -n "${TA_VM_VERBOSE:-}" ]; then
    tail -F -n +1 --pid="$qpid" "$console" 2>/dev/null >&2 &
    tailpid=$!
fi
wait "$qpid"
qrc=$?
set -e
[ -z "$tailpid" ] || wait "$tailpid" 2>/dev/null || true
wall=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')

if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
    show_tail
    fail 98 "VM ($(basename "$vmlinuz")) did not finish within ${timeout}s; killed"
fi
if [ "$qrc" != 0 ]; then
    sed 's/^/qemu: /' "$vmdir/qemu.err" >&2 || true
    show_tail
    fail 97 "qemu exited with status $qrc"
fi

# The frame: INFO lines, then base64 of a tar.gz between RESULTS markers.
frame=$(tr -d '\r' < "$serial1" 2>/dev/null || true)
endline=$(printf '%s\n' "$frame" | grep -E "^TTYAUDIT-RESULTS-END $nonce rc=" | tail -n1 || true)
if [ -z "$endline" ]; then
    show_tail 40
    panic=$(tr -d '\r' < "$console" | grep -m1 -o 'Kernel panic - .*' || true)
    fail 99 "VM ($(basename "$vmlinuz")) ended without sending results (boot failure or init died)${panic:+: $panic}"
fi
rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$endline")
size=$(sed -n 's/.* size=\([0-9]*\).*/\1/p' <<<"$endline")
sum=$(sed -n 's/.* sha256=\([0-9a-f]*\).*/\1/p' <<<"$endline")
printf '%s\n' "$frame" | sed -n "/^TTYAUDIT-INFO-BEGIN $nonce\$/,/^TTYAUDIT-INFO-END $nonce\$/p" |
    sed '1d;$d' > "$vmdir/info"
tgz=$(mktemp "$vmdir/results.XXXXXX")
if grep -qx "TTYAUDIT-RESULTS-BEGIN $nonce via=disk" <<<"$frame"; then
    head -c "$size" "$disk" > "$tgz"
else
    printf '%s\n' "$frame" | sed -n "/^TTYAUDIT-RESULTS-BEGIN $nonce via=serial\$/,/^TTYAUDIT-RESULTS-END $nonce /p" |
        sed '1d;$d' | base64 -d > "$tgz" 2>/dev/null || true
fi
rm -f "$disk"
got_size=$(wc -c < "$tgz")
got_sum=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got_size" != "$size" ] || [ "$got_sum" != "$sum" ]; then
    rm -f "$tgz"
    fail 99 "results from the VM are corrupt (got $got_size bytes, want $size)"
fi
tar -C "$results" -xzf "$tgz" || { rm -f "$tgz"; fail 99 "cannot unpack the results"; }
rm -f "$tgz"
{ echo "wall_s=$wall"; echo "rc=$rc"; } >> "$vmdir/info"
kver=$(sed -n 's/^kernel=//p' "$vmdir/info")
init_up=$(sed -n 's/^init_uptime=//p' "$vmdir/info")
echo "run-vm: $kver: /init at ${init_up}s guest uptime, VM done in ${wall}s wall, guest rc=$rc" >&2
if [ "$rc" = 124 ]; then
    show_tail
    echo "run-vm: the guest script was killed at its deadline (${deadline}s of guest uptime)" >&2
fi
exit "$rc"

#!/bin/bash
# smoke.sh [WORKDIR]
#
# Proves the VM harness on each stock Debian 12 cloud kernel series
# (${TA_VM_SERIES:-6.1 6.12}): builds fentry_smoke.bpf.o (clang -target bpf)
# and the fentry_smoke loader (libbpf), packs them with bpftool and
# util-linux `script` into an initramfs whose guest script is
# smoke-guest.sh, boots each kernel with run-vm.sh and checks that
# /sys/kernel/btf/vmlinux and kprobe_events exist, a pty works, and an
# fentry and a kprobe program on n_tty_write load, attach and count writes.
# WORKDIR (default: a temporary directory, removed afterwards) keeps the
# build, the initramfs and per-kernel results in WORKDIR/results-SERIES.
# Exit 0 all passed, 1 something failed, 77 SKIPPED (no qemu, not root, or a
# build tool that cannot be installed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

skip() { echo "SKIPPED: $*"; exit 77; }
die() { echo "vm-smoke: $*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] || skip "host is $(uname -m); the guest binaries are the host's x86_64 ones"
[ "$(id -u)" = 0 ] || skip "needs root (apt-get installs of qemu and kernels)"
ta_need qemu-system-x86_64 qemu-system-x86 || skip "qemu-system-x86_64 cannot be installed"
ta_need clang clang || skip "clang cannot be installed"
ta_need cc gcc || skip "a C compiler cannot be installed"
ta_need cpio cpio || skip "cpio cannot be installed"
[ -f /usr/include/bpf/bpf_helpers.h ] || ta_need_pkg=1
if [ -n "${ta_need_pkg:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q libbpf-dev >&2 || true
    [ -f /usr/include/bpf/bpf_helpers.h ] || skip "libbpf-dev cannot be installed"
fi
PATH=$PATH:/usr/sbin:/sbin
ta_need bpftool bpftool || skip "bpftool cannot be installed"
ta_need script bsdutils || skip "util-linux script cannot be installed"

if [ $# -ge 1 ]; then
    work=$1; rm -rf "$work"; mkdir -p "$work"
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/ta-vm-smoke.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi

multiarch=$(gcc -print-multiarch 2>/dev/null || true)
[ -n "$multiarch" ] || multiarch=x86_64-linux-gnu
clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"/usr/include/$multiarch" \
    -c "$here/fentry_smoke.bpf.c" -o "$work/fentry_smoke.bpf.o" ||
    die "cannot compile fentry_smoke.bpf.c"
cc -O2 -Wall -o "$work/fentry_smoke" "$here/fentry_smoke.c" -lbpf ||
    die "cannot build fentry_smoke"
"$here/mkinitramfs.sh" "$work/smoke.cpio.gz" \
    --bin "$work/fentry_smoke" --bin "$(command -v bpftool)" --bin "$(command -v script)" \
    --file "$work/fentry_smoke.bpf.o:/smoke/fentry_smoke.bpf.o" \
    --script "$here/smoke-guest.sh" || die "mkinitramfs failed"

passed=0 failed=0
for series in ${TA_VM_SERIES:-6.1 6.12}; do
    res=$work/results-$series
    set +e
    "$here/run-vm.sh" --kernel "$series" --initramfs "$work/smoke.cpio.gz" \
        --results "$res" --timeout 240
    rc=$?
    set -e
    [ "$rc" != 77 ] || skip "run-vm.sh skipped"
    why=
    if [ "$rc" != 0 ]; then
        why="guest exited $rc"
    else
        # The host checks the guest's verdicts too: a guest that ran no
        # check must not pass.
        for check in btf kprobe_events pty_script fentry kprobe; do
            grep -qx "PASS $check" "$res/checks.txt" 2>/dev/null || why+=" no PASS $check;"
        done
    fi
    info=$res/_vm/info
    kver=$(sed -n 's/^kernel=//p' "$info" 2>/dev/null || true)
    boot=$(sed -n 's/^init_uptime=//p' "$info" 2>/dev/null || true)
    wall=$(sed -n 's/^wall_s=//p' "$info" 2>/dev/null || true)
    if [ -z "$why" ]; then
        passed=$((passed + 1))
        echo "vm-smoke: PASS $series ($kver): /init at ${boot}s guest uptime, VM ${wall}s wall"
    else
        failed=$((failed + 1))
        echo "vm-smoke: FAIL $series ${kver:+($kver)}: $why"
        [ -f "$res/checks.txt" ] && sed 's/^/  /' "$res/checks.txt"
        grep -h 'fentry_smoke\|libbpf' "$res"/fentry.txt "$res"/kprobe.txt 2>/dev/null | sed 's/^/  /' || true
    fi
done
echo "vm-smoke: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]

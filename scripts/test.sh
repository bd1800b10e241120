#!/bin/sh
# Build ttyaudit and run every test: unit, integration (root, real kernel),
# and the VM suite (stock Debian kernels under qemu). Prints a closing line
# "N passed, N failed, N skipped". Run as root on Debian 12.
# Usage: scripts/test.sh [meson test args, e.g. --suite unit]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" test || exit 1
build="$top/build"
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null || exit 1
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?
python3 "$top/scripts/test-summary.py" "$build/meson-logs/testlog.json" || exit 1
exit $rc

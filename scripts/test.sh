#!/bin/sh
# Build ttyaudit and run every test: unit, integration (root, real kernel),
# and the VM suite (stock Debian kernels under qemu); then the unit suite
# (fuzz replays included) again in a second build with AddressSanitizer and
# UndefinedBehaviorSanitizer (build-asan/): any report fails the test.
# Prints "N passed, N failed, N skipped" per build, and last the total of
# both (the line CI reads). Run as root on Debian 12.
# Usage: scripts/test.sh [meson test args, e.g. --suite unit]
#   With arguments, only the main build runs them; TA_NO_SANITIZE=1 skips
#   the sanitizer build.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" test || exit 1
build="$top/build"
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null || exit 1
ninja -C "$build" || exit 1
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
rc=$?
if [ $# -gt 0 ] || [ "${TA_NO_SANITIZE:-}" = 1 ]; then
    python3 "$top/scripts/test-summary.py" "$build/meson-logs/testlog.json" || exit 1
    exit $rc
fi
python3 "$top/scripts/test-summary.py" --label build: "$build/meson-logs/testlog.json" || exit 1

asan="$top/build-asan"
[ -f "$asan/build.ninja" ] || meson setup "$asan" "$top" -Db_sanitize=address,undefined \
    -Db_lundef=false >/dev/null || exit 1
ninja -C "$asan" || exit 1
# UBSan reports must fail the test, not just print; leaks are reported too
# (tests/lsan.supp lists test helpers whose allocations live until exit).
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 \
LSAN_OPTIONS=suppressions="$top/tests/lsan.supp" \
    meson test -C "$asan" --print-errorlogs --num-processes 2 --suite unit
arc=$?
python3 "$top/scripts/test-summary.py" --label sanitizer: "$asan/meson-logs/testlog.json" || exit 1
python3 "$top/scripts/test-summary.py" "$build/meson-logs/testlog.json" \
    "$asan/meson-logs/testlog.json" || exit 1
[ $rc -ne 0 ] && exit $rc
exit $arc

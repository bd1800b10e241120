#!/bin/sh
# ttyaudit-ship's millisecond options are numbers in range or a usage error
# (exit 2, one line naming the option), before any key, state or NATS is
# touched: strtoul read "-1" as 4294967295 (a wait poll() took as for ever),
# "1e3" as 1 (a busy loop) and "abc" as 0.
# Usage: ship_options_test.sh TTYAUDIT-SHIP
set -u
ship=$1
tmp=$(mktemp -d /tmp/ta-ship-opts.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
fails=0
# The NATS URL names a closed port and the witness key is missing: a value that
# passes goes on to the key and fails there (exit 3), never to a connection.
for case in "--poll-ms -1" "--poll-ms 1e3" "--poll-ms abc" "--poll-ms 0" "--poll-ms 4294967296" \
            "--resend-ms -1" "--resend-ms 0" "--resend-ms 10s" "--poll-ms 3600001"; do
    # shellcheck disable=SC2086 # each case is an option and its value
    "$ship" --nats nats://127.0.0.1:1 --witness-key "$tmp/none.vkey" --log-dir "$tmp" \
        --state "$tmp/ship.state" $case >"$tmp/out" 2>"$tmp/err"
    rc=$?
    opt=${case%% *}
    if [ $rc -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$opt" "$tmp/err"; then
        echo "FAIL: $case: exit $rc, want 2 and one line naming $opt:"; cat "$tmp/err"
        fails=$((fails + 1))
    else
        echo "ok   $case: $(cat "$tmp/err")"
    fi
done
for case in "--poll-ms 10" "--poll-ms 500" "--resend-ms 100" "--resend-ms 3600000"; do
    # shellcheck disable=SC2086
    "$ship" --nats nats://127.0.0.1:1 --witness-key "$tmp/none.vkey" --log-dir "$tmp" \
        --state "$tmp/ship.state" $case >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -ne 3 ]; then
        echo "FAIL: $case: exit $rc, want 3 (accepted, then the missing key):"; cat "$tmp/err"
        fails=$((fails + 1))
    else
        echo "ok   $case accepted"
    fi
done
echo "$fails failed"
[ $fails -eq 0 ]

#!/bin/bash
# unit-security.sh UNIT [MAX]
#
# `systemd-analyze security --offline=yes` of the unit; fails if the overall
# exposure is above MAX (default 2.5; docs/service.md quotes the figure).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
unit=${1:?usage: unit-security.sh UNIT [MAX]}
max=${2:-2.5}
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
systemd-analyze security --help 2>/dev/null | grep -q -- --offline ||
    skip "this systemd-analyze has no --offline (systemd < 250)"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$unit" "$tmp/ttyauditd.service"
out=$(cd "$tmp" && systemd-analyze security --offline=yes --no-pager ./ttyauditd.service 2>&1) ||
    true  # exits non-zero when above its own threshold; we judge the figure
echo "$out" | grep -E '✗' || true
score=$(echo "$out" | sed -n 's/.*Overall exposure level for ttyauditd.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || die "no exposure score in: $out"
echo "exposure: $score (max $max)"
awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' ||
    die "exposure $score is above $max"
echo "ok: exposure $score"

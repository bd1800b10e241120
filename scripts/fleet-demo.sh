#!/bin/sh
# Brings up the whole fleet tier locally in one command (docs/fleet.md): three
# clustered nats-server nodes with TLS and per-host users, PostgreSQL made with
# initdb in a temporary directory, two collectors, and a shipper on LOGDIR (a
# ttyaudit log, e.g. /var/log/ttyaudit; default: a generated one). Prints how
# to look into PostgreSQL; Ctrl-C stops everything and removes it. Run as root.
# Usage: scripts/fleet-demo.sh [LOGDIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" test
build="$top/build"
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
ninja -C "$build" >/dev/null
[ -x "$build/agent/fleet/ttyaudit-collector" ] || {
	echo "fleet-demo: the fleet tier is not built (meson option fleet needs libnats and libpq)" >&2
	exit 1
}
TA_FLEET_DEMO=${1:-} exec python3 "$top/tests/fleet/fleet_test.py" \
	"$build/agent/fleet/ttyaudit-ship" "$build/agent/fleet/ttyaudit-collector" \
	"$build/tests/fleet/fleet_writer" "$top/agent/collector/schema.sql" "$build/agent/cli/ttyaudit"

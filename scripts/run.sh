#!/bin/sh
# Build ttyaudit and run ttyauditd in the foreground, recording every terminal
# into the default log directory (/var/log/ttyaudit). Extra arguments go to
# ttyauditd. Run as root on Debian 12.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh" build
[ -f "$top/build/build.ninja" ] || meson setup "$top/build" "$top" >/dev/null
ninja -C "$top/build" >/dev/null
exec "$top/build/agent/daemon/ttyauditd" --foreground "$@"

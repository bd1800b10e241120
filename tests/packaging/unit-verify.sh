#!/bin/bash
# unit-verify.sh BUILD_ROOT
#
# `systemd-analyze verify` of the unit as `meson install` installs it, with
# ExecStart pointing at the installed daemon and the installed man pages on
# MANPATH (so Documentation= is checked too). systemd-analyze exits 0 on
# warnings such as an unknown key, so any output at all is a failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=${1:?usage: unit-verify.sh BUILD_ROOT}
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/dest" >/dev/null
unit=$(find "$tmp/dest" -path '*/systemd/system/ttyauditd.service' | head -n1)
[ -n "$unit" ] || die "meson install installed no ttyauditd.service"
exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
[ -x "$tmp/dest$exe" ] || die "ExecStart=$exe is not installed by meson install"
man=$(find "$tmp/dest" -type d -path '*/share/man' | head -n1)
[ -f "$man/man8/ttyauditd.8" ] && [ -f "$man/man5/ttyauditd.conf.5" ] ||
    die "man pages ttyauditd(8) / ttyauditd.conf(5) not installed"
mkdir "$tmp/unit"
sed "s|^ExecStart=$exe|ExecStart=$tmp/dest$exe|" "$unit" >"$tmp/unit/ttyauditd.service"
out=$(cd "$tmp/unit" && MANPATH=$man systemd-analyze verify --man=yes ./ttyauditd.service 2>&1) ||
    die "systemd-analyze verify failed: $out"
[ -z "$out" ] || die "systemd-analyze verify complained: $out"
# The checks that matter for the product, so an edit cannot drop them silently.
for line in 'Type=notify' 'ExecStart=/usr/sbin/ttyauditd --foreground' \
            'RestartPreventExitStatus=2 3 4 5 8' 'Restart=on-failure' \
            'Before=sysinit.target systemd-user-sessions.service getty-pre.target shutdown.target' \
            'WantedBy=multi-user.target' 'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
    grep -qxF "$line" "$(dirname "$0")/../../systemd/ttyauditd.service" || die "unit lacks '$line'"
done
echo "ok: systemd-analyze verify is silent on the installed unit"

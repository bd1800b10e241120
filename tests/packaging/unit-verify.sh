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
verify_installed_unit "$build" ttyauditd.service man8/ttyauditd.8 man5/ttyauditd.conf.5
# The checks that matter for the product, so an edit cannot drop them silently.
for line in 'Type=notify' 'ExecStart=/usr/sbin/ttyauditd --foreground' \
            'RestartPreventExitStatus=2 3 4 5 8' 'Restart=on-failure' \
            'Before=sysinit.target systemd-user-sessions.service getty-pre.target shutdown.target' \
            'WantedBy=multi-user.target' 'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
    grep -qxF "$line" "$(dirname "$0")/../../systemd/ttyauditd.service" || die "unit lacks '$line'"
done
echo "ok: systemd-analyze verify is silent on the installed unit"

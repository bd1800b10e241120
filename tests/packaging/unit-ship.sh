#!/bin/bash
# unit-ship.sh BUILD_ROOT
#
# `systemd-analyze verify` of ttyaudit-ship.service as `meson install` installs
# it (ExecStart at the installed shipper, its man page on MANPATH); any output
# is a failure. Then the lines that keep its secrets from group ttyaudit and
# its hardening, so an edit cannot drop them silently (docs/fleet.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=${1:?usage: unit-ship.sh BUILD_ROOT}
verify_installed_unit "$build" ttyaudit-ship.service man8/ttyaudit-ship.8
src="$(dirname "$0")/../../systemd/ttyaudit-ship.service"
# Secrets as credentials, each with its fallback (a missing file must not fail the unit),
# passed before $SHIP_OPTS (the operator's options win); never a group-readable file.
for line in 'SetCredential=nats-password:\n' \
            'LoadCredential=nats-password:/etc/ttyaudit/ship/nats.password' \
            'SetCredential=nats-cert-key:\n' \
            'LoadCredential=nats-cert-key:/etc/ttyaudit/ship/nats-cert.key' \
            'DynamicUser=yes' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
            'PrivateIPC=yes' 'ProcSubset=pid' 'MemoryMax=512M'; do
    grep -qxF -- "$line" "$src" || die "ttyaudit-ship.service lacks '$line'"
done
grep -qE '^ExecStart=.* --password-file \$\{CREDENTIALS_DIRECTORY\}/nats-password --cert-key \$\{CREDENTIALS_DIRECTORY\}/nats-cert-key \$SHIP_OPTS$' "$src" ||
    die "ExecStart does not pass the credentials before \$SHIP_OPTS"
# IPAddressDeny= would cut every NATS server but one the unit cannot know: a drop-in (docs/fleet.md).
! grep -q '^IPAddressDeny=' "$src" || die "IPAddressDeny= belongs in the operator's drop-in"
echo "ok: ttyaudit-ship.service verifies silently; credentials and hardening in place"

#!/bin/bash
# deb-install.sh SOURCE_ROOT
#
# Builds the Debian package from a copy of the tree (so no artefact lands in
# the repository) with `dpkg-buildpackage -us -uc -b`, installs it with its
# dependencies into a fresh Debian 12 minbase root (debootstrap, cached under
# ${TA_PKG_CACHE:-/var/cache/ttyaudit-tests}), and checks what landed where:
# programs, unit (enabled), man pages, the auditd plugin file (inactive), the
# ttyaudit group, /var/log/ttyaudit (2750 root:ttyaudit). It then runs the
# installed daemon in the root for a few seconds with the shipped
# configuration (host kernel, tracepoint backend) to check the files it
# creates, and purges: the log must survive a plain purge and go with
# TTYAUDIT_PURGE_LOGS=1.
# Needs root and network access to a Debian mirror (TA_PKG_MIRROR).
# TA_PKG_KEEP=1 keeps the work directory; TA_PKG_DEB=FILE skips the build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
src=$(cd "${1:?usage: deb-install.sh SOURCE_ROOT}" && pwd)
[ "$(id -u)" = 0 ] || skip "needs root (dpkg-buildpackage dependencies, debootstrap, chroot)"
need debootstrap debootstrap
need chattr e2fsprogs

work=$(mktemp -d "${TMPDIR:-/var/tmp}/ta-deb.XXXXXX")
root=$work/root
trap 'safe_cleanup "$work" "$root"' EXIT
step() { echo "== $*"; }

# ---------------------------------------------------------------- build
deb=$(build_deb "$src" "$work")
[ -f "$deb" ] || die "no .deb produced"
echo "built $(basename "$deb")"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' | sort >"$work/contents"
for f in /usr/sbin/ttyauditd /usr/sbin/audisp-ttyaudit /usr/bin/ttyaudit \
         /lib/systemd/system/ttyauditd.service /usr/lib/tmpfiles.d/ttyaudit.conf \
         /usr/share/man/man8/ttyauditd.8.gz /usr/share/man/man5/ttyauditd.conf.5.gz \
         /usr/share/man/man8/audisp-ttyaudit.8.gz /etc/audit/plugins.d/ttyaudit.conf \
         /etc/ttyaudit/ttyauditd.conf; do
    grep -qxF "$f" "$work/contents" || die "package lacks $f"
done

# ------------------------------------------------------------- install
step "Debian 12 root"
mkdir "$root"
bookworm_root "$root"
chroot_mounts "$root"
cp "$deb" "$root/tmp/ttyaudit.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive "$@"; }
step "apt-get install ./ttyaudit.deb"
in_root apt-get update -q >"$work/apt.log" 2>&1 || { tail "$work/apt.log"; die "apt-get update failed in the root"; }
in_root apt-get install -y -q --no-install-recommends /tmp/ttyaudit.deb >>"$work/apt.log" 2>&1 ||
    { tail -n 30 "$work/apt.log"; die "apt-get install of the package failed"; }
grep -i 'warning\|error' "$work/apt.log" | grep -v 'debconf' || true

step "checks"
for f in /usr/sbin/ttyauditd /usr/sbin/audisp-ttyaudit /usr/bin/ttyaudit; do
    [ -x "$root$f" ] || die "$f is not installed executable"
done
[ -f "$root/lib/systemd/system/ttyauditd.service" ] || die "unit not installed"
[ -L "$root/etc/systemd/system/multi-user.target.wants/ttyauditd.service" ] ||
    die "ttyauditd.service is not enabled (no multi-user.target.wants link)"
for m in man8/ttyauditd.8.gz man5/ttyauditd.conf.5.gz man8/audisp-ttyaudit.8.gz; do
    [ -f "$root/usr/share/man/$m" ] || die "man page $m not installed"
done
plugin=$root/etc/audit/plugins.d/ttyaudit.conf
grep -qx 'active = no' "$plugin" || die "auditd plugin file is not inactive"
grep -qx 'path = /usr/sbin/audisp-ttyaudit' "$plugin" || die "auditd plugin path is wrong"
in_root dpkg-query -W -f='${Conffiles}\n' ttyaudit | grep -q '/etc/ttyaudit/ttyauditd.conf' ||
    die "ttyauditd.conf is not a conffile"
in_root getent group ttyaudit >/dev/null || die "no ttyaudit group"
[ "$(in_root stat -c '%a %U %G' /var/log/ttyaudit)" = "2750 root ttyaudit" ] ||
    die "/var/log/ttyaudit is $(in_root stat -c '%a %U %G' /var/log/ttyaudit), want 2750 root ttyaudit"
[ "$(in_root stat -c '%a %U' /var/lib/ttyaudit)" = "700 root" ] || die "/var/lib/ttyaudit is not 0700 root"
v=$(in_root ttyauditd --version) || die "ttyauditd --version failed"
[[ $v == "ttyauditd "[0-9]* ]] || die "ttyauditd --version printed '$v'"
echo "$v"
in_root ttyaudit --help >"$work/help" 2>&1 || die "ttyaudit --help failed: $(cat "$work/help")"
grep -qi 'usage' "$work/help" || die "ttyaudit --help printed no usage"
# The shipped configuration must parse: a bad one exits 3 before anything else.
rc=0; in_root ttyauditd --config /etc/ttyaudit/ttyauditd.conf --ring-size 3 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || die "usage error gave exit $rc"
echo 'bogus = 1' >"$root/tmp/bad.conf"
rc=0; out=$(in_root ttyauditd --config /tmp/bad.conf 2>&1) || rc=$?
[ "$rc" = 3 ] && [[ $out == *"/tmp/bad.conf:1: unknown key 'bogus'"* ]] ||
    die "bad configuration: exit $rc, '$out'"

# The installed daemon with the shipped configuration, on the host kernel.
step "running the installed ttyauditd in the root"
if [ -r /sys/kernel/btf/vmlinux ]; then
    in_root timeout -s TERM 60 ttyauditd --foreground >"$work/run.log" 2>&1 &
    rpid=$!
    for _ in $(seq 300); do
        grep -q 'recording with backend' "$work/run.log" && break
        kill -0 "$rpid" 2>/dev/null || break
        sleep 0.2
    done
    sleep 1
    # $rpid is chroot -> env -> timeout, which passes SIGTERM on to the daemon.
    kill -TERM "$rpid" 2>/dev/null || true
    rc=0; wait "$rpid" || rc=$?
    cat "$work/run.log"
    grep -q 'recording with backend' "$work/run.log" || die "the installed daemon did not start"
    [ -f "$root/var/lib/ttyaudit/signing.key" ] || die "no signing key in /var/lib/ttyaudit"
    [ "$(stat -c %a "$root/var/lib/ttyaudit/signing.key")" = 600 ] || die "signing key is not 0600"
    ls "$root"/var/log/ttyaudit/seg-*.log >/dev/null 2>&1 || die "no log segment written"
    [ ! -e "$root/var/log/ttyaudit/ttyaudit.key" ] || die "a signing key landed in the log directory"
    bad=$(find "$root/var/log/ttyaudit" -mindepth 1 ! -group "$(in_root getent group ttyaudit | cut -d: -f3)")
    [ -z "$bad" ] || die "files in the log directory not in group ttyaudit: $bad"
else
    echo "no /sys/kernel/btf/vmlinux on this host: daemon run skipped"
fi

# ----------------------------------------------------------------- purge
step "purge keeps the log"
in_root apt-get purge -y -q ttyaudit >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; die "purge failed"; }
[ -d "$root/var/log/ttyaudit" ] || die "purge removed /var/log/ttyaudit"
grep -q 'kept the terminal log' "$work/purge.log" || die "purge did not say it kept the log"
[ ! -e "$root/usr/sbin/ttyauditd" ] || die "purge left /usr/sbin/ttyauditd"
[ ! -e "$root/etc/ttyaudit/ttyauditd.conf" ] || die "purge left the conffile"

step "purge with TTYAUDIT_PURGE_LOGS=1 removes it"
in_root apt-get install -y -q --no-install-recommends /tmp/ttyaudit.deb >"$work/apt2.log" 2>&1 ||
    { tail "$work/apt2.log"; die "reinstall failed"; }
[ "$(in_root stat -c '%a %U %G' /var/log/ttyaudit)" = "2750 root ttyaudit" ] ||
    die "reinstall over a kept log: /var/log/ttyaudit is not 2750 root:ttyaudit"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin TTYAUDIT_PURGE_LOGS=1 \
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q ttyaudit >"$work/purge2.log" 2>&1 ||
    { cat "$work/purge2.log"; die "purge with TTYAUDIT_PURGE_LOGS=1 failed"; }
[ ! -e "$root/var/log/ttyaudit" ] || die "TTYAUDIT_PURGE_LOGS=1 purge kept /var/log/ttyaudit"
[ ! -e "$root/var/lib/ttyaudit" ] || die "TTYAUDIT_PURGE_LOGS=1 purge kept /var/lib/ttyaudit"

echo "ok: package builds, installs, lands where it should, runs, and purges as documented"

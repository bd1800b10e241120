#!/bin/sh
# Install what ttyaudit needs to build, run and test, from Debian 12's packages.
# Usage: scripts/deps.sh [build|test|bench]   (run as root; bench: test's and pgbouncer,
# for the fleet query benchmark's pooled figure)
set -eu
kind=${1:-build}
build_pkgs="meson ninja-build pkg-config gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev
  libssl-dev libzstd-dev libaudit-dev libauparse-dev libcap-ng-dev libvterm-dev libnats-dev libpq-dev"
test_pkgs="python3 util-linux bsdutils tmux screen sudo auditd openssh-server openssh-client
  qemu-system-x86 busybox-static cpio e2fsprogs procps iproute2 dpkg-dev debootstrap
  golang-go golang-golang-x-mod-dev asciinema chromium npm nats-server postgresql-15 openssl"
pkgs=$build_pkgs
[ "$kind" = test ] && pkgs="$build_pkgs $test_pkgs"
[ "$kind" = bench ] && pkgs="$build_pkgs $test_pkgs pgbouncer"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  # npm also comes with Node.js builds that are not Debian's (and conflict with its npm):
  # any npm on the PATH will do.
  [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
  missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing; run this as root to install them" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

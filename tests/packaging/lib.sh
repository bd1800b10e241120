# shellcheck shell=bash
# Helpers sourced by the tests/packaging scripts (not run on its own).

# ta_debian_mirror [SUITE]
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian-mirror.sh"

# skip REASON: print why and exit 77 (meson: SKIP).
skip() { echo "SKIPPED: $*" >&2; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }

# need CMD PKG: make CMD available, installing Debian package PKG with apt-get
# if it is absent. Skips the test (77) if that is impossible.
need() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
        skip "$cmd not found and cannot apt-get install $pkg (not root or no apt-get)"
    echo "installing $pkg (for $cmd)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >&2 ||
        { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
          DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >&2 || true; }
    hash -r
    command -v "$cmd" >/dev/null 2>&1 || skip "$cmd still not found after installing $pkg"
}

# bookworm_root DEST: a fresh Debian 12 minbase root in DEST (an empty dir).
# The first call runs debootstrap and keeps a tarball of the result in
#   ${TA_PKG_CACHE:-/var/cache/ttyaudit-tests}/debootstrap/bookworm-minbase.tar.gz
# later calls unpack it (seconds instead of minutes). Mirror: TA_PKG_MIRROR
# (default: the one this machine's own apt sources use for bookworm).
bookworm_root() {
    local dest=$1 cache=${TA_PKG_CACHE:-/var/cache/ttyaudit-tests}/debootstrap
    local tarball=$cache/bookworm-minbase.tar.gz
    local mirror=${TA_PKG_MIRROR:-} security
    [ -n "$mirror" ] || mirror=$(ta_debian_mirror bookworm) ||
        die "cannot tell this machine's Debian mirror from its apt sources; set TA_PKG_MIRROR"
    security=$(ta_debian_mirror bookworm-security) || security=${mirror%/debian}/debian-security
    mkdir -p "$cache" || die "cannot create $cache"
    (
        flock 9
        if [ ! -s "$tarball" ]; then
            need debootstrap debootstrap
            local tmp
            tmp=$(mktemp -d "$cache/.root.XXXXXX")
            echo "debootstrap --variant=minbase bookworm (first run; cached afterwards)" >&2
            if ! debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
                tail -n 20 "$cache/debootstrap.log" >&2
                rm -rf "$tmp"
                exit 1
            fi
            # Updates and security too, so dependencies match the build host.
            cat >"$tmp/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SRC
            tar czf "$tarball.tmp" -C "$tmp" . && mv "$tarball.tmp" "$tarball"
            rm -rf "$tmp"
        fi
    ) 9>"$cache/.lock" || die "debootstrap failed (log: $cache/debootstrap.log)"
    tar xzf "$tarball" -C "$dest" || die "cannot unpack $tarball"
}

# chroot_mounts ROOT / chroot_umounts ROOT: /proc, /dev for apt and dpkg; /sys
# with its submounts (BTF, tracefs) for running the daemon in the root.
chroot_mounts() {
    local r=$1
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --make-rslave "$r/sys"
    mount --bind /dev "$r/dev"
    mount --bind /dev/pts "$r/dev/pts"
    cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
}
chroot_umounts() {
    local r=$1 m
    for m in dev/pts dev sys proc; do
        if mountpoint -q "$r/$m"; then umount -R -l "$r/$m"; fi
    done
    return 0
}

# build_deb SRC WORK: copies the tree SRC (without .git and build directories)
# to WORK/src, puts packaging/debian at debian/, installs missing build
# dependencies, runs `dpkg-buildpackage -us -uc -b` (log: WORK/build.log) and
# prints the path of the .deb. TA_PKG_DEB=FILE: print FILE, build nothing.
build_deb() {
    local src=$1 work=$2 d missing pkgs
    if [ -n "${TA_PKG_DEB:-}" ]; then
        [ -f "$TA_PKG_DEB" ] || die "TA_PKG_DEB=$TA_PKG_DEB does not exist"
        echo "$TA_PKG_DEB"
        return
    fi
    need dpkg-buildpackage dpkg-dev
    need dh debhelper
    echo "== copying the tree" >&2
    mkdir "$work/src"
    local excludes=(--exclude=./.git)
    while IFS= read -r d; do
        excludes+=("--exclude=./${d#"$src"/}")
    done < <(find "$src" -mindepth 2 -maxdepth 2 -name meson-private -printf '%h\n')
    tar -C "$src" "${excludes[@]}" -cf - . | tar -C "$work/src" -xf -
    rm -rf "$work/src/debian"
    cp -a "$work/src/packaging/debian" "$work/src/debian"
    echo "== build dependencies" >&2
    if ! missing=$(cd "$work/src" && dpkg-checkbuilddeps 2>&1); then
        pkgs=$(sed -n 's/.*Unmet build dependencies: //p' <<<"$missing" |
               sed 's/([^)]*)//g; s/|[^ ]*//g')
        echo "installing build dependencies: $pkgs" >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >&2 ||
            die "cannot install build dependencies: $pkgs"
    fi
    echo "== dpkg-buildpackage -us -uc -b" >&2
    if ! (cd "$work/src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
            dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
        tail -n 60 "$work/build.log" >&2
        die "dpkg-buildpackage failed (whole log: $work/build.log, kept with TA_PKG_KEEP=1)"
    fi
    ls "$work"/ttyaudit_*.deb | head -n1
}

# safe_cleanup WORK ROOT: unmounts ROOT's mounts and removes WORK, but never
# walks into a mount left behind (a bind of the host's /dev or /sys).
safe_cleanup() {
    local work=$1 root=$2
    chroot_umounts "$root" 2>/dev/null || true
    if [ "${TA_PKG_KEEP:-0}" = 1 ]; then echo "kept $work"; return; fi
    if findmnt -rn -o TARGET | grep -q "^$work/"; then
        echo "mounts remain under $work; not removing it" >&2
        return
    fi
    chattr -R -a "$work" 2>/dev/null || true
    rm -rf "$work"
}

# verify_installed_unit BUILD_ROOT UNIT MANPAGE...: `meson install` into a
# temporary root, then `systemd-analyze verify` of UNIT as installed, with
# ExecStart at the installed program and the installed man pages on MANPATH
# (Documentation= is checked too). systemd-analyze exits 0 on warnings such as
# an unknown key, so any output at all is a failure. MANPAGE: "man8/NAME.8".
verify_installed_unit() {
    local build=$1 name=$2; shift 2
    command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
    local tmp; tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/dest" >/dev/null
    local unit; unit=$(find "$tmp/dest" -path "*/systemd/system/$name" | head -n1)
    [ -n "$unit" ] || die "meson install installed no $name"
    local exe; exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$unit")
    [ -x "$tmp/dest$exe" ] || die "ExecStart=$exe is not installed by meson install"
    local man; man=$(find "$tmp/dest" -type d -path '*/share/man' | head -n1)
    local page
    for page in "$@"; do
        [ -f "$man/$page" ] || die "man page $page not installed"
    done
    mkdir "$tmp/unit"
    sed "s|^ExecStart=$exe|ExecStart=$tmp/dest$exe|" "$unit" >"$tmp/unit/$name"
    local out
    out=$(cd "$tmp/unit" && MANPATH=$man systemd-analyze verify --man=yes "./$name" 2>&1) ||
        die "systemd-analyze verify failed: $out"
    [ -z "$out" ] || die "systemd-analyze verify complained: $out"
}

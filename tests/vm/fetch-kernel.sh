#!/bin/bash
# fetch-kernel.sh SERIES
#
# Prints the path of a stock Debian cloud kernel (vmlinuz) of SERIES
# ("5.10", "6.1" or "6.12"), fetching it on first use.
#
#   SERIES 5.10  -> linux-image-5.10.0-NN-cloud-amd64[-unsigned]   (Debian 11)
#   SERIES 6.1   -> linux-image-6.1.0-NN-cloud-amd64[-unsigned]
#   SERIES 6.12  -> linux-image-6.12.NN+deb12-cloud-amd64[-unsigned]
#
# Debian 11's kernels come through a private apt configuration under the
# cache (a bullseye source on the mirror this machine's own sources use);
# the machine's apt sources and lists are never changed.
#
# The newest version apt-cache knows is chosen at run time (run
# `apt-get update` first if it knows none); the package is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x` into
#   ${TA_VM_CACHE:-/var/cache/ttyaudit-tests}/kernels/<package>_<version>/
# which keeps boot/vmlinuz-*, boot/config-*, boot/System.map-* and
# lib/modules/*/modules.builtin (the modules themselves are dropped).
# A kernel already unpacked there is reused; if apt cannot answer or the
# download fails, the newest cached kernel of SERIES is used instead.
#
# Output: one line on stdout, the absolute path of the vmlinuz.
# Messages go to stderr. Exit 0 on success, 1 on error, 2 on bad usage.
# Environment: TA_VM_CACHE (cache root), TA_VM_KERNEL_PACKAGE (use this exact
# package name instead of the newest one), TA_VM_NO_APT_UPDATE=1 (never run
# `apt-get update`).
set -euo pipefail

die() { echo "fetch-kernel: $*" >&2; exit 1; }
log() { echo "fetch-kernel: $*" >&2; }

[ $# -eq 1 ] || { echo "usage: $0 5.10|6.1|6.12" >&2; exit 2; }
series=$1
suite=''
case "$series" in
    5.10) pattern='^linux-image-5\.10\.0-[0-9]+-cloud-amd64(-unsigned)?$'; suite=bullseye ;;
    6.1)  pattern='^linux-image-6\.1\.0-[0-9]+-cloud-amd64(-unsigned)?$' ;;
    6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64(-unsigned)?$' ;;
    *) echo "fetch-kernel: unknown series '$series' (want 5.10, 6.1 or 6.12)" >&2; exit 2 ;;
esac

cache=${TA_VM_CACHE:-/var/cache/ttyaudit-tests}
kdir=$cache/kernels
mkdir -p "$kdir" || die "cannot create cache directory $kdir"

# apt/apt-cache/apt-get with the private configuration of another suite, or as they are.
apt_opts=()
if [ -n "$suite" ]; then
    . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
    adir=$cache/apt-$suite
    mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial" || die "cannot create $adir"
    if [ ! -s "$adir/sources.list" ]; then
        mirror=$(ta_debian_mirror bookworm || ta_debian_mirror bullseye) ||
            die "cannot tell this machine's Debian mirror from its apt sources"
        echo "deb $mirror $suite main" > "$adir/sources.list"
    fi
    apt_opts=(-o "Dir::Etc::SourceList=$adir/sources.list" -o "Dir::Etc::SourceParts=/nonexistent"
              -o "Dir::State::Lists=$adir/lists" -o "Dir::Cache=$adir/cache"
              -o "APT::Sandbox::User=root")
fi

# One fetch at a time per cache (tests may run in parallel).
if command -v flock >/dev/null; then
    exec 9>"$kdir/.lock"
    flock 9
fi

# Newest cached vmlinuz of this series, or nothing.
cached_newest() {
    local d
    for d in "$kdir"/*/; do
        [ -d "$d" ] || continue
        local name
        name=$(basename "$d")
        [[ ${name%%_*} =~ $pattern ]] || continue
        ls "$d"boot/vmlinuz-* 2>/dev/null | head -n1
    done | sort -V | tail -n1
}

list_candidates() {
    # Package names of the series that apt can actually download (have a candidate).
    apt-cache "${apt_opts[@]}" pkgnames linux-image- 2>/dev/null | grep -E "$pattern" | sort -V || true
}

choose_package() {
    local names pkg
    names=$(list_candidates)
    if [ -z "$names" ] && [ -z "${TA_VM_NO_APT_UPDATE:-}" ]; then
        log "apt-cache knows no $series cloud kernel; running apt-get update"
        apt-get "${apt_opts[@]}" update -qq >&2 || log "apt-get update failed"
        names=$(list_candidates)
    fi
    [ -n "$names" ] || return 0
    # Newest ABI first; prefer -unsigned (plain bzImage), else the signed one.
    local best_abi
    best_abi=$(printf '%s\n' "$names" | sed 's/-unsigned$//' | sort -Vu | tail -n1)
    for pkg in "$best_abi-unsigned" "$best_abi"; do
        # (no `| grep -q` on apt-cache: with pipefail its SIGPIPE fails the test)
        local policy
        policy=$(apt-cache "${apt_opts[@]}" policy "$pkg" 2>/dev/null || true)
        if [[ $'\n'$names$'\n' == *$'\n'$pkg$'\n'* ]] && [[ $policy == *'Candidate: '[0-9]* ]]; then
            echo "$pkg"; return 0
        fi
    done
}

pkg=${TA_VM_KERNEL_PACKAGE:-}
[ -n "$pkg" ] || pkg=$(choose_package)

if [ -n "$pkg" ]; then
    ver=$(apt-cache "${apt_opts[@]}" policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p' || true)
    ver=${ver%%$'\n'*}
    if [ -n "$ver" ] && [ "$ver" != "(none)" ]; then
        dest=$kdir/${pkg}_${ver//:/%3a}
        vmlinuz=$(ls "$dest"/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
        if [ -n "$vmlinuz" ]; then
            echo "$vmlinuz"; exit 0
        fi
        tmp=$(mktemp -d "$kdir/.dl.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        log "downloading $pkg $ver"
        # -o APT::Sandbox::User=root: the temp dir is not readable by _apt.
        if (cd "$tmp" && apt-get "${apt_opts[@]}" download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2); then
            deb=$(ls "$tmp"/*.deb | head -n1)
            mkdir -p "$tmp/x"
            dpkg-deb -x "$deb" "$tmp/x" || die "dpkg-deb -x failed on $deb"
            mkdir -p "$tmp/keep/boot"
            cp -a "$tmp"/x/boot/. "$tmp/keep/boot/"
            for mb in "$tmp"/x/lib/modules/*/modules.builtin "$tmp"/x/usr/lib/modules/*/modules.builtin; do
                [ -f "$mb" ] || continue
                rel=${mb#"$tmp"/x/}
                mkdir -p "$tmp/keep/$(dirname "$rel")"
                cp "$mb" "$tmp/keep/$rel"
            done
            ls "$tmp"/keep/boot/vmlinuz-* >/dev/null 2>&1 || die "no boot/vmlinuz-* in $deb"
            rm -rf "$dest"
            mv "$tmp/keep" "$dest"
            echo "$(ls "$dest"/boot/vmlinuz-* | head -n1)"
            exit 0
        fi
        log "apt-get download $pkg=$ver failed"
    else
        log "package $pkg has no install candidate"
    fi
else
    log "apt-cache lists no $series cloud kernel package"
fi

fallback=$(cached_newest)
[ -n "$fallback" ] || die "no $series cloud kernel available (apt and cache $kdir both failed)"
log "using cached $fallback"
echo "$fallback"

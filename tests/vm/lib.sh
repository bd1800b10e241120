# shellcheck shell=bash
# Helpers sourced by the tests/vm scripts (not run on its own).

# ta_need CMD PKG: make CMD available, installing Debian package PKG with
# apt-get if it is absent (running `apt-get update` once if the package is
# not found). Returns 1 (after printing why) if it still is not there.
ta_need() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "$cmd not found and cannot apt-get install $pkg (not root or no apt-get)" >&2
        return 1
    fi
    echo "installing $pkg (for $cmd)" >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >&2; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >&2 || true
    fi
    hash -r
    command -v "$cmd" >/dev/null 2>&1 && return 0
    echo "$cmd still not found after installing $pkg" >&2
    return 1
}

# ta_is_static FILE: true if FILE is an ELF executable without an interpreter.
ta_is_static() {
    local out
    out=$(LC_ALL=C ldd "$1" 2>&1 || true)
    case "$out" in
        *"not a dynamic executable"*|*"statically linked"*) return 0 ;;
    esac
    return 1
}


# ta_debian_mirror: tests/lib/debian-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian-mirror.sh"

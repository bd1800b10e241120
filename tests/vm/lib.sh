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

# ta_debian_mirror [SUITE]: the archive URI this machine's own apt sources use
# for SUITE (default bookworm), read from sources.list and sources.list.d (one-
# line and deb822 forms). Nothing is hard-wired: tests follow the machine's mirror.
ta_debian_mirror() {
    local suite=${1:-bookworm} f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v s="$suite" '$1 == "deb" { u = ""; for (i = 2; i <= NF; i++) {
                if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; continue }
                if (u == "") { u = $i; continue }
                if ($i == s) { print u; exit } break } }' "$f"
    done | head -n1 | grep . && return 0
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" } {
                u = ""; ok = 0
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, a, " "); u = a[1] }
                    if ($i ~ /^Suites:/) { n = split($i, b, /[ \t]+/); for (j = 2; j <= n; j++) if (b[j] == s) ok = 1 }
                }
                if (ok && u != "") { print u; exit } }' "$f"
    done | head -n1 | grep .
}

# shellcheck shell=bash
# Sourced by the vm and packaging tests (not run on its own).

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

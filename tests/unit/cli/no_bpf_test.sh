#!/bin/sh
# The investigator's programs link the core library only: no libbpf, no libelf,
# no BPF skeleton (a reader's or collector's machine needs no BPF toolchain).
# Usage: no_bpf_test.sh PROGRAM...
set -u
readelf=$(command -v readelf) || { echo "SKIPPED: readelf (binutils) is not installed"; exit 77; }
rc=0
for p in "$@"; do
    needed=$("$readelf" -d "$p" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    case " $needed" in
        *" libbpf"*|*" libelf"*) echo "FAIL: $p links $needed"; rc=1 ;;
    esac
    if grep -q 'ttyaudit_bpf__' "$p"; then
        echo "FAIL: $p carries the BPF skeleton"; rc=1
    fi
    echo "$p: $needed"
done
exit $rc

#!/bin/sh
# Every start of ttyaudit maps and relocates the libraries it is linked with;
# those only some commands need (libpq, libvterm, libauparse and the libaudit
# and libcap-ng it brings) are loaded by those commands (base/dl_table.h).
# Usage: start_libraries_test.sh TTYAUDIT
set -u
readelf=$(command -v readelf) || { echo "SKIPPED: readelf (binutils) is not installed"; exit 77; }
needed=$("$readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
echo "$1: $needed"
[ -n "$needed" ] || { echo "FAIL: no NEEDED entries read"; exit 1; }
rc=0
for lib in $needed; do
    case "$lib" in
        libcrypto.so.*|libzstd.so.*|libz.so.*|libc.so.*) ;;
        libasan.so.*|libubsan.so.*|libtsan.so.*|liblsan.so.*) ;; # a sanitizer build's runtime
        *) echo "FAIL: $lib is linked: every command pays for it at start"; rc=1 ;;
    esac
done
exit $rc

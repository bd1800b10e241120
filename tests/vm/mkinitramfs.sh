#!/bin/bash
# mkinitramfs.sh OUT [--bin PATH[:DEST]]... [--file SRC:DEST]... --script GUEST_SCRIPT
#
# Builds a small initramfs for run-vm.sh: busybox-static (every applet as a
# symlink in /bin), the given programs with all their shared libraries
# (resolved with ldd, dynamic loader included, plus libgcc_s for glibc's
# pthread_cancel), the given extra files, and an /init that:
#   - mounts proc, sysfs, devtmpfs (/dev), devpts (/dev/pts, ptmxmode=0666,
#     /dev/ptmx -> pts/ptmx), tracefs (/sys/kernel/tracing), debugfs
#     (/sys/kernel/debug), bpffs (/sys/fs/bpf), cgroup2 (/sys/fs/cgroup),
#     tmpfs on /tmp /run /dev/shm; brings up lo; sets hostname "ttyaudit-vm";
#   - runs GUEST_SCRIPT (installed as /guest/script, executable: its #! must
#     name an interpreter in the image, /bin/sh is busybox ash) in a new
#     session with the serial console /dev/ttyS0 as its controlling tty and
#     stdin/stdout/stderr, cwd /, and the environment
#       TA_VM=1  RESULTS=/results  TA_VM_SERIES=<series given to run-vm.sh>
#       PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
#       TA_NAME=VALUE for each ta.NAME=VALUE given with run-vm.sh --append
#     (shipped programs in /usr/bin come before busybox applets in /bin);
#   - kills the script's process group when its time is up (the deadline
#     comes from run-vm.sh on the kernel command line; exit code 124 then);
#   - AFTER the script is done, sends /results (tar.gz, base64) and the exit
#     code to the host over the second serial port /dev/ttyS1 between marker
#     lines, then `poweroff -f`.
# The guest script writes whatever the host should get into /results.
#
#   --bin PATH[:DEST]   program to ship; DEST defaults to /usr/bin/<name>.
#                       Static binaries and scripts are copied as they are.
#                       util-linux's /usr/bin/script, /usr/bin/stty... can be
#                       shipped this way (busybox has stty but no `script`).
#   --file SRC:DEST     file or directory (copied recursively) to put at DEST.
#   --script FILE       the guest script (required).
# OUT ending in .gz is gzip-compressed, otherwise a plain newc cpio.
# /etc/passwd has root (0), alice (1001), bob (1002) and nobody; /etc/group
# matches; --file can replace them. Exit 0 on success, 1 on error, 2 on usage.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

die() { echo "mkinitramfs: $*" >&2; exit 1; }
usage() { sed -n '2,3p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -ge 1 ] || usage
out=$1; shift
case "$out" in -*) usage ;; esac
bins=() files=() script=''
while [ $# -gt 0 ]; do
    case "$1" in
        --bin)    [ $# -ge 2 ] || usage; bins+=("$2"); shift 2 ;;
        --file)   [ $# -ge 2 ] || usage; files+=("$2"); shift 2 ;;
        --script) [ $# -ge 2 ] || usage; script=$2; shift 2 ;;
        -h|--help) usage ;;
        *) echo "mkinitramfs: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$script" ] || { echo "mkinitramfs: --script is required" >&2; usage; }
[ -f "$script" ] || die "guest script $script not found"

ta_need cpio cpio || die "cpio is needed"
ta_need gzip gzip || die "gzip is needed"

# A static busybox: the `busybox` package's binary is dynamic; busybox-static
# provides /bin/busybox static (the two packages replace each other).
busybox=
for c in "${TA_VM_BUSYBOX:-}" /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && ta_is_static "$c" && { busybox=$c; break; }
done
if [ -z "$busybox" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "mkinitramfs: installing busybox-static" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2 ||
            { apt-get update -q >&2 || true
              DEBIAN_FRONTEND=noninteractive apt-get install -y -q busybox-static >&2 || true; }
    fi
    for c in /bin/busybox /usr/bin/busybox; do
        [ -x "$c" ] && ta_is_static "$c" && { busybox=$c; break; }
    done
fi
[ -n "$busybox" ] || die "no static busybox (install busybox-static)"

root=$(mktemp -d "${TMPDIR:-/tmp}/ta-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root,results,guest,var/log,lib,lib64}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$root/bin/$applet"
done

# copy_into SRC DEST: copy a file following symlinks, creating parents.
copy_into() {
    mkdir -p "$root$(dirname "$2")"
    cp -L "$1" "$root$2"
}

# Shared libraries of an ELF file, as absolute paths (loader included).
libs_of() {
    LC_ALL=C ldd "$1" 2>/dev/null | awk '
        /=> not found/ { print "MISSING " $1; next }
        $2 == "=>" && $3 ~ /^\// { print $3; next }
        $1 ~ /^\// { print $1 }'
}

declare -A have_lib=()
add_libs() {
    local f=$1 lib
    ta_is_static "$f" && return 0
    head -c 4 "$f" | grep -q 'ELF' || return 0       # scripts: nothing to resolve
    while read -r lib; do
        case "$lib" in MISSING*) die "${lib#MISSING } (needed by $f) not found by ldd" ;; esac
        [ -n "${have_lib[$lib]:-}" ] && continue
        have_lib[$lib]=1
        copy_into "$lib" "$lib"
    done < <(libs_of "$f")
}

for spec in "${bins[@]}"; do
    src=${spec%%:*}
    if [ "$src" != "$spec" ]; then dest=${spec#*:}; else dest=/usr/bin/$(basename "$src"); fi
    [ -f "$src" ] || die "--bin $src: no such file"
    case "$dest" in /*) ;; *) die "--bin $spec: DEST must be absolute" ;; esac
    copy_into "$src" "$dest"
    chmod 0755 "$root$dest"
    add_libs "$src"
done

# glibc dlopens libgcc_s for pthread_cancel/exit; ldd cannot see that.
if [ ${#have_lib[@]} -gt 0 ]; then
    for g in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
        [ -f "$g" ] && { copy_into "$g" /lib/x86_64-linux-gnu/libgcc_s.so.1; break; }
    done
fi

for spec in "${files[@]}"; do
    src=${spec%%:*}; dest=${spec#*:}
    [ "$src" != "$spec" ] || die "--file $spec: want SRC:DEST"
    case "$dest" in /*) ;; *) die "--file $spec: DEST must be absolute" ;; esac
    [ -e "$src" ] || die "--file $src: no such file or directory"
    mkdir -p "$root$(dirname "$dest")"
    if [ -d "$src" ]; then
        mkdir -p "$root$dest"
        cp -a "$src"/. "$root$dest/"
    else
        cp -L "$src" "$root$dest"
    fi
done

cp "$script" "$root/guest/script"
chmod 0755 "$root/guest/script"

[ -e "$root/etc/passwd" ] || cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
alice:x:1001:1001:alice:/home/alice:/bin/sh
bob:x:1002:1002:bob:/home/bob:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
[ -e "$root/etc/group" ] || cat > "$root/etc/group" <<'GR'
root:x:0:
tty:x:5:
alice:x:1001:
bob:x:1002:
nogroup:x:65534:
GR
mkdir -p "$root/home/alice" "$root/home/bob"
chown 1001:1001 "$root/home/alice" 2>/dev/null || true
chown 1002:1002 "$root/home/bob" 2>/dev/null || true
echo ttyaudit-vm > "$root/etc/hostname"

cp "$here/guest-init.sh" "$root/init"
chmod 0755 "$root/init"

mkdir -p "$(dirname "$out")"
tmpout=$(mktemp "$out.XXXXXX")
(
    cd "$root"
    if [[ $out == *.gz ]]; then
        find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1 -n
    else
        find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
    fi
) > "$tmpout" || { rm -f "$tmpout"; die "cpio failed"; }
chmod 0644 "$tmpout"
mv "$tmpout" "$out"
echo "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1))" >&2

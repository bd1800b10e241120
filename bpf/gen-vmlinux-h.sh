#!/bin/sh
# Write a full vmlinux.h from a kernel's BTF, for looking up types while
# developing. The build uses the small committed bpf/vmlinux_min.h instead, so
# it never depends on the kernel of the machine it runs on.
# Usage: bpf/gen-vmlinux-h.sh [BTF_FILE] > vmlinux.h
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
[ -r "$btf" ] || { echo "gen-vmlinux-h: cannot read BTF at $btf" >&2; exit 1; }
exec bpftool btf dump file "$btf" format c

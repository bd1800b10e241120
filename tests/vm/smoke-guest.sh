#!/bin/sh
# Guest script of the VM smoke test (see smoke.sh): runs inside the VM as
# /guest/script. Each check appends "PASS name" or "FAIL name: why" to
# /results/checks.txt; exit 1 if any failed.
R=${RESULTS:-/results}
obj=/smoke/fentry_smoke.bpf.o
failed=0
pass() { echo "PASS $1" | tee -a "$R/checks.txt"; }
fail() { echo "FAIL $1" | tee -a "$R/checks.txt"; failed=1; }

uname -r > "$R/uname.txt"
echo "smoke: kernel $(uname -r), tty $(tty)"

if [ -s /sys/kernel/btf/vmlinux ]; then pass btf; else fail "btf: /sys/kernel/btf/vmlinux missing"; fi
if [ -e /sys/kernel/tracing/kprobe_events ]; then pass kprobe_events
else fail "kprobe_events: /sys/kernel/tracing/kprobe_events missing"; fi
if grep -qx n_tty_write /sys/kernel/tracing/available_filter_functions 2>/dev/null ||
   grep -q '^n_tty_write ' /sys/kernel/tracing/available_filter_functions 2>/dev/null; then
    pass ftrace_n_tty_write
else fail "ftrace_n_tty_write: n_tty_write not in available_filter_functions"; fi

# The pty stack a capture test relies on.
if [ -x /usr/bin/script ]; then
    out=$(script -qc 'tty; echo pty-ok' /dev/null 2>&1 | tr -d '\r')
    echo "$out" > "$R/script.txt"
    case "$out" in
        */dev/pts/*pty-ok*) pass pty_script ;;
        *) fail "pty_script: script -qc gave: $out" ;;
    esac
fi

# fentry and kprobe on n_tty_write; bpftool must see the program while attached.
for mode in fentry kprobe; do
    if fentry_smoke "$obj" "$mode" bpftool prog show name "smoke_$mode" > "$R/$mode.txt" 2>&1; then
        pass "$mode"
    else
        fail "$mode: fentry_smoke exited $? ($(tail -n 1 "$R/$mode.txt"))"
    fi
    cat "$R/$mode.txt"
done
if bpftool btf dump file /sys/kernel/btf/vmlinux format c 2>/dev/null | grep -q '^struct tty_struct {'; then
    pass bpftool_btf
else fail "bpftool_btf: bpftool cannot dump struct tty_struct from vmlinux BTF"; fi

# A few writes to the console tty itself.
for i in 1 2 3; do echo "smoke: console write $i"; done
exit $failed

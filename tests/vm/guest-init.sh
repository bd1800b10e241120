#!/bin/sh
# /init of the initramfs built by mkinitramfs.sh (busybox ash, PID 1).
# Reads from the kernel command line (set by run-vm.sh):
#   ta.deadline=SECS  guest uptime by which the guest script must be done
#   ta.nonce=WORD     makes the result markers on ttyS1 unique to this boot
#   ta.series=S       exported to the script as TA_VM_SERIES
#   ta.NAME=VALUE     any other (NAME in [a-z0-9_]) exported as TA_NAME=VALUE
# Never exits: on any path it ends in `poweroff -f`.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=linux TA_VM=1 RESULTS=/results

mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
# The kernel found no /dev/console in the cpio: take it now.
exec </dev/console >/dev/console 2>&1

say() { echo "ta-init: $*"; }
mnt() { mount "$@" || say "warning: mount $* failed"; }

mnt -t proc -o nosuid,nodev,noexec proc /proc
mnt -t sysfs -o nosuid,nodev,noexec sysfs /sys
mkdir -p /dev/pts /dev/shm
mnt -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
rm -f /dev/ptmx; ln -s pts/ptmx /dev/ptmx
mnt -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm
mnt -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
mnt -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
mnt -t tracefs -o nosuid,nodev,noexec tracefs /sys/kernel/tracing
mnt -t debugfs -o nosuid,nodev,noexec debugfs /sys/kernel/debug
mnt -t bpf -o nosuid,nodev,noexec,mode=0700 bpffs /sys/fs/bpf
mnt -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
[ -e /dev/stdin ] || { ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr; }
hostname -F /etc/hostname 2>/dev/null || true
ip link set lo up 2>/dev/null || true
chown 1001:1001 /home/alice 2>/dev/null; chown 1002:1002 /home/bob 2>/dev/null
mkdir -p /results

deadline=0 nonce=none
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        ta.deadline=*) deadline=${arg#ta.deadline=} ;;
        ta.nonce=*) nonce=${arg#ta.nonce=} ;;
        ta.series=*) export TA_VM_SERIES=${arg#ta.series=} ;;
        ta.*=*)     # ta.foo_bar=V (from run-vm.sh --append) -> TA_FOO_BAR=V
            name=${arg%%=*}; name=${name#ta.}
            case "$name" in *[!a-z0-9_]*|'') continue ;; esac
            export "TA_$(echo "$name" | tr a-z A-Z)=${arg#*=}" ;;
    esac
done

up() { cut -d' ' -f1 /proc/uptime; }
t_init=$(up)
say "kernel $(uname -r) up ${t_init}s; running guest script"

now=$(up); now=${now%.*}
budget=$((deadline - now))
[ "$deadline" -gt 0 ] && [ "$budget" -lt 5 ] && budget=5
[ "$deadline" -gt 0 ] || budget=3600

# The script leads its own session with ttyS0 as controlling tty (cttyhack
# resolves /dev/console to the real device), so its pid is its process group.
setsid cttyhack /guest/script &
pid=$!
( sleep "$budget"
  echo "ta-init: guest script timed out after ${budget}s; killing it" > /dev/console
  : > /tmp/.ta-timeout
  kill -TERM -"$pid" "$pid" 2>/dev/null; sleep 3; kill -KILL -"$pid" "$pid" 2>/dev/null ) &
watchdog=$!
wait "$pid"
rc=$?
kill "$watchdog" 2>/dev/null
[ -e /tmp/.ta-timeout ] && rc=124
t_done=$(up)
say "guest script exited rc=$rc at ${t_done}s"

# Send /results to the host AFTER the script, so that a recording agent in
# the script does not see the transfer. The tar.gz goes raw onto the NVMe
# disk run-vm.sh attaches (fast), else base64 on ttyS1 (~300 KB/s under
# TCG); the frame with exit code, size and sha256 always goes on ttyS1, in
# raw mode (no \n -> \r\n).
{
    echo "init_uptime=$t_init"
    echo "done_uptime=$t_done"
    echo "kernel=$(uname -r)"
} > /tmp/.ta-info
tgz=/tmp/.ta-results.tgz
tar -C /results -czf "$tgz" . 2>/dev/null || { say "tar of /results failed"; rc=125; tar -C /tmp -czf "$tgz" .ta-info; }
sum=$(sha256sum "$tgz" | cut -d' ' -f1)
size=$(wc -c < "$tgz")
via=serial
disk=
for d in /sys/block/nvme*n1; do
    [ -e "$d" ] || continue
    if [ "$(tr -d ' ' < "$d/device/serial" 2>/dev/null)" = taresults ]; then disk=/dev/${d##*/}; fi
done
if [ -n "$disk" ]; then
    cap=$(blockdev --getsize64 "$disk" 2>/dev/null || echo 0)
    if [ "$size" -gt "$cap" ]; then
        say "results are $size bytes, more than the $cap-byte results disk; sending by serial"
    elif dd if="$tgz" of="$disk" bs=1M conv=fsync 2>/dev/null; then
        via=disk
    else
        say "cannot write results to $disk; sending by serial"
    fi
fi
if stty -F /dev/ttyS1 raw -echo 115200 2>/dev/null; then
    {
        echo "TTYAUDIT-INFO-BEGIN $nonce"
        cat /tmp/.ta-info
        echo "TTYAUDIT-INFO-END $nonce"
        echo "TTYAUDIT-RESULTS-BEGIN $nonce via=$via"
        [ "$via" = disk ] || base64 "$tgz"
        echo "TTYAUDIT-RESULTS-END $nonce rc=$rc size=$size sha256=$sum"
    } > /dev/ttyS1
    # The close above waits for the UART to drain; be generous anyway.
    sleep 0.5
else
    say "no /dev/ttyS1: cannot send results"
fi
say "powering off"
sync
poweroff -f
sleep 5
echo o > /proc/sysrq-trigger

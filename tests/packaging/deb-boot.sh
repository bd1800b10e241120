#!/bin/bash
# deb-boot.sh SOURCE_ROOT
#
# The package on a booting system: a Debian 12 root (debootstrap, cached) with
# systemd, udev and the ttyaudit package installed from this tree, put on an
# ext4 NVMe disk image and booted under qemu (TCG) with Debian's stock 6.1
# cloud kernel (tests/vm/fetch-kernel.sh). systemd starts ttyauditd from the
# packaged unit with its full sandbox; serial-login.py logs in as root on the
# serial console, types `echo hello-vm-$((6*7))` and runs ta-vm-check in the
# guest, which reports:
#   the unit is active, came up before systemd-user-sessions and the serial
#   getty, was not restarted; the daemon runs with seccomp, no_new_privs and
#   only CAP_LINUX_IMMUTABLE, CAP_AUDIT_WRITE and CAP_AUDIT_CONTROL left; the typed command's output was recorded
#   (JSON Lines copy) with auid 0 and a session id; segments are append-only;
#   `ttyaudit verify` accepts the log.
# Needs root, qemu-system-x86_64, network (mirror, kernel). ~5-10 min.
# TA_PKG_DEB=FILE uses a built package; TA_PKG_KEEP=1 keeps the work dir;
# TA_VM_SERIES=6.12 boots the 6.12 kernel instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
src=$(cd "${1:?usage: deb-boot.sh SOURCE_ROOT}" && pwd)
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mkfs)"
need qemu-system-x86_64 qemu-system-x86
need mkfs.ext4 e2fsprogs
need python3 python3-minimal
need debootstrap debootstrap

work=$(mktemp -d "${TMPDIR:-/var/tmp}/ta-boot.XXXXXX")
root=$work/root
trap 'safe_cleanup "$work" "$root"' EXIT

series=${TA_VM_SERIES:-6.1}
vmlinuz=$("$src/tests/vm/fetch-kernel.sh" "$series") || skip "no $series cloud kernel available"
deb=$(build_deb "$src" "$work")
echo "package: $(basename "$deb"), kernel: $vmlinuz"

echo "== root with systemd and the package"
mkdir "$root"
bookworm_root "$root"
chroot_mounts "$root"
cp "$deb" "$root/tmp/ttyaudit.deb"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
                DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -q >"$work/apt.log" 2>&1 || { tail "$work/apt.log"; die "apt-get update failed"; }
in_root apt-get install -y -q --no-install-recommends systemd systemd-sysv udev login \
    /tmp/ttyaudit.deb >>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log"; die "apt-get install failed"; }
in_root apt-get clean
rm -f "$root/tmp/ttyaudit.deb"
echo "root:${TA_VM_PASSWORD:-ttyaudit}" | in_root chpasswd
echo ta-vm >"$root/etc/hostname"
echo '/dev/nvme0n1 / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
# The JSON Lines copy is what the check reads (the CLI has no `show` yet).
echo 'jsonl = /var/log/ttyaudit/events.jsonl' >>"$root/etc/ttyaudit/ttyauditd.conf"
cat >"$root/usr/local/sbin/ta-vm-check" <<'CHECK'
#!/bin/sh
# Runs in the guest after the login; prints one TA-VM-RESULT line.
sleep 3   # the daemon flushes its JSON Lines copy every second
mono() { systemctl show -P ActiveEnterTimestampMonotonic "$1"; }
active=$(systemctl is-active ttyauditd)
t_ta=$(mono ttyauditd.service); t_us=$(mono systemd-user-sessions.service)
t_getty=$(mono serial-getty@ttyS0.service)
before=no
[ "${t_ta:-0}" -gt 0 ] && [ "$t_ta" -le "${t_us:-0}" ] && [ "$t_ta" -le "${t_getty:-0}" ] && before=yes
restarts=$(systemctl show -P NRestarts ttyauditd)
pid=$(systemctl show -P MainPID ttyauditd)
seccomp=$(sed -n 's/^Seccomp:[[:space:]]*//p' /proc/$pid/status)
nnp=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/$pid/status)
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$pid/status)
backend=$(journalctl -b -u ttyauditd -o cat | sed -n 's/.*recording with backend \([a-z]*\).*/\1/p' | head -n1)
grep '"type":"output"' /var/log/ttyaudit/events.jsonl | grep '"comm":"bash"' >/tmp/out.jsonl
while IFS= read -r l; do
    d=$(printf '%s\n' "$l" | sed -n 's/.*"data":"\([^"]*\)".*/\1/p' | base64 -d 2>/dev/null)
    case "$d" in *hello-vm-4[2]*) printf '%s\n' "$l" ;; esac
done </tmp/out.jsonl >/tmp/match
recorded=$(wc -l </tmp/match)
auid=$(head -n1 /tmp/match | grep -o '"auid":[0-9a-z]*' | head -n1 | cut -d: -f2)
ses=$(head -n1 /tmp/match | grep -o '"ses":[0-9a-z]*' | head -n1 | cut -d: -f2)
appendonly=$(lsattr /var/log/ttyaudit/seg-*.log 2>/dev/null | awk '$1 ~ /a/' | wc -l)
logmode=$(stat -c '%a:%G' /var/log/ttyaudit)
ttyaudit verify >/tmp/verify 2>&1; verify=$?
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
if [ "$active" != active ] || [ "$recorded" = 0 ]; then
    journalctl -b -u ttyauditd -o cat --no-pager | tail -n 40 | sed 's/^/TA-VM-JOURNAL /'
fi
echo "TA-VM-RESULT active=$active before_logins=$before restarts=$restarts backend=$backend" \
     "seccomp=$seccomp nnp=$nnp capeff=$capeff recorded=$recorded auid=$auid ses=$ses" \
     "append_only=$appendonly logdir=$logmode verify=$verify perf_event_paranoid=$paranoid"
CHECK
chmod 0755 "$root/usr/local/sbin/ta-vm-check"
chroot_umounts "$root"

echo "== disk image"
truncate -s 3G "$work/disk.img"
mkfs.ext4 -q -F -L taroot -d "$root" "$work/disk.img" || die "mkfs.ext4 -d failed"

echo "== booting (TCG; several minutes)"
# Debian's kernel under TCG has stopped early in its own boot ("IP idents hash
# table entries" at 1.57 s, then nothing), before any of the package's code runs:
# serial-login.py says so with exit 2, and only that gets one more boot, on a
# fresh image. Any failure once init has started is a result.
for attempt in 1 2; do
    rc=0
    timeout 1500 python3 "$here/serial-login.py" 1200 -- \
        qemu-system-x86_64 -accel tcg -cpu max -m 1536 -smp 2 -nodefaults -no-reboot \
        -display none -serial stdio -nic none \
        -kernel "$vmlinuz" \
        -append "root=/dev/nvme0n1 rw console=ttyS0 panic=-1 tsc=reliable systemd.show_status=1" \
        -drive "file=$work/disk.img,if=none,id=root,format=raw" -device nvme,drive=root,serial=taroot \
        >"$work/console.log" 2>&1 || rc=$?
    [ "$rc" = 2 ] && [ "$attempt" = 1 ] || break
    echo "deb-boot: the guest kernel stopped before starting init; booting it once more" >&2
    tail -n 3 "$work/console.log" | tr -d '\r' >&2
    rm -f "$work/disk.img"
    truncate -s 3G "$work/disk.img"
    mkfs.ext4 -q -F -L taroot -d "$root" "$work/disk.img" || die "mkfs.ext4 -d failed"
done
result=$(grep -a '^TA-VM-RESULT' "$work/console.log" | tail -n1 || true)
if [ "$rc" != 0 ] || [ -z "$result" ]; then
    tail -n 40 "$work/console.log" | tr -d '\r'
    die "no result from the guest (serial-login exit $rc)"
fi
echo "$result"
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" ${result#TA-VM-RESULT}"; }
fails=
expect() { [ "$(field "$1")" = "$2" ] || fails+=" $1=$(field "$1") (want $2);"; }
expect active active
expect before_logins yes
expect restarts 0
expect seccomp 2
expect nnp 1
expect capeff 0000000060000200   # CAP_LINUX_IMMUTABLE + CAP_AUDIT_WRITE (anchoring, alerts) + CAP_AUDIT_CONTROL (watches removed at stop)
expect auid 0
expect logdir 2750:ttyaudit
expect verify 0
[ "$(field recorded)" -ge 1 ] 2>/dev/null || fails+=" recorded=$(field recorded) (want >= 1);"
[[ $(field ses) =~ ^[0-9]+$ ]] || fails+=" ses=$(field ses) (want a number);"
[ "$(field append_only)" -ge 1 ] 2>/dev/null || fails+=" append_only=$(field append_only) (want >= 1);"
[ -z "$fails" ] || { grep -a 'TA-VM-JOURNAL' "$work/console.log" | tr -d '\r'; die "$fails"; }
echo "ok: booted with systemd; ttyauditd started by its unit before logins, sandboxed, recorded the serial login"

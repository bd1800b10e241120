#!/usr/bin/env python3
# serial-login.py TIMEOUT -- QEMU_COMMAND...
#
# Runs qemu with the guest's serial console on qemu's stdin/stdout, waits for
# the login prompt, logs in as root (password from TA_VM_PASSWORD), types a
# command, runs /usr/local/sbin/ta-vm-check, and powers the guest off.
# The whole console goes to stdout as it arrives; the last line printed is
# the check's "TA-VM-RESULT ..." line. Exit 0 if the check ran (the caller
# judges its fields), 1 on a timeout or if qemu died first, 2 if the guest
# kernel never started init within INIT_WAIT seconds (TA_VM_INIT_WAIT, 300):
# under TCG Debian's kernel has stopped early in its boot, before any of the
# package's code ran, and the caller may boot once more.
import os, select, subprocess, sys, time

timeout = float(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
password = os.environ.get("TA_VM_PASSWORD", "ttyaudit").encode()
deadline = time.monotonic() + timeout
qemu = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf = b""
result = None

before = b""

def read_until(token, secs):
    """Reads the console until token (bytes) shows up; True if it did.
    The text before the token is left in `before`, the text after in `buf`."""
    global buf, before
    end = min(deadline, time.monotonic() + secs)
    while time.monotonic() < end:
        if token in buf:
            i = buf.index(token)
            before, buf = buf[:i], buf[i + len(token):]
            return True
        r, _, _ = select.select([qemu.stdout], [], [], 0.5)
        if not r:
            continue
        chunk = os.read(qemu.stdout.fileno(), 65536)
        if not chunk:
            return False
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        buf += chunk
    return False

def send(text, per_char=0.02):
    # One character at a time, as typed: the serial line and getty are slow under TCG.
    for ch in text:
        qemu.stdin.write(ch.encode())
        qemu.stdin.flush()
        time.sleep(per_char)

def fail(why, code=1):
    print(f"\nserial-login: {why}", flush=True)
    qemu.kill()
    qemu.wait()
    sys.exit(code)

# The kernel's "Run /sbin/init as init process" (KERN_INFO, on the console at
# Debian's default log level) marks the end of the kernel's own boot.
init_wait = float(os.environ.get("TA_VM_INIT_WAIT", "300"))
if not read_until(b" as init process", min(timeout, init_wait)):
    fail("the guest kernel never started init", code=2)
if not read_until(b"login: ", timeout):
    fail("no login prompt")
time.sleep(1)
send("root\n")
if not read_until(b"Password: ", 60):
    fail("no password prompt")
send(password.decode() + "\n")
if not read_until(b"# ", 120):
    fail("no shell prompt after login")
send("echo hello-vm-$((6*7))\n")
if not read_until(b"hello-vm-42", 60):
    fail("the typed command did not run")
read_until(b"# ", 30)
send("/usr/local/sbin/ta-vm-check\n")
if not read_until(b"TA-VM-RESULT", 240):
    fail("the check printed no result")
read_until(b"\n", 30)
line = b"TA-VM-RESULT" + before
send("systemctl poweroff\n")
try:
    rest = max(5.0, min(120.0, deadline - time.monotonic()))
    end = time.monotonic() + rest
    while time.monotonic() < end and qemu.poll() is None:
        r, _, _ = select.select([qemu.stdout], [], [], 0.5)
        if r:
            chunk = os.read(qemu.stdout.fileno(), 65536)
            if not chunk:
                break
            sys.stdout.buffer.write(chunk)
finally:
    if qemu.poll() is None:
        qemu.kill()
    qemu.wait()
print("\n" + line.decode(errors="replace").strip(), flush=True)
sys.exit(0)

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# End to end: a real auditd (own config, own log, own plugins dir) runs the
# built audisp-ttyaudit, which hands login records to a test listener built
# on the library's login_server API. A real sshd on 127.0.0.1 (own config,
# host key, UsePAM yes so pam_loginuid sets loginuid/ses) logs in a user the
# test creates. Then: failed logins, the plugin surviving the listener's
# absence (with drops counted), and an anchor written through auditd and read
# back from its log. The machine's audit state is restored at the end.
#
# usage: auditd_ssh_test.sh AUDISP_TTYAUDIT LOGIN_LISTENER ANCHOR_TOOL
# Exit 77 (skip) only when this cannot run here: not root, a tool missing,
# another audit daemon that must not be disturbed.

set -u
PLUGIN_SRC=$1
LISTENER=$2
ANCHOR=$3

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; FAILED=1; }
pass() { echo "ok: $*"; }
FAILED=0

[ "$(id -u)" = 0 ] || skip "needs root (auditd, sshd, useradd)"
PATH=$PATH:/usr/sbin:/sbin
for tool in auditd auditctl sshd ssh ssh-keygen useradd userdel; do
	command -v $tool >/dev/null || skip "$tool is not installed"
done
SSHD=$(command -v sshd)
AUDITD=$(command -v auditd)

audit_status() { auditctl -s 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }

# Another audit daemon owns the kernel's audit link: wait a little for it
# (another test run), never kill it.
for i in $(seq 1 60); do
	pid=$(audit_status pid)
	[ -z "$pid" ] && skip "cannot read the audit status (auditctl -s): kernel without audit?"
	if [ "$pid" = 0 ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
	[ "$i" = 60 ] && skip "an audit daemon (pid $pid) is running; not replacing it"
	sleep 1
done
OLD_ENABLED=$(audit_status enabled)

T=$(mktemp -d "${TMPDIR:-/tmp}/ta-auditd-it.XXXXXX")
chmod 0755 "$T"
USER_NAME="tait$$"
USER_NAME=${USER_NAME:0:30}
AUDITD_PID= SSHD_PID= LISTENER_PID= USER_MADE=0

cleanup() {
	[ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
	if [ -n "$AUDITD_PID" ] && kill -0 "$AUDITD_PID" 2>/dev/null; then
		kill "$AUDITD_PID"
		for _ in $(seq 1 50); do kill -0 "$AUDITD_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	[ -n "$LISTENER_PID" ] && kill "$LISTENER_PID" 2>/dev/null
	wait 2>/dev/null
	[ "$USER_MADE" = 1 ] && userdel -r "$USER_NAME" >/dev/null 2>&1
	# auditd leaves "enabled" as it set it; put back what we found.
	if [ -n "$OLD_ENABLED" ] && [ "$OLD_ENABLED" != 2 ]; then
		auditctl -e "$OLD_ENABLED" >/dev/null 2>&1
	fi
	if [ "$FAILED" != 0 ]; then
		echo "--- auditd/plugin output"; cat "$T/auditd.out" 2>/dev/null | tail -40
		echo "--- listener"; cat "$T"/events*.tsv 2>/dev/null | cut -c1-300 | tail -60
		echo "--- sshd"; tail -20 "$T/sshd.log" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT

# --- the plugin, where auditd accepts it: root-owned, 0750
mkdir -p "$T/bin" "$T/plugins" "$T/log" "$T/run" "$T/ssh"
cp "$PLUGIN_SRC" "$T/bin/audisp-ttyaudit"
chown root:root "$T/bin/audisp-ttyaudit"
chmod 0750 "$T/bin/audisp-ttyaudit"
SOCK="$T/run/login.sock"

cat > "$T/plugins/ttyaudit.conf" <<EOF
active = yes
direction = out
path = $T/bin/audisp-ttyaudit
type = always
args = socket=$SOCK queue=4
format = string
EOF
cat > "$T/auditd.conf" <<EOF
local_events = yes
write_logs = yes
log_file = $T/log/audit.log
log_format = ENRICHED
flush = INCREMENTAL_ASYNC
freq = 1
max_log_file = 50
num_logs = 2
max_log_file_action = ROTATE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
name_format = NONE
q_depth = 2000
overflow_action = SYSLOG
max_restarts = 10
plugin_dir = $T/plugins
end_of_event_timeout = 2
EOF
chmod 0640 "$T/auditd.conf" "$T/plugins/ttyaudit.conf"

start_listener() {
	"$LISTENER" "$SOCK" > "$1" 2>&1 &
	LISTENER_PID=$!
	for _ in $(seq 1 600); do [ -S "$SOCK" ] && return 0; sleep 0.1; done
	fail "listener did not come up"
	return 1
}
# wait_for FILE AWK_CONDITION SECONDS: wait until awk finds a matching line
wait_for() {
	for _ in $(seq 1 $(($3 * 10))); do
		awk -F'\t' "$2 { found = 1 } END { exit !found }" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_listener "$T/events1.tsv" || exit 1

# --- auditd, a child of this script
"$AUDITD" -n -c "$T" -s enable > "$T/auditd.out" 2>&1 &
AUDITD_PID=$!
for i in $(seq 1 600); do
	[ "$(audit_status pid)" = "$AUDITD_PID" ] && break
	if ! kill -0 "$AUDITD_PID" 2>/dev/null; then
		cat "$T/auditd.out"
		fail "auditd exited at start"; exit 1
	fi
	[ "$i" = 100 ] && { fail "auditd did not register with the kernel"; exit 1; }
	sleep 0.1
done
pass "auditd running (pid $AUDITD_PID) with its own config"
wait_for "$T/events1.tsv" '$1 == "connected"' 10 || fail "plugin did not connect to the listener"
PLUGIN_PID=$(pgrep -f "^$T/bin/audisp-ttyaudit" | head -1)
[ -n "$PLUGIN_PID" ] && pass "auditd started the plugin (pid $PLUGIN_PID)" || fail "plugin not running"

# --- a user and an sshd of our own
useradd -m -s /bin/sh "$USER_NAME" || { fail "useradd"; exit 1; }
USER_MADE=1
USER_UID=$(id -u "$USER_NAME")
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/user_key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/wrong_key"
mkdir -p "$T/ssh/keys"
cp "$T/ssh/user_key.pub" "$T/ssh/keys/$USER_NAME"
chmod 0755 "$T/ssh" "$T/ssh/keys"
chmod 0644 "$T/ssh/keys/$USER_NAME"
mkdir -p /run/sshd

PORT=
for p in $(shuf -i 20000-60000 -n 30); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then PORT=$p; break; fi
done
[ -n "$PORT" ] || { fail "no free port"; exit 1; }
cat > "$T/ssh/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/ssh/host_key
PidFile $T/ssh/sshd.pid
UsePAM yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $T/ssh/keys/%u
StrictModes no
PrintMotd no
EOF
"$SSHD" -D -f "$T/ssh/sshd_config" -E "$T/sshd.log" &
SSHD_PID=$!
for i in $(seq 1 600); do  # up to a minute: a loaded machine
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
	[ "$i" = 600 ] && { fail "sshd did not start"; cat "$T/sshd.log"; exit 1; }
	sleep 0.1
done
SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes
	-o LogLevel=ERROR -p "$PORT")

# --- a successful login with a tty
ssh -tt "${SSH_OPTS[@]}" -i "$T/ssh/user_key" "$USER_NAME@127.0.0.1" \
	'echo "SES=$(cat /proc/self/sessionid) AUID=$(cat /proc/self/loginuid) TTY=$(tty)"' \
	> "$T/ssh.out" 2>&1
SES=$(tr -d '\r' < "$T/ssh.out" | sed -n 's/.*SES=\([0-9]*\).*/\1/p')
REMOTE_AUID=$(tr -d '\r' < "$T/ssh.out" | sed -n 's/.*AUID=\([0-9]*\).*/\1/p')
if [ -z "$SES" ] || [ "$SES" = 4294967295 ]; then
	fail "no audit session in the ssh session: $(cat "$T/ssh.out")"; exit 1
fi
[ "$REMOTE_AUID" = "$USER_UID" ] && pass "loginuid in the session is $USER_UID" ||
	fail "loginuid $REMOTE_AUID, want $USER_UID"
echo "ssh session: ses=$SES uid=$USER_UID"

E="$T/events1.tsv"
# ev TYPE serial pid uid auid ses old_ses result flags acct exe host addr terminal
#  1  2     3     4   5   6    7   8       9      10    11   12  13   14   15
if wait_for "$E" "\$1==\"ev\" && \$2==\"USER_END\" && \$7==\"$SES\"" 15; then
	pass "USER_END for ses $SES"
else
	fail "no USER_END for ses $SES"
fi
wait_for "$E" "\$1==\"ev\" && \$2==\"USER_LOGIN\" && \$7==\"$SES\" && \$9==\"success\" && \$11==\"$USER_NAME\" && \$6==\"$USER_UID\" && \$14==\"127.0.0.1\"" 1 &&
	pass "USER_LOGIN success acct=$USER_NAME auid=$USER_UID addr=127.0.0.1 ses=$SES" ||
	fail "no matching USER_LOGIN"
wait_for "$E" "\$1==\"ev\" && \$2==\"USER_START\" && \$7==\"$SES\" && \$11==\"$USER_NAME\" && \$12 ~ /sshd\$/" 1 &&
	pass "USER_START for ses $SES from sshd" || fail "no matching USER_START"
wait_for "$E" "\$1==\"ev\" && \$2==\"LOGIN\" && \$7==\"$SES\" && \$6==\"$USER_UID\"" 1 &&
	pass "LOGIN sets auid $USER_UID ses $SES" || fail "no matching LOGIN"
wait_for "$E" "\$1==\"json\" && index(\$2, \"\\\"type\\\":\\\"session_start\\\"\") && index(\$2, \"\\\"ses\\\":$SES,\") && index(\$2, \"\\\"user\\\":\\\"$USER_NAME\\\"\")" 1 &&
	pass "session table: session_start for ses $SES, user $USER_NAME" || fail "no session_start JSON"
wait_for "$E" "\$1==\"json\" && index(\$2, \"\\\"type\\\":\\\"session_end\\\"\") && index(\$2, \"\\\"ses\\\":$SES,\") && index(\$2, \"\\\"login_program\\\":\\\"sshd\\\"\") && index(\$2, \"\\\"addr\\\":\\\"127.0.0.1\\\"\")" 1 &&
	pass "session table: session_end for ses $SES" || fail "no session_end JSON"

# --- failed logins: a wrong key, an unknown user
ssh "${SSH_OPTS[@]}" -i "$T/ssh/wrong_key" "$USER_NAME@127.0.0.1" true > /dev/null 2>&1 &&
	fail "login with the wrong key succeeded"
ssh "${SSH_OPTS[@]}" -i "$T/ssh/wrong_key" "nosuch$$@127.0.0.1" true > /dev/null 2>&1 &&
	fail "login of an unknown user succeeded"
wait_for "$E" "\$1==\"ev\" && \$2==\"USER_LOGIN\" && \$9==\"failed\" && \$11==\"$USER_NAME\" && \$14==\"127.0.0.1\"" 15 &&
	pass "failed login (wrong key) for $USER_NAME" || fail "no failed USER_LOGIN for the wrong key"
wait_for "$E" "\$1==\"ev\" && \$2==\"USER_LOGIN\" && \$9==\"failed\" && \$11==\"(invalid user)\"" 15 &&
	pass "failed login of an unknown user" || fail "no failed USER_LOGIN for the unknown user"
wait_for "$E" "\$1==\"json\" && index(\$2, \"\\\"type\\\":\\\"login_failed\\\"\") && index(\$2, \"\\\"acct\\\":\\\"$USER_NAME\\\"\")" 1 &&
	pass "session table: login_failed JSON" || fail "no login_failed JSON"
awk -F'\t' '$1 == "bad"' "$E" | grep -q . && fail "listener saw invalid messages"

# --- the listener goes away: the plugin keeps running, queues 4, drops the rest
kill "$LISTENER_PID"; wait "$LISTENER_PID" 2>/dev/null; LISTENER_PID=
ssh -tt "${SSH_OPTS[@]}" -i "$T/ssh/user_key" "$USER_NAME@127.0.0.1" 'cat /proc/self/sessionid' \
	> "$T/ssh2.out" 2>&1
SES2=$(tr -dc '0-9' < "$T/ssh2.out")
sleep 1
kill -0 "$PLUGIN_PID" 2>/dev/null && pass "plugin still running without a listener" ||
	fail "plugin died while the listener was away"
start_listener "$T/events2.tsv"
if wait_for "$T/events2.tsv" '$1 == "dropped" && $2 > 0' 15; then
	pass "drops reported on return: $(awk -F'\t' '$1=="dropped" { print $2 " dropped, " $3 " in total" }' "$T/events2.tsv")"
else
	fail "no dropped notice after the listener returned"
fi
n=$(awk -F'\t' '$1 == "ev"' "$T/events2.tsv" | wc -l)
[ "$n" -ge 4 ] && pass "$n queued records delivered after the return (ses $SES2)" ||
	fail "only $n queued records delivered"
kill -0 "$PLUGIN_PID" 2>/dev/null || fail "plugin gone after the listener returned"

# --- an anchor through the real auditd, read back from its log
ROOT=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
ORIGIN="it.example/ttyaudit $$"
out=$("$ANCHOR" write "$ORIGIN" 4242 "$ROOT")
[ "$out" = ok ] && pass "anchor written" || fail "anchor write: $out"
found=0
for _ in $(seq 1 600); do
	if "$ANCHOR" read "$T/log/audit.log" | awk -F'\t' -v o="$ORIGIN" -v r="$ROOT" \
		'$1=="anchor" && $2==o && $3=="4242" && $4==r && $6=="0" && $7=="1" { f=1 } END { exit !f }'; then
		found=1; break
	fi
	sleep 0.1
done
[ "$found" = 1 ] && pass "anchor read back from the audit log" ||
	fail "anchor not found in the audit log: $("$ANCHOR" read "$T/log/audit.log")"

# --- auditd stops: it tells the plugin (SIGTERM from the parent), which leaves
kill "$AUDITD_PID"
for _ in $(seq 1 100); do kill -0 "$AUDITD_PID" 2>/dev/null || break; sleep 0.1; done
wait "$AUDITD_PID" 2>/dev/null
AUDITD_PID=
for _ in $(seq 1 50); do kill -0 "$PLUGIN_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PLUGIN_PID" 2>/dev/null && fail "plugin still running after auditd stopped" ||
	pass "plugin exited with auditd"
# (auditd gives plugins /dev/null for stderr; the plugin's clean exit and its
# messages are covered by the plugin_drive test.)

# --- without an audit daemon the anchor writer says so
out=$("$ANCHOR" write "$ORIGIN" 1 "$ROOT")
[ "$out" = "error ENOTCONN" ] && pass "anchor without auditd: ENOTCONN" ||
	fail "anchor without auditd gave: $out"

[ "$FAILED" = 0 ] && echo "all passed"
exit $FAILED

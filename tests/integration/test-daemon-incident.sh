#!/usr/bin/env bash
# A wipe that cannot be verified: the seat is blocked, an incident with its reporting deadline
# is recorded and the staff alerted; the wipe is retried; the seat opens only when the wipe is
# verified and an admin has resolved the incident — also across a restart.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
cat >>"$CONF" <<EOF2
incidents = { command = "echo \$RENTARK_INCIDENT_ID \$RENTARK_DEADLINE > '$FS/state/alert'"; report_deadline_hours = 72; };
EOF2
sed -i 's/^wipe = { /wipe = { verify_retry = 1; /' "$CONF"

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
# The guest's file sits where the wipe cannot delete it: a read-only bind mount of the folder.
mount --bind "$FS/tmp" "$FS/tmp" && mount -o remount,bind,ro "$FS/tmp"
t_cleanup "umount '$FS/tmp'"
ctl end >/dev/null
t_check "an unverifiable wipe blocks the seat" wait_state BLOCKED
# jfield KEY: the value of KEY in the JSON object on stdin.
jfield() { /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
t_check "an incident is open" test "$(ctl --json incidents | jfield n)" = 1
t_check "status --json counts it (incidents_open)" test "$(ctl --json status | jfield incidents_open)" = 1
ctl incidents >"$T_TMP/inc.txt"
t_check "the incident says what failed, by category and count" grep -q "tmp 1" "$T_TMP/inc.txt"
t_expect_fail "the incident names no file" grep -q "guest-tmp\|x.pdf" "$T_TMP/inc.txt" "$T_TMP/daemon.log"
ID=$(awk 'NR == 1 { print $1 }' "$T_TMP/inc.txt")
for _ in $(seq 1 40); do [ -s "$FS/state/alert" ] && break; sleep 0.05; done
t_check "the incident command ran with the id and deadline" grep -q "^$ID 20" "$FS/state/alert"
opened=$(ctl --json incidents | jfield opened0)
deadline=$(ctl --json incidents | jfield deadline0)
t_check "the reporting deadline is 72 hours after opening" test $((deadline - opened)) -eq $((72 * 3600))
t_check "the daemon log holds the incident" grep -q "INCIDENT $ID" "$T_TMP/daemon.log"
t_expect_fail "no new session while blocked" ctl hook session-setup "$GUEST"
t_check "status says not verified" sh -c "'$RKCTL' -s '$SOCK' status | grep -qE '^verified +0'"

# The admin fixes the cause; the retry verifies, but the seat stays closed until resolved.
umount "$FS/tmp"
for _ in $(seq 1 100); do grep -q "wipe verified; the seat stays closed" "$T_TMP/daemon.log" && break; sleep 0.05; done
t_check "a retry verifies the wipe" grep -q "wipe verified; the seat stays closed" "$T_TMP/daemon.log"
t_check "... and the seat stays BLOCKED while the incident is open" test "$(state)" = BLOCKED

# Across a restart, an open incident keeps the seat closed.
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
start_daemon
t_check "after a restart with an open incident: BLOCKED" wait_state BLOCKED
t_expect_fail "a display manager's login hook fails at once on a BLOCKED seat" timeout 10 "$RKCTL" -s "$SOCK" hook session-setup "$GUEST"
t_expect_fail "the guest cannot resolve" guest_ctl incidents resolve "$ID"
t_expect_fail "an unknown id is refused" ctl incidents resolve 0123456789abcdef
t_expect_fail "a malformed id is refused" ctl incidents resolve "../seat.state"
t_check "an admin resolves the incident" ctl incidents resolve "$ID"
t_check "the seat opens: READY" wait_state READY
t_check "status --json: no open incident left" test "$(ctl --json status | jfield incidents_open)" = 0
wipe_check "after the incident: nothing of the patron is left" 0
t_check "no open incidents left" sh -c "'$RKCTL' -s '$SOCK' incidents | grep -q 'no open incidents'"
t_check "statistics count the incident" sh -c "'$RKCTL' -s '$SOCK' stats --json | grep -q 'incident'"
t_done

#!/usr/bin/env bash
# Two monitors (RandR 1.5 monitors on one Xvfb screen): the notice is on the primary one and
# the other is covered with a pointer to it; so is the step-away lock's screen. rentarkd down: the out-of-order screen covers
# everything with the grab held, and the client picks up the notice when the daemon is back
# and the login hook has opened the seat. A seat without a session (READY) and a BLOCKED seat
# (a wipe that could not be verified) stay out of order. Against the real rentarkd.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb -screen 0 2560x800x24 || { t_fail "Xvfb starts"; t_done; exit 1; }
s_xprobe || { t_fail "the X probe client builds"; t_done; exit 1; }
s_config
"$T_TMP/xprobe" monitors
t_check "two monitors are set up" test "$("$T_TMP/xprobe" monitors-list | wc -l)" -ge 2

# A first start wipes and leaves a READY journal; then the daemon is stopped (in READY: no
# wipe at the stop, none at the next start).
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
stop_daemon

# The autostart entry starts the client for every account that logs in: a staff member's
# session is none of its business, with the daemon down (by name) and up (the daemon says).
STAFF=$(t_unique_name rk-staff)
t_user "$STAFF"
staff_client() {
    rm -f "$T_TMP/staff.dump"
    setpriv --reuid="$(id -u "$STAFF")" --regid="$(id -g "$STAFF")" --clear-groups -- \
        env DISPLAY="$DISPLAY" USER="$STAFF" timeout 20 "$RKSESSION" --socket "$S_SOCK" -c "$S_CONF" \
        --debug-dump "$T_TMP/staff.dump" 2>>"$T_TMP/session.err"
}
staff_client
t_check "daemon down: in a staff member's session the client exits at once, drawing nothing" \
    test $? -eq 0 -a ! -e "$T_TMP/staff.dump"

# The daemon down first.
s_session_start --lang en
t_check "daemon down: the out-of-order screen" s_wait_screen ooo 10
t_check "daemon down: keyboard and pointer are grabbed" s_wait_dump '^grab yes$' 3
t_check "daemon down: the screen says to ask the staff" grep -q '^title Out of order — please ask the staff$' "$S_DUMP"
s_shot out-of-order
s_daemon_up || { t_fail "rentarkd starts again" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
# The daemon answers READY: no session was opened by the display manager, so no notice.
sleep 6
t_check "daemon back but no session (READY): still out of order" s_wait_screen ooo 1
t_check "... with the grab" grep -q '^grab yes$' "$S_DUMP"
t_check "the client has not started a session by itself" test "$(s_state)" = READY
staff_client
t_check "daemon up: in a staff member's session the client exits at once, drawing nothing" \
    test $? -eq 0 -a ! -e "$T_TMP/staff.dump"
s_begin || t_fail "the login hook opens the seat (NOTICE)" "state $(s_state)"
t_check "session opened: the notice follows within the retry interval" s_wait_screen notice 10
s_shot two-monitors

read -r ax _ <<<"$(s_button accept)"
t_check "the notice is on the primary (left) monitor (accept at x=$ax)" test "$ax" -lt 1280
png=$S_SHOTS/two-monitors.png
n=$(s_colors "$png" 1280x800+1280+0)
t_check "the second monitor is covered and carries a note ($n colours)" test "$n" -gt 2
t_check "the note on the second monitor" grep -q '^other Please use the main screen\.$' "$S_DUMP"
px=$(convert "$png" -crop "1x1+2500+20" -format '%[hex:p{0,0}]' info:)
t_check "the second monitor is covered (corner pixel $px is the cover's white)" test "${px:0:6}" = FFFFFF

# The step-away lock covers both monitors too.
s_click accept
t_check "accept: the session runs" s_wait_state ACTIVE 5
s_wait_screen active 5
s_click lock
s_wait_screen lock-choose 5
xdotool type --delay 30 2468
xdotool key Return
s_wait_screen lock-again 3
xdotool type --delay 30 2468
xdotool key Return
t_check "locked, on two monitors" s_wait_screen locked 5
sleep 0.5
s_shot two-monitors-locked
png=$S_SHOTS/two-monitors-locked.png
read -r ux _ <<<"$(s_button unlock)"
t_check "the lock screen is on the primary monitor (Unlock at x=$ux)" test "$ux" -lt 1280
t_check "... the second monitor is covered, with its note" grep -q '^other Please use the main screen\.$' "$S_DUMP"
px=$(convert "$png" -crop "1x1+2500+20" -format '%[hex:p{0,0}]' info:)
t_check "... (corner pixel $px is the cover's white)" test "${px:0:6}" = FFFFFF
t_check "... and the grab is held" grep -q '^grab yes$' "$S_DUMP"
ctl end >/dev/null
s_session_wiped "locked on two monitors"
s_begin || t_fail "the login hook opens the notice again" "state $(s_state)"
s_session_start --lang en
t_check "the notice again" s_wait_screen notice 10

# The daemon dies in the middle of the notice: fail closed.
s_daemon_kill
s_click accept
t_check "daemon gone at accept: out of order" s_wait_screen ooo 5
t_check "... with the grab" grep -q '^grab yes$' "$S_DUMP"

# The daemon comes back after the crash: the journal says NOTICE, so it wipes before anything
# else, which ends the guest's client too. The guest left a file where the wipe cannot delete
# it (a read-only bind mount): the wipe is not verified and the seat is BLOCKED.
plant
mount --bind "$FS/tmp" "$FS/tmp" && mount -o remount,bind,ro "$FS/tmp"
t_cleanup "umount '$FS/tmp'"
start_daemon || t_fail "rentarkd starts after the crash" "$(tail -5 "$T_TMP/daemon.log")"
t_check "restart after a crash: the recovery wipe (logged)" s_daemon_saw 'start-up: last state NOTICE, wiping'
t_check "an unverifiable wipe: BLOCKED" s_wait_state BLOCKED 20
for _ in $(seq 50); do kill -0 "$S_SESSION_PID" 2>/dev/null || break; sleep 0.1; done
t_expect_fail "the recovery wipe ended the guest's client" bash -c "kill -0 $S_SESSION_PID 2>/dev/null"
wait "$S_SESSION_PID" 2>/dev/null
S_SESSION_PID=
t_check "no sanitizer findings in the client" _s_sanitizer_clean

# A client that starts on the BLOCKED seat (the hook is refused: no session can begin).
t_expect_fail "the login hook cannot open a BLOCKED seat" bash -c "'$RKCTL' -s '$SOCK' hook session-setup '$GUEST' >/dev/null 2>&1"
s_session_start --lang en
t_check "a BLOCKED seat: out of order" s_wait_screen ooo 10
sleep 6
t_check "a BLOCKED seat stays out of order (after a retry)" s_wait_screen ooo 1
t_check "... with the grab" grep -q '^grab yes$' "$S_DUMP"
s_session_stop "screens"

# The admin's way back: the file can go, the incident is resolved, a restart wipes and
# verifies, and the seat opens.
umount "$FS/tmp"
id=$(ctl --json incidents | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id0"])')
t_check "the incident is resolved by an admin" bash -c "'$RKCTL' -s '$SOCK' incidents resolve '$id' >/dev/null"
stop_daemon
s_daemon_up
s_session_wiped "after the incident"
t_done

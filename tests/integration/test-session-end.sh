#!/usr/bin/env bash
# The end of a session, against the real rentarkd: "Log out" on the notice declines; in a
# running session the strip's "End session and erase my data" asks for confirmation (No keeps
# the session, Esc too, Yes ends it); the time-limit warning from the daemon turns the strip
# amber and the daemon ends the session at the limit. Every end is followed by the real wipe,
# which also ends the guest's client. A closed X connection ends the client with status 0.
# The ending screen itself is looked at with the protocol double: the real ENDING lasts
# milliseconds and its wipe SIGKILLs the client, so it cannot be held still.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config time_limit=40 "warnings=35, 10" interval=2
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

# Log out on the notice.
s_begin || t_fail "the login hook opens the notice" "state $(s_state)"
s_session_start --lang en
s_wait_screen notice 10
plant
s_click logout
t_check "log out: the daemon ends the session (decline)" s_wait_daemon_saw 'NOTICE -> ENDING reason decline' 5
s_session_wiped "log out"

# The end button with its confirmation.
s_begin || t_fail "the login hook opens the notice" "state $(s_state)"
s_session_start --lang en
s_wait_screen notice 10
s_click accept
s_wait_screen active 5
s_shot strip
s_click end
t_check "end: a confirmation dialog" s_wait_screen confirm 5
t_check "end: the safe answer has the focus" test "$(s_focused)" = confirm_no
t_check "end: the dialog grabs the keyboard" s_wait_dump '^grab yes$' 2
s_shot confirm
s_click confirm_no
t_check "No: the dialog goes away" bash -c "sleep 0.5; ! grep -q '^screen dialog confirm' '$S_DUMP'"
t_check "No: the session stays ACTIVE" test "$(s_state)" = ACTIVE
s_click end
s_wait_screen confirm 5
xdotool key Escape
t_check "Esc: the dialog goes away" bash -c "sleep 0.5; ! grep -q '^screen dialog confirm' '$S_DUMP'"
t_check "Esc: the session stays ACTIVE" test "$(s_state)" = ACTIVE

# The warning: time_limit 40 s, warnings at 35 and 10 s before the end, reports every 2 s.
t_check "time warning: the strip shows it" s_wait_dump '^note .* left\. Save what you want to keep now' 10
s_shot strip-warning

plant
s_click end
s_wait_screen confirm 5
s_click confirm_yes
t_check "Yes: the daemon ends the session (button)" s_wait_daemon_saw 'ACTIVE -> ENDING reason button' 5
s_session_wiped "end button"

# The time limit: 6 s (the daemon reloads its config on SIGHUP), warnings at 5 and 2 s.
sed -i 's/time_limit = 40;/time_limit = 6;/; s/warnings = \[ 35, 10 \]/warnings = [ 5, 2 ]/' "$CONF"
kill -HUP "$DPID"
sleep 0.5
s_begin || t_fail "the login hook opens the notice" "state $(s_state)"
s_session_start --lang en
s_wait_screen notice 10
s_click accept
t_check "time limit: the session is ACTIVE" s_wait_state ACTIVE 5
t_check "time limit: the strip warns" s_wait_dump '^note .* left\. Save what you want to keep now' 6
t_check "time limit: the daemon ends the session at the limit" s_wait_daemon_saw 'ACTIVE -> ENDING reason time_limit' 10
s_session_wiped "time limit"

# The ending screen, with the double (it stays in ENDING after decline).
s_fake_start || { t_fail "the fake agent starts" "$(cat "$T_TMP/fake.out")"; t_done; exit 1; }
s_fake_session_start --lang en
s_wait_screen notice 10
s_click logout
t_check "[fake agent] log out: the agent saw decline" s_wait_fake_saw '^decline$' 5
t_check "[fake agent] log out: the ending screen covers the desktop" s_wait_screen ending 5
t_check "[fake agent] ... and keeps the grab" grep -q '^grab yes$' "$S_DUMP"
s_shot ending
s_session_stop "[fake agent] ending screen"
s_fake_stop

# The session is killed by closing the X connection: the client exits with status 0.
s_begin || t_fail "the login hook opens the notice" "state $(s_state)"
s_session_start --lang en
s_wait_screen notice 10
kill "$S_XVFB_PID"
for _ in $(seq 50); do kill -0 "$S_SESSION_PID" 2>/dev/null || break; sleep 0.1; done
t_expect_fail "the client exits when the X connection dies" bash -c "kill -0 $S_SESSION_PID 2>/dev/null"
wait "$S_SESSION_PID"; rc=$?
S_SESSION_PID=
[ $rc -eq 0 ] || t_diag "$(tail -20 "$T_TMP/session.err")"
t_check "... with status 0 (rc=$rc)" test $rc -eq 0
t_check "... and the daemon's session is untouched by it (NOTICE)" test "$(s_state)" = NOTICE
ctl hook session-cleanup "$GUEST" >/dev/null
s_session_wiped "logout hook after the X session died"
t_done

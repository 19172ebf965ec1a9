#!/usr/bin/env bash
# The end of a session: "Log out" on the notice declines; in a running session the strip's
# "End session and erase my data" asks for confirmation (No keeps the session, Esc too, Yes
# ends it) and the client then shows the ending screen; the time-limit warning from the
# agent turns the strip amber.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config time_limit=40 "warnings=35, 10" interval=2
s_agent_start || { t_fail "agent starts"; t_done; exit 1; }

# Log out on the notice.
s_session_start --lang en
s_wait_screen notice 10
s_click logout
t_check "log out: the agent's session is ENDING" s_wait_state ENDING 5
s_is_fake && t_check "log out: the agent saw decline" s_agent_saw '^decline$'
t_check "log out: the ending screen covers the desktop" s_wait_screen ending 5
t_check "log out: ... and keeps the grab" grep -q '^grab yes$' "$S_DUMP"
s_shot ending
s_session_stop "log out"

# The end button with its confirmation.
s_agent_stop
s_agent_start
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

s_click end
s_wait_screen confirm 5
s_click confirm_yes
t_check "Yes: the agent's session is ENDING" s_wait_state ENDING 5
s_is_fake && t_check "Yes: the agent saw end button" s_agent_saw '^end button$'
t_check "Yes: the ending screen" s_wait_screen ending 5

# The session is killed by closing the X connection: the client exits.
kill "$S_XVFB_PID"
for _ in $(seq 50); do kill -0 "$S_SESSION_PID" 2>/dev/null || break; sleep 0.1; done
t_expect_fail "the client exits when the X connection dies" bash -c "kill -0 $S_SESSION_PID 2>/dev/null"
wait "$S_SESSION_PID"; rc=$?
S_SESSION_PID=
[ $rc -eq 0 ] || t_diag "$(tail -20 "$T_TMP/session.err")"
t_check "... with status 0 (rc=$rc)" test $rc -eq 0
t_done

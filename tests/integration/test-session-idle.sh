#!/usr/bin/env bash
# Idle: XSync IDLETIME alarms. idle_timeout 8 s, idle_warning 4 s: after 4 s without input a
# countdown appears, input cancels it (the session goes on), and without input the client
# reports the idle time and the agent ends the session. Idle is reported once per
# idle_report_interval.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config idle_timeout=8 idle_warning=4 interval=3
s_agent_start || { t_fail "agent starts"; t_done; exit 1; }
s_session_start --lang en
s_wait_screen notice 10
s_click accept
s_wait_state ACTIVE 5
t_check "no countdown right after input" bash -c "sleep 2; ! grep -q '^screen dialog idle' '$S_DUMP'"
t_check "after 4 s idle: the countdown appears" s_wait_screen idle 5
t_check "the countdown says how many seconds are left" grep -qE '^text The session ends and everything is erased in [0-4] seconds\.' "$S_DUMP"
s_shot idle-countdown
xdotool mousemove 500 500
xdotool mousemove 510 505
t_check "input cancels the countdown" bash -c "for i in \$(seq 20); do grep -q '^screen dialog idle' '$S_DUMP' || exit 0; sleep 0.1; done; exit 1"
t_check "the session goes on" test "$(s_state)" = ACTIVE
t_check "the countdown comes back after another idle spell" s_wait_screen idle 6
t_check "without input the agent ends the session (idle)" s_wait_state ENDING 8
if s_is_fake; then
    t_check "the agent ended it for idle" s_agent_saw '^state ENDING idle$'
    n=$(grep -c '^idle [0-9]' "$T_TMP/agent.log")
    t_check "idle was reported periodically ($n reports in ~15 s at a 3 s interval)" test "$n" -ge 3 -a "$n" -le 9
fi
t_check "the ending screen is shown" s_wait_screen ending 5
s_session_stop "idle"
t_done

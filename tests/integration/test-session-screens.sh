#!/usr/bin/env bash
# Two monitors (RandR 1.5 monitors on one Xvfb screen): the notice is on the primary one and
# the other is covered with a pointer to it. The agent down: the out-of-order screen covers
# everything with the grab held, and the client picks up the notice when the agent is back.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb -screen 0 2560x800x24 || { t_fail "Xvfb starts"; t_done; exit 1; }
s_xprobe || { t_fail "the X probe client builds"; t_done; exit 1; }
s_config
"$T_TMP/xprobe" monitors
t_check "two monitors are set up" test "$("$T_TMP/xprobe" monitors-list | wc -l)" -ge 2

# Agent down first.
s_session_start --lang en
t_check "agent down: the out-of-order screen" s_wait_screen ooo 10
t_check "agent down: keyboard and pointer are grabbed" s_wait_dump '^grab yes$' 3
t_check "agent down: the screen says to ask the staff" grep -q '^title Out of order — please ask the staff$' "$S_DUMP"
s_shot out-of-order
s_agent_start || { t_fail "agent starts"; t_done; exit 1; }
t_check "agent back: the notice follows within the retry interval" s_wait_screen notice 10
s_shot two-monitors

read -r ax _ <<<"$(s_button accept)"
t_check "the notice is on the primary (left) monitor (accept at x=$ax)" test "$ax" -lt 1280
png=$S_SHOTS/two-monitors.png
n=$(s_colors "$png" 1280x800+1280+0)
t_check "the second monitor is covered and carries a note ($n colours)" test "$n" -gt 2
t_check "the note on the second monitor" grep -q '^other Please use the main screen\.$' "$S_DUMP"
px=$(convert "$png" -crop "1x1+2500+20" -format '%[hex:p{0,0}]' info:)
t_check "the second monitor is covered (corner pixel $px is the cover's white)" test "${px:0:6}" = FFFFFF

# The agent goes away in the middle of the notice: fail closed.
s_agent_stop
s_click accept
t_check "agent gone at accept: out of order, grab held" s_wait_screen ooo 5
t_check "... with the grab" grep -q '^grab yes$' "$S_DUMP"
s_agent_start --state BLOCKED
sleep 6
t_check "a BLOCKED seat stays out of order" s_wait_screen ooo 2
s_session_stop "screens"
t_done

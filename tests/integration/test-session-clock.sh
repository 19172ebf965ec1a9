#!/usr/bin/env bash
# The patron's clock in rentark-session (session.start_on_first_input), against the real
# rentarkd under Xvfb, with a report interval of 30 s so that only the client's immediate
# report can be fast:
#   - after the notice is accepted with a click, the strip says that the time waits for the
#     patron (the whole limit, not counting) and the daemon says waiting_input 1;
#   - the first input 2+ s later (a mouse move, a key, or a click) is reported at once: the daemon's
#     waiting_input is 0 within 1.5 s and the strip counts the time left;
#   - with no input for first_input_wait (6 s) the daemon shows the notice again, and so does
#     the client, without waiting for its next report.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config first_input=true first_input_wait=6 interval=30 time_limit=3600 idle_timeout=900
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

# A client after a wiped session: the accessibility bus of the last one (killed by the wipe)
# is still named on the root window, and AT-SPI would try it first; a real login sets it anew.
client_start() { xprop -root -remove AT_SPI_BUS 2>/dev/null; s_session_start "$@"; }
# ms_until KEY VALUE SECONDS: the milliseconds until the daemon's status KEY is VALUE, or
# 99999 when it is not within SECONDS.
ms_until() {
    local t0 now
    t0=$(date +%s%N)
    while :; do
        now=$(date +%s%N)
        [ "$(st "$1")" = "$2" ] && { echo $(((now - t0) / 1000000)); return; }
        [ $(((now - t0) / 1000000)) -lt $(($3 * 1000)) ] || { echo 99999; return; }
        sleep 0.05
    done
}

# ---- the first input starts the clock: a mouse move ----
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
client_start --lang en
t_check "the notice appears" s_wait_screen notice 20
s_click accept
t_check "accepted with a click: ACTIVE" s_wait_state ACTIVE 5
t_check "the daemon waits for the first input (waiting_input 1)" test "$(st waiting_input)" = 1
t_check "the strip says the time waits for the patron, with the whole limit" \
    s_wait_dump '^title Your time starts when you begin: 1 hour$' 5
s_shot clock-waiting
sleep 2.5
t_check "... still waiting after 2.5 s without input" test "$(st waiting_input)" = 1
xdotool mousemove 500 400
ms=$(ms_until waiting_input 0 3)
t_check "a mouse move 2.5 s later: the daemon's clock starts within 1.5 s ($ms ms)" test "$ms" -le 1500
t_check "... the strip counts the time left" s_wait_dump '^title Time left: (1 hour|60 minutes|59 minutes)$' 3
t_check "... the daemon logged the start" s_daemon_saw 'first input [0-9]+ s after the accept: the time limit starts'
ctl end >/dev/null
s_session_wiped "first input by mouse"

# ---- a key press counts too ----
s_begin || t_fail "the login hook opens the notice again" "state $(s_state)"
client_start --lang en
s_wait_screen notice 20
s_click accept
s_wait_state ACTIVE 5
t_check "accepted again: waiting" s_wait_dump '^title Your time starts when you begin: ' 5
sleep 2.5
xdotool key shift
ms=$(ms_until waiting_input 0 3)
t_check "a key 2.5 s later: the daemon's clock starts within 1.5 s ($ms ms)" test "$ms" -le 1500
t_check "... the strip counts" s_wait_dump '^title Time left: ' 3

# ---- no input: the notice again ----
ctl end >/dev/null
s_session_wiped "first input by key"
s_begin || t_fail "the login hook opens the notice a third time" "state $(s_state)"
client_start --lang en
s_wait_screen notice 20
s_click accept
s_wait_state ACTIVE 5
t_check "accepted a third time: waiting" s_wait_dump '^title Your time starts when you begin: ' 5
t_check "no input for 6 s: the daemon shows the notice again (ACTIVE -> NOTICE)" s_wait_state NOTICE 9
# The client asks about a second after the daemon's wait ran out; building the long notice
# takes a few seconds in the sanitizer build.
t_check "... and the client shows the notice again, long before its 30 s report" s_wait_screen notice 9
t_check "... covering the screen and holding the grab" s_wait_dump '^grab yes$' 2
t_check "... the strip is gone" s_no_screen active
s_shot clock-notice-again
s_click accept
t_check "the notice accepted again: ACTIVE, waiting again" s_wait_dump '^title Your time starts when you begin: ' 5
# ---- a click alone (the pointer does not move) counts too ----
sleep 2.5
xdotool click 1
ms=$(ms_until waiting_input 0 3)
t_check "a click 2.5 s later, the pointer still: the daemon's clock starts within 1.5 s ($ms ms)" test "$ms" -le 1500
ctl end >/dev/null
s_session_wiped "notice again"
t_done

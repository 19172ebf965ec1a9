#!/usr/bin/env bash
# Time starts with the patron (issue 16), against the real rentarkd: with
# session.start_on_first_input the time limit starts at the first input after the accept, as
# the idle reports show it (input idle_seconds ago), not at the accept; until then the status
# says waiting_input=1 and time_left holds still at what the patron will get. An accepted
# notice with no input for session.first_input_wait seconds shows the notice again (NOTICE,
# the same session, nothing to wipe). With the option off, the limit starts at the accept.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
cat >>"$CONF" <<'EOF2'
session = { time_limit = 60; idle_timeout = 0; warnings = [ 30 ]; first_input_wait = 5; };
EOF2

idle() { guest_ctl idle "$1" >/dev/null; }
# sleep_since T0 S: until S seconds after T0 (date +%s.%N).
sleep_since() { sleep "$(echo "$1 + $2 - $(date +%s.%N)" | bc -l | sed 's/^-.*/0/')"; }

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
t_check "session-config: start_on_first_input=1 (the default) first_input_wait=5" \
    test "$(ctl session-config | field start_on_first_input) $(ctl session-config | field first_input_wait)" = "1 5"

# --- no input yet: the clock waits
ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
t0=$(date +%s.%N)
t_check "accepted: waiting_input 1, time_left 60 (the whole limit)" test "$(st waiting_input) $(st time_left)" = "1 60"
sleep_since "$t0" 2.5
# An idle time as long as the time since the accept: no input since (the accepting click).
idle 2
t_check "2.5 s later, idle 2 s (no new input): still waiting, time_left 60" \
    test "$(st waiting_input) $(st time_left)" = "1 60"

# --- the first input, reported 1 s after it happened: the clock starts then
sleep_since "$t0" 4
idle 1
t_check "idle 1 s at 4 s: the clock runs (waiting_input 0)" test "$(st waiting_input)" = 0
t_check "... from the input, 1 s ago: time_left 58..59" in_range "$(st time_left)" 58 59
t_check "... logged by count: first input 3 s after the accept" \
    grep -qE '\[session [0-9a-f]{32}\] .*first input [23] s after the accept: the time limit starts' "$T_TMP/daemon.log"
sleep 2
t_check "2 s later: time_left 56..57, counting" in_range "$(st time_left)" 56 57
sleep 4
t_check "first_input_wait (5 s) has passed: the running session stays ACTIVE" test "$(state)" = ACTIVE
guest_ctl end >/dev/null
wait_state READY 30

# --- no input at all: the notice again, the same session
ctl hook session-setup "$GUEST" >/dev/null
sid=$(st session)
guest_ctl accept >/dev/null
t_check "no input for 5 s: the notice again (NOTICE)" wait_log "no input in 5 s after the notice was accepted" 8
t_check "... state NOTICE, the same session" test "$(state) $(st session)" = "NOTICE $sid"
t_check "... the journal says NOTICE" grep -q "^state=NOTICE" "$FS/state/seat.state"
guest_ctl accept >/dev/null
t_check "the next patron accepts: ACTIVE, waiting for input" test "$(state) $(st waiting_input)" = "ACTIVE 1"
# Input in the first 1.5 s cannot be told from the accepting click (idle counts whole seconds):
# it counts once the idle time is that much shorter than the time since the accept.
idle 0
t_check "idle 0 right after the accept: still the accepting click, waiting" test "$(st waiting_input)" = 1
sleep 2
idle 0
t_check "input 2 s after: the clock runs" test "$(st waiting_input)" = 0
guest_ctl end >/dev/null
wait_state READY 30

# --- the option off: the limit starts at the accept
sed -i 's/first_input_wait = 5;/first_input_wait = 5; start_on_first_input = false;/' "$CONF"; kill -HUP "$DPID"; sleep 0.3
ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
sleep 2
t_check "start_on_first_input = false: counting from the accept (waiting_input 0, time_left 57..58)" \
    test "$(st waiting_input) $(in_range "$(st time_left)" 57 58 && echo ok)" = "0 ok"
sleep 4
t_check "... and no return to the notice" test "$(state)" = ACTIVE
guest_ctl end >/dev/null
t_check "READY at the end" wait_state READY 30
t_done

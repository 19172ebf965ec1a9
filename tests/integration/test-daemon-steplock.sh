#!/usr/bin/env bash
# The step-away lock against the real rentarkd (issue 16): the guest locks its running session
# with a code of 4 to 8 digits; the right code unlocks it, 5 wrong codes end the session and
# wipe it, so does the end of session.step_away_max, and so does a session client that falls
# silent while locked (nothing would show the lock then). Staff can end a locked session, never
# unlock it; no code is ever written to the log. The idle timeout rests while locked.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
cat >>"$CONF" <<'EOF2'
session = { time_limit = 3600; start_on_first_input = false; idle_timeout = 600; idle_warning = 60;
            warnings = [ 300 ]; step_away_max = 6; };
EOF2

# gcall VERB [ARG...]: one request as the guest, the reply line in $T_TMP/g.out.
gcall() { as_guest /usr/bin/python3 "$RK_SRC/tests/helpers/rkcall.py" "$SOCK" "$@" >"$T_TMP/g.out" 2>&1; }
# g_ok VERB [ARG...] / g_err CODE VERB [ARG...]: the guest's call answered OK / ERR CODE.
g_ok() { gcall "$@" && grep -q '^OK' "$T_TMP/g.out"; }
g_err() { local code=$1; shift; gcall "$@"; grep -q "^ERR $code " "$T_TMP/g.out"; }
# root_err CODE VERB [ARG...]: the same request by root (an admin) is answered ERR CODE.
root_err() {
    local code=$1; shift
    /usr/bin/python3 "$RK_SRC/tests/helpers/rkcall.py" "$SOCK" "$@" | grep -q "^ERR $code "
}
gfield() { tr ' ' '\n' <"$T_TMP/g.out" | awk -F= -v k="$1" '$1 == k { print $2 }'; }
# session: a new session, accepted by the guest.
session() {
    wait_state READY 30 || return 1
    ctl hook session-setup "$GUEST" >/dev/null && guest_ctl accept >/dev/null && test "$(state)" = ACTIVE
}
# ping_while_locked SECONDS: the guest's client asking for the status every second.
ping_for() {
    local end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ] && [ "$(state)" = ACTIVE ]; do gcall status; sleep 1; done
}

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

t_check "session-config: step_away_max=6" test "$(ctl session-config | field step_away_max)" = 6
t_check "READY: lock refused (state)" g_err state lock 4821
ctl hook session-setup "$GUEST" >/dev/null
t_check "at the notice: lock refused (state)" g_err state lock 4821
guest_ctl accept >/dev/null

# --- the code's form, and who may lock
t_check "root may not lock (denied)" root_err denied lock 4821
for bad in 123 123456789 12a4 "" "12 34" -1234 "１２３４"; do
    t_check "code \"$bad\" refused (invalid)" g_err invalid lock "$bad"
done
t_check "still not locked" test "$(st locked)" = 0

# --- lock, a wrong code, the right code
t_check "the guest locks with 4821" g_ok lock 4821
t_check "status: locked 1, lock_left 5..6, 5 tries, no idle timeout while locked" \
    test "$(st locked) $(in_range "$(st lock_left)" 5 6 && echo ok) $(st lock_tries_left) $(st idle_left)" = "1 ok 5 -1"
t_check "lock again: refused (state)" g_err state lock 1234
t_check "root may not unlock, even with the right code (denied)" root_err denied unlock 4821
t_check "still locked after root's try" test "$(st locked)" = 1
t_check "a wrong code: wrong-code" g_err wrong-code unlock 1111
t_check "... 4 tries left" test "$(st lock_tries_left)" = 4
t_check "the right code unlocks" g_ok unlock 4821
t_check "unlocked: locked 0, the idle timeout runs again" \
    test "$(st locked) $( [ "$(st idle_left)" -gt 500 ] && echo ok)" = "0 ok"
t_check "unlock when not locked: state" g_err state unlock 4821
t_check "the session runs on" test "$(state)" = ACTIVE

# --- five wrong codes end the session and wipe it
t_check "lock with an 8-digit code" g_ok lock 55555555
for i in 1 2 3 4; do g_err wrong-code unlock 5555555$i >/dev/null; done
t_check "after 4 wrong codes: 1 try left, still ACTIVE" test "$(st lock_tries_left) $(state)" = "1 ACTIVE"
t_check "the 5th wrong code: wrong-code, and the session ends" g_err wrong-code unlock 00000000
t_check "... with the reason lock_wrong_code" wait_log "ACTIVE -> ENDING reason lock_wrong_code" 5
t_check "... and is wiped: READY" wait_state READY 30
t_check "the right code after that opens nothing (state)" g_err state unlock 55555555

# --- staff end a locked session
session || t_fail "session 2 ACTIVE"
g_ok lock 2468
t_check "staff end a locked session" ctl end staff
t_check "... reason staff, and it is wiped" wait_log "ACTIVE -> ENDING reason staff" 5
t_check "... READY" wait_state READY 30

# --- the lock runs out (its client alive all the while)
session || t_fail "session 3 ACTIVE"
g_ok lock 1357
t0=$SECONDS
ping_for 12
t_check "step_away_max (6 s) ends the session: reason lock_timeout" \
    grep -q "ACTIVE -> ENDING reason lock_timeout" "$T_TMP/daemon.log"
t_check "... after 5..8 s" in_range $((SECONDS - t0)) 5 9
t_check "... the log says the lock ran out" grep -q "the step-away lock ran out after 6 s" "$T_TMP/daemon.log"
t_check "... and it is wiped: READY" wait_state READY 30

# --- a silent client while locked: nothing shows the lock, the session ends
sed -i 's/step_away_max = 6;/step_away_max = 120;/' "$CONF"; kill -HUP "$DPID"; sleep 0.3
session || t_fail "session 4 ACTIVE"
g_ok lock 9753
t0=$SECONDS
t_check "a silent client ends the locked session (reason lock_timeout)" \
    wait_log "silent for 10 s while the screen was locked" 20
t_check "... after about 10 s, not step_away_max (120 s)" in_range $((SECONDS - t0)) 9 14
t_check "... and it is wiped: READY" wait_state READY 30

# --- turned off
sed -i 's/step_away_max = 120;/step_away_max = 0;/' "$CONF"; kill -HUP "$DPID"; sleep 0.3
session || t_fail "session 5 ACTIVE"
t_check "step_away_max = 0: lock refused (denied)" g_err denied lock 4821
ctl end staff >/dev/null

t_check "no code is in the log" sh -c "! grep -qwE '4821|1111|5555555|00000000|2468|1357|9753' '$T_TMP/daemon.log'"
t_check "the lock's events are logged by count, under the session id" \
    grep -qE '\[session [0-9a-f]{32}\] .*wrong code for the step-away lock \(1 of 5\)' "$T_TMP/daemon.log"
t_done

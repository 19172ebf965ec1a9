#!/usr/bin/env bash
# More time for the patron (WCAG 2.2.1 "timing adjustable") against the real rentarkd: the
# guest's `extend` moves the end of a session with a time limit session.extend_by seconds
# later, at most session.max_extends times per session; the time warnings come again before
# the new end and the time limit then ends the session at the new end, not the old one; the
# count starts anew with the next session; extending is refused, each with its own code, at
# the notice (state), when turned off (denied), without a time limit (no-limit) and when used
# up (exhausted), and for anyone but the guest.
#
# Short timers: time_limit 6 s, one warning 3 s before the end, extend_by 6 s, max_extends 2.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
cat >>"$CONF" <<'EOF2'
session = { time_limit = 6; start_on_first_input = false; idle_timeout = 0; warnings = [ 3 ]; extend_by = 6; max_extends = 2; };
EOF2

# wait_field KEY VALUE SECONDS: until the status shows KEY = VALUE.
wait_field() {
    local end=$((SECONDS + $3 * ${RK_TIME_SCALE:-1}))
    while [ "$(st "$1")" != "$2" ]; do
        [ $SECONDS -lt $end ] || return 1
        daemon_exited && return 1
        sleep 0.1
    done
}
# extend_ok: the guest extends; its reply (the status) in $T_TMP/extend.out.
extend_ok() { guest_ctl extend >"$T_TMP/extend.out" 2>"$T_TMP/extend.err"; }
# extend_refused CODE: the guest's extend fails (exit 1) with the daemon's error code CODE.
extend_refused() {
    guest_ctl extend >/dev/null 2>"$T_TMP/extend.err"
    local rc=$?
    [ $rc -eq 1 ] && grep -q "($1)\$" "$T_TMP/extend.err"
}
# root_refused: root (an admin) asks to extend and is refused (denied).
root_refused() {
    ctl extend >/dev/null 2>"$T_TMP/root.err"
    local rc=$?
    [ $rc -eq 1 ] && grep -q "(denied)\$" "$T_TMP/root.err"
}
hup() { kill -HUP "$DPID"; sleep 0.3; }

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

ctl session-config >"$T_TMP/sc.out"
t_check "session-config: extend_by=6 max_extends=2 screen_reader=0" \
    test "$(field extend_by <"$T_TMP/sc.out") $(field max_extends <"$T_TMP/sc.out") $(field screen_reader <"$T_TMP/sc.out")" = "6 2 0"

# --- session 1: two extensions, the third refused, the warning again, the limit at the new end.
ctl hook session-setup "$GUEST" >/dev/null
t_check "at the notice: extends_left 0" test "$(st extends_left)" = 0
t_check "at the notice: extend refused (state)" extend_refused state
t_check "root may not extend: more time is the patron's to ask for (denied)" root_refused
guest_ctl accept >/dev/null
t0=$SECONDS
t_check "ACTIVE: extends_left 2 (max_extends)" test "$(st extends_left)" = 2
t_check "the warning 3 s before the end comes" wait_field warn 3 6
before=$(st time_left)
if extend_ok; then
    after=$(field time_left <"$T_TMP/extend.out")
    t_check "extend 1: time_left $before -> $after, extend_by (6 s) more" in_range "$after" $((before + 5)) $((before + 6))
    t_check "extend 1: extends_left 1" test "$(field extends_left <"$T_TMP/extend.out")" = 1
    t_check "extend 1: the warning is off again (the end is 9 s away)" test "$(field warn <"$T_TMP/extend.out")" = 0
else
    t_fail "extend 1 accepted" "$(cat "$T_TMP/extend.err")"
fi
t_check "the extension is logged with its number, under the session id" \
    grep -qE '\[session [0-9a-f]{32}\] .*time limit extended by 6 s \(extension 1 of 2\)' "$T_TMP/daemon.log"
# The old end was 6 s after accept: the session must outlive it.
while [ $((SECONDS - t0)) -lt 7 ]; do sleep 0.1; done
t_check "the session outlives its old end (7 s after accept, limit 6 s)" test "$(state)" = ACTIVE
t_check "the warning comes again 3 s before the new end" wait_field warn 3 6
before=$(st time_left)
if extend_ok; then
    after=$(field time_left <"$T_TMP/extend.out")
    t_check "extend 2: time_left $before -> $after" in_range "$after" $((before + 5)) $((before + 6))
    t_check "extend 2: extends_left 0" test "$(field extends_left <"$T_TMP/extend.out")" = 0
else
    t_fail "extend 2 accepted" "$(cat "$T_TMP/extend.err")"
fi
before=$(st time_left)
t_check "extend 3 (max_extends 2): refused (exhausted)" extend_refused exhausted
after=$(st time_left)
t_check "... and the end did not move (time_left $before -> $after)" in_range "$after" 0 "$before"
t_check "the time limit ends the session at the new end" wait_log "ACTIVE -> ENDING reason time_limit" 12
el=$((SECONDS - t0))
t_check "... no earlier than the two extensions allow (${el} s after accept; 6 + 2 x 6 s, less the rounding)" \
    test "$el" -ge 15
t_check "READY after the wipe" wait_state READY

# --- session 2: the count starts anew.
ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
t_check "next session: extends_left 2 again" test "$(st extends_left)" = 2
t_check "next session: extend accepted" extend_ok
t_check "next session: extends_left 1 after it" test "$(field extends_left <"$T_TMP/extend.out")" = 1
guest_ctl end >/dev/null 2>&1
wait_state READY

# --- session 3: extending turned off (extend_by = 0, then max_extends = 0), by a reload; a
# time limit of 60 s, so that it does not end the session under the checks.
sed -i 's/time_limit = 6;/time_limit = 60;/; s/extend_by = 6;/extend_by = 0;/' "$CONF"; hup
t_check "reload: session-config says extend_by=0" test "$(ctl session-config | field extend_by)" = 0
ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
t_check "extend_by 0: extends_left 0" test "$(st extends_left)" = 0
t_check "extend_by 0: extend refused (denied)" extend_refused denied
sed -i 's/extend_by = 0; max_extends = 2;/extend_by = 6; max_extends = 0;/' "$CONF"; hup
t_check "max_extends 0: extend refused (denied)" extend_refused denied
t_check "... and the session still runs" test "$(state)" = ACTIVE
guest_ctl end >/dev/null 2>&1
wait_state READY

# --- session 4: no time limit.
sed -i 's/time_limit = 60;/time_limit = 0;/; s/max_extends = 0;/max_extends = 2;/' "$CONF"; hup
t_check "reload: no time limit" grep -q "time_limit = 0; start_on_first_input = false; idle_timeout = 0; warnings = \[ 3 \]; extend_by = 6; max_extends = 2;" "$CONF"
ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
t_check "no time limit: time_left -1, extends_left 0" test "$(st time_left) $(st extends_left)" = "-1 0"
t_check "no time limit: extend refused (no-limit)" extend_refused no-limit
guest_ctl end >/dev/null 2>&1
t_check "READY at the end" wait_state READY
t_check "the log holds the three accepted extensions, no more" test "$(grep -c 'time limit extended' "$T_TMP/daemon.log")" = 3
t_done

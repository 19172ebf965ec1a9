#!/usr/bin/env bash
# Opening hours against the real rentarkd, in real time: a schedule built from `date` that
# opens today at the next whole minute at least 30 s away and closes a minute later, with one
# closing warning 30 s before. The seat starts CLOSED (the hook refused, the opening reported)
# and opens at the opening; a session in progress gets no more time than is left until
# closing: its 30 s time limit comes first, an extension stops at the closing and the next
# is refused ("closing"), and then time_left and session_time count to the closing; the
# status reports closes_at and then the warnings, and at closing (where the time limit now
# ends too) the session ends with reason closing and is wiped; the seat is
# CLOSED, reports the next opening (tomorrow 09:00, a dated exception) and the display
# manager's hook is refused; a restart keeps it CLOSED (and wipes, as at any start that is not
# a clean READY); staff reopen it with `rentarkctl open --until`, which a restart keeps, and
# close it again with `rentarkctl close`, which ends a running session the same way. Only
# staff may do either. About 2 to 3 minutes.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"

quiet() { "$@" >/dev/null; }
# wait_until UNIX: sleep until the wall clock has reached UNIX.
wait_until() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }
# refused CODE CMD...: the command fails (exit 1) with the daemon's error code CODE.
refused() {
    local code=$1 rc
    shift
    "$@" >/dev/null 2>"$T_TMP/refused.err"; rc=$?
    [ $rc -eq 1 ] && grep -q "($code)\$" "$T_TMP/refused.err"
}

# The schedule is today's and must not run into tomorrow: near midnight, wait for the new day.
now=$(date +%s)
if [ $((now + 240)) -ge "$(date -d 'tomorrow 00:00' +%s)" ]; then
    t_diag "waiting for midnight to pass"
    wait_until $(($(date -d 'tomorrow 00:00' +%s) + 5))
    now=$(date +%s)
fi
OPEN=$(((now + 30 + 59) / 60 * 60))
CLOSE=$((OPEN + 60))
OPEN_HM=$(date -d "@$OPEN" +%H:%M)
CLOSE_HM=$(date -d "@$CLOSE" +%H:%M)
TODAY=$(date +%F)
TOMORROW=$(date -d "$TODAY + 1 day" +%F)
OPENS=$(date -d "$TOMORROW 09:00" +%s)
MIDNIGHT=$(date -d "$TOMORROW 00:00" +%s)
t_diag "open $OPEN_HM-$CLOSE_HM ($((OPEN - now)) s from now); next opening $TOMORROW 09:00"
cat >>"$CONF" <<EOF2
session = { time_limit = 30; start_on_first_input = false; idle_timeout = 0; warnings = [ 20 ]; extend_by = 600; max_extends = 3; };
hours = {
  mon = "closed"; tue = "closed"; wed = "closed"; thu = "closed"; fri = "closed"; sat = "closed"; sun = "closed";
  exceptions = ( { date = "$TODAY"; hours = "$OPEN_HM-$CLOSE_HM"; },
                 { date = "$TOMORROW"; hours = "09:00-16:00"; } );
  warnings = [ 30 ];
};
EOF2

start_daemon && wait_state CLOSED || { t_fail "daemon CLOSED" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

# --- before the opening: CLOSED.
ctl status >"$T_TMP/st.out"
t_check "before the opening: opens_at is the opening ($OPEN_HM), closes_at 0, session_time 0" \
    test "$(field opens_at <"$T_TMP/st.out") $(field closes_at <"$T_TMP/st.out") $(field session_time <"$T_TMP/st.out")" = "$OPEN 0 0"
t_check "before the opening: hook session-setup is refused (state)" refused state ctl hook session-setup "$GUEST"
t_check "... naming the opening" grep -q "CLOSED.*opens at $TODAY $OPEN_HM" "$T_TMP/refused.err"
t_check "at the opening the seat is READY" wait_state READY $((OPEN - $(date +%s) + 5))
t_check "... not before it" test "$(date +%s)" -ge "$OPEN"
t_check "the opening is logged with its cause" grep -q "opening (opening hours): the seat is open until $TODAY $CLOSE_HM" "$T_TMP/daemon.log"

# --- open, closing in sight.
ctl status >"$T_TMP/st.out"
t_check "status: closes_at is the closing ($CLOSE_HM)" test "$(field closes_at <"$T_TMP/st.out")" = "$CLOSE"
t_check "status: opens_at 0 while open, no override, no closing warning yet" \
    test "$(field opens_at <"$T_TMP/st.out") $(field override <"$T_TMP/st.out") $(field closing_warn <"$T_TMP/st.out")" = "0 - 0"
t_check "status: session_time is the 30 s time limit (the closing is later)" \
    test "$(field session_time <"$T_TMP/st.out")" = 30
t_check "session-config: closing_warnings=30" test "$(ctl session-config | field closing_warnings)" = 30

ctl hook session-setup "$GUEST" >/dev/null
t_check "hook session-setup while open: NOTICE" test "$(state)" = NOTICE
plant
guest_ctl accept >/dev/null
t_check "the guest accepts: ACTIVE" test "$(state)" = ACTIVE
ctl status >"$T_TMP/st.out"
t_check "time_left is the time limit, which comes first ($(field time_left <"$T_TMP/st.out") s)" \
    in_range "$(field time_left <"$T_TMP/st.out")" 27 30
t_check "extends_left 3" test "$(field extends_left <"$T_TMP/st.out")" = 3
if guest_ctl extend >"$T_TMP/extend.out" 2>"$T_TMP/extend.err"; then
    left=$((CLOSE - $(date +%s)))
    t_check "extend: time_left stops at the closing ($(field time_left <"$T_TMP/extend.out") s, closing in $left s), not 600 s more" \
        in_range "$(field time_left <"$T_TMP/extend.out")" $((left - 2)) $((left + 1))
    t_check "extend: extends_left 0 now" test "$(field extends_left <"$T_TMP/extend.out")" = 0
else
    t_fail "extend accepted" "$(cat "$T_TMP/extend.err")"
fi
t_check "the extension is logged as stopped at the closing" \
    grep -qE 'time limit extended by [0-9]+ s, up to the closing \(extension 1 of 3\)' "$T_TMP/daemon.log"
t_check "a second extend is refused (closing)" refused closing guest_ctl extend
t_check "... saying when the library closes" grep -q "closes at .*$CLOSE_HM" "$T_TMP/refused.err"
t_check "the guest may not open or close the seat (denied)" refused denied guest_ctl open --until 23:00
t_check "... nor close it (denied)" refused denied guest_ctl close
t_check "rentarkctl open without --until is a usage error" test "$(ctl open >/dev/null 2>&1; echo $?)" = 2

# --- the closing warning, then the closing.
wait_until $((CLOSE - 28))
ctl status >"$T_TMP/st.out"
t_check "within 30 s of closing: closing_warn=30" test "$(field closing_warn <"$T_TMP/st.out")" = 30
t_check "... session_time counts to the closing, under the 30 s limit ($(field session_time <"$T_TMP/st.out") s)" \
    in_range "$(field session_time <"$T_TMP/st.out")" 25 28
t_check "... the session still runs, past its first limit" test "$(field state <"$T_TMP/st.out")" = ACTIVE
wait_until $((CLOSE - 18))
t_check "within 20 s of closing the session's own warning comes too (warn=20: it follows time_left)" \
    test "$(st warn) $(st closing_warn)" = "20 30"
t_check "at closing the session ends with reason closing" wait_log "ACTIVE -> ENDING reason closing" 40
t_check "... not before the closing" test "$(date +%s)" -ge "$CLOSE"
t_check "... at most 5 s after it" test "$(date +%s)" -le $((CLOSE + 5))
t_check "the closing is logged with its cause" grep -q "closing (opening hours): the running session ends" "$T_TMP/daemon.log"
t_check "after the wipe the seat is CLOSED" wait_state CLOSED 30
wipe_check "the session ended at closing was wiped" 0
ctl status >"$T_TMP/st.out"
t_check "CLOSED: opens_at is tomorrow 09:00, closes_at 0" \
    test "$(field opens_at <"$T_TMP/st.out") $(field closes_at <"$T_TMP/st.out")" = "$OPENS 0"
t_check "CLOSED: session_time 0" test "$(field session_time <"$T_TMP/st.out")" = 0
t_check "CLOSED: hook session-setup is refused (state)" refused state ctl hook session-setup "$GUEST"
t_check "... naming the next opening" grep -q "CLOSED.*opens at $TOMORROW 09:00" "$T_TMP/refused.err"
t_check "... and the seat stays CLOSED" test "$(state)" = CLOSED
t_check "statistics count the end reason closing" sh -c "'$RKCTL' -s '$SOCK' stats --json |
    /usr/bin/python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)))' | grep -q '\"closing\": 1'"
t_check "the metrics file has reason=\"closing\"" grep -q 'reason="closing"} 1' "$FS/state/rentark.prom"

# --- a restart while closed: still CLOSED, after the start-up wipe.
stop_daemon
t_check "the journal says CLOSED" grep -q '^state=CLOSED$' "$FS/state/seat.state"
start_daemon
t_check "after a restart the seat is CLOSED again" wait_state CLOSED 30
t_check "... having wiped first, as at any start that is not a clean READY" \
    grep -q "start-up: last state CLOSED, wiping before the seat opens" "$T_TMP/daemon.log"

# --- staff override: open until midnight, across a restart.
t_check "open --until 25:00 is refused (invalid)" refused invalid ctl open --until 25:00
t_check "open --until 00:00 (not later today) is refused (invalid)" refused invalid ctl open --until 00:00
t_check "rentarkctl open --until 24:00 (staff)" quiet ctl open --until 24:00
t_check "... the seat is READY" wait_state READY 5
ctl status >"$T_TMP/st.out"
t_check "... override=open, closes_at midnight" \
    test "$(field override <"$T_TMP/st.out") $(field closes_at <"$T_TMP/st.out")" = "open $MIDNIGHT"
t_check "the override is logged" grep -q "staff override: open now until $TOMORROW 00:00" "$T_TMP/daemon.log"
t_check "the opening is logged with its cause" grep -q "opening (staff: open --until)" "$T_TMP/daemon.log"
stop_daemon
start_daemon
t_check "after a restart the override holds: READY" wait_state READY 30
t_check "... as the log says" grep -q "staff override of today kept: open until" "$T_TMP/daemon.log"
t_check "hook session-setup works again: NOTICE" quiet ctl hook session-setup "$GUEST"
guest_ctl accept >/dev/null
plant

# --- staff close: the session ends the same way.
t_check "rentarkctl close (staff)" quiet ctl close
t_check "close ends the running session with reason closing" wait_log "ACTIVE -> ENDING reason closing" 10
t_check "... and the seat is CLOSED after the wipe" wait_state CLOSED 30
wipe_check "the session ended by close was wiped" 0
ctl status >"$T_TMP/st.out"
t_check "override=close, opens_at tomorrow 09:00" \
    test "$(field override <"$T_TMP/st.out") $(field opens_at <"$T_TMP/st.out")" = "close $OPENS"
t_check "CLOSED by staff: hook session-setup is refused" refused state ctl hook session-setup "$GUEST"
t_check "two sessions ended at closing" test "$(grep -c 'ACTIVE -> ENDING reason closing' "$T_TMP/daemon.log")" = 2
t_check "the log names no guest file" sh -c "! grep -q 'x.pdf' '$T_TMP/daemon.log'"
grep -E 'hours:|closing|opening|closed|CLOSED' "$T_TMP/daemon.log" | sed 's/^/# /'
t_done

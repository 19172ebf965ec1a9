#!/usr/bin/env bash
# The real rentarkd following a mock logind (python3-dbusmock) on a private bus that it reaches
# through DBUS_SYSTEM_BUS_ADDRESS: SessionNew of the guest and of someone else, SessionRemoved,
# PrepareForShutdown with its delay lock, a forged signal, the bus going away, and the daemon
# without a bus, without logind and with a bus that never answers.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
# The system python: a pyenv python3 first on PATH would not have dbusmock.
PY=/usr/bin/python3
if ! command -v dbus-daemon >/dev/null || ! command -v gdbus >/dev/null; then
    t_skip "all tests in $(basename "$0")" "dbus-daemon/gdbus not installed"
    t_done; exit 0
fi
if ! "$PY" -c 'import dbusmock' 2>/dev/null; then
    t_skip "all tests in $(basename "$0")" "python3-dbusmock not installed for $PY"
    t_done; exit 0
fi
wipe_env_setup 512M
. "$RK_SRC/tests/daemon-env.sh"
LOG=$T_TMP/daemon.log
cat >>"$CONF" <<'EOF2'
session = { time_limit = 3600; start_on_first_input = false; idle_timeout = 900; idle_warning = 60; warnings = [ 300, 60 ]; };
EOF2
# The info line that says why logind is not followed is what some checks look for.
export G_MESSAGES_DEBUG=all

# stop_checked DESC: SIGTERM, and the daemon must exit 0 (a sanitizer finding at exit is not 0).
stop_checked() {
    local rc
    kill -TERM "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null; rc=$?
    DPID=
    check "$1: SIGTERM, exit 0" 'exit status $rc; log: $(tail -5 "$LOG" | tr "\n" " " | head -c 600)' test "$rc" -eq 0
}
session_id() { ctl status 2>/dev/null | awk '$1 == "session" { print $2 }'; }
# wait_for CMD...: up to 10 s for CMD to succeed.
wait_for() { local i; for i in $(seq 1 200); do "$@" && return 0; sleep 0.05; done; return 1; }
# check DESC WHY CMD...: like t_check, with a reason on failure. WHY is given in single quotes
# and expanded only after CMD failed, so that it shows the state after the wait, not before.
check() {
    local d=$1 why=$2; shift 2
    if "$@"; then t_ok "$d"; else eval "why=\"$why\""; t_fail "$d" "$why"; fi
}
quiet() { "$@" >/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# A private bus of our own, never the machine's system bus.
start_bus() {
    local out
    out=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) || return 1
    BUS_ADDR=$(sed -n 1p <<<"$out")
    BUS_PID=$(sed -n 2p <<<"$out")
    t_cleanup "kill $BUS_PID"
    export DBUS_SYSTEM_BUS_ADDRESS=$BUS_ADDR
}
lcall() { # OBJECT METHOD ARGS...: a call to the mock logind
    local obj=$1 method=$2; shift 2
    gdbus call --system --dest org.freedesktop.login1 --object-path "$obj" --method "$method" "$@"
}
has_logind() {
    gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.NameHasOwner org.freedesktop.login1 2>/dev/null | grep -q true
}
MOCK_LOG=$T_TMP/logind.log
start_mock() {
    "$PY" -m dbusmock --template logind -l "$MOCK_LOG" >"$T_TMP/mock.out" 2>&1 &
    MOCK_PID=$!
    t_cleanup "kill $MOCK_PID"
    wait_for has_logind
}
add_session() { # ID UID NAME
    lcall /org/freedesktop/login1 org.freedesktop.DBus.Mock.AddSession "$1" seat0 "$2" "$3" true >/dev/null
}
emit() { # SIGNAL SIGNATURE ARGS(GVariant text of av)
    lcall /org/freedesktop/login1 org.freedesktop.DBus.Mock.EmitSignal org.freedesktop.login1.Manager "$@" >/dev/null
}
session_new() { emit SessionNew so "[<'$1'>, <objectpath '/org/freedesktop/login1/session/$1'>]"; }
session_removed() { emit SessionRemoved so "[<'$1'>, <objectpath '/org/freedesktop/login1/session/$1'>]"; }
inhibitors() { lcall /org/freedesktop/login1 org.freedesktop.login1.Manager.ListInhibitors 2>/dev/null; }
lock_held() { inhibitors | grep -q "'rentark'"; }
lock_free() { inhibitors | grep -q '^(@a(ssssuu) \[\],)$'; }
asked_user_of() { grep -q "Get /org/freedesktop/login1/session/$1 org.freedesktop.login1.Session.User" "$MOCK_LOG"; }

# --- With a mock logind -------------------------------------------------------------------
start_bus || { t_fail "private bus starts" "dbus-daemon failed"; t_done; exit 1; }
if ! start_mock; then
    t_fail "mock logind is on the private bus" "$(head -c 500 "$T_TMP/mock.out")"
    t_done; exit 1
fi
t_ok "mock logind is on the private bus"

check "daemon starts with logind" 'no status answer; log: $(tail -3 "$LOG" 2>/dev/null)' start_daemon
check "first start wipes, then READY" 'state $(state)' wait_state READY
check "the daemon says it follows logind" "no 'following logind' in the log" grep -q "following logind" "$LOG"
check "a shutdown delay lock is taken at start (Inhibit in the mock's call log)" \
    "no Inhibit call logged" wait_for grep -q 'Inhibit "shutdown" "rentark"' "$MOCK_LOG"
check "... and held: ListInhibitors shows it" 'inhibitors: $(inhibitors)' wait_for lock_held
grep 'Inhibit ' "$MOCK_LOG" | grep -q '"delay"' && t_ok "the lock is a delay lock" ||
    t_fail "the lock is a delay lock" "$(grep 'Inhibit ' "$MOCK_LOG")"

# SessionNew of another user: asked for, and the seat stays READY.
add_session c10 4242 someone-else
session_new c10
check "SessionNew of another uid: the daemon asks logind for the session's User" \
    "no Get of Session.User for c10 in the mock log" wait_for asked_user_of c10
sleep 0.3
check "SessionNew of another uid: the seat stays READY" 'state $(state)' test "$(state)" = READY

# SessionNew of the guest: NOTICE.
add_session c11 "$GUID" "$GUEST"
session_new c11
check "SessionNew of the guest: NOTICE" 'state $(state); log: $(tail -2 "$LOG")' wait_state NOTICE 5
SID=$(session_id)
plant
check "the guest accepts: ACTIVE" 'accept refused' quiet guest_ctl accept
# A duplicate from the display manager hook changes nothing.
ctl hook session-setup "$GUEST" >/dev/null 2>&1
check "the hook after logind's SessionNew is a harmless duplicate" 'state $(state), session $(session_id) was $SID' \
    test "$(state)/$(session_id)" = "ACTIVE/$SID"

# SessionRemoved of another user's session: nothing happens.
session_removed c10
sleep 0.3
check "SessionRemoved of another uid's session: still ACTIVE" 'state $(state)' test "$(state)" = ACTIVE

# A forged SessionRemoved, sent to the daemon alone by someone who is not logind, is ignored.
DAEMON_NAME=
for n in $(gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
    --method org.freedesktop.DBus.ListNames | grep -o "':[0-9.]*'" | tr -d "'"); do
    p=$(gdbus call --system --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
        --method org.freedesktop.DBus.GetConnectionUnixProcessID "$n" 2>/dev/null | grep -o '[0-9]\+' | tail -1)
    [ "$p" = "$DPID" ] && DAEMON_NAME=$n
done
if [ -n "$DAEMON_NAME" ]; then
    gdbus emit --system --dest "$DAEMON_NAME" --object-path /org/freedesktop/login1 \
        --signal org.freedesktop.login1.Manager.SessionRemoved c11 /org/freedesktop/login1/session/c11 >/dev/null
    sleep 0.5
    check "a forged SessionRemoved from a non-logind sender is ignored" 'state $(state)' test "$(state)" = ACTIVE
else
    t_fail "a forged SessionRemoved from a non-logind sender is ignored" "cannot find the daemon's bus name"
fi

# SessionRemoved of the guest's session: logout, wiped, READY.
session_removed c11
check "SessionRemoved of the guest: READY after the wipe" 'state $(state)' wait_state READY
check "SessionRemoved: end reason logout" "no 'reason logout' in the log" grep -q "reason logout" "$LOG"
wipe_check "after SessionRemoved: nothing of the patron is left" 0
session_removed c11
sleep 0.3
check "a repeated SessionRemoved is harmless" 'state $(state)' test "$(state)" = READY

# A late SessionRemoved of the previous patron's session must not end the next one's.
add_session c12 "$GUID" "$GUEST"
session_new c12
wait_state NOTICE 5
session_removed c12 # this one ends the session
wait_state READY
add_session c13 "$GUID" "$GUEST"
session_new c13
wait_state NOTICE 5
session_removed c12
sleep 0.3
check "a late SessionRemoved of an earlier session leaves the new one alone" 'state $(state)' test "$(state)" = NOTICE
session_removed c13
wait_state READY

# PrepareForShutdown(true) during ACTIVE: the session ends, is wiped, and the lock is released
# only after the wipe.
add_session c14 "$GUID" "$GUEST"
session_new c14
wait_state NOTICE 5
guest_ctl accept >/dev/null
plant
active_and_locked() { [ "$(state)" = ACTIVE ] && lock_held; }
check "before the shutdown: ACTIVE and the delay lock held" 'state $(state); inhibitors: $(inhibitors)' active_and_locked
emit PrepareForShutdown b "[<true>]"
check "PrepareForShutdown(true): READY after the wipe" 'state $(state)' wait_state READY
check "PrepareForShutdown: end reason shutdown" "no 'reason shutdown' in the log" grep -q "reason shutdown" "$LOG"
wipe_check "after PrepareForShutdown: nothing of the patron is left" 0
check "PrepareForShutdown: the delay lock is released" 'inhibitors: $(inhibitors)' wait_for lock_free
ready_line=$(grep -n "state WIPING -> READY" "$LOG" | tail -1 | cut -d: -f1)
release_line=$(grep -n "shutdown delay lock released" "$LOG" | tail -1 | cut -d: -f1)
check "the lock was released after the wipe, not before" 'READY at log line ${ready_line:-none}, release at ${release_line:-none}' \
    test -n "$ready_line" -a -n "$release_line" -a "${release_line:-0}" -gt "${ready_line:-0}"
emit PrepareForShutdown b "[<false>]"
check "PrepareForShutdown(false): the lock is taken again" 'inhibitors: $(inhibitors)' wait_for lock_held
emit PrepareForShutdown b "[<true>]"
check "PrepareForShutdown(true) while READY: the lock is released at once" 'inhibitors: $(inhibitors)' wait_for lock_free
emit PrepareForShutdown b "[<false>]"
wait_for lock_held

# A restart while logind is there: a clean exit that gives the lock back, and a new lock.
stop_checked "with logind"
check "the lock goes with the daemon" 'inhibitors: $(inhibitors)' wait_for lock_free
check "restart with logind" 'no status answer' start_daemon
check "... takes the lock again" 'inhibitors: $(inhibitors)' wait_for lock_held

# logind's IdleHint as the idle fallback, with a short idle timeout of its own configuration:
# 21 s, the shortest a config may have (a countdown of at least 20 s, WCAG 2.2.1).
# set_idle ID: the session has been idle for 20 s, in CLOCK_MONOTONIC microseconds as logind says.
set_idle() {
    local since
    since=$("$PY" -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000 - 20000000)')
    lcall "/org/freedesktop/login1/session/$1" org.freedesktop.DBus.Mock.UpdateProperties \
        org.freedesktop.login1.Session "{'IdleHint': <true>, 'IdleSinceHintMonotonic': <uint64 $since>}" >/dev/null
}
ended_on_idle() { [ "$(grep -c "reason idle" "$LOG")" -gt "$idle_before" ]; }
stop_checked "before the idle fallback"
sed 's/idle_timeout = 900; idle_warning = 60;/idle_timeout = 21; idle_warning = 20;/' "$CONF" >"$T_TMP/idle.conf"
check "restart with idle_timeout = 21" 'no status answer' start_daemon "$T_TMP/idle.conf"
wait_state READY
idle_before=$(grep -c "reason idle" "$LOG")
add_session c15 "$GUID" "$GUEST"
session_new c15
check "IdleHint: SessionNew of the guest: NOTICE" 'state $(state)' wait_state NOTICE 5
check "IdleHint: the guest accepts" 'accept refused' quiet guest_ctl accept
t0=$(now_ms)
set_idle c15
# Idle for 20 s of 21: the timeout is re-armed to 1 s (a second-granular timer: up to 2 s).
if wait_for ended_on_idle; then
    el=$(($(now_ms) - t0))
    check "IdleHint true, idle 20 s of 21, no client reports: the session ends on idle (${el} ms)" \
        'took ${el} ms, the unchanged timeout is 21 s' test "$el" -lt 3000
else
    t_fail "IdleHint true, idle 20 s of 21, no client reports: the session ends on idle" \
        "state $(state); log: $(tail -3 "$LOG" | tr '\n' ' ')"
fi
check "IdleHint: READY after the wipe" 'state $(state)' wait_state READY
session_removed c15

idle_before=$(grep -c "reason idle" "$LOG")
add_session c16 "$GUID" "$GUEST"
session_new c16
wait_state NOTICE 5
guest_ctl accept >/dev/null
check "the session client reports idle 0" 'idle refused' quiet guest_ctl idle 0
set_idle c16
sleep 2.5
check "IdleHint after a recent client report: ignored, the session is still ACTIVE" \
    'state $(state); log: $(tail -3 "$LOG" | tr "\n" " ")' test "$(state)" = ACTIVE
check "... and did not end on idle" 'ended on idle' test "$(grep -c "reason idle" "$LOG")" -eq "$idle_before"
check "... because the daemon saw the hint and ignored it (not because it missed it)" \
    "no 'idle fallback of 20 s ignored' in the log" grep -q "idle fallback of 20 s ignored" "$LOG"
session_removed c16
check "IdleHint: SessionRemoved still ends it" 'state $(state)' wait_state READY
stop_checked "with the idle fallback"
check "restart with logind again" 'no status answer' start_daemon
wait_state READY

# The bus goes away: the daemon logs it once and goes on; the hooks still work.
kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null
check "logind leaving the bus is logged" 'no message' wait_for grep -q "logind left the system bus" "$LOG"
kill "$BUS_PID"
check "the bus going away is logged" 'no message' wait_for grep -q "system bus connection is gone" "$LOG"
sleep 0.5
check "the daemon keeps running when the bus is killed" 'rentarkd exited' kill -0 "$DPID"
check "... and answers" 'no status' quiet ctl status
n=$(grep -c "system bus connection is gone" "$LOG")
check "... and logged the loss once" 'logged $n times' test "$n" -eq 1
ctl hook session-setup "$GUEST" >/dev/null
check "without the bus, the hook still begins a session" 'state $(state)' wait_state NOTICE 5
plant
ctl hook session-cleanup "$GUEST" >/dev/null
check "... and the cleanup hook ends it" 'state $(state)' wait_state READY
wipe_check "after the hook logout without a bus: nothing left" 0
stop_checked "after the bus went away"

# --- Without logind -----------------------------------------------------------------------
# start_timed DESC: start the daemon, require it READY within 6 s: the bus budget is 2 s, the
# rest is the start-up wipe on a busy machine; a GDBus default timeout (25 s) would fail it.
start_timed() {
    local t0 el
    t0=$(now_ms)
    if start_daemon && wait_state READY; then
        el=$(($(now_ms) - t0))
        check "$1: the daemon starts and is READY (${el} ms)" 'took ${el} ms' test "$el" -lt 6000
    else
        t_fail "$1: the daemon starts" "log: $(tail -3 "$LOG" | tr '\n' ' ')"
    fi
}
hooks_work() { # DESC
    ctl hook session-setup "$GUEST" >/dev/null
    if wait_state NOTICE 5; then
        plant
        ctl hook session-cleanup "$GUEST" >/dev/null
        check "$1: the hooks drive a session to its wipe" 'state $(state)' wait_state READY
        wipe_check "$1: nothing of the patron is left" 0
    else
        t_fail "$1: the hooks drive a session to its wipe" "state $(state) after session-setup"
    fi
}

export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T_TMP/no-such-socket"
start_timed "no system bus"
check "no system bus: said at info level" 'log: $(grep -i logind "$LOG" | head -2)' grep -q "info: no system bus, logind is not followed" "$LOG"
hooks_work "no system bus"
stop_checked "no system bus"

start_bus || t_fail "second private bus starts" "dbus-daemon failed"
start_timed "a bus without logind"
check "a bus without logind: said at info level" 'log: $(grep -i logind "$LOG" | head -2)' grep -q "info: logind is not on the system bus" "$LOG"
hooks_work "a bus without logind"
stop_checked "a bus without logind"

HUNG=$T_TMP/hung.sock
"$PY" "$RK_SRC/tests/helpers/hung-socket.py" "$HUNG" 60 &
HUNG_PID=$!
t_cleanup "kill $HUNG_PID"
wait_for test -S "$HUNG"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$HUNG"
start_timed "a bus that never answers"
check "a bus that never answers: the timeout is said" 'log: $(grep -i "system bus" "$LOG" | head -2)' grep -q "no answer from the system bus" "$LOG"
hooks_work "a bus that never answers"
stop_checked "a bus that never answers"

t_expect_fail "no guest file name in the daemon's log" grep -q "x.pdf\|guest-tmp" "$LOG"
t_done

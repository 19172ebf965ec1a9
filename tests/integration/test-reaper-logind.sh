#!/usr/bin/env bash
# reaper_logind_terminate() against a mock logind (python3-dbusmock) on a private bus that the
# helper reaches through DBUS_SYSTEM_BUS_ADDRESS, plus the paths without logind: no bus, a bus
# without logind, a logind that fails, answers too late, or a bus that never speaks.
source "$(dirname "$0")/../lib.sh"

HELPER=$RK_BUILD/tests/helpers/reaper-logind
# The system python: a pyenv python3 first on PATH would not have dbusmock.
PY=/usr/bin/python3

if [ ! -x "$HELPER" ]; then
    t_fail "helper is built" "$HELPER missing (make BUILD=... tests)"
    t_done; exit 1
fi
if ! command -v dbus-daemon >/dev/null || ! command -v dbus-send >/dev/null; then
    t_skip "all tests in $(basename "$0")" "dbus-daemon/dbus-send not installed"
    t_done; exit 0
fi
if ! "$PY" -c 'import dbusmock' 2>/dev/null; then
    t_skip "all tests in $(basename "$0")" "python3-dbusmock not installed for $PY"
    t_done; exit 0
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# run_helper UID TIMEOUT_MS: sets OUT and ELAPSED (ms).
run_helper() {
    local t0
    t0=$(now_ms)
    OUT=$("$HELPER" "$@" 2>"$T_TMP/helper.err")
    RC=$?
    ELAPSED=$(($(now_ms) - t0))
    [ -s "$T_TMP/helper.err" ] && t_diag "helper stderr: $(head -c 500 "$T_TMP/helper.err")"
    t_diag "reaper-logind $*: rc=$RC in ${ELAPSED} ms: $OUT"
}

# A private bus of our own, never the machine's system bus.
bus_out=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) || {
    t_fail "private bus starts" "dbus-daemon failed"; t_done; exit 1; }
BUS_ADDR=$(sed -n 1p <<<"$bus_out")
BUS_PID=$(sed -n 2p <<<"$bus_out")
t_cleanup "kill $BUS_PID"
export DBUS_SYSTEM_BUS_ADDRESS=$BUS_ADDR

has_logind() {
    dbus-send --bus="$BUS_ADDR" --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.login1 2>/dev/null |
        grep -q 'boolean true'
}

MOCK_LOG=$T_TMP/logind.log
"$PY" -m dbusmock --template logind -l "$MOCK_LOG" >"$T_TMP/mock.out" 2>&1 &
MOCK_PID=$!
t_cleanup "kill $MOCK_PID"
for _ in $(seq 100); do has_logind && break; sleep 0.05; done
if ! has_logind; then
    t_fail "mock logind is on the private bus" "$(head -c 500 "$T_TMP/mock.out")"
    t_done; exit 1
fi
t_ok "mock logind is on the private bus"

mock_add_method() { # NAME IN_SIG CODE
    dbus-send --bus="$BUS_ADDR" --print-reply --dest=org.freedesktop.login1 \
        /org/freedesktop/login1 org.freedesktop.DBus.Mock.AddMethod \
        string:org.freedesktop.login1.Manager \
        "string:$1" "string:$2" string: "string:$3" >/dev/null
}

# 1. The call is made, with the uid, and answered.
run_helper 4242 2000
if [ "$RC" -eq 0 ] && [ "$OUT" = ok ] && grep -q 'TerminateUser 4242$' "$MOCK_LOG"; then
    t_ok "TerminateUser(4242) reaches logind and succeeds"
else
    t_fail "TerminateUser(4242) reaches logind and succeeds" \
        "rc=$RC out=$OUT log=$(tail -3 "$MOCK_LOG")"
fi

# 2. uid 0 is refused before any call.
run_helper 0 2000
if [ "$RC" -eq 1 ] && [[ $OUT == "error PERMISSION_DENIED"* ]] &&
    ! grep -q 'TerminateUser 0$' "$MOCK_LOG"; then
    t_ok "uid 0 is refused and never sent"
else
    t_fail "uid 0 is refused and never sent" "rc=$RC out=$OUT"
fi

# 3. An error from logind comes back as FALSE with logind's error.
if mock_add_method TerminateUser u \
    "raise dbus.exceptions.DBusException('no such user', name='org.freedesktop.login1.NoSuchUser')"; then
    run_helper 4243 2000
    if [ "$RC" -eq 1 ] && [[ $OUT == *org.freedesktop.login1.NoSuchUser* ]]; then
        t_ok "an error from logind is returned"
    else
        t_fail "an error from logind is returned" "rc=$RC out=$OUT"
    fi
else
    t_fail "an error from logind is returned" "Mock.AddMethod failed"
fi

# 4. A logind that answers too late: FALSE with a timeout, after about the timeout.
if mock_add_method TerminateUser u "import time; time.sleep(2)"; then
    run_helper 4244 300
    if [ "$RC" -eq 1 ] && [[ $OUT == "error TIMED_OUT"* ]] && [ "$ELAPSED" -lt 1500 ]; then
        t_ok "a slow logind times out after the timeout (${ELAPSED} ms for 300 ms)"
    else
        t_fail "a slow logind times out after the timeout" "rc=$RC out=$OUT elapsed=${ELAPSED}ms"
    fi
else
    t_fail "a slow logind times out after the timeout" "Mock.AddMethod failed"
fi

# 5. A bus without logind: FALSE at once; nothing is autostarted.
kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null
for _ in $(seq 100); do has_logind || break; sleep 0.05; done
run_helper 4245 5000
if [ "$RC" -eq 1 ] && [[ $OUT == *ServiceUnknown* || $OUT == *NameHasNoOwner* ]] &&
    [ "$ELAPSED" -lt 1500 ]; then
    t_ok "a bus without logind gives FALSE at once (${ELAPSED} ms)"
else
    t_fail "a bus without logind gives FALSE at once" "rc=$RC out=$OUT elapsed=${ELAPSED}ms"
fi

# 6. No bus at all.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T_TMP/no-such-socket" run_helper 4246 5000
if [ "$RC" -eq 1 ] && [[ $OUT == "error "* ]] && [ "$ELAPSED" -lt 1500 ]; then
    t_ok "no system bus gives FALSE at once (${ELAPSED} ms)"
else
    t_fail "no system bus gives FALSE at once" "rc=$RC out=$OUT elapsed=${ELAPSED}ms"
fi

# 7. A bus socket that accepts but never speaks: the connect is bounded by the timeout too.
HUNG=$T_TMP/hung.sock
"$PY" "$RK_SRC/tests/helpers/hung-socket.py" "$HUNG" 30 &
HUNG_PID=$!
t_cleanup "kill $HUNG_PID"
for _ in $(seq 100); do [ -S "$HUNG" ] && break; sleep 0.05; done
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$HUNG" run_helper 4247 300
if [ "$RC" -eq 1 ] && [[ $OUT == "error TIMED_OUT"* ]] && [ "$ELAPSED" -lt 1500 ]; then
    t_ok "a bus that never answers times out (${ELAPSED} ms for 300 ms)"
else
    t_fail "a bus that never answers times out" "rc=$RC out=$OUT elapsed=${ELAPSED}ms"
fi

t_done

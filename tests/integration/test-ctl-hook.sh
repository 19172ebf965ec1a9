#!/usr/bin/env bash
# rentarkctl hook session-setup, as a display manager runs it at a login, against the protocol
# double (tests/helpers/fake-agent.py), which can hold a seat in a state and refuse logins:
#   - a login refused because the wipe runs, whose wipe ends before rentarkctl looks at the
#     seat again, is asked for once more and begins the session (a valgrind run of the suite
#     once lost such a login: rentarkctl saw READY and gave up);
#   - a BLOCKED seat fails the login at once, asked for once only;
#   - a seat that is READY begins the session with one call.
# The real daemon's side (a login during a long wipe waits for it) is in test-daemon-lifecycle.
. "$(dirname "$0")/../lib.sh"
SOCK=$T_TMP/fake.sock
printf 'paths = {\n  socket = "%s";\n};\n' "$SOCK" >"$T_TMP/fake.conf"

# fake STATE [ARGS]: the double on its own socket; its request log is $T_TMP/fake.log.
FAKE_PID=
fake() {
    [ -n "$FAKE_PID" ] && { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; }
    rm -f "$SOCK" "$T_TMP/fake.log"
    /usr/bin/python3 "$RK_SRC/tests/helpers/fake-agent.py" -c "$T_TMP/fake.conf" --log "$T_TMP/fake.log" \
        --state "$@" >"$T_TMP/fake.out" 2>&1 &
    FAKE_PID=$!
    for _ in $(seq 1 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
    return 1
}
t_cleanup 'kill $FAKE_PID 2>/dev/null'
setup() { USER=kiosk "$RKCTL" -s "$SOCK" hook session-setup >/dev/null 2>"$T_TMP/hook.err"; }
state() { "$RKCTL" -s "$SOCK" status | awk '$1 == "state" { print $2 }'; }
setups() { grep -c '^hook session-setup' "$T_TMP/fake.log"; }

t_check "the double starts (seat WIPING, one login refused, then READY)" fake WIPING --setup-refusals 1
setup; rc=$?
t_check "a login refused by the wipe that has just ended begins the session (exit $rc)" test $rc -eq 0
t_check "... the seat shows the notice" test "$(state)" = NOTICE
t_check "... asked for twice: the refusal and the login ($(setups))" test "$(setups)" -eq 2

t_check "the double starts (seat BLOCKED)" fake BLOCKED
setup; rc=$?
t_check "a login on a BLOCKED seat fails (exit $rc)" test $rc -eq 1
t_check "... at once: asked for once ($(setups))" test "$(setups)" -eq 1
t_check "... and says why" grep -q "BLOCKED" "$T_TMP/hook.err"

t_check "the double starts (seat READY)" fake READY
setup; rc=$?
t_check "a login on a READY seat begins the session with one call (exit $rc, $(setups) call)" \
    test $rc -eq 0 -a "$(setups)" -eq 1
t_done

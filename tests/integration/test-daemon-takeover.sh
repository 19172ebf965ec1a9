#!/usr/bin/env bash
# A new version of rentarkd installed under the running one (what a package upgrade does) takes
# over between sessions, never during one: a reload during a session changes nothing; when the
# session's wipe is over the daemon execs the new program in place (same PID, so systemd keeps
# it), hands its listening socket over (no client finds the socket missing meanwhile), and the
# new one runs; while the seat is READY a reload is enough. A new program that cannot be
# started leaves the running one in charge.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"

ORIG=$RKD
mkdir -p "$T_TMP/bin"
cp "$ORIG" "$T_TMP/bin/rentarkd"
RKD=$T_TMP/bin/rentarkd
# install: the new version as dpkg puts it in place (a new file renamed over the old one).
install_new() { cp "$ORIG" "$T_TMP/bin/rentarkd.new" && chmod "${1:-0755}" "$T_TMP/bin/rentarkd.new" && mv "$T_TMP/bin/rentarkd.new" "$T_TMP/bin/rentarkd"; }
# Which program runs: /proc/PID/exe, unless a wrapper (valgrind) runs the daemon, whose exe is
# the wrapper's; then the daemon's own word ("takes over") counts.
takeovers() {
    echo $(($(grep -c 'a new version of rentarkd is installed: it takes over now' "$T_TMP/daemon.log") -
        $(grep -c 'cannot start the new version' "$T_TMP/daemon.log")))
}
running_old() {
    if [ -n "${RK_DAEMON_WRAPPER:-}" ]; then [ "$(takeovers)" = "${TAKEOVERS:-0}" ]; else readlink "/proc/$DPID/exe" | grep -q ' (deleted)$'; fi
}
running_new() { [ -d "/proc/$DPID" ] && ! running_old; }
wait_for() { local i; for i in $(seq 100); do "$@" && return 0; sleep 0.1; done; return 1; }

t_check "daemon starts" start_daemon
t_check "READY" wait_state READY
PID=$DPID

# Clients all the time: none may find the socket missing or refused.
( while [ -f "$T_TMP/hammer" ]; do "$RKCTL" -s "$SOCK" status >/dev/null 2>&1 || echo failed >>"$T_TMP/hammer.fail"; done ) &
touch "$T_TMP/hammer"
HAMMER=$!
t_cleanup "rm -f $T_TMP/hammer; kill $HAMMER 2>/dev/null"

ctl hook session-setup "$GUEST" >/dev/null
guest_ctl accept >/dev/null
t_check "a session runs" test "$(state)" = ACTIVE
plant
t_check "a new version is installed under the running daemon" install_new
kill -HUP "$DPID"
sleep 1
t_check "reload during a session: the session goes on" test "$(state)" = ACTIVE
t_check "reload during a session: the old version still runs it" running_old
guest_ctl end >/dev/null 2>&1
t_check "the session ends and is wiped" wait_state READY
wipe_check "the patron's files are gone" 0
t_check "between sessions the new version takes over" wait_for running_new
TAKEOVERS=$(takeovers)
t_check "... in place: the same process (systemd's MainPID)" test "$DPID" = "$PID" -a -d "/proc/$PID"
t_check "... and says so in its log" grep -q 'a new version of rentarkd is installed: it takes over now' "$T_TMP/daemon.log"
t_check "the new version serves the seat: READY" wait_state READY
t_check "the new version runs a session" bash -c "'$RKCTL' -s '$SOCK' hook session-setup '$GUEST' >/dev/null && test \"\$('$RKCTL' -s '$SOCK' status | awk '\$1==\"state\"{print \$2}')\" = NOTICE"
ctl end >/dev/null
t_check "... and ends it" wait_state READY

t_check "another version installed while the seat is READY" install_new
kill -HUP "$DPID"
t_check "a reload while READY: it takes over at once" wait_for running_new
TAKEOVERS=$(takeovers)
t_check "... in the same process" test "$DPID" = "$PID" -a -d "/proc/$PID"
wait_state READY >/dev/null

t_check "a version that cannot be started (not executable)" install_new 0644
kill -HUP "$DPID"
sleep 1
t_check "the running daemon stays in charge" running_old
t_check "... and answers: READY" test "$(state)" = READY
t_check "... and says why" grep -q 'cannot start the new version' "$T_TMP/daemon.log"

rm -f "$T_TMP/hammer"
wait "$HAMMER" 2>/dev/null
t_check "no client found the socket missing or refused during the take-overs" test ! -s "$T_TMP/hammer.fail"
t_done

# Shared helpers for tests of the real rentarkd: start and stop it on the scratch file system
# of tests/wipe-env.sh, talk to it with rentarkctl, wait for states. Source after wipe-env.sh
# (and wipe_env_setup). Sets SOCK; the daemon's log is $T_TMP/daemon.log.
#
# RK_DAEMON_WRAPPER: a command line put before rentarkd (make check-valgrind puts valgrind
# there). RK_TIME_SCALE (a whole number, default 1) multiplies the waits of start_daemon (10 s
# for the socket) and wait_state (20 s or as given): a slow wrapper needs more. A wrapper
# reports an error of the daemon by a line with RK-DAEMON-ERROR-BEGIN in the daemon's log
# (valgrind --error-markers=RK-DAEMON-ERROR-BEGIN,RK-DAEMON-ERROR-END) or by exit status 99;
# stop_daemon, which also runs at exit, fails the test for either, once per error (a daemon
# killed with kill -9 leaves no exit status, but the errors it logged before are found at the
# next stop_daemon).
SOCK=$FS/state/control.sock
DPID=
_dw_reported=0
# The TAP stream, kept for the check at exit (the clean-up at exit writes to /dev/null); the
# daemon does not inherit it.
exec {_DW_TAP}>&1
# daemon_exited: true (and the daemon's last words as TAP comments) when the daemon started
# by start_daemon is no longer running, so that a wait fails at once instead of at its timeout.
daemon_exited() {
    [ -n "$DPID" ] || return 1
    kill -0 "$DPID" 2>/dev/null && return 1
    local rc=0
    wait "$DPID" 2>/dev/null; rc=$?
    {
        echo "# rentarkd (pid $DPID) has exited with status $rc; its last messages:"
        tail -5 "$T_TMP/daemon.log" 2>/dev/null | sed 's/^/#   /'
    } >&$_DW_TAP
    DPID=
    return 0
}
start_daemon() { # [config]
    ${RK_DAEMON_WRAPPER:-} "$RKD" -c "${1:-$CONF}" -f >>"$T_TMP/daemon.log" 2>&1 {_DW_TAP}>&- &
    DPID=$!
    for _ in $(seq 1 $((200 * ${RK_TIME_SCALE:-1}))); do
        [ -S "$SOCK" ] && ctl status >/dev/null 2>&1 && return 0
        daemon_exited && return 1
        sleep 0.05
    done
    return 1
}
stop_daemon() {
    local rc=0 n
    [ -n "$DPID" ] && kill -TERM $DPID 2>/dev/null && { wait $DPID 2>/dev/null; rc=$?; }
    DPID=
    [ -n "${RK_DAEMON_WRAPPER:-}" ] || return 0
    n=$(grep -c 'RK-DAEMON-ERROR-BEGIN' "$T_TMP/daemon.log" 2>/dev/null)
    if [ "${n:-0}" -gt "$_dw_reported" ] || [ $rc = 99 ]; then
        {
            t_fail "the daemon under ${RK_DAEMON_WRAPPER%% *}: no error" \
                "exit status $rc, $((${n:-0} - _dw_reported)) new errors in the daemon's log"
            awk '/RK-DAEMON-ERROR-BEGIN/ { on = 1; n++ } on && n <= 5 { print "# " $0 } /RK-DAEMON-ERROR-END/ { on = 0 }' \
                "$T_TMP/daemon.log" | head -150
        } >&$_DW_TAP
        _dw_reported=${n:-0}
    fi
    return 0
}
t_cleanup 'stop_daemon'
ctl() { "$RKCTL" -s "$SOCK" "$@"; }
state() { ctl status 2>/dev/null | awk '$1 == "state" { print $2 }'; }
wait_state() { # STATE [seconds]: a real deadline, however long each status call takes
    local end=$((SECONDS + ${2:-20} * ${RK_TIME_SCALE:-1}))
    while :; do
        [ "$(state)" = "$1" ] && return 0
        [ $SECONDS -ge $end ] && return 1
        daemon_exited && return 1
        sleep 0.05
    done
}
plant() { as_guest sh -c "mkdir -p '$HOME_DIR/Downloads' && echo patron-data > '$HOME_DIR/Downloads/x.pdf' && echo t > '$FS/tmp/guest-tmp'"; }
guest_ctl() { as_guest "$RKCTL" -s "$SOCK" "$@"; }
# field KEY: KEY's value in the "key value" lines on stdin (rentarkctl's output); st KEY: the
# status's.
field() { awk -v k="$1" '$1 == k { print $2 }'; }
st() { ctl status | field "$1"; }
# wait_log PATTERN SECONDS: until the daemon's log has a line matching PATTERN.
wait_log() {
    local end=$((SECONDS + $2 * ${RK_TIME_SCALE:-1}))
    until grep -q "$1" "$T_TMP/daemon.log"; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.05
    done
}
# in_range N LO HI
in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# metrics_after_session: start the daemon, run one session (login, accept, the patron's files,
# staff end) and wait for its wipe's metrics in $FS/state/rentark.prom: the series a scrape of
# a kiosk gets. Fails when the daemon does not start or the metrics do not come.
metrics_after_session() {
    start_daemon && wait_state READY || return 1
    ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant; ctl end >/dev/null
    wait_state READY 30
    for _ in $(seq 1 50); do
        grep -q rentark_census_duration_seconds "$FS/state/rentark.prom" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

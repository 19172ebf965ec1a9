# Shared helpers for tests of the real rentarkd: start and stop it on the scratch file system
# of tests/wipe-env.sh, talk to it with rentarkctl, wait for states. Source after wipe-env.sh
# (and wipe_env_setup). Sets SOCK; the daemon's log is $T_TMP/daemon.log.

SOCK=$FS/state/control.sock
DPID=
start_daemon() { # [config]
    "$RKD" -c "${1:-$CONF}" -f >>"$T_TMP/daemon.log" 2>&1 &
    DPID=$!
    for _ in $(seq 1 200); do [ -S "$SOCK" ] && ctl status >/dev/null 2>&1 && return 0; sleep 0.05; done
    return 1
}
stop_daemon() { [ -n "$DPID" ] && kill -TERM $DPID 2>/dev/null && wait $DPID 2>/dev/null; DPID=; }
t_cleanup 'stop_daemon'
ctl() { "$RKCTL" -s "$SOCK" "$@"; }
state() { ctl status 2>/dev/null | awk '$1 == "state" { print $2 }'; }
wait_state() { # STATE [seconds]: a real deadline, however long each status call takes
    local end=$((SECONDS + ${2:-20}))
    while :; do
        [ "$(state)" = "$1" ] && return 0
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
}
plant() { as_guest sh -c "mkdir -p '$HOME_DIR/Downloads' && echo patron-data > '$HOME_DIR/Downloads/x.pdf' && echo t > '$FS/tmp/guest-tmp'"; }
guest_ctl() { as_guest "$RKCTL" -s "$SOCK" "$@"; }


#!/usr/bin/env bash
# The live metrics against the real rentarkd (issue 17): the node_exporter textfile is there
# within a moment of the start; it is rewritten at every state change of the seat (the one-hot
# rentark_seat_state follows READY -> NOTICE -> ACTIVE -> WIPING -> READY, BLOCKED and CLOSED
# within a second), and by a timer without any event (rentark_metrics_written_timestamp_seconds
# advances: a hung daemon shows as a stale file); rentark_build_info carries the version;
# rentark_incidents_open is the count `rentarkctl incidents` shows; and every read of the file,
# even while it is rewritten, is complete and valid (tests/helpers/promfile.py).
#
# The timer runs every 2 s here through the test hook RENTARK_METRICS_INTERVAL_MS (test builds
# only); a build without the hooks waits for the real 15 s once.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
sed -i 's/^wipe = { /wipe = { verify_retry = 1; /' "$CONF"
PROM=$FS/state/rentark.prom
PF() { /usr/bin/python3 "$RK_SRC/tests/helpers/promfile.py" "$@"; }
# metric NAME [K=V...]: the sample's value now ("" if the file has no such sample).
metric() { PF get "$PROM" "$@" 2>/dev/null; }
# seat_is STATE: the file says the seat is in STATE (and is valid).
seat_is() { [ "$(metric rentark_seat_state state="$1")" = 1 ]; }
# within SECONDS CMD...: CMD succeeds within SECONDS (times RK_TIME_SCALE).
within() {
    local end=$(($(date +%s%N) / 1000000 + $1 * 1000 * ${RK_TIME_SCALE:-1})); shift
    until "$@"; do
        [ $(($(date +%s%N) / 1000000)) -lt $end ] || return 1
        sleep 0.05
    done
}
# after_state STATE: the daemon reports STATE; then the file says so within 1 s.
after_state() {
    wait_state "$1" 30 || { t_fail "seat $1" "state $(state)"; return 1; }
    t_check "state $1: the file says $1 within 1 s" within 1 seat_is "$1"
}

export RENTARK_METRICS_INTERVAL_MS=2000
# The wipe's census waits 1.5 s while $T_TMP/slow exists, so that WIPING lasts long enough to
# be seen (test builds only; without the hook WIPING is not checked).
export RENTARK_TEST_AFTER_SWEEP="test -e '$T_TMP/slow' && sleep 1.5; true"
rm -f "$PROM"
start_daemon || { t_fail "daemon starts" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
t_check "the file is there within a moment of the start" within 2 test -s "$PROM"
t_check "... complete and valid: HELP and TYPE before the samples, no series twice, every family" \
    PF check "$PROM"
wait_state READY 30
t_check "... one-hot READY" within 1 seat_is READY
t_check "... mode 0644 (node_exporter reads it)" test "$(stat -c %a "$PROM")" = 644
version=$("$RKD" --version | awk '{ print $2 }')
t_check "rentark_build_info carries the version ($version)" test "$(metric rentark_build_info version="$version")" = 1
now=$(date +%s); w=$(metric rentark_metrics_written_timestamp_seconds)
t_check "rentark_metrics_written_timestamp_seconds is now ($w)" test -n "$w" -a $((now - w)) -le 3 -a $((w - now)) -le 1
t_check "rentark_incidents_open 0, and no incident" \
    test "$(metric rentark_incidents_open) $(ctl --json incidents | grep -o '"n": *[0-9]*' | tr -d ' ')" = '0 "n":0'

# --- the timer: without any event the file is rewritten
# Both hooks exist in test builds only (RK_TEST_HOOKS); the daemon says when it uses this one.
if grep -q "test hook RENTARK_METRICS_INTERVAL_MS" "$T_TMP/daemon.log"; then hooks=1 tick=2; else hooks=0 tick=15; fi
t_diag "timer: every $tick s"
sleep 0.3
w1=$(metric rentark_metrics_written_timestamp_seconds); m1=$(stat -c %Y "$PROM")
sleep $((tick + 1))
w2=$(metric rentark_metrics_written_timestamp_seconds); m2=$(stat -c %Y "$PROM")
t_check "no event for $((tick + 1)) s: the timestamp advances by about $tick s ($w1 -> $w2)" \
    test $((w2 - w1)) -ge $((tick - 1)) -a $((w2 - w1)) -le $((tick + 2))
t_check "... the file was rewritten (mtime $m1 -> $m2)" test "$m2" -gt "$m1"
t_check "... still READY" seat_is READY

# --- a session: every state change rewrites the file at once; a reader never sees it torn
PF watch "$PROM" $((12 * ${RK_TIME_SCALE:-1})) "$T_TMP/watching" >"$T_TMP/watch.out" 2>&1 &
watcher=$!
within 5 test -e "$T_TMP/watching"
touch "$T_TMP/slow"
ctl hook session-setup "$GUEST" >/dev/null
after_state NOTICE
guest_ctl accept >/dev/null
after_state ACTIVE
t_check "ACTIVE: the other states are 0" \
    test "$(for s in READY NOTICE ENDING WIPING BLOCKED CLOSED; do metric rentark_seat_state state=$s; done | sort -u)" = 0
plant
before=$(metric rentark_wipes_total result=verified)
guest_ctl end >/dev/null
if [ $hooks = 1 ]; then
    t_check "WIPING: the file says WIPING (while the census waits)" within 5 seat_is WIPING
else
    t_skip "WIPING seen in the file" "a build without test hooks: the wipe is too quick to see"
fi
rm -f "$T_TMP/slow"
after_state READY
t_check "the wipe is counted, and its time is the last verified wipe" \
    test "$(metric rentark_wipes_total result=verified)" = $((before + 1))
lv=$(metric rentark_last_verified_wipe_timestamp_seconds); le=$(metric rentark_last_session_end_timestamp_seconds)
t_check "last verified wipe ($lv) at or after the last session end ($le), both now" \
    test -n "$lv" -a -n "$le" -a "$lv" -ge "$le" -a $(($(date +%s) - le)) -le 30
cd_s=$(metric rentark_census_duration_seconds)
t_check "rentark_census_duration_seconds: the last census's time ($cd_s s)" \
    /usr/bin/python3 -c "import sys; sys.exit(not 0 < float('$cd_s') < 60)"
t_check "the census's per-class gauges are there after the wipe" test "$(metric rentark_census_classes)" = 8
wait "$watcher"; w_rc=$?
t_check "a reader during the session: every read complete and valid ($(cat "$T_TMP/watch.out"))" test $w_rc = 0
t_check "... and it saw the states go round" grep -qE ' READY NOTICE ACTIVE (ENDING )?(WIPING )?(ENDING )?READY$' "$T_TMP/watch.out"

# --- an incident (the trick of test-daemon-incident: a read-only bind mount keeps a file)
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
mount --bind "$FS/tmp" "$FS/tmp" && mount -o remount,bind,ro "$FS/tmp"
t_cleanup "umount '$FS/tmp' 2>/dev/null"
ctl end >/dev/null
after_state BLOCKED
n=$(ctl --json incidents | grep -o '"n": *[0-9]*' | grep -o '[0-9]*$')
t_check "rentark_incidents_open ($(metric rentark_incidents_open)) is rentarkctl's count ($n, 1)" \
    test "$(metric rentark_incidents_open)" = "$n" -a "$n" = 1
t_check "... and the failed wipe is counted" test "$(metric rentark_wipes_total result=failed)" -ge 1
umount "$FS/tmp"
ID=$(ctl incidents | awk 'NR == 1 { print $1 }')
# The retry verifies (verify_retry = 1 s) and the seat stays BLOCKED until the incident is resolved.
within 10 grep -q "wipe verified; the seat stays closed" "$T_TMP/daemon.log"
ctl incidents resolve "$ID" >/dev/null
after_state READY
t_check "resolved: rentark_incidents_open 0, as rentarkctl says" \
    test "$(metric rentark_incidents_open) $(ctl --json incidents | grep -o '"n": *[0-9]*' | tr -d ' ')" = '0 "n":0'
t_check "... counters: 1 opened, 1 resolved" \
    test "$(metric rentark_incidents_opened_total) $(metric rentark_incidents_resolved_total)" = "1 1"

# --- closed by staff, and a reload
ctl close >/dev/null
after_state CLOSED
w1=$(metric rentark_metrics_written_timestamp_seconds)
cat >>"$CONF" <<'EOF2'
seat = { name = "PC 7"; };
EOF2
kill -HUP "$DPID"
t_check "a reload rewrites the file at once (seat.name as the label)" \
    within 1 grep -qF 'rentark_seat_state{seat="PC 7",state="CLOSED"} 1' "$PROM"
t_check "... valid, every sample with the seat label" \
    sh -c "/usr/bin/python3 '$RK_SRC/tests/helpers/promfile.py' check '$PROM' && ! grep -v '^#' '$PROM' | grep -qv '{seat=\"PC 7\"'"

# --- the daemon stops: the file stays with its last time, which is what the alert watches
stop_daemon
w1=$(metric rentark_metrics_written_timestamp_seconds)
sleep 3
t_check "a stopped daemon: the timestamp no longer moves" test "$(metric rentark_metrics_written_timestamp_seconds)" = "$w1"
t_check "... and the file is still valid" PF check "$PROM"
t_done

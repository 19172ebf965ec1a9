#!/usr/bin/env bash
# The real rentarkd with a private socket and state dir on a scratch file system: every path
# of the session state machine, kill -9 in each state, SIGTERM, SIGHUP, who may do what,
# and garbage on the socket.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 512M
. "$RK_SRC/tests/daemon-env.sh"
PY=/usr/bin/python3
cat >>"$CONF" <<'EOF2'
session = { time_limit = 3600; start_on_first_input = false; idle_timeout = 900; idle_warning = 60; warnings = [ 300, 60 ]; };
EOF2

t_check "daemon starts" start_daemon
t_check "first start without a journal wipes first, then READY" wait_state READY
wipe_check "the first start leaves a fresh home" 0

# Normal cycle: login hook -> NOTICE, the guest accepts -> ACTIVE, the guest ends -> wiped -> READY.
ctl hook session-setup "$GUEST" >/dev/null
t_check "hook session-setup: NOTICE" test "$(state)" = NOTICE
plant
t_check "the guest accepts the notice: ACTIVE" guest_ctl accept
t_check "status shows time left" sh -c "'$RKCTL' -s '$SOCK' status | grep -qE '^time_left +(3600|3599|3598)'"
t_check "the guest reports idle time" guest_ctl idle 5
# The guest's own client is a process of the guest: the wipe may kill it before it has read
# the reply. That is the point of the wipe; the seat's state is what counts.
guest_ctl end >/dev/null 2>&1
t_check "the guest ends the session" wait_state READY
t_check "the wipe runs and the seat is READY again" wait_state READY
wipe_check "after end: nothing of the patron is left" 0

# Decline.
ctl hook session-setup "$GUEST" >/dev/null; plant
guest_ctl decline >/dev/null 2>&1
t_check "the guest declines" grep -q "reason decline" "$T_TMP/daemon.log"
t_check "decline: wiped and READY" wait_state READY
wipe_check "after decline: nothing left" 0

# Staff end and logout hook.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
t_check "staff (root) ends a session" ctl end
t_check "staff end: READY" wait_state READY
wipe_check "after staff end: nothing left" 0
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
t_check "display manager hook session-cleanup ends it" ctl hook session-cleanup "$GUEST"
t_check "logout: READY" wait_state READY
wipe_check "after logout: nothing left" 0
# A display manager logs the guest in again right after a logout: the setup hook waits for the
# wipe (made long here by 100,000 files in a swept folder) instead of failing the login. USER
# comes from the environment, as LightDM and GDM set it for their session scripts.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
as_guest sh -c "mkdir '$FS/tmp/many' && cd '$FS/tmp/many' && seq 1 100000 | xargs touch"
ctl hook session-cleanup "$GUEST" >/dev/null
USER=$GUEST "$RKCTL" -s "$SOCK" hook session-setup 2>"$T_TMP/hook.err" >/dev/null; rc=$?
t_check "hook session-setup during the wipe waits for it and then begins the session" test $rc -eq 0 -a "$(state)" = NOTICE
t_check "... after saying that it waits" grep -q "waiting for the wipe" "$T_TMP/hook.err"
t_check "... and the next session starts clean" test ! -e "$FS/tmp/many" -a ! -e "$HOME_DIR/Downloads/x.pdf"
ctl end >/dev/null; wait_state READY
t_expect_fail "hook without USER and without \$USER is a usage error" env -u USER "$RKCTL" -s "$SOCK" hook session-setup
t_check "duplicate cleanup after the end is harmless" ctl hook session-cleanup "$GUEST"
t_check "a hook for another user is ignored" ctl hook session-setup root
t_check "... and the seat stays READY" test "$(state)" = READY

# Authorization: a stranger may only read the status; the guest may not run admin verbs.
STRANGER=$(t_unique_name rk-s); t_user "$STRANGER"
as_stranger() { setpriv --reuid="$(id -u "$STRANGER")" --regid="$(id -g "$STRANGER")" --clear-groups -- "$RKCTL" -s "$SOCK" "$@"; }
as_stranger status >/dev/null; t_check "stranger: status allowed" test $? -eq 0
t_expect_fail "stranger: end denied" as_stranger end
t_expect_fail "stranger: hook denied" as_stranger hook session-setup "$GUEST"
t_expect_fail "stranger: volunteers denied" as_stranger volunteers
t_expect_fail "guest: hook denied" guest_ctl hook session-cleanup "$GUEST"
t_expect_fail "guest: wipe dry run denied" guest_ctl wipe --dry-run
t_expect_fail "root may not answer the notice for the patron" ctl accept
t_check "state unchanged by refused requests" test "$(state)" = READY

# Garbage on the socket, half lines, floods: the daemon keeps answering.
$PY - "$SOCK" <<'PY'
import socket, sys, os
p = sys.argv[1]
socks = []
for payload in [b"\x00\xff\xfe\n", b"A" * 10000, b"status " + b"x " * 5000 + b"\n", b"%zz\n", b"\n", b"half a line"]:
    s = socket.socket(socket.AF_UNIX); s.connect(p); s.sendall(payload); socks.append(s)
for _ in range(200):
    s = socket.socket(socket.AF_UNIX); s.connect(p); socks.append(s)   # idle connections
PY
t_check "daemon answers after garbage, overlong lines and 200 idle connections" ctl status
t_check "daemon still running" kill -0 $DPID

# Idle and time limit (short timers through SIGHUP). The shortest idle timeout a config may
# have is 21 s (a countdown of at least 20 s, WCAG 2.2.1): the guest reports itself idle for
# most of it, as its session client would after a spell without input.
sed -i 's/idle_timeout = 900; idle_warning = 60;/idle_timeout = 21; idle_warning = 20;/' "$CONF"
kill -HUP $DPID; sleep 0.3
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
guest_ctl idle 18 >/dev/null
t_check "idle: READY" wait_state READY
t_check "idle: end reason logged" grep -q "reason idle" "$T_TMP/daemon.log"
wipe_check "after idle timeout: nothing left" 0
ctl hook session-setup "$GUEST" >/dev/null
idle_left=$(ctl status | awk '$1 == "idle_left" { print $2 }')
t_check "the idle timer runs at the notice without any report (idle_left ${idle_left:-?} of 21 s)" \
    test "${idle_left:-0}" -gt 0 -a "${idle_left:-0}" -le 21
guest_ctl idle 19 >/dev/null
t_check "an abandoned notice ends on the idle timeout too" wait_state READY 8
t_check "... logged as idle" test "$(grep -c 'reason idle' "$T_TMP/daemon.log")" -ge 2
sed -i 's/idle_timeout = 21; idle_warning = 20;/idle_timeout = 0;/; s/time_limit = 3600;/time_limit = 2;/; s/warnings = \[ 300, 60 \];/warnings = [ 1 ];/' "$CONF"
kill -HUP $DPID; sleep 0.3
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
t_check "time limit ends the session" wait_state READY 8
t_check "time limit: end reason logged" grep -q "reason time_limit" "$T_TMP/daemon.log"
wipe_check "after time limit: nothing left" 0

# SIGHUP with a broken config keeps the old one and names file and line.
cp "$CONF" "$T_TMP/good.conf"
echo 'session = { bogus = 1; };' >>"$CONF"
kill -HUP $DPID; sleep 0.3
t_check "bad reload: error names file and line" grep -q "$CONF:[0-9]*: " "$T_TMP/daemon.log"
t_check "bad reload: daemon keeps running" ctl status
cp "$T_TMP/good.conf" "$CONF"
sed -i 's/time_limit = 2;/time_limit = 3600;/' "$CONF"; kill -HUP $DPID; sleep 0.3

# kill -9 in each state, then restart: the guest's data is wiped before READY.
for st in NOTICE ACTIVE; do
    ctl hook session-setup "$GUEST" >/dev/null
    [ $st = ACTIVE ] && guest_ctl accept >/dev/null
    plant
    kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
    start_daemon
    t_check "kill -9 in $st, restart: wiped before READY" wait_state READY
    wipe_check "kill -9 in $st: nothing of the patron is left" 0
done
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
as_guest sh -c "cd '$HOME_DIR' && for i in \$(seq 1 3000); do echo \$i > f\$i; done"
guest_ctl end >/dev/null
sleep 0.02; kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
start_daemon
t_check "kill -9 while WIPING, restart: READY after a complete wipe" wait_state READY
wipe_check "kill -9 while WIPING: nothing left" 0

# rentarkctl wipe --dry-run: counts and bytes per category from the daemon, no names, nothing removed.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
"$RKCTL" -s "$SOCK" wipe --dry-run >"$T_TMP/dry.out" 2>&1
t_check "wipe --dry-run prints counts per category" grep -qE '^home_files +[1-9]' "$T_TMP/dry.out"
t_check "wipe --dry-run prints bytes" grep -qE '^home_bytes +[1-9]' "$T_TMP/dry.out"
t_check "wipe --dry-run: the census counts the guest's files outside the home" grep -qE '^census_files +[1-9]' "$T_TMP/dry.out"
t_check "wipe --dry-run: a row per foothold class" grep -qE '^(sysv_ipc|mqueue|keys|scheduled|service_state) +0' "$T_TMP/dry.out"
t_expect_fail "wipe --dry-run prints no names" grep -q "x.pdf" "$T_TMP/dry.out"
t_check "wipe --dry-run removes nothing" test -e "$HOME_DIR/Downloads/x.pdf"
ctl end >/dev/null; wait_state READY

# Statistics: persisted, shown to admins only, exported for node_exporter.
t_check "stats --json counts the sessions" sh -c "'$RKCTL' -s '$SOCK' stats --json | grep -q 'sessions'"
t_check "stats (text) for staff" sh -c "'$RKCTL' -s '$SOCK' stats | grep -qi 'session'"
t_expect_fail "guest: stats denied" guest_ctl stats
t_check "Prometheus textfile written" grep -q '^rentark_sessions_total' "$FS/state/rentark.prom"
t_check "the textfile counts idle and time-limit ends" grep -qE 'reason="(idle|time_limit)"} [1-9]' "$FS/state/rentark.prom"
t_check "the textfile has the last census: classes, nothing left, its duration" sh -c \
    "grep -q '^rentark_census_classes 8' '$FS/state/rentark.prom' && grep -q '^rentark_census_left_objects{class=\"files\"} 0' '$FS/state/rentark.prom' && grep -q '^rentark_census_duration_seconds ' '$FS/state/rentark.prom'"
t_check "statistics persisted in the state dir" test -s "$FS/state/stats.state"

# The PC's name (seat.name), given by a reload: in the status reply (escaped there as any
# value), in rentarkctl's table and JSON, and as the label seat="..." of every metric, whose
# file is rewritten at once; a double quote and a backslash are escaped in the label as the
# Prometheus text format asks. Taken away again, the label goes.
cp "$CONF" "$T_TMP/noseat.conf"
cat >>"$CONF" <<'EOF2'
seat = { name = "Lesesal \"A\" \\ PC 3 – 2. etasje"; };
EOF2
SEAT='Lesesal "A" \ PC 3 – 2. etasje'
LABEL='seat="Lesesal \"A\" \\ PC 3 – 2. etasje"'
PROM=$FS/state/rentark.prom
kill -HUP $DPID
for _ in $(seq 50); do grep -qF "{$LABEL," "$PROM" && break; sleep 0.1; done
t_check "reload with seat.name: the metrics file is rewritten with the label at once" grep -qF "rentark_sessions_total{$LABEL,kind=\"guided\"} " "$PROM"
t_check "... on every sample (also those without other labels)" \
    sh -c "! grep -v '^#' '$PROM' | grep -qvF '{$LABEL' && grep -qF 'rentark_incidents_open{$LABEL} ' '$PROM'"
t_check "... escaped as the text format asks, also in a histogram's buckets" \
    grep -qF "rentark_wipe_duration_seconds_bucket{$LABEL,le=\"+Inf\"} " "$PROM"
raw=$($PY "$RK_SRC/tests/helpers/rkcall.py" "$SOCK" status)
t_check "status reply: seat_name percent-escaped on the line" \
    grep -qF ' seat_name=Lesesal%20"A"%20\%20PC%203%20%E2%80%93%202.%20etasje ' <<<"$raw"
got=$(ctl status | sed -n 's/^seat_name  *//p')
t_check "rentarkctl status shows the name as it is ($got)" test "$got" = "$SEAT"
got=$(ctl --json status | $PY -c 'import json, sys; print(json.load(sys.stdin)["seat_name"])' 2>&1)
t_check "rentarkctl --json status: valid JSON, the name as it is ($got)" test "$got" = "$SEAT"
got=$(ctl session-config | sed -n 's/^seat_name  *//p')
t_check "session-config has the name too" test "$got" = "$SEAT"
cp "$T_TMP/noseat.conf" "$CONF"
kill -HUP $DPID
for _ in $(seq 50); do grep -q '^rentark_sessions_total{kind="guided"} ' "$PROM" && break; sleep 0.1; done
t_check "seat.name taken away: no label any more" sh -c "! grep -q 'seat=' '$PROM'"
t_check "... and the status's seat_name is empty" test -z "$(ctl status | sed -n 's/^seat_name  *//p')"

# SIGTERM during a session: the session ends and is wiped before the daemon exits.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
kill -TERM $DPID; wait $DPID; rc=$?; DPID=
t_check "SIGTERM: exit 0" test $rc -eq 0
t_check "SIGTERM: journal READY" grep -q '^state=READY' "$FS/state/seat.state"
wipe_check "SIGTERM in ACTIVE: wiped before exit" 0
t_check "socket removed at exit" test ! -e "$SOCK"
t_expect_fail "rentarkctl exits non-zero when the daemon is down" ctl status
"$RKCTL" -s "$SOCK" status >/dev/null 2>&1; t_check "... with exit code 3" test $? -eq 3
t_expect_fail "no guest file name in the daemon's log" grep -q "x.pdf\|guest-tmp" "$T_TMP/daemon.log"
t_done

#!/usr/bin/env bash
# rentarkd's records as the journal gets them: the real daemon, its stderr connected the way
# systemd connects a service's (a unix stream socket under /run/systemd/journal/), so that
# GLib's g_log_writer_is_journald() says yes and the records go as datagrams of journald's
# native protocol to /run/systemd/journal/socket. There a fake journald
# (tests/helpers/fake-journald.py) writes them down. The test runs in a mount namespace of its
# own with a tmpfs on /run/systemd: the machine's journal (if any) sees nothing of it.
#
# One session cycle (hook session-setup, the patron's files, accept, the step-away lock on and
# off, staff end, the wipe), one whose wipe is not verified (seat blocked, incident opened,
# retried, closed by staff), a reload and a stop; then: the event records carry MESSAGE_ID (the
# one of common/log.c's table), RENTARK_EVENT, SESSION_ID and their own fields, and no record
# holds anything of the patron's files (the PRIVACY RULE of common/log.h).
if [ -z "${RK_JOURNAL_NS:-}" ] && [ "$(id -u)" = 0 ] && [ -d /run/systemd ] &&
    unshare --mount --propagation private true 2>/dev/null; then
    RK_JOURNAL_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
skip_all() { t_skip "all tests in $(basename "$0")" "$1"; t_done; exit 0; }
[ -n "${RK_JOURNAL_NS:-}" ] || skip_all "no private mount namespace (unshare --mount) or no /run/systemd to cover"
mount -t tmpfs -o mode=0755,size=8M rentark-test-journal /run/systemd || skip_all "cannot mount a tmpfs on /run/systemd"
mkdir -p /run/systemd/journal

JDIR=/run/systemd/journal
FAKE=$RK_SRC/tests/helpers/fake-journald.py
RECORDS=$T_TMP/records.json
JTEXT=$T_TMP/journal.txt
/usr/bin/python3 "$FAKE" serve "$JDIR" "$RECORDS" "$JTEXT" &
FAKE_PID=$!
t_cleanup "kill $FAKE_PID"
for _ in $(seq 1 100); do [ -e "$JDIR/ready" ] && break; sleep 0.05; done
[ -e "$JDIR/ready" ] || skip_all "the fake journald did not start"

wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
cat >>"$CONF" <<'EOF2'
session = { time_limit = 3600; start_on_first_input = false; idle_timeout = 600; idle_warning = 60; step_away_max = 600; };
EOF2
# A wipe that cannot be verified is retried after a second.
sed -i 's/^wipe = { /wipe = { verify_retry = 1; /' "$CONF"
# The daemon's stderr is the journal's stream; a wrapper of make check-valgrind comes after.
RK_DAEMON_WRAPPER="/usr/bin/python3 $FAKE run $JDIR ${RK_DAEMON_WRAPPER:-}"
gcall() { as_guest /usr/bin/python3 "$RK_SRC/tests/helpers/rkcall.py" "$SOCK" "$@" >"$T_TMP/g.out" 2>&1; }
g_ok() { gcall "$@" && grep -q '^OK' "$T_TMP/g.out"; }
# wait_record EVENT [N]: N records (default 1) of the event have arrived.
wait_record() {
    local end=$((SECONDS + 20 * ${RK_TIME_SCALE:-1}))
    until [ "$(grep -c "\"RENTARK_EVENT\": \[\"$1\"\]" "$RECORDS" 2>/dev/null)" -ge "${2:-1}" ]; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.05
    done
}

start_daemon && wait_state READY || {
    t_fail "daemon READY" "$(tail -5 "$JTEXT" "$T_TMP/daemon.log" 2>/dev/null)"
    t_done
    exit 1
}
t_check "the daemon's records reach the fake journald (stderr taken for the journal)" wait_record daemon-started
t_check "... and none are written as lines to stderr" test -z "$(grep -E '^rentarkd: ' "$T_TMP/daemon.log" "$JTEXT")"

ctl hook session-setup "$GUEST" >/dev/null
SID=$(ctl status | awk '$1 == "session" { print $2 }')
plant
t_check "the patron's files are there (x.pdf, guest-tmp)" test -s "$HOME_DIR/Downloads/x.pdf" -a -s "$FS/tmp/guest-tmp"
guest_ctl accept >/dev/null
t_check "session $SID runs" wait_state ACTIVE 10
t_check "the guest locks the screen" g_ok lock 73915062
t_check "and unlocks it" g_ok unlock 73915062
ctl end >/dev/null
t_check "staff end: the wipe runs and the seat is READY again" wait_state READY 30
t_check "the wipe's record has arrived" wait_record wipe-verified

# A second session whose wipe cannot be verified: a file of the guest sits on a read-only bind
# mount (as in test-daemon-incident.sh). The seat is blocked, an incident opened; the retry
# verifies once the mount is gone, and staff close the incident.
ctl hook session-setup "$GUEST" >/dev/null
SID2=$(ctl status | awk '$1 == "session" { print $2 }')
guest_ctl accept >/dev/null
plant
mount --bind "$FS/tmp" "$FS/tmp" && mount -o remount,bind,ro "$FS/tmp"
t_cleanup "umount '$FS/tmp'"
ctl end >/dev/null
t_check "an unverifiable wipe blocks the seat" wait_state BLOCKED
t_check "the incident's record has arrived" wait_record incident-opened
umount "$FS/tmp"
t_check "the retry verifies the wipe" wait_record wipe-verified 3
INC=$(ctl incidents | awk 'NR == 1 { print $1 }')
t_check "staff resolve incident $INC" ctl incidents resolve "$INC"
t_check "the seat is READY again" wait_state READY 10
kill -HUP "$DPID"
t_check "a reload" wait_record config-reloaded
stop_daemon
t_check "a stop" wait_record shutdown

# The table of MESSAGE_IDs, from the code (test-log-catalog.sh checks it against the catalogue).
sed -nE 's/^ *\[RK_EVENT_[A-Z_]+\] = \{ "([a-z-]+)", "([0-9a-f]{32})" \},$/\1 \2/p' "$RK_SRC/common/log.c" >"$T_TMP/table"

# check EVENT SESSION FIELD=REGEX...: exactly one record of EVENT with SESSION_ID equal to
# SESSION ("-": without one), and it has the MESSAGE_ID of the table, PRIORITY, a MESSAGE and
# each FIELD matching REGEX. (GLIB_DOMAIN is the module's; agent/main.c has none.)
check() {
    /usr/bin/python3 - "$RECORDS" "$T_TMP/table" "$@" <<'PY'
import json, re, sys
records, table, event, session = sys.argv[1:5]
ids = dict(l.split() for l in open(table))
want = None if session == "-" else [session]
recs = [r for r in map(json.loads, open(records))
        if r.get("RENTARK_EVENT") == [event] and r.get("SESSION_ID") == want]
def fail(why):
    print("# %s: %s" % (event, why))
    for r in recs:
        print("#   %s" % json.dumps(r, ensure_ascii=False))
    sys.exit(1)
if len(recs) != 1:
    fail("%d records" % len(recs))
r = recs[0]
if r.get("MESSAGE_ID") != [ids.get(event)]:
    fail("MESSAGE_ID %s, the table says %s" % (r.get("MESSAGE_ID"), ids.get(event)))
for k in ("PRIORITY", "MESSAGE"):
    if len(r.get(k, [])) != 1 or not r[k][0]:
        fail("no single %s" % k)
for spec in sys.argv[5:]:
    k, rx = spec.split("=", 1)
    v = r.get(k)
    if not v or len(v) != 1 or not re.fullmatch(rx, v[0]):
        fail("%s is %s, not /%s/" % (k, v, rx))
PY
}
NUM='[0-9]+'
t_check "daemon-started: RENTARK_VERSION, RENTARK_SEAT_STATE, no session" \
    check daemon-started - 'RENTARK_VERSION=[0-9]+\.[0-9]+\.[0-9]+.*' RENTARK_SEAT_STATE='[A-Z]+' 'MESSAGE=rentarkd .* listening on ".*"'
t_check "session-started: NOTICE (from READY), PRIORITY 5" \
    check session-started "$SID" RENTARK_SEAT_STATE=NOTICE RENTARK_PREVIOUS_STATE=READY RENTARK_GUIDED=0 PRIORITY=5 \
    'MESSAGE=state READY -> NOTICE'
t_check "session-accepted: ACTIVE" \
    check session-accepted "$SID" RENTARK_SEAT_STATE=ACTIVE RENTARK_PREVIOUS_STATE=NOTICE 'MESSAGE=state NOTICE -> ACTIVE'
t_check "lock-on: RENTARK_LOCK_MAX_MS" check lock-on "$SID" RENTARK_LOCK_MAX_MS=600000
t_check "lock-off: RENTARK_DURATION_MS" check lock-off "$SID" "RENTARK_DURATION_MS=$NUM"
t_check "session-ended: RENTARK_END_REASON=staff, RENTARK_DURATION_MS, the MESSAGE as on stderr" \
    check session-ended "$SID" RENTARK_END_REASON=staff "RENTARK_DURATION_MS=$NUM" RENTARK_SEAT_STATE=ENDING \
    'MESSAGE=state ACTIVE -> ENDING reason staff' GLIB_DOMAIN=seat
t_check "wipe-verified (of the session; the start-up wipe has its own): duration, home ready, the counts" \
    check wipe-verified "$SID" "RENTARK_DURATION_MS=$NUM" "RENTARK_HOME_READY_MS=$NUM" "RENTARK_COUNT_PROCESSES=$NUM" \
    'RENTARK_COUNT_HOME_TRASHED=[1-9][0-9]*' 'RENTARK_COUNT_SWEPT=[1-9][0-9]*' "RENTARK_CENSUS_PASSES=$NUM" GLIB_DOMAIN=wipe \
    'MESSAGE=wipe verified in .*'
t_check "wipe-not-verified: the step, the error, what is left" \
    check wipe-not-verified "$SID2" 'RENTARK_WIPE_STEP=[a-z-]+' 'RENTARK_WIPE_ERROR=.+' 'RENTARK_COUNT_LEFT=[1-9][0-9]*' \
    PRIORITY=4 'MESSAGE=wipe NOT verified: step .*'
t_check "seat-blocked: BLOCKED from WIPING, the end reason" \
    check seat-blocked "$SID2" RENTARK_SEAT_STATE=BLOCKED RENTARK_PREVIOUS_STATE=WIPING RENTARK_END_REASON=staff PRIORITY=5
t_check "incident-opened: the id, the deadline (72 hours), the classes left" \
    check incident-opened "$SID2" "RENTARK_INCIDENT_ID=$INC" 'RENTARK_DEADLINE=[1-9][0-9]{9}' RENTARK_DEADLINE_HOURS=72 \
    'RENTARK_CLASSES=.*tmp=1.*' 'RENTARK_COUNT_LEFT=[1-9][0-9]*' RENTARK_COUNT_PATRONS=1 PRIORITY=4 "MESSAGE=INCIDENT $INC: .*"
t_check "wipe-verified of the retry" check wipe-verified "$SID2" "RENTARK_DURATION_MS=$NUM"
t_check "incident-closed: the id, none open" check incident-closed "$SID2" "RENTARK_INCIDENT_ID=$INC" RENTARK_COUNT_OPEN=0
t_check "seat-opened is not logged for a seat that was never closed by the hours" \
    test -z "$(grep -E '"RENTARK_EVENT": \["seat-(opened|closed)"\]' "$RECORDS")"
t_check "config-reloaded: RENTARK_CONFIG_FILE, no session" check config-reloaded - "RENTARK_CONFIG_FILE=$CONF"
t_check "shutdown: RENTARK_SEAT_STATE" check shutdown - RENTARK_SEAT_STATE=READY
t_check "no record of an event the cycles did not have (lock ran out)" \
    test -z "$(grep -E '"RENTARK_EVENT": \["lock-ran-out"\]' "$RECORDS")"
t_check "every record the session had carries its SESSION_ID" /usr/bin/python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
i = [n for n, r in enumerate(recs) if r.get("RENTARK_EVENT") == ["session-started"]][0]
j = [n for n, r in enumerate(recs) if r.get("RENTARK_EVENT") == ["wipe-verified"]][0]
bad = [r["MESSAGE"] for r in recs[i:j + 1] if r.get("SESSION_ID") != [sys.argv[2]]]
print("\n".join("# no SESSION_ID: %s" % m for m in bad))
sys.exit(1 if bad else 0)' "$RECORDS" "$SID"
t_check "the fake journald understood every datagram" test -z "$(grep FAKE_JOURNALD_ERROR "$RECORDS")"

# The PRIVACY RULE: nothing of the patron's files in any field of any record, nor the code.
n=$(wc -l <"$RECORDS")
t_check "no record ($n in all) names the patron's files or holds their content or the lock code" \
    test -z "$(grep -E 'x\.pdf|guest-tmp|patron-data|Downloads|73915062' "$RECORDS" "$JTEXT")"
t_done

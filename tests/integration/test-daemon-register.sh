#!/usr/bin/env bash
# The breach register (GDPR Art. 33, issue 17) against the real rentarkd: an unverifiable wipe
# opens an incident whose record says (a) what remained, by class and count, (b) the patrons
# concerned, (c)-(d) what was done: the seat blocked, the retries, the verification, the staff's
# closing note. `rentarkctl incident list|show|export|close` prints the register and the report
# for the Data Protection Authority in bokmål and English, as Markdown and as JSON (checked by a
# JSON parser); closing needs a note, records who and when, and erases nothing. No file name of
# the patron's appears anywhere. The bokmål report is kept in $RK_BUILD/artifacts/.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
sed -i 's/^wipe = { /wipe = { verify_retry = 1; /' "$CONF"
cat >>"$CONF" <<'EOF2'
seat = { name = "PC 3 – 2. etasje"; };
EOF2
PY=/usr/bin/python3
ART=$RK_BUILD/artifacts
mkdir -p "$ART"

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
t_check "an empty register" sh -c "'$RKCTL' -s '$SOCK' incident list | grep -q 'no incidents recorded'"

ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null; plant
# The guest's file sits where the wipe cannot delete it: a read-only bind mount of the folder.
mount --bind "$FS/tmp" "$FS/tmp" && mount -o remount,bind,ro "$FS/tmp"
t_cleanup "umount '$FS/tmp' 2>/dev/null"
ctl end >/dev/null
t_check "an unverifiable wipe blocks the seat" wait_state BLOCKED
ID=$(ctl incident list | awk 'NR == 1 { print $1 }')
t_check "the register lists one open incident" sh -c "'$RKCTL' -s '$SOCK' incident list | grep -c . | grep -qx 1 && '$RKCTL' -s '$SOCK' incident list | grep -q ' open '"
# The wipe is retried every second (verify_retry); wait for the register to count one.
for _ in $(seq 1 100); do ctl incident show "$ID" --lang en | grep -qE 'retried [1-9]' && break; sleep 0.1; done
ctl incident show "$ID" --lang en >"$T_TMP/show.md"
t_check "show: the four parts of Art. 33(3)" sh -c "grep -q '^## (a) Nature of the breach' '$T_TMP/show.md' && grep -q '^## (b) Data subjects' '$T_TMP/show.md' && grep -q '^## (c) Likely consequences' '$T_TMP/show.md' && grep -q '^## (d) Measures taken' '$T_TMP/show.md'"
t_check "(a) the class left and its count: tmp 1" grep -q 'by class: .*tmp 1' "$T_TMP/show.md"
t_check "(b) about 1 patron, no helper" sh -c "grep -q 'about 1 ' '$T_TMP/show.md' && grep -q 'No helper was present' '$T_TMP/show.md'"
t_check "(c) not verified yet: the data may still be there" grep -q 'The data may still be on it' "$T_TMP/show.md"
t_check "(d) the seat blocked, the retries counted" sh -c "grep -q 'was blocked (out of order) at' '$T_TMP/show.md' && grep -qE 'retried [1-9][0-9]* times' '$T_TMP/show.md'"
t_check "the PC's name is in the report" grep -q 'PC 3 – 2. etasje' "$T_TMP/show.md"

# The cause removed: the retry verifies; the seat stays closed until staff close the incident.
umount "$FS/tmp"
for _ in $(seq 1 100); do grep -q "wipe verified; the seat stays closed" "$T_TMP/daemon.log" && break; sleep 0.05; done
t_check "a retry verifies the wipe; still BLOCKED" test "$(state)" = BLOCKED
ctl incident export "$ID" --format=json --lang en >"$T_TMP/export.json"
t_check "export --format=json: valid JSON with the register's facts" $PY - "$T_TMP/export.json" "$ID" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["id"] == sys.argv[2] and d["status"] == "open", d
assert d["seat"] == "PC 3 – 2. etasje", d["seat"]
assert d["nature"]["classes"].get("tmp") == 1 and d["nature"]["objects_left"] >= 1, d["nature"]
assert d["data_subjects"] == {"patrons_approx": 1, "helper_present": False}, d["data_subjects"]
m = d["measures"]
assert m["wipe_retries"] >= 1 and m["wipe_verified"] and m["seat_blocked"] and m["notes"] == [], m
assert d["report_deadline"] > d["detected"]
assert "low" in d["consequences"]
EOF

t_expect_fail "close without a note is refused" ctl incident close "$ID"
t_expect_fail "close with a note of two lines is refused" ctl incident close "$ID" --note "$(printf 'a\nb')"
t_expect_fail "the guest cannot close" guest_ctl incident close "$ID" --note "x"
t_expect_fail "the guest cannot read the register" guest_ctl incident list
t_check "staff close it with a note" ctl incident close "$ID" --note "Skrivebeskyttet montering funnet og fjernet; slettingen er bekreftet ✓"
t_check "the seat opens: READY" wait_state READY
t_expect_fail "closing again is refused" ctl incident close "$ID" --note "again"
t_check "the register keeps it, closed" sh -c "'$RKCTL' -s '$SOCK' incident list | grep -q '^$ID .* closed '"
t_check "the record is still on disk" test -f "$FS/state/incidents/$ID"

ctl incident export "$ID" --format=md --lang nb >"$ART/incident-report-nb.md"
cp "$ART/incident-report-nb.md" "$T_TMP/nb.md"
t_check "the report in bokmål: the title and the deadline to Datatilsynet" sh -c "grep -q '^# Mulig brudd på personopplysningssikkerheten — rentark-hendelse $ID' '$T_TMP/nb.md' && grep -q 'Meldes til Datatilsynet innen' '$T_TMP/nb.md'"
t_check "... the note, who wrote it and when" grep -qE '^  - 20[0-9-]+ [0-9:]+ .*, root: Skrivebeskyttet montering funnet og fjernet; slettingen er bekreftet ✓$' "$T_TMP/nb.md"
t_check "... status closed" grep -q '^- Status: lukket ' "$T_TMP/nb.md"
ctl --json incident list >"$T_TMP/list.json"
t_check "incident list --json: valid JSON, one closed incident" $PY -c "import json,sys; l=json.load(open(sys.argv[1])); assert len(l)==1 and l[0]['status']=='closed', l" "$T_TMP/list.json"
t_expect_fail "no file name of the patron's in any report or log" grep -l "x.pdf\|guest-tmp\|Downloads" "$T_TMP/show.md" "$T_TMP/export.json" "$T_TMP/nb.md" "$T_TMP/daemon.log"
t_expect_fail "bad options are refused" ctl incident export "$ID" --format=html
t_expect_fail "an unknown id is refused" ctl incident show 0123456789abcdef
t_done

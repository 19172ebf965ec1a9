#!/usr/bin/env bash
# Watched folders with the real daemon: files created in a shared folder during a session go
# with the session, files that were there before stay byte-identical; after a kill -9 of the
# daemon mid-session, the restart removes what the session created (scan since its start).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"
SCAN=$FS/scan
mkdir -p "$SCAN/old-dir" && chmod 1777 "$SCAN" "$SCAN/old-dir"
echo "a scanned page from yesterday" >"$SCAN/old-scan.pdf"; echo keep >"$SCAN/old-dir/keep.txt"
sed -i "s|^wipe = { |wipe = { watch = [ \"$SCAN\" ]; |" "$CONF"
before=$(t_tree_digest "$SCAN")
sleep 1.1   # the session starts in a later second than the old files were made

start_daemon && wait_state READY || { t_fail "daemon READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null
sleep 0.2
# The scanner (root) drops a scan; the guest makes nested folders and files; a symlink.
echo "patron's passport scan" >"$SCAN/scan-0001.pdf"
as_guest sh -c "mkdir -p '$SCAN/mine/a/b' && echo x > '$SCAN/mine/a/b/c.txt' && echo y > '$SCAN/old-dir/new.txt' && ln -s /etc/passwd '$SCAN/link'"
sleep 0.2
ctl end >/dev/null; wait_state READY
t_check "files created in the watched folder during the session are gone" \
    test ! -e "$SCAN/scan-0001.pdf" -a ! -e "$SCAN/mine" -a ! -e "$SCAN/old-dir/new.txt" -a ! -L "$SCAN/link"
t_check "files that were there before are byte-identical" test "$(t_tree_digest "$SCAN")" = "$before"
t_check "a symlink's target is untouched" test -s /etc/passwd
t_check "the log counts, never names" grep -q "watched folders: [0-9]* created entries removed" "$T_TMP/daemon.log"
t_expect_fail "no file name in the log" grep -q "scan-0001\|passport\|c.txt" "$T_TMP/daemon.log"

# kill -9 mid-session: the in-memory record is lost; the restart scans since the session start.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null
sleep 1.1
echo "another scan" >"$SCAN/scan-0002.pdf"; as_guest sh -c "mkdir -p '$SCAN/deep/er' && echo z > '$SCAN/deep/er/f'"
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
start_daemon
t_check "restart after kill -9: READY" wait_state READY
t_check "restart removed what the session created in the watched folder" test ! -e "$SCAN/scan-0002.pdf" -a ! -e "$SCAN/deep"
t_check "... and kept what was there before" test "$(t_tree_digest "$SCAN")" = "$before"
wipe_check "nothing of the patron is left" 0

# The watched folders are the wipe's, after the stop: a guest process that keeps writing there
# until it is killed leaves nothing, and the watch (not the census's safety net) removed it.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null
as_guest sh -c "i=0; while :; do i=\$((i+1)); echo w > '$SCAN/writer-'\$i; sleep 0.01; done" &
WPID=$!
sleep 0.5
ctl end >/dev/null; wait_state READY
t_check "a guest writing into the watched folder until the stop leaves nothing there" \
    sh -c "! ls '$SCAN' | grep -q writer"
t_expect_fail "... removed by the watch after the stop, not left for the census" \
    grep -q "the first pass found what the sweep missed" "$T_TMP/daemon.log"
wait $WPID 2>/dev/null

# --wipe-once after the daemon died mid-session: the watched folders are scanned since the
# session began (from the journal), and the dry run counts them first.
ctl hook session-setup "$GUEST" >/dev/null; guest_ctl accept >/dev/null
sleep 1.1
echo "a third scan" >"$SCAN/scan-0003.pdf"; as_guest sh -c "echo q > '$SCAN/mine2'"
kill -9 $DPID; wait $DPID 2>/dev/null; DPID=
"$RKD" -c "$CONF" --wipe-once --dry-run >"$T_TMP/dry.out" 2>&1
t_check "--wipe-once --dry-run counts what the session created in the watched folder" \
    grep -qE '^watch +2 ' "$T_TMP/dry.out"
t_check "... and changes nothing" test -e "$SCAN/scan-0003.pdf" -a -e "$SCAN/mine2"
wipe_once; rc=$?
t_check "--wipe-once after a crash removes what the session created in the watched folder" \
    test $rc -eq 0 -a ! -e "$SCAN/scan-0003.pdf" -a ! -e "$SCAN/mine2"
t_check "... and keeps what was there before" test "$(t_tree_digest "$SCAN")" = "$before"
t_done

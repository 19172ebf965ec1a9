#!/usr/bin/env bash
# A wipe never waits on anything it does not need: with the patron notice texts missing (a
# deleted or mistyped notice.text_dir, a language without its folder), --check-config fails
# with FILE:LINE, but the wipe of the last session still runs and is verified, at boot and by
# --wipe-once. The seat stays closed, with a clear error, until the texts are back.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/wipe-env.sh"
t_require_root
wipe_env_setup 256M
. "$RK_SRC/tests/daemon-env.sh"

GOOD=$T_TMP/good.conf
cp "$CONF" "$GOOD"
sed -i "s|text_dir = \"$FS/notice\"|text_dir = \"$FS/no-such-notice\"|" "$CONF"
line=$(grep -n 'no-such-notice' "$CONF" | cut -d: -f1)

out=$("$RKD" --check-config -c "$CONF" 2>&1); rc=$?
t_check "--check-config: exit 1 without the notice texts" test $rc -eq 1
t_check "... naming file and line of notice.text_dir" grep -qF "$CONF:$line: notice.text_dir: directory" <<<"$out"

# What the last patron left: in the home and in a temp folder.
as_guest sh -c "mkdir -p '$HOME_DIR/Documents' && echo cv > '$HOME_DIR/Documents/cv.odt' && echo t > '$FS/tmp/guest-tmp'"
wipe_once; rc=$?
wipe_check "--wipe-once without the texts: the wipe runs and is verified" $rc
t_check "... and says that the seat will stay closed" grep -q "notice texts are missing" "$T_TMP/wipe.log"

# The daemon after a crash mid-session (no journal: the safe assumption is a session).
as_guest sh -c "echo again > '$FS/tmp/guest-tmp2' && mkdir -p '$HOME_DIR/Downloads' && echo x > '$HOME_DIR/Downloads/x.pdf'"
rm -f "$FS/state/seat"*
t_check "the daemon starts without the texts" start_daemon
t_check "... wipes the last session and reaches READY" wait_state READY
wipe_check "... and the wipe at start is verified" 0
t_check "status: the seat is closed for missing notice texts" sh -c "ctl() { '$RKCTL' -s '$SOCK' \"\$@\"; }; ctl status | grep -qE '^closed +notice-texts'"
out=$(ctl hook session-setup "$GUEST" 2>&1); rc=$?
t_check "the display manager's hook is refused: no session without the notice" test $rc -ne 0 -a "$(state)" = READY
t_check "... with a clear error" grep -q "notice texts are missing" <<<"$out"
t_check "the daemon's log names the problem with file and line" grep -qF "$CONF:$line: notice.text_dir" "$T_TMP/daemon.log"

# The admin restores the texts and reloads: the seat opens.
cp "$GOOD" "$CONF"
kill -HUP "$DPID"
for _ in $(seq 1 100); do ctl status | grep -qE '^closed +-' && break; sleep 0.05; done
t_check "after the texts are back and SIGHUP: the seat is open" sh -c "'$RKCTL' -s '$SOCK' status | grep -qE '^closed +-'"
t_check "... and a session begins" ctl hook session-setup "$GUEST"
ctl end >/dev/null; wait_state READY
stop_daemon
t_done

#!/usr/bin/env bash
# A slow accessibility bus: the cover and the notice must not wait for it, and the screens must
# still reach a screen reader once it answers.
#
# GTK 3 starts the AT-SPI bridge inside gtk_init, and the bridge asks the session bus for the
# accessibility bus's address with a blocking call (25 s per call when org.a11y.Bus does not
# answer): the patron's desktop, uncovered, for as long. rentark-session starts the bridge
# itself once the cover is up and asks without blocking (session/a11y.c). Here a stand-in
# launcher (tests/helpers/slow-a11y-bus.py) owns org.a11y.Bus in the guest's D-Bus session
# and holds every question until the test releases it:
#   - while the question is held: the cover, then the notice, grabbed;
#   - the library's notice.screen_reader is set: the screen reader waits for the bridge
#     (started earlier it would find no window to read), and starts once the bus answers;
#   - after the answer: the notice on AT-SPI, its accept button found by role and name and
#     activated, the session ACTIVE; end and wipe as always.
# With GTK's own bridge, the notice comes only after the call times out, and the bridge gives
# up: the notice never reaches the AT-SPI bus and the AT-SPI checks fail.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require_a11y dbus-daemon /usr/share/defaults/at-spi2/accessibility.conf
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config
sed -i 's/^notice = {/notice = { screen_reader = true;/' "$CONF"
grep -q 'screen_reader = true' "$CONF" || printf 'notice = { screen_reader = true; };\n' >>"$CONF"
reader_log=$S_READER_LOG
s_reader_stub
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }

release=$S_DUMP_DIR/a11y-release
bus_state=$S_DUMP_DIR/a11y-state
rm -f "$release" "$bus_state" "$reader_log"
bus_says() { grep -q "^$1" "$bus_state" 2>/dev/null; }
wait_bus_says() {
    local i
    for i in $(seq $(($2 * 10 * S_WAIT_SCALE))); do bus_says "$1" && return 0; sleep 0.1; done
    return 1
}
S_A11Y_PRE="/usr/bin/python3 $RK_SRC/tests/helpers/slow-a11y-bus.py $release $bus_state & \
for i in \$(seq 100); do grep -q owned $bus_state 2>/dev/null && break; sleep 0.1; done" \
S_CLIENT_ENV="RENTARK_SCREEN_READER=$T_TMP/reader.sh" s_a11y_session_start --lang nb ||
    t_fail "the guest's D-Bus session starts"
t_check "the stand-in launcher owns org.a11y.Bus and holds the client's question" wait_bus_says asked 5 || s_diag
t_check "while it is held: the notice is on screen" s_wait_screen notice 5 || s_diag
t_check "... it holds keyboard and pointer" grep -q '^grab yes$' "$S_DUMP"
t_check "... the question is still held (no answer yet)" bus_says asked
sleep 1
t_check "... the library's screen reader waits for the bridge (it would find no window)" test ! -s "$reader_log"
s_shot a11y-bus-held

touch "$release"
t_check "the bus answers the held question" wait_bus_says answered 5
for _ in $(seq 50); do [ -s "$reader_log" ] && break; sleep 0.1; done
t_check "then the screen reader starts, once" test "$(grep -c started "$reader_log" 2>/dev/null)" = 1
title=$(awk '$1 == "title" { sub(/^title /, ""); print; exit }' "$S_DUMP")
t_check "AT-SPI: the notice is a dialog named by its title (\"$title\")" s_atspi wait 15 dialog "$title"
t_check "AT-SPI: the accept button found by role and name is activated" s_atspi press "Jeg forstår — start"
t_check "... and the daemon's session is ACTIVE" s_wait_state ACTIVE 5
t_check "AT-SPI: the strip is on the bus" s_atspi wait 10 "push button" "Avslutt og slett dataene mine"
ctl end >/dev/null
s_session_wiped "slow accessibility bus"
t_done

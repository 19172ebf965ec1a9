#!/usr/bin/env bash
# Time limits that follow WCAG 2.2.1, against the real rentarkd under Xvfb with a real AT-SPI
# bus: a session of 150 s with warnings 140 and 60 s before the end, more time 20 s at a time,
# twice at most.
#   - the warning appears in the strip without taking the focus from the patron's program
#     (another client keeps receiving the keys), and screen readers get it as a notification;
#   - keys typed meanwhile (Enter, Space, Esc, Tab) never end the session;
#   - "More time" is one click: the daemon's time left grows by 20 s, the strip says so, and the
#     warning comes again before the new end; the keyboard path (Ctrl+Alt+R, Enter) works too;
#   - after the last extension the warning offers no more time (the daemon refuses a third),
#     and the time left is always in the strip.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
/usr/bin/python3 -c 'import pyatspi' 2>/dev/null || { t_skip "all tests in $(basename "$0")" "python3-pyatspi is not installed"; t_done; exit 0; }
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_xprobe || { t_fail "the X probe client builds"; t_done; exit 1; }
s_config time_limit=150 warnings="140, 60" extend_by=20 max_extends=2 interval=2 idle_timeout=600 idle_warning=60
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
s_a11y_session_start --lang en || t_fail "the guest's D-Bus session starts"
t_check "the notice appears" s_wait_screen notice 15
s_click accept
t_check "the session starts" s_wait_state ACTIVE 5
t_check "the strip shows the time left" s_wait_dump '^title Time left: 3 minutes$' 5

# The patron's program: a window with the keyboard focus.
"$T_TMP/xprobe" probe "$T_TMP/probe.count" >"$T_TMP/probe.out" &
t_cleanup "kill $!"
for _ in $(seq 30); do grep -q mapped "$T_TMP/probe.out" && break; sleep 0.1; done
xdotool mousemove 300 300 click 1
left() { ctl status | awk '$1 == "time_left" { print $2 }'; }

t_check "140 s before the end: the warning appears in the strip" s_wait_dump '^note .* left\. Save what you want to keep now' 20
t_check "... with \"More time\"" grep -q '^button extend .* More time (+20 seconds)$' "$S_DUMP"
t_check "... and how many times more time can be had" grep -q 'Extensions left: 2' "$S_DUMP"
t_check "... without a grab" grep -q '^grab no$' "$S_DUMP"
note=$(awk '$1 == "note" { sub(/^note /, ""); print "⚠ " $0; exit }' "$S_DUMP")
t_check "AT-SPI: the warning is a notification, for screen readers to speak" s_atspi wait 10 notification "$note"
s_shot strip-warning
before=$(cat "$T_TMP/probe.count")
xdotool key Return space Escape Tab Return
xdotool type --delay 20 "hello"
sleep 1
after=$(cat "$T_TMP/probe.count")
t_check "keys during the warning go to the patron's program (probe: $before, then $after)" test "$after" -ge $((before + 10))
t_check "no key press in the warning ends the session" test "$(s_state)" = ACTIVE

l0=$(left)
s_click extend
t_check "more time: the strip says so" s_wait_dump '^note Your time was extended by 20 seconds\.$' 5
l1=$(left)
t_check "more time: the daemon's time left grew by 20 s ($l0 -> $l1)" test "$l1" -ge $((l0 + 15)) -a "$l1" -le $((l0 + 21))
t_check "more time: the warning is gone until the next one" bash -c "! grep -q '^button extend ' '$S_DUMP'"
t_check "the daemon logged it with the count only" s_daemon_saw 'exten'

t_check "the warning comes again before the new end" s_wait_dump '^button extend ' 30
t_check "... with one extension left" grep -q 'Extensions left: 1' "$S_DUMP"
# The keyboard path: Ctrl+Alt+R gives the strip the keyboard, "More time" has the focus.
xdotool key ctrl+alt+r
t_check "Ctrl+Alt+R: \"More time\" has the focus" s_wait_dump '^button extend .* \* More time' 3
l0=$(left)
xdotool key Return
t_check "Enter gives more time" s_wait_dump '^note Your time was extended' 5
l1=$(left)
t_check "... 20 s more ($l0 -> $l1)" test "$l1" -ge $((l0 + 15))
t_check "... and the keyboard is back with the patron's program" s_wait_dump '^grab no$' 3

t_check "the warning comes a third time" s_wait_dump '^note .* left\. Save what' 30
sleep 0.5
t_check "after max_extends, no more time is offered" bash -c "! grep -q '^button extend ' '$S_DUMP'"
t_check "... but the time left is still in the strip" grep -q '^title Time left: ' "$S_DUMP"
t_check "... and the end button" grep -q '^button end ' "$S_DUMP"
reply=$(setpriv --reuid="$GUID" --regid="$GGID" --clear-groups -- /usr/bin/python3 "$RK_SRC/tests/helpers/rkcall.py" "$S_SOCK" extend 2>&1)
t_check "the daemon refuses a third extension from the guest ($reply)" bash -c "[[ '$reply' == ERR* ]]"
t_check "the session is still ACTIVE" test "$(s_state)" = ACTIVE
ctl end >/dev/null
s_session_wiped "extended session"
t_done

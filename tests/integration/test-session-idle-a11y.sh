#!/usr/bin/env bash
# The idle countdown as a screen reader meets it, over the patron's program, against the real
# rentarkd (idle_timeout 24 s, idle_warning 20 s, idle_report_interval 2 s; the countdown
# itself is test-session-idle's): in the guest's D-Bus session with its accessibility bus, the
# countdown is an alert on AT-SPI (which Orca speaks at once), takes no grab, and keys go on
# reaching the patron's program and cancel it; the session goes on.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require_a11y
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_xprobe || { t_skip "all tests in $(basename "$0")" "the X probe cannot be built (libX11/libXrandr headers)"; t_done; exit 0; }
s_config idle_timeout=24 idle_warning=20 interval=2
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
s_public_conf
s_a11y_session_start --lang en || t_fail "the guest's D-Bus session starts"
t_check "the notice appears" s_wait_screen notice 15 || s_diag
s_click accept
s_wait_state ACTIVE 5
# The patron's program: a window with the keyboard focus.
"$T_TMP/xprobe" probe "$T_TMP/probe.count" >"$T_TMP/probe.out" &
t_cleanup "kill $!"
for _ in $(seq 30); do grep -q mapped "$T_TMP/probe.out" && break; sleep 0.1; done
xdotool mousemove 300 300 click 1
t_check "the countdown appears" s_wait_screen idle 10 || s_diag
title=$(awk '$1 == "screen" { on = ($3 == "idle") } on && $1 == "title" { sub(/^title /, ""); print; exit }' "$S_DUMP")
t_check "AT-SPI: the countdown is an alert named \"$title\", which Orca speaks at once" s_atspi wait 10 alert "$title"
t_check "... it takes no grab" grep -q '^grab no$' "$S_DUMP"
before=$(cat "$T_TMP/probe.count")
xdotool type --delay 20 "ab"
sleep 0.5
after=$(cat "$T_TMP/probe.count")
t_check "keys during the countdown go to the patron's program (probe: $before, then $after)" test "$after" -ge $((before + 2))
t_check "... and cancel it" bash -c "for i in \$(seq 20); do grep -q '^screen dialog idle' '$S_DUMP' || exit 0; sleep 0.1; done; exit 1"
t_check "... the session goes on" test "$(s_state)" = ACTIVE
ctl end >/dev/null
s_session_wiped "a11y countdown"
t_done

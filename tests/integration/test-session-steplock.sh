#!/usr/bin/env bash
# The step-away lock in rentark-session, against the real rentarkd under Xvfb (xdotool):
#   - the strip offers "Lock the screen"; the patron chooses a code of 4 to 8 digits by
#     keyboard and types it again; a code too short and two codes that differ are refused on
#     screen before anything is sent; then the daemon is locked;
#   - the lock screen covers the screen and holds the keyboard and pointer: keys typed (Escape,
#     Alt+Tab, Ctrl+Alt+R, letters) reach no other client and do not leave it, a window mapped
#     after the lock stays below it, and it has no button but Unlock;
#   - a wrong code says how many tries are left, the right one brings the strip back; a client
#     started again while locked shows the lock screen at once;
#   - the lock's own limit (step_away_max), 5 wrong codes and a staff end all end the session,
#     which is wiped; with the protocol double the ending screen follows the lock's timeout;
#   - AT-SPI: the code field and the Unlock button are found by role and name;
#   - no code reaches a dump or a log.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_xprobe || { t_fail "the X probe client builds"; t_done; exit 1; }
a11y=yes
/usr/bin/python3 -c 'import pyatspi' 2>/dev/null && command -v dbus-run-session >/dev/null &&
    [ -x /usr/libexec/at-spi-bus-launcher ] || a11y=
s_config step_away_max=600 interval=30 idle_timeout=900
# The guest's own D-Bus session is tried before the lock: a client started while locked has
# 10 s to call the daemon, no time for a bus that cannot start (a /tmp the guest cannot write).
[ -n "$a11y" ] && ! as_guest dbus-run-session -- true >/dev/null 2>&1 && a11y=
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }

# A client after a wiped session: the accessibility bus of the last one (killed by the wipe)
# is still named on the root window, and AT-SPI would try it first; a real login sets it anew.
client_start() { xprop -root -remove AT_SPI_BUS 2>/dev/null; s_session_start "$@"; }
# type_code DIGITS: the code typed into the field by keyboard, then Enter.
type_code() { xdotool type --delay 30 "$1"; xdotool key Return; }
buttons() { awk '$1 == "button" { printf "%s ", $2 }' "$S_DUMP"; }
subtitle() { awk '$1 == "subtitle" { sub(/^subtitle /, ""); print; exit }' "$S_DUMP"; }

# The patron's program has the keyboard focus.
"$T_TMP/xprobe" probe "$T_TMP/probe.count" >"$T_TMP/probe.out" &
t_cleanup "kill $!"
for _ in $(seq 30); do grep -q mapped "$T_TMP/probe.out" && break; sleep 0.1; done

client_start --lang en
t_check "the notice appears" s_wait_screen notice 15
s_click accept
t_check "the session starts" s_wait_state ACTIVE 5
t_check "the strip offers \"Lock the screen\"" s_wait_dump '^button lock .* Lock the screen$' 5
sleep 0.3
t_check "the strip with the lock button: nothing clipped" test -z "$(s_layout_bad)"

# ---- choosing the code ----
s_click lock
t_check "the lock button asks for a code" s_wait_screen lock-choose 5
t_check "... on a cover that holds keyboard and pointer" s_wait_dump '^grab yes$' 3
t_check "... it says 4 to 8 digits" grep -q '^text .*Choose a code of 4 to 8 digits' "$S_DUMP"
t_check "... that the session ends within step_away_max (10 minutes) or after 5 wrong codes" \
    grep -q '^text If nobody unlocks the screen within 10 minutes, or after 5 wrong codes, the session ends and everything is erased\.$' "$S_DUMP"
t_check "... that the staff cannot unlock it" grep -q '^text The staff cannot unlock it' "$S_DUMP"
t_check "... with Next and Cancel" test "$(buttons)" = "lock_next lock_cancel "
xdotool key Escape
t_check "Esc cancels: the strip is back" s_wait_screen active 5
t_check "... and nothing was locked" test "$(st locked)" = 0
s_click lock
s_wait_screen lock-choose 5
xdotool type --delay 30 48
t_check "the focus starts in the code field (typed digits land there, masked)" s_wait_dump '^field 2$' 3
xdotool key Return
t_check "a code of 2 digits is refused on screen" s_wait_dump '^note .*The code must have 4 to 8 digits\.$' 3
t_check "... the field is empty again" grep -q '^field 0$' "$S_DUMP"
t_check "... and nothing was sent (not locked)" test "$(st locked)" = 0
type_code 4821
t_check "a valid code: type it again" s_wait_screen lock-again 3
t_check "... titled so" grep -q '^title Type the code again$' "$S_DUMP"
s_check_contrast lock-choose
xdotool key ctrl+plus
t_check "choosing the code at 200 %" s_wait_dump '^scale 2$' 5
sleep 0.3
t_check "... nothing clipped" test -z "$(s_layout_bad)"
s_check_contrast lock-again-200
xdotool key ctrl+plus
s_wait_dump '^scale 1$' 5
type_code 4822
t_check "two codes that differ: said so, and the choice starts over" \
    s_wait_dump '^note .*The two codes were not the same\. Please choose a code again\.$' 3
t_check "... on the first step" s_wait_screen lock-choose 2
t_check "... not locked" test "$(st locked)" = 0
type_code 4821
s_wait_screen lock-again 3
type_code 4821
t_check "the same code twice: the lock screen" s_wait_screen locked 5
t_check "the daemon is locked" test "$(st locked)" = 1
t_check "the lock screen is titled" grep -q '^title This PC is locked$' "$S_DUMP"
t_check "... with the countdown" grep -q '^subtitle The session ends and everything is erased in 10 minutes$' "$S_DUMP"
t_check "... and holds the grab" grep -q '^grab yes$' "$S_DUMP"
t_check "... its only button is Unlock (nothing ends or bypasses the lock)" test "$(buttons)" = "unlock "
t_expect_fail "the code is in no dump" grep -q 4821 "$S_DUMP"
t_check "the lock screen: nothing clipped" test -z "$(s_layout_bad)"
s_check_contrast lock-screen
# Larger text (a key of every cover) on the lock screen: 200 %, nothing clipped, still 4.5:1.
xdotool key ctrl+plus
t_check "larger text on the lock screen: 200 %" s_wait_dump '^scale 2$' 5
sleep 0.3
t_check "the lock screen at 200 %: nothing clipped" test -z "$(s_layout_bad)"
s_check_contrast lock-screen-200
t_check "... still locked, the code field empty" test "$(st locked) $(grep -c '^field 0$' "$S_DUMP")" = "1 1"
xdotool key ctrl+plus
s_wait_dump '^scale 1$' 5

# ---- the lock holds ----
before=$(cat "$T_TMP/probe.count")
xdotool type --delay 20 "hello"
xdotool key Escape alt+Tab ctrl+alt+r Escape Super_L
xdotool click 1
sleep 0.7
after=$(cat "$T_TMP/probe.count")
t_check "keys and clicks on the lock screen reach no other client (probe: $before, then $after)" test "$before" = "$after"
t_check "... and leave the lock screen up" test "$(st locked) $(grep -c '^screen cover locked$' "$S_DUMP")" = "1 1"
xdotool key ctrl+a BackSpace
# A second window appears after the lock (a program started before, mapping late).
"$T_TMP/xprobe" probe "$T_TMP/probe2.count" >"$T_TMP/probe2.out" &
t_cleanup "kill $!"
for _ in $(seq 30); do grep -q mapped "$T_TMP/probe2.out" && break; sleep 0.1; done
sleep 0.5
s_shot lock-over-window
px=$(convert "$S_SHOTS/lock-over-window.png" -crop '1x1+300+250' -format '%[hex:p{0,0}]' info: 2>/dev/null)
t_check "a window mapped after the lock stays below the cover (pixel $px is not the window's blue)" test "${px:0:6}" != 336699
xdotool type --delay 20 "abc"
sleep 0.5
t_check "... and gets no keys" test "$(cat "$T_TMP/probe2.count")" = 0
t_check "the client calls the daemon while locked (its keep-alive): still ACTIVE after 12 s" \
    bash -c "sleep 12; test \"\$('$RKCTL' -s '$SOCK' status | awk '\$1 == \"locked\" { print \$2 }')\" = 1"

# ---- wrong and right codes ----
s_wait_dump '^field 0$' 2
type_code 1111
t_check "a wrong code: tries left shown" s_wait_dump '^note Wrong code\. Tries left: 4\.$' 5
t_check "... the daemon counted it" test "$(st lock_tries_left)" = 4
t_check "... the field is empty, the focus back in it" bash -c "grep -q '^field 0\$' '$S_DUMP' && xdotool type 12 && sleep 0.4 && grep -q '^field 2\$' '$S_DUMP'"
s_check_contrast lock-wrong
xdotool key Return
t_check "a code too short on the lock screen is refused without a try" s_wait_dump '^note .*The code must have 4 to 8 digits' 3
t_check "... the daemon's tries are still 4" test "$(st lock_tries_left)" = 4

# The client is started again while locked (with an accessibility bus, for a screen
# reader's view): the lock screen at once.
s_session_stop "locked client"
if [ -n "$a11y" ]; then
    s_a11y_session_start --lang en || t_fail "the guest's D-Bus session starts"
else
    client_start --lang en
fi
t_check "a client started while locked shows the lock screen at once" s_wait_screen locked 10
t_check "... still locked in the daemon" test "$(st locked)" = 1
if [ -n "$a11y" ]; then
    t_check "AT-SPI: the lock screen is a dialog named \"This PC is locked\"" s_atspi wait 10 dialog "This PC is locked"
    t_check "AT-SPI: its title is a heading" s_atspi find heading "This PC is locked"
    t_check "AT-SPI: the code field is a password text named \"Code:\"" s_atspi find "password text" "Code:"
    t_check "AT-SPI: the Unlock button is a push button named \"Unlock\"" s_atspi find "push button" "Unlock"
    t_check "AT-SPI: the countdown is named in whole minutes" \
        s_atspi find label "The session ends and everything is erased in 10 minutes"
    s_atspi tree >"$S_SHOTS/atspi-locked.txt" 2>&1
else
    t_skip "AT-SPI checks of the lock screen" "python3-pyatspi, dbus or at-spi2-core is missing, or the guest's D-Bus session cannot start"
fi
s_wait_dump '^grab yes$' 3
type_code 4821
t_check "the right code: the strip is back" s_wait_screen active 5
t_check "... the daemon is unlocked" test "$(st locked)" = 0
t_check "... and the grab is released" s_wait_dump '^grab no$' 3
t_check "the session runs on" test "$(s_state)" = ACTIVE

# ---- keyboard only: Ctrl+Alt+R, Enter on the strip's lock button; then staff end ----
xdotool key ctrl+alt+r
t_check "Ctrl+Alt+R: the strip's lock button has the focus" s_wait_dump '^button lock .* \* Lock the screen$' 3
xdotool key Return
t_check "Enter: the code is asked for" s_wait_screen lock-choose 5
s_wait_dump '^grab yes$' 3
type_code 97531
s_wait_screen lock-again 3
type_code 97531
t_check "keyboard only: locked" s_wait_screen locked 5
t_check "staff cannot unlock: the daemon refuses root" bash -c "! '$RKCTL' -s '$SOCK' unlock 97531 >/dev/null 2>&1 && test \"\$('$RKCTL' -s '$SOCK' status | awk '\$1 == \"locked\" { print \$2 }')\" = 1"
t_expect_fail "no code in the client's log" grep -qwE '4821|4822|1111|97531' "$T_TMP/session.err"
t_expect_fail "no code in the daemon's log" grep -qwE '4821|4822|1111|97531' "$T_TMP/daemon.log"
ctl end >/dev/null
t_check "staff end while locked: the session ends" s_wait_daemon_saw 'ACTIVE -> ENDING reason staff' 5
s_session_wiped "staff end while locked"

# ---- 5 wrong codes ----
s_begin || t_fail "the login hook opens the notice again" "state $(s_state)"
client_start --lang en
s_wait_screen notice 20
s_click accept
s_wait_state ACTIVE 5
s_wait_screen active 5
s_click lock
s_wait_screen lock-choose 5
s_wait_dump '^grab yes$' 3
type_code 2468
s_wait_screen lock-again 3
type_code 2468
s_wait_screen locked 5
for n in 4 3 2 1; do
    s_wait_dump '^field 0$' 2
    type_code 1357
    t_check "wrong code: $n tries left" s_wait_dump "^note Wrong code\. Tries left: $n\.\$" 5
done
type_code 1357
t_check "the 5th wrong code ends the session" s_wait_daemon_saw 'ACTIVE -> ENDING reason lock_wrong_code' 5
s_session_wiped "5 wrong codes"

# ---- the lock's own limit ----
stop_daemon
sed -i 's/step_away_max = 600;/step_away_max = 8;/' "$CONF"
start_daemon && wait_state READY 20 || t_fail "rentarkd starts with step_away_max = 8" "$(tail -5 "$T_TMP/daemon.log")"
s_begin || t_fail "the login hook opens the notice (step_away_max 8)" "state $(s_state)"
client_start --lang en
s_wait_screen notice 20
s_click accept
s_wait_state ACTIVE 5
s_wait_screen active 5
s_click lock
s_wait_screen lock-choose 5
t_check "the text names the lock's limit (8 seconds)" grep -q '^text If nobody unlocks the screen within 8 seconds,' "$S_DUMP"
s_wait_dump '^grab yes$' 3
type_code 8642
s_wait_screen lock-again 3
type_code 8642
t_check "locked for at most 8 s" s_wait_screen locked 5
c1=$(subtitle)
sleep 2.2
c2=$(subtitle)
t_check "the countdown counts every second (\"$c1\", then \"$c2\")" \
    bash -c "[[ '$c1' =~ in\ [0-9]\ seconds?$ && '$c2' =~ in\ [0-9]\ seconds?$ && '$c1' != '$c2' ]]"
t_check "the lock runs out: the session ends (lock_timeout)" s_wait_daemon_saw 'ACTIVE -> ENDING reason lock_timeout' 12
s_session_wiped "lock timeout"

# ---- the ending screen after the lock, with the protocol double (its ENDING stays) ----
s_fake_start --state ACTIVE --step-away-max 6 || t_fail "the fake agent starts"
s_fake_session_start --lang en
t_check "[fake agent] the strip" s_wait_screen active 10
s_click lock
s_wait_screen lock-choose 5
s_wait_dump '^grab yes$' 3
type_code 1234
s_wait_screen lock-again 3
type_code 1234
t_check "[fake agent] locked" s_wait_screen locked 5
t_check "[fake agent] the lock runs out: the ending screen" s_wait_screen ending 15
t_check "[fake agent] ... after the double ended it for lock_timeout" s_fake_saw 'state ENDING lock_timeout'
t_check "[fake agent] the client called at least every 2 s while locked" \
    test "$(grep -c '^status$' "$T_TMP/fake.log")" -ge 3
s_session_stop "[fake agent] lock timeout"
s_fake_stop
t_done

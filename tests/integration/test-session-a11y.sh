#!/usr/bin/env bash
# rentark-session with a screen reader's eyes and the keyboard alone, under Xvfb with a real
# AT-SPI bus (at-spi2-core, started by D-Bus activation as in a desktop session) and the real
# rentarkd:
#   - the notice, its heading, its language bar and every button are named on the AT-SPI bus;
#     the accept button is found by role and name and activated through AT-SPI;
#   - the strip (time left, end button) is there too;
#   - every other patron screen too (the helper's list and PIN, the guided notice, the end's
#     confirmation, closed, out of order, ending): named by its title, everything named, every
#     button a push button with its label;
#   - keyboard only: Tab reaches every control of the notice and comes back to the first (no
#     trap), the focus is visible, Enter accepts; the helper's path (list, PIN, guided notice)
#     and the end with its confirmation (No keeps the session, Yes ends it) by Tab and Enter;
#   - the screen reader: Ctrl+Alt+S starts it in the patron's language and stops it again, the
#     library's notice.screen_reader starts it with the notice; with Orca installed, the real
#     Orca is started and joins the accessibility bus.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require_a11y
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config
# The stand-in screen reader records how it was started (its language) and runs until it is
# stopped; the real Orca is tried at the end.
reader_log=$S_READER_LOG
s_reader_stub
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

# ---- 1. AT-SPI: what Orca reads, and accept through it ----
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
S_CLIENT_ENV="RENTARK_SCREEN_READER=$T_TMP/reader.sh" s_a11y_session_start || t_fail "the guest's D-Bus session starts"
t_check "the notice appears" s_wait_screen notice 15
title=$(awk '$1 == "title" { sub(/^title /, ""); print; exit }' "$S_DUMP")
t_check "AT-SPI: the notice is a dialog named by its title (\"$title\")" s_atspi wait 15 dialog "$title"
s_atspi tree >"$S_SHOTS/atspi-notice.txt" 2>&1
t_check "AT-SPI: the title is a heading" s_atspi find heading "$title"
t_check "AT-SPI: the language buttons are a tool bar named \"Språk\"" s_atspi find "tool bar" "Språk"
names=$(s_atspi names)
t_check "AT-SPI: every button, heading, label and window has a name ($names)" test "${names%% *}" = ok
for b in $(awk '$1 == "button" { print $2 }' "$S_DUMP"); do
    label=$(awk -v a="$b" '$1 == "button" && $2 == a { sub(/^button [^ ]+ [0-9-]+ [0-9-]+ [0-9]+ [0-9]+ [-*] /, ""); print; exit }' "$S_DUMP")
    t_check "AT-SPI: button $b is a push button named \"$label\"" s_atspi find "push button" "$label"
done
t_check "AT-SPI: the notice's text is readable (a label with the first bullet)" \
    bash -c "grep -q '^label|Alt du gjør her slettes automatisk' '$S_SHOTS/atspi-notice.txt'"
t_check "AT-SPI: the accept button found by role and name is activated" s_atspi press "Jeg forstår — start"
t_check "... and the daemon's session is ACTIVE" s_wait_state ACTIVE 5
t_check "the strip appears" s_wait_screen active 5
strip=$(awk '$1 == "title" { sub(/^title /, ""); print; exit }' "$S_DUMP")
t_check "AT-SPI: the strip is a status bar named by the time left (\"$strip\")" s_atspi wait 10 "status bar" "$strip"
t_check "AT-SPI: the strip's end button is named" s_atspi find "push button" "Avslutt og slett dataene mine"
names=$(s_atspi names)
t_check "AT-SPI: everything on the strip has a name ($names)" test "${names%% *}" = ok
s_atspi tree >"$S_SHOTS/atspi-strip.txt" 2>&1
ctl end >/dev/null
s_session_wiped "AT-SPI run"

# ---- 1b. Every other patron screen on the AT-SPI bus ----
# atspi_screen NAME SCREEN [ROLE]: the dump's screen SCREEN as Orca sees it: a ROLE (dialog)
# named by its title, everything named, each of its buttons a push button named by its label.
atspi_screen() {
    local name=$1 screen=$2 role=${3:-dialog} block title names b label
    block=$(awk -v s="$screen" '$1 == "screen" { on = ($3 == s) } on' "$S_DUMP")
    title=$(awk '$1 == "title" { sub(/^title /, ""); print; exit }' <<<"$block")
    t_check "AT-SPI, $name: a $role named by its title (\"$title\")" s_atspi wait 15 "$role" "$title"
    s_atspi tree >"$S_SHOTS/atspi-$screen.txt" 2>&1
    names=$(s_atspi names)
    t_check "AT-SPI, $name: every button, heading, label and window has a name ($names)" test "${names%% *}" = ok
    for b in $(awk '$1 == "button" { print $2 }' <<<"$block"); do
        label=$(awk -v a="$b" '$1 == "button" && $2 == a { sub(/^button [^ ]+ [0-9-]+ [0-9-]+ [0-9]+ [0-9]+ [-*] /, ""); print; exit }' <<<"$block")
        t_check "AT-SPI, $name: button $b is a push button named \"$label\"" s_atspi find "push button" "$label"
    done
}
s_begin || t_fail "the login hook opens the notice (screens)" "state $(s_state)"
s_a11y_session_start --lang en || t_fail "the guest's D-Bus session starts (screens)"
t_check "screens: the notice appears" s_wait_screen notice 15
s_click helper
t_check "screens: the helper's list" s_wait_screen pick 5
atspi_screen "helper list" pick
s_click vol:0
t_check "screens: the helper's PIN" s_wait_screen pin 5
atspi_screen "PIN" pin
t_check "AT-SPI, PIN: the PIN field is a password text" s_atspi find "password text" "PIN:"
xdotool type --delay 30 1234
s_click pin_ok
t_check "screens: the guided notice" s_wait_screen guided 5
atspi_screen "guided notice" guided
s_click consent_yes
t_check "screens: the guided session runs" s_wait_state ACTIVE 5
s_wait_screen active 5
s_click end
t_check "screens: the end's confirmation" s_wait_screen confirm 5
atspi_screen "confirmation" confirm
xdotool key Escape
t_check "screens: Esc keeps the session" s_wait_screen active 5
ctl end >/dev/null
s_session_wiped "screens run"
# The covers the protocol double holds still: closed, out of order (BLOCKED), ending.
for st in CLOSED:closed BLOCKED:ooo ENDING:ending; do
    s_fake_start --state "${st%%:*}" --opens-in 72000 || t_fail "the fake agent starts (${st%%:*})"
    s_fake_a11y_session_start --lang en
    t_check "screens: ${st%%:*} shows the ${st#*:} screen" s_wait_screen "${st#*:}" 10
    atspi_screen "${st#*:}" "${st#*:}"
    s_session_stop "${st#*:} screen"
    s_fake_stop
done

# ---- 2. Keyboard alone ----
s_begin || t_fail "the login hook opens the notice again" "state $(s_state)"
S_CLIENT_ENV="RENTARK_SCREEN_READER=$T_TMP/reader.sh" s_session_start
t_check "keyboard: the notice appears" s_wait_screen notice 15
t_check "keyboard: the first focus is on accept, and it is drawn (the dump marks it)" test "$(s_focused)" = accept
all=$(awk '$1 == "button" { print $2 }' "$S_DUMP" | sort | tr '\n' ' ')
n=$(awk '$1 == "button"' "$S_DUMP" | wc -l)
seen=accept
for _ in $(seq "$n"); do
    xdotool key Tab
    sleep 0.25
    seen="$seen $(s_focused)"
done
got=$(printf '%s\n' $seen | sort -u | tr '\n' ' ')
t_check "keyboard: Tab reaches every one of the $n controls (reached: $got)" test "$got" = "$all"
t_check "keyboard: after $n Tabs the focus is back on accept (no trap)" test "$(s_focused)" = accept
xdotool key shift+Tab
sleep 0.25
back=$(s_focused)
xdotool key Tab
sleep 0.25
t_check "keyboard: Shift+Tab goes back ($back), Tab forward again" test "$back" != accept -a "$(s_focused)" = accept
s_shot keyboard-focus
# The focus ring: a 3:1 contrast ring (#0047C2) around the focused accept button.
read -r bx by bw bh <<<"$(awk '$1 == "button" && $2 == "accept" { print $3, $4, $5, $6; exit }' "$S_DUMP")"
px=$(convert "$S_SHOTS/keyboard-focus.png" -crop "1x1+$((bx + bw / 2))+$((by - 4))" -format '%[hex:p{0,0}]' info:)
t_check "keyboard: the focus ring is drawn above the focused button (pixel $px)" test "${px:0:6}" = 0047C2

# The screen reader key, in the patron's language.
xdotool key F3
t_check "keyboard: F3 picks English" s_wait_dump '^title Welcome to the library.s public PC$' 5
xdotool key ctrl+alt+s
t_check "Ctrl+Alt+S starts the screen reader" s_wait_dump '^button screen_reader .*' 2
for _ in $(seq 30); do grep -q started "$reader_log" 2>/dev/null && break; sleep 0.1; done
t_check "... in the patron's language (LANGUAGE=en, LANG=en_GB.UTF-8 for the voice)" grep -q '^started LANGUAGE=en LANG=en_GB.UTF-8$' "$reader_log"
xdotool key ctrl+alt+s
for _ in $(seq 30); do grep -q stopped "$reader_log" 2>/dev/null && break; sleep 0.1; done
t_check "Ctrl+Alt+S again stops it" grep -q '^stopped$' "$reader_log"
t_check "the screen reader keys do not answer the notice" test "$(s_state)" = NOTICE
xdotool key Return
t_check "keyboard: Enter on accept starts the session" s_wait_state ACTIVE 5
t_check "keyboard: the strip appears" s_wait_screen active 5
# The strip's key gives its buttons the keyboard; Esc gives it back.
xdotool key ctrl+alt+r
t_check "Ctrl+Alt+R: the strip takes the keyboard, its first button (the lock) has the focus" s_wait_dump '^button lock .* \* ' 3
xdotool key Tab
t_check "... Tab reaches the end button" s_wait_dump '^button end .* \* ' 3
t_check "... with a keyboard grab" s_wait_dump '^grab yes$' 3
xdotool key Escape
t_check "Esc gives the keyboard back (no trap)" s_wait_dump '^grab no$' 3
t_check "Esc in the strip does not end the session" test "$(s_state)" = ACTIVE
ctl end >/dev/null
s_session_wiped "keyboard run"

# ---- 2b. Keyboard alone, the helper's path and the end ----
# tab_to ACTION: Tab until the button ACTION has the focus (at most 30 presses).
tab_to() {
    local i
    for i in $(seq 30); do
        [ "$(s_focused)" = "$1" ] && return 0
        xdotool key Tab
        sleep 0.2
    done
    [ "$(s_focused)" = "$1" ]
}
s_begin || t_fail "the login hook opens the notice (keyboard, helper)" "state $(s_state)"
s_session_start --lang en
t_check "keyboard, helper: the notice appears" s_wait_screen notice 15
t_check "keyboard: Tab reaches the helper button" tab_to helper
xdotool key Return
t_check "keyboard: Enter opens the helper's list" s_wait_screen pick 5
t_check "keyboard: Tab reaches the first helper" tab_to vol:0
xdotool key Return
t_check "keyboard: Enter asks for the helper's PIN, the field has the focus" s_wait_screen pin 5
xdotool type --delay 30 1234
t_check "keyboard: the PIN is typed into the field" s_wait_dump '^field 4$' 3
xdotool key Return
t_check "keyboard: Enter sends it: the guided notice" s_wait_screen guided 5
t_check "keyboard: the guided notice's first focus is Yes" test "$(s_focused)" = consent_yes
xdotool key Return
t_check "keyboard: Enter starts the guided session" s_wait_state ACTIVE 5
s_wait_screen active 5
xdotool key ctrl+alt+r
s_wait_dump '^button lock .* \* ' 3
t_check "keyboard: Tab reaches the strip's end button" tab_to end
xdotool key Return
t_check "keyboard: Enter asks for confirmation" s_wait_screen confirm 5
t_check "keyboard: the safe answer (continue) has the focus" test "$(s_focused)" = confirm_no
xdotool key Return
t_check "keyboard: Enter on it keeps the session" s_wait_screen active 5
t_check "... ACTIVE" test "$(s_state)" = ACTIVE
xdotool key ctrl+alt+r
s_wait_dump '^button lock .* \* ' 3
tab_to end
xdotool key Return
s_wait_screen confirm 5
t_check "keyboard: Tab reaches \"Yes, end and erase\"" tab_to confirm_yes
xdotool key Return
t_check "keyboard: Enter on it ends the session (the patron's confirmed choice)" s_wait_daemon_saw 'ACTIVE -> ENDING reason button' 5
s_session_wiped "keyboard, helper"

# ---- 3. notice.screen_reader: the library turns it on for every patron ----
sed -i 's/^notice = {/notice = { screen_reader = true;/' "$CONF"
grep -q 'screen_reader = true' "$CONF" || printf 'notice = { screen_reader = true; };\n' >>"$CONF"
kill -HUP "$DPID"
sleep 0.5
: >"$reader_log"
s_begin || t_fail "the login hook opens the notice (screen reader on)" "state $(s_state)"
S_CLIENT_ENV="RENTARK_SCREEN_READER=$T_TMP/reader.sh" s_session_start
t_check "notice.screen_reader: the notice appears" s_wait_screen notice 15
for _ in $(seq 50); do grep -q started "$reader_log" 2>/dev/null && break; sleep 0.1; done
t_check "notice.screen_reader: the screen reader starts with the notice (LANGUAGE=nb)" grep -q '^started LANGUAGE=nb LANG=nb_NO.UTF-8$' "$reader_log"
ctl end >/dev/null
s_session_wiped "screen reader run"

# ---- 4. the real Orca reads the notice ----
# Speech is off (no sound card on a test machine); Orca still composes every utterance and
# writes it to its debug log ("SPEECH OUTPUT: ..."), which is what the patron would hear.
if command -v orca >/dev/null; then
    sed -i 's/screen_reader = true;//' "$CONF"
    kill -HUP "$DPID"
    sleep 0.5
    orca_log=$S_DUMP_DIR/orca.debug
    s_begin || t_fail "the login hook opens the notice (Orca)" "state $(s_state)"
    printf '#!/bin/sh\nexec orca --replace --disable speech --disable braille --debug-file=%s\n' "$orca_log" >"$T_TMP/orca.sh"
    chmod 0755 "$T_TMP/orca.sh"
    S_CLIENT_ENV="RENTARK_SCREEN_READER=$T_TMP/orca.sh" s_a11y_session_start
    t_check "Orca: the notice appears" s_wait_screen notice 15
    xdotool key ctrl+alt+s
    # Orca writes its debug log through a buffer that it flushes when it stops: the patron's
    # key stops it again (SIGTERM, a clean exit) before the log is read.
    started=1
    for _ in $(seq 100); do pgrep -u "$GUEST" -f "orca --replace" >/dev/null && { started=0; break; }; sleep 0.2; done
    t_check "Orca: Ctrl+Alt+S starts the real Orca, as the guest" test $started -eq 0
    # Orca needs a while to connect to the session's applications (seconds, more on a loaded
    # machine with a sanitizer build of the client answering it over D-Bus).
    sleep 12
    xdotool key Tab
    sleep 4
    xdotool key ctrl+alt+s
    for _ in $(seq 100); do pgrep -u "$GUEST" -f "orca --replace" >/dev/null || break; sleep 0.2; done
    t_expect_fail "Orca: Ctrl+Alt+S again stops it" pgrep -u "$GUEST" -f "orca --replace"
    said() { grep -F "SPEECH OUTPUT: '$1" "$orca_log" 2>/dev/null | head -1; }
    t_check "Orca says the notice's title as a dialog" test -n "$(said "Velkommen til bibliotekets offentlige PC dialog")"
    t_check "Orca reads the notice's text" test -n "$(said "Dette er en felles maskin")"
    t_check "Orca says the focused button: \"Jeg forstår — start push button\"" test -n "$(said "Jeg forstår — start push button")"
    t_check "Orca follows Tab: \"Jeg har med en veileder push button\"" test -n "$(said "Jeg har med en veileder push button")"
    cp "$orca_log" "$S_SHOTS/orca-notice.debug" 2>/dev/null
    ctl end >/dev/null
    s_session_wiped "Orca run"
else
    t_skip "the real Orca" "orca is not installed"
fi
t_done

#!/usr/bin/env bash
# Guided sessions, against the real rentarkd with three volunteers in its config (PIN hashes
# from `rentarkctl hash-pin`, see s_config): the helper picks their name and types a PIN
# (masked); the daemon's refusals
# (no declaration, training missing, wrong PIN) are shown with their reason and count as
# tries, three tries lead back to the notice; with a valid PIN the guided notice names the
# helper, and only after the patron's consent on screen does the session start
# (consent before accept: the daemon refuses accept without it).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
s_session_start --lang en
s_wait_screen notice 10

s_click helper
t_check "the helper button shows the picker" s_wait_screen pick 5
t_check "the picker lists the volunteers by name" grep -q '^button vol:0 .* Kari Nordmann$' "$S_DUMP"
s_shot guided-pick

# Ola has no declaration of confidentiality: refused with the reason, back to the picker.
s_click vol:1
s_wait_screen pin 5
t_check "the PIN screen greets the helper by name" grep -q '^title Hello, Ola Hansen$' "$S_DUMP"
xdotool type --delay 30 1234
t_check "the PIN is masked: the dump shows only its length" s_wait_dump '^field 4$' 3
s_shot guided-pin
t_expect_fail "the PIN itself is in no dump" grep -q 1234 "$S_DUMP"
xdotool key Return
t_check "no declaration: back to the picker with the reason" s_wait_dump '^note This helper has no valid declaration of confidentiality on file, so a guided session cannot start\.$' 5
s_shot guided-refused-declaration
t_check "no declaration: the session stays NOTICE, not guided" bash -c "'$RKCTL' -s '$SOCK' status | grep -qE '^state +NOTICE' && '$RKCTL' -s '$SOCK' status | grep -qE '^guided +0'"

# Per has not completed the training.
s_click vol:2
s_wait_screen pin 5
xdotool type --delay 30 1234
s_click pin_ok
t_check "training missing: refused with the reason, in the patron's language only (no English detail of the daemon's)" \
    s_wait_dump '^note This helper has not completed the privacy training that guided sessions require\.$' 5

# Third try, a wrong PIN: too many tries, back to the notice.
s_click vol:0
s_wait_screen pin 5
xdotool type --delay 30 9999
s_click pin_ok
t_check "three refusals: back to the notice with a message" s_wait_dump '^note Too many tries\. Please ask the staff for help\.$' 5
t_check "... on the notice screen" s_wait_screen notice 2
s_shot guided-too-many

# A wrong PIN, then the right one.
s_click helper
s_wait_screen pick 5
s_click vol:0
s_wait_screen pin 5
xdotool type --delay 30 4321
xdotool key Return
t_check "a wrong PIN: stays on the PIN screen, tries left shown" s_wait_dump '^note The PIN is not right\. Tries left: 2\.$' 5
t_check "the field is empty again after a try" grep -q '^field 0$' "$S_DUMP"
xdotool type --delay 30 12345
xdotool key BackSpace
xdotool key Return
t_check "the valid PIN: the guided notice" s_wait_screen guided 5
t_check "the guided notice names the helper" grep -q '^subtitle Your helper today: Kari Nordmann$' "$S_DUMP"
t_check "the guided notice states the duty of confidentiality" grep -q 'duty of confidentiality' "$S_DUMP"
t_check "the guided notice says the patron does the clicking" grep -q 'You do everything yourself' "$S_DUMP"
t_check "the patron is asked on screen for consent" grep -q '^note May Kari Nordmann look at the screen together with you?$' "$S_DUMP"
s_shot guided-consent
t_check "the daemon accepted the helper: NOTICE, guided, helper named" bash -c "'$RKCTL' -s '$SOCK' status >'$T_TMP/st' && grep -qE '^state +NOTICE' '$T_TMP/st' && grep -qE '^guided +1' '$T_TMP/st' && grep -q 'Kari Nordmann' '$T_TMP/st'"
t_check "the daemon counted the wrong PINs (2 of its 5 per session)" s_daemon_saw 'wrong volunteer or PIN \(2 of 5 tries\)'

s_click consent_yes
t_check "consent given: the session is ACTIVE (the daemon took consent before accept)" s_wait_state ACTIVE 5
t_check "the daemon reports a guided session" bash -c "'$RKCTL' -s '$SOCK' status | grep -qE '^guided +1'"
t_expect_fail "no PIN in the client's log" grep -qwE '1234|4321|9999|12345' "$T_TMP/session.err"
t_expect_fail "no PIN in the daemon's log" grep -qwE '1234|4321|9999|12345' "$T_TMP/daemon.log"
s_session_stop "guided"
plant
ctl end >/dev/null
s_session_wiped "staff end of the guided session"
t_done

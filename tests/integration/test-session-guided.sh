#!/usr/bin/env bash
# Guided sessions: the helper picks their name and types a PIN (masked); the agent's refusals
# (no declaration, training missing, wrong PIN) are shown with their reason and count as
# tries, three tries lead back to the notice; with a valid PIN the guided notice names the
# helper, and only after the patron's consent on screen does the session start
# (consent before accept).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config
s_agent_start || { t_fail "agent starts"; t_done; exit 1; }
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
t_check "no declaration: back to the picker with the reason" s_wait_dump '^note This helper has no valid declaration of confidentiality on file.*\(no confidentiality declaration on file\)$' 5
s_shot guided-refused-declaration
t_check "no declaration: the session stays NOTICE, not guided" test "$(s_state)" = NOTICE

# Per has not completed the training.
s_click vol:2
s_wait_screen pin 5
xdotool type --delay 30 1234
s_click pin_ok
t_check "training missing: refused with the reason" s_wait_dump '^note This helper has not completed the privacy training' 5

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
t_check "not active before the patron consents" test "$(s_state)" = NOTICE

s_click consent_yes
t_check "consent given: the session is ACTIVE" s_wait_state ACTIVE 5
t_check "the agent reports a guided session" s_call status | grep -q 'guided=1'
if s_is_fake; then
    t_check "the agent saw consent before accept" \
        bash -c "grep -nE '^(consent|accept)$' '$T_TMP/agent.log' | tr '\n' ' ' | grep -qE '^[0-9]+:consent [0-9]+:accept'"
    t_expect_fail "no PIN in the agent's request log (the fake masks it, the client sent it once)" grep -q '1234\|4321' "$T_TMP/agent.log"
fi
t_expect_fail "no PIN in the client's log" grep -q '1234\|4321\|9999' "$T_TMP/session.err"
s_session_stop "guided"
t_done

#!/usr/bin/env bash
# The library's hours on the patron's screens (rentark-session against the protocol double,
# which holds each state still; the daemon's side is tested in test-daemon-hours):
#   - CLOSED: a closed screen covers every monitor and holds the keyboard, and says when the
#     library opens again (today, tomorrow, or on a date);
#   - the notice says, before the patron accepts, when the library closes and how long the
#     session can last ("The library closes at 16:00: you have 40 minutes");
#   - during the session, the closing warning is in the strip (⚠, a notification for screen
#     readers), in the patron's language;
#   - every text fits and reaches 4.5:1, and fits at 200 % text. Screenshots are kept.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config
fits() {
    local bad
    bad=$(s_layout_bad)
    t_check "$1: every text fits and has its glyphs${bad:+ ($bad)}" test -z "$bad"
}

# Closed until tomorrow (in 20 h: tomorrow for any time of day... unless it is before 04:00;
# then it is "today"): the client says which.
# One instant for the double and the expected text: a minute that turns while the screen comes
# up must not make them differ (a clean-clone run once expected 11:58 and was shown 11:57).
opens=$(($(date +%s) + 72000))
s_fake_start --state CLOSED --opens-at "$opens" || { t_fail "the fake agent starts" "$(cat "$T_TMP/fake.out")"; t_done; exit 1; }
s_fake_session_start --lang en
t_check "CLOSED: the closed screen" s_wait_screen closed 10
t_check "CLOSED: keyboard and pointer are grabbed (nothing behind it can be used)" s_wait_dump '^grab yes$' 5
when=tomorrow
[ "$(date -d "@$opens" +%F)" = "$(date +%F)" ] && when=today
at=$(date -d "@$opens" +%H:%M)
t_check "CLOSED: it says when the library opens again ($when at $at)" \
    grep -q "^text The library opens again $when at $at\.$" "$S_DUMP"
sleep 0.3
fits "closed"
s_check_contrast closed
s_session_stop "closed screen"
s_fake_stop

# In three days: a date.
opens=$(($(date +%s) + 3 * 86400))
s_fake_start --state CLOSED --opens-at "$opens" || t_fail "the fake agent starts again"
s_fake_session_start --lang nb
t_check "CLOSED for days: the date (bokmål)" \
    s_wait_dump "^text Biblioteket åpner igjen $(date -d "@$opens" +%d.%m.%Y) kl\. $(date -d "@$opens" +%H:%M)\.$" 10
s_shot closed-nb
s_session_stop "closed screen, bokmål"
s_fake_stop

# Open, closing in 40 minutes, a time limit of 2 hours: the notice says 40 minutes.
s_fake_start --closes-in 2400 --closing-warn 900 || t_fail "the fake agent starts (open)"
# The fake agent makes no home; the accessibility bus of the guest's D-Bus session needs one.
install -d -m 0700 -o "$GUID" -g "$GGID" "$HOME_DIR"
s_fake_a11y_session_start --lang en
t_check "the notice appears" s_wait_screen notice 10
closes=$(date -d "@$(s_fake_call status | tr ' ' '\n' | sed -n 's/^closes_at=//p')" +%H:%M)
t_check "the notice says when the library closes ($closes) and how long the session lasts" \
    grep -qE "^subtitle The library closes at $closes: you have (40|39) minutes\.$" "$S_DUMP"
sleep 0.3
fits "notice with the closing time"
s_check_contrast notice-closing
s_click accept
t_check "accepted: the strip shows the closing warning" s_wait_dump "^note The library closes at $closes\. Save what you want to keep now" 10
t_check "... as a warning" s_wait_screen active 3
note=$(awk '$1 == "note" { sub(/^note /, ""); print "⚠ " $0; exit }' "$S_DUMP")
t_check "AT-SPI: the closing warning is a notification, for screen readers to speak" s_atspi wait 10 notification "$note"
sleep 0.3
fits "strip with the closing warning"
s_check_contrast strip-closing
xdotool key ctrl+alt+r
sleep 0.3
xdotool key Escape
s_session_stop "closing warning"
s_fake_stop

# The same in bokmål at 200 %: nothing clipped.
s_fake_start --closes-in 2400 || t_fail "the fake agent starts (200 %)"
s_fake_session_start --lang nb
t_check "200 %: the notice appears" s_wait_screen notice 10
xdotool key ctrl+plus
t_check "200 %: larger text" s_wait_dump '^scale 2$' 5
sleep 0.5
t_check "200 %: the closing line is there, in bokmål" grep -q '^subtitle Biblioteket stenger kl\. ' "$S_DUMP"
fits "notice with the closing time at 200 %"
s_shot notice-closing-nb-200
s_session_stop "200 %"
s_fake_stop
t_done

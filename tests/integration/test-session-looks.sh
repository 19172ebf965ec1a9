#!/usr/bin/env bash
# What every patron sees, measured from screenshots, against the real rentarkd under Xvfb:
#   - the notice in each of the eight shipped languages (nb nn en se uk ar pl so), picked with
#     one key each (F1..F8): a screenshot per language is kept (build/.../screens/notice-LANG.png),
#     every character has a glyph (Pango found a font for it: no boxes), Arabic is laid out
#     right to left;
#   - "larger text" (Ctrl+plus or its button) scales every screen to 200 %: no text is clipped
#     in any language, on any screen, and no two buttons overlap;
#   - the contrast of every text with its background, computed from the screenshot's pixels,
#     is at least 4.5:1 on every screen: notice, helper list, PIN with an error, guided notice,
#     strip, strip with the time warning, confirmation, idle countdown, out of order, ending.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
/usr/bin/python3 -c 'import PIL' 2>/dev/null || { t_skip "all tests in $(basename "$0")" "python3-pil is not installed"; t_done; exit 0; }
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
langs="nb nn en se uk ar pl so"
s_config languages='"nb", "nn", "en", "se", "uk", "ar", "pl", "so"' time_limit=400 warnings="390, 60" \
    idle_timeout=60 idle_warning=40 interval=2
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
s_session_start
t_check "the notice appears" s_wait_screen notice 15

MIN_FILE=$T_TMP/contrast.min
: >"$MIN_FILE"
# contrast NAME: the screen's lowest text contrast is at least 4.5:1.
contrast() {
    local m
    m=$(s_contrast "$1")
    local rc=$?
    echo "$m $1" >>"$MIN_FILE"
    t_check "contrast, $1: every text at least 4.5:1 (lowest ${m:-none}; $S_SHOTS/$1.contrast)" test $rc -eq 0
}
# fits DESC: no clipped text, no missing glyph, no overlapping buttons on screen.
fits() {
    local bad
    bad=$(s_layout_bad)
    t_check "$1: every text fits and has its glyphs${bad:+ (bad: $(echo "$bad" | head -3 | tr '\n' ';'))}" test -z "$bad"
    # The buttons' labels on screen (not scrolled away), within each window.
    bad=$(awk '$1 == "screen" { scr = $2 }
        $1 == "layout" && $2 == "button" && $9 == "shown" { n++; x[n]=$3; y[n]=$4; w[n]=$5; h[n]=$6; a[n]=$10; s[n]=scr }
        END { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
              if (s[i] == s[j] && x[i] < x[j] + w[j] && x[j] < x[i] + w[i] && y[i] < y[j] + h[j] && y[j] < y[i] + h[i]) print a[i], a[j] }' "$S_DUMP")
    t_check "$1: no two buttons overlap${bad:+ ($bad)}" test -z "$bad"
}
title_of() { head -1 "$RK_SRC/config/notice/$1/notice.txt" | sed 's/[[:space:]]*$//'; }

# ---- the eight languages, one key each ----
s_wait_dump '^grab yes$' 5
i=0
for l in $langs; do
    i=$((i + 1))
    sleep 0.3
    xdotool key "F$i"
    t_check "$l: F$i shows the notice in $l" s_wait_dump "^title $(title_of "$l" | sed 's/[][\.*^$]/\\&/g')\$" 5
    sleep 0.3
    s_shot "notice-$l"
    fits "$l"
    want=ltr
    [ "$l" = ar ] && want=rtl
    t_check "$l: laid out $want" grep -q "^direction $want\$" "$S_DUMP"
done
# Right to left is seen on the screen too: Arabic's accept button is right of its log-out button.
xdotool key F6
s_wait_dump '^direction rtl$' 3
s_wait_dump "^title $(title_of ar)\$" 3
sleep 0.5
ax=$(awk '$1 == "button" && $2 == "accept" { print $3 }' "$S_DUMP")
lx=$(awk '$1 == "button" && $2 == "logout" { print $3 }' "$S_DUMP")
t_check "ar: the buttons run right to left (accept at x=$ax, log out at x=$lx)" test "$ax" -gt "$lx"
contrast notice-ar
xdotool key F1
s_wait_dump '^direction ltr$' 3
sleep 0.3
contrast notice-nb
# Not by colour alone: the current language carries a check mark; the others do not.
t_check "the current language is marked with a sign (✓), not its colour alone" \
    grep -qE '^drawn button lang:nb ✓ F1.Norsk bokmål$' "$S_DUMP"
t_check "... and only the current one" test "$(grep -c '^drawn button lang:[a-z]* ✓ ' "$S_DUMP")" = 1

# ---- 200 % ----
xdotool key ctrl+plus
t_check "Ctrl+plus: larger text (200 %)" s_wait_dump '^scale 2$' 5
i=0
for l in $langs; do
    i=$((i + 1))
    xdotool key "F$i"
    s_wait_dump "^title $(title_of "$l" | sed 's/[][\.*^$]/\\&/g')\$" 5
    sleep 0.3
    fits "$l at 200 %"
    case $l in nb|ar|se) s_shot "notice-$l-200" ;; esac
done
xdotool key F1
s_wait_dump '^title Velkommen' 3
sleep 0.3
contrast notice-nb-200
xdotool key ctrl+plus
t_check "Ctrl+plus again: normal text" s_wait_dump '^scale 1$' 5
sleep 0.3
t_check "the button says \"Larger text\"" grep -q '^button text_size .* Større tekst$' "$S_DUMP"
s_click text_size
t_check "the button turns larger text on (200 %)" s_wait_dump '^scale 2$' 5
sleep 0.3
t_check "... and then says \"Normal text size\"" grep -q '^button text_size .* Vanlig tekststørrelse$' "$S_DUMP"

# ---- the helper's screens at 200 % ----
s_click helper
t_check "the helper list appears" s_wait_screen pick 5
sleep 0.3
fits "helper list at 200 %"
contrast pick-200
s_click vol:0
s_wait_screen pin 5
xdotool type 9999
xdotool key Return
t_check "a wrong PIN: the error is shown" s_wait_dump '^note .*[0-9]' 5
t_check "... with a sign (⚠), not its colour alone" s_wait_dump '^drawn note ⚠ ' 3
sleep 0.3
fits "PIN with an error at 200 %"
contrast pin-error-200
xdotool type 1234
xdotool key Return
t_check "the guided notice appears" s_wait_screen guided 5
sleep 0.3
fits "guided notice at 200 %"
contrast guided-200
s_click consent_yes
t_check "the session starts" s_wait_state ACTIVE 5

# ---- the running session (200 %, then normal text) ----
t_check "the strip appears" s_wait_screen active 5
sleep 0.3
fits "strip at 200 %"
contrast strip-200
# The warning 390 s before the end is due 10 s after the start.
for _ in $(seq 40); do xdotool mousemove_relative 1 0; grep -q '^button extend ' "$S_DUMP" && break; sleep 0.5; done
t_check "the time warning appears in the strip, with more time" grep -q '^button extend ' "$S_DUMP"
t_check "... with a sign (⚠), not its colour alone" s_wait_dump '^drawn note ⚠ ' 3
sleep 0.3
fits "strip with the warning at 200 %"
contrast strip-warning-200
s_click end
t_check "the confirmation appears" s_wait_screen confirm 5
sleep 0.3
fits "confirmation at 200 %"
contrast confirm-200
s_click confirm_no
s_wait_dump '^grab no$' 3
t_check "the idle countdown appears after 20 s without input" s_wait_screen idle 30
sleep 0.3
fits "idle countdown at 200 %"
contrast idle-200
xdotool mousemove 600 400
ctl end >/dev/null
s_session_wiped "session"

# ---- out of order, normal text ----
s_begin || t_fail "the login hook opens the notice again" "state $(s_state)"
s_daemon_kill
s_session_start
t_check "daemon gone: out of order" s_wait_screen ooo 15
sleep 0.3
fits "out of order"
contrast ooo
xdotool key ctrl+plus
t_check "out of order: larger text (200 %)" s_wait_dump '^scale 2$' 5
sleep 0.3
fits "out of order at 200 %"
contrast ooo-200
s_session_stop "out of order"

# ---- ending (the protocol double holds it still) ----
s_fake_start --state ENDING || t_fail "the fake agent starts"
s_fake_session_start
t_check "the ending screen" s_wait_screen ending 10
sleep 0.3
fits "ending"
contrast ending
xdotool key ctrl+plus
t_check "ending: larger text (200 %)" s_wait_dump '^scale 2$' 5
sleep 0.3
fits "ending at 200 %"
contrast ending-200
s_session_stop "ending"
s_fake_stop

lowest=$(sort -n "$MIN_FILE" | head -1)
t_diag "lowest contrast of any text on any screen: $lowest"
cp "$MIN_FILE" "$S_SHOTS/contrast-min.txt"
t_check "every screen was measured ($(wc -l <"$MIN_FILE") screens)" test "$(wc -l <"$MIN_FILE")" -ge 13
t_done

#!/usr/bin/env bash
# rentark-session under Xvfb: the notice covers the screen and holds the keyboard and pointer,
# keys typed meanwhile reach no other client, the language buttons change the text, the
# keyboard works (Tab, Enter), and "I understand — start" makes the daemon's session ACTIVE
# and brings up the strip. Against the real rentarkd: the client runs as the guest, the seat is
# opened by the display manager's hook, and a session ended by staff is wiped.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_xprobe || { t_fail "the X probe client builds"; t_done; exit 1; }
s_config
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }

# Another client is already on the screen, with the keyboard focus, when the session starts.
"$T_TMP/xprobe" probe "$T_TMP/probe.count" >"$T_TMP/probe.out" &
t_cleanup "kill $!"
for _ in $(seq 30); do grep -q mapped "$T_TMP/probe.out" && break; sleep 0.1; done

s_session_start
t_check "the notice appears" s_wait_screen notice 10
t_check "keyboard and pointer are grabbed" s_wait_dump '^grab yes$' 5
t_check "the notice is in bokmål by default" grep -q '^title Velkommen til bibliotekets offentlige PC$' "$S_DUMP"
t_check "the line of trust says when the PC was cleaned" grep -qE '^note ✓ .* ble slettet kl\. [0-9]{2}:[0-9]{2}\.' "$S_DUMP"
s_shot notice-nb

# The screenshot is not blank and the accept button is drawn where the dump says it is: its
# centre is the button's green (#0B6B24).
png=$S_SHOTS/notice-nb.png
n=$(s_colors "$png")
t_check "the screenshot is not blank ($n colours)" test "$n" -gt 10
read -r bx by <<<"$(s_button accept)"
px=$(convert "$png" -crop "1x1+$((bx - 60))+$((by - 12))" -format '%[hex:p{0,0}]' info: 2>/dev/null)
t_check "the accept button is drawn (pixel $px near its centre is green)" test "${px:0:6}" = 0B6B24
t_check "the accept button has the focus first" test "$(s_focused)" = accept
t_check "guided sessions on (the default): the notice offers \"A helper is with me\"" grep -q '^button helper ' "$S_DUMP"
t_check "the three shipped languages: nb, nn, en" \
    test "$(awk '$1 == "button" && $2 ~ /^lang:/ { printf "%s ", $2 }' "$S_DUMP")" = "lang:nb lang:nn lang:en "

# Keys typed while the notice is up go to the notice, not to the client that had the focus.
before=$(cat "$T_TMP/probe.count")
xdotool type --delay 20 "secret"
xdotool click 1
sleep 0.5
after=$(cat "$T_TMP/probe.count")
t_check "keys and clicks on the notice reach no other client (probe counted $before, then $after)" test "$before" = "$after"
t_check "typing on the notice does not answer it" test "$(s_state)" = NOTICE

# Enter presses the focused button (accept); then the grab is gone and the probe gets keys
# again (which shows that the probe would have seen them before).
xdotool key Return
t_check "Enter on the focused accept button: the daemon's session is ACTIVE" s_wait_state ACTIVE 5
t_check "the grab is released" s_wait_dump '^grab no$' 3
xdotool mousemove 300 300 click 1
xdotool type --delay 20 "abc"
sleep 0.5
t_check "after the notice, input reaches the other client again (probe: $(cat "$T_TMP/probe.count"))" test "$(cat "$T_TMP/probe.count")" -gt "$after"
s_session_stop "first run"
t_check "first run: the session is still ACTIVE after the client exits" test "$(s_state)" = ACTIVE
# Staff end the session (the client is gone): the real wipe.
plant
ctl end >/dev/null
t_check "staff end: the daemon logs it" s_wait_daemon_saw 'ACTIVE -> ENDING reason staff' 5
s_session_wiped "staff end"

# Second run, language switch and keyboard focus.
s_begin || t_fail "the login hook opens the notice again" "state $(s_state)"
s_session_start
s_wait_screen notice 10
s_click lang:en
t_check "English: the text changes" s_wait_dump '^title Welcome to the library.s public PC$' 5
t_check "English: the buttons change" s_wait_dump '^button accept .* I understand — start$' 2
s_shot notice-en
s_click lang:nn
t_check "Nynorsk: the text changes" s_wait_dump '^title Velkomen til den offentlege PC-en på biblioteket$' 5
s_shot notice-nn
t_expect_fail "the screenshots of two languages differ" cmp -s "$S_SHOTS/notice-en.png" "$S_SHOTS/notice-nn.png"
t_check "the language button keeps the focus after a switch" test "$(s_focused)" = lang:nn

xdotool key Tab
sleep 0.3
f1=$(s_focused)
xdotool key Tab
sleep 0.3
f2=$(s_focused)
xdotool key shift+Tab
sleep 0.3
f3=$(s_focused)
t_check "Tab and Shift-Tab move the focus ring ($f1 -> $f2 -> $f3)" test "$f1" != "$f2" -a "$f3" = "$f1"
xdotool key Escape
sleep 0.3
t_check "Esc on the notice does not answer it" test "$(s_state)" = NOTICE
s_click lang:en
s_wait_dump '^title Welcome' 3
t_check "the long English text scrolls (it does not fit at 1280x800)" grep -qE '^scroll 0 [1-9]' "$S_DUMP"
xdotool key Next
t_check "Page Down scrolls the text" s_wait_dump '^scroll [1-9][0-9]* ' 3
xdotool key Prior
t_check "Page Up scrolls back up" s_wait_dump '^scroll 0 ' 3
s_click lang:nn
s_wait_dump '^title Velkomen' 3

s_click accept
t_check "a click on accept: the daemon's session is ACTIVE" s_wait_state ACTIVE 5
t_check "the strip with the time left appears" s_wait_screen active 5
t_check "the strip is in the chosen language (nynorsk)" grep -q '^title Tid att: ' "$S_DUMP"
t_check "the cover is gone and the grab released" s_wait_dump '^grab no$' 3
t_check "the notice is no longer shown" s_no_screen notice
s_shot strip-nn
t_check "the daemon made the session ACTIVE once per run" test "$(grep -c 'NOTICE -> ACTIVE' "$T_TMP/daemon.log")" -eq 2
s_session_stop "second run"
ctl hook session-cleanup "$GUEST" >/dev/null
t_check "logout hook: the daemon logs it" s_wait_daemon_saw 'ACTIVE -> ENDING reason logout' 5
s_session_wiped "logout"

# Third run, as installed: the daemon's config is root-only (0600, it holds the volunteers'
# PIN hashes), so the guest's client cannot read it and has only the documented defaults
# (guided sessions on; nb, nn, en; /etc/rentark/notice). The daemon's status reply carries
# what counts: guided sessions off, the languages English and bokmål in that order, and a
# notice text dir of its own whose texts carry a marker.
alt=$FS/notice-alt
mkdir -p "$alt"
cp -r "$FS/notice/." "$alt/"
for l in en nb; do
    { head -n1 "$FS/notice/$l/notice.txt"; echo; echo "Marker $l: the texts of rentarkd's notice.text_dir."
      tail -n +2 "$FS/notice/$l/notice.txt"; } >"$alt/$l/notice.txt"
done
chmod -R u=rwX,go=rX "$alt"
private=$T_TMP/rentark-private.conf
sed -e "s|text_dir = \"$FS/notice\"|text_dir = \"$alt\"|" -e 's|languages = \[ [^]]* \]|languages = [ "en", "nb" ]|' \
    -e 's|^guided = { |guided = { enabled = false; |' "$CONF" >"$private"
chmod 0600 "$private"
t_check "the root-only config is valid and sets the three keys" bash -c "'$RKD' --check-config -c '$private' >/dev/null &&
    grep -q 'text_dir = \"$alt\"' '$private' && grep -q 'languages = \\[ \"en\", \"nb\" \\]' '$private' &&
    grep -q 'enabled = false' '$private'"
t_expect_fail "the guest cannot read it" as_guest test -r "$private"
stop_daemon
start_daemon "$private" && wait_state READY 20 || t_fail "rentarkd restarts with the root-only config" "$(tail -5 "$T_TMP/daemon.log")"
t_check "the daemon's status carries the languages and the notice text dir" \
    bash -c "'$RKCTL' -s '$SOCK' status | grep -qx 'languages *en,nb' && '$RKCTL' -s '$SOCK' status | grep -qx 'notice_dir *$alt'"
s_begin || t_fail "the login hook opens the notice (third run)" "state $(s_state)"
S_CONF=$private
s_session_start
t_check "root-only config: the notice appears" s_wait_screen notice 10
t_check "root-only config, guided.enabled = false: no \"A helper is with me\"" bash -c "! grep -q '^button helper ' '$S_DUMP'"
t_check "root-only config, languages [en, nb]: the notice is in English first" \
    grep -q '^title Welcome to the library.s public PC$' "$S_DUMP"
t_check "root-only config, languages [en, nb]: only those two language buttons, in that order" \
    test "$(awk '$1 == "button" && $2 ~ /^lang:/ { printf "%s ", $2 }' "$S_DUMP")" = "lang:en lang:nb "
t_check "root-only config: the notice text comes from the daemon's notice.text_dir (marker)" \
    grep -qx "text Marker en: the texts of rentarkd's notice.text_dir." "$S_DUMP"
s_click lang:nb
t_check "root-only config: bokmål also from the daemon's notice.text_dir" \
    s_wait_dump "^text Marker nb: the texts of rentarkd's notice.text_dir.\$" 5
s_shot notice-daemon-config
s_session_stop "root-only config"

# The daemon's text dir is one the guest cannot read: the client falls back to its own
# notice.text_dir (s_public_conf: the shipped texts), still in the daemon's languages, and
# logs a warning that names the folder, not the patron.
chmod 0700 "$alt"
s_public_conf
s_session_start
t_check "unreadable daemon text dir: the notice appears" s_wait_screen notice 10
t_check "unreadable daemon text dir: the client's own texts (no marker), in English first" \
    bash -c "grep -q '^title Welcome to the library.s public PC\$' '$S_DUMP' && ! grep -q '^text Marker' '$S_DUMP'"
t_check "unreadable daemon text dir: still the daemon's languages" \
    test "$(awk '$1 == "button" && $2 ~ /^lang:/ { printf "%s ", $2 }' "$S_DUMP")" = "lang:en lang:nb "
t_check "unreadable daemon text dir: the client logs a warning" \
    grep -q "notice texts in rentarkd's notice.text_dir cannot be read by this client" "$T_TMP/session.err"
s_session_stop "unreadable daemon text dir"
ctl hook session-cleanup "$GUEST" >/dev/null
s_session_wiped "root-only config"
t_done

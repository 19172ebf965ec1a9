#!/usr/bin/env bash
# The PC's name (seat.name, issue 16): set to a name with non-ASCII characters, it is in
# `rentarkctl status` and its JSON, the label of every metric, and a small line on the notice
# (in the patron's language, also at 200 % text), in the strip, on the out-of-order screen (the
# daemon killed: a client started afresh reads the name from the file; the daemon up without a
# session: the daemon's name, with a client that cannot read the file) and on the ending screen
# (held still by the protocol double), and on the closed, blocked and lock screens (the double
# again). Every line fits, has its glyphs and has a contrast of at least 4.5:1. Screenshots:
# seat-notice, seat-strip, seat-ooo, seat-ending, seat-closed, seat-blocked, seat-locked.
# Against the real rentarkd, but for the states the double holds.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
SEAT="PC 3 – 2. etasje"
s_config
printf 'seat = { name = "%s"; };\n' "$SEAT" >>"$CONF"
t_check "the config with seat.name is valid" "$RKD" --check-config -c "$CONF"
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

# ---- the daemon: status, JSON, metrics ----
got=$(ctl status | sed -n 's/^seat_name  *//p')
t_check "rentarkctl status shows the name (\"$got\")" test "$got" = "$SEAT"
got=$(ctl --json status | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["seat_name"])' 2>&1)
t_check "rentarkctl --json status: valid JSON with the name in UTF-8 (\"$got\")" test "$got" = "$SEAT"
PROM=$FS/state/rentark.prom
t_check "the metrics file was written by the first start's wipe" test -s "$PROM"
unlabelled=$(grep -v '^#' "$PROM" | grep -cvF "{seat=\"$SEAT\"")
t_check "every metric carries the label seat=\"$SEAT\" ($unlabelled without)" test "$unlabelled" -eq 0
t_check "... e.g. the verified wipes" grep -qE "^rentark_wipes_total\{seat=\"$SEAT\",result=\"verified\"\} [1-9]" "$PROM"

# seat_line: the text of the dump's seat line (one per screen; the first).
seat_line() { sed -n 's/^seat //p' "$S_DUMP" | head -1; }
# seat_fits DESC: the seat line is laid out whole, every character with a glyph, on screen.
seat_fits() {
    local l
    l=$(awk '$1 == "layout" && $2 == "seat"' "$S_DUMP" | head -1)
    t_check "$1: the name's line fits and has its glyphs ($l)" \
        test -n "$l" -a "$(echo "$l" | awk '{ print $7, $8, $9 }')" = "fits 0 shown"
}
# seat_contrast NAME: screenshot NAME and the contrast of the seat line in it.
seat_contrast() {
    s_contrast "$1" >/dev/null
    local r
    r=$(awk '$1 == "seat" { print $4; exit }' "$S_SHOTS/$1.contrast")
    t_check "$1: the name's line has a contrast of at least 4.5:1 (${r:-not measured})" \
        awk -v r="${r:-0}" 'BEGIN { exit !(r >= 4.5) }'
}

# ---- the notice ----
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
s_session_start
t_check "the notice appears" s_wait_screen notice 10
t_check "notice (bokmål): a line names the PC" s_wait_dump "^seat Denne PC-en: $SEAT\$" 5
seat_fits "notice"
seat_contrast seat-notice
s_click lang:en
t_check "notice (English): the line in the patron's language" s_wait_dump "^seat This PC: $SEAT\$" 5
xdotool key ctrl+plus
t_check "larger text: the notice at 200 %" s_wait_dump '^scale 2$' 5
sleep 0.3
seat_fits "notice at 200 %"
xdotool key ctrl+plus
s_wait_dump '^scale 1$' 5

# ---- the strip ----
s_click accept
t_check "accept: the session is ACTIVE" s_wait_state ACTIVE 5
t_check "the strip appears" s_wait_screen active 5
t_check "strip: the name under the time left" s_wait_dump "^seat This PC: $SEAT\$" 3
sleep 0.3
seat_fits "strip"
seat_contrast seat-strip
s_session_stop "notice and strip"
ctl end >/dev/null
s_session_wiped "staff end"

# ---- out of order ----
# The daemon is gone: a client started now has only the file (readable here) for the name.
s_daemon_kill
s_session_start --lang en
t_check "daemon gone: the out-of-order screen" s_wait_screen ooo 10
t_check "out of order, daemon gone: the name from the file" s_wait_dump "^seat This PC: $SEAT\$" 3
sleep 0.3
seat_fits "out of order"
seat_contrast seat-ooo
s_session_stop "out of order, daemon gone"

# A client whose file has no name (on a kiosk the file is root-only: the client has only the
# defaults) shows no line while the daemon is down ...
S_CONF=$T_TMP/client-noname.conf
cat >"$S_CONF" <<CONF
guest = { user = "$GUEST"; };
notice = { text_dir = "$FS/notice"; };
paths = { socket = "$SOCK"; };
CONF
chmod 0644 "$S_CONF"
s_session_start --lang en
t_check "daemon gone, no name in the client's file: out of order" s_wait_screen ooo 10
t_check "... without a line for the name" bash -c "test -s '$S_DUMP' && ! grep -q '^seat ' '$S_DUMP'"
s_session_stop "out of order, no name"
# ... and the daemon's name once it answers (READY without a session: still out of order).
s_daemon_up || t_fail "rentarkd starts again" "$(tail -5 "$T_TMP/daemon.log")"
s_session_start --lang en
t_check "daemon up, no session: out of order" s_wait_screen ooo 10
t_check "out of order, daemon up: the daemon's name" s_wait_dump "^seat This PC: $SEAT\$" 5
s_session_stop "out of order, daemon up"

# ---- the ending screen (the protocol double holds ENDING still) ----
s_fake_start --state ENDING --seat-name "$SEAT" || t_fail "the fake agent starts" "$(cat "$T_TMP/fake.out")"
s_fake_session_start --lang en
t_check "the ending screen" s_wait_screen ending 10
t_check "ending: the name" s_wait_dump "^seat This PC: $SEAT\$" 3
sleep 0.3
seat_fits "ending"
seat_contrast seat-ending
s_session_stop "ending"
s_fake_stop

# ---- closed, blocked and locked (the protocol double holds each still) ----
s_fake_start --state CLOSED --opens-in 72000 --seat-name "$SEAT" || t_fail "the fake agent starts (CLOSED)" "$(cat "$T_TMP/fake.out")"
s_fake_session_start --lang en
t_check "the closed screen" s_wait_screen closed 10
t_check "closed: the name" s_wait_dump "^seat This PC: $SEAT\$" 3
sleep 0.3
seat_fits "closed"
seat_contrast seat-closed
s_session_stop "closed"
s_fake_stop

# BLOCKED: a wipe that was not verified keeps the PC out of service.
s_fake_start --state BLOCKED --unverified --seat-name "$SEAT" || t_fail "the fake agent starts (BLOCKED)" "$(cat "$T_TMP/fake.out")"
s_fake_session_start --lang en
t_check "blocked: the out-of-order screen" s_wait_screen ooo 10
t_check "blocked: the name" s_wait_dump "^seat This PC: $SEAT\$" 3
sleep 0.3
seat_fits "blocked"
seat_contrast seat-blocked
s_session_stop "blocked"
s_fake_stop

# Locked by the step-away lock before the client starts: the lock screen at once.
s_fake_start --state ACTIVE --step-away-max 600 --seat-name "$SEAT" || t_fail "the fake agent starts (ACTIVE)" "$(cat "$T_TMP/fake.out")"
reply=$(s_fake_call lock 4821)
t_check "the double is locked (${reply%% *})" test "${reply%% *}" = OK
s_fake_session_start --lang en
t_check "the lock screen" s_wait_screen locked 10
t_check "locked: the name" s_wait_dump "^seat This PC: $SEAT\$" 3
sleep 0.3
seat_fits "locked"
seat_contrast seat-locked
s_session_stop "locked"
s_fake_stop
t_done

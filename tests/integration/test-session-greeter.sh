#!/usr/bin/env bash
# The seat's own screen before the display manager's greeter, and a closing with a short
# schedule seen on screen, against the real rentarkd under Xvfb. LightDM runs every greeter
# through config/lightdm/greeter-wrapper.in (as the greeter's user): it is run here as
# installed, as user nobody, with a stand-in greeter that only notes that it ran.
#   - the seat is CLOSED (every day closed; tomorrow 09:00-16:00): the wrapper's screen covers
#     the display and holds the keyboard, says the library is closed and when it opens, names
#     the PC from the daemon (the greeter's user cannot read the file), fits and reaches 4.5:1;
#     the greeter does not start, and the display manager's login is refused;
#   - staff open the seat (`rentarkctl open --until`, the next whole minute at least 45 s away):
#     the screen goes and the greeter starts; the login opens the notice, which says when
#     the library closes; the patron accepts;
#   - the closing warning (30 s before) is in the strip; at closing the session ends
#     (reason closing), the patron's client is gone and the seat is wiped and CLOSED;
#   - the next greeter's wrapper shows the closed screen with tomorrow's opening, and the login
#     is refused again;
#   - rentarkd dies: the screen turns to out of order (fail closed) and follows the daemon back.
# About 1 to 2 minutes (the wait for the whole minute).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }

wait_until() { while [ "$(date +%s)" -lt "$1" ]; do sleep 0.2; done; }
# The schedule is today's and must not run into tomorrow: near midnight, wait for the new day.
now=$(date +%s)
if [ $((now + 180)) -ge "$(date -d 'tomorrow 00:00' +%s)" ]; then
    t_diag "waiting for midnight to pass"
    wait_until $(($(date -d 'tomorrow 00:00' +%s) + 5))
fi
TOMORROW=$(date -d "$(date +%F) + 1 day" +%F)
SEAT="PC 3 – 2. etasje"
s_config time_limit=7200
cat >>"$CONF" <<EOF2
seat = { name = "$SEAT"; };
hours = {
  mon = "closed"; tue = "closed"; wed = "closed"; thu = "closed"; fri = "closed"; sat = "closed"; sun = "closed";
  exceptions = ( { date = "$TOMORROW"; hours = "09:00-16:00"; } );
  warnings = [ 30 ];
};
EOF2
t_check "the config with hours and seat.name is valid" "$RKD" --check-config -c "$CONF"
start_daemon && wait_state CLOSED 20 || { t_fail "rentarkd starts CLOSED" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }

# The wrapper as installed (make install puts it in libexec), its rentark-session a stand-in
# that adds the test's socket, configuration and screen dump. The greeter's user has no
# access to the daemon's file: its configuration names only the socket and the texts.
G=$(mktemp -d /tmp/rentark-greeter.XXXXXX)
t_cleanup "rm -rf '$G'"
chmod 0755 "$G"
mkdir -m 0755 "$G/bin"
install -d -m 0700 -o nobody "$G/out"
cat >"$G/client.conf" <<CONF
notice = { text_dir = "$FS/notice"; };
paths = { socket = "$SOCK"; };
CONF
cat >"$G/bin/rentark-session" <<SH
#!/bin/sh
exec env RENTARK_LOCALEDIR="$RK_BUILD/locale" ASAN_OPTIONS="\${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0" \\
    "$RKSESSION" --socket "$SOCK" -c "$G/client.conf" --debug-dump "$G/out/dump" --lang en "\$@"
SH
sed -e "s|@BINDIR@|$G/bin|g" "$RK_SRC/config/lightdm/greeter-wrapper.in" >"$G/greeter-wrapper"
chmod 0755 "$G/bin/rentark-session" "$G/greeter-wrapper" "$G/client.conf"
chmod 0644 "$G/client.conf"
GREETER_PID=
# greeter_start: LightDM starts a greeter: the wrapper, then the stand-in greeter.
greeter_start() {
    rm -f "$G/out/dump" "$G/out/greeter.ran"
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- env DISPLAY="$DISPLAY" HOME=/ \
        "$G/greeter-wrapper" sh -c 'echo ran >"$1"; exec sleep 600' greeter "$G/out/greeter.ran" \
        2>>"$G/greeter.err" &
    GREETER_PID=$!
    t_cleanup "kill $GREETER_PID 2>/dev/null"
}
greeter_ran() { test -e "$G/out/greeter.ran"; }
greeter_wait_ran() {
    local i
    for i in $(seq $((${1:-10} * 10))); do greeter_ran && return 0; sleep 0.1; done
    return 1
}
greeter_clean() { ! grep -qE 'Sanitizer|runtime error' "$G/greeter.err"; }
refused() { ! ctl hook session-setup "$GUEST" >/dev/null 2>&1 && test "$(state)" = CLOSED; }
guest_dump=$S_DUMP
S_DUMP=$G/out/dump

# ---- CLOSED: the wrapper's screen, no greeter, no login ----
greeter_start
t_check "CLOSED: the wrapper shows the closed screen" s_wait_screen closed 10
t_check "... which holds keyboard and pointer" s_wait_dump '^grab yes$' 3
t_check "... says when the library opens (tomorrow at 09:00)" \
    grep -q '^text The library opens again tomorrow at 09:00\.$' "$S_DUMP"
t_check "... and names the PC (from the daemon's status)" grep -q "^seat This PC: $SEAT\$" "$S_DUMP"
sleep 0.3
t_check "... every text fits and has its glyphs" test -z "$(s_layout_bad)"
s_check_contrast greeter-closed
xdotool key ctrl+plus
t_check "the closed screen at 200 %" s_wait_dump '^scale 2$' 5
sleep 0.3
t_check "... every text fits" test -z "$(s_layout_bad)"
s_check_contrast greeter-closed-200
xdotool key ctrl+plus
s_wait_dump '^scale 1$' 5
before=$(date +%s)
xdotool key Escape Return alt+F4 ctrl+alt+BackSpace
sleep 1
t_check "keys change nothing: still closed, the greeter has not started" \
    bash -c "grep -q '^screen cover closed\$' '$S_DUMP' && ! test -e '$G/out/greeter.ran'"
t_check "the display manager's login is refused" refused

# ---- staff open until the next whole minute (at least 45 s away) ----
now=$(date +%s)
CLOSE=$(((now + 45 + 59) / 60 * 60))
CLOSE_HM=$(date -d "@$CLOSE" +%H:%M)
t_diag "staff open until $CLOSE_HM ($((CLOSE - now)) s from now)"
t_check "rentarkctl open --until $CLOSE_HM" ctl open --until "$CLOSE_HM"
t_check "the seat is READY" wait_state READY 5
t_check "the wrapper's screen goes within its retry interval, and the greeter starts" greeter_wait_ran 10
t_check "... the wrapper's client exited" bash -c "! pgrep -u nobody -f -- '--until-ready' >/dev/null"
t_check "... with no sanitizer finding" greeter_clean

# The greeter logs the guest in.
S_DUMP=$guest_dump
s_begin || t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"
s_session_start --lang en
t_check "the notice appears" s_wait_screen notice 10
t_check "the notice says when the library closes ($CLOSE_HM)" \
    s_wait_dump "^subtitle The library closes at $CLOSE_HM: you have [0-9]+ (seconds?|minutes?)\.\$" 3
s_click accept
t_check "accepted: the session runs" s_wait_state ACTIVE 5
t_check "the closing warning in the strip, 30 s before" \
    s_wait_dump "^note The library closes at $CLOSE_HM\. Save what you want to keep now" $(((CLOSE - $(date +%s)) / S_WAIT_SCALE + 5))
as_guest sh -c 'echo canary >"$1"' sh "$HOME_DIR/closing-canary.txt"
t_check "the patron's file is there before the closing" test -s "$HOME_DIR/closing-canary.txt"
t_check "at closing the session ends (reason closing)" \
    s_wait_daemon_saw 'ACTIVE -> ENDING reason closing' $(((CLOSE - $(date +%s)) / S_WAIT_SCALE + 10))
t_check "... is wiped, and the seat is CLOSED" wait_state CLOSED 30
for _ in $(seq 50); do kill -0 "$S_SESSION_PID" 2>/dev/null || break; sleep 0.1; done
t_expect_fail "... the wipe ended the patron's client" kill -0 "$S_SESSION_PID"
wipe_check "closing: nothing of the patron is left" 0

# ---- the next greeter: closed again ----
S_DUMP=$G/out/dump
kill "$GREETER_PID" 2>/dev/null
greeter_start
t_check "after closing: the wrapper shows the closed screen" s_wait_screen closed 10
t_check "... opening tomorrow at 09:00" grep -q '^text The library opens again tomorrow at 09:00\.$' "$S_DUMP"
t_check "... the greeter has not started" bash -c "sleep 1; ! test -e '$G/out/greeter.ran'"
t_check "... and the login is refused" refused

# ---- the daemon dies: fail closed ----
stop_daemon_kill() { [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null; DPID=; }
stop_daemon_kill
t_check "rentarkd gone: out of order" s_wait_screen ooo $((5 + 5))
t_check "... still grabbed, the greeter has not started" \
    bash -c "grep -q '^grab yes\$' '$S_DUMP' && ! test -e '$G/out/greeter.ran'"
start_daemon && wait_state CLOSED 20 || t_fail "rentarkd starts again, CLOSED" "$(tail -5 "$T_TMP/daemon.log")"
t_check "rentarkd back: the closed screen again" s_wait_screen closed $((5 + 5))
kill "$GREETER_PID" 2>/dev/null
wait "$GREETER_PID" 2>/dev/null
t_check "no sanitizer finding in the wrapper's client" greeter_clean
t_done

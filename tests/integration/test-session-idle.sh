#!/usr/bin/env bash
# Idle: XSync IDLETIME alarms, against the real rentarkd. The daemon's config has
# idle_timeout 24 s, idle_warning 20 s (the shortest countdown a config may have, WCAG 2.2.1),
# idle_report_interval 2 s; the client's own config has
# none of them (as in production, where the guest may not read the real file and has only the
# defaults of 900/60/30 s): it must take them from the daemon's status reply. After 4 s
# without input a countdown appears, input cancels it (the session goes on, because the
# client's idle reports re-arm the daemon's idle timer), and without input the daemon ends the
# session and wipes. The countdown as a screen reader meets it: test-session-idle-a11y.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/session-lib.sh"
s_require
s_xvfb || { t_fail "Xvfb starts"; t_done; exit 1; }
s_config idle_timeout=24 idle_warning=20 interval=2
s_daemon_up || { t_fail "rentarkd starts and is READY" "$(tail -5 "$T_TMP/daemon.log")"; t_done; exit 1; }
s_begin || { t_fail "the login hook opens the notice (NOTICE)" "state $(s_state)"; t_done; exit 1; }
s_public_conf
s_session_start --lang en
s_wait_screen notice 10
t_check "the client takes the idle limits from the daemon's status" \
    grep -q 'idle timeout 24 s, warning 20 s (from rentarkd)' "$T_TMP/session.err"
s_click accept
s_wait_state ACTIVE 5
t0=$(date +%s)
t_check "no countdown right after input" bash -c "sleep 2; ! grep -q '^screen dialog idle' '$S_DUMP'"
t_check "after 4 s idle: the countdown appears" s_wait_screen idle 5
t_check "the countdown says how many seconds are left" grep -qE '^text The session ends and everything is erased in (1?[0-9]|20) seconds\.' "$S_DUMP"
s_shot idle-countdown
xdotool mousemove 500 500
xdotool mousemove 510 505
t_check "input cancels the countdown" bash -c "for i in \$(seq 20); do grep -q '^screen dialog idle' '$S_DUMP' || exit 0; sleep 0.1; done; exit 1"
t_check "the session goes on" test "$(s_state)" = ACTIVE
t_check "the countdown comes back after another idle spell" s_wait_screen idle 6
# Without re-arming, the daemon would have ended the session 24 s after accept; the input came
# ~4.5 s after accept, so with the reports it ends ~24 s after the input.
while [ $(($(date +%s) - t0)) -lt 27 ]; do sleep 0.2; done
el=$(($(date +%s) - t0))
st=$(s_state)
t_check "the idle reports re-armed the daemon's timer: $st ${el} s after accept (timeout 24 s)" test "$el" -ge 27 -a "$st" = ACTIVE
plant
t_check "without input the daemon ends the session (idle)" s_wait_daemon_saw 'ACTIVE -> ENDING reason idle' 10
s_session_wiped "idle"

t_done

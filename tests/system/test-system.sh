#!/usr/bin/env bash
# rentark on the real stack: a Debian 12 kiosk booted with systemd as PID 1 (systemd-nspawn),
# logind, PAM, LightDM with its GTK greeter, an Openbox desktop session, Chromium and Firefox
# ESR, and the project's own .deb installed with apt. Driven from outside: the screen through
# the kiosk's X display (xdotool, import), loginctl, systemctl and rentarkctl inside.
#
# Each patron: LightDM logs the guest in, the notice comes up (screenshot), the patron accepts,
# writes a document and files in /tmp, /dev/shm and the runtime folder, and browses with a
# real browser (history, cache, cookies, storage, a download; left open). A search of every
# file in the kiosk finds the canary before the end (so the search can fail), the session ends
# one way or another, and after it the canary is nowhere, and the next patron's session,
# looking from inside, finds a fresh home. Ways to end: the strip's end button, idle timeout,
# the time limit, `rentarkctl end`, `loginctl terminate-session`, `systemctl restart`,
# `kill -9` and a hung daemon (watchdog) mid-session, a power cut, a package upgrade; and a
# tmpfs home (the mount must be where the session sees it). Finally `apt purge`.
#
# Needs root, systemd-nspawn, mmdebstrap and the Debian archive (the root is cached). If the
# archive cannot be reached the test fails and says so; it never skips silently.
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/deb-build.sh"
. "$RK_SRC/tests/system/lib.sh"
t_require_root

# The whole test is one function, read by bash before it runs: an edit of this file while a
# run is in progress (they take 20 minutes) cannot change what that run executes.
main() {

ART=${RK_SYSTEM_ARTEFACTS:-$RK_BUILD/system-test}
mkdir -p "$ART"
rm -f "$ART"/*.png

for tool in systemd-nspawn mmdebstrap nsenter xdotool import; do
    command -v "$tool" >/dev/null || { t_fail "tool $tool is installed (scripts/deps.sh)"; t_done; exit 1; }
done

# ---- the kiosk ----
ROOT=$("$RK_SRC/tests/system/root.sh") || { t_fail "the Debian 12 root is built from the archive (mmdebstrap)"; t_done; exit 1; }
t_ok "the Debian 12 root is there ($ROOT)"
deb_build || { t_fail "the .deb builds"; t_done; exit 1; }
DEB=$DEB_FILE
t_ok "the .deb builds ($DEB_BUILT: $(basename "$DEB"))"
t_check "apt installs the .deb into the kiosk, dependencies from the archive" sys_prepare "$ROOT" "$DEB" ||
    { tail -20 "$SYS_DIR/logs/apt.log" | sed 's/^/#   /'; t_done; exit 1; }

GUEST=rentark-guest
GUID=
LAST_SID=
SID=
HOME_ID=
LAST_HOME_ID=
CANARY=
SINCE=

state() { sys rentarkctl status 2>/dev/null | awk '$1 == "state" { print $2 }'; }
wait_state() { sys_wait "${2:-30}" "seat state $1" bash -c "[ \"\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w rentarkctl status 2>/dev/null | awk '\$1 == \"state\" {print \$2}')\" = $1 ]"; }
probe_log() { sys_journal -t rk-probe -o cat 2>/dev/null; }
# status_is KEY VALUE: rentarkctl status inside the kiosk shows KEY = VALUE.
status_is() { [ "$(nsenter -t "$SYS_LEADER" -m -u -i -n -p -r -w rentarkctl status 2>/dev/null | awk -v k="$1" '$1 == k {print $2}')" = "$2" ]; }
dump_file() { echo "/proc/$SYS_LEADER/root/run/user/$GUID/rk-dump"; }
screen_is() { grep -qE "^screen [a-z]+ $1\$" "$(dump_file)" 2>/dev/null; }
button() { awk -v a="$1" '$1 == "button" && $2 == a { printf "%d %d\n", $3 + $5 / 2, $4 + $6 / 2; exit }' "$(dump_file)" 2>/dev/null; }
click() {
    local xy
    xy=$(button "$1")
    [ -n "$xy" ] || { t_diag "no button $1 on screen"; return 1; }
    # shellcheck disable=SC2086
    sys_x xdotool mousemove $xy click 1
}
shot() { sys_x import -window root "$ART/$1.png"; }

# new_session: waits (90 s at most) until a guest session other than the last one has started
# and its probe has reported; SID is its logind session id, PROBE_START its report.
new_session() {
    local end=$(($(date +%s) + ${1:-90})) line
    PROBE_START=
    while [ "$(date +%s)" -lt "$end" ]; do
        line=$(probe_log | grep '^start session=' | tail -1)
        SID=$(sed -n 's/^start session=\([^ ]*\).*/\1/p' <<<"$line")
        if [ -n "$SID" ] && [ "$SID" != "$LAST_SID" ]; then
            PROBE_START=$line
            LAST_HOME_ID=$HOME_ID
            HOME_ID=$(sed -n 's/.* home_id=\([0-9]*:[0-9]*\) .*/\1/p' <<<"$line")
            LAST_SID=$SID
            [ -n "$GUID" ] || GUID=$(sys id -u "$GUEST")
            return 0
        fi
        sleep 0.5
    done
    t_diag "no new guest session (last probe report: ${line:-none}); seat $(state)"
    sys_journal -u lightdm -n 8 -o cat | sed 's/^/#   lightdm: /'
    sys_journal -u rentarkd -n 8 -o cat | sed 's/^/#   rentarkd: /'
    return 1
}

probe_says() { probe_log | grep -q -- "$1"; }
# ended_by REASON: rentarkd logged the end of the current session for REASON.
ended_by() { sys_journal -u rentarkd -o cat --since "@$((PATRON_T0 / 1000000000))" | grep -q -- "-> ENDING reason $1"; }

# patron NAME BROWSER: the patron of the session SID accepts the notice and leaves traces;
# checks that the search finds them (so that the search after the wipe can fail).
patron() {
    local name=$1 browser=$2 port
    PATRON_T0=$(date +%s%N)
    sys install -d -m 0755 /run/rentark-test
    t_check "$name: the notice is on screen" sys_wait 30 "the notice" screen_is notice
    [ -f "$ART/notice.png" ] || shot notice
    t_check "$name: accept" click accept
    t_check "$name: the session runs" wait_state ACTIVE 15
    # The time starts with the patron's first input after the accept
    # (session.start_on_first_input), not with the accepting click.
    t_check "$name: the time waits for the first input" status_is waiting_input 1
    sleep 2
    sys_x xdotool mousemove_relative -- 9 9
    t_check "$name: the first input starts the time" sys_wait 10 "waiting_input 0" status_is waiting_input 0
    CANARY=rk$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    SINCE=$(($(date +%s%N) - 2000000000))
    sys rm -f /run/rentark-test/port
    # The canary site, inside the kiosk (its own network namespace), for this patron only.
    nsenter -t "$SYS_LEADER" -m -u -i -n -p -r -w env -i PATH=/usr/bin:/bin RK_CANARY="$CANARY" \
        python3 -B /usr/local/lib/rentark-test/canary-server.py --port-file /run/rentark-test/port \
        >/dev/null 2>&1 &
    SITE_PID=$!
    sys_wait 20 "the canary site" test -s "/proc/$SYS_LEADER/root/run/rentark-test/port"
    port=$(cat "/proc/$SYS_LEADER/root/run/rentark-test/port")
    local go=/proc/$SYS_LEADER/root/run/rentark-test/$SID
    mkdir -p "$go" && chmod 0755 "$go"
    echo "$browser" >"$go/browser"
    echo "http://127.0.0.1:$port" >"$go/site"
    (umask 022 && printf '%s' "$CANARY" >"$go/canary.new" && mv "$go/canary.new" "$go/canary")
    t_check "$name: the patron's program in the session starts" sys_wait 20 "probe got" probe_says "^got session=$SID\$"
    rm -rf "$go"
    t_check "$name: $browser keeps the patron's data on disk (holding)" \
        sys_wait 150 "browser holding" probe_says "^browse session=$SID holding"
    search "$name: before the end" 
    local markers
    markers=$(awk '$1 == "marker" { printf "%s ", $2 }' "$SYS_DIR/search.out")
    case $browser in chromium) b=cr ;; *) b=ff ;; esac
    t_check "$name: before the end, the search finds the canary in the document, tmp, shm, runtime folder and $browser's stores ($markers)" \
        bash -c "for m in doc tmp shm runuser $b-cookie $b-dl $b-ls; do grep -qw -- \"\$m\" <<<'$markers' || { echo \"missing \$m\"; exit 1; }; done"
}

# search DESC: every file of the kiosk searched for CANARY (tests/helpers/canary-search.py),
# output in $SYS_DIR/search.out; HITS is the number of files holding it.
search() {
    nsenter -t "$SYS_LEADER" -m -u -i -n -p -r -w env -i PATH=/usr/bin:/bin RK_CANARY="$CANARY" \
        python3 -B /usr/local/lib/rentark-test/canary-search.py --since "$SINCE" \
        --hits /run/rentark-test/hits >"$SYS_DIR/search.out" 2>"$SYS_DIR/search.err"
    HITS=$(awk '$1 == "hits" { print $2 }' "$SYS_DIR/search.out")
    t_diag "$1: search: $(tr '\n' ' ' <"$SYS_DIR/search.out" | cut -c1-300)"
}

# after_end NAME: the session SID has ended; the next patron's session starts, and nothing of
# the last one is left: the canary nowhere in the kiosk, a fresh home seen from inside.
after_end() {
    local name=$1 ended=$SID
    [ -n "${SITE_PID:-}" ] && kill "$SITE_PID" 2>/dev/null
    t_check "$name: the next patron gets a new session (LightDM logs the guest in again)" new_session 120
    t_check "$name: the session $ended is gone from logind" bash -c "! nsenter -t $SYS_LEADER -m -u -i -n -p -r -w loginctl show-session $ended -p State 2>/dev/null | grep -q ."
    search "$name: after the wipe"
    t_check "$name: the canary is in no file of the kiosk ($HITS hits)" test "${HITS:-x}" = 0 ||
        sed 's/^/#   hit: /' "/proc/$SYS_LEADER/root/run/rentark-test/hits" 2>/dev/null | head
    t_check "$name: from inside the next session: nothing of the last patron in the home, /tmp, /dev/shm or the runtime folder" \
        grep -q 'leftovers=0 ' <<<"$PROBE_START"
    t_diag "$name: $((($(date +%s%N) - PATRON_T0) / 1000000000)) s from the notice to the next patron's session"
    t_check "$name: from inside the next session: a new home, without the mark the last session left in it ($PROBE_START)" \
        grep -q 'last_mark=none$' <<<"$PROBE_START"
}

# ---- boot ----
BOOT_T0=$(date +%s%N)
t_check "the kiosk boots with systemd as PID 1" sys_boot || { t_done; exit 1; }
t_check "systemd reaches running" sys_wait_running
t_check "rentarkd runs (systemd unit, Type=notify)" bash -c "[ \"\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl is-active rentarkd)\" = active ]"
t_check "logind offers seat0" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w loginctl list-seats --no-legend | grep -q seat0"
t_check "the first patron's session starts (LightDM autologin, PAM, logind)" new_session 120
sys_wait 30 "the notice" screen_is notice
BOOT_MS=$((($(date +%s%N) - BOOT_T0) / 1000000))
t_diag "boot to notice: $BOOT_MS ms"
echo "boot_to_notice_ms $BOOT_MS" >"$ART/figures.txt"
t_check "the session is a logind session of the guest on seat0" \
    bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w loginctl show-session $SID -p Name -p Seat | tr '\n' ' ' | grep -q 'Name=$GUEST Seat=seat0'"
t_check "rentarkd runs in a mount namespace of its own (its sandbox), not PID 1's" \
    bash -c "[ \"\$(readlink /proc/$SYS_LEADER/root/proc/1/ns/mnt)\" != \"\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w sh -c 'readlink /proc/\$(systemctl show -P MainPID rentarkd)/ns/mnt')\" ]"
t_check "rentark-mount.socket listens (the mount-table changes, in the machine's namespace)" \
    bash -c "[ \"\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl is-active rentark-mount.socket)\" = active ]"
EXPOSURE=$(sys systemd-analyze security rentarkd --no-pager 2>/dev/null | sed -n 's/.*Overall exposure level for rentarkd.service: \([0-9.]*\).*/\1/p')
HELPER_EXPOSURE=$(sys systemd-analyze security rentark-mount --no-pager 2>/dev/null | sed -n 's/.*Overall exposure level for rentark-mount.service: \([0-9.]*\).*/\1/p')
printf 'security_exposure_rentarkd %s\nsecurity_exposure_rentark_mount %s\n' "$EXPOSURE" "$HELPER_EXPOSURE" >>"$ART/figures.txt"
t_check "systemd-analyze security rentarkd: exposure $EXPOSURE, at most 3.0 (7.0 before)" \
    awk -v e="${EXPOSURE:-99}" 'BEGIN { exit !(e <= 3.0) }'
t_diag "systemd-analyze security rentark-mount (the helper): $HELPER_EXPOSURE"
STATUS=$(sys systemctl show -P StatusText rentarkd)
t_check "systemd shows the seat's state (STATUS=): $STATUS" grep -q 'notice' <<<"$STATUS"
t_check "rentarkd is ordered before the display manager and was ready before LightDM started" bash -c "
    s() { nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl show -P \$2 \$1; }
    [ \"\$(s rentarkd ActiveEnterTimestampMonotonic)\" -le \"\$(s lightdm InactiveExitTimestampMonotonic)\" ] &&
    s lightdm After | grep -qw rentarkd.service"

# 1. The strip's end button, with its confirmation.
patron "end button" chromium
# What the guest owns outside the places rentark sweeps by name (the census finds the rest).
sys find / -xdev \( -path /proc -o -path /sys -o -path /home -o -path /tmp -o -path /dev/shm -o -path /run/user \) -prune \
    -o -user "$GUEST" -print 2>/dev/null | head -20 | sed 's/^/# guest owns: /'
t_check "end button: the strip shows the end button" sys_wait 10 "strip" screen_is active
shot strip
click end
t_check "end button: a confirmation" sys_wait 10 "confirm" screen_is confirm
shot confirm
click confirm_yes
after_end "end button"

# 2. rentarkctl end (staff).
patron "rentarkctl end" firefox
t_check "rentarkctl end: staff end the session" sys rentarkctl end
after_end "rentarkctl end"

# 3. loginctl terminate-session.
patron "loginctl terminate-session" chromium
t_check "loginctl terminate-session: logind ends it" sys loginctl terminate-session "$SID"
after_end "loginctl terminate-session"

# 4. The time limit (short, set by reload) and 5. idle timeout (no input after the accept).
sys sed -i 's/^\(\s*time_limit = \).*/\190;/; s/^\(\s*warnings = \).*/\1[ 30 ];/' /etc/rentark/rentark.conf
t_check "time limit: rentarkd reloads the shorter limit" sys systemctl reload rentarkd
patron "time limit" firefox
t_check "time limit: the session ends at the limit" sys_wait 150 "the end" ended_by time_limit
after_end "time limit"
sys sed -i 's/^\(\s*time_limit = \).*/\17200;/; s/^\(\s*warnings = \).*/\1[ 300, 60 ];/; s/^\(\s*idle_timeout = \).*/\160;/; s/^\(\s*idle_warning = \).*/\120;/' /etc/rentark/rentark.conf
sys systemctl reload rentarkd
patron "idle timeout" chromium
t_check "idle timeout: the session ends after 60 s without input" sys_wait 150 "the idle end" ended_by idle
after_end "idle timeout"
sys sed -i 's/^\(\s*idle_timeout = \).*/\1900;/; s/^\(\s*idle_warning = \).*/\160;/' /etc/rentark/rentark.conf
sys systemctl reload rentarkd

# 6. A tmpfs home: the fresh tmpfs must be mounted where the display manager and the session
#    see it (a daemon in a mount namespace of its own would mount it where no one looks).
sys sed -i 's/^\(\s*strategy = \).*/\1"tmpfs";/; s/^\(\s*tmpfs_size = \).*/\1"256M";/' /etc/rentark/rentark.conf
sys systemctl reload rentarkd
sys rentarkctl end >/dev/null
t_check "tmpfs: the next session starts" new_session 120
t_check "tmpfs: from inside the session, the home is a tmpfs mounted on it ($PROBE_START)" \
    grep -q 'home_fstype=tmpfs home_mount=yes' <<<"$PROBE_START"
patron "tmpfs home" chromium
sys rentarkctl end >/dev/null
after_end "tmpfs home"
t_check "tmpfs: the next patron's home is a fresh tmpfs too ($PROBE_START)" grep -q 'home_fstype=tmpfs home_mount=yes' <<<"$PROBE_START"

# 6b. Closing time: staff close the seat while the next session waits at the notice. It ends
#     (reason closing) and is wiped. LightDM then starts its greeter through rentark's
#     greeter-wrapper, which shows rentark's closed screen as the lightdm user instead of a
#     greeter whose automatic login would be refused again and again: no greeter runs and no
#     guest session starts until staff open the seat again.
if [ "$(date +%H%M)" -ge 2356 ]; then # `open --until 23:59` below must lie ahead
    t_diag "waiting for midnight to pass"
    while [ "$(date +%H%M)" != 0000 ]; do sleep 5; done
fi
PATRON_T0=$(date +%s%N)
t_check "closing: rentarkctl close" sys rentarkctl close
t_check "closing: the session ends (reason closing)" sys_wait 30 "ended by closing" ended_by closing
t_check "closing: it is wiped and the seat is CLOSED" wait_state CLOSED 60
t_check "closing: the greeter's wrapper shows the closed screen (rentark-session --until-ready, as lightdm)" \
    sys_wait 60 "the wrapper's screen" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w pgrep -u lightdm -f -- --until-ready"
sleep 3 # the wrapper's screen asks every second: CLOSED, after the wipe's screen
shot closed
mean=$(convert "$ART/closed.png" -colorspace Gray -format '%[fx:mean]' info: 2>/dev/null)
t_check "closing: the screen is rentark's light cover, not the greeter (mean brightness ${mean:-?})" \
    awk -v m="${mean:-0}" 'BEGIN { exit !(m > 0.9) }'
t_check "closing: no greeter runs" bash -c "! nsenter -t $SYS_LEADER -m -u -i -n -p -r -w pgrep -x lightdm-gtk-gre"
t_expect_fail "closing: no guest session starts while closed" new_session 10
t_check "closing: staff open the seat (rentarkctl open --until 23:59)" sys rentarkctl open --until 23:59
t_check "closing: the wrapper lets the greeter go, which logs the guest in: a new session" new_session 60
t_check "closing: the notice is on screen" sys_wait 30 "the notice" screen_is notice
t_check "closing: the wrapper's client has exited" bash -c "! nsenter -t $SYS_LEADER -m -u -i -n -p -r -w pgrep -u lightdm -f -- --until-ready"

# 7. The daemon restarted, killed, or hung mid-session: the session is kept safely or ended and
#    wiped, never left unwiped.
mainpid() { sys systemctl show -P MainPID rentarkd; }
patron "systemctl restart" firefox
t_check "systemctl restart rentarkd mid-session" sys systemctl restart rentarkd
after_end "systemctl restart"

patron "kill -9" chromium
OLD=$(mainpid)
sys kill -9 "$OLD"
t_check "kill -9: systemd starts rentarkd again" sys_wait 30 "a new rentarkd" bash -c "p=\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl show -P MainPID rentarkd); [ -n "\$p" ] && [ "\$p" != 0 ] && [ "\$p" != $OLD ]"
after_end "kill -9"

patron "hung daemon" firefox
OLD=$(mainpid)
sys kill -STOP "$OLD"
t_check "hung daemon: the watchdog (WatchdogSec=20) has systemd kill it and start it again" \
    sys_wait 90 "a new rentarkd" bash -c "p=\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl show -P MainPID rentarkd); [ -n \"\$p\" ] && [ \"\$p\" != 0 ] && [ \"\$p\" != $OLD ]"
t_check "hung daemon: systemd logged the watchdog timeout" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w journalctl -q -u rentarkd -o cat | grep -q 'Watchdog timeout'"
after_end "hung daemon"

# 8. A package upgrade mid-session: version N+1 of the .deb installed with apt.
patron "upgrade" chromium
NEXT=$SYS_DIR/rentark-next.deb
rm -rf "$SYS_DIR/repack" && dpkg-deb -R "$DEB" "$SYS_DIR/repack" &&
    sed -i 's/^Version: \(.*\)$/Version: \1+systemtest1/' "$SYS_DIR/repack/DEBIAN/control" &&
    dpkg-deb -b "$SYS_DIR/repack" "$NEXT" >/dev/null
OLD=$(mainpid)
t_check "upgrade: apt installs version N+1 during the session" sys_apt_install "$NEXT"
t_check "upgrade: the package is the new version" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w dpkg-query -W -f '\${Version}' rentark | grep -q systemtest1"
t_check "upgrade: the session goes on (ACTIVE, the patron is not thrown out)" test "$(state)" = ACTIVE
t_check "upgrade: the running daemon is still the old one during the session" \
    bash -c "readlink /proc/$SYS_LEADER/root/proc/$OLD/exe 2>/dev/null | grep -q deleted || nsenter -t $SYS_LEADER -m -u -i -n -p -r -w readlink /proc/$OLD/exe | grep -q deleted"
sys rentarkctl end >/dev/null
after_end "upgrade"
t_check "upgrade: between sessions the new daemon took over (same unit, new program)" \
    bash -c "p=\$(nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl show -P MainPID rentarkd); nsenter -t $SYS_LEADER -m -u -i -n -p -r -w readlink /proc/\$p/exe | grep -vq deleted"
t_check "upgrade: and said so" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w journalctl -q -u rentarkd -o cat | grep -q 'takes over now'"

# 9. A power cut mid-session, and the next boot.
patron "power cut" firefox
sys_kill
BOOT_T0=$(date +%s%N)
t_check "power cut: the kiosk boots again" sys_boot
t_check "power cut: systemd reaches running" sys_wait_running
t_check "power cut: rentarkd wiped the old session at start-up" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w journalctl -q -b -u rentarkd -o cat | grep -q 'start-up: last state ACTIVE, wiping'"
t_check "power cut: the seat was clean and ready before LightDM started (unit ordering)" bash -c "
    s() { nsenter -t $SYS_LEADER -m -u -i -n -p -r -w systemctl show -P \$2 \$1; }
    [ \"\$(s rentarkd ActiveEnterTimestampMonotonic)\" -le \"\$(s lightdm InactiveExitTimestampMonotonic)\" ]"
LAST_SID=
after_end "power cut"

# Over all these sessions, the sweep alone left nothing for the census's safety net to find.
t_check "the census never found what the sweep missed" bash -c "! nsenter -t $SYS_LEADER -m -u -i -n -p -r -w journalctl -q -u rentarkd -o cat | grep -q 'the first pass found'"
t_check "no incident was opened" bash -c "! nsenter -t $SYS_LEADER -m -u -i -n -p -r -w journalctl -q -u rentarkd -o cat | grep -q INCIDENT"

# The journal's structured records (MESSAGE_ID, RENTARK_* fields) and the message catalogue the
# package installs (config/journal/rentark.catalog; systemd's dpkg trigger builds its database).
ENDED_ID=87cd534d56e640219cb5fc68a8d5f150 # session-ended, common/log.c
journal_has() { # REGEX JOURNALCTL-ARG...: a line of the output matches
    local re=$1; shift
    sys_journal "$@" 2>/dev/null | grep -qE -- "$re"
}
t_check "journal: the session ends are records MESSAGE_ID=$ENDED_ID with RENTARK_END_REASON" \
    journal_has '^ +RENTARK_END_REASON=(staff|logout|idle|time_limit)$' -u rentarkd -o verbose MESSAGE_ID=$ENDED_ID
t_check "journal: ... with RENTARK_EVENT=session-ended and the session's SESSION_ID" bash -c "
    nsenter -t $SYS_LEADER -m -u -i -n -p -r -w journalctl -q -u rentarkd -o verbose MESSAGE_ID=$ENDED_ID >'$SYS_DIR/logs/ended.txt'
    grep -qE '^ +RENTARK_EVENT=session-ended\$' '$SYS_DIR/logs/ended.txt' && grep -qE '^ +SESSION_ID=[0-9a-f]{32}\$' '$SYS_DIR/logs/ended.txt'"
t_check "journal: daemon-started carries RENTARK_VERSION" \
    journal_has '^ +RENTARK_VERSION=[0-9]' -u rentarkd -o verbose RENTARK_EVENT=daemon-started
t_check "journal: the wipes are wipe-verified records with RENTARK_DURATION_MS" \
    journal_has '^ +RENTARK_DURATION_MS=[0-9]+$' -u rentarkd -o verbose RENTARK_EVENT=wipe-verified
t_check "journal: the package's install updated the catalogue database (--list-catalog)" \
    journal_has "^$ENDED_ID rentark: A guest session ended" --list-catalog
t_check "journal: journalctl -x (LANG=C.UTF-8) explains a session end from the catalogue, with its reason" \
    journal_has 'Subject: A guest session ended \((staff|logout|idle|time_limit)\); the wipe begins' -x -u rentarkd MESSAGE_ID=$ENDED_ID
if sys locale -a 2>/dev/null | grep -qiE '^nb_NO\.utf-?8$'; then
    t_check "journal: journalctl -x under nb_NO.UTF-8 explains it in bokmål" bash -c "
        nsenter -t $SYS_LEADER -m -u -i -n -p -r -w env -i PATH=/usr/bin:/bin LANG=nb_NO.UTF-8 journalctl --no-pager -q -x -u rentarkd MESSAGE_ID=$ENDED_ID |
            grep -qE 'Subject: En gjesteøkt er avsluttet \([a-z_]+\)'"
else
    t_diag "the kiosk has no nb_NO.UTF-8 locale: the bokmål entry is checked in the installed catalogue instead"
    t_check "journal: the installed catalogue has the bokmål entry of the session end" \
        grep -qx -- "-- $ENDED_ID nb" "/proc/$SYS_LEADER/root/usr/lib/systemd/catalog/rentark.catalog"
fi

# 10. apt purge, with a patron's session running: it is ended and wiped first, and nothing of
#     rentark is left but what the README says.
patron "purge" chromium
t_check "purge: apt purge rentark" bash -c "nsenter -t $SYS_LEADER -m -u -i -n -p -r -w env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q rentark >>'$SYS_DIR/logs/apt.log' 2>&1"
search "purge: after the purge"
t_check "purge: the canary is in no file of the kiosk ($HITS hits)" test "${HITS:-x}" = 0
t_check "purge: no guest account, no rentark groups" bash -c "! grep -E '^(rentark-guest|rentark-admin|rentark-volunteer):' /proc/$SYS_LEADER/root/etc/passwd /proc/$SYS_LEADER/root/etc/group"
LEFT=$(cd "$SYS_DIR/upper" && find . -path ./proc -prune -o -print 2>/dev/null | grep -i rentark |
    grep -vE '^\./(var/cache/rentark-test|usr/local/lib/rentark-test|etc/security/rentark-test-novt\.conf|etc/xdg/autostart/zz-rentark-test-probe\.desktop)(/|$)' |
    grep -vE '^\./var/log/' | head -20)
t_check "purge: no file of rentark is left (state, home, trash, units, policies, LightDM, autostart)" test -z "$LEFT" ||
    sed 's/^/#   left: /' <<<"$LEFT"

t_done
}
main "$@"

#!/usr/bin/env bash
# The census decides "verified". With the test hook RENTARK_TEST_AFTER_SWEEP (compiled only into
# the test builds: rentarkd runs it with sh -c, as root, after the sweep and before each census)
# the test plants, as the guest, what a sweep "missed":
#   - once: the first census finds it, the extra pass removes it, the wipe is verified and the
#     log says the first census found 1 file;
#   - on every call (so the extra pass cannot win), for each class of the census in turn (files,
#     processes, mounts, SysV IPC, POSIX queues, keys, scheduled work, service state): the wipe
#     is NOT verified, exits non-zero, and its log names the class and no file name.
# Then through the real daemon (sessions opened with the display manager's hook, accepted by the
# guest, ended by the display manager's cleanup hook): a FUSE mount in /tmp with its server
# running leaves the seat READY; the one-shot plant leaves it READY; the replanting one BLOCKED,
# with an open incident that names the class.
#
# Runs in the hermetic world of tests/helpers/world.sh (the census searches every local
# writable file system of the world).
. "$(dirname "$0")/../lib.sh"
. "$RK_SRC/tests/helpers/world.sh"
t_require_root "all tests in $(basename "$0") (a hermetic world, real users, the real daemon)"
world_enter "$@"
C=$WORLD_CANARY
G="setpriv --reuid=$GUID --regid=$GGID --clear-groups"
QUIET='>/dev/null 2>&1 </dev/null'

if ! world_wipe; then
    t_fail "the first wipe makes the guest's home from the skeleton" "$(tail -3 "$T_TMP/wipe.log" | tr '\n' ' ')"
    t_done; exit 1
fi
redact() { sed "s/$C/CANARY/g"; }
census_lines() { grep -E 'census' "${1:-$T_TMP/wipe.log}"; }
# first_found_one_file [LOG]: the log says the first census found 1 file (and nothing else):
# either the first census summary counts "files 1", or a line about the first pass does.
first_found_one_file() {
    local l
    l=$(census_lines "$@")
    echo "$l" | head -1 | grep -qE '[( ]files 1([^0-9]|$)' ||
        echo "$l" | grep -iE 'first (pass|census)' | grep -qE '[( ]files 1([^0-9]|$)'
}

# clean_guest: what a hook left, removed by root between runs, so that each run starts clean
# whatever the daemon does (the next run's assertions are about its own class).
clean_guest() {
    pkill -KILL -u "$GUID" 2>/dev/null; sleep 0.1
    grep -F " - fuse" /proc/self/mountinfo | grep -F "user_id=$GUID," | awk '{ print $5 }' | while read -r m; do umount -l "$m"; done
    local f id
    for f in shm msg sem; do
        for id in $(awk -v u="$GUID" 'NR > 1 { for (i = 1; i <= NF; i++) if ($i == u) { print $2; break } }' "/proc/sysvipc/$f"); do
            case $f in shm) ipcrm -m "$id" ;; msg) ipcrm -q "$id" ;; sem) ipcrm -s "$id" ;; esac
        done
    done 2>/dev/null
    find /tmp /var/tmp /dev/shm /dev/mqueue -xdev -name "$C*" -exec rm -rf {} + 2>/dev/null
    crontab -r -u "$GUEST" 2>/dev/null
    rm -f "/var/lib/AccountsService/users/$GUEST"
    _world_keys_gone "$GUID" "$GGID"
}

# --- the hook plants once ---------------------------------------------------------------------
world_wipe; rc=$?
t_check "without the hook the wipe is verified (exit 0)" test $rc -eq 0
census_lines | head -3 | redact | sed 's/^/# /'
t_check "... and its log has the census summary" grep -qE 'census: .*classes checked' "$T_TMP/wipe.log"

ONCE="[ -e /run/rk-hook-armed ] || exit 0; rm -f /run/rk-hook-armed; $G sh -c 'echo $C > /var/tmp/$C-once' $QUIET"
touch /run/rk-hook-armed
RENTARK_TEST_AFTER_SWEEP=$ONCE world_wipe; rc=$?
world_keep "wipe with the one-shot hook (exit $rc)" "$T_TMP/wipe.log"
census_lines | redact | sed 's/^/# /'
t_check "a file planted once after the sweep: the hook ran" test ! -e /run/rk-hook-armed
t_check "... the wipe is verified (exit 0): the extra pass removed it" test $rc -eq 0
if first_found_one_file; then
    t_ok "... the log says the first census found 1 file"
else
    t_fail "... the log says the first census found 1 file" "census lines: $(census_lines | redact | tr '\n' ' ')"
fi
t_check "... the planted file is gone" test ! -e "/var/tmp/$C-once"
t_expect_fail "... the log names no file" grep -qF "$C" "$T_TMP/wipe.log" "$T_TMP/wipe.out"
clean_guest

# --- the hook plants on every call: one run per class -------------------------------------------
declare -A PLANT=(
    [files]="$G sh -c 'echo $C > /var/tmp/$C-again-\$\$' $QUIET"
    [processes]="$G sleep 600 $QUIET & i=0; while ! pgrep -u $GUID -x sleep >/dev/null && [ \$i -lt 250 ]; do sleep 0.02; i=\$((i + 1)); done"
    [mounts]="$G sh -c 'd=/tmp/$C-mnt-\$\$ && mkdir \$d \$d.src && bindfs --no-allow-other \$d.src \$d' $QUIET"
    [sysv-ipc]="$G ipcmk -M 4096 $QUIET"
    [mqueue]="$G touch /dev/mqueue/$C-q-\$\$ $QUIET"
    [keys]="$G keyctl session - sh -c 'p=\$(keyctl get_persistent @s) && keyctl add user $C-k-\$\$ $C \"\$p\"' $QUIET"
    [scheduled]="echo '* * * * * echo $C' | $G crontab - $QUIET"
    [service-state]="printf '[User]\\nLanguage=$C\\n' > /var/lib/AccountsService/users/$GUEST"
)
# PROBE: is there an object of the class now (the plant command, run by hand, must make one).
declare -A PROBE=(
    [files]='[ -n "$(find /var/tmp -name "$C-again-*")" ]'
    [processes]='pgrep -u "$GUID" >/dev/null'
    [mounts]='grep -qF "user_id=$GUID," /proc/self/mountinfo'
    [sysv-ipc]='awk -v u="$GUID" "NR > 1 && \$8 == u { f = 1 } END { exit !f }" /proc/sysvipc/shm'
    [mqueue]='[ -n "$(find /dev/mqueue -name "$C-q-*")" ]'
    [keys]='[ -n "$(as_guest keyctl session - sh -c "keyctl rlist \$(keyctl get_persistent @s)" 2>/dev/null)" ]'
    [scheduled]='[ -e "/var/spool/cron/crontabs/$GUEST" ]'
    [service-state]='[ -e "/var/lib/AccountsService/users/$GUEST" ]'
)
# replant_wipe LABEL HOOK: a wipe whose hook plants before every census; the wipe must not be
# verified, must not hang, and its log must hold no planted name. Sets WHY (empty when so).
replant_wipe() {
    RENTARK_TEST_AFTER_SWEEP=$2 world_wipe; RC=$?
    world_keep "wipe with the hook planting $1 every time (exit $RC)" "$T_TMP/wipe.log"
    WHY=
    [ $RC -ne 0 ] || WHY="exit 0 (verified)"
    [ $RC -ne 124 ] && [ $RC -ne 137 ] || WHY="the wipe hung (killed after ${WORLD_WIPE_TIMEOUT:-60} s)"
    ! grep -qF "$C" "$T_TMP/wipe.log" "$T_TMP/wipe.out" || WHY="${WHY:+$WHY; }THE LOG NAMES A PLANTED OBJECT"
}
names_class() { grep -iE 'not verified|census' "$T_TMP/wipe.log" | grep -qw -- "$1"; }
log_tail() { grep -iE 'not verified|census' "$T_TMP/wipe.log" | tail -2 | tr '\n' ' ' | redact; }

# Files alone: the case of the census's whole point.
replant_wipe files "${PLANT[files]}"
names_class files || WHY="${WHY:+$WHY; }the log does not name \"files\""
if [ -z "$WHY" ]; then
    t_ok "a hook that plants a file again before every census: NOT verified (exit $RC), the log names \"files\" and no name"
else
    t_fail "a hook that plants a file again before every census: NOT verified, the log names \"files\" and no name" "$WHY; log: $(log_tail)"
fi
clean_guest

# Every class at once (one wipe: each census walks every file system of the machine): each
# plant command must first make an object of its class when run by hand.
ALL=
for class in files processes mounts sysv-ipc mqueue keys scheduled service-state; do
    if [ "$class" = mounts ] && ! command -v bindfs >/dev/null; then
        t_skip "a hook that plants every class before every census: the log names \"$class\"" "bindfs is not installed"; continue
    fi
    sh -c "${PLANT[$class]}"; sleep 0.1
    if eval "${PROBE[$class]}"; then
        ALL="$ALL${ALL:+; }${PLANT[$class]}"
    else
        t_fail "a hook that plants every class before every census: the log names \"$class\"" "the plant command makes no $class object here"
    fi
    clean_guest
done
replant_wipe "every class" "$ALL"
if [ -z "$WHY" ]; then
    t_ok "a hook that plants every class before every census: NOT verified (exit $RC), no name in the log"
else
    t_fail "a hook that plants every class before every census: NOT verified, no name in the log" "$WHY; log: $(log_tail)"
fi
for class in files processes mounts sysv-ipc mqueue keys scheduled service-state; do
    case "; $ALL" in *"${PLANT[$class]}"*) ;; *) continue ;; esac
    if names_class "$class"; then
        t_ok "a hook that plants every class before every census: the log names \"$class\""
    else
        t_fail "a hook that plants every class before every census: the log names \"$class\"" "log: $(log_tail)"
    fi
done
clean_guest

# --- another user's FUSE mount in a swept folder --------------------------------------------------
# Without allow_other, FUSE refuses even root: a sweep that looks into that mount point gets
# EACCES. The mount is not the guest's, so it stays; the wipe must still be verified.
if command -v bindfs >/dev/null &&
    as_other sh -c "mkdir /tmp/$C-os /tmp/$C-om && echo $C > /tmp/$C-os/f && bindfs --no-allow-other /tmp/$C-os /tmp/$C-om" >/dev/null 2>&1; then
    as_guest sh -c "echo $C > /tmp/$C-g"
    world_wipe; rc=$?
    world_keep "wipe beside another user's FUSE mount in /tmp (exit $rc)" "$T_TMP/wipe.log"
    t_check "another user's FUSE mount in /tmp (no allow_other): the wipe is verified (exit $rc)" test $rc -eq 0
    t_check "... the guest's file in /tmp is gone" test ! -e "/tmp/$C-g"
    t_check "... the other user's mount is still there and serves" eval 'grep -qF " /tmp/$C-om " /proc/self/mountinfo && [ "$(as_other cat "/tmp/$C-om/f")" = "$C" ]'
    umount -l "/tmp/$C-om"; rm -rf "/tmp/$C-os" "/tmp/$C-om" "/tmp/$C-g"
else
    t_skip "another user's FUSE mount in /tmp: the wipe is verified" "no bindfs mount for the other user"
fi

# --- through the daemon -----------------------------------------------------------------------
FS=/nonexistent   # daemon-env.sh's paths are wipe-env's; the world's socket is set below
. "$RK_SRC/tests/daemon-env.sh"
SOCK=/run/rentark/control.sock
t_cleanup 'world_keep "the daemon'"'"'s log" "$T_TMP/daemon.log"'
# The daemon runs the hook only while /run/rk-hook-mode says so: "once" (the hook then removes
# the mode) or "always".
DHOOK="m=\$(cat /run/rk-hook-mode 2>/dev/null); case \$m in once) rm -f /run/rk-hook-mode;; always) ;; *) exit 0;; esac; $G sh -c 'echo $C > /var/tmp/$C-d-\$\$' $QUIET"
rm -f /run/rk-hook-mode
world_conf "$CONF" 'verify_retry = 1;'   # a blocked seat retries every second
if ! RENTARK_TEST_AFTER_SWEEP=$DHOOK start_daemon || ! wait_state READY 30; then
    t_fail "rentarkd starts in the world and is READY" "state $(state); $(tail -5 "$T_TMP/daemon.log" | tr '\n' ' ')"
    t_done; exit 1
fi
t_ok "rentarkd starts in the world (hook in its environment) and is READY"

session() { # DESC: a patron's session, opened by the display manager and accepted by the guest
    ctl hook session-setup "$GUEST" >/dev/null 2>&1 && guest_ctl accept >/dev/null 2>&1 && [ "$(state)" = ACTIVE ]
}
end_session() { ctl hook session-cleanup "$GUEST" >/dev/null 2>&1; }
settled() { # [seconds]: wait until the seat is READY or BLOCKED; prints the state
    local end=$((SECONDS + ${1:-60})) s
    while :; do
        s=$(state)
        case $s in READY|BLOCKED) echo "$s"; return 0 ;; esac
        [ $SECONDS -lt $end ] || { echo "${s:-no answer}"; return 1; }
        daemon_exited && { echo "daemon exited"; return 1; }
        sleep 0.05
    done
}
# recover: after a failed case, leave the next one a READY seat: remove what the guest left,
# resolve the open incidents, let the retry verify.
recover() {
    [ "$(state)" = READY ] && return 0
    rm -f /run/rk-hook-mode
    clean_guest
    ctl incidents 2>/dev/null | awk '$1 ~ /^[0-9a-f]+$/ { print $1 }' | while read -r id; do ctl incidents resolve "$id" >/dev/null 2>&1; done
    wait_state READY 20
}

# A FUSE mount in /tmp with its server running and a process inside it.
if command -v bindfs >/dev/null; then
    if session; then
        as_guest sh -c "mkdir /tmp/$C-fsrc /tmp/$C-fuse && echo $C > /tmp/$C-fsrc/f && bindfs --no-allow-other /tmp/$C-fsrc /tmp/$C-fuse" >/dev/null 2>&1
        as_guest sh -c "cd /tmp/$C-fuse && exec sleep 600" >/dev/null 2>&1 &
        sleep 0.2
        if grep -qF " /tmp/$C-fuse " /proc/self/mountinfo; then
            end_session
            st=$(settled 60)
            if [ "$st" = READY ]; then
                t_ok "daemon: a session that leaves a served FUSE mount in /tmp ends READY, not BLOCKED"
            else
                t_fail "daemon: a session that leaves a served FUSE mount in /tmp ends READY, not BLOCKED" "state $st; $(ctl incidents 2>&1 | head -2 | redact | tr -s ' \n' ' ')"
            fi
            t_check "daemon: ... the FUSE mount is gone" eval '! grep -qF " /tmp/$C-fuse " /proc/self/mountinfo'
            t_check "daemon: ... no process of the guest is left" test "$(guest_procs)" -eq 0
        else
            t_skip "daemon: a session that leaves a served FUSE mount in /tmp ends READY" "the guest's bindfs mount failed"
            end_session; settled 60 >/dev/null
        fi
    else
        t_fail "daemon: a session opens (hook session-setup, accept)" "state $(state)"
    fi
else
    t_skip "daemon: a session that leaves a served FUSE mount in /tmp ends READY" "bindfs is not installed"
fi
recover

# The hook plants once.
mark=$(wc -l <"$T_TMP/daemon.log")
if session; then
    echo once >/run/rk-hook-mode
    end_session
    st=$(settled 60)
    if [ "$st" = READY ]; then
        t_ok "daemon: a file planted once after the sweep: the seat ends READY"
    else
        t_fail "daemon: a file planted once after the sweep: the seat ends READY" "state $st; $(ctl incidents 2>&1 | head -2 | redact | tr -s ' \n' ' ')"
    fi
    t_check "daemon: ... the hook ran" test ! -e /run/rk-hook-mode
    tail -n +"$((mark + 1))" "$T_TMP/daemon.log" >"$T_TMP/daemon-once.log"
    if first_found_one_file "$T_TMP/daemon-once.log"; then
        t_ok "daemon: ... its log says the first census found 1 file"
    else
        t_fail "daemon: ... its log says the first census found 1 file" "census lines: $(census_lines "$T_TMP/daemon-once.log" | redact | tr '\n' ' ')"
    fi
    t_check "daemon: ... the planted file is gone" test -z "$(find /var/tmp -name "$C-d-*")"
else
    t_fail "daemon: a session opens (hook session-setup, accept)" "state $(state)"
fi
recover

# The hook plants before every census.
if session; then
    echo always >/run/rk-hook-mode
    end_session
    st=$(settled 60)
    t_check "daemon: a file planted before every census: the seat ends BLOCKED ($st)" test "$st" = BLOCKED
    ctl incidents >"$T_TMP/inc.txt" 2>&1
    sed 's/^/# /' "$T_TMP/inc.txt" | redact | head -3
    t_check "daemon: ... an incident is open and its \"what\" names the class (files)" \
        eval 'grep -v "no open incidents" "$T_TMP/inc.txt" | grep -qw files'
    t_expect_fail "daemon: ... neither the incident nor the daemon's log names a file" grep -qF "$C" "$T_TMP/inc.txt" "$T_TMP/daemon.log"
    rm -f /run/rk-hook-mode
else
    t_fail "daemon: a session opens (hook session-setup, accept)" "state $(state)"
fi
stop_daemon
t_check "no sanitizer finding in the daemon's log" eval '! grep -qE "Sanitizer|runtime error" "$T_TMP/daemon.log"'
t_done
